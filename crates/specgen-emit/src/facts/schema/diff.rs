//! The differ: what changes between the schema a repo's migrations already produce and the
//! spec's schema, on one database. Renames and removals are never guessed: they come from
//! the spec (`{was ...}`, `{removed}`, see [`Intent`]). A table or column that disappears
//! without one, or a type that cannot be converted without loss, is a [`Refusal`] that the
//! driver turns into a located diagnostic.
//!
//! The result ([`Diff`]) is data; the migrations emitter prints it as SQL for each database
//! and as the plain-words plan.

use std::collections::{BTreeMap, BTreeSet};

use super::table::{Column, Schema, Statement, Table, TableConstraint};

/// What the spec says about the tables and columns of the last build.
#[derive(Debug, Clone, Default)]
pub struct Intent {
    /// New table name -> the old table name it was (`## Room {was Studio}`).
    pub table_renames: BTreeMap<String, String>,
    /// (new table, new column) -> the old column it was (`size {integer, was capacity}`).
    pub column_renames: BTreeMap<(String, String), String>,
    /// Old tables the spec says are removed (`## Studio {removed}`), with their join tables.
    pub removed_tables: BTreeSet<String>,
    /// (new table, old column) the spec says are removed (`notes {removed}`).
    pub removed_columns: BTreeSet<(String, String)>,
    /// (new table, new column) -> enumeration values renamed, `(from, to)`.
    pub value_renames: BTreeMap<(String, String), Vec<(String, String)>>,
}

/// One database's changes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Diff {
    /// New tables, in the new schema's creation order.
    pub created: Vec<Table>,
    /// Tables that keep their rows, changed or renamed.
    pub altered: Vec<TableDiff>,
    /// Old tables the spec removed, children first.
    pub dropped: Vec<Table>,
    /// PostgreSQL: `btree_gist` is needed and was not before.
    pub add_btree_gist: bool,
    /// PostgreSQL: whether the `rule_violated()` function appears (`Some(true)`) or goes.
    pub rule_function: Option<bool>,
    /// Changes the spec does not allow: nothing is written while there is one.
    pub refusals: Vec<Refusal>,
}

impl Diff {
    /// True when the migrations already produce the spec's schema.
    pub fn is_empty(&self) -> bool {
        self.created.is_empty()
            && self.altered.is_empty()
            && self.dropped.is_empty()
            && !self.add_btree_gist
            && self.rule_function.is_none()
    }
}

/// How one kept table changes.
#[derive(Debug, Clone, PartialEq)]
pub struct TableDiff {
    /// The table as the last build left it.
    pub old: Table,
    /// The table as the spec wants it.
    pub new: Table,
    /// Each new column and the old column whose values it keeps (`None`: a new column).
    pub columns: Vec<(Column, Option<Column>)>,
    /// Old columns the spec removed.
    pub dropped_columns: Vec<Column>,
    pub dropped_constraints: Vec<TableConstraint>,
    pub added_constraints: Vec<TableConstraint>,
    pub dropped_indexes: Vec<Statement>,
    pub added_indexes: Vec<Statement>,
    pub dropped_triggers: Vec<Statement>,
    pub added_triggers: Vec<Statement>,
}

impl TableDiff {
    pub fn renamed(&self) -> bool {
        self.old.name != self.new.name
    }

    /// New columns with the old column they come from, when the name or definition changed.
    pub fn changed_columns(&self) -> impl Iterator<Item = (&Column, &Column)> {
        self.columns
            .iter()
            .filter_map(|(new, old)| old.as_ref().map(|old| (new, old)))
            .filter(|(new, old)| new.name != old.name || !same_column(new, old))
    }

    pub fn added_columns(&self) -> impl Iterator<Item = &Column> {
        self.columns
            .iter()
            .filter(|(_, old)| old.is_none())
            .map(|(new, _)| new)
    }
}

/// A change the spec does not say how to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// A table of the last build is not in the spec, neither renamed nor removed.
    TableGone { table: String },
    /// A column of the last build is not in the spec, neither renamed nor removed.
    ColumnGone { table: String, column: String },
    /// A column's type changes in a way that could lose or garble values.
    TypeChange {
        table: String,
        column: String,
        from: String,
        to: String,
    },
}

/// The changes from `old` (what the migrations produce) to `new` (the spec's schema).
pub fn diff(old: &Schema, new: &Schema, intent: &Intent) -> Diff {
    let mut out = Diff::default();
    let old_of = |new_name: &str| -> Option<&Table> {
        old.table(new_name).or_else(|| {
            intent
                .table_renames
                .get(new_name)
                .and_then(|was| old.table(was))
                .filter(|_| new.table(intent.table_renames[new_name].as_str()).is_none())
        })
    };
    // Renamed tables: what their old names become, for foreign keys of other tables.
    let renamed: BTreeMap<&str, &str> = new
        .tables
        .iter()
        .filter_map(|t| old_of(&t.name).map(|o| (o.name.as_str(), t.name.as_str())))
        .filter(|(o, n)| o != n)
        .collect();
    let mut kept: BTreeSet<&str> = BTreeSet::new();
    for table in &new.tables {
        match old_of(&table.name) {
            None => out.created.push(table.clone()),
            Some(before) => {
                kept.insert(before.name.as_str());
                let before = follow_renames(before, &renamed);
                if let Some(d) = table_diff(&before, table, intent, &mut out.refusals) {
                    out.altered.push(d);
                }
            }
        }
    }
    for table in old.tables.iter().rev() {
        if kept.contains(table.name.as_str()) {
            continue;
        }
        if intent.removed_tables.contains(&table.name) {
            out.dropped.push(table.clone());
        } else {
            out.refusals.push(Refusal::TableGone {
                table: table.name.clone(),
            });
        }
    }
    out.add_btree_gist = new.btree_gist && !old.btree_gist;
    if new.rule_function != old.rule_function {
        out.rule_function = Some(new.rule_function);
    }
    out
}

