//! The database schema as data ([`Schema`]): tables, named constraints, indexes and triggers
//! for SQLite and PostgreSQL. Constraint names are shared with the generated error mapping
//! (see [`constraints`]). The entities' tables are built in [`entities`], the rule triggers
//! in [`triggers`], the sign-in subsystem's tables in [`auth`].

use specgen_ir::{App, RuleKind};

pub mod auth;
mod dialect;
mod entities;
mod table;
pub mod triggers;

pub use dialect::{Dialect, literal};
pub use entities::constraints;
pub use table::{ConstraintKind, Schema, Table};

/// The schema of `app` on one database: what a fresh database gets from the migrations.
pub fn schema(app: &App, dialect: Dialect) -> Schema {
    let mut tables = entities::tables(app, dialect);
    tables.extend(auth::tables(app, dialect));
    Schema {
        btree_gist: needs_btree_gist(app, dialect),
        rule_function: dialect == Dialect::Postgres && triggers::needs_rule_function(app),
        tables,
    }
}

/// Whether an SQL dialect needs the `btree_gist` extension for the app's exclusion constraints.
pub fn needs_btree_gist(app: &App, dialect: Dialect) -> bool {
    dialect == Dialect::Postgres
        && app.entities.iter().any(|e| {
            e.rules
                .iter()
                .any(|r| matches!(r.kind, RuleKind::NoOverlap { .. }))
        })
}
