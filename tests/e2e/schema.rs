//! A database's schema as a set of facts, read the way an operator would (`python` with
//! SQLite, `psql` with PostgreSQL), so a migrated database can be compared with a fresh one,
//! and plain queries for the rows a check wants to see.
//!
//! SQLite's facts come from `tests/e2e/sqlite_schema.py` (columns, indexes, foreign keys,
//! CHECK constraints, triggers); PostgreSQL's from the catalog: `information_schema.columns`,
//! `pg_get_constraintdef` per named constraint, `pg_indexes.indexdef`, the non-internal
//! triggers' `pg_get_triggerdef` and the functions they call.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::harness::workspace_root;
use crate::support::process::run;

/// A python that can read SQLite: the validators' venv (with apsw, the generated apps'
/// SQLite) when it is there, else `python3` with its standard `sqlite3`.
pub fn python() -> Result<PathBuf, String> {
    let venv = workspace_root().join("target/validators/venv/bin/python");
    let candidates = [(venv, "import apsw"), ("python3".into(), "import sqlite3")];
    let mut tried = Vec::new();
    for (python, probe) in candidates {
        match Command::new(&python).args(["-c", probe]).output() {
            Ok(output) if output.status.success() => return Ok(python),
            Ok(output) => tried.push(format!(
                "{} -c '{probe}': {}",
                python.display(),
                String::from_utf8_lossy(&output.stderr).trim()
            )),
            Err(e) => tried.push(format!("{}: {e}", python.display())),
        }
    }
    Err(format!(
        "no python can read SQLite databases:\n  {}",
        tried.join("\n  ")
    ))
}

/// How to reach one database from the outside.
pub enum Inspect {
    /// The SQLite file, read with this python.
    Sqlite { python: PathBuf, path: PathBuf },
    /// The PostgreSQL database's URL, queried with this `psql`.
    Postgres { psql: PathBuf, url: String },
}

impl Inspect {
    /// The schema's facts, one line each.
    pub fn catalog(&self) -> Result<BTreeSet<String>, String> {
        let text = match self {
            Inspect::Sqlite { python, path } => {
                let output = run(Command::new(python).arg(script()).arg("catalog").arg(path))?;
                String::from_utf8_lossy(&output.stdout).into_owned()
            }
            Inspect::Postgres { .. } => {
                let mut text = String::new();
                for query in POSTGRES_CATALOG {
                    text += &self.query(query)?;
                    text.push('\n');
                }
                text
            }
        };
        Ok(text
            .lines()
            .map(normalize)
            .filter(|line| !line.is_empty())
            .collect())
    }

    /// The rows of `sql`, one line each, columns separated by `|`.
    pub fn query(&self, sql: &str) -> Result<String, String> {
        let output = match self {
            Inspect::Sqlite { python, path } => run(Command::new(python)
                .arg(script())
                .arg("query")
                .arg(path)
                .arg(sql))?,
            Inspect::Postgres { psql, url } => run(Command::new(psql)
                .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql])
                .arg(url))?,
        };
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    }

    /// The versions recorded in `_sqlx_migrations`, in order.
    pub fn applied_versions(&self) -> Result<Vec<i64>, String> {
        let text =
            self.query("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")?;
        text.lines()
            .map(|line| {
                line.trim()
                    .parse()
                    .map_err(|e| format!("a version `{line}`: {e}"))
            })
            .collect()
    }
}

fn script() -> PathBuf {
    workspace_root().join("tests/e2e/sqlite_schema.py")
}

/// Spaces collapsed, so formatting alone is never a difference.
fn normalize(line: &str) -> String {
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The catalog queries on PostgreSQL; every row a fact prefixed by its kind. The
/// bookkeeping table of sqlx is left out: it is not the spec's.
const POSTGRES_CATALOG: &[&str] = &[
    "SELECT 'column ' || table_name || '.' || column_name || ' type=' || data_type \
     || ' udt=' || udt_name || ' nullable=' || is_nullable \
     || ' default=' || coalesce(column_default, '-') \
     || ' length=' || coalesce(character_maximum_length::text, '-') \
     FROM information_schema.columns WHERE table_schema = 'public' \
     AND table_name <> '_sqlx_migrations' ORDER BY 1",
    "SELECT 'constraint ' || conrelid::regclass::text || ' ' || conname || ' ' \
     || pg_get_constraintdef(oid) FROM pg_constraint \
     WHERE connamespace = 'public'::regnamespace \
     AND conrelid::regclass::text <> '_sqlx_migrations' ORDER BY 1",
    "SELECT 'index ' || tablename || ' ' || indexname || ' ' || indexdef FROM pg_indexes \
     WHERE schemaname = 'public' AND tablename <> '_sqlx_migrations' ORDER BY 1",
    "SELECT 'trigger ' || tgrelid::regclass::text || ' ' || tgname || ' ' \
     || pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1",
    "SELECT 'function ' || p.proname || ' ' \
     || regexp_replace(regexp_replace(p.prosrc, '--[^\\n]*', '', 'g'), '\\s+', ' ', 'g') \
     FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace \
     AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e') \
     ORDER BY 1",
    "SELECT 'extension ' || extname FROM pg_extension ORDER BY 1",
];

/// What only one side has, or `None` when the two catalogs agree.
pub fn catalog_difference(migrated: &BTreeSet<String>, fresh: &BTreeSet<String>) -> Option<String> {
    let mut report = String::new();
    for fact in migrated.difference(fresh) {
        report += &format!("  only in the migrated database: {fact}\n");
    }
    for fact in fresh.difference(migrated) {
        report += &format!("  only in the fresh database:    {fact}\n");
    }
    (!report.is_empty()).then_some(report)
}

/// `psql` of the server's version when the cluster is ours, else the one on `PATH`.
pub fn psql(bindir: Option<&Path>) -> PathBuf {
    bindir.map_or_else(|| "psql".into(), |bindir| bindir.join("psql"))
}

/// `admin_url` with its database replaced by `database` (any `?query` is kept).
pub fn database_url(admin_url: &str, database: &str) -> String {
    let (base, query) = match admin_url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (admin_url, String::new()),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    format!("{base}/{database}{query}")
}

/// Creates the PostgreSQL database `name` through `admin_url` (dropping any leftover).
pub fn create_postgres_database(psql: &Path, admin_url: &str, name: &str) -> Result<(), String> {
    for sql in [
        format!("DROP DATABASE IF EXISTS \"{name}\""),
        format!("CREATE DATABASE \"{name}\""),
    ] {
        run(Command::new(psql)
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", &sql])
            .arg(admin_url))?;
    }
    Ok(())
}
