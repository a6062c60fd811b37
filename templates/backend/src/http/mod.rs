// {{ header }}
//! HTTP: every route, the operations endpoints and the middleware that writes error bodies.
//! Each resource has its own module with its routes, request and response types.

{%- for module in modules %}
pub mod {{ module }};
{%- endfor %}

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::error::{ApiError, ErrorReport};
use crate::http::extract::AppJson;
use crate::startup::AppState;

/// The header carrying each request's id, set by the middleware when the client sends none.
pub const REQUEST_ID: &str = "x-request-id";

/// The OpenAPI 3.1 description of this API, generated with the routes.
pub const OPENAPI: &str = include_str!("../../openapi.json");

/// Every route, without middleware (see `startup::router`).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/openapi.json", get(openapi))
{%- for entity in entities %}
        .merge({{ entity.plural_snake }}::router())
{%- endfor %}
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
}

/// `GET /health`: the process is up.
async fn health() -> AppJson<serde_json::Value> {
    AppJson(serde_json::json!({ "status": "ok" }))
}

/// `GET /ready`: the database answers, so the app can take traffic.
async fn ready(State(state): State<AppState>) -> Result<AppJson<serde_json::Value>, ApiError> {
    sqlx::query("SELECT 1")
        .execute(&state.db)
        .await
        .map_err(|error| {
            tracing::warn!(error = %error, "database unreachable");
            ApiError::Unavailable
        })?;
    Ok(AppJson(serde_json::json!({ "status": "ready" })))
}

/// `GET /openapi.json`.
async fn openapi() -> impl IntoResponse {
    ([(CONTENT_TYPE, "application/json")], OPENAPI)
}

async fn not_found() -> ApiError {
    ApiError::NotFound
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// Writes the body of every error response: [`ApiError`]s, and bodiless errors from the
/// router or middleware (such as 408 timeouts), in the one error format with the request id.
pub async fn render_errors(request: Request, next: Next) -> Response {
    let request_id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let response = next.run(request).await;
    let status = response.status();
    let (mut parts, body) = response.into_parts();
    let report = match parts.extensions.remove::<ErrorReport>() {
        Some(report) => report,
        None if (status.is_client_error() || status.is_server_error())
            && !parts.headers.contains_key(CONTENT_TYPE) =>
        {
            ErrorReport::for_status(status)
        }
        None => return Response::from_parts(parts, body),
    };
    let json = report.body(&request_id);
    parts.headers.remove(CONTENT_LENGTH);
    parts
        .headers
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        // The rest of an oversized body is not read; ask the client not to reuse the connection.
        parts
            .headers
            .insert("connection", HeaderValue::from_static("close"));
    }
    Response::from_parts(parts, Body::from(json))
}
