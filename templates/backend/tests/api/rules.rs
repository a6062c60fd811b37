// {{ header }}
//! Tests of the spec's rules ({{ spec_file }}). Rules that depend on other rows hold one
//! request at a time, and when 50 requests race, sent at once to two instances of the app on
//! one database (two pools, two ports: what two replicas behind a load balancer are). Rules
//! on how a record may change get an allowed and a refused case each.

{% if uses_race -%}
use std::sync::Arc;

{% endif -%}
{% if has_windows || has_create_windows -%}
use chrono::{TimeDelta, Utc};
{% endif -%}
use serde_json::{% if uses_json %}{Value, json}{% else %}Value{% endif %};
{%- if has_windows || writes_directly %}
use uuid::Uuid;

use {{ crate_name }}::db::Stored;
{%- endif %}

use crate::helpers::{ {%- if uses_test_app %}TestApp, {% endif %}TestResponse, spawn_app{% if uses_text %}, text{% endif %}};
{%- if uses_race %}

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
{%- endif %}
{%- if uses_violated %}

/// Asserts a `rule_violated` answer with `status` for the rule `code`, with its sentence as
/// the message.
fn assert_violated(response: &TestResponse, status: u16, code: &str, message: &str) {
    assert_eq!(response.status, status, "{response:?}");
    let error = &response.body["error"];
    assert_eq!(error["code"], "rule_violated", "{response:?}");
    assert_eq!(error["message"], message, "{response:?}");
    assert_eq!(error["fields"][0]["code"], code, "{response:?}");
}
{%- endif %}

{%- if uses_listed %}

/// How many records `GET route?field=value` lists (at most 100).
async fn listed(app: &TestApp, route: &str, field: &str, value: &Value) -> usize {
    let value = value.as_str().expect("an id");
    let query = [(field, value), ("limit", "100")];
    let response = app.get_with(route, &query).await;
    assert_eq!(response.status, 200, "{response:?}");
    response.body["items"].as_array().map_or(0, Vec::len)
}
{%- endif %}
{%- if uses_item %}

/// `route/id` of a record as answered.
fn item(route: &str, record: &Value) -> String {
    format!("{route}/{}", record["id"].as_str().expect("an id"))
}
{%- endif %}
{%- if writes_directly %}

/// The id of the record at `item` (`route/id`).
fn id_of(item: &str) -> Uuid {
    let id = item.rsplit('/').next().unwrap_or_default();
    id.parse().expect("an id")
}
{%- endif %}
{%- if writes_directly %}

/// Runs `sql` straight on the database with the id of the record at `item` as `$1`, as code
/// that bypasses the service would, and asserts the database refuses it for the rule `code`.
async fn assert_database_refuses(app: &TestApp, sql: &'static str, item: &str, code: &str) {
    let result = sqlx::query(sql)
        .bind(id_of(item).to_repr())
        .execute(&app.db)
        .await;
    let error = result.expect_err("the database refuses the change too");
    assert!(error.to_string().contains(code), "{error}");
}
{%- endif %}
{%- if has_create_windows %}

