//! View models of the generated API tests (`tests/api/`): a valid sample body per entity,
//! and per entity the cases that must fail, with the code each failure must carry.
//!
//! This module holds the shared test helpers' view (sample bodies, values); the entity
//! tests are in [`entity`], the access matrix in [`access`], the rules in [`rules`] and
//! sign-in in [`auth`].

pub mod access;
pub mod auth;
pub mod entity;
pub mod rules;

use std::collections::BTreeMap;

use askama::Template;
use specgen_ir::{App, CompareOp, Entity, Field, FieldType, RuleKind, Value};

use entity::{ChildOutcome, EntityTests};
use rules::{
    ByRoleTest, ImmutableTest, LimitTest, OverlapTest, RuleTests, TransitionTest, WindowTest,
};

use crate::facts::fields::settable_on_create;
use crate::files::Files;
use crate::layout;
use crate::names::{rust_f64, rust_str};

/// Adds the generated API tests: `tests/api/main.rs`, the shared helpers, health and
/// operations, one module per entity, the rules, and sign-in with the access matrix.
pub(crate) fn add_files(
    out: &mut Files,
    app: &App,
    auth: Option<&crate::facts::auth::AuthFacts>,
    header: &str,
) {
    let crate_name = app.crate_name.as_str();
    let spec_file = app.spec_file.as_str();
    let has_auth = app.auth.is_some();
    let helpers = HelpersView::new(app);
    let rule_tests = RuleTests::new(app, |e| {
        helpers
            .bodies
            .iter()
            .any(|b| b.snake == e.snake && b.creatable)
    });
    let test_modules: &[&str] = if rule_tests.is_empty() {
        &["health", "helpers", "ops"]
    } else {
        &["health", "helpers", "ops", "rules"]
    };
    out.add(
        "tests/api/main.rs",
        &TestsMain {
            header,
            modules: modules(app, &[test_modules, &auth::test_modules(app)].concat()),
        },
    );
    out.add(
        "tests/api/health.rs",
        &TestsHealth {
            header,
            first_route: app.entities.first().map(|e| e.route.clone()),
        },
    );
    out.add(
        "tests/api/ops.rs",
        &TestsOps {
            header,
            crate_name,
            name: &app.name,
            has_auth,
            route_line: app.entities.first().map(|e| route_line(&e.route)),
            slow_route_line: if has_auth {
                Some(route_line("/api/auth/sign-in"))
            } else {
                app.entities.first().map(|e| route_line(&e.route))
            },
            record: helpers
                .bodies
                .iter()
                .zip(&app.entities)
                .find(|(body, _)| body.creatable)
                .map(|(body, entity)| OpsRecord {
                    create_line: layout::awaited(
                        4,
                        "let record = ",
                        "app",
                        &format!("create_{}()", body.snake),
                        ";",
                    ),
                    sql_line: layout::assign(
                        4,
                        "let sql",
                        &rust_str(&format!(
                            "SELECT COUNT(*) FROM {} WHERE CAST(id AS TEXT) = $1",
                            entity.table
                        )),
                    ),
                }),
        },
    );
    out.add(
        "tests/api/helpers.rs",
        &TestsHelpers {
            header,
            crate_name,
            h: &helpers,
            has_auth,
            admin_role: app.admin_role().map_or("admin", |role| role.name.as_str()),
        },
    );
    auth::add_files(out, app, auth, header, &helpers);
    if !rule_tests.is_empty() {
        out.add(
            "tests/api/rules.rs",
            &TestsRules {
                header,
                spec_file,
                crate_name: app.crate_name.as_str(),
                uses_json: rule_tests.uses_json(),
                uses_text: rule_tests.uses_text,
                has_windows: !rule_tests.windows.is_empty(),
                writes_directly: rule_tests.writes_directly(),
                uses_item: rule_tests.uses_item(),
                limits: &rule_tests.limits,
                overlaps: &rule_tests.overlaps,
                windows: &rule_tests.windows,
                transitions: &rule_tests.transitions,
                by_role: &rule_tests.by_role,
                immutables: &rule_tests.immutables,
            },
        );
    }
    for entity in &app.entities {
        let tests = EntityTests::new(app, entity, &helpers);
        out.add(
            &format!("tests/api/{}.rs", entity.plural_snake),
            &TestsEntity {
                header,
                spec_file,
                e: entity,
                t: &tests,
            },
        );
    }
}

/// Module names, sorted as rustfmt sorts `mod` items (plain byte order).
fn modules(app: &App, others: &[&str]) -> Vec<String> {
    let mut modules: Vec<String> = app
        .entities
        .iter()
        .map(|e| e.plural_snake.clone())
        .chain(others.iter().map(|m| (*m).to_owned()))
        .collect();
    modules.sort();
    modules
}

