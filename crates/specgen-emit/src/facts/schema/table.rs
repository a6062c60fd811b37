//! The schema as data: tables with typed columns, named constraints, indexes and triggers,
//! one [`Schema`] per database. The migrations print it, the differ ([`super::diff`])
//! compares two of them, and a generated repo records it in `.specgen/schema.json`, so a
//! rebuild knows what the migrations it already holds produce.
//!
//! What a migration depends on is compared; what only explains (comments, spec line
//! numbers) is kept for printing and never recorded, so moving a line in the spec never
//! makes a migration.

use serde::{Deserialize, Serialize};

/// One database's schema: what the migrations produce, in creation order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Schema {
    /// PostgreSQL: `btree_gist` is needed by the exclusion constraints (no-overlap rules).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub btree_gist: bool,
    /// PostgreSQL: the `rule_violated()` function the rule triggers run.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rule_function: bool,
    pub tables: Vec<Table>,
}

impl Schema {
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.name == name)
    }
}

/// One table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table {
    pub name: String,
    /// Comment lines above the `CREATE TABLE` (with `-- `).
    #[serde(skip)]
    pub comment: Vec<String>,
    /// SQLite: the table is `STRICT`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub strict: bool,
    pub columns: Vec<Column>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub constraints: Vec<TableConstraint>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub indexes: Vec<Statement>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub triggers: Vec<Statement>,
}

impl Table {
    /// The comment lines, one string.
    pub fn comment_block(&self) -> String {
        self.comment.join("\n")
    }

    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// One column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    /// The SQL type as written (`TEXT`, `BIGINT`, `TIMESTAMPTZ`).
    #[serde(rename = "type")]
    pub sql_type: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub not_null: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub primary_key: bool,
    /// The default as an SQL literal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// Comment lines above the column (with `-- `).
    #[serde(skip)]
    pub comment: Vec<String>,
}

impl Column {
    pub fn new(name: &str, sql_type: &str, not_null: bool) -> Column {
        Column {
            name: name.to_owned(),
            sql_type: sql_type.to_owned(),
            not_null,
            primary_key: false,
            default: None,
            comment: Vec::new(),
        }
    }

    pub fn primary_key(mut self) -> Column {
        self.primary_key = true;
        self
    }

    pub fn default(mut self, default: impl Into<String>) -> Column {
        self.default = Some(default.into());
        self
    }

    pub fn comment(mut self, lines: &[&str]) -> Column {
        self.comment = lines.iter().map(|l| (*l).to_owned()).collect();
        self
    }

    /// The column as `CREATE TABLE` and `ADD COLUMN` write it.
    pub fn definition(&self) -> String {
        let mut out = format!("{} {}", self.name, self.sql_type);
        if self.not_null {
            out.push_str(" NOT NULL");
        }
        if self.primary_key {
            out.push_str(" PRIMARY KEY");
        }
        if let Some(default) = &self.default {
            out.push_str(" DEFAULT ");
            out.push_str(default);
        }
        out
    }
}

/// A named table constraint: `CONSTRAINT <name> <body>`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableConstraint {
    pub name: String,
    /// What follows the name: `UNIQUE (email)`, `CHECK (...)`, `FOREIGN KEY (...) ...`.
    pub body: String,
    /// A foreign key's target table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub references: Option<String>,
    /// Comment lines above the constraint (with `-- `).
    #[serde(skip)]
    pub comment: Vec<String>,
}

impl TableConstraint {
    pub fn new(name: &str, body: impl Into<String>) -> TableConstraint {
        TableConstraint {
            name: name.to_owned(),
            body: body.into(),
            references: None,
            comment: Vec::new(),
        }
    }

    pub fn references(mut self, table: &str) -> TableConstraint {
        self.references = Some(table.to_owned());
        self
    }

    pub fn comment(mut self, lines: Vec<String>) -> TableConstraint {
        self.comment = lines;
        self
    }
}

/// A named statement that stands on its own: a `CREATE INDEX` or a `CREATE TRIGGER`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Statement {
    pub name: String,
    /// The whole statement, `;` included.
    pub sql: String,
    /// Comment lines above the statement (with `-- `).
    #[serde(skip)]
    pub comment: Vec<String>,
}

/// The named constraints of one entity's table, as the error mapping needs them.
#[derive(Debug, Clone, PartialEq)]
pub struct Constraint {
    pub name: String,
    /// SQLite's message for a violation, when it identifies the constraint.
    pub sqlite_message: Option<String>,
    pub kind: ConstraintKind,
    /// JSON names of the fields involved.
    pub fields: Vec<String>,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ConstraintKind {
    Unique,
    Reference,
    Check,
    /// A rule: its code and whether a violation is a conflict (409) or invalid (422).
    Rule {
        code: String,
        conflict: bool,
    },
}
