//! SQL names across the schema, once every entity's fields and links are known: each
//! table (an entity's or a link's join table) has a name no other table has, and the
//! names the emitters compose from a table and one of its columns (`<table>_<column>`
//! then `_key`, `_fkey`, `_check` or `_idx`) cannot collide, because no two columns of
//! the schema share the stem `<table>_<column>` (`people` + `groups_name` and
//! `people_groups` + `name` would). Rule codes, which name constraints and triggers, then
//! avoid every table and composed name (they are reserved in `rule_codes`).
//!
//! Every name here already fits 63 bytes (`names::sql_identifier`); the emitters shorten
//! composed names the same way, with a hash of the whole name, so distinct stems stay
//! distinct after shortening.
//!
//! Depends only on `cx` and `names`; it must not depend on rules, auth or the driver.

use std::collections::HashMap;

use specgen_diagnostics::{Diagnostic, Span};

use crate::cx::Cx;

/// Suffixes the emitters add to a `<table>_<column>` stem.
const SUFFIXES: [&str; 4] = ["key", "fkey", "check", "idx"];

/// One column as the emitters name things after it.
struct Stem {
    table: String,
    column: String,
    span: Span,
    /// What it is, for messages: "the field `groups name` of `Person`".
    what: String,
}

impl Cx<'_> {
    /// Checks that tables and `<table>_<column>` stems are unique in the schema, and
    /// reserves them (and the names composed from them) so no rule code takes one.
    pub(crate) fn schema_names(&mut self) {
        let mut tables: HashMap<String, Span> = HashMap::new();
        let mut problems = Vec::new();
        // Links whose table clash was reported: their columns' stems clash too, but
        // saying so again would add nothing.
        let mut reported: Vec<Span> = Vec::new();
        for entity in &self.entities {
            // Entity tables are unique already (`entity_header` reports a clash).
            tables.entry(entity.table.clone()).or_insert(entity.span);
        }
        for entity in &self.entities {
            for link in &entity.links {
                if let Some(&first) = tables.get(&link.join_table) {
                    reported.push(link.span);
                    problems.push(
                        Diagnostic::error(
                            "name_collision",
                            link.span,
                            format!(
                                "the link `{}` of `{}` needs the table `{}`, which another link or entity already uses",
                                link.name, entity.name, link.join_table
                            ),
                        )
                        .with_label(first, "this one uses it")
                        .with_hint("rename one of the two links"),
                    );
                } else {
                    tables.insert(link.join_table.clone(), link.span);
                }
            }
        }
        let mut seen: HashMap<String, usize> = HashMap::new();
        let stems = self.stems();
        for (i, stem) in stems.iter().enumerate() {
            let name = format!("{}_{}", stem.table, stem.column);
            match seen.get(&name) {
                Some(_) if reported.contains(&stem.span) => {}
                Some(&first) => {
                    let first = &stems[first];
                    problems.push(
                        Diagnostic::error(
                            "name_collision",
                            stem.span,
                            format!(
                                "{} and {} would share the database names `{name}_...`",
                                stem.what, first.what
                            ),
                        )
                        .with_label(first.span, "this one")
                        .with_hint("rename one of the two, so that no table name followed by a column name reads like another"),
                    );
                }
                None => {
                    seen.insert(name, i);
                }
            }
        }
        for d in problems {
            self.push(d);
        }
        let taken = tables.into_keys().chain(seen.into_keys().flat_map(|stem| {
            SUFFIXES
                .iter()
                .map(move |suffix| format!("{stem}_{suffix}"))
                .collect::<Vec<_>>()
        }));
        self.rule_codes.extend(taken);
    }

    /// Every column the emitters compose names from, in spec order: each field's column
    /// (the sign-in entity's `role` and every table's `created_at` too: they are checked
    /// and indexed by name), and the two columns of each join table.
    fn stems(&self) -> Vec<Stem> {
        let mut out = Vec::new();
        for entity in &self.entities {
            let mut implicit = vec!["created_at"];
            if entity.is_auth {
                implicit.push("role");
            }
            for column in implicit {
                out.push(Stem {
                    table: entity.table.clone(),
                    column: column.to_owned(),
                    span: entity.span,
                    what: format!("the column `{column}` of `{}`", entity.name),
                });
            }
            for field in &entity.fields {
                out.push(Stem {
                    table: entity.table.clone(),
                    column: field.column.clone(),
                    span: field.span,
                    what: format!("the field `{}` of `{}`", field.name, entity.name),
                });
            }
            for link in &entity.links {
                for column in [&link.source_column, &link.target_column] {
                    out.push(Stem {
                        table: link.join_table.clone(),
                        column: column.clone(),
                        span: link.span,
                        what: format!("the link `{}` of `{}`", link.name, entity.name),
                    });
                }
            }
        }
        out
    }
}
