//! A later migration: the SQL that takes a database from the schema the repo's migrations
//! already produce to the spec's, for one database, from the differ's [`Diff`].
//!
//! Both databases run a migration in one transaction, so a failed data check
//! ([`super::guards`]) leaves everything as it was.
//!
//! - **PostgreSQL** alters in place: rename, drop what changed, convert types, add columns,
//!   check the rows, then add constraints, indexes and triggers.
//! - **SQLite** uses `ALTER TABLE` for what it supports (renaming a table or a column, adding
//!   a column that may be empty or has a default, indexes and triggers) and otherwise the
//!   table rebuild of SQLite's documentation: create the new table, check the rows it will
//!   get, copy them with their ids, drop the old table, rename the new one, recreate its
//!   indexes and triggers, and check every foreign key at the end. The generated app turns
//!   foreign keys off around its migrations, so dropping the old table cascades nowhere.

use crate::facts::schema::diff::{Diff, Intent, TableDiff};
use crate::facts::schema::{Column, Dialect, Table};

use super::create;
use super::guards::{self, Guard};

/// The statements of migration `migration` (`0002_add_booking_band_name`), in order.
pub(super) fn statements(
    diff: &Diff,
    intent: &Intent,
    migration: &str,
    dialect: Dialect,
) -> String {
    let mut out = Sql::default();
    let mut guarded = false;
    if diff.add_btree_gist {
        out.push(
            "-- The no-overlap rules' exclusion constraints need btree_gist.",
            "CREATE EXTENSION IF NOT EXISTS btree_gist;",
        );
    }
    if diff.rule_function == Some(true) {
        out.push(
            "-- What the rule triggers run to refuse a write.",
            crate::facts::schema::triggers::RULE_FUNCTION,
        );
    }
    for t in diff.altered.iter().filter(|t| t.renamed()) {
        out.push(
            &format!(
                "-- {} is now {} (the spec says `was`): rows are kept.",
                t.old.name, t.new.name
            ),
            &format!("ALTER TABLE {} RENAME TO {};", t.old.name, t.new.name),
        );
        // PostgreSQL named the inline primary key after the table; a fresh database has
        // the new name.
        if dialect == Dialect::Postgres && t.new.columns.iter().any(|c| c.primary_key) {
            out.text(&format!(
                "ALTER TABLE {0} RENAME CONSTRAINT {1}_pkey TO {0}_pkey;",
                t.new.name, t.old.name
            ));
        }
    }
    if !diff.created.is_empty() {
        let existing: Vec<&str> = diff.altered.iter().map(|t| t.new.name.as_str()).collect();
        for view in create::tables(&diff.created, &existing, dialect) {
            out.text(&create::render(&view));
        }
    }
    for t in &diff.altered {
        match dialect {
            Dialect::Postgres => postgres_table(&mut out, t, intent, migration),
            Dialect::Sqlite if needs_rebuild(t) => {
                guarded = true;
                sqlite_rebuild(&mut out, t, intent, migration);
            }
            Dialect::Sqlite => sqlite_alter(&mut out, t),
        }
    }
    for t in &diff.dropped {
        out.push(
            &format!(
                "-- {} is removed (the spec says `removed`): its rows are deleted.",
                t.name
            ),
            &format!("DROP TABLE {};", t.name),
        );
    }
    if diff.rule_function == Some(false) {
        out.push(
            "-- No rule trigger is left.",
            "DROP FUNCTION rule_violated();",
        );
    }
    if dialect == Dialect::Sqlite && guarded {
        out.push(
            "-- Every foreign key still finds its row.",
            &guards::sqlite_foreign_key_check(migration),
        );
        out.text(guards::SQLITE_TEARDOWN);
        let mut all = Sql::default();
        all.push(
            "-- Data checks: a row inserted here stops the migration with its message.",
            guards::SQLITE_SETUP,
        );
        all.0.extend(out.0);
        return all.finish();
    }
    out.finish()
}

/// Statements separated by blank lines.
#[derive(Default)]
struct Sql(Vec<String>);

impl Sql {
    fn push(&mut self, comment: &str, sql: &str) {
        self.0.push(format!("{comment}\n{sql}"));
    }

    fn text(&mut self, sql: &str) {
        self.0.push(sql.to_owned());
    }

    fn finish(self) -> String {
        let mut out = self.0.join("\n\n");
        out.push('\n');
        out
    }
}

/// The enumeration value renames of a new column, as `(from, to)`.
fn value_renames<'a>(intent: &'a Intent, table: &str, column: &str) -> &'a [(String, String)] {
    intent
        .value_renames
        .get(&(table.to_owned(), column.to_owned()))
        .map_or(&[], Vec::as_slice)
}

// ---------------------------------------------------------------- PostgreSQL