/// The time `seconds` ago as the API takes it (`date`: the day it falls on).
fn ago(seconds: i64, date: bool) -> Value {
    let at = Utc::now() - TimeDelta::seconds(seconds);
    if date {
        json!(at.date_naive().to_string())
    } else {
        json!(at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
    }
}
{%- endif %}
{%- if has_windows %}

/// Moves the time in `column` of the record `id` `seconds` back, straight in the
/// database, as if that much time had passed (`date`: the column holds a date).
async fn close_window(
    app: &TestApp,
    table: &str,
    column: &str,
    id: &Value,
    seconds: i64,
    date: bool,
) {
    let at = Utc::now() - TimeDelta::seconds(seconds);
    let id: Uuid = id.as_str().and_then(|id| id.parse().ok()).expect("an id");
    // `table` and `column` are the generated schema's names, never input.
    let sql = format!("UPDATE {table} SET {column} = $1 WHERE id = $2");
    let query = sqlx::query(sqlx::AssertSqlSafe(sql));
    let query = if date {
        query.bind(at.date_naive().to_repr())
    } else {
        query.bind(at.to_repr())
    };
    query
        .bind(id.to_repr())
        .execute(&app.db)
        .await
        .expect("the record moves back in time");
}
{%- endif %}
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

{%- if !l.also.is_empty() %}

/// The other records {{ l.code }} counts per, shared by one test's rows.
async fn {{ l.code }}_group(app: &TestApp) -> Value {
    json!({
{%- for a in l.also %}
        "{{ a.json }}": app.create_{{ a.target_snake }}().await["id"],
{%- endfor %}
    })
}

/// A valid body counted by {{ l.code }} against `parent` and `group`.
{{ l.group_body_sig }}
    let mut body = app.{{ l.body_fn }}().await;
    body["{{ l.per_json }}"] = parent.clone();
{%- for a in l.also %}
    body["{{ a.json }}"] = group["{{ a.json }}"].clone();
{%- endfor %}
{%- else %}

/// A valid body counted by {{ l.code }} against `parent`.
async fn {{ l.code }}_body(app: &TestApp, parent: &Value) -> Value {
    let mut body = app.{{ l.body_fn }}().await;
    body["{{ l.per_json }}"] = parent.clone();
{%- endif %}
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
{%- if !l.also.is_empty() %}
    let group = {{ l.code }}_group(&app).await;
{%- endif %}
    for _ in 0..{{ l.max }} {
        let body = {{ l.code }}_body(&app, &parent{{ l.group_arg }}).await;
        app.create(route, &body).await;
    }
    let body = {{ l.code }}_body(&app, &parent{{ l.group_arg }}).await;
    let response = app.post(route, &body).await;
{{ l.violated_line }}
    assert_eq!(listed(&app, route, per, &parent).await, {{ l.max }});
{%- if !l.also.is_empty() %}
    // Another combination with the same `{{ l.per_json }}` is counted on its own.
    let other = {{ l.code }}_group(&app).await;
    let body = {{ l.code }}_body(&app, &parent, &other).await;
    app.create(route, &body).await;
{%- endif %}
}

/// {{ spec_file }} line {{ l.line }}: exactly {{ l.max }} of 50 racing requests win.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn {{ l.code }}_holds_when_50_requests_race_on_two_instances() {
{{ l.route_line }}
    let per = "{{ l.per_json }}";
    let first = Arc::new(spawn_app().await);
    let second = Arc::new(first.spawn_replica().await);
    let parent = {{ l.code }}_parent(&first).await;
{%- if !l.also.is_empty() %}
    let group = {{ l.code }}_group(&first).await;
{%- endif %}
    let mut bodies = Vec::new();
    for _ in 0..50 {
        bodies.push({{ l.code }}_body(&first, &parent{{ l.group_arg }}).await);
    }
    let responses = race(&first, &second, route, bodies).await;
    assert_eq!(count(&responses, 201), {{ l.max }}, "{responses:?}");
    assert_eq!(count(&responses, 409), {{ l.refused }}, "{responses:?}");
    assert_eq!(listed(&second, route, per, &parent).await, {{ l.max }});
}
{%- if l.move_test %}

/// {{ spec_file }} line {{ l.line }}: moving a record under a full `{{ l.per_json }}` is refused too.
#[tokio::test]
async fn {{ l.code }}_refuses_a_move_past_the_limit() {
{{ l.route_line }}
{{ l.message_line }}
    let per = "{{ l.per_json }}";
    let app = spawn_app().await;
    let full = {{ l.code }}_parent(&app).await;
{%- if !l.also.is_empty() %}
    let group = {{ l.code }}_group(&app).await;
{%- endif %}
    for _ in 0..{{ l.max }} {
        let body = {{ l.code }}_body(&app, &full{{ l.group_arg }}).await;
        app.create(route, &body).await;
    }
    let other = {{ l.code }}_parent(&app).await;
    let body = {{ l.code }}_body(&app, &other{{ l.group_arg }}).await;
    let moved = app.create(route, &body).await;
    let moved = item(route, &moved);
    let response = app.patch(&moved, &json!({ per: full })).await;
{{ l.violated_line }}
    assert_eq!(listed(&app, route, per, &full).await, {{ l.max }});
}
{%- endif %}
{%- if let Some(m) = l.most_change %}

/// {{ spec_file }} line {{ l.line }}: the most is read from the `{{ l.per_json }}` record, so it
/// cannot be lowered below the records it already holds, and raising it lets more in.
#[tokio::test]
async fn {{ l.code }}_follows_changes_of_the_most() {
{{ l.route_line }}
{{ l.message_line }}
{{ l.parents_line }}
    let per = "{{ l.per_json }}";
    let app = spawn_app().await;
    let parent = {{ l.code }}_parent(&app).await;
{%- if !l.also.is_empty() %}
    let group = {{ l.code }}_group(&app).await;
{%- endif %}
    for _ in 0..{{ l.max }} {
        let body = {{ l.code }}_body(&app, &parent{{ l.group_arg }}).await;
        app.create(route, &body).await;
    }
    let item = format!("{parents}/{}", parent.as_str().expect("an id"));
    let response = app.patch(&item, &json!({ "{{ m.json }}": {{ m.lower }} })).await;
{{ l.violated_line }}
    let response = app.patch(&item, &json!({ "{{ m.json }}": {{ m.raise }} })).await;
    assert_eq!(response.status, 200, "{response:?}");
    let body = {{ l.code }}_body(&app, &parent{{ l.group_arg }}).await;
    app.create(route, &body).await;
    let body = {{ l.code }}_body(&app, &parent{{ l.group_arg }}).await;
    let response = app.post(route, &body).await;
{{ l.violated_line }}
    assert_eq!(listed(&app, route, per, &parent).await, {{ m.raise }});
}
{%- endif %}
{%- if let Some(change) = l.held_change %}

