// {{ header }}
//! The access matrix, tested end to end: for every resource, action and kind of caller
//! (anonymous; each role; for records with an owner, also their owner; for each person a
//! record names in an access line, that person), the API answers
//! exactly what `specgen explain {{ spec_file }}` prints (`Permissions::decide`).
//! Refusals are 401 when not signed in and 403 when signed in; a caller allowed only their
//! own records gets others' records hidden (404, missing from lists), or 403 for changing one
//! they may read.

// Not every app's matrix needs every helper and outcome.
#![allow(dead_code)]

use serde_json::{Value, json};

use crate::auth_support::Caller;
use crate::helpers::{Requests, TestApp, TestResponse, spawn_app};

/// A kind of caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Anonymous,
    /// Signed in with this role; owns nothing under test.
    Role(&'static str),
    /// Signed in with this role; owns the record under test.
    Owner(&'static str),
    /// Signed in with this role; the record under test names them in this field (made by
    /// an admin, owned by someone else).
    Named(&'static str, &'static str),
    /// Signed in with this role; the record under test references a record that names
    /// them, as the [`Parent`] says.
    Through(&'static str, &'static Parent),
}

/// How a record names a person through a reference: "the event's organizer".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Parent {
    /// The reference of the record under test.
    reference: &'static str,
    /// The referenced resource's route and sample body.
    route: &'static str,
    body: &'static str,
    /// The referenced record's field that names the person.
    person: &'static str,
}

impl Who {
    /// The caller's role; `None` when not signed in.
    fn role(self) -> Option<&'static str> {
        match self {
            Who::Anonymous => None,
            Who::Role(role) | Who::Owner(role) | Who::Named(role, _) => Some(role),
            Who::Through(role, ..) => Some(role),
        }
    }
}

/// What the API must answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// 200 (201 for create, 204 for delete); lists include the record.
    Allowed,
    /// 404, as if the record did not exist; lists leave it out.
    Hidden,
    /// 401: sign in first.
    Unauthorized,
    /// 403: signed in, but not allowed.
    Forbidden,
    /// 422: a required field the caller may not set, or a required reference to records the
    /// caller may not read.
    Invalid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    List,
    Read,
    Create,
    Update,
    Delete,
}

/// How records of a resource get owners.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    /// Nobody owns them.
    Nobody,
    /// This field names the account that created the record.
    Field(&'static str),
    /// Accounts: each one owns itself.
    Account,
}

/// One resource under test.
struct Resource {
    route: &'static str,
    /// Whose sample body (`booking` for [`TestApp::booking_body`]).
    body: &'static str,
    owner: Owner,
    /// Per caller role (`None`: anonymous), the fields it may not set (`set by`): left out of
    /// the bodies it sends.
    unsettable: &'static [(Option<&'static str>, &'static [&'static str])],
    /// Per caller role, the references that must name a record the caller owns (they may
    /// read only their own records of the target), with the target.
    own_targets: &'static [(&'static str, &'static str, &'static Resource)],
}

/// A valid body for a new record of `resource`, made with the app's sample bodies.
async fn body(app: &TestApp, resource: &Resource) -> Value {
    sample(app, resource.body).await
}

/// The sample body called `name` (`booking` for [`TestApp::booking_body`]).
async fn sample(app: &TestApp, name: &str) -> Value {
    match name {
{%- for arm in t.body_arms %}
{{ arm }}
{%- endfor %}
        other => panic!("no sample body for `{other}`"),
    }
}

/// A fresh signed-in account for `who`; none for anonymous callers.
async fn caller(app: &TestApp, who: Who) -> Option<Caller> {
    match who.role() {
        None => None,
        Some(role) => Some(app.caller(role).await),
    }
}

/// Requests as `caller`, or anonymous.
fn requests<'a>(app: &'a TestApp, caller: Option<&Caller>) -> Requests<'a> {
    match caller {
        Some(caller) => app.as_caller(caller),
        None => app.anonymous(),
    }
}

