//! Spec histories: a deployed app's database follows its spec through several versions.
//!
//! A history is `examples/<example>.spec` (v1) then `tests/e2e/histories/<example>/v2.spec`,
//! `v3.spec`; every example has one (`histories::ALL`: studio-bookings, shop, task-tracker,
//! publishing), and `SPECGEN_E2E_ONLY=<example>` runs just one. A version's includes are read
//! relative to it, so a history may change an included file too (publishing's v3 renames
//! the tags of its taxonomy in `taxonomy-v3.spec`). Between them the versions add fields and
//! entities, rename fields, entities, links and enumeration values, widen a length, turn an
//! integer into a decimal, remove fields and add rules, each on records a client made.
//! On SQLite and on PostgreSQL the test builds v1 into a repo, compiles the app,
//! fills a fresh database through the v1 HTTP API as a client would, and stops the server.
//! Then for each later version it rebuilds the same repo with specgen (which must add
//! exactly the next migration and leave every older one byte-identical), recompiles, runs
//! the app's `migrate` subcommand on the same database, starts the server and reads every
//! record back through the new API: the same ids, the same values, renamed fields and
//! resources under their new names, converted numbers with the same value. Finally the
//! migrated database's schema must equal that of a fresh database migrated by the last
//! version's binary.
//!
//! The generated tests of the last version also run (`cargo test`): each of them creates
//! its own fresh database (`TestDatabase::create` in `tests/api/helpers.rs`), so they cannot
//! point at the migrated one, but they do run on a schema built by the whole chain of
//! migrations. The migrated database itself is checked through the API above.
//!
//! The refusals live in `history_refusals.rs`; what each history puts in the database
//! and expects back is in `histories.rs`.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::{Value, json};

use crate::app::{self, Backend, Deployment, Server};
use crate::harness::{self, CargoCheck, progress, read_tree, specgen_build, temp_dir};
use crate::histories::{self, History, Seed, Step};
use crate::schema::{self, Inspect};
use crate::support::postgres::TestPostgres;

/// The admin every history's database starts with (`create-admin`).
pub const ADMIN_EMAIL: &str = "admin@example.com";
/// Every account's password: long enough for every example's password rule.
pub const PASSWORD: &str = "correct horse battery staple";

/// Records by resource path (`/api/rooms`), then by id, as the API returns them.
pub type Snapshot = BTreeMap<String, BTreeMap<String, Value>>;

