//! Schema changes, one case per kind: each `tests/migrations/<case>.spec` holds an old spec
//! and, after a line `=== new`, the new one (both under the same front matter), then
//! optionally `=== rows` (SQL seeding the old schema), `=== check` (`query => expected`
//! after the migration) and `=== fails` (the message a data check fails with), which
//! `tests/migrate` uses on real databases. The old
//! spec's first build gives the repo's history; the snapshot holds what the new spec's
//! build plans: the plan in plain words and the next migration's SQL for SQLite and
//! PostgreSQL, or the diagnostics of the changes it refuses.
//!
//! Whether the SQL runs and ends in the schema a fresh database gets is checked on real
//! SQLite and PostgreSQL by `tests/migrate` at the top of the workspace; that it keeps
//! every row through a real app's history, by the end-to-end suite (`tests/e2e`).

use std::path::Path;

use specgen_diagnostics::render;
use specgen_emit::{EmitOptions, History, SCHEMA_RECORD, emit, plan};
use specgen_ir::App;
use specgen_lower::{MemoryLoader, compile};

/// The front matter every case's two specs share (also read by the migrate test, which
/// runs each case's migrations on real databases).
const FRONT: &str = include_str!("migrations/front-matter.txt");

fn options() -> EmitOptions {
    EmitOptions {
        specgen_version: "0.1.0".to_owned(),
    }
}

/// Compiles `body` under the common front matter; the rendered errors when it has any.
fn app(body: &str) -> Result<(App, specgen_diagnostics::SourceMap), String> {
    let text = format!("{FRONT}{body}");
    let files = [("app.spec".to_owned(), text)].into_iter().collect();
    let compiled = compile("app.spec", &MemoryLoader(files));
    match compiled.app {
        Some(app) if !compiled.diagnostics.iter().any(|d| d.is_error()) => {
            Ok((app, compiled.sources))
        }
        _ => Err(render::human(
            &compiled.sources,
            &compiled.diagnostics,
            false,
        )),
    }
}

/// The history a first build of `app` leaves in its repo.
fn history(app: &App) -> History {
    let files = emit(app, &options());
    let mut history = History::default();
    for file in files {
        if file.path == SCHEMA_RECORD {
            history.schema_json = file.contents;
        } else if file.path.starts_with("migrations/") && file.path.ends_with(".sql") {
            history.last_version = 1;
            history.migrations.push((file.path, file.contents));
        }
    }
    assert!(
        !history.schema_json.is_empty(),
        "a first build records its schema"
    );
    history
}

fn snapshot(case: &str) -> String {
    let (old, rest) = case
        .split_once("=== new\n")
        .expect("a case holds `=== new` between its two specs");
    // Rows to seed and what to check after (`=== rows`, ...) are for tests/migrate.
    let new = rest.split("\n=== ").next().unwrap_or(rest);
    let (old, _) = app(old).unwrap_or_else(|e| panic!("the old spec has errors:\n{e}"));
    let (new, sources) = app(new).unwrap_or_else(|e| panic!("the new spec has errors:\n{e}"));
    let history = history(&old);
    let plan = plan(&new, &options(), Some(&history)).expect("the history is readable");
    let mut out = format!("----- PLAN\n{}", plan.text);
    if !plan.refusals.is_empty() {
        out.push_str("----- REFUSED\n");
        out.push_str(&render::human(&sources, &plan.refusals, false));
        assert!(
            plan.migration.is_none(),
            "a refused plan writes no migration"
        );
    }
    if let Some(m) = &plan.migration {
        out.push_str(&format!(
            "----- migrations/sqlite/{}.sql\n{}",
            m.name, m.sqlite
        ));
        out.push_str(&format!(
            "----- migrations/postgres/{}.sql\n{}",
            m.name, m.postgres
        ));
        // Written migrations are history: the next build writes them again, unchanged.
        let files = specgen_emit::emit_planned(&new, &options(), &plan);
        for (path, contents) in &history.migrations {
            let again = files.iter().find(|f| &f.path == path).expect("kept");
            assert_eq!(&again.contents, contents, "{path} was rewritten");
        }
    }
    out
}

#[test]
fn every_schema_change_has_its_plan_and_migration() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/migrations");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/migrations exists")
        .map(|e| e.expect("readable").path())
        .filter(|p| p.extension().is_some_and(|e| e == "spec"))
        .collect();
    names.sort();
    assert!(names.len() >= 15, "one case per kind of change");
    for path in names {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).expect("readable");
        insta::with_settings!({ snapshot_suffix => name.clone(), prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!("migration", snapshot(&text));
        });
    }
}

#[test]
fn an_unchanged_spec_writes_no_migration() {
    let (app, _) = app("## Room\n- name {text, 1..80}\n").unwrap();
    let plan = plan(&app, &options(), Some(&history(&app))).unwrap();
    assert!(plan.migration.is_none() && plan.refusals.is_empty());
}

#[test]
fn the_next_migration_comes_after_every_one_in_the_repo() {
    let (old, _) = app("## Room\n- name {text, 1..80}\n").unwrap();
    let (new, _) = app("## Room\n- name {text, 1..80}\n- floor {integer, optional}\n").unwrap();
    let mut history = history(&old);
    // A hand-written 0007 in the folder: specgen's next migration is 0008.
    history.last_version = 7;
    let plan = plan(&new, &options(), Some(&history)).unwrap();
    assert_eq!(plan.migration.unwrap().name, "0008_add_rooms_floor");
}

#[test]
fn an_unreadable_schema_record_is_an_error_that_says_what_to_do() {
    let (app, _) = app("## Room\n- name {text, 1..80}\n").unwrap();
    let history = History {
        schema_json: "{ not json".to_owned(),
        ..History::default()
    };
    let err = plan(&app, &options(), Some(&history)).unwrap_err();
    assert!(err.to_string().contains("restore it"), "{err}");
}
