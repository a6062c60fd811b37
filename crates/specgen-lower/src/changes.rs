//! Renames and removals: the spec's record of how a deployed app changed, so that the next
//! migration keeps rows instead of dropping them. An old name after `was` (`{was Studio}`,
//! `was capacity`, `live (was published)`) is checked and turned into the SQL name it had,
//! computed exactly as the current name is; every old name belongs to one entity, field,
//! link or value ([`Claims`]); and tombstones (`## Studio {removed}`, `- notes {removed}`)
//! become [`Removed`] records with the SQL names they may have had.
//!
//! Depends only on `cx` and `names`: entity headers, field options and fields use it.

use std::collections::HashMap;

use specgen_diagnostics::{Diagnostic, Span};
use specgen_ir::Removed;
use specgen_syntax::{EntitySection, FieldItemKind, FieldLine, Spanned};

use crate::cx::Cx;
use crate::names;

/// Old SQL names (tables, columns, join tables, values) claimed so far, and where.
pub(crate) type Claims = HashMap<String, Span>;

/// `was` items as lowering keeps them: the old name (if written) and the item's span.
pub(crate) type WasItems = [(Option<Spanned<String>>, Span)];

/// Claims `sql` for the `was` or tombstone at `span`: the error when something else
/// already claimed it. `written` is the old name as the spec wrote it.
pub(crate) fn claim(
    claims: &mut Claims,
    sql: &str,
    written: &str,
    span: Span,
) -> Option<Diagnostic> {
    match claims.get(sql) {
        Some(&first) => Some(
            Diagnostic::error(
                "duplicate_previous_name",
                span,
                if names::snake(written) == sql {
                    format!("the old name `{written}` is claimed twice")
                } else {
                    format!("the old name `{written}` (`{sql}`) is claimed twice")
                },
            )
            .with_label(first, "claimed here first")
            .with_hint("an old name belongs to one entity, field or value: keep one `was` or `removed` for it"),
        ),
        None => {
            claims.insert(sql.to_owned(), span);
            None
        }
    }
}

