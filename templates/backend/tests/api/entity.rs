// {{ header }}
//! Tests of {{ e.plural_words }} at `{{ e.route }}` ({{ spec_file }} line {{ e.line }}).
{%- if t.creatable %}

use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{{ t.helpers_import }};

const ROUTE: &str = "{{ e.route }}";
{%- if t.existing %}

/// Accounts made before each test: the admin the test helpers act as.
const EXISTING: usize = 1;
{%- endif %}

/// A valid body for a new {{ e.words }}; creates the records it references.
async fn valid_body(app: &TestApp) -> Value {
{{ t.body_tail }}
}

/// Creates {{ t.article_words }} and returns it.
async fn create(app: &TestApp) -> Value {
{{ t.create_tail }}
}

/// Posts a valid {{ e.words }} with `field` set to `value` (left out when `None`) and expects
/// a 422 that names the field with `code`.
async fn rejects(app: &TestApp, field: &str, value: Option<Value>, code: &str) {
    let mut body = valid_body(app).await;
    match value {
        Some(value) => body[field] = value,
        None => {
            body.as_object_mut().expect("an object").remove(field);
        }
    }
    let response = app.post(ROUTE, &body).await;
    assert_eq!(response.status, 422, "{field}: {response:?}");
    response.assert_field_error(field, code);
}

#[tokio::test]
async fn create_answers_201_with_the_stored_{{ e.snake }}() {
    let app = spawn_app().await;
    let body = valid_body(&app).await;
    let response = app.post(ROUTE, &body).await;
    assert_eq!(response.status, 201, "{response:?}");
    for (name, value) in body.as_object().expect("an object") {
        assert_eq!(&response.body[name], value, "{name}");
    }
{%- if t.may_read %}
    let read = app.get(&format!("{ROUTE}/{}", response.id())).await;
    assert_eq!(read.status, 200, "{read:?}");
    assert_eq!(read.body, response.body);
{%- endif %}
}

#[tokio::test]
async fn create_refuses_each_invalid_field() {
    let app = spawn_app().await;
{%- for line in t.rejects %}
{{ line }}
{%- endfor %}
    rejects(&app, "no_such_field", Some(json!(1)), "unknown_field").await;
    rejects(&app, "id", Some(json!(Uuid::now_v7())), "read_only").await;
}
{%- if !t.zero_fractions.is_empty() %}

/// Writes `body[field]`, a whole number, with a zero fraction (`3` as `3.0`).
fn zero_fraction(body: &mut Value, field: &str) {
    if let Some(number) = body[field].as_i64() {
        body[field] = json!(number as f64);
    }
}

/// As in JSON Schema (and so in the OpenAPI document), `3.0` is the whole number 3.
#[tokio::test]
async fn create_takes_whole_numbers_written_with_a_zero_fraction() {
    let app = spawn_app().await;
    let expected = valid_body(&app).await;
    let mut body = expected.clone();
{%- for line in t.zero_fractions %}
{{ line }}
{%- endfor %}
    let response = app.post(ROUTE, &body).await;
    assert_eq!(response.status, 201, "{response:?}");
    for (name, value) in expected.as_object().expect("an object") {
        assert_eq!(&response.body[name], value, "{name}");
    }
}
{%- endif %}
{%- if let Some((first, second)) = t.two_invalid %}

#[tokio::test]
async fn create_lists_every_invalid_field_at_once() {
    let app = spawn_app().await;
    let mut body = valid_body(&app).await;
    body["{{ first.json }}"] = {{ first.bare }};
    body["{{ second.json }}"] = {{ second.bare }};
    let response = app.post(ROUTE, &body).await;
    assert_eq!(response.status, 422, "{response:?}");
    assert_eq!(response.error_code(), "validation_failed");
    response.assert_field_error("{{ first.json }}", "{{ first.code }}");
    response.assert_field_error("{{ second.json }}", "{{ second.code }}");
}
{%- endif %}

