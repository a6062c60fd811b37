//! End-to-end tests: every `examples/*.spec` goes through `specgen build`, and the generated
//! repository must be formatted, build, pass clippy with `-D warnings` and pass its own tests
//! on SQLite (default features) and on PostgreSQL (`--features postgres`, against a real
//! server). Generation must also be deterministic and must leave files it did not write alone,
//! and a rebuild after a spec change must merge specgen's changes into a developer's edits
//! and still give a repository that passes those checks.
//!
//! The corpus of small specs in `tests/e2e/specs/` (each rule kind alone, at its edge values:
//! specs no example resembles) is generated too, and each repository must be formatted, pass
//! clippy on all targets with `-D warnings` and pass its own tests on SQLite.
//!
//! All generated repositories share one target dir, `target/e2e-generated`, so their
//! dependencies compile once per run. Examples run one after the other (CI has two cores).
//!
//! Spec histories (`history.rs`): a database filled through one version's API is migrated
//! through later versions of the spec and keeps its records; refused histories
//! (`history_refusals.rs`) change nothing.
//!
//! The OpenAPI fuzz test (`fuzz.rs`): schemathesis against every example's live backend,
//! anonymously and as a caller of each role; 0 server errors, 0 answers outside the
//! document, 0 accepted requests the document calls invalid.
//!
//! Knobs: `SPECGEN_E2E_ONLY=<name>` runs one example or corpus spec; `SPECGEN_FUZZ_SEED`
//! reseeds the fuzz test; `SPECGEN_TEST_DATABASE_URL` uses an
//! existing PostgreSQL instead of a throwaway cluster; `SPECGEN_REQUIRE_POSTGRES=1` (set by
//! CI) turns a missing PostgreSQL into a failure instead of a loud skip.

mod app;
mod fuzz;
mod harness;
mod histories;
mod history;
mod history_refusals;
// The spec loader of `specgen build` itself, for the tests that read an example's IR.
#[path = "../../crates/specgen-cli/src/loader.rs"]
mod loader;
mod schema;
#[path = "../support/mod.rs"]
mod support;

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use harness::{
    CargoCheck, corpus, examples, progress, read_tree, specgen, specgen_build, temp_dir,
    tree_difference,
};
use support::postgres::{self, TestPostgres};
use support::process::run;