/// A record for `who` to act on, made by the admin: owned by `caller` when `who` is an
/// owner, else by a fresh account of its own; naming `caller` in the field of a `Named`.
async fn record_for(
    app: &TestApp,
    resource: &Resource,
    who: Who,
    caller: Option<&Caller>,
) -> Value {
    let owner = match (who, caller) {
        (Who::Owner(_), Some(caller)) => caller.clone(),
        _ => app.caller("{{ t.default_role }}").await,
    };
    let body = || async {
        let mut body = body(app, resource).await;
        match (who, caller) {
            (Who::Named(_, field), Some(caller)) => body[field] = json!(caller.id),
            (Who::Through(_, through), Some(caller)) => {
                let mut parent = sample(app, through.body).await;
                parent[through.person] = json!(caller.id);
                let parent = app.create(through.route, &parent).await;
                body[through.reference] = parent["id"].clone();
            }
            _ => {}
        }
        body
    };
    match resource.owner {
        Owner::Nobody => app.create(resource.route, &body().await).await,
        Owner::Field(field) => {
            let mut body = body().await;
            body[field] = json!(owner.id);
            app.create(resource.route, &body).await
        }
        Owner::Account => {
            let response = app.get(&format!("{}/{}", resource.route, owner.id)).await;
            assert_eq!(response.status, 200, "{response:?}");
            response.body
        }
    }
}

/// The body `who` sends to create a record: the sample without the owner field (the server
/// sets it) and without the fields `who` may not set, its references naming records `who`
/// may read.
async fn create_body(
    app: &TestApp,
    resource: &Resource,
    who: Who,
    caller: Option<&Caller>,
) -> Value {
    let mut body = body(app, resource).await;
    let object = body.as_object_mut().expect("an object");
    if let Owner::Field(field) = resource.owner {
        object.remove(field);
    }
    let role = who.role();
    for (_, fields) in resource.unsettable.iter().filter(|(r, _)| *r == role) {
        for field in *fields {
            object.remove(*field);
        }
    }
    for &(owner, field, target) in resource.own_targets {
        if Some(owner) == role {
            let owned = record_for(app, target, Who::Owner(owner), caller).await;
            body[field] = owned["id"].clone();
        }
    }
    body
}

/// Checks each caller's answer to `action` on `resource`.
async fn check(app: &TestApp, resource: &Resource, action: Action, cases: &[(Who, Expect)]) {
    check_in(app, resource, action, &[], cases).await;
}

/// [`check`] on records brought to a row state first: an admin makes the changes `steps`
/// to each record before the caller acts on it.
async fn check_in(
    app: &TestApp,
    resource: &Resource,
    action: Action,
    steps: &[Value],
    cases: &[(Who, Expect)],
) {
    for &(who, expect) in cases {
        let caller = caller(app, who).await;
        let request = requests(app, caller.as_ref());
        let context = format!("{action:?} {} as {who:?}", resource.route);
        if action == Action::Create {
            let body = create_body(app, resource, who, caller.as_ref()).await;
            let response = request.post(resource.route, &body).await;
            assert_outcome(&response, expect, 201, &context);
            if let (Owner::Field(field), Some(caller), Expect::Allowed) =
                (resource.owner, &caller, expect)
            {
                assert_eq!(
                    response.body[field],
                    caller.id.as_str(),
                    "{context}: the owner"
                );
            }
            continue;
        }
        let record = record_for(app, resource, who, caller.as_ref()).await;
        let item = format!(
            "{}/{}",
            resource.route,
            record["id"].as_str().expect("an id")
        );
        for step in steps {
            let response = app.patch(&item, step).await;
            assert_eq!(response.status, 200, "{context}: to {step}: {response:?}");
        }
        match action {
            Action::List => {
                let response = request.get_with(resource.route, &[("limit", "100")]).await;
                let listed = response.items().any(|item| item["id"] == record["id"]);
                match expect {
                    Expect::Allowed => assert!(listed, "{context}: {response:?}"),
                    Expect::Hidden => {
                        assert_eq!(response.status, 200, "{context}: {response:?}");
                        assert!(!listed, "{context}: listed someone else's record");
                    }
                    _ => assert_outcome(&response, expect, 200, &context),
                }
            }
            Action::Read => assert_outcome(&request.get(&item).await, expect, 200, &context),
            Action::Update => {
                let response = request.patch(&item, &json!({})).await;
                assert_outcome(&response, expect, 200, &context);
            }
            Action::Delete => assert_outcome(&request.delete(&item).await, expect, 204, &context),
            Action::Create => unreachable!("handled above"),
        }
    }
}