#[tokio::test]
async fn create_refuses_malformed_json_with_400() {
    let app = spawn_app().await;
    let response = app
        .post_raw(ROUTE, "application/json", "{\"oops\":".to_owned())
        .await;
    assert_eq!(response.status, 400, "{response:?}");
    assert_eq!(response.error_code(), "bad_request");
}

#[tokio::test]
async fn create_refuses_a_wrong_content_type_with_400() {
    let app = spawn_app().await;
    let body = valid_body(&app).await;
    let response = app.post_raw(ROUTE, "text/plain", body.to_string()).await;
    assert_eq!(response.status, 400, "{response:?}");
    assert_eq!(response.error_code(), "bad_request");
}

#[tokio::test]
async fn create_refuses_a_body_that_is_not_an_object() {
    let app = spawn_app().await;
    let response = app.post(ROUTE, &json!([1, 2, 3])).await;
    assert_eq!(response.status, 400, "{response:?}");
    assert_eq!(response.error_code(), "bad_request");
}
{%- for r in t.missing_references %}

#[tokio::test]
async fn create_refuses_a_missing_{{ r.ident }}_with_422() {
    let app = spawn_app().await;
    let field = "{{ r.json }}";
    let mut body = valid_body(&app).await;
    body[field] = json!(Uuid::now_v7());
    let response = app.post(ROUTE, &body).await;
    assert_eq!(response.status, 422, "{response:?}");
    response.assert_field_error(field, "not_found");
}
{%- endfor %}
{%- for r in t.role_references %}

/// `{{ r.json }}` must name an account with the role `{{ r.role }}`: one without it is
/// refused exactly as a missing one is.
#[tokio::test]
async fn {{ r.ident }}_must_name_an_account_with_the_role_{{ r.role }}() {
    let app = spawn_app().await;
    let field = "{{ r.json }}";
    let without = app.caller("{{ r.other_role }}").await;
    let with = app.caller("{{ r.role }}").await;
    let mut body = valid_body(&app).await;
    body[field] = json!(without.id);
    let refused = app.post(ROUTE, &body).await;
    assert_eq!(refused.status, 422, "{refused:?}");
    refused.assert_field_error(field, "not_found");

    body[field] = json!(with.id);
    let created = app.post(ROUTE, &body).await;
    assert_eq!(created.status, 201, "{created:?}");
    assert_eq!(created.body[field], json!(with.id));
{%- if r.on_update %}

    let route = format!("{ROUTE}/{}", created.id());
    let mut changes = json!({});
    changes[field] = json!(without.id);
    let refused = app.patch(&route, &changes).await;
    assert_eq!(refused.status, 422, "{refused:?}");
    refused.assert_field_error(field, "not_found");
    let kept = app.get(&route).await;
    assert_eq!(kept.body[field], json!(with.id), "{kept:?}");
{%- endif %}
}
{%- endfor %}
{%- if !t.copies.is_empty() %}

/// `field` is copied from the record `reference` names (`source` of `source_route`): a new
/// record holds that value, and a request that sets the field is refused (`read_only`).
async fn check_copy(app: &TestApp, field: &str, reference: &str, source_route: &str, source: &str) {
    let created = create(app).await;
    let id = created[reference].as_str().expect("a reference");
    let original = app.get(&format!("{source_route}/{id}")).await;
    assert_eq!(original.status, 200, "{original:?}");
    assert_eq!(created[field], original.body[source], "{created:?}");
    rejects(app, field, Some(created[field].clone()), "read_only").await;
}
{%- endif %}
{%- for c in t.copies %}

#[tokio::test]
async fn {{ c.test_name }}() {
    let app = spawn_app().await;
{{ c.call }}
}
{%- endfor %}
{%- for u in t.uniques %}

