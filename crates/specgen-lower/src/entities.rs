//! Entity names: each `## Entity` heading becomes an [`specgen_ir::Entity`] with its
//! derived names (snake, plural, table, route), its `{auth}` marker and the indexes
//! (`entity_keys`, `plural_keys`, `tables`) later passes look names up in; and
//! `find_entity`, which resolves a written entity name with a suggestion when it fails.
//!
//! Headings that record a rename (`{was Studio}`) or a removal (`{removed}`) are read
//! with `changes`. Depends only on `cx`, `names` and `changes`; it must not depend on
//! fields, access, rules or auth (entity headers are read before any field).

use std::collections::{BTreeSet, HashMap};

use specgen_diagnostics::{Diagnostic, FileId, Span, suggest};
use specgen_ir::{Entity, Permissions};
use specgen_syntax::{EntitySection, Spanned};

use crate::cx::{Cx, list};
use crate::names::{self, key, pluralize, singularize};

impl<'a> Cx<'a> {
    pub(crate) fn entity_header(&mut self, sec: &'a EntitySection) {
        if let Some(d) = names::too_long(
            "entity name",
            &sec.name.value,
            sec.name.span,
            "an entity's name is a few words, like `## Order Line`; say more in the prose under the heading",
        ) {
            self.push(d);
            return;
        }
        let words = names::words(&sec.name.value);
        let snake = names::snake(&words);
        if !names::is_valid_snake(&snake) {
            self.push(
                Diagnostic::error("invalid_name", sec.name.span, format!("`{}` is not a usable entity name", sec.name.value))
                    .with_hint("use words made of letters a-z and digits, starting with a letter, for example `## Order Line`"),
            );
            return;
        }
        let pascal = names::pascal(&words);
        if names::RESERVED_TYPE_NAMES.contains(&pascal.as_str()) {
            self.push(
                Diagnostic::error(
                    "reserved_name",
                    sec.name.span,
                    format!(
                        "`{}` cannot be an entity name: the generated code already uses `{pascal}`",
                        sec.name.value
                    ),
                )
                .with_hint(format!(
                    "choose a more specific name, for example `## App {}`",
                    sec.name.value
                )),
            );
            return;
        }
        let k = key(&pascal);
        if self.removed_entity(sec, &words, &k) {
            return;
        }
        if let Some(&removed) = self.removed_keys.get(&k) {
            let first = self.removed_entities[removed].span;
            self.push(
                Diagnostic::error(
                    "duplicate_entity",
                    sec.name.span,
                    format!("`{pascal}` is defined, but it is also recorded as removed"),
                )
                .with_label(first, "recorded as removed here")
                .with_hint("keep the entity's section, or its `{removed}` heading, not both"),
            );
            return;
        }
        if let Some(&first) = self.entity_keys.get(&k) {
            let first_span = self.entities[first].span;
            self.push(
                Diagnostic::error(
                    "duplicate_entity",
                    sec.name.span,
                    format!("the entity `{pascal}` is defined twice"),
                )
                .with_label(first_span, "first defined here")
                .with_hint("merge the two sections or rename one of them"),
            );
            return;
        }
        let singular = singularize(&words);
        if singular != words && pluralize(&singular) == words {
            self.push(
                Diagnostic::warning(
                    "plural_entity_name",
                    sec.name.span,
                    format!(
                        "entity names are singular, but `{}` reads as a plural",
                        sec.name.value
                    ),
                )
                .with_hint(format!(
                    "write `## {}`; plurals such as `{words}` are derived from it",
                    heck::ToTitleCase::to_title_case(singular.as_str())
                )),
            );
        }
        let plural_words = pluralize(&words);
        let table = names::entity_table(&words);
        if let Some(other) = self.tables.get(&table).map(|&i| &self.entities[i]) {
            let other_span = other.span;
            self.push(
                Diagnostic::error("name_collision", sec.name.span, format!("the entity `{pascal}` would use the table `{table}`, which another entity already uses"))
                    .with_label(other_span, "this entity uses it")
                    .with_hint("rename one of the two entities"),
            );
            return;
        }
        // A `was` that is reported still leaves the entity, so its fields are checked too.
        let (previous_words, previous_tables) = self.previous_tables(sec, &pascal, &table);
        let mut is_auth = false;
        for m in &sec.markers {
            match m.value.as_str() {
                "auth" => is_auth = true,
                other => {
                    let d = Diagnostic::error(
                        "unknown_marker",
                        m.span,
                        format!("unknown entity marker `{other}`"),
                    );
                    self.push(match suggest(other, ["auth", "removed"]) {
                        Some(s) => d.with_hint(format!("did you mean `{s}`?")),
                        None => d.with_hint(
                            "an entity can be marked `{auth}` (the one people sign in as)",
                        ),
                    });
                }
            }
        }
        let idx = self.entities.len();
        if is_auth {
            match self.auth_idx {
                Some(first) => {
                    let first_span = self.entities[first].span;
                    self.push(
                        Diagnostic::error(
                            "duplicate_auth_entity",
                            sec.heading,
                            format!(
                                "`{pascal}` is marked `{{auth}}` but `{}` already is",
                                self.entities[first].name
                            ),
                        )
                        .with_label(first_span, "the sign-in entity")
                        .with_hint("one entity signs in; give the other a reference to it instead"),
                    );
                    is_auth = false;
                }
                None => self.auth_idx = Some(idx),
            }
        }
        let line = self.line(sec.heading);
        self.entity_keys.insert(k, idx);
        self.plural_keys.insert(key(&plural_words), idx);
        self.tables.insert(table.clone(), idx);
        self.entities.push(Entity {
            name: pascal,
            words: words.clone(),
            plural_words: plural_words.clone(),
            snake: names::rust_ident(&snake),
            plural_snake: names::rust_ident(&names::snake(&plural_words)),
            table,
            route: format!("/api/{}", names::kebab(&plural_words)),
            description: sec.description.clone(),
            is_auth,
            fields: Vec::new(),
            links: Vec::new(),
            children: Vec::new(),
            owner: None,
            access: Vec::new(),
            permissions: Permissions::default(),
            rules: Vec::new(),
            previous_tables,
            removed_fields: Vec::new(),
            span: sec.heading,
            line,
        });
        self.field_keys.push(HashMap::new());
        self.failed_fields.push(BTreeSet::new());
        self.previous_words.push(previous_words);
        self.sections.push(sec);
    }