/// Fails unless `response` is what `expect` says (`allowed`: the success status).
#[track_caller]
fn assert_outcome(response: &TestResponse, expect: Expect, allowed: u16, context: &str) {
    let (status, code) = match expect {
        Expect::Allowed => (allowed, None),
        Expect::Hidden => (404, Some("not_found")),
        Expect::Unauthorized => (401, Some("unauthorized")),
        Expect::Forbidden => (403, Some("forbidden")),
        Expect::Invalid => (422, Some("validation_failed")),
    };
    assert_eq!(response.status, status, "{context}: {response:?}");
    if let Some(code) = code {
        assert_eq!(response.error_code(), code, "{context}: {response:?}");
    }
}

/// Checks that each caller sees a field (`true`) or gets the record without it.
async fn check_visible(app: &TestApp, resource: &Resource, cases: &[(Who, &str, bool)]) {
    for &(who, field, visible) in cases {
        let caller = caller(app, who).await;
        let record = record_for(app, resource, who, caller.as_ref()).await;
        let item = format!(
            "{}/{}",
            resource.route,
            record["id"].as_str().expect("an id")
        );
        let response = requests(app, caller.as_ref()).get(&item).await;
        assert_eq!(response.status, 200, "{who:?}: {response:?}");
        let shown = response
            .body
            .as_object()
            .is_some_and(|o| o.contains_key(field));
        assert_eq!(shown, visible, "`{field}` as {who:?}: {response:?}");
    }
}

/// Checks that each caller may set a field when creating a record (`true`), or is refused
/// with 422 `forbidden`.
async fn check_settable_on_create(app: &TestApp, resource: &Resource, cases: &[(Who, &str, bool)]) {
    for &(who, field, settable) in cases {
        let caller = caller(app, who).await;
        let sample = body(app, resource).await;
        let mut sent = create_body(app, resource, who, caller.as_ref()).await;
        sent[field] = sample[field].clone();
        let response = requests(app, caller.as_ref())
            .post(resource.route, &sent)
            .await;
        if settable {
            assert_eq!(response.status, 201, "`{field}` as {who:?}: {response:?}");
        } else {
            assert_eq!(response.status, 422, "`{field}` as {who:?}: {response:?}");
            response.assert_field_error(field, "forbidden");
        }
    }
}

/// Checks that each caller may change a field of a record they may change (`true`), or is
/// refused with 422 `forbidden`.
async fn check_settable_on_update(app: &TestApp, resource: &Resource, cases: &[(Who, &str, bool)]) {
    for &(who, field, settable) in cases {
        let caller = caller(app, who).await;
        let record = record_for(app, resource, who, caller.as_ref()).await;
        let item = format!(
            "{}/{}",
            resource.route,
            record["id"].as_str().expect("an id")
        );
        let change = json!({ field: record[field] });
        let response = requests(app, caller.as_ref()).patch(&item, &change).await;
        if settable {
            assert_eq!(response.status, 200, "`{field}` as {who:?}: {response:?}");
        } else {
            assert_eq!(response.status, 422, "`{field}` as {who:?}: {response:?}");
            response.assert_field_error(field, "forbidden");
        }
    }
}

