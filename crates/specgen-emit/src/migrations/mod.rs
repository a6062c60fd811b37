//! The migrations emitter: the schema ([`crate::facts::schema`]) as `0001_initial.sql`
//! for SQLite and for PostgreSQL on a first build; on later builds, the migrations written
//! before (byte for byte) and, when the spec's schema changed, the next one ([`plan`]); the
//! schema record `migrations/schema.json`; and the migrations folder's README.
//!
//! Migrations are append-only: once written, a migration belongs to the repo's history and
//! is never rewritten. What the next one does comes from the differ
//! ([`crate::facts::schema::diff`]) following the spec's renames and removals ([`intent`]);
//! [`alter`] prints it for each database, with data checks ([`guards`]).

use askama::Template;
use specgen_ir::App;

use crate::facts::schema::{self, Dialect, triggers};
use crate::files::Files;

mod alter;
mod create;
mod guards;
mod intent;
pub mod plan;

use create::TableView;

/// Where a generated repo records the schema its migrations produce.
pub const SCHEMA_RECORD: &str = "migrations/schema.json";

/// Adds `migrations/README.md` (with `header`), the schema record and the migrations of
/// `plan` (with `history_header`: they are never rewritten, so never merged into).
pub(crate) fn add_files(
    out: &mut Files,
    app: &App,
    header: &str,
    history_header: &str,
    plan: &plan::Plan,
) {
    out.add("migrations/README.md", &MigrationsReadme { header });
    let header = history_header;
    out.add_raw(SCHEMA_RECORD, plan.record.clone());
    if !plan.initial {
        for (path, contents) in &plan.past {
            out.add_raw(path, contents.clone());
        }
        if let Some(m) = &plan.migration {
            out.add_raw(
                &format!("migrations/sqlite/{}.sql", m.name),
                m.sqlite.clone(),
            );
            out.add_raw(
                &format!("migrations/postgres/{}.sql", m.name),
                m.postgres.clone(),
            );
        }
        return;
    }
    for (folder, dialect) in [("sqlite", Dialect::Sqlite), ("postgres", Dialect::Postgres)] {
        let schema = schema::schema(app, dialect);
        let tables = create::tables(&schema.tables, &[], dialect);
        let path = format!("migrations/{folder}/0001_initial.sql");
        match dialect {
            Dialect::Sqlite => out.add(
                &path,
                &SqliteMigration {
                    header,
                    name: &app.name,
                    tables,
                },
            ),
            Dialect::Postgres => out.add(
                &path,
                &PostgresMigration {
                    header,
                    name: &app.name,
                    btree_gist: schema.btree_gist,
                    rule_function: schema.rule_function.then_some(triggers::RULE_FUNCTION),
                    tables,
                },
            ),
        }
    }
}

#[derive(Template)]
#[template(path = "backend/migrations/README.md")]
struct MigrationsReadme<'a> {
    header: &'a str,
}

#[derive(Template)]
#[template(path = "backend/migrations/sqlite/0001_initial.sql")]
struct SqliteMigration<'a> {
    header: &'a str,
    name: &'a str,
    tables: Vec<TableView>,
}

#[derive(Template)]
#[template(path = "backend/migrations/postgres/0001_initial.sql")]
struct PostgresMigration<'a> {
    header: &'a str,
    name: &'a str,
    /// Whether an exclusion constraint needs `btree_gist` (no-overlap rules).
    btree_gist: bool,
    /// The function rule triggers run, when any table has one.
    rule_function: Option<&'static str>,
    tables: Vec<TableView>,
}
