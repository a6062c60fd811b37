//! Every example's backend, live, against its own OpenAPI document: schemathesis (pinned in
//! `crates/specgen-emit/tests/install-validators.sh`) fuzzes it anonymously and as a
//! signed-in caller of every role, with every check on but one.
//!
//! Per example: `specgen build`, `cargo build` (SQLite, the shared target dir), `migrate`,
//! the database filled through the API as its spec history's v1 fills it (so lists and
//! reads answer real records, not only empty pages and 404s), one account per role
//! (`create-admin`, then `PUT /api/<accounts>/{id}/role` by the admin), then `serve` and one
//! `st run` per caller: anonymous first, then each role, the admin last (an admin may change
//! other accounts' roles, so it must not run before they do).
//!
//! The targets of the fuzz runs are the contract's: no server error, no response outside the
//! document (status, content type, headers, body schema), no request the document calls
//! invalid accepted, no operation that ignores its security scheme. Every schemathesis check
//! runs except `positive_data_acceptance`: the document cannot say everything the server
//! refuses, by design. A reference to a record that does not exist, a cursor that no list
//! handed out, an end before its start, a second sign-up with one address: each is valid by
//! its schema and refused with a documented 4xx.
//!
//! Signed-in runs leave out the three operations that end the caller's own session
//! (sign-out, sign-out everywhere, a password change); the anonymous run covers them. The
//! admin's run also leaves out deleting accounts and changing roles: once the fuzzer has
//! made a second admin, either may end or demote the admin's own account half-way through
//! the run. The other runs fuzz them (401 and 403), and the generated tests cover what an
//! admin may do with them. After each signed-in run the caller must still be signed in with
//! its role, so no run fuzzed the anonymous API while claiming a role.
//!
//! The runs are seeded (`SPECGEN_FUZZ_SEED`, default [`DEFAULT_SEED`]) so a failure in CI
//! reproduces on a laptop, and bounded: [`MAX_EXAMPLES`] cases per operation and phase.
//! Without schemathesis the test is skipped loudly, and fails when CI requires the
//! validators (`SPECGEN_REQUIRE_VALIDATORS=1`).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use serde_json::json;

use crate::app::{self, Backend, Deployment, Server};
use crate::harness::{self, progress, specgen_build, temp_dir};
use crate::histories::History;
use crate::history::{self, ADMIN_EMAIL, Api, PASSWORD};

/// The seed of every run unless `SPECGEN_FUZZ_SEED` says otherwise.
const DEFAULT_SEED: u64 = 20261207;

/// Test cases per operation in each generating phase.
const MAX_EXAMPLES: u32 = 20;

/// Operations that end the caller's own session: fuzzed anonymously only.
const SESSION_ENDING: &[&str] = &[
    "/api/auth/sign-out",
    "/api/auth/sign-out-everywhere",
    "/api/auth/password",
];

