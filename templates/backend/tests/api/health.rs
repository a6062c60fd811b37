// {{ header }}
//! Operations endpoints and behaviour shared by every route.

use crate::helpers::spawn_app;

#[tokio::test]
async fn health_answers_200() {
    let app = spawn_app().await;
    let response = app.get("/health").await;
    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(response.body["status"], "ok");
}

#[tokio::test]
async fn ready_answers_200_when_the_database_answers() {
    let app = spawn_app().await;
    let response = app.get("/ready").await;
    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(response.body["status"], "ready");
}

#[tokio::test]
async fn openapi_document_is_served() {
    let app = spawn_app().await;
    let response = app.get("/openapi.json").await;
    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(response.body["openapi"], "3.1.0");
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = spawn_app().await;
    let response = app.get("/health").await;
    assert!(response.request_id.is_some(), "{response:?}");
}

#[tokio::test]
async fn unknown_routes_answer_404_in_the_error_format() {
    let app = spawn_app().await;
    let response = app.get("/no/such/route").await;
    assert_eq!(response.status, 404, "{response:?}");
    assert_eq!(response.error_code(), "not_found");
    assert_eq!(
        response.body["error"]["request_id"].as_str(),
        response.request_id.as_deref()
    );
}

#[tokio::test]
async fn unsupported_methods_answer_405_in_the_error_format() {
    let app = spawn_app().await;
    let response = app.delete("/health").await;
    assert_eq!(response.status, 405, "{response:?}");
    assert_eq!(response.error_code(), "method_not_allowed");
}
{%- if let Some(route) = first_route %}

#[tokio::test]
async fn bodies_over_the_limit_answer_413() {
    let app = spawn_app().await;
    let route = "{{ route }}";
    let body = format!("[\"{}\"]", "x".repeat(2 * 1024 * 1024));
    let response = app.post_raw(route, "application/json", body).await;
    assert_eq!(response.status, 413, "{response:?}");
    assert_eq!(response.error_code(), "payload_too_large");
}
{%- endif %}