impl Cx<'_> {
    /// The words of the name after a `was`; `what` is the kind of thing renamed (`entity`,
    /// `field`, `value`). `None` when the name is missing or unusable (reported).
    pub(crate) fn previous_words(
        &mut self,
        what: &str,
        name: Option<&Spanned<String>>,
        span: Span,
    ) -> Option<String> {
        let Some(name) = name else {
            let example = match what {
                "entity" => "{was Studio}",
                "value" => "live (was published)",
                "link" => "was labels",
                _ => "was capacity",
            };
            self.push(
                Diagnostic::error(
                    "missing_previous_name",
                    span,
                    format!("`was` needs the name the {what} had before"),
                )
                .with_hint(format!(
                    "write the old name after `was`, for example `{example}`"
                )),
            );
            return None;
        };
        if let Some(d) = names::too_long(
            &format!("old {what} name"),
            &name.value,
            name.span,
            "write the old name exactly as the spec had it",
        ) {
            self.push(d);
            return None;
        }
        let words = names::words(&name.value);
        if !names::is_valid_snake(&names::snake(&words)) {
            self.push(
                Diagnostic::error(
                    "invalid_name",
                    name.span,
                    format!("`{}` is not a usable {what} name", name.value),
                )
                .with_hint("write the old name exactly as the spec had it: words made of letters a-z and digits"),
            );
            return None;
        }
        Some(words)
    }

    /// Reports a `was` that names what the thing is called now.
    pub(crate) fn was_current(&mut self, what: &str, name: &str, span: Span) {
        self.push(
            Diagnostic::error(
                "previous_name_is_current",
                span,
                format!("`{name}` is the {what}'s current name, not one it had before"),
            )
            .with_hint(format!(
                "after `was`, write the name the {what} had before it was renamed, or remove the `was`"
            )),
        );
    }

    /// Claims `sql` in `claims`; false when something else already had (reported).
    pub(crate) fn claim(
        &mut self,
        claims: &mut Claims,
        sql: &str,
        written: &str,
        span: Span,
    ) -> bool {
        match claim(claims, sql, written, span) {
            Some(d) => {
                self.push(d);
                false
            }
            None => true,
        }
    }

    /// An entity's previous names (`{was Studio, was Space}`), newest first: their words
    /// and their tables, without the ones that were reported. Old tables are claimed
    /// across the app.
    pub(crate) fn previous_tables(
        &mut self,
        sec: &EntitySection,
        name: &str,
        table: &str,
    ) -> (Vec<String>, Vec<String>) {
        let mut words = Vec::new();
        let mut tables = Vec::new();
        for was in &sec.previous {
            let Some(w) = self.previous_words("entity", was.name.as_ref(), was.span) else {
                continue;
            };
            let old = names::entity_table(&w);
            if old == table {
                self.was_current("entity", name, was.span);
                continue;
            }
            let written = was.name.as_ref().map_or("", |n| n.value.as_str());
            let mut claims = std::mem::take(&mut self.claimed_tables);
            let claimed = self.claim(&mut claims, &old, written, was.span);
            self.claimed_tables = claims;
            if claimed {
                words.push(w);
                tables.push(old);
            }
        }
        (words, tables)
    }

    /// A heading marked `{removed}` is a tombstone, not an entity: recorded in
    /// `removed_entities` with the table it had. True when the heading is one (whether or
    /// not it was reported).
    pub(crate) fn removed_entity(&mut self, sec: &EntitySection, words: &str, key: &str) -> bool {
        if !sec.markers.iter().any(|m| m.value == "removed") {
            return false;
        }
        let pascal = names::pascal(words);
        let others = sec.previous.iter().map(|p| p.span).chain(
            sec.markers
                .iter()
                .filter(|m| m.value != "removed")
                .map(|m| m.span),
        );
        for span in others.collect::<Vec<_>>() {
            self.push(
                Diagnostic::error(
                    "conflicting_options",
                    span,
                    format!("`{pascal}` is recorded as removed, so nothing else can mark it"),
                )
                .with_hint(format!(
                    "if the entity was renamed, write `## NewName {{was {pascal}}}` instead; if it is gone, keep only `{{removed}}`"
                )),
            );
        }
        let first_line = sec
            .fields
            .iter()
            .map(|f| f.span)
            .chain(sec.access.iter().map(|a| a.span))
            .chain(sec.rules.iter().map(|r| r.span))
            .min_by_key(|s| (s.file, s.start));
        if let Some(span) = first_line {
            self.push(
                Diagnostic::error(
                    "removed_entity_has_fields",
                    span,
                    format!("`{pascal}` is recorded as removed, so its section cannot have fields, access or rules"),
                )
                .with_label(sec.heading, "recorded as removed here")
                .with_hint("remove the lines under the heading (prose saying why it went may stay), or remove `{removed}` to keep the entity"),
            );
        }
        if let Some(&i) = self.entity_keys.get(key) {
            let first = self.entities[i].span;
            self.push(
                Diagnostic::error(
                    "duplicate_entity",
                    sec.name.span,
                    format!("`{pascal}` is recorded as removed, but it is also defined"),
                )
                .with_label(first, "defined here")
                .with_hint("keep the entity's section, or its `{removed}` heading, not both"),
            );
        }
        let table = names::entity_table(words);
        let mut claims = std::mem::take(&mut self.claimed_tables);
        self.claim(&mut claims, &table, &sec.name.value, sec.heading);
        self.claimed_tables = claims;
        let line = self.line(sec.heading);
        self.removed_keys
            .insert(key.to_owned(), self.removed_entities.len());
        self.removed_entities.push(Removed {
            name: sec.name.value.clone(),
            sql_names: vec![table],
            span: sec.heading,
            line,
        });
        true
    }

    /// A field line `- notes {removed}` of entity `ei` is a tombstone, not a field: the SQL
    /// names a field or link of that name had (its column, the column with the reference
    /// suffix `_id`, the join table). `snake` is the line's checked name. `None` when it
    /// was reported.
    pub(crate) fn removed_field(
        &mut self,
        ei: usize,
        line: &FieldLine,
        snake: &str,
        claims: &mut Claims,
    ) -> Option<Removed> {
        if let Some(other) = line
            .items
            .iter()
            .find(|i| !matches!(i.kind, FieldItemKind::Removed))
        {
            self.push(
                Diagnostic::error(
                    "conflicting_options",
                    other.span,
                    format!("`{}` is recorded as removed, so it takes no other option", line.name.value),
                )
                .with_hint(format!(
                    "keep `{{removed}}` alone on a removed field; if it was renamed, write `was {}` on its new line instead",
                    line.name.value
                )),
            );
            return None;
        }
        let entity_snake = names::snake(&self.entities[ei].words);
        let mut sql_names: Vec<String> = Vec::new();
        for n in [
            names::column(snake),
            names::column(&names::reference_stem(snake)),
            names::join_table(&entity_snake, snake),
        ] {
            if !sql_names.contains(&n) {
                sql_names.push(n);
            }
        }
        let mut ok = true;
        for n in &sql_names {
            ok &= self.claim(claims, n, &line.name.value, line.span);
        }
        let line_no = self.line(line.span);
        ok.then(|| Removed {
            name: line.name.value.clone(),
            sql_names,
            span: line.span,
            line: line_no,
        })
    }

    /// The columns a field had before (`was capacity`), newest first, computed as its
    /// `column` is (a `reference` gets the `_id` stem). `None` when any was reported.
    pub(crate) fn previous_columns(
        &mut self,
        was: &WasItems,
        name_words: &str,
        reference: bool,
        column: &str,
        claims: &mut Claims,
    ) -> Option<Vec<String>> {
        let mut out = Vec::new();
        let mut ok = true;
        for (name, span) in was {
            let Some(words) = self.previous_words("field", name.as_ref(), *span) else {
                ok = false;
                continue;
            };
            let snake = names::snake(&words);
            let stem = if reference {
                names::reference_stem(&snake)
            } else {
                snake
            };
            let old = names::column(&stem);
            if old == column {
                self.was_current("field", name_words, *span);
                ok = false;
                continue;
            }
            let written = name.as_ref().map_or("", |n| n.value.as_str());
            if self.claim(claims, &old, written, *span) {
                out.push(old);
            } else {
                ok = false;
            }
        }
        ok.then_some(out)
    }

    /// The join tables a link of entity `ei` had before: every combination of the entity's
    /// names (current, then previous) with the link's (current, then its `was` names),
    /// except the current `join_table`. `None` when any `was` was reported.
    pub(crate) fn previous_join_tables(
        &mut self,
        ei: usize,
        was: &WasItems,
        (name_words, snake): (&str, &str),
        join_table: &str,
        claims: &mut Claims,
    ) -> Option<Vec<String>> {
        let mut link_names = vec![snake.to_owned()];
        let mut ok = true;
        for (name, span) in was {
            let Some(words) = self.previous_words("link", name.as_ref(), *span) else {
                ok = false;
                continue;
            };
            let old = names::snake(&words);
            if old == snake {
                self.was_current("link", name_words, *span);
                ok = false;
                continue;
            }
            link_names.push(old);
        }
        let entity_names: Vec<String> = std::iter::once(&self.entities[ei].words)
            .chain(&self.previous_words[ei])
            .map(|w| names::snake(w))
            .collect();
        let span = was.first().map_or(self.entities[ei].span, |w| w.1);
        let mut out: Vec<String> = Vec::new();
        for entity in &entity_names {
            for link in &link_names {
                let table = names::join_table(entity, link);
                if table != join_table && !out.contains(&table) {
                    ok &= self.claim(claims, &table, &words_of(link), span);
                    out.push(table);
                }
            }
        }
        ok.then_some(out)
    }
}

/// Snake case back to words, for messages.
fn words_of(snake: &str) -> String {
    snake.replace('_', " ")
}