fn postgres_table(out: &mut Sql, t: &TableDiff, intent: &Intent, migration: &str) {
    let table = &t.new.name;
    let say = |what: &str| format!("-- {table}: {what}");
    for trigger in &t.dropped_triggers {
        out.push(
            &say("a rule changed or went"),
            &format!("DROP TRIGGER IF EXISTS {} ON {table};", trigger.name),
        );
    }
    for c in &t.dropped_constraints {
        out.push(
            &say("a constraint changed or went"),
            &format!("ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {};", c.name),
        );
    }
    for index in &t.dropped_indexes {
        out.push(
            &say("an index changed or went"),
            &format!("DROP INDEX IF EXISTS {};", index.name),
        );
    }
    for (new, old) in t.changed_columns() {
        if new.name != old.name {
            out.push(
                &say(&format!(
                    "{} is now {} (the spec says `was`); values are kept.",
                    old.name, new.name
                )),
                &format!(
                    "ALTER TABLE {table} RENAME COLUMN {} TO {};",
                    old.name, new.name
                ),
            );
        }
    }
    for c in &t.dropped_columns {
        out.push(
            &say(&format!(
                "{} is removed (the spec says `removed`); its values are deleted.",
                c.name
            )),
            &format!("ALTER TABLE {table} DROP COLUMN {};", c.name),
        );
    }
    for (new, _) in t.columns.iter().filter(|(_, old)| old.is_some()) {
        let c = &new.name;
        for (from, to) in value_renames(intent, table, c) {
            out.push(
                &say(&format!("the value {from} of {c} is now {to}.")),
                &format!("UPDATE {table} SET {c} = '{to}' WHERE {c} = '{from}';"),
            );
        }
    }
    for (new, old) in t.changed_columns() {
        let c = &new.name;
        if new.sql_type != old.sql_type {
            out.push(
                &say(&format!(
                    "{c} becomes {} (every value converts).",
                    new.sql_type
                )),
                &format!(
                    "ALTER TABLE {table} ALTER COLUMN {c} TYPE {0} USING {c}::{0};",
                    new.sql_type
                ),
            );
        }
        if new.default != old.default {
            let sql = match &new.default {
                Some(d) => format!("ALTER TABLE {table} ALTER COLUMN {c} SET DEFAULT {d};"),
                None => format!("ALTER TABLE {table} ALTER COLUMN {c} DROP DEFAULT;"),
            };
            out.push(&say(&format!("the default of {c} changes.")), &sql);
        }
        if old.not_null && !new.not_null {
            out.push(
                &say(&format!("{c} becomes optional.")),
                &format!("ALTER TABLE {table} ALTER COLUMN {c} DROP NOT NULL;"),
            );
        }
    }
    for new in t.added_columns() {
        let mut column = new.clone();
        let fill = new.default.is_some();
        if !fill {
            column.not_null = false;
        }
        let note = if fill {
            format!("{} is new; existing rows get its default.", new.name)
        } else {
            format!("{} is new.", new.name)
        };
        out.push(
            &say(&note),
            &format!("ALTER TABLE {table} ADD COLUMN {};", column.definition()),
        );
    }
    for new in becoming_required(t) {
        let kept = t
            .columns
            .iter()
            .any(|(n, old)| n.name == new.name && old.is_some());
        match &new.default {
            Some(default) if kept => out.push(
                &say(&format!("rows with no {} get its default.", new.name)),
                &format!(
                    "UPDATE {table} SET {0} = {default} WHERE {0} IS NULL;",
                    new.name
                ),
            ),
            _ => out.text(&Guard::not_null(table, table, new).sql(migration, Dialect::Postgres)),
        }
        out.push(
            &say(&format!("{} is required.", new.name)),
            &format!(
                "ALTER TABLE {table} ALTER COLUMN {} SET NOT NULL;",
                new.name
            ),
        );
    }
    for c in &t.added_constraints {
        if let Some(guard) = Guard::constraint(table, table, c) {
            out.text(&guard.sql(migration, Dialect::Postgres));
        }
        let mut comment = c.comment.join("\n");
        if comment.is_empty() {
            comment = say(&format!("constraint {}.", c.name));
        }
        out.push(
            &comment,
            &format!("ALTER TABLE {table} ADD CONSTRAINT {} {};", c.name, c.body),
        );
    }
    add_indexes_and_triggers(out, &t.added_indexes, &t.added_triggers);
}

/// Whether two columns are the same apart from their names.
fn same(a: &Column, b: &Column) -> bool {
    crate::facts::schema::diff::same_column(a, b)
}

/// New columns that must hold a value in every existing row: new required columns without
/// a default, and optional columns becoming required.
fn becoming_required(t: &TableDiff) -> impl Iterator<Item = &Column> {
    t.columns.iter().filter_map(|(new, old)| {
        let needs = match old {
            None => new.not_null && new.default.is_none() && !new.primary_key,
            Some(old) => new.not_null && !old.not_null,
        };
        needs.then_some(new)
    })
}

fn add_indexes_and_triggers(
    out: &mut Sql,
    indexes: &[crate::facts::schema::Statement],
    triggers: &[crate::facts::schema::Statement],
) {
    for index in indexes {
        out.text(&index.sql);
    }
    for trigger in triggers {
        let mut comment = trigger.comment.join("\n");
        if comment.is_empty() {
            comment = format!("-- rule trigger {}", trigger.name);
        }
        out.push(&comment, &trigger.sql);
    }
}

