//! Every schema change case runs on real databases: for each
//! `crates/specgen-emit/tests/migrations/<case>.spec` the specgen binary builds the old spec,
//! then the new one into the same repo (which writes `0002`), and a fresh repo from the new
//! spec. On SQLite (3.54 through Python's apsw, as the generated apps bundle it) and on
//! PostgreSQL, the repo's migrations are applied in order, each in one transaction, and the
//! migrated database's catalog must equal the fresh database's: the same columns, named
//! constraints, indexes, foreign keys, triggers and functions. A case whose change is
//! refused must stop the build (exit 1).
//!
//! Needs `target/validators/venv` with apsw (`crates/specgen-emit/tests/install-validators.sh`,
//! which CI runs) and PostgreSQL's server binaries or `SPECGEN_TEST_DATABASE_URL`. A missing
//! one skips its half loudly, and fails instead when `SPECGEN_REQUIRE_VALIDATORS=1` /
//! `SPECGEN_REQUIRE_POSTGRES=1` (CI sets both).

// Shared with the other test binaries; this one uses part of it.
#[allow(dead_code)]
#[path = "../support/mod.rs"]
mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use support::postgres::TestPostgres;
use support::process::run;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// One case: the two specs, and optionally rows to seed before migrating, queries whose
/// answers must hold after, or the message the migration must fail with.
struct Case {
    name: String,
    old: String,
    new: String,
    /// `=== rows`: SQL run on the old schema (both databases) before the migrations.
    rows: Option<String>,
    /// `=== check`: `query => expected` lines, run after the migrations.
    checks: Vec<(String, String)>,
    /// `=== fails`: the migration must fail with this in its message, and leave the
    /// database as it was.
    fails: Option<String>,
}

fn cases() -> Vec<Case> {
    let dir = workspace().join("crates/specgen-emit/tests/migrations");
    let front = fs::read_to_string(dir.join("front-matter.txt")).unwrap();
    let mut paths: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "spec"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let text = fs::read_to_string(&path).unwrap();
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            let mut sections = vec![("old".to_owned(), String::new())];
            for line in text.lines() {
                if let Some(section) = line.strip_prefix("=== ") {
                    sections.push((section.trim().to_owned(), String::new()));
                } else {
                    let current = &mut sections.last_mut().unwrap().1;
                    current.push_str(line);
                    current.push('\n');
                }
            }
            let get = |key: &str| {
                sections
                    .iter()
                    .find(|(k, _)| k == key)
                    .map(|(_, v)| v.clone())
            };
            let checks = get("check")
                .unwrap_or_default()
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| {
                    let (query, expected) = l
                        .split_once(" => ")
                        .unwrap_or_else(|| panic!("{name}: a check is `query => expected`"));
                    (query.to_owned(), expected.trim().to_owned())
                })
                .collect();
            Case {
                old: format!("{front}{}", get("old").unwrap()),
                new: format!("{front}{}", get("new").expect("a case has `=== new`")),
                rows: get("rows"),
                checks,
                fails: get("fails").map(|f| f.trim().to_owned()),
                name,
            }
        })
        .collect()
}

/// Runs `specgen build app.spec -o <out>` in `dir` after writing `spec`; the exit code.
fn build(dir: &Path, spec: &str, out: &str) -> i32 {
    fs::write(dir.join("app.spec"), spec).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_specgen"))
        .args(["build", "app.spec", "-o", out])
        .current_dir(dir)
        .output()
        .unwrap();
    output.status.code().unwrap_or(-1)
}

/// The migration files of one database in a repo, in order.
fn migrations(repo: &Path, database: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(repo.join("migrations").join(database))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .collect();
    files.sort();
    files
}

fn required(var: &str) -> bool {
    std::env::var(var).is_ok_and(|v| v == "1")
}

fn python() -> Option<PathBuf> {
    let dir = std::env::var_os("SPECGEN_VALIDATORS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target/validators"));
    let python = dir.join("venv/bin/python");
    let ok = python.exists()
        && Command::new(&python)
            .args(["-c", "import apsw"])
            .output()
            .is_ok_and(|o| o.status.success());
    ok.then_some(python)
}

struct Sqlite {
    python: PathBuf,
    script: PathBuf,
}

impl Sqlite {
    fn apply(&self, db: &Path, files: &[PathBuf]) -> Result<(), String> {
        run(Command::new(&self.python)
            .arg(&self.script)
            .arg("apply")
            .arg(db)
            .args(files))
        .map(drop)
    }

    fn exec(&self, db: &Path, sql: &str) -> Result<(), String> {
        run(Command::new(&self.python).arg(&self.script).args([
            "exec".as_ref(),
            db.as_os_str(),
            sql.as_ref(),
        ]))
        .map(drop)
    }

    fn query(&self, db: &Path, sql: &str) -> Result<String, String> {
        let out = run(Command::new(&self.python).arg(&self.script).args([
            "query".as_ref(),
            db.as_os_str(),
            sql.as_ref(),
        ]))?;
        Ok(String::from_utf8(out.stdout).unwrap().trim().to_owned())
    }