#[derive(Template)]
#[template(path = "backend/tests/api/main.rs")]
struct TestsMain<'a> {
    header: &'a str,
    modules: Vec<String>,
}

#[derive(Template)]
#[template(path = "backend/tests/api/health.rs")]
struct TestsHealth<'a> {
    header: &'a str,
    first_route: Option<String>,
}

#[derive(Template)]
#[template(path = "backend/tests/api/helpers.rs")]
struct TestsHelpers<'a> {
    header: &'a str,
    crate_name: &'a str,
    h: &'a HelpersView,
    has_auth: bool,
    admin_role: &'a str,
}

#[derive(Template)]
#[template(path = "backend/tests/api/rules.rs")]
struct TestsRules<'a> {
    header: &'a str,
    spec_file: &'a str,
    crate_name: &'a str,
    /// Whether a test sets a field with `json!`.
    uses_json: bool,
    uses_text: bool,
    has_windows: bool,
    writes_directly: bool,
    /// Whether a test names a record by `route/id` (the `item` helper).
    uses_item: bool,
    limits: &'a [LimitTest],
    overlaps: &'a [OverlapTest],
    windows: &'a [WindowTest],
    transitions: &'a [TransitionTest],
    by_role: &'a [ByRoleTest],
    immutables: &'a [ImmutableTest],
}

#[derive(Template)]
#[template(path = "backend/tests/api/entity.rs")]
struct TestsEntity<'a> {
    header: &'a str,
    spec_file: &'a str,
    e: &'a Entity,
    t: &'a EntityTests,
}

#[derive(Template)]
#[template(path = "backend/tests/api/ops.rs")]
struct TestsOps<'a> {
    header: &'a str,
    crate_name: &'a str,
    name: &'a str,
    has_auth: bool,
    /// `let route = "..";` with the first resource's route, for the metrics test.
    route_line: Option<String>,
    /// `let route = "..";` with a POST route that reads its whole body before it answers,
    /// for the shutdown test.
    slow_route_line: Option<String>,
    /// A record the backup test creates and finds again.
    record: Option<OpsRecord>,
}

/// The record of the backup test: the line that creates it and the query that finds it.
struct OpsRecord {
    create_line: String,
    sql_line: String,
}

/// `let route = "<route>";` in a test function's body.
fn route_line(route: &str) -> String {
    layout::assign(4, "let route", &rust_str(route))
}

/// `tests/api/helpers.rs`: one body builder per entity.
#[derive(Debug, Clone)]
pub struct HelpersView {
    pub bodies: Vec<BodyView>,
}

#[derive(Debug, Clone)]
pub struct BodyView {
    /// `let body = self.<snake>_body().await;`, laid out.
    pub body_line: String,
    pub snake: String,
    pub words: String,
    pub route: String,
    /// Whether a body can be built (no cycle of required references).
    pub creatable: bool,
    pub uses_n: bool,
    /// The `json!` object, indented for the body function.
    pub json: String,
}

impl HelpersView {
    pub fn new(app: &App) -> HelpersView {
        let creatable = creatable(app);
        let bodies = app
            .entities
            .iter()
            .map(|entity| {
                let samples = samples(app, entity);
                let uses_n = samples.iter().any(|(_, value)| uses_counter(value));
                let json = if samples.is_empty() {
                    "        json!({})".to_owned()
                } else {
                    let lines: Vec<String> = samples
                        .iter()
                        .map(|(json, value)| format!("            {}: {value},", rust_str(json)))
                        .collect();
                    format!("        json!({{\n{}\n        }})", lines.join("\n"))
                };
                BodyView {
                    body_line: layout::awaited(
                        8,
                        "let body = ",
                        "self",
                        &format!("{}_body()", entity.snake),
                        ";",
                    ),
                    snake: entity.snake.clone(),
                    words: entity.words.clone(),
                    route: entity.route.clone(),
                    creatable: creatable.get(&entity.name).copied().unwrap_or(false),
                    uses_n,
                    json,
                }
            })
            .collect();
        HelpersView { bodies }
    }
}

/// Which entities a valid body can be built for: those whose required references do not
/// lead back to themselves.
pub(super) fn creatable(app: &App) -> BTreeMap<String, bool> {
    fn visit(app: &App, name: &str, path: &mut Vec<String>) -> bool {
        if path.iter().any(|p| p == name) {
            return false;
        }
        let Some(entity) = app.entity(name) else {
            return false;
        };
        path.push(name.to_owned());
        let ok = entity.fields.iter().all(|f| match &f.ty {
            FieldType::Reference { entity: target, .. } if f.required && settable_on_create(f) => {
                visit(app, target, path)
            }
            _ => true,
        });
        path.pop();
        ok
    }
    app.entities
        .iter()
        .map(|e| (e.name.clone(), visit(app, &e.name, &mut Vec::new())))
        .collect()
}

