// {{ header }}
//! Builds the app and runs it. [`router`] is pure: give it a state and it returns the whole
//! app, middleware included, so tests can drive it without a socket.

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::StatusCode;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tower::ServiceBuilder;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::{Level, Span};

use crate::BoxError;
{%- if has_auth %}
use crate::auth::password::Hashers;
{%- endif %}
use crate::config::Config;
use crate::db::{self, DbPool};
{%- if has_auth %}
use crate::email::Mailer;
{%- endif %}
use crate::{http, ops, security};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub db: DbPool,
    pub config: Arc<Config>,
{%- if has_auth %}
    /// Sends verification codes and reset tokens.
    pub mailer: Mailer,
    /// Hashes and checks passwords, on threads of their own behind a bounded queue.
    pub hashers: Hashers,
{%- endif %}
}

/// The whole app: every route behind the middleware every request passes through
/// (outermost first): metrics, request id, security headers, tracing span, error bodies,
/// timeout, body size limit, and CORS when `CORS_ALLOWED_ORIGINS` allows any origin.
pub fn router(state: AppState) -> Router {
    ops::metrics::install();
    let middleware = ServiceBuilder::new()
        .layer(axum::middleware::from_fn(ops::metrics::track))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(axum::middleware::from_fn_with_state(
            state.config.app_env,
            security::headers,
        ))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(axum::middleware::from_fn(http::render_errors))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            state.config.request_timeout,
        ))
        .layer(DefaultBodyLimit::max(state.config.body_limit));
{%- if has_auth %}
    let mut routes = http::routes().merge(crate::auth::routes::router());
{%- else %}
    let mut routes = http::routes();
{%- endif %}
    routes = routes.merge(ops::metrics::router());
    if let Some(cors) = security::cors(&state.config) {
        routes = routes.layer(cors);
    }
    routes.layer(middleware).with_state(state)
}

/// The span every request runs in; the request id ties its logs together.
fn request_span(request: &Request) -> Span {
    let request_id = request
        .headers()
        .get(http::REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        request_id = %request_id,
    )
}

/// A built app, listening but not yet serving.
pub struct Application {
    port: u16,
    listener: TcpListener,
    router: Router,
    shutdown_grace: Duration,
}

impl Application {
    /// Connects to the database, applies pending migrations and binds the listener.
    pub async fn build(config: Config) -> Result<Application, BoxError> {
        let pool = db::connect(&config.database_url).await?;
        db::migrate(&pool).await?;
        let listener = TcpListener::bind((config.host.as_str(), config.port)).await?;
        let port = listener.local_addr()?.port();
        let shutdown_grace = config.shutdown_grace;
{%- if has_auth %}
        let mailer = Mailer::new(&config.email)?;
        let hashers = Hashers::start(config.password_hash_threads, config.password_hash_queue)?;
        crate::auth::spawn_cleanup(pool.clone());
        let state = AppState {
            db: pool,
            config: Arc::new(config),
            mailer,
            hashers,
        };
{%- else %}
        let state = AppState {
            db: pool,
            config: Arc::new(config),
        };
{%- endif %}
        Ok(Application {
            port,
            listener,
            router: router(state),
            shutdown_grace,
        })
    }

    /// The bound port (useful when `PORT` is 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until Ctrl-C or SIGTERM, then stops accepting connections and lets requests in
    /// flight finish, for at most `SHUTDOWN_GRACE_SECS`.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        // The peer address is the client address rate limits see (unless a trusted proxy says
        // otherwise).
        let app = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        let stopping = Arc::new(Notify::new());
        let signal = {
            let stopping = Arc::clone(&stopping);
            async move {
                shutdown_signal().await;
                stopping.notify_one();
            }
        };
        let server = axum::serve(self.listener, app)
            .with_graceful_shutdown(signal)
            .into_future();
        let grace = self.shutdown_grace;
        let deadline = async move {
            stopping.notified().await;
            tokio::time::sleep(grace).await;
        };
        tokio::select! {
            result = server => result,
            () = deadline => {
                tracing::warn!(
                    grace_secs = grace.as_secs(),
                    "requests still in flight after the grace period; exiting anyway"
                );
                Ok(())
            }
        }
    }
}

/// `serve`: builds the app and serves it.
pub async fn serve(config: Config) -> Result<(), BoxError> {
    let host = config.host.clone();
    let app = Application::build(config).await?;
    tracing::info!("listening on http://{host}:{}", app.port());
    app.run_until_stopped().await?;
    Ok(())
}

/// `migrate`: applies pending migrations and returns.
pub async fn migrate(config: &Config) -> Result<(), BoxError> {
    let pool = db::connect(&config.database_url).await?;
    db::migrate(&pool).await?;
    tracing::info!("migrations applied");
    Ok(())
}

/// Resolves on Ctrl-C or, on Unix, SIGTERM (what container runtimes send).
async fn shutdown_signal() {
    let ctrl_c = async {
        tokio::signal::ctrl_c().await.ok();
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