// ---------------------------------------------------------------- SQLite

/// Whether SQLite's `ALTER TABLE` cannot make the change: a column changes type,
/// nullability or default, goes, or is added required without a default; a constraint
/// changes.
fn needs_rebuild(t: &TableDiff) -> bool {
    t.changed_columns().any(|(new, old)| !same(new, old))
        || !t.dropped_columns.is_empty()
        || !t.added_constraints.is_empty()
        || !t.dropped_constraints.is_empty()
        || t.old.strict != t.new.strict
        || t.added_columns()
            .any(|c| c.primary_key || (c.not_null && c.default.is_none()))
}

fn sqlite_alter(out: &mut Sql, t: &TableDiff) {
    let table = &t.new.name;
    for trigger in &t.dropped_triggers {
        out.push(
            &format!("-- {table}: a rule changed or went"),
            &format!("DROP TRIGGER IF EXISTS {};", trigger.name),
        );
    }
    for index in &t.dropped_indexes {
        out.push(
            &format!("-- {table}: an index changed or went"),
            &format!("DROP INDEX IF EXISTS {};", index.name),
        );
    }
    for (new, old) in t.changed_columns() {
        out.push(
            &format!(
                "-- {table}: {} is now {} (the spec says `was`); values are kept.",
                old.name, new.name
            ),
            &format!(
                "ALTER TABLE {table} RENAME COLUMN {} TO {};",
                old.name, new.name
            ),
        );
    }
    for new in t.added_columns() {
        let note = if new.default.is_some() {
            format!(
                "-- {table}: {} is new; existing rows get its default.",
                new.name
            )
        } else {
            format!("-- {table}: {} is new.", new.name)
        };
        out.push(
            &note,
            &format!("ALTER TABLE {table} ADD COLUMN {};", new.definition()),
        );
    }
    add_indexes_and_triggers(out, &t.added_indexes, &t.added_triggers);
}

/// The value a rebuilt table's column gets from the old row.
fn sqlite_value(new: &Column, old: Option<&Column>, renames: &[(String, String)]) -> String {
    let Some(old) = old else {
        return new.default.clone().unwrap_or_else(|| "NULL".to_owned());
    };
    let mut value = old.name.clone();
    if !renames.is_empty() {
        let arms: String = renames
            .iter()
            .map(|(from, to)| format!(" WHEN '{from}' THEN '{to}'"))
            .collect();
        value = format!("CASE {value}{arms} ELSE {value} END");
    }
    if new.sql_type != old.sql_type {
        value = format!("CAST({value} AS {})", new.sql_type);
    }
    if new.not_null
        && !old.not_null
        && let Some(default) = &new.default
    {
        value = format!("coalesce({value}, {default})");
    }
    value
}

fn sqlite_rebuild(out: &mut Sql, t: &TableDiff, intent: &Intent, migration: &str) {
    let table = &t.new.name;
    let scratch = format!("specgen_new_{table}");
    let mut staged = Table {
        name: scratch.clone(),
        ..t.new.clone()
    };
    staged.indexes.clear();
    staged.triggers.clear();
    staged.comment = vec![format!(
        "-- {table} is rebuilt (SQLite cannot alter its columns or constraints in place): \
         every row is copied with its id."
    )];
    for view in create::tables(&[staged], &[], Dialect::Sqlite) {
        out.text(&create::render(&view));
    }
    let values: Vec<String> = t
        .columns
        .iter()
        .map(|(new, old)| sqlite_value(new, old.as_ref(), value_renames(intent, table, &new.name)))
        .collect();
    let names: Vec<&str> = t.columns.iter().map(|(new, _)| new.name.as_str()).collect();
    let select = format!(
        "SELECT {} FROM {table}",
        values
            .iter()
            .zip(&names)
            .map(|(value, name)| if value == name {
                value.clone()
            } else {
                format!("{value} AS {name}")
            })
            .collect::<Vec<_>>()
            .join(", ")
    );
    let relation = format!("({select}) AS {table}");
    for new in becoming_required(t) {
        let fills = t
            .columns
            .iter()
            .any(|(n, old)| n.name == new.name && old.is_some() && new.default.is_some());
        if !fills {
            out.text(&Guard::not_null(&relation, table, new).sql(migration, Dialect::Sqlite));
        }
    }
    for c in &t.new.constraints {
        // A constraint the old table already had holds for every row it copies.
        let kept = t
            .old
            .constraints
            .iter()
            .any(|o| o.name == c.name && o.body == c.body);
        if kept {
            continue;
        }
        if let Some(guard) = Guard::constraint(&relation, table, c) {
            out.text(&guard.sql(migration, Dialect::Sqlite));
        }
    }
    out.push(
        &format!("-- Copy the rows of {table}, then put the new table in its place."),
        &format!(
            "INSERT INTO {scratch} ({})\n{select};\nDROP TABLE {table};\nALTER TABLE {scratch} RENAME TO {table};",
            names.join(", ")
        ),
    );
    add_indexes_and_triggers(out, &t.new.indexes, &t.new.triggers);
}