#[tokio::test]
async fn create_refuses_a_duplicate_{{ u.ident }}_with_409() {
    let app = spawn_app().await;
    let field = "{{ u.json }}";
    let first = create(&app).await;
    let mut body = valid_body(&app).await;
    body[field] = first[field].clone();
    let response = app.post(ROUTE, &body).await;
    assert_eq!(response.status, 409, "{response:?}");
    assert_eq!(response.error_code(), "conflict");
    response.assert_field_error(field, "unique");
}
{%- endfor %}
{%- for u in t.unique_rules %}

#[tokio::test]
async fn {{ u.test_name }}() {
    let app = spawn_app().await;
{%- if u.fills.is_empty() %}
    let first = create(&app).await;
{%- else %}
    let mut body = valid_body(&app).await;
{%- for line in u.fills %}
{{ line }}
{%- endfor %}
    let first = app.create(ROUTE, &body).await;
{%- endif %}
    let mut body = valid_body(&app).await;
{{ u.fields_array }}
    for field in fields {
        body[field] = first[field].clone();
    }
    let response = app.post(ROUTE, &body).await;
    assert_eq!(response.status, 409, "{response:?}");
    assert_eq!(response.error_code(), "rule_violated");
{%- for line in u.asserts %}
{{ line }}
{%- endfor %}
}
{%- endfor %}
{%- for c in t.compares %}

#[tokio::test]
async fn {{ c.test_name }}() {
    let app = spawn_app().await;
    let left = "{{ c.left }}";
    let right = "{{ c.right }}";
    let mut body = valid_body(&app).await;
    let value = body[left].clone();
    body[left] = body[right].clone();
    body[right] = value;
    let response = app.post(ROUTE, &body).await;
    assert_eq!(response.status, 422, "{response:?}");
    assert_eq!(response.error_code(), "rule_violated");
{{ c.assert }}
}
{%- endfor %}

{%- if t.may_read %}

#[tokio::test]
async fn read_of_an_unknown_id_is_404() {
    let app = spawn_app().await;
    let response = app.get(&format!("{ROUTE}/{}", Uuid::now_v7())).await;
    assert_eq!(response.status, 404, "{response:?}");
    assert_eq!(response.error_code(), "not_found");
    let response = app.get(&format!("{ROUTE}/not-a-uuid")).await;
    assert_eq!(response.status, 404, "{response:?}");
}
{%- endif %}
{%- if t.may_list %}

#[tokio::test]
async fn list_pages_through_every_{{ e.snake }}_in_creation_order() {
    let app = spawn_app().await;
    let mut created = Vec::new();
    for _ in 0..3 {
        created.push(create(&app).await["id"].clone());
    }
    let first = app.get(&format!("{ROUTE}?limit=2")).await;
    assert_eq!(first.status, 200, "{first:?}");
    let cursor = first.body["next_cursor"].as_str().expect("a second page");
    let second = app.get(&format!("{ROUTE}?limit=2&cursor={cursor}")).await;
    assert_eq!(second.status, 200, "{second:?}");
    assert_eq!(second.body["next_cursor"], Value::Null);
    let listed: Vec<Value> = first
        .items()
        .chain(second.items())
        .map(|item| item["id"].clone())
        .collect();
{%- if t.existing %}
    assert_eq!(listed[EXISTING..], created[..]);
{%- else %}
    assert_eq!(listed, created);
{%- endif %}
}

#[tokio::test]
async fn list_refuses_bad_parameters_with_400() {
    let app = spawn_app().await;
    for query in [
        "limit=0",
        "limit=101",
        "sort=no_such_field",
        "cursor=nonsense",
        "nope=1",
    ] {
        let response = app.get(&format!("{ROUTE}?{query}")).await;
        assert_eq!(response.status, 400, "{query}: {response:?}");
        assert_eq!(response.error_code(), "bad_request");
    }
}
{%- endif %}
{%- for f in t.filters %}

