//! What the spec says about the last build's tables and columns, read from the IR: the
//! renames (`{was ...}`) and removals (`{removed}`) the differ follows ([`Intent`]).
//! A name counts only when the last build's schema has it, so a `was` kept in the spec
//! after its migration ran is harmless.

use specgen_ir::App;

use crate::facts::schema::Schema;
use crate::facts::schema::diff::Intent;

/// The spec's renames and removals, against the schema `old` of the last build.
pub(crate) fn intent(app: &App, old: &Schema) -> Intent {
    let mut intent = Intent::default();
    let rename_table = |intent: &mut Intent, new: &str, previous: &[String]| {
        if old.table(new).is_some() {
            return;
        }
        if let Some(was) = previous.iter().find(|p| old.table(p).is_some()) {
            intent.table_renames.insert(new.to_owned(), was.clone());
        }
    };
    for e in &app.entities {
        rename_table(&mut intent, &e.table, &e.previous_tables);
        for link in &e.links {
            rename_table(&mut intent, &link.join_table, &link.previous_join_tables);
        }
    }
    let old_table = |intent: &Intent, new: &str| {
        old.table(new)
            .or_else(|| intent.table_renames.get(new).and_then(|was| old.table(was)))
    };
    for e in &app.entities {
        let Some(before) = old_table(&intent, &e.table) else {
            continue;
        };
        for f in &e.fields {
            if before.column(&f.column).is_none()
                && let Some(was) = f
                    .previous_columns
                    .iter()
                    .find(|p| before.column(p).is_some())
            {
                intent
                    .column_renames
                    .insert((e.table.clone(), f.column.clone()), was.clone());
            }
            if !f.value_renames.is_empty() {
                intent.value_renames.insert(
                    (e.table.clone(), f.column.clone()),
                    f.value_renames
                        .iter()
                        .map(|r| (r.from.clone(), r.to.clone()))
                        .collect(),
                );
            }
        }
        for removed in &e.removed_fields {
            for name in &removed.sql_names {
                if before.column(name).is_some() {
                    intent
                        .removed_columns
                        .insert((e.table.clone(), name.clone()));
                }
                if old.table(name).is_some() {
                    intent.removed_tables.insert(name.clone());
                }
            }
        }
        // A join table's two columns are named after the entities it links: when one is
        // renamed, so is its column. They are matched by position.
        for link in &e.links {
            let Some(before) = old_table(&intent, &link.join_table) else {
                continue;
            };
            let now = [&link.source_column, &link.target_column];
            for (new, was) in now.into_iter().zip(&before.columns) {
                if before.column(new).is_none() {
                    intent
                        .column_renames
                        .insert((link.join_table.clone(), new.clone()), was.name.clone());
                }
            }
        }
    }
    for removed in &app.removed_entities {
        for name in &removed.sql_names {
            if old.table(name).is_some() {
                intent.removed_tables.insert(name.clone());
            }
        }
    }
    // The join tables of a removed entity go with it.
    let spec_tables: Vec<&str> = app
        .entities
        .iter()
        .flat_map(|e| {
            std::iter::once(e.table.as_str()).chain(e.links.iter().map(|l| l.join_table.as_str()))
        })
        .collect();
    for table in &old.tables {
        let joins_removed = table.constraints.iter().any(|c| {
            c.references
                .as_ref()
                .is_some_and(|t| intent.removed_tables.contains(t) && t != &table.name)
        });
        let renamed_away = intent.table_renames.values().any(|was| was == &table.name);
        if joins_removed && !spec_tables.contains(&table.name.as_str()) && !renamed_away {
            intent.removed_tables.insert(table.name.clone());
        }
    }
    intent
}