#[test]
fn every_example_is_formatted_builds_lints_and_passes_its_tests_on_sqlite_and_postgres() {
    let started = Instant::now();
    let postgres = postgres_or_skip("the PostgreSQL test run of every generated repository");
    let target_dir = harness::workspace_root().join("target/e2e-generated");
    let mut failures = Vec::new();
    let mut timings = Vec::new();

    let runs = examples()
        .into_iter()
        .map(|example| (example, checks(postgres.as_ref())))
        .chain(corpus().into_iter().map(|spec| (spec, corpus_checks())));
    for (example, checks) in runs {
        let out = temp_dir();
        let repo = out.path().join(&example.name);
        progress(&format!(
            "[{}] specgen build {}",
            example.name,
            example.spec.display()
        ));
        if let Err(error) = specgen_build(&example.spec, &repo) {
            failures.push(format!("[{}] specgen build failed:\n{error}", example.name));
            continue;
        }

        let mut failed = false;
        for check in checks {
            let label = check.label();
            progress(&format!("[{}] {label} ...", example.name));
            match check.run(&repo, &target_dir) {
                Ok(took) => {
                    progress(&format!("[{}] {label}: ok in {took:.1?}", example.name));
                    timings.push((example.name.clone(), label, took));
                }
                Err(error) => {
                    progress(&format!("[{}] {label}: FAILED", example.name));
                    failures.push(format!("[{}] {label} failed:\n{error}", example.name));
                    failed = true;
                    // Nothing after a failed build can pass; the later checks would only
                    // repeat its errors.
                    if check.args == ["build"] {
                        break;
                    }
                }
            }
        }
        if failed {
            let kept = out.keep();
            failures.push(format!(
                "[{}] the generated repository is kept at {}",
                example.name,
                kept.join(&example.name).display()
            ));
        }
    }

    progress(&format!("timings (total {:.0?}):", started.elapsed()));
    for (example, label, took) in &timings {
        progress(&format!("  {took:>8.1?}  [{example}] {label}"));
    }
    assert!(
        failures.is_empty(),
        "{} end-to-end failure(s):\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// The checks every generated repository must pass, in order. The PostgreSQL test run is
/// left out (after a loud warning) when no server is available.
fn checks(postgres: Option<&TestPostgres>) -> Vec<CargoCheck> {
    let mut checks = vec![
        CargoCheck::new(&["fmt", "--check", "--", "--color", "never"]),
        CargoCheck::new(&["build"]),
        CargoCheck::new(&["clippy", "--all-targets", "--", "-D", "warnings"]),
        CargoCheck::new(&["test"]),
        CargoCheck::new(&[
            "clippy",
            "--all-targets",
            "--no-default-features",
            "--features",
            "postgres",
            "--",
            "-D",
            "warnings",
        ]),
    ];
    if let Some(postgres) = postgres {
        let mut test =
            CargoCheck::new(&["test", "--no-default-features", "--features", "postgres"])
                .with_env("TEST_DATABASE_URL", postgres.admin_url());
        // The backup test needs pg_dump and pg_restore of the server's version: with our
        // own cluster we know where they are, so their absence is a failure, not a skip.
        if let Some(bindir) = postgres.bindir() {
            test = test
                .with_env("PG_BINDIR", bindir)
                .with_env("REQUIRE_PG_TOOLS", "1");
        }
        checks.push(test);
    }
    checks
}

/// The checks every repository generated from the corpus must pass: it is formatted, clippy
/// finds nothing in any target, and its tests pass on SQLite. Its PostgreSQL build is the
/// examples' to prove; these specs are about the code generated for unusual rule sets.
fn corpus_checks() -> Vec<CargoCheck> {
    vec![
        CargoCheck::new(&["fmt", "--check", "--", "--color", "never"]),
        CargoCheck::new(&["clippy", "--all-targets", "--", "-D", "warnings"]),
        CargoCheck::new(&["test"]),
    ]
}

/// A PostgreSQL server, or `None` after a loud warning that `skipped` will not run when
/// there is none and `SPECGEN_REQUIRE_POSTGRES` is not `1`.
fn postgres_or_skip(skipped: &str) -> Option<TestPostgres> {
    match TestPostgres::start() {
        Ok(postgres) => {
            progress(&format!("using {}", postgres.describe()));
            Some(postgres)
        }
        Err(reason) if std::env::var("SPECGEN_REQUIRE_POSTGRES").as_deref() == Ok("1") => {
            panic!("SPECGEN_REQUIRE_POSTGRES=1 but no PostgreSQL is available: {reason}")
        }
        Err(reason) => {
            let rule = "!".repeat(78);
            progress(&format!(
                "{rule}\nSKIPPING {skipped}: no PostgreSQL is available.\n{reason}\n\
                 Install PostgreSQL server binaries, or set {} to a superuser URL; \
                 SPECGEN_REQUIRE_POSTGRES=1 makes this an error.\n{rule}",
                postgres::URL_VAR
            ));
            None
        }
    }
}

#[test]
fn generating_an_example_twice_gives_byte_identical_files() {
    for example in examples() {
        // Two different parent folders: no absolute output path may leak into a file.
        let first = temp_dir();
        let second = temp_dir();
        let first = first.path().join(&example.name);
        let second = second.path().join(&example.name);
        specgen_build(&example.spec, &first).unwrap_or_else(|e| panic!("{e}"));
        specgen_build(&example.spec, &second).unwrap_or_else(|e| panic!("{e}"));

        let first = read_tree(&first);
        assert!(
            !first.is_empty(),
            "[{}] specgen build wrote no file",
            example.name
        );
        if let Some(difference) = tree_difference(&first, &read_tree(&second)) {
            panic!(
                "[{}] two builds of {} differ:\n{difference}",
                example.name,
                example.spec.display()
            );
        }
    }
}

#[test]
fn building_into_a_folder_keeps_the_files_specgen_did_not_write() {
    const NOTE: &[u8] = b"my notes, not generated\n";
    for example in examples() {
        let out = temp_dir();
        let repo = out.path().join(&example.name);

        // A folder the user made first, with a file of their own.
        fs::create_dir(&repo).expect("create the output folder");
        fs::write(repo.join("NOTES.md"), NOTE).expect("write a user file");
        specgen_build(&example.spec, &repo).unwrap_or_else(|e| panic!("{e}"));
        assert_user_file(&example.name, &repo.join("NOTES.md"), NOTE);

        // A user file beside generated ones, then a rebuild over the generated repository.
        let generated_folder = read_tree(&repo)
            .into_keys()
            .find(|path| path.extension().is_some_and(|ext| ext == "rs"))
            .and_then(|path| path.parent().map(Path::to_path_buf))
            .unwrap_or_else(|| panic!("[{}] no Rust file was generated", example.name));
        let beside = repo.join(&generated_folder).join("my_notes.txt");
        fs::write(&beside, NOTE).expect("write a user file among generated files");
        specgen_build(&example.spec, &repo).unwrap_or_else(|e| panic!("{e}"));
        assert_user_file(&example.name, &repo.join("NOTES.md"), NOTE);
        assert_user_file(&example.name, &beside, NOTE);

        // A user file where specgen wants to write one of its own: the build must refuse
        // rather than overwrite it.
        let fresh = out.path().join("fresh");
        fs::create_dir(&fresh).expect("create the output folder");
        let taken = Path::new("Cargo.toml");
        assert!(
            repo.join(taken).is_file(),
            "[{}] the generated repository has no Cargo.toml",
            example.name
        );
        fs::write(fresh.join(taken), NOTE).expect("write a user file at a generated path");
        let built = specgen_build(&example.spec, &fresh);
        assert_user_file(&example.name, &fresh.join(taken), NOTE);
        assert!(
            built.is_err(),
            "[{}] specgen build reported success although it could not write its {}",
            example.name,
            taken.display()
        );
    }
}

/// The example the regeneration test edits and changes.
const REGENERATED: &str = "studio-bookings";

/// The developer's edits: a line inserted after an anchor line of a generated file, in
/// places the spec change below leaves alone.
const EDITS: &[(&str, &str, &str)] = &[
    (
        "src/http/bookings.rs",
        "    let booking = fetch(&state.db, id).await?.ok_or(ApiError::NotFound)?;\n",
        "    tracing::debug!(%id, \"booking read\");\n",
    ),
    (
        "src/http/mod.rs",
        "pub const REQUEST_ID: &str = \"x-request-id\";\n",
        "// Our load balancer sets it too: keep the name in step with its configuration.\n",
    ),
    (
        "Dockerfile",
        "WORKDIR /build\n",
        "# The registry mirror is configured on the CI runners.\n",
    ),
];

/// The spec change: `(anchor, text inserted after it)`. A new field and a new rule on
/// bookings change their handlers; a new entity changes the module list in src/http/mod.rs.
const SPEC_CHANGE: &[(&str, &str)] = &[
    (
        "- note {text, optional, max 500}\n",
        "- band size {integer, 1..20, default 1}: how many people come\n",
    ),
    (
        "- A booking can be changed until an hour before it starts {update only more than 1 hour before starts at}.\n",
        "- A booking stays in its studio {immutable: studio}.\n",
    ),
];
const NEW_ENTITY: &str = "
## Review
What a member thought of a studio.
- studio {-> Studio}
- author {-> User, the signed-in user}
- stars {integer, 1..5}

Access:
- Members can create reviews.
- Anyone can list and read reviews.
";

/// A developer edits generated files, then the spec changes: the rebuild merges specgen's
/// changes into the edits, keeps every edit, and the merged repository is formatted, builds,
/// is clippy-clean and passes its tests on SQLite.
#[test]
fn rebuilding_after_a_spec_change_merges_edits_and_the_repo_still_passes_its_checks() {
    let Some(example) = examples().into_iter().find(|e| e.name == REGENERATED) else {
        progress(&format!(
            "skipping the regeneration test: it uses {REGENERATED}, which {} leaves out",
            harness::ONLY_VAR
        ));
        return;
    };
    let started = Instant::now();
    let out = temp_dir();
    // The spec keeps its file name: generated headers name it.
    let spec = out
        .path()
        .join(example.spec.file_name().expect("a spec file name"));
    let original = fs::read_to_string(harness::workspace_root().join(&example.spec))
        .expect("read the example spec");
    fs::write(&spec, &original).expect("write the spec");
    let repo = out.path().join(&example.name);
    specgen_build(&spec, &repo).unwrap_or_else(|e| panic!("{e}"));

    for (path, anchor, line) in EDITS {
        let file = repo.join(path);
        let text = fs::read_to_string(&file).expect("read a generated file");
        assert!(
            text.contains(anchor),
            "{path} has no line `{}`; update this test's edits",
            anchor.trim_end()
        );
        fs::write(&file, text.replacen(anchor, &format!("{anchor}{line}"), 1))
            .expect("edit a generated file");
    }
    let mut changed = original.clone();
    for (anchor, line) in SPEC_CHANGE {
        assert!(
            changed.contains(anchor),
            "{} has no line `{}`; update this test's spec change",
            example.spec.display(),
            anchor.trim_end()
        );
        changed = changed.replacen(anchor, &format!("{anchor}{line}"), 1);
    }
    changed.push_str(NEW_ENTITY);
    fs::write(&spec, &changed).expect("write the changed spec");

    let rebuilt = specgen_build(&spec, &repo).unwrap_or_else(|e| panic!("{e}"));
    for merged in ["src/http/bookings.rs", "src/http/mod.rs"] {
        assert!(
            rebuilt.contains(&format!("merged {merged}:")),
            "the rebuild did not merge into {merged}:\n{rebuilt}"
        );
    }
    for (path, _, line) in EDITS {
        let text = fs::read_to_string(repo.join(path)).expect("read a merged file");
        assert!(
            text.contains(line),
            "the rebuild lost the edit `{}` of {path}",
            line.trim_end()
        );
    }
    let handlers = fs::read_to_string(repo.join("src/http/bookings.rs")).expect("read");
    assert!(
        handlers.contains("pub band_size: i64,")
            && handlers.contains("booking_studio_id_immutable"),
        "the new field and rule are not in the merged handlers"
    );
    assert!(
        repo.join("src/http/reviews.rs").is_file(),
        "the new entity was not generated"
    );
    specgen("check", &spec, &repo).unwrap_or_else(|e| panic!("check after the merge: {e}"));

    let target_dir = harness::workspace_root().join("target/e2e-generated");
    let checks = [
        CargoCheck::new(&["fmt", "--check", "--", "--color", "never"]),
        CargoCheck::new(&["build"]),
        CargoCheck::new(&["clippy", "--all-targets", "--", "-D", "warnings"]),
        CargoCheck::new(&["test"]),
    ];
    for check in checks {
        let label = check.label();
        progress(&format!("[{} merged] {label} ...", example.name));
        if let Err(error) = check.run(&repo, &target_dir) {
            let kept = out.keep();
            panic!(
                "[{} merged] {label} failed:\n{error}\nthe merged repository is kept at {}",
                example.name,
                kept.join(&example.name).display()
            );
        }
    }
    progress(&format!(
        "[{} merged] edits kept, checks passed in {:.0?}",
        example.name,
        started.elapsed()
    ));
}

fn assert_user_file(example: &str, path: &Path, contents: &[u8]) {
    match fs::read(path) {
        Ok(found) => assert!(
            found == contents,
            "[{example}] specgen build overwrote the user's {}: now {:?}",
            path.display(),
            String::from_utf8_lossy(&found)
        ),
        Err(e) => panic!(
            "[{example}] specgen build deleted the user's {}: {e}",
            path.display()
        ),
    }
}

/// The throwaway cluster is real: it accepts a superuser that can create databases (what
/// the generated tests do with `TEST_DATABASE_URL`), and it is gone after drop.
#[test]
fn the_test_postgres_accepts_connections_and_cleans_up_after_itself() {
    let Some(postgres) = postgres_or_skip("the test of the PostgreSQL helper") else {
        return;
    };
    let psql = postgres
        .bindir()
        .map_or_else(|| "psql".into(), |bindir| bindir.join("psql"));
    let database = format!("specgen_helper_check_{}", std::process::id());
    for sql in [
        format!("CREATE DATABASE {database}"),
        format!("DROP DATABASE {database}"),
    ] {
        let mut command = std::process::Command::new(&psql);
        command
            .args(["-v", "ON_ERROR_STOP=1", "-c", &sql])
            .arg(postgres.admin_url());
        run(&mut command).unwrap_or_else(|e| panic!("{e}"));
    }

    let Some(dir) = postgres.cluster_dir().map(Path::to_path_buf) else {
        return; // A server from SPECGEN_TEST_DATABASE_URL is not ours to stop.
    };
    let admin_url = postgres.admin_url().to_owned();
    drop(postgres);
    assert!(!dir.exists(), "{} is left behind", dir.display());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut command = std::process::Command::new(&psql);
        command.args(["-c", "SELECT 1"]).arg(&admin_url);
        if run(&mut command).is_err() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the cluster still answers after drop"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
