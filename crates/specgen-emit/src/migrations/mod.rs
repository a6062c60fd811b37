//! The migrations emitter: the schema ([`crate::facts::schema`]) as `0001_initial.sql`
//! for SQLite and for PostgreSQL, and the migrations folder's README.

use askama::Template;
use specgen_ir::App;

use crate::facts::schema::{self, Dialect, triggers};
use crate::files::Files;

mod create;

use create::TableView;

/// Adds `migrations/README.md` and the initial migration of each database.
pub(crate) fn add_files(out: &mut Files, app: &App, header: &str) {
    out.add("migrations/README.md", &MigrationsReadme { header });
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