/// Checks that each caller, who may list records but not see a field, may neither filter
/// (`true`) nor sort by it: a search would reveal the values.
async fn check_unsearchable(app: &TestApp, resource: &Resource, cases: &[(Who, &str, bool)]) {
    for &(who, field, filter) in cases {
        let caller = caller(app, who).await;
        let record = record_for(app, resource, who, caller.as_ref()).await;
        let value = match &record[field] {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        let query = if filter {
            [(field, value.as_str())]
        } else {
            [("sort", field)]
        };
        let response = requests(app, caller.as_ref())
            .get_with(resource.route, &query)
            .await;
        assert_eq!(response.status, 400, "`{field}` as {who:?}: {response:?}");
        let reported = if filter { field } else { "sort" };
        response.assert_field_error(reported, "forbidden");
    }
}

/// A new record belongs to whoever creates it: the owner field comes from the session, is
/// refused from anyone but an admin, and only an admin may hand the record to someone else,
/// unless a rule fixes the owner for good (`fixed`: the code that refuses it, even to admins).
async fn check_owner(
    app: &TestApp,
    resource: &Resource,
    role: &'static str,
    may_update: bool,
    fixed: Option<&str>,
) {
    let Owner::Field(field) = resource.owner else {
        panic!("{} has no owner field", resource.route);
    };
    let creator = app.caller(role).await;
    let someone = app.caller(role).await;
    let body = create_body(app, resource, Who::Role(role), Some(&creator)).await;
    let created = app.as_caller(&creator).post(resource.route, &body).await;
    assert_eq!(created.status, 201, "{created:?}");
    assert_eq!(created.body[field], creator.id.as_str());

    let mut claimed = body.clone();
    claimed[field] = json!(someone.id);
    let refused = app.as_caller(&creator).post(resource.route, &claimed).await;
    assert_eq!(refused.status, 422, "{refused:?}");
    refused.assert_field_error(field, "read_only");

    let item = format!("{}/{}", resource.route, created.id());
    if may_update {
        let change = json!({ field: someone.id });
        let refused = app.as_caller(&creator).patch(&item, &change).await;
        assert_eq!(refused.status, 422, "{refused:?}");
        refused.assert_field_error(field, "read_only");
    }
    let handed = app.patch(&item, &json!({ field: someone.id })).await;
    match fixed {
        None => {
            assert_eq!(
                handed.status, 200,
                "admins may hand a record over: {handed:?}"
            );
            assert_eq!(handed.body[field], someone.id.as_str());
        }
        Some(code) => {
            assert_eq!(handed.status, 422, "the owner never changes: {handed:?}");
            handed.assert_field_error(field, code);
            let kept = app.get(&item).await;
            assert_eq!(kept.body[field], creator.id.as_str());
        }
    }
}

{%- if t.has_handovers() %}

/// A caller of `role` who may change a record because `field` names them may not hand it
/// to someone else (403), and the record still names them; a change that keeps naming
/// them goes through.
async fn check_not_handed_over(
    app: &TestApp,
    resource: &Resource,
    role: &'static str,
    field: &'static str,
) {
    let named = app.caller(role).await;
    let someone = app.caller(role).await;
    let record = record_for(app, resource, Who::Named(role, field), Some(&named)).await;
    let id = record["id"].as_str().expect("an id");
    let item = format!("{}/{id}", resource.route);
    let requests = app.as_caller(&named);
    let handed = requests.patch(&item, &json!({ field: someone.id })).await;
    assert_eq!(handed.status, 403, "{handed:?}");
    let kept = app.get(&item).await;
    assert_eq!(kept.body[field], named.id.as_str(), "{kept:?}");
    let same = requests.patch(&item, &json!({ field: named.id })).await;
    assert_eq!(same.status, 200, "{same:?}");
}
{%- endif %}

/// A reference must name a record the caller may read: a caller of `role` naming one of
/// `target` they may not read is refused exactly as for a missing record (422 `not_found`,
/// the same error), on create and, when `on_update`, on changing the reference of a record
/// of their own. Nobody can attach records to someone else's or probe which ids exist.
async fn check_hidden_reference(
    app: &TestApp,
    resource: &Resource,
    role: &'static str,
    field: &str,
    target: &Resource,
    on_update: bool,
) {
    let caller = app.caller(role).await;
    let who = Who::Role(role);
    let hidden = record_for(app, target, who, Some(&caller)).await;
    let body = create_body(app, resource, who, Some(&caller)).await;
    let request = app.as_caller(&caller);

    let mut sent = body.clone();
    sent[field] = hidden["id"].clone();
    let refused = request.post(resource.route, &sent).await;
    sent[field] = json!(uuid::Uuid::now_v7());
    let missing = request.post(resource.route, &sent).await;
    assert_looks_missing(&refused, &missing, field);
    if !on_update {
        return;
    }
    let created = request.post(resource.route, &body).await;
    assert_eq!(created.status, 201, "{created:?}");
    let item = format!("{}/{}", resource.route, created.id());
    let refused = request.patch(&item, &json!({ field: hidden["id"] })).await;
    let missing = request
        .patch(&item, &json!({ field: uuid::Uuid::now_v7() }))
        .await;
    assert_looks_missing(&refused, &missing, field);
    let kept = request.get(&item).await;
    assert_eq!(kept.body[field], created.body[field], "{kept:?}");
}

/// `refused` (naming a hidden record) is the answer for a missing one: 422 `not_found` on
/// `field`, with the same error but for the request id.
#[track_caller]
fn assert_looks_missing(refused: &TestResponse, missing: &TestResponse, field: &str) {
    assert_eq!(refused.status, 422, "{refused:?}");
    refused.assert_field_error(field, "not_found");
    let error = |response: &TestResponse| {
        let mut error = response.body["error"].clone();
        if let Some(error) = error.as_object_mut() {
            error.remove("request_id");
        }
        error
    };
    assert_eq!(
        error(refused),
        error(missing),
        "a hidden `{field}` must look missing"
    );
}
{%- for r in t.resources %}

// {{ r.plural_words }} ---------------------------------------------------------------

{{ r.resource_const }}
{%- for a in r.actions %}

#[tokio::test]
async fn {{ a.test_name }}() {
    let app = spawn_app().await;
{%- if let Some(steps) = a.steps %}
{{ steps }}
{{ a.cases }}
    let resource = &{{ r.const_name }};
    check_in(&app, resource, {{ a.action }}, &steps, &cases).await;
{%- else %}
{{ a.cases }}
    let resource = &{{ r.const_name }};
    check(&app, resource, {{ a.action }}, &cases).await;
{%- endif %}
}
{%- endfor %}
{%- if let Some(f) = r.visible %}

#[tokio::test]
async fn {{ f.test_name }}() {
    let app = spawn_app().await;
{{ f.cases }}
    let resource = &{{ r.const_name }};
    check_visible(&app, resource, &cases).await;
}
{%- endif %}
{%- if let Some(f) = r.settable_on_create %}

#[tokio::test]
async fn {{ f.test_name }}() {
    let app = spawn_app().await;
{{ f.cases }}
    let resource = &{{ r.const_name }};
    check_settable_on_create(&app, resource, &cases).await;
}
{%- endif %}
{%- if let Some(f) = r.settable_on_update %}

#[tokio::test]
async fn {{ f.test_name }}() {
    let app = spawn_app().await;
{{ f.cases }}
    let resource = &{{ r.const_name }};
    check_settable_on_update(&app, resource, &cases).await;
}
{%- endif %}
{%- if let Some(f) = r.unsearchable %}

#[tokio::test]
async fn {{ f.test_name }}() {
    let app = spawn_app().await;
{{ f.cases }}
    let resource = &{{ r.const_name }};
    check_unsearchable(&app, resource, &cases).await;
}
{%- endif %}
{%- for h in r.hidden_references %}

#[tokio::test]
async fn {{ h.test_name }}() {
    let app = spawn_app().await;
{{ h.call }}
}
{%- endfor %}
{%- if let Some(o) = r.owner_test %}

#[tokio::test]
async fn {{ o.test_name }}() {
    let app = spawn_app().await;
    let (resource, role) = (&{{ r.const_name }}, "{{ o.role }}");
{{ o.call }}
}
{%- endif %}
{%- for h in r.handovers %}

#[tokio::test]
async fn {{ h.test_name }}() {
    let app = spawn_app().await;
    check_not_handed_over(&app, &{{ r.const_name }}, "{{ h.role }}", {{ h.field }}).await;
}
{%- endfor %}
{%- endfor %}