#[test]
fn every_spec_history_migrates_a_filled_database_and_keeps_its_records_on_sqlite_and_postgres() {
    let started = Instant::now();
    let postgres = crate::postgres_or_skip("the PostgreSQL half of the spec history test");
    let python = sqlite_reader();
    let target_dir = harness::workspace_root().join("target/e2e-generated");
    let mut failures = Vec::new();
    for history in selected() {
        let mut backends = vec![Backend::Sqlite];
        if postgres.is_some() {
            backends.push(Backend::Postgres);
        }
        for backend in backends {
            let label = format!("[{} history, {backend}]", history.example);
            let out = temp_dir();
            let env = Env {
                backend,
                postgres: postgres.as_ref(),
                python: python.as_deref(),
                target_dir: &target_dir,
                out: out.path(),
                label: &label,
            };
            match run_history(history, &env) {
                Ok(()) => progress(&format!("{label} ok")),
                Err(error) => {
                    progress(&format!("{label} FAILED"));
                    let kept = out.keep();
                    failures.push(format!(
                        "{label} {error}\n(the repo and database are kept in {})",
                        kept.display()
                    ));
                }
            }
        }
    }
    progress(&format!("spec histories took {:.0?}", started.elapsed()));
    assert!(
        failures.is_empty(),
        "{} spec history failure(s):\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// The histories to run: every folder of `tests/e2e/histories/`, narrowed to
/// `SPECGEN_E2E_ONLY` when it is set.
pub fn selected() -> Vec<&'static History> {
    let only = std::env::var(harness::ONLY_VAR)
        .ok()
        .filter(|only| !only.is_empty());
    let dir = harness::workspace_root().join("tests/e2e/histories");
    for entry in fs::read_dir(&dir).expect("tests/e2e/histories exists") {
        let name = entry.expect("a readable entry").file_name();
        let name = name.to_string_lossy();
        assert!(
            histories::ALL.iter().any(|history| history.example == name),
            "tests/e2e/histories/{name} has no entry in histories::ALL"
        );
    }
    histories::ALL
        .iter()
        .filter(|history| only.as_ref().is_none_or(|only| only == history.example))
        .collect()
}

/// A python that reads SQLite, or `None` after a loud warning (a failure when CI requires
/// its databases: `SPECGEN_REQUIRE_POSTGRES=1` or `SPECGEN_REQUIRE_VALIDATORS=1`).
pub fn sqlite_reader() -> Option<PathBuf> {
    match schema::python() {
        Ok(python) => Some(python),
        Err(reason) => {
            let required = ["SPECGEN_REQUIRE_POSTGRES", "SPECGEN_REQUIRE_VALIDATORS"]
                .iter()
                .any(|var| std::env::var(var).as_deref() == Ok("1"));
            assert!(!required, "the SQLite schema cannot be read: {reason}");
            let rule = "!".repeat(78);
            progress(&format!(
                "{rule}\nSKIPPING the SQLite schema comparison: {reason}\n{rule}"
            ));
            None
        }
    }
}

/// What one run of a history needs around it.
pub struct Env<'a> {
    pub backend: Backend,
    pub postgres: Option<&'a TestPostgres>,
    pub python: Option<&'a Path>,
    pub target_dir: &'a Path,
    /// The run's temporary folder: repo, binaries, database, logs.
    pub out: &'a Path,
    pub label: &'a str,
}

impl Env<'_> {
    /// A fresh, empty database named `name` and the folder its app runs in.
    pub fn database(&self, name: &str) -> Result<(Deployment, Inspect), String> {
        let dir = self.out.join(format!("run-{name}"));
        fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        match self.backend {
            Backend::Sqlite => {
                let path = dir.join("app.db");
                let deployment = Deployment {
                    database_url: format!("sqlite://{}?mode=rwc", path.display()),
                    dir,
                };
                let python = self.python.map_or_else(|| "python3".into(), Path::to_owned);
                Ok((deployment, Inspect::Sqlite { python, path }))
            }
            Backend::Postgres => {
                let postgres = self.postgres.expect("a PostgreSQL run has a server");
                let psql = schema::psql(postgres.bindir());
                let database = format!(
                    "history_{}_{}",
                    self.out
                        .file_name()
                        .map(|name| name
                            .to_string_lossy()
                            .replace(|c: char| !c.is_ascii_alphanumeric(), "_"))
                        .unwrap_or_default()
                        .to_lowercase(),
                    name.replace('-', "_")
                );
                schema::create_postgres_database(&psql, postgres.admin_url(), &database)?;
                let url = schema::database_url(postgres.admin_url(), &database);
                let deployment = Deployment {
                    database_url: url.clone(),
                    dir,
                };
                Ok((deployment, Inspect::Postgres { psql, url }))
            }
        }
    }

    /// Builds the app of `repo` and copies its binary out as `bin-<version>`.
    pub fn build(&self, repo: &Path, version: &str) -> Result<PathBuf, String> {
        self.step(&format!("cargo build ({version})"));
        let copy = self.out.join(format!("bin-{version}-{}", self.backend));
        app::build(repo, self.backend, self.target_dir, &copy)
            .map_err(|e| format!("building the {version} app failed:\n{e}"))
    }

    pub fn step(&self, what: &str) {
        progress(&format!("{} {what}", self.label));
    }
}