#[test]
fn schemathesis_finds_no_contract_violation_in_any_example_for_any_caller() {
    let Some(st) = schemathesis() else {
        return;
    };
    let started = Instant::now();
    let seed = std::env::var("SPECGEN_FUZZ_SEED")
        .ok()
        .map(|seed| seed.parse::<u64>().expect("SPECGEN_FUZZ_SEED is a number"))
        .unwrap_or(DEFAULT_SEED);
    let target_dir = harness::workspace_root().join("target/e2e-generated");
    let mut failures = Vec::new();
    let mut operations = 0;
    for history in history::selected() {
        let label = format!("[fuzz {}]", history.example);
        let out = temp_dir();
        match fuzz_example(history, &st, seed, &target_dir, out.path(), &label) {
            Ok(tested) => {
                operations += tested;
                progress(&format!("{label} ok"));
            }
            Err(error) => {
                progress(&format!("{label} FAILED"));
                let kept = out.keep();
                failures.push(format!(
                    "{label} {error}\n(the repo, database and logs are kept in {})",
                    kept.display()
                ));
            }
        }
    }
    progress(&format!(
        "schemathesis (seed {seed}) tested {operations} operation runs in {:.0?}",
        started.elapsed()
    ));
    assert!(
        failures.is_empty(),
        "{} example(s) broke their OpenAPI contract (rerun one with \
         SPECGEN_E2E_ONLY=<example> SPECGEN_FUZZ_SEED={seed}):\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// The installed `st`, or `None` after a loud warning.
fn schemathesis() -> Option<PathBuf> {
    let dir = std::env::var_os("SPECGEN_VALIDATORS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| harness::workspace_root().join("target/validators"));
    let st = dir.join("venv/bin/st");
    if st.is_file() {
        return Some(st);
    }
    let message = format!(
        "schemathesis is not installed in {}; run crates/specgen-emit/tests/install-validators.sh",
        dir.display()
    );
    assert!(
        std::env::var("SPECGEN_REQUIRE_VALIDATORS").as_deref() != Ok("1"),
        "{message} (SPECGEN_REQUIRE_VALIDATORS=1)"
    );
    let rule = "!".repeat(78);
    progress(&format!(
        "{rule}\nSKIPPING the OpenAPI fuzz test: {message}\n{rule}"
    ));
    None
}

/// One example: built, filled, one account per role, then one fuzz run per caller. The
/// number of operations schemathesis tested over all runs.
fn fuzz_example(
    history: &History,
    st: &Path,
    seed: u64,
    target_dir: &Path,
    out: &Path,
    label: &str,
) -> Result<u32, String> {
    let spec = PathBuf::from(format!("examples/{}.spec", history.example));
    let repo = out.join(history.example);
    progress(&format!("{label} specgen build, cargo build"));
    specgen_build(&spec, &repo).map_err(|e| format!("specgen build failed:\n{e}"))?;
    let binary = app::build(
        &repo,
        Backend::Sqlite,
        target_dir,
        &out.join(format!("bin-{}", history.example)),
    )?;
    let app = compile(&spec)?;
    let account_entity = app
        .auth
        .as_ref()
        .and_then(|auth| app.entities.iter().find(|e| e.name == auth.entity))
        .ok_or("the example has no sign-in entity")?;
    let accounts = account_entity.route.clone();
    let admin_only_skips = [
        format!("delete_{}", account_entity.snake),
        "set_role".to_owned(),
    ];

    let dir = out.join("run");
    fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let deployment = Deployment {
        database_url: format!("sqlite://{}?mode=rwc", dir.join("app.db").display()),
        dir,
    };
    progress(&format!(
        "{label} migrate, fill the database, one account per role"
    ));
    history::fill(history, &deployment, &binary)?;
    let roles: Vec<&str> = app
        .roles
        .iter()
        .filter(|role| !role.is_admin)
        .map(|role| role.name.as_str())
        .collect();
    for role in &roles {
        let fields: Vec<(&str, String)> = history
            .admin_fields
            .iter()
            .map(|(field, value)| (*field, format!("{value} {role}")))
            .collect();
        let fields: Vec<(&str, &str)> = fields.iter().map(|(f, v)| (*f, v.as_str())).collect();
        deployment.create_admin(&binary, &role_email(role), PASSWORD, &fields)?;
    }

    let server = deployment.serve(&binary, "serve-fuzz")?;
    let api = Api(&server);
    // Every sign-in before any fuzzing: the fuzzer's own sign-in attempts soon make this
    // address rate-limited.
    let (admin, _) = api.sign_in(ADMIN_EMAIL)?;
    let mut callers: Vec<(String, Option<String>)> = vec![("anonymous".to_owned(), None)];
    let admin_role = app
        .admin_role()
        .map_or("admin", |role| role.name.as_str())
        .to_owned();
    for role in &roles {
        let (_, id) = api.sign_in(&role_email(role))?;
        api.call(
            "PUT",
            &format!("{accounts}/{id}/role"),
            Some(&admin),
            Some(&json!({ "role": role })),
            200,
        )?;
        let (token, _) = api.sign_in(&role_email(role))?;
        callers.push(((*role).to_owned(), Some(token)));
    }
    callers.push((admin_role.clone(), Some(admin)));

    let mut tested = 0;
    let mut failures = Vec::new();
    for (caller, token) in &callers {
        progress(&format!("{label} st run as {caller}"));
        let skips: &[String] = if *caller == admin_role {
            &admin_only_skips
        } else {
            &[]
        };
        match run_schemathesis(st, &server, out, seed, caller, token.as_deref(), skips) {
            Ok(operations) => tested += operations,
            Err(error) => failures.push(format!("as {caller}: {error}")),
        }
        if let Some(token) = token {
            let me = api
                .call("GET", "/api/auth/me", Some(token), None, 200)
                .map_err(|e| format!("as {caller}: the session did not survive the run: {e}"))?;
            if me["role"] != caller.as_str() {
                return Err(format!(
                    "as {caller}: the run changed the caller's role: {me}"
                ));
            }
        }
    }
    if failures.is_empty() {
        Ok(tested)
    } else {
        Err(format!(
            "{}\n----- the server's log is {}",
            failures.join("\n\n"),
            deployment.dir.join("serve-fuzz.log").display()
        ))
    }
}

fn role_email(role: &str) -> String {
    format!("{role}@fuzz.example.com")
}

/// The example's IR, read from disk by the loader `specgen build` uses.
fn compile(spec: &Path) -> Result<specgen_ir::App, String> {
    let path = harness::workspace_root().join(spec);
    let path = path.to_string_lossy();
    specgen_lower::compile(&path, &crate::loader::FsLoader)
        .app
        .ok_or_else(|| format!("{path} does not compile"))
}

/// One `st run`, without `skipped_operations` (operation ids); the number of operations it
/// tested, or its report of what failed.
fn run_schemathesis(
    st: &Path,
    server: &Server,
    out: &Path,
    seed: u64,
    caller: &str,
    token: Option<&str>,
    skipped_operations: &[String],
) -> Result<u32, String> {
    let mut command = Command::new(st);
    command
        .arg("run")
        .arg(format!("{}/openapi.json", server.base_url()))
        .args([
            "--checks",
            "all",
            "--exclude-checks",
            "positive_data_acceptance",
        ])
        .args(["--max-examples", &MAX_EXAMPLES.to_string()])
        .args(["--seed", &seed.to_string()])
        .args(["--workers", "1", "--request-timeout", "60"])
        .args(["--generation-database", "none", "--no-color"])
        .args(["--warnings", "off"])
        // Its working folder: nothing lands in the workspace.
        .current_dir(out)
        .env("NO_COLOR", "1");
    if let Some(token) = token {
        command.args(["--header", &format!("Authorization: Bearer {token}")]);
        for path in SESSION_ENDING {
            command.args(["--exclude-path", path]);
        }
    }
    for operation in skipped_operations {
        command.args(["--exclude-operation-id", operation]);
    }
    let output = command
        .output()
        .map_err(|e| format!("cannot run {}: {e}", st.display()))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report = out.join(format!("st-{caller}.txt"));
    let _ = fs::write(&report, stdout.as_bytes());
    let tested = tested_operations(&stdout);
    if output.status.success() && tested.is_some() {
        return Ok(tested.unwrap_or_default());
    }
    let failures = stdout
        .split_once("FAILURES")
        .map_or(stdout.as_ref(), |(_, failures)| failures);
    Err(format!(
        "st exited with {} (its whole report: {}):\n{failures}\n{}",
        output.status,
        report.display(),
        String::from_utf8_lossy(&output.stderr)
    ))
}

/// `Tested: N` from the summary: a run that tested nothing has not passed.
fn tested_operations(report: &str) -> Option<u32> {
    let counts: BTreeMap<&str, &str> = report
        .lines()
        .filter_map(|line| line.trim().split_once(": "))
        .collect();
    counts
        .get("Tested")
        .and_then(|n| n.trim().parse().ok())
        .filter(|&n| n > 0)
}