    fn catalog(&self, db: &Path) -> String {
        let out = run(Command::new(&self.python)
            .arg(&self.script)
            .arg("catalog")
            .arg(db))
        .unwrap();
        String::from_utf8(out.stdout).unwrap()
    }
}

struct Postgres {
    server: TestPostgres,
    psql: PathBuf,
}

/// Everything a migrated and a fresh database must agree on, one fact per line.
const PG_CATALOG: &str = "
SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' '
       || is_nullable || ' ' || coalesce(column_default, '-')
  FROM information_schema.columns
 WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations'
UNION ALL
SELECT 'constraint ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid)
  FROM pg_constraint WHERE connamespace = 'public'::regnamespace
   AND conrelid <> '_sqlx_migrations'::regclass
UNION ALL
SELECT 'index ' || indexdef FROM pg_indexes
 WHERE schemaname = 'public' AND tablename <> '_sqlx_migrations'
UNION ALL
SELECT 'trigger ' || pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal
UNION ALL
SELECT 'function ' || proname || ' ' || md5(prosrc) FROM pg_proc
 WHERE pronamespace = 'public'::regnamespace
UNION ALL
SELECT 'extension ' || extname FROM pg_extension
ORDER BY 1;";

impl Postgres {
    fn url(&self, database: &str) -> String {
        let admin = self.server.admin_url();
        let base = admin.rsplit_once('/').map_or(admin, |(base, _)| base);
        format!("{base}/{database}")
    }

    fn psql(&self, database: &str) -> Command {
        let mut command = Command::new(&self.psql);
        command.args([
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-d",
            &self.url(database),
        ]);
        command
    }

    fn create(&self, database: &str) {
        run(self
            .psql("postgres")
            .args(["-c", &format!("DROP DATABASE IF EXISTS {database}")]))
        .unwrap();
        run(self
            .psql("postgres")
            .args(["-c", &format!("CREATE DATABASE {database}")]))
        .unwrap();
        // What sqlx's migrator keeps; the catalog leaves it out, but it must exist for the
        // `conrelid <> '_sqlx_migrations'::regclass` filter.
        run(self.psql(database).args([
            "-c",
            "CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY)",
        ]))
        .unwrap();
    }

    fn apply(&self, database: &str, files: &[PathBuf]) -> Result<(), String> {
        for file in files {
            run(self.psql(database).arg("-1").arg("-f").arg(file))?;
        }
        Ok(())
    }

    fn exec(&self, database: &str, sql: &str) -> Result<(), String> {
        run(self.psql(database).arg("-1").args(["-c", sql])).map(drop)
    }

    fn query(&self, database: &str, sql: &str) -> Result<String, String> {
        let out = run(self.psql(database).args(["-A", "-t", "-c", sql]))?;
        Ok(String::from_utf8(out.stdout).unwrap().trim().to_owned())
    }

    fn catalog(&self, database: &str) -> String {
        let out = run(self.psql(database).args(["-A", "-t", "-c", PG_CATALOG])).unwrap();
        String::from_utf8(out.stdout).unwrap()
    }
}

fn postgres() -> Option<Postgres> {
    match TestPostgres::start() {
        Ok(server) => {
            eprintln!("migrate: {}", server.describe());
            let psql = server
                .bindir()
                .map_or_else(|| PathBuf::from("psql"), |dir| dir.join("psql"));
            Some(Postgres { server, psql })
        }
        Err(error) if !required("SPECGEN_REQUIRE_POSTGRES") => {
            eprintln!("warning: PostgreSQL half of the migrate test SKIPPED: {error}");
            None
        }
        Err(error) => panic!("no PostgreSQL (SPECGEN_REQUIRE_POSTGRES=1): {error}"),
    }
}

/// The first line where two catalogs differ, with both versions, for the failure message.
fn difference(migrated: &str, fresh: &str) -> String {
    let m: Vec<&str> = migrated.lines().collect();
    let f: Vec<&str> = fresh.lines().collect();
    let only_m: Vec<&&str> = m.iter().filter(|l| !f.contains(l)).collect();
    let only_f: Vec<&&str> = f.iter().filter(|l| !m.contains(l)).collect();
    format!("only in the migrated database:\n{only_m:#?}\nonly in a fresh one:\n{only_f:#?}")
}