/// v1 into a fresh database, filled through its API; then every later version migrates it.
fn run_history(history: &History, env: &Env) -> Result<(), String> {
    let repo = env.out.join(history.example);
    let v1 = PathBuf::from(format!("examples/{}.spec", history.example));
    env.step(&format!("specgen build {}", v1.display()));
    specgen_build(&v1, &repo).map_err(|e| format!("specgen build of v1 failed:\n{e}"))?;
    let binary = env.build(&repo, "v1")?;
    let (deployment, inspect) = env.database("migrated")?;

    env.step("v1: migrate, create the admin, fill the database through the API");
    let (seed, mut snapshot) = fill(history, &deployment, &binary)?;
    let counts: Vec<String> = snapshot
        .iter()
        .map(|(path, records)| format!("{} {path}", records.len()))
        .collect();
    env.step(&format!("v1 holds {}", counts.join(", ")));

    let mut binary = binary;
    for (index, step) in history.steps.iter().enumerate() {
        let version = index as i64 + 2;
        binary = rebuild(history, step, version, &repo, env)?;
        env.step(&format!(
            "v{version}: migrate the v1..v{} database",
            version - 1
        ));
        deployment
            .migrate(&binary)
            .map_err(|e| format!("v{version}: `migrate` failed on the filled database:\n{e}"))?;
        let applied = inspect.applied_versions()?;
        let expected: Vec<i64> = (1..=version).collect();
        if applied != expected {
            return Err(format!(
                "v{version}: _sqlx_migrations holds versions {applied:?}, expected {expected:?}"
            ));
        }
        let server = deployment.serve(&binary, &format!("serve-v{version}"))?;
        env.step(&format!("v{version}: every record through the API"));
        let checked =
            check_records(&server, &seed, &snapshot, step).map_err(|e| format!("v{version}: {e}"));
        let checked = match checked {
            Ok(checked) => checked,
            Err(error) => return Err(with_log(error, &server)),
        };
        env.step(&format!("v{version}: the new schema at work"));
        if let Err(error) = (step.exercise)(&Api(&server), &seed, &checked) {
            return Err(with_log(format!("v{version}: {error}"), &server));
        }
        snapshot = read_all(&Api(&server), &seed.admin, checked.keys())
            .map_err(|e| format!("v{version}: {e}"))?;
        server.stop()?;
    }

    let last = history.steps.len() + 1;
    env.step(&format!(
        "compare the migrated schema with a fresh v{last} database"
    ));
    let (fresh, fresh_inspect) = env.database("fresh")?;
    fresh
        .migrate(&binary)
        .map_err(|e| format!("v{last}: `migrate` failed on an empty database:\n{e}"))?;
    compare_schemas(env, &inspect, &fresh_inspect)?;

    let mut test = match env.backend {
        Backend::Sqlite => CargoCheck::new(&["test"]),
        Backend::Postgres => {
            CargoCheck::new(&["test", "--no-default-features", "--features", "postgres"])
        }
    };
    if let Some(postgres) = env.postgres.filter(|_| env.backend == Backend::Postgres) {
        test = test.with_env("TEST_DATABASE_URL", postgres.admin_url());
        if let Some(bindir) = postgres.bindir() {
            test = test.with_env("PG_BINDIR", bindir);
        }
    }
    env.step(&format!("v{last}: {}", test.label()));
    test.run(&repo, env.target_dir)
        .map_err(|e| format!("v{last}: the generated tests failed:\n{e}"))?;
    Ok(())
}

/// `migrate` and `create-admin` with v1, then the history's records through the v1 API.
pub fn fill(
    history: &History,
    deployment: &Deployment,
    binary: &Path,
) -> Result<(Seed, Snapshot), String> {
    deployment
        .migrate(binary)
        .map_err(|e| format!("v1: `migrate` failed on an empty database:\n{e}"))?;
    deployment.create_admin(binary, ADMIN_EMAIL, PASSWORD, history.admin_fields)?;
    let server = deployment.serve(binary, "serve-v1")?;
    let api = Api(&server);
    let admin = api.sign_in(ADMIN_EMAIL)?.0;
    let mut seed = Seed {
        admin,
        members: Vec::new(),
        outbox: deployment.outbox(),
    };
    if let Err(error) = (history.fill)(&api, &mut seed) {
        return Err(with_log(
            format!("v1: filling the database: {error}"),
            &server,
        ));
    }
    let snapshot = read_all(&api, &seed.admin, history.v1_resources)?;
    server.stop()?;
    Ok((seed, snapshot))
}