/// The sample body of an entity: `(json name, Rust expression)` for every field a client
/// sends, except optional references (left out so samples never recurse).
pub(super) fn samples(app: &App, entity: &Entity) -> Vec<(String, String)> {
    let ranks = ranks(entity);
    entity
        .fields
        .iter()
        .filter(|f| settable_on_create(f))
        .filter_map(|f| {
            let rank = ranks.get(&f.ident).copied().unwrap_or(0);
            sample(app, f, rank).map(|value| (f.json.clone(), value))
        })
        .collect()
}

fn sample(app: &App, field: &Field, rank: i64) -> Option<String> {
    Some(match &field.ty {
        FieldType::Text {
            min_length,
            max_length,
        } => format!("text(n, {min_length}, {max_length})"),
        FieldType::Email => "format!(\"user{n}@example.com\")".to_owned(),
        FieldType::Url => "format!(\"https://example.com/{n}\")".to_owned(),
        FieldType::Integer { min, max } | FieldType::Money { min, max } => {
            if field.unique {
                format!(
                    "integer(n, {}, {})",
                    min.unwrap_or(0),
                    max.unwrap_or(i64::MAX)
                )
            } else {
                let start = min.unwrap_or(1);
                let value = start.saturating_add(rank);
                int_literal(max.map_or(value, |max| value.min(max)))
            }
        }
        FieldType::Decimal { min, max } => {
            let start = min.map_or(1.5, |m| m + 0.5);
            let value = start + rank as f64;
            rust_f64(max.map_or(value, |max| value.min(max)))
        }
        FieldType::Boolean => "true".to_owned(),
        FieldType::Date => format!("date(n, {rank})"),
        FieldType::DateTime => format!("datetime(n, {rank})"),
        FieldType::Uuid => "Uuid::now_v7()".to_owned(),
        FieldType::Json => "json!({ \"sample\": n })".to_owned(),
        FieldType::Enum { values } => {
            let value = match &field.default {
                Some(Value::Enum(v) | Value::Text(v)) => v.clone(),
                _ => values.first()?.clone(),
            };
            rust_str(&value)
        }
        FieldType::Reference { entity, .. } => {
            if !field.required {
                return None;
            }
            let target = app.entity(entity)?;
            format!("self.create_{}().await[\"id\"]", target.snake)
        }
    })
}

fn uses_counter(expression: &str) -> bool {
    expression.contains("(n,") || expression.contains("{n}") || expression.contains(": n }")
}

/// Ranks that make the samples satisfy the entity's comparison rules: a field that must be
/// greater than another gets a higher rank, hence a later time or larger number.
fn ranks(entity: &Entity) -> BTreeMap<String, i64> {
    let mut ranks: BTreeMap<String, i64> = BTreeMap::new();
    for _ in 0..entity.rules.len() + 1 {
        for rule in &entity.rules {
            let RuleKind::Compare { left, op, right } = &rule.kind else {
                continue;
            };
            let l = ranks.get(left).copied().unwrap_or(0);
            let r = ranks.get(right).copied().unwrap_or(0);
            match op {
                CompareOp::Gt | CompareOp::Ge if l <= r => {
                    ranks.insert(left.clone(), r + 1);
                }
                CompareOp::Lt | CompareOp::Le if r <= l => {
                    ranks.insert(right.clone(), l + 1);
                }
                _ => {}
            }
        }
    }
    ranks
}

/// A valid value different from the sample, for the update test.
pub(super) fn new_value(field: &Field) -> Option<String> {
    Some(match &field.ty {
        FieldType::Text {
            min_length,
            max_length,
        } => {
            format!("text(app.next() + 1000, {min_length}, {max_length})")
        }
        FieldType::Email => "format!(\"changed{}@example.com\", app.next())".to_owned(),
        FieldType::Url => "format!(\"https://example.com/changed/{}\", app.next())".to_owned(),
        FieldType::Boolean => "false".to_owned(),
        FieldType::Enum { values } if values.len() > 1 => {
            let current = match &field.default {
                Some(Value::Enum(v) | Value::Text(v)) => v.clone(),
                _ => values[0].clone(),
            };
            rust_str(values.iter().find(|v| **v != current)?)
        }
        _ => return None,
    })
}

/// An integer literal, typed `i64` when it does not fit the default `i32`.
pub(super) fn int_literal(value: i64) -> String {
    if i32::try_from(value).is_ok() {
        value.to_string()
    } else {
        format!("{value}_i64")
    }
}
