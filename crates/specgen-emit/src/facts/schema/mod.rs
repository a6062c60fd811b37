//! The database schema: tables, named constraints, indexes and triggers for SQLite and
//! PostgreSQL. Constraint names are shared with the generated error mapping (see
//! [`constraints`]). The entities' tables are built in [`entities`], the rule triggers in
//! [`triggers`], the sign-in subsystem's tables in [`auth`].

use specgen_ir::{App, RuleKind};

pub mod auth;
mod dialect;
mod entities;
mod table;
pub mod triggers;

pub use dialect::{Dialect, literal};
pub use entities::{constraints, tables};
pub use table::{ConstraintKind, Table};

/// Whether an SQL dialect needs the `btree_gist` extension for the app's exclusion constraints.
pub fn needs_btree_gist(app: &App, dialect: Dialect) -> bool {
    dialect == Dialect::Postgres
        && app.entities.iter().any(|e| {
            e.rules
                .iter()
                .any(|r| matches!(r.kind, RuleKind::NoOverlap { .. }))
        })
}