/// `specgen build v<N>.spec` over the repo: exactly the next migration is added, every
/// older file of `migrations/` is byte-identical; then the app is compiled.
fn rebuild(
    history: &History,
    step: &Step,
    version: i64,
    repo: &Path,
    env: &Env,
) -> Result<PathBuf, String> {
    let spec = PathBuf::from(format!(
        "tests/e2e/histories/{}/{}",
        history.example, step.spec
    ));
    let before = read_tree(&repo.join("migrations"));
    env.step(&format!("specgen build {}", spec.display()));
    let said = specgen_build(&spec, repo)
        .map_err(|e| format!("specgen build of v{version} failed:\n{e}"))?;
    let after = read_tree(&repo.join("migrations"));
    for (path, bytes) in before.iter().filter(|(path, _)| is_sql(path)) {
        if after.get(path) != Some(bytes) {
            return Err(format!(
                "v{version}: specgen build changed or removed the applied migration {}",
                path.display()
            ));
        }
    }
    let added: Vec<String> = after
        .keys()
        .filter(|path| is_sql(path) && !before.contains_key(*path))
        .map(|path| path.display().to_string())
        .collect();
    let prefix = format!("{version:04}_");
    let stem = added
        .first()
        .and_then(|path| path.split_once('/'))
        .map(|(_, file)| file.to_owned())
        .unwrap_or_default();
    let expected = [format!("postgres/{stem}"), format!("sqlite/{stem}")];
    if !stem.starts_with(&prefix) || added != expected {
        return Err(format!(
            "v{version}: specgen build should add migrations/{{postgres,sqlite}}/{prefix}<slug>.sql, \
             it added {added:?}; it said:\n{said}"
        ));
    }
    env.step(&format!("v{version}: wrote migrations/*/{stem}"));
    env.build(repo, &format!("v{version}"))
}

fn is_sql(path: &Path) -> bool {
    path.extension().is_some_and(|ext| ext == "sql")
}

/// Reads the records the migration must have kept through the new API and compares them
/// with what the previous version's API returned, transformed as the step says.
fn check_records(
    server: &Server,
    seed: &Seed,
    before: &Snapshot,
    step: &Step,
) -> Result<Snapshot, String> {
    let api = Api(server);
    let mut expected = Snapshot::new();
    for (path, records) in before {
        let new_path = step
            .resources
            .iter()
            .find(|(old, _)| old == path)
            .map_or(path.as_str(), |(_, new)| new);
        let records = records
            .iter()
            .map(|(id, record)| (id.clone(), step.expect(new_path, record)))
            .collect();
        expected.insert(new_path.to_owned(), records);
    }
    let actual = read_all(&api, &seed.admin, expected.keys())?;
    let mut problems = Vec::new();
    for (path, records) in &expected {
        let found = &actual[path];
        for id in records.keys().filter(|id| !found.contains_key(*id)) {
            problems.push(format!("{path}: the record {id} is gone"));
        }
        for id in found.keys().filter(|id| !records.contains_key(*id)) {
            problems.push(format!("{path}: a record {id} appeared"));
        }
        for (id, want) in records {
            let Some(got) = found.get(id) else { continue };
            for difference in record_difference(want, got, &step.converted_in(path)) {
                problems.push(format!("{path}/{id}: {difference}"));
            }
        }
    }
    for path in step.new_resources {
        let items = read_all(&api, &seed.admin, [path])?;
        if !items[*path].is_empty() {
            problems.push(format!("{path} is new but already lists records"));
        }
    }
    if problems.is_empty() {
        Ok(actual)
    } else {
        Err(format!(
            "the migrated records differ from v1's:\n  {}",
            problems.join("\n  ")
        ))
    }
}