#[tokio::test]
async fn list_filters_by_{{ f.ident }}() {
    let app = spawn_app().await;
    let field = "{{ f.json }}";
    let first = create(&app).await;
    create(&app).await;
    let value = match &first[field] {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    let response = app.get_with(ROUTE, &[(field, &value)]).await;
    assert_eq!(response.status, 200, "{response:?}");
    response.assert_lists(&first);
    response.assert_all_items_have(field, &first[field]);
}
{%- endfor %}
{%- for s in t.sorts %}

#[tokio::test]
async fn list_sorts_by_{{ s.ident }}_descending() {
    let app = spawn_app().await;
    let field = "{{ s.json }}";
    for _ in 0..3 {
        create(&app).await;
    }
    let response = app.get(&format!("{ROUTE}?sort=-{field}")).await;
    assert_eq!(response.status, 200, "{response:?}");
    let values = response.item_values(field);
    assert_eq!(values.len(), 3{% if t.existing %} + EXISTING{% endif %}, "{response:?}");
    assert!(is_descending(&values), "{values:?}");
}
{%- endfor %}
{%- if let Some(s) = t.nullable_sort %}

#[tokio::test]
async fn list_pages_through_empty_values_when_sorting_by_{{ s.ident }}() {
    let app = spawn_app().await;
    let field = "{{ s.json }}";
    let mut created = Vec::new();
    for empty in [false, true, false] {
        let mut body = valid_body(&app).await;
        if empty {
            body[field] = Value::Null;
        }
        created.push(app.create(ROUTE, &body).await["id"].clone());
    }
    // Empty values sort as the largest: last ascending, first descending.
    for (sort, empty_at) in [(field.to_owned(), 2{% if t.existing %} + EXISTING{% endif %}), (format!("-{field}"), 0)] {
        let mut listed = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut query = vec![("sort", sort.as_str()), ("limit", "1")];
            if let Some(cursor) = &cursor {
                query.push(("cursor", cursor.as_str()));
            }
            let response = app.get_with(ROUTE, &query).await;
            assert_eq!(response.status, 200, "{response:?}");
            listed.extend(response.items().cloned());
            match response.body["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => break,
            }
        }
        let ids: Vec<Value> = listed.iter().map(|item| item["id"].clone()).collect();
        assert_eq!(ids.len(), 3{% if t.existing %} + EXISTING{% endif %}, "{sort}: {listed:?}");
        assert!(
            created.iter().all(|id| ids.contains(id)),
            "{sort}: {listed:?}"
        );
        assert_eq!(listed[empty_at][field], Value::Null, "{sort}: {listed:?}");
    }
}
{%- endif %}
{%- if let Some(u) = t.update %}

#[tokio::test]
async fn update_changes_only_the_fields_given() {
    let app = spawn_app().await;
    let created = create(&app).await;
    let path = format!("{ROUTE}/{}", created["id"].as_str().expect("an id"));
    let field = "{{ u.json }}";
    let change = json!({ field: {{ u.value }} });
    let response = app.patch(&path, &change).await;
    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(response.body[field], change[field]);
    for (name, value) in created.as_object().expect("an object") {
        if name != field && name != "updated_at" {
            assert_eq!(&response.body[name], value, "{name}");
        }
    }
    assert_eq!(app.get(&path).await.body, response.body);
}
{%- endif %}

{%- if t.may_update %}

#[tokio::test]
async fn update_with_an_empty_body_keeps_the_{{ e.snake }}() {
    let app = spawn_app().await;
    let created = create(&app).await;
    let path = format!("{ROUTE}/{}", created["id"].as_str().expect("an id"));
    let response = app.patch(&path, &json!({})).await;
    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(response.body["id"], created["id"]);
    assert_eq!(response.body["created_at"], created["created_at"]);
}
{%- endif %}
{%- for f in t.immutables %}