    /// Reports a spec with no entity: empty (only blank lines), or only front matter,
    /// a title and prose. Located at the end of the root file, where one would go.
    pub(crate) fn require_entity(&mut self, file: FileId, text: &str) {
        let end = Span::new(file, text.len(), text.len());
        let needs = "a spec needs front matter naming the app and at least one entity: a `## Name` heading with field bullets";
        let d = if text.trim().is_empty() {
            Diagnostic::error("empty_spec", end, format!("the spec is empty; {needs}"))
        } else {
            Diagnostic::error(
                "no_entity",
                end,
                format!("the spec defines no entity; {needs}"),
            )
        };
        self.push(d.with_hint(
            "run `specgen new NAME` for a starter spec to edit, or add a section such as `## Task` with `- title {text, 1..200}`",
        ));
    }

    pub(crate) fn find_entity(&self, name: &Spanned<String>) -> Result<usize, Diagnostic> {
        let k = key(&name.value);
        if let Some(&i) = self.entity_keys.get(&k) {
            return Ok(i);
        }
        let d = Diagnostic::error(
            "unknown_entity",
            name.span,
            format!("unknown entity `{}`", name.value),
        );
        if self.removed_keys.contains_key(&k) {
            return Err(d.with_hint(format!(
                "`{}` is recorded as removed (`{{removed}}`); refer to an entity that still exists",
                name.value
            )));
        }
        let candidates: Vec<String> = self.entities.iter().map(|e| e.words.clone()).collect();
        let singular = singularize(&names::words(&name.value));
        Err(if let Some(&i) = self.entity_keys.get(&key(&singular)) {
            d.with_hint(format!(
                "entity names are singular: did you mean `{}`?",
                self.entities[i].name
            ))
        } else {
            match suggest(
                &names::words(&name.value),
                candidates.iter().map(String::as_str),
            ) {
                Some(s) => d.with_hint(format!("did you mean `{}`?", names::pascal(s))),
                None if self.entities.is_empty() => {
                    d.with_hint("define it with a `## Name` section")
                }
                None => d.with_hint(format!(
                    "the entities are {}; define new ones with a `## Name` section",
                    list(
                        &self
                            .entities
                            .iter()
                            .map(|e| e.name.as_str())
                            .collect::<Vec<_>>()
                    )
                )),
            }
        })
    }
}