/// `table` with its foreign keys pointing at the new names of renamed tables: both databases
/// follow a rename in the constraints that point at the table, so these are not changes.
fn follow_renames(table: &Table, renamed: &BTreeMap<&str, &str>) -> Table {
    let mut table = table.clone();
    for c in &mut table.constraints {
        let Some(target) = c.references.clone() else {
            continue;
        };
        if let Some(&to) = renamed.get(target.as_str()) {
            c.body = c.body.replace(
                &format!("REFERENCES {target} ("),
                &format!("REFERENCES {to} ("),
            );
            c.references = Some(to.to_owned());
        }
    }
    table
}

fn table_diff(
    old: &Table,
    new: &Table,
    intent: &Intent,
    refusals: &mut Vec<Refusal>,
) -> Option<TableDiff> {
    let mut columns = Vec::new();
    let mut used: BTreeSet<&str> = BTreeSet::new();
    for column in &new.columns {
        let before = old.column(&column.name).or_else(|| {
            intent
                .column_renames
                .get(&(new.name.clone(), column.name.clone()))
                .and_then(|was| old.column(was))
                .filter(|was| new.column(&was.name).is_none())
        });
        if let Some(before) = before {
            used.insert(before.name.as_str());
            if !convertible(&before.sql_type, &column.sql_type) {
                refusals.push(Refusal::TypeChange {
                    table: new.name.clone(),
                    column: column.name.clone(),
                    from: before.sql_type.clone(),
                    to: column.sql_type.clone(),
                });
            }
        }
        columns.push((column.clone(), before.cloned()));
    }
    let mut dropped_columns = Vec::new();
    for column in &old.columns {
        if used.contains(column.name.as_str()) {
            continue;
        }
        if intent
            .removed_columns
            .contains(&(new.name.clone(), column.name.clone()))
        {
            dropped_columns.push(column.clone());
        } else {
            refusals.push(Refusal::ColumnGone {
                table: new.name.clone(),
                column: column.name.clone(),
            });
        }
    }
    let (dropped_constraints, added_constraints) = changed(&old.constraints, &new.constraints);
    let (dropped_indexes, added_indexes) = changed_statements(&old.indexes, &new.indexes);
    let (dropped_triggers, added_triggers) = changed_statements(&old.triggers, &new.triggers);
    let d = TableDiff {
        old: old.clone(),
        new: new.clone(),
        columns,
        dropped_columns,
        dropped_constraints,
        added_constraints,
        dropped_indexes,
        added_indexes,
        dropped_triggers,
        added_triggers,
    };
    let unchanged = !d.renamed()
        && d.changed_columns().next().is_none()
        && d.added_columns().next().is_none()
        && d.dropped_columns.is_empty()
        && d.dropped_constraints.is_empty()
        && d.added_constraints.is_empty()
        && d.dropped_indexes.is_empty()
        && d.added_indexes.is_empty()
        && d.dropped_triggers.is_empty()
        && d.added_triggers.is_empty()
        && old.strict == new.strict;
    (!unchanged).then_some(d)
}

/// Whether two columns are the same apart from their names.
pub fn same_column(a: &Column, b: &Column) -> bool {
    a.sql_type == b.sql_type
        && a.not_null == b.not_null
        && a.primary_key == b.primary_key
        && a.default == b.default
}

/// Whether every value of type `from` converts to `to` without loss: the same type, or an
/// integer becoming a decimal.
pub fn convertible(from: &str, to: &str) -> bool {
    from == to
        || matches!(
            (from, to),
            ("INTEGER", "REAL") | ("BIGINT", "DOUBLE PRECISION")
        )
}

/// Constraints of `old` that are gone or changed, and of `new` that are new or changed,
/// matched by name.
fn changed(
    old: &[TableConstraint],
    new: &[TableConstraint],
) -> (Vec<TableConstraint>, Vec<TableConstraint>) {
    let same = |a: &TableConstraint, b: &TableConstraint| a.name == b.name && a.body == b.body;
    (
        old.iter()
            .filter(|o| !new.iter().any(|n| same(o, n)))
            .cloned()
            .collect(),
        new.iter()
            .filter(|n| !old.iter().any(|o| same(o, n)))
            .cloned()
            .collect(),
    )
}

fn changed_statements(old: &[Statement], new: &[Statement]) -> (Vec<Statement>, Vec<Statement>) {
    let same = |a: &Statement, b: &Statement| a.name == b.name && a.sql == b.sql;
    (
        old.iter()
            .filter(|o| !new.iter().any(|n| same(o, n)))
            .cloned()
            .collect(),
        new.iter()
            .filter(|n| !old.iter().any(|o| same(o, n)))
            .cloned()
            .collect(),
    )
}
