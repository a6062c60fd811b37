// {{ header }}
//! Builds the app and runs it. [`router`] is pure: give it a state and it returns the whole
//! app, middleware included, so tests can drive it without a socket.

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::StatusCode;
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::{Level, Span};

use crate::BoxError;
use crate::config::Config;
use crate::db::{self, DbPool};
use crate::http;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub db: DbPool,
    pub config: Arc<Config>,
}

/// The whole app: every route behind the middleware every request passes through
/// (outermost first): request id, tracing span, error bodies, timeout, body size limit.
pub fn router(state: AppState) -> Router {
    let middleware = ServiceBuilder::new()
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(PropagateRequestIdLayer::x_request_id())
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
    http::routes().layer(middleware).with_state(state)
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
}

impl Application {
    /// Connects to the database, applies pending migrations and binds the listener.
    pub async fn build(config: Config) -> Result<Application, BoxError> {
        let pool = db::connect(&config.database_url).await?;
        db::migrate(&pool).await?;
        let listener = TcpListener::bind((config.host.as_str(), config.port)).await?;
        let port = listener.local_addr()?.port();
        let state = AppState {
            db: pool,
            config: Arc::new(config),
        };
        Ok(Application {
            port,
            listener,
            router: router(state),
        })
    }

    /// The bound port (useful when `PORT` is 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until Ctrl-C or SIGTERM, then lets in-flight requests finish.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown_signal())
            .await
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