#[test]
fn every_schema_change_migrates_to_the_schema_a_fresh_database_gets() {
    let sqlite = match python() {
        Some(python) => Some(Sqlite {
            python,
            script: workspace().join("tests/migrate/sqlite_catalog.py"),
        }),
        None if !required("SPECGEN_REQUIRE_VALIDATORS") => {
            eprintln!(
                "warning: SQLite half of the migrate test SKIPPED: no apsw in target/validators \
                 (run crates/specgen-emit/tests/install-validators.sh)"
            );
            None
        }
        None => panic!("no apsw in target/validators (SPECGEN_REQUIRE_VALIDATORS=1)"),
    };
    let postgres = postgres();
    let mut failures = Vec::new();
    let mut migrated_cases = 0;
    for (index, case) in cases().into_iter().enumerate() {
        let name = case.name.as_str();
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            build(dir.path(), &case.old, "repo"),
            0,
            "{name}: the old spec builds"
        );
        match build(dir.path(), &case.new, "repo") {
            0 => {}
            1 => {
                // Refused: nothing may have been written, so there is no 0002.
                assert_eq!(
                    migrations(&dir.path().join("repo"), "sqlite").len(),
                    1,
                    "{name}"
                );
                continue;
            }
            code => panic!("{name}: specgen build exited {code}"),
        }
        assert_eq!(
            build(dir.path(), &case.new, "fresh"),
            0,
            "{name}: the new spec builds"
        );
        let repo = dir.path().join("repo");
        let fresh = dir.path().join("fresh");
        if migrations(&repo, "sqlite").len() > 1 {
            migrated_cases += 1;
        }
        if let Some(sqlite) = &sqlite {
            let db = |n: &str| dir.path().join(n);
            let run_case = || -> Result<(), String> {
                let all = migrations(&repo, "sqlite");
                let (first, later) = all.split_at(1);
                sqlite.apply(&db("migrated.db"), first)?;
                sqlite.apply(&db("before.db"), first)?;
                if let Some(rows) = &case.rows {
                    sqlite.exec(&db("migrated.db"), rows)?;
                    sqlite.exec(&db("before.db"), rows)?;
                }
                let migrated = sqlite.apply(&db("migrated.db"), later);
                if let Some(message) = &case.fails {
                    let error = migrated.err().ok_or("the migration ran; it must fail")?;
                    if !error.contains(message.as_str()) {
                        return Err(format!(
                            "the migration failed without `{message}`:\n{error}"
                        ));
                    }
                    let (now, before) = (
                        sqlite.catalog(&db("migrated.db")),
                        sqlite.catalog(&db("before.db")),
                    );
                    if now != before {
                        return Err(format!(
                            "a failed migration changed the schema:\n{}",
                            difference(&now, &before)
                        ));
                    }
                    return Ok(());
                }
                migrated?;
                for (query, expected) in &case.checks {
                    let got = sqlite.query(&db("migrated.db"), query)?;
                    if &got != expected {
                        return Err(format!("`{query}` gives `{got}`, not `{expected}`"));
                    }
                }
                sqlite.apply(&db("fresh.db"), &migrations(&fresh, "sqlite"))?;
                let (m, f) = (
                    sqlite.catalog(&db("migrated.db")),
                    sqlite.catalog(&db("fresh.db")),
                );
                if m != f {
                    return Err(format!("catalogs differ:\n{}", difference(&m, &f)));
                }
                Ok(())
            };
            if let Err(error) = run_case() {
                failures.push(format!("[{name}] SQLite: {error}"));
            }
        }
        if let Some(pg) = &postgres {
            let (m, f, b) = (
                format!("migrated_{index}"),
                format!("fresh_{index}"),
                format!("before_{index}"),
            );
            let run_case = || -> Result<(), String> {
                for database in [&m, &f, &b] {
                    pg.create(database);
                }
                let all = migrations(&repo, "postgres");
                let (first, later) = all.split_at(1);
                pg.apply(&m, first)?;
                pg.apply(&b, first)?;
                if let Some(rows) = &case.rows {
                    pg.exec(&m, rows)?;
                    pg.exec(&b, rows)?;
                }
                let migrated = pg.apply(&m, later);
                if let Some(message) = &case.fails {
                    let error = migrated.err().ok_or("the migration ran; it must fail")?;
                    if !error.contains(message.as_str()) {
                        return Err(format!(
                            "the migration failed without `{message}`:\n{error}"
                        ));
                    }
                    let (now, before) = (pg.catalog(&m), pg.catalog(&b));
                    if now != before {
                        return Err(format!(
                            "a failed migration changed the schema:\n{}",
                            difference(&now, &before)
                        ));
                    }
                    return Ok(());
                }
                migrated?;
                for (query, expected) in &case.checks {
                    let got = pg.query(&m, query)?;
                    if &got != expected {
                        return Err(format!("`{query}` gives `{got}`, not `{expected}`"));
                    }
                }
                pg.apply(&f, &migrations(&fresh, "postgres"))?;
                let (mc, fc) = (pg.catalog(&m), pg.catalog(&f));
                if mc != fc {
                    return Err(format!("catalogs differ:\n{}", difference(&mc, &fc)));
                }
                Ok(())
            };
            if let Err(error) = run_case() {
                failures.push(format!("[{name}] PostgreSQL: {error}"));
            }
        }
    }
    assert!(
        migrated_cases >= 15,
        "most cases write a migration ({migrated_cases})"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