/// {{ spec_file }} line {{ l.line }}: records of a `{{ l.per_json }}` the rule leaves out are not
/// counted, and it cannot then change so that the rule applies while it holds too many.
#[tokio::test]
async fn {{ l.code }}_counts_only_where_it_applies() {
{{ l.route_line }}
{{ l.message_line }}
{{ l.parents_line }}
    let per = "{{ l.per_json }}";
    let app = spawn_app().await;
    let mut body = app.{{ l.parent_body_fn }}().await;
{%- for line in l.exempt_sets %}
{{ line }}
{%- endfor %}
    let parent = app.create(parents, &body).await["id"].clone();
{%- if !l.also.is_empty() %}
    let group = {{ l.code }}_group(&app).await;
{%- endif %}
    for _ in 0..{{ l.max }} + 1 {
        let body = {{ l.code }}_body(&app, &parent{{ l.group_arg }}).await;
        app.create(route, &body).await;
    }
    let item = format!("{parents}/{}", parent.as_str().expect("an id"));
{{ change }}
    let response = app.patch(&item, &change).await;
{{ l.violated_line }}
    assert_eq!(listed(&app, route, per, &parent).await, {{ l.max }} + 1);
}
{%- endif %}
{%- if !l.exempt_steps.is_empty() %}

/// {{ spec_file }} line {{ l.line }}: records the rule's condition leaves out are not counted.
#[tokio::test]
async fn {{ l.code }}_counts_only_where_it_applies() {
{{ l.route_line }}
    let app = spawn_app().await;
    let parent = {{ l.code }}_parent(&app).await;
{%- if !l.also.is_empty() %}
    let group = {{ l.code }}_group(&app).await;
{%- endif %}
    let body = {{ l.code }}_body(&app, &parent{{ l.group_arg }}).await;
    let first = app.create(route, &body).await;
{%- if l.max > 1 %}
    for _ in 1..{{ l.max }} {
        let body = {{ l.code }}_body(&app, &parent{{ l.group_arg }}).await;
        app.create(route, &body).await;
    }
{%- endif %}
    let first = item(route, &first);
{%- for step in l.exempt_steps %}
{{ step }}
    let response = app.patch(&first, &step).await;
    assert_eq!(response.status, 200, "{response:?}");
{%- endfor %}
    let body = {{ l.code }}_body(&app, &parent{{ l.group_arg }}).await;
    app.create(route, &body).await;
}
{%- endif %}
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
    // Shares only this rule's range{% if !o.later_sets.is_empty() %} and scope{% endif %} with `body`, so no other rule refuses it.
    let mut overlapping = app.{{ o.body_fn }}().await;
{%- for line in o.overlapping_sets %}
{{ line }}
{%- endfor %}
    let response = app.post(route, &overlapping).await;
    assert_violated(&response, 409, "{{ o.code }}", message);
    let {% if !o.later_sets.is_empty() %}mut {% endif %}later = app.{{ o.body_fn }}().await;
{%- for line in o.later_sets %}
{{ line }}
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
{%- if let Some(p) = o.first_per %}
    let per = "{{ p }}";
    assert_eq!(listed(&first, route, per, &body[per]).await, 1);
{%- endif %}
}
{%- endfor %}

{%- for w in windows %}

/// {{ spec_file }} line {{ w.head.line }}: {{ w.head.message }}
#[tokio::test]
async fn {{ w.test_name }}() {
{{ w.head.route_line }}
{{ w.head.message_line }}
{{ w.head.code_line }}
    let app = spawn_app().await;
{%- if w.create %}
{{ w.body_line }}
{%- if !w.early_line.is_empty() %}
{{ w.early_line }}
{%- endif %}
    let response = app.post(route, &body).await;
    assert_eq!(response.status, 201, "{response:?}");
{{ w.body_line }}
{{ w.late_line }}
    let response = app.post(route, &body).await;
    assert_violated(&response, 409, code, message);
{%- endif %}
{%- if w.update || w.delete %}
{%- if w.create %}

{%- endif %}
{{ w.create_open }}
    let open = item(route, &open);
{%- if w.update %}
    let response = app.patch(&open, &json!({})).await;
    assert_eq!(response.status, 200, "{response:?}");
{%- endif %}
{%- if w.delete %}
    let response = app.delete(&open).await;
    assert_eq!(response.status, 204, "{response:?}");
{%- endif %}

{{ w.create_closed }}
{{ w.close_line }}
    let closed = item(route, &closed);
{%- if w.update %}
    let response = app.patch(&closed, &json!({})).await;
    assert_violated(&response, 409, code, message);
{%- endif %}
{%- if w.delete %}
    let response = app.delete(&closed).await;
    assert_violated(&response, 409, code, message);
{%- endif %}
{%- if w.read %}
    let kept = app.get(&closed).await;
    assert_eq!(kept.status, 200, "{kept:?}");
{%- endif %}
{%- endif %}
}
{%- endfor %}
{%- for t in transitions %}