/// How `got` differs from `want`: missing, extra and changed fields. The fields in
/// `numeric` compare as numbers (an integer converted to a decimal keeps its value).
fn record_difference(want: &Value, got: &Value, numeric: &[&str]) -> Vec<String> {
    let (Some(want), Some(got)) = (want.as_object(), got.as_object()) else {
        return vec![format!("expected an object, got {got}")];
    };
    let mut differences = Vec::new();
    for (key, value) in want {
        match got.get(key) {
            None => differences.push(format!("`{key}` is missing (it was {value})")),
            Some(found) if numeric.contains(&key.as_str()) => {
                if value.as_f64().is_none() || value.as_f64() != found.as_f64() {
                    differences.push(format!("`{key}` is {found}, expected the number {value}"));
                }
            }
            Some(found) if found != value => {
                differences.push(format!("`{key}` is {found}, expected {value}"));
            }
            Some(_) => {}
        }
    }
    for (key, value) in got.iter().filter(|(key, _)| !want.contains_key(*key)) {
        differences.push(format!("`{key}` ({value}) is not expected"));
    }
    differences
}

/// Every record of each resource, listed by `token`'s owner (following `next_cursor`).
pub fn read_all(
    api: &Api,
    token: &str,
    paths: impl IntoIterator<Item = impl AsRef<str>>,
) -> Result<Snapshot, String> {
    let mut snapshot = Snapshot::new();
    for path in paths {
        let path = path.as_ref();
        let mut records = BTreeMap::new();
        let mut cursor: Option<String> = None;
        loop {
            let url = match &cursor {
                Some(cursor) => format!("{path}?limit=100&cursor={cursor}"),
                None => format!("{path}?limit=100"),
            };
            let page = api.call("GET", &url, Some(token), None, 200)?;
            for item in page["items"].as_array().into_iter().flatten() {
                records.insert(histories::id(item)?, item.clone());
            }
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => break,
            }
        }
        snapshot.insert(path.to_owned(), records);
    }
    Ok(snapshot)
}

/// Compares the catalogs; on SQLite without a python that reads it, says so (the caller
/// already warned, or failed when CI requires it).
fn compare_schemas(env: &Env, migrated: &Inspect, fresh: &Inspect) -> Result<(), String> {
    if env.backend == Backend::Sqlite && env.python.is_none() {
        env.step("the SQLite schema comparison is skipped: no python reads SQLite");
        return Ok(());
    }
    let (migrated, fresh) = (migrated.catalog()?, fresh.catalog()?);
    if fresh.is_empty() {
        return Err("the fresh database's catalog is empty".to_owned());
    }
    match schema::catalog_difference(&migrated, &fresh) {
        None => Ok(()),
        Some(difference) => Err(format!(
            "the migrated schema differs from a fresh database's:\n{difference}"
        )),
    }
}

fn with_log(error: String, server: &Server) -> String {
    let log = server.log_text();
    let tail: Vec<&str> = log.lines().rev().take(30).collect();
    let tail: Vec<&str> = tail.into_iter().rev().collect();
    format!(
        "{error}\n----- the server's last log lines\n{}",
        tail.join("\n")
    )
}

/// The API of one running server, for a client that knows what answer it expects.
pub struct Api<'a>(pub &'a Server);

impl Api<'_> {
    /// One request; an error unless the answer's status is `expect` (any 2xx when `expect`
    /// is 200: some writes answer 201 or 202).
    pub fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        expect: u16,
    ) -> Result<Value, String> {
        let response = self.0.request(method, path, token, body)?;
        let ok = if expect == 200 {
            (200..300).contains(&response.status)
        } else {
            response.status == expect
        };
        if ok {
            Ok(response.json)
        } else {
            Err(format!(
                "{method} {path} {} answered {}, expected {expect}: {}",
                body.map(Value::to_string).unwrap_or_default(),
                response.status,
                response.text
            ))
        }
    }

    /// Signs in with [`PASSWORD`]; the token and the user's id.
    pub fn sign_in(&self, email: &str) -> Result<(String, String), String> {
        let body = json!({"email": email, "password": PASSWORD});
        let answer = self.call("POST", "/api/auth/sign-in", None, Some(&body), 200)?;
        let token = answer["token"]
            .as_str()
            .ok_or_else(|| format!("sign-in answered no token: {answer}"))?;
        Ok((token.to_owned(), histories::id(&answer["user"])?))
    }
}
