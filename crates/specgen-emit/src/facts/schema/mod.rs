//! The database schema as data ([`Schema`]): tables, named constraints, indexes and triggers
//! for SQLite and PostgreSQL. Constraint names are shared with the generated error mapping
//! (see [`constraints`]). The entities' tables are built in [`entities`], the rule triggers
//! in [`triggers`], the sign-in subsystem's tables in [`auth`]; [`diff`] compares the schema
//! a repo's migrations already produce with the spec's.

use serde::{Deserialize, Serialize};
use specgen_ir::{App, RuleKind};

pub mod auth;
mod dialect;
pub mod diff;
mod entities;
mod table;
pub mod triggers;

pub use dialect::{Dialect, literal};
pub use entities::constraints;
pub use table::{Column, ConstraintKind, Schema, Statement, Table, TableConstraint};

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

/// Both databases' schemas: what a generated repo records in `.specgen/schema.json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Schemas {
    /// Who wrote the record and what it is for (never compared).
    #[serde(rename = "x-generated-by", default)]
    pub generated_by: String,
    /// The format of this record; a newer specgen reads older formats.
    pub format: u32,
    pub sqlite: Schema,
    pub postgres: Schema,
}

/// The current format of [`Schemas`].
pub const SCHEMA_FORMAT: u32 = 1;

impl Schemas {
    pub fn of(app: &App) -> Schemas {
        Schemas {
            generated_by: String::new(),
            format: SCHEMA_FORMAT,
            sqlite: schema(app, Dialect::Sqlite),
            postgres: schema(app, Dialect::Postgres),
        }
    }

    /// The record as `migrations/schema.json` holds it: pretty JSON, one trailing newline.
    pub fn to_json(&self) -> String {
        let mut json = serde_json::to_string_pretty(self).expect("a schema always serializes");
        json.push('\n');
        json
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
