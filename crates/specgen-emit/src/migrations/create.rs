//! `CREATE TABLE` as the migrations print it: a [`Table`] of the schema laid out with its
//! comments, its columns and constraints, then its indexes and triggers.

use crate::facts::schema::{Dialect, Table};

/// One table as the migration templates print it.
#[derive(Debug, Clone)]
pub(super) struct TableView {
    pub comment: String,
    pub name: String,
    /// Column and constraint lines, indented, commas included, comments interleaved.
    pub items: Vec<String>,
    /// ` STRICT` on SQLite.
    pub suffix: &'static str,
    /// `CREATE INDEX`, `CREATE TRIGGER` and deferred `ALTER TABLE` statements.
    pub after: Vec<String>,
}

impl TableView {
    pub fn comment_block(&self) -> &str {
        &self.comment
    }
}

/// The `CREATE TABLE` views of `tables`, in order, in a database that already holds the
/// tables `existing`. On PostgreSQL a foreign key to a table that is created later (a cycle
/// of references) is added by an `ALTER TABLE` after the last table; SQLite checks
/// references only when rows are written, so it takes them inline.
pub(super) fn tables(tables: &[Table], existing: &[&str], dialect: Dialect) -> Vec<TableView> {
    let mut created: Vec<&str> = existing.to_vec();
    let mut deferred = Vec::new();
    let mut views = Vec::new();
    for table in tables {
        let (view, later) = table_view(table, &created, dialect);
        created.push(&table.name);
        views.push(view);
        deferred.extend(later);
    }
    if let Some(last) = views.last_mut() {
        last.after.extend(deferred);
    }
    views
}

fn table_view(table: &Table, created: &[&str], dialect: Dialect) -> (TableView, Vec<String>) {
    let mut definitions: Vec<(&[String], String)> = table
        .columns
        .iter()
        .map(|c| (c.comment.as_slice(), c.definition()))
        .collect();
    let mut deferred = Vec::new();
    for c in &table.constraints {
        let later = dialect == Dialect::Postgres
            && c.references
                .as_deref()
                .is_some_and(|target| target != table.name && !created.contains(&target));
        if later {
            deferred.push(format!(
                "ALTER TABLE {} ADD CONSTRAINT {} {};",
                table.name, c.name, c.body
            ));
        } else {
            definitions.push((
                c.comment.as_slice(),
                format!("CONSTRAINT {} {}", c.name, c.body),
            ));
        }
    }
    let total = definitions.len();
    let mut items = Vec::new();
    for (position, (comment, definition)) in definitions.into_iter().enumerate() {
        items.extend(comment.iter().map(|c| format!("    {c}")));
        let comma = if position + 1 < total { "," } else { "" };
        items.push(format!("    {definition}{comma}"));
    }
    let mut after: Vec<String> = table.indexes.iter().map(|i| i.sql.clone()).collect();
    after.extend(table.triggers.iter().map(|t| {
        let mut text = String::new();
        for line in &t.comment {
            text.push('\n');
            text.push_str(line);
        }
        text.push('\n');
        text.push_str(&t.sql);
        text
    }));
    (
        TableView {
            comment: table.comment_block(),
            name: table.name.clone(),
            items,
            suffix: if table.strict { " STRICT" } else { "" },
            after,
        },
        deferred,
    )
}

/// A table as a later migration prints it: the same text as the initial migration's
/// template (comment, `CREATE TABLE`, then its indexes and triggers).
pub(super) fn render(view: &TableView) -> String {
    let mut out = String::new();
    if !view.comment.is_empty() {
        out.push_str(&view.comment);
        out.push('\n');
    }
    out.push_str(&format!("CREATE TABLE {} (", view.name));
    for item in &view.items {
        out.push('\n');
        out.push_str(item);
    }
    out.push_str(&format!("\n){};", view.suffix));
    for statement in &view.after {
        out.push('\n');
        out.push_str(statement);
    }
    out
}
