// {{ header }}
//! Security headers on every response, and the CORS policy from `CORS_ALLOWED_ORIGINS`.
//!
//! The API answers JSON to programs, so the headers lock browsers down: no MIME sniffing, no
//! framing, no referrer, no content loading, and in production HTTPS only (HSTS). A handler
//! that serves something else (an HTML page) may set its own `Content-Security-Policy`;
//! these are only added when a response has none.

use axum::extract::{Request, State};
use axum::http::header::{
    AUTHORIZATION, CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY, RETRY_AFTER,
    STRICT_TRANSPORT_SECURITY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderName, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::config::{AppEnv, Config};

/// Adds the security headers to a response that does not set them itself. `State` is the
/// app's environment: HSTS is sent only in production (behind TLS).
pub async fn headers(State(app_env): State<AppEnv>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let mut set = |name: HeaderName, value: &'static str| {
        headers
            .entry(name)
            .or_insert_with(|| HeaderValue::from_static(value));
    };
    set(X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(X_FRAME_OPTIONS, "DENY");
    set(
        CONTENT_SECURITY_POLICY,
        "default-src 'none'; frame-ancestors 'none'",
    );
    set(REFERRER_POLICY, "no-referrer");
    if app_env == AppEnv::Production {
        set(
            STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        );
    }
    response
}

/// The CORS layer for `CORS_ALLOWED_ORIGINS`, or `None` when no origin is allowed (browsers
/// then refuse cross-origin calls). Clients authenticate with a bearer token, not cookies,
/// so credentials are never allowed.
pub fn cors(config: &Config) -> Option<CorsLayer> {
    let origins = &config.cors_allowed_origins;
    if origins.is_empty() {
        return None;
    }
    let allow_origin = if origins.iter().any(|origin| origin == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(
            origins
                .iter()
                .filter_map(|origin| HeaderValue::from_str(origin).ok()),
        )
    };
    Some(
        CorsLayer::new()
            .allow_origin(allow_origin)
            .allow_methods([
                Method::GET,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
            ])
            .allow_headers([AUTHORIZATION, CONTENT_TYPE])
            .expose_headers([HeaderName::from_static("x-request-id"), RETRY_AFTER])
            .max_age(std::time::Duration::from_secs(600)),
    )
}