/// {{ spec_file }} line {{ t.head.line }}: {{ t.head.message }}
#[tokio::test]
async fn {{ t.test_name }}() {
{{ t.head.route_line }}
{%- if t.refuses() %}
{{ t.head.message_line }}
{{ t.head.code_line }}
{%- endif %}
    let field = "{{ t.field }}";
    let app = spawn_app().await;
{%- if let Some(other) = t.not_initial %}
{{ t.body_line }}
    body[field] = json!("{{ other }}");
    let response = app.post(route, &body).await;
    assert_violated(&response, 409, code, message);
{%- endif %}
{{ t.create_line }}
    let created = item(route, &created);
{%- if let Some(refused) = t.refused %}
    let change = json!({ field: "{{ refused }}" });
    let response = app.patch(&created, &change).await;
    assert_violated(&response, 409, code, message);
{%- endif %}
{%- if let Some(sql) = t.sql_line %}
{{ sql }}
    assert_database_refuses(&app, sql, &created, code).await;
{%- endif %}
{%- if let Some(allowed) = t.allowed %}
    let change = json!({ field: "{{ allowed }}" });
    let response = app.patch(&created, &change).await;
    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(response.body[field], "{{ allowed }}");
{%- endif %}
}
{%- endfor %}
{%- for b in by_role %}

/// {{ spec_file }} line {{ b.head.line }}: {{ b.head.message }} A `{{ b.role }}` may not make
/// the change to `{{ b.to }}`; an admin may.
#[tokio::test]
async fn {{ b.test_name }}() {
{{ b.head.route_line }}
{{ b.head.message_line }}
{{ b.head.code_line }}
    let field = "{{ b.field }}";
    let app = spawn_app().await;
    let caller = app.caller("{{ b.role }}").await;
{%- if b.own %}
{{ b.body_line }}
{%- for line in b.strip_lines %}
{{ line }}
{%- endfor %}
    let created = app.as_caller(&caller).post(route, &body).await;
    assert_eq!(created.status, 201, "{created:?}");
    let created = item(route, &created.body);
{%- else %}
{{ b.create_line }}
    let created = item(route, &created);
{%- endif %}
{%- for step in b.steps %}
    let response = app.patch(&created, &json!({ field: "{{ step }}" })).await;
    assert_eq!(response.status, 200, "{response:?}");
{%- endfor %}
    let change = json!({ field: "{{ b.to }}" });
    let response = app.as_caller(&caller).patch(&created, &change).await;
    assert_violated(&response, 409, code, message);
    let response = app.patch(&created, &change).await;
    assert_eq!(response.status, 200, "{response:?}");
}
{%- endfor %}
{%- for i in immutables %}

/// {{ spec_file }} line {{ i.head.line }}: {{ i.head.message }}
#[tokio::test]
async fn {{ i.test_name }}() {
{{ i.head.route_line }}
{{ i.head.message_line }}
{{ i.head.code_line }}
    let field = "{{ i.field }}";
    let app = spawn_app().await;
{%- if i.start_lines.is_empty() %}
{{ i.create_line }}
{%- else %}
{%- for line in i.start_lines %}
{{ line }}
{%- endfor %}
    let created = app.create(route, &body).await;
{%- endif %}
    let created = item(route, &created);
{%- if !i.steps.is_empty() %}
{%- for line in i.value_lines %}
{{ line }}
{%- endfor %}
    let response = app.patch(&created, &json!({ field: value })).await;
    assert_eq!(response.status, 200, "not yet fixed: {response:?}");
{%- for step in i.steps %}
{{ step }}
    let response = app.patch(&created, &step).await;
    assert_eq!(response.status, 200, "{response:?}");
{%- endfor %}
{%- endif %}
    let before = app.get(&created).await.body[field].clone();
{%- for line in i.value_lines %}
{{ line }}
{%- endfor %}
    let response = app.patch(&created, &json!({ field: value })).await;
    assert_violated(&response, 422, code, message);
{%- if let Some(sql) = i.sql_line %}
{{ sql }}
    assert_database_refuses(&app, sql, &created, code).await;
{%- endif %}
    let after = app.get(&created).await.body[field].clone();
    assert_eq!(after, before);
}
{%- endfor %}
