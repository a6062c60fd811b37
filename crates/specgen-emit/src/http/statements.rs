//! The SQL an entity module runs: its `SELECT`, `INSERT` and `UPDATE` statements, laid out
//! as continued string lines, and the binds of each.

use specgen_ir::Entity;

use crate::layout::{self, continued, end_line, wrap_sql};

/// An entity's statements and their binds, laid out for the handlers.
pub(super) struct Statements {
    pub select_lines: Vec<String>,
    pub select_one_lines: Vec<String>,
    pub insert_lines: Vec<String>,
    pub update_lines: Vec<String>,
    pub binds: Vec<String>,
    pub update_binds: Vec<String>,
}

impl Statements {
    pub fn new(entity: &Entity) -> Statements {
        let column_names: Vec<String> = std::iter::once("id".to_owned())
            .chain(entity.fields.iter().map(|f| f.column.clone()))
            .chain(["created_at".to_owned(), "updated_at".to_owned()])
            .collect();
        let select = wrap_sql(&format!("SELECT {}", column_names.join(", ")));
        let mut select_lines = continued(&select);
        end_line(&mut select_lines);
        select_lines.push(format!("FROM {}", entity.table));
        let mut select_one_lines = select_lines.clone();
        end_line(&mut select_one_lines);
        select_one_lines.push("WHERE id = $1".to_owned());
        let placeholders: Vec<String> = (1..=column_names.len()).map(|i| format!("${i}")).collect();
        let mut insert_lines = continued(&wrap_sql(&format!(
            "INSERT INTO {} ({})",
            entity.table,
            column_names.join(", ")
        )));
        end_line(&mut insert_lines);
        insert_lines.extend(continued(&wrap_sql(&format!(
            "VALUES ({})",
            placeholders.join(", ")
        ))));
        let mut sets: Vec<String> = entity
            .fields
            .iter()
            .enumerate()
            .map(|(i, f)| format!("{} = ${}", f.column, i + 2))
            .collect();
        let updated_at = entity.fields.len() + 2;
        sets.push(format!("updated_at = ${updated_at}"));
        let mut update_lines = continued(&wrap_sql(&format!(
            "UPDATE {} SET {}",
            entity.table,
            sets.join(", ")
        )));
        end_line(&mut update_lines);
        update_lines.push(format!(
            "WHERE id = $1 AND updated_at = ${}",
            updated_at + 1
        ));

        let binds: Vec<String> = std::iter::once("id".to_owned())
            .chain(entity.fields.iter().map(|f| f.ident.clone()))
            .chain(["created_at".to_owned(), "updated_at".to_owned()])
            .map(|field| layout::bind(8, &field))
            .collect();
        let update_binds: Vec<String> = entity
            .fields
            .iter()
            .map(|f| f.ident.clone())
            .chain(["updated_at".to_owned()])
            .map(|field| layout::bind(8, &field))
            .collect();
        Statements {
            select_lines,
            select_one_lines,
            insert_lines,
            update_lines,
            binds,
            update_binds,
        }
    }
}
