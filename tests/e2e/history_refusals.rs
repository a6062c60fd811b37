//! Spec histories that must not go through, and what they must leave behind.
//!
//! - A v2 that drops a field without saying `{removed}` makes `specgen build` exit 1 with a
//!   diagnostic naming the field and `removed`, and it writes nothing: the repo is unchanged.
//! - A v2 that makes an optional field required without a default, over a table where that
//!   field is empty, builds (specgen cannot know the data) but its migration fails with a
//!   message naming the column and how many rows are empty; the database is left as it was:
//!   `_sqlx_migrations` has no `0002`, every record is intact and the v1 app still serves them.
//!
//! The specs live beside the history they break: `tests/e2e/histories/<example>/*.spec`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::app::Backend;
use crate::harness::{self, progress, read_tree, specgen_build, temp_dir, tree_difference};
use crate::history::{self, Api, Env};

/// The history these refusals start from.
const EXAMPLE: &str = "studio-bookings";
/// v1 with the booking's `note` line deleted, no `{removed}`.
const DROPS_A_FIELD: &str = "drops-a-field-silently.spec";
/// v1 with the booking's `note` required, no default.
const REQUIRES_AN_EMPTY_FIELD: &str = "requires-an-empty-field.spec";

fn selected() -> bool {
    let selected = history::selected()
        .iter()
        .any(|history| history.example == EXAMPLE);
    if !selected {
        progress(&format!(
            "skipping the refused histories: they start from {EXAMPLE}, which {} leaves out",
            harness::ONLY_VAR
        ));
    }
    selected
}

fn spec(file: &str) -> PathBuf {
    PathBuf::from(format!("tests/e2e/histories/{EXAMPLE}/{file}"))
}

#[test]
fn a_spec_history_that_drops_a_field_without_removed_is_refused_and_writes_nothing() {
    if !selected() {
        return;
    }
    let out = temp_dir();
    let repo = out.path().join(EXAMPLE);
    specgen_build(Path::new(&format!("examples/{EXAMPLE}.spec")), &repo)
        .unwrap_or_else(|e| panic!("{e}"));
    let before = read_tree(&repo);

    let output = Command::new(env!("CARGO_BIN_EXE_specgen"))
        .arg("build")
        .arg(spec(DROPS_A_FIELD))
        .arg("-o")
        .arg(&repo)
        .current_dir(harness::workspace_root())
        .output()
        .expect("run specgen");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout)
    );
    assert_eq!(
        output.status.code(),
        Some(1),
        "specgen build of a spec that drops `note` silently should exit 1; it said:\n{said}"
    );
    assert!(
        said.contains("note") && said.contains("removed"),
        "the diagnostic should name the field `note` and the `removed` marker:\n{said}"
    );
    if let Some(difference) = tree_difference(&before, &read_tree(&repo)) {
        panic!("the refused build changed the repo:\n{difference}");
    }
}

#[test]
fn a_migration_that_requires_a_field_some_rows_leave_empty_fails_and_changes_nothing() {
    if !selected() {
        return;
    }
    let started = Instant::now();
    let postgres = crate::postgres_or_skip("the PostgreSQL half of the refused migration test");
    let python = history::sqlite_reader();
    let target_dir = harness::workspace_root().join("target/e2e-generated");
    let mut backends = vec![Backend::Sqlite];
    if postgres.is_some() {
        backends.push(Backend::Postgres);
    }
    let mut failures = Vec::new();
    for backend in backends {
        let label = format!("[{EXAMPLE} refused migration, {backend}]");
        let out = temp_dir();
        let env = Env {
            backend,
            postgres: postgres.as_ref(),
            python: python.as_deref(),
            target_dir: &target_dir,
            out: out.path(),
            label: &label,
        };
        if let Err(error) = refused_migration(&env) {
            progress(&format!("{label} FAILED"));
            let kept = out.keep();
            failures.push(format!("{label} {error}\n(kept in {})", kept.display()));
        } else {
            progress(&format!("{label} ok"));
        }
    }
    progress(&format!(
        "the refused migrations took {:.0?}",
        started.elapsed()
    ));
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

fn refused_migration(env: &Env) -> Result<(), String> {
    let history = history::selected()
        .into_iter()
        .find(|history| history.example == EXAMPLE)
        .expect("selected");
    let repo = env.out.join(EXAMPLE);
    specgen_build(Path::new(&format!("examples/{EXAMPLE}.spec")), &repo)?;
    let v1 = env.build(&repo, "v1")?;
    let (deployment, inspect) = env.database("refused")?;
    env.step("v1: fill the database through the API");
    let (seed, snapshot) = history::fill(history, &deployment, &v1)?;
    let empty = snapshot["/api/bookings"]
        .values()
        .filter(|booking| booking["note"].is_null())
        .count();
    if empty == 0 {
        return Err("the filled database has no booking without a note".to_owned());
    }
    let rows_before = inspect.query("SELECT id, note FROM bookings ORDER BY id")?;

    env.step(&format!(
        "specgen build {}",
        spec(REQUIRES_AN_EMPTY_FIELD).display()
    ));
    specgen_build(&spec(REQUIRES_AN_EMPTY_FIELD), &repo)
        .map_err(|e| format!("specgen build of the required note failed:\n{e}"))?;
    let v2 = env.build(&repo, "v2")?;
    env.step("v2: migrate must fail");
    let error = match deployment.migrate(&v2) {
        Ok(()) => {
            return Err(format!(
                "`migrate` made `note` required although {empty} bookings have none"
            ));
        }
        // What the app printed, without the command line (its paths are random).
        Err(error) => error
            .split_once("----- stderr")
            .map_or(error.clone(), |(_, said)| said.to_owned()),
    };
    env.step(&format!(
        "v2: migrate failed as it should: {}",
        error.split_whitespace().collect::<Vec<_>>().join(" ")
    ));
    let count = empty.to_string();
    let says_count = error
        .split(|c: char| !c.is_ascii_digit())
        .any(|number| number == count);
    if !(error.contains("note") && says_count) {
        return Err(format!(
            "the failed migration should name the column `note` and the {empty} empty rows:\n{error}"
        ));
    }

    let applied = inspect.applied_versions()?;
    if applied != [1] {
        return Err(format!(
            "after the failed migration _sqlx_migrations holds {applied:?}, expected [1]"
        ));
    }
    let rows_after = inspect.query("SELECT id, note FROM bookings ORDER BY id")?;
    if rows_after != rows_before {
        return Err(format!(
            "the failed migration changed the bookings:\nbefore:\n{rows_before}\nafter:\n{rows_after}"
        ));
    }
    env.step("v1 still serves every record");
    let server = deployment.serve(&v1, "serve-v1-again")?;
    let again = history::read_all(&Api(&server), &seed.admin, snapshot.keys())?;
    server.stop()?;
    if again != snapshot {
        return Err("after the failed migration the v1 API shows other records".to_owned());
    }
    Ok(())
}