#[tokio::test]
async fn update_refuses_to_change_{{ f.ident }}() {
    let app = spawn_app().await;
    let created = create(&app).await;
    let path = format!("{ROUTE}/{}", created["id"].as_str().expect("an id"));
    let field = "{{ f.json }}";
    let change = json!({ field: created[field] });
    let response = app.patch(&path, &change).await;
    assert_eq!(response.status, 422, "{response:?}");
    response.assert_field_error(field, "immutable");
}
{%- endfor %}

{%- if t.may_update %}

#[tokio::test]
async fn update_of_an_unknown_id_is_404() {
    let app = spawn_app().await;
    let response = app
        .patch(&format!("{ROUTE}/{}", Uuid::now_v7()), &json!({}))
        .await;
    assert_eq!(response.status, 404, "{response:?}");
}
{%- endif %}
{%- if t.may_delete %}

#[tokio::test]
async fn delete_answers_204_then_the_{{ e.snake }}_is_gone() {
    let app = spawn_app().await;
    let created = create(&app).await;
    let path = format!("{ROUTE}/{}", created["id"].as_str().expect("an id"));
    assert_eq!(app.delete(&path).await.status, 204);
    assert_eq!(app.get(&path).await.status, 404);
    assert_eq!(app.delete(&path).await.status, 404);
}
{%- endif %}
{%- for l in t.links %}

#[tokio::test]
async fn {{ l.test_name }}() {
    let app = spawn_app().await;
    let field = "{{ l.json }}";
{{ l.create_first }}
{{ l.create_second }}
    let (first, second) = (first["id"].clone(), second["id"].clone());
    let mut body = valid_body(&app).await;
    body[field] = json!([first]);
    let created = app.create(ROUTE, &body).await;
    assert_eq!(created[field], json!([first]));
    let path = format!("{ROUTE}/{}", created["id"].as_str().expect("an id"));
    let both = json!([first, second]);
    let response = app.patch(&path, &json!({ field: both })).await;
    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(response.body[field], both);
    let listed = app.get(ROUTE).await;
    assert!(listed.items().any(|item| item[field] == both), "{listed:?}");
    let response = app.patch(&path, &json!({ field: [Uuid::now_v7()] })).await;
    assert_eq!(response.status, 422, "{response:?}");
    response.assert_field_error(field, "not_found");
}
{%- endfor %}
{%- for c in t.children %}

#[tokio::test]
async fn {{ c.test_name }}() {
    let app = spawn_app().await;
{%- if let Some(role) = c.parent_role %}
    // The reference names an account with the role `{{ role }}`.
    let parent = json!({ "id": app.caller("{{ role }}").await.id });
{%- else %}
    let parent = create(&app).await;
{%- endif %}
    let child_route = "{{ c.child_route }}";
    let field = "{{ c.field_json }}";
{{ c.body_line }}
    body[field] = parent["id"].clone();
    let child = app.create(child_route, &body).await;
    let parent_path = format!("{ROUTE}/{}", parent["id"].as_str().expect("an id"));
    let child_path = format!("{child_route}/{}", child["id"].as_str().expect("an id"));
    let response = app.delete(&parent_path).await;
{%- match c.outcome %}
{%- when ChildOutcome::Refused %}
    assert_eq!(response.status, 409, "{response:?}");
    assert_eq!(response.error_code(), "conflict");
    assert_eq!(app.get(&parent_path).await.status, 200);
    assert_eq!(app.get(&child_path).await.status, 200);
{%- when ChildOutcome::Deleted %}
    assert_eq!(response.status, 204, "{response:?}");
    assert_eq!(app.get(&child_path).await.status, 404);
{%- when ChildOutcome::Emptied %}
    assert_eq!(response.status, 204, "{response:?}");
    let child = app.get(&child_path).await;
    assert_eq!(child.body[field], Value::Null, "{child:?}");
{%- endmatch %}
}
{%- endfor %}
{%- else %}
//!
//! specgen generates no tests for {{ e.plural_words }}: their required references form a
//! cycle, so no valid sample can be built in one request.
{%- endif %}
