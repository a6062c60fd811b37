// {{ header }}
//! Tests of the rules that depend on other rows ({{ spec_file }}): each holds one request at
//! a time, and when 50 requests race, sent at once to two instances of the app on one
//! database (two pools, two ports: what two replicas behind a load balancer are).

use std::sync::Arc;

use serde_json::{% if uses_json %}{Value, json}{% else %}Value{% endif %};

use crate::helpers::{TestApp, TestResponse, spawn_app};

/// Sends every body in `bodies` to `route` at once, alternating between `first` and
/// `second`, and answers the responses.
async fn race(
    first: &Arc<TestApp>,
    second: &Arc<TestApp>,
    route: &'static str,
    bodies: Vec<Value>,
) -> Vec<TestResponse> {
    let mut tasks = Vec::new();
    for (i, body) in bodies.into_iter().enumerate() {
        let app = Arc::clone(if i % 2 == 0 { first } else { second });
        tasks.push(tokio::spawn(async move { app.post(route, &body).await }));
    }
    let mut responses = Vec::new();
    for task in tasks {
        responses.push(task.await.expect("the request completes"));
    }
    responses
}

/// How many of `responses` have `status`.
fn count(responses: &[TestResponse], status: u16) -> usize {
    responses.iter().filter(|r| r.status == status).count()
}

/// Asserts a 409 `rule_violated` answer for the rule `code` with its sentence as message.
fn assert_violated(response: &TestResponse, code: &str, message: &str) {
    assert_eq!(response.status, 409, "{response:?}");
    let error = &response.body["error"];
    assert_eq!(error["code"], "rule_violated", "{response:?}");
    assert_eq!(error["message"], message, "{response:?}");
    assert_eq!(error["fields"][0]["code"], code, "{response:?}");
}

/// How many records `GET route?field=value` lists (at most 100).
async fn listed(app: &TestApp, route: &str, field: &str, value: &Value) -> usize {
    let value = value.as_str().expect("an id");
    let query = [(field, value), ("limit", "100")];
    let response = app.get_with(route, &query).await;
    assert_eq!(response.status, 200, "{response:?}");
    response.body["items"].as_array().map_or(0, Vec::len)
}
{%- for l in limits %}

/// The record {{ l.code }} counts per, made so the rule applies.
async fn {{ l.code }}_parent(app: &TestApp) -> Value {
{%- if l.parent_sets.is_empty() %}
    let body = app.{{ l.parent_body_fn }}().await;
{%- else %}
    let mut body = app.{{ l.parent_body_fn }}().await;
{%- for line in l.parent_sets %}
{{ line }}
{%- endfor %}
{%- endif %}
{{ l.parent_route_line }}
    app.create(route, &body).await["id"].clone()
}

/// A valid body counted by {{ l.code }} against `parent`.
async fn {{ l.code }}_body(app: &TestApp, parent: &Value) -> Value {
    let mut body = app.{{ l.body_fn }}().await;
    body["{{ l.per_json }}"] = parent.clone();
{%- for line in l.row_sets %}
{{ line }}
{%- endfor %}
    body
}

/// {{ spec_file }} line {{ l.line }}: {{ l.message }}
#[tokio::test]
async fn {{ l.code }}_allows_{{ l.max }}_then_answers_409() {
{{ l.route_line }}
{{ l.message_line }}
    let per = "{{ l.per_json }}";
    let app = spawn_app().await;
    let parent = {{ l.code }}_parent(&app).await;
    for _ in 0..{{ l.max }} {
        let body = {{ l.code }}_body(&app, &parent).await;
        app.create(route, &body).await;
    }
    let body = {{ l.code }}_body(&app, &parent).await;
    let response = app.post(route, &body).await;
    assert_violated(&response, "{{ l.code }}", message);
    assert_eq!(listed(&app, route, per, &parent).await, {{ l.max }});
}

/// {{ spec_file }} line {{ l.line }}: exactly {{ l.max }} of 50 racing requests win.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn {{ l.code }}_holds_when_50_requests_race_on_two_instances() {
{{ l.route_line }}
    let per = "{{ l.per_json }}";
    let first = Arc::new(spawn_app().await);
    let second = Arc::new(first.spawn_replica().await);
    let parent = {{ l.code }}_parent(&first).await;
    let mut bodies = Vec::new();
    for _ in 0..50 {
        bodies.push({{ l.code }}_body(&first, &parent).await);
    }
    let responses = race(&first, &second, route, bodies).await;
    assert_eq!(count(&responses, 201), {{ l.max }}, "{responses:?}");
    assert_eq!(count(&responses, 409), {{ l.refused }}, "{responses:?}");
    assert_eq!(listed(&second, route, per, &parent).await, {{ l.max }});
}
{%- endfor %}
{%- for o in overlaps %}

/// {{ spec_file }} line {{ o.line }}: {{ o.message }}
#[tokio::test]
async fn {{ o.code }}_refuses_an_overlap_and_allows_another_time() {
{{ o.route_line }}
{{ o.message_line }}
    let app = spawn_app().await;
    let body = app.{{ o.body_fn }}().await;
    app.create(route, &body).await;
    let response = app.post(route, &body).await;
    assert_violated(&response, "{{ o.code }}", message);
    let mut later = app.{{ o.body_fn }}().await;
{%- for p in o.per %}
    later["{{ p }}"] = body["{{ p }}"].clone();
{%- endfor %}
    app.create(route, &later).await;
}

/// {{ spec_file }} line {{ o.line }}: exactly one of 50 racing overlapping requests wins.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn {{ o.code }}_holds_when_50_requests_race_on_two_instances() {
{{ o.route_line }}
    let first = Arc::new(spawn_app().await);
    let second = Arc::new(first.spawn_replica().await);
    let body = first.{{ o.body_fn }}().await;
    let bodies = vec![body.clone(); 50];
    let responses = race(&first, &second, route, bodies).await;
    assert_eq!(count(&responses, 201), 1, "{responses:?}");
    assert_eq!(count(&responses, 409), 49, "{responses:?}");
{%- for p in o.per %}
{%- if loop.first %}
    let per = "{{ p }}";
    assert_eq!(listed(&first, route, per, &body[per]).await, 1);
{%- endif %}
{%- endfor %}
}
{%- endfor %}
