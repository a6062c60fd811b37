//! View models of the generated API tests (`tests/api/`): a valid sample body per entity,
//! and per entity the cases that must fail, with the code each failure must carry.
//!
//! This module holds the shared test helpers' view (sample bodies, values); the entity
//! tests are in [`entity`], the access matrix in [`access`], the rules in [`rules`] and
//! sign-in in [`auth`].

mod access;
mod auth;
mod conditions;
mod entity;
mod handover;
mod helpers;
mod limits;
mod overlaps;
mod rows;
mod rules;

use askama::Template;
use specgen_ir::{App, Entity};

use entity::{ChildOutcome, EntityTests};
use helpers::HelpersView;
use limits::LimitTest;
use overlaps::OverlapTest;
use rules::{ByRoleTest, ImmutableTest, RuleTests, TransitionTest, WindowTest};

use crate::files::Files;
use crate::layout;
use crate::names::rust_str;

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
                has_windows: rule_tests.has_stored_windows(),
                has_create_windows: rule_tests.windows.iter().any(WindowTest::sets_own_time),
                writes_directly: rule_tests.writes_directly(),
                uses_item: rule_tests.uses_item(),
                uses_race: rule_tests.uses_race(),
                uses_listed: rule_tests.uses_listed(),
                uses_violated: rule_tests.uses_violated(),
                uses_test_app: rule_tests.uses_race()
                    || rule_tests.uses_listed()
                    || rule_tests.writes_directly()
                    || rule_tests.has_stored_windows(),
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
    /// Whether a window test moves a stored record back in time (`close_window`).
    has_windows: bool,
    /// Whether a window test sends a new record naming a time too close (`ago`).
    has_create_windows: bool,
    writes_directly: bool,
    /// Whether a test names a record by `route/id` (the `item` helper).
    uses_item: bool,
    /// Whether a test races requests (the `race` and `count` helpers).
    uses_race: bool,
    /// Whether a test counts the records listed for a parent (the `listed` helper).
    uses_listed: bool,
    /// Whether a test expects a rule's refusal (the `assert_violated` helper).
    uses_violated: bool,
    /// Whether a helper of the file takes the `TestApp`.
    uses_test_app: bool,
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
