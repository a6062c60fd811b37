//! Fields: each entity's field lines lowered into [`specgen_ir::Field`]s (or
//! many-to-many [`specgen_ir::Link`]s), checked for duplicates, and indexed by name; and
//! the children each entity gets from the reference fields pointing at it. A line marked
//! `{removed}` is a tombstone, not a field; `was` items give a field its old columns and
//! a link its old join tables (see `changes`).
//!
//! Depends on `cx`, `names`, `changes`, `options` (a line's items, collected), `types`,
//! `values` (defaults) and `conditions` (the comparisons it hands on to rules); it must
//! not depend on rules, auth or the driver.

use std::collections::HashMap;

use specgen_diagnostics::{Diagnostic, Span};
use specgen_ir::{ChildRef, Field, FieldType, Link, OnDelete, Removed, Value, Who};
use specgen_syntax::{FieldItemKind, FieldLine, OnDeleteWord, Op, Spanned};

use crate::changes::Claims;
use crate::conditions::FieldCompare;
use crate::cx::{Cx, list, sorted};
use crate::names::{self, key, singularize};
use crate::options::FieldOptions;
use crate::types::{TYPE_NAMES, a_type};

/// Fields of the sign-in entity that the generated backend manages itself.
const AUTH_MANAGED: &[&str] = &[
    "password",
    "password_hash",
    "role",
    "email_verified_at",
    "email_verified",
];

/// A lowered field line: a column (with the comparisons written on it) or a link.
enum LoweredField {
    /// The field, its comparisons with other fields, and its `copied from` path.
    Field(
        Box<Field>,
        Vec<(Op, Spanned<String>, Span)>,
        Option<(Vec<Spanned<String>>, Span)>,
    ),
    Link(Link),
}

/// What `field` has decided about a field before it is built.
struct FieldParts {
    name_words: String,
    snake: String,
    /// The name of the column and JSON key (`studio_id` for a reference `studio`).
    base_ident: String,
    ty: FieldType,
    required: bool,
    default: Option<Value>,
    /// Columns it had before (`was capacity`), newest first.
    previous_columns: Vec<String>,
}

impl Cx<'_> {
    /// Lower an entity's field lines; returns the comparisons written on them
    /// (`after starts at`), which become rules once every field is known.
    pub(crate) fn fields(&mut self, ei: usize) -> Vec<FieldCompare> {
        let sec = self.sections[ei];
        let mut seen: HashMap<String, Span> = HashMap::new();
        let mut compares: Vec<FieldCompare> = Vec::new();
        let mut claims = Claims::new();
        let mut removed = Vec::new();
        for line in &sec.fields {
            if line
                .items
                .iter()
                .any(|i| matches!(i.kind, FieldItemKind::Removed))
            {
                let tombstone = self
                    .field_name(ei, line)
                    .and_then(|(_, snake)| self.removed_field(ei, line, &snake, &mut claims));
                match tombstone {
                    Some(r) => removed.push(r),
                    None => {
                        self.failed_fields[ei].insert(key(&line.name.value));
                    }
                }
                continue;
            }
            let Some(lowered) = self.field(ei, line, &mut claims) else {
                self.failed_fields[ei].insert(key(&line.name.value));
                continue;
            };
            let (ident, json, column, span) = match &lowered {
                LoweredField::Field(f, ..) => {
                    (f.ident.clone(), f.json.clone(), f.column.clone(), f.span)
                }
                LoweredField::Link(l) => (
                    l.ident.clone(),
                    l.json.clone(),
                    l.join_table.clone(),
                    l.span,
                ),
            };
            let mut clash = None;
            for n in [&ident, &json, &column] {
                if let Some(first) = seen.get(n.as_str()) {
                    clash = Some(*first);
                    break;
                }
            }
            if let Some(first) = clash {
                self.push(
                    Diagnostic::error(
                        "duplicate_field",
                        line.name.span,
                        format!(
                            "the field `{}` is defined twice in `{}`",
                            line.name.value, self.entities[ei].name
                        ),
                    )
                    .with_label(first, "first defined here")
                    .with_hint("rename or remove one of them"),
                );
                continue;
            }
            for n in [ident, json, column] {
                seen.insert(n, span);
            }
            match lowered {
                LoweredField::Field(f, cmp, copied) => {
                    let fi = self.entities[ei].fields.len();
                    let fk = &mut self.field_keys[ei];
                    fk.insert(key(&f.name), fi);
                    fk.insert(key(&f.ident), fi);
                    fk.insert(key(&f.json), fi);
                    for (op, other, at) in cmp {
                        compares.push(FieldCompare {
                            field: fi,
                            op,
                            other,
                            at,
                        });
                    }
                    if f.owner {
                        self.entities[ei].owner = Some(f.ident.clone());
                    }
                    if let Some((path, span)) = copied {
                        self.copies.push((ei, fi, path, span));
                    }
                    self.entities[ei].fields.push(*f);
                }
                LoweredField::Link(l) => self.entities[ei].links.push(l),
            }
        }
        self.still_present(ei, &removed);
        self.entities[ei].removed_fields = removed;
        compares
    }

    /// Reports tombstones of entity `ei` whose field or link is still there.
    fn still_present(&mut self, ei: usize, removed: &[Removed]) {
        for r in removed {
            let k = key(&r.name);
            let entity = &self.entities[ei];
            let present = match self.field_keys[ei].get(&k) {
                Some(&fi) => Some(entity.fields[fi].span),
                None => entity
                    .links
                    .iter()
                    .find(|l| key(&l.name) == k)
                    .map(|l| l.span),
            };
            if let Some(first) = present {
                let d = Diagnostic::error(
                    "duplicate_field",
                    r.span,
                    format!(
                        "`{}` is recorded as removed, but `{}` still has it",
                        r.name, entity.name
                    ),
                )
                .with_label(first, "defined here")
                .with_hint("keep the field's line, or its `{removed}` line, not both");
                self.push(d);
            }
        }
    }

    /// Lower one field line; `None` when it was reported (the line is then dropped).
    fn field(&mut self, ei: usize, line: &FieldLine, claims: &mut Claims) -> Option<LoweredField> {
        let (name_words, snake) = self.field_name(ei, line)?;
        let o = self.field_options(ei, line, &name_words)?;
        let is_required = o.optional.is_none();
        let required_role = match (&o.reference_role, o.reference) {
            (Some(role), Some((many, target, _))) => {
                Some(self.reference_role(&name_words, &o, (many, target), role)?)
            }
            _ => None,
        };
        // Many-to-many: a link, not a column.
        if let Some((true, target, rspan)) = o.reference {
            return self
                .link(ei, line, (&name_words, &snake), &o, (target, rspan), claims)
                .map(LoweredField::Link);
        }
        let (field_ty, base_ident) = match o.reference {
            Some((_, target, _)) => {
                self.reference_type(&name_words, &snake, &o, target, is_required)?
            }
            None => (self.plain_type(line, &name_words, &o)?, snake.clone()),
        };
        self.check_range_applies(line, &name_words, &o, &field_ty)?;
        if let Some(ospan) = o.owner {
            self.check_owner(ei, ospan, &name_words, &field_ty, is_required)?;
        }
        self.check_unique_applies(&o, &field_ty)?;
        let default_value = self.field_default_value(&o, &field_ty)?;
        if let Some((_, span)) = &o.copied_from {
            self.check_copy_applies(*span, &name_words, &o, &field_ty)?;
        }
        if o.read_only
            && is_required
            && default_value.is_none()
            && o.owner.is_none()
            && o.copied_from.is_none()
        {
            self.push(
                Diagnostic::error("read_only_without_default", line.name.span, format!("`{name_words}` is read-only and required but has no default, so it could never be set"))
                    .with_hint("add a default (for example `default 0`) or make it `optional`"),
            );
            return None;
        }
        let is_ref = matches!(field_ty, FieldType::Reference { .. });
        let previous_columns = self.previous_columns(
            &o.previous,
            &name_words,
            is_ref,
            &names::column(&base_ident),
            claims,
        )?;
        let compares = o.compares.clone();
        let copied = o.copied_from.clone();
        let field = self.build_field(
            ei,
            line,
            FieldParts {
                name_words,
                snake,
                base_ident,
                ty: field_ty,
                required: is_required,
                default: default_value,
                previous_columns,
            },
            o,
        );
        let field = Field {
            required_role,
            ..field
        };
        Some(LoweredField::Field(Box::new(field), compares, copied))
    }

    /// A field's name in words and snake_case; `None` when it is unusable or reserved.
    fn field_name(&mut self, ei: usize, line: &FieldLine) -> Option<(String, String)> {
        if let Some(d) = names::too_long(
            "field name",
            &line.name.value,
            line.name.span,
            "a field's name is a few words, like `starts at`; say more in its description after `:`",
        ) {
            self.push(d);
            return None;
        }
        let name_words = names::words(&line.name.value);
        let snake = names::snake(&name_words);
        if !names::is_valid_snake(&snake) {
            self.push(
                Diagnostic::error("invalid_name", line.name.span, format!("`{}` is not a usable field name", line.name.value))
                    .with_hint("use words made of letters a-z and digits, starting with a letter, for example `starts at`"),
            );
            return None;
        }
        if ["id", "created_at", "updated_at"].contains(&snake.as_str()) {
            self.push(
                Diagnostic::error("reserved_field_name", line.name.span, format!("every entity already has `{name_words}`"))
                    .with_hint("remove this line: `id`, `created at` and `updated at` are added to every entity"),
            );
            return None;
        }
        if self.entities[ei].is_auth && AUTH_MANAGED.contains(&snake.as_str()) {
            self.push(
                Diagnostic::error("reserved_field_name", line.name.span, format!("the sign-in entity already has `{name_words}`"))
                    .with_hint("remove this line: passwords, roles and email verification are managed by the generated backend"),
            );
            return None;
        }
        Some((name_words, snake))
    }

    /// A `many -> Entity` field: a join table between the two entities. It takes no other
    /// option.
    fn link(
        &mut self,
        ei: usize,
        line: &FieldLine,
        (name_words, snake): (&str, &str),
        o: &FieldOptions,
        (target, rspan): (usize, Span),
        claims: &mut Claims,
    ) -> Option<Link> {
        let extra = [
            o.optional.or(o.required),
            o.unique,
            o.default.as_ref().map(|d| d.span),
            o.range.as_ref().map(|r| r.2),
            o.owner,
            o.on_delete.map(|o| o.1),
            o.compares.first().map(|c| c.2),
        ]
        .into_iter()
        .flatten()
        .chain(o.who_spans.iter().copied())
        .next();
        if let Some(span) = extra.or(if o.read_only || o.immutable || o.indexed {
            Some(rspan)
        } else {
            None
        }) {
            self.push(
                Diagnostic::error("option_not_allowed", span, format!("`{name_words}` is a many-to-many link; this option does not apply to it"))
                    .with_hint("a `many -> Entity` field takes no other options; describe it after a `:` instead"),
            );
            return None;
        }
        let source = &self.entities[ei];
        let ident = names::rust_ident(snake);
        let target_snake = names::snake(&self.entities[target].words);
        let source_snake = names::snake(&source.words);
        let id_column = |stem: String| names::sql_identifier(&format!("{stem}_id"));
        let source_column = id_column(source_snake.clone());
        let mut target_column = id_column(target_snake.clone());
        if target_column == source_column {
            target_column = id_column(names::snake(&singularize(name_words)));
            if target_column == source_column {
                target_column = id_column(format!("related_{target_snake}"));
            }
        }
        let join_table = names::join_table(&source_snake, snake);
        if let Some(other) = self.tables.get(&join_table).map(|&i| &self.entities[i]) {
            let other_span = other.span;
            self.push(
                Diagnostic::error("name_collision", line.name.span, format!("the link `{name_words}` needs the table `{join_table}`, which the entity `{}` uses", other.name))
                    .with_label(other_span, "that entity")
                    .with_hint("rename the link or the entity"),
            );
            return None;
        }
        let previous_join_tables =
            self.previous_join_tables(ei, &o.previous, (name_words, snake), &join_table, claims)?;
        let line_no = self.line(line.span);
        Some(Link {
            name: name_words.to_string(),
            ident,
            json: format!("{}_ids", names::snake(&singularize(name_words))),
            target: self.entities[target].name.clone(),
            join_table,
            source_column,
            target_column,
            previous_join_tables,
            span: line.span,
            line: line_no,
        })
    }

    /// A `-> Entity` field's type (with what happens on delete) and its `_id` name.
    fn reference_type(
        &mut self,
        name_words: &str,
        snake: &str,
        o: &FieldOptions,
        target: usize,
        is_required: bool,
    ) -> Option<(FieldType, String)> {
        let od = match o.on_delete {
            None | Some((OnDeleteWord::Restrict, _)) => OnDelete::Restrict,
            Some((OnDeleteWord::Cascade, _)) => OnDelete::Cascade,
            Some((OnDeleteWord::SetEmpty, span)) => {
                if is_required {
                    self.push(
                        Diagnostic::error(
                            "set_empty_on_required",
                            span,
                            format!("`set empty` needs `{name_words}` to be optional"),
                        )
                        .with_hint("add `optional`, or use `cascade` or `restrict`"),
                    );
                    return None;
                }
                OnDelete::SetNull
            }
        };
        let base = names::reference_stem(snake);
        Some((
            FieldType::Reference {
                entity: self.entities[target].name.clone(),
                on_delete: od,
            },
            base,
        ))
    }

    /// The type of a field that is not a reference: an enumeration or a type word with
    /// its range.
    fn plain_type(
        &mut self,
        line: &FieldLine,
        name_words: &str,
        o: &FieldOptions,
    ) -> Option<FieldType> {
        if let Some((_, span)) = o.on_delete {
            self.push(
                Diagnostic::error(
                    "option_not_allowed",
                    span,
                    format!(
                        "`{name_words}` is not a reference, so nothing happens to it on delete"
                    ),
                )
                .with_hint("`cascade`, `restrict` and `set empty` apply to `-> Entity` fields"),
            );
            return None;
        }
        match (&o.enum_values, o.ty) {
            (Some((values, _)), _) => Some(FieldType::Enum {
                values: values.clone(),
            }),
            (None, Some((t, _))) => self.typed(t, o.range.as_ref(), name_words),
            (None, None) => {
                self.push(
                    Diagnostic::error("missing_type", line.name.span, format!("field `{name_words}` has no type"))
                        .with_hint(format!("add a type, for example `{{text}}`; the types are {}, `a | b` and `-> Entity`", list(TYPE_NAMES))),
                );
                None
            }
        }
    }

    /// Enumerations and references take no range.
    fn check_range_applies(
        &mut self,
        line: &FieldLine,
        name_words: &str,
        o: &FieldOptions,
        field_ty: &FieldType,
    ) -> Option<()> {
        if o.range.is_some()
            && matches!(
                field_ty,
                FieldType::Enum { .. } | FieldType::Reference { .. }
            )
        {
            let span = o.range.as_ref().map_or(line.span, |r| r.2);
            self.push(
                Diagnostic::error(
                    "range_not_allowed",
                    span,
                    format!("`{name_words}` cannot have a range"),
                )
                .with_hint("ranges apply to text (length), integer, decimal and money fields"),
            );
            return None;
        }
        Some(())
    }

    /// The owner field references the sign-in entity, is required, and is the entity's
    /// only one.
    fn check_owner(
        &mut self,
        ei: usize,
        ospan: Span,
        name_words: &str,
        field_ty: &FieldType,
        is_required: bool,
    ) -> Option<()> {
        match (field_ty, self.auth_idx) {
            (FieldType::Reference { entity, .. }, Some(a)) if *entity == self.entities[a].name => {}
            (_, Some(a)) => {
                self.push(
                    Diagnostic::error(
                        "owner_not_auth_entity",
                        ospan,
                        format!(
                            "the owner field must reference the sign-in entity `{}`",
                            self.entities[a].name
                        ),
                    )
                    .with_hint(format!(
                        "write `- {name_words} {{-> {}, the signed-in user}}`",
                        self.entities[a].name
                    )),
                );
                return None;
            }
            (_, None) => {
                self.push(
                    Diagnostic::error(
                        "owner_without_auth",
                        ospan,
                        "`the signed-in user` needs an entity people sign in as",
                    )
                    .with_hint("mark the sign-in entity, for example `## User {auth}`"),
                );
                return None;
            }
        }
        if !is_required {
            self.push(
                Diagnostic::error(
                    "conflicting_options",
                    ospan,
                    "the owner field is set from the session, so it cannot be optional",
                )
                .with_hint("remove `optional`"),
            );
            return None;
        }
        if let Some(first) = self.entities[ei].owner.clone() {
            let entity_name = self.entities[ei].name.clone();
            self.push(
                Diagnostic::error(
                    "duplicate_owner",
                    ospan,
                    format!("`{entity_name}` already has an owner field `{first}`"),
                )
                .with_hint("keep `the signed-in user` on one field"),
            );
            return None;
        }
        Some(())
    }

    /// Booleans and json cannot be unique.
    fn check_unique_applies(&mut self, o: &FieldOptions, field_ty: &FieldType) -> Option<()> {
        if let Some(uspan) = o.unique
            && matches!(field_ty, FieldType::Boolean | FieldType::Json)
        {
            self.push(
                Diagnostic::error(
                    "option_not_allowed",
                    uspan,
                    format!("{} field cannot be unique", a_type(field_ty)),
                )
                .with_hint("remove `unique`, or add a rule `{unique: ...}` over several fields"),
            );
            return None;
        }
        Some(())
    }

    /// The checked default (`Some(None)` when there is none); `None` when it was refused.
    fn field_default_value(
        &mut self,
        o: &FieldOptions,
        field_ty: &FieldType,
    ) -> Option<Option<Value>> {
        let Some(lit) = &o.default else {
            return Some(None);
        };
        if o.owner.is_some() {
            self.push(
                Diagnostic::error(
                    "default_not_allowed",
                    lit.span,
                    "the owner field is set from the session; it has no default",
                )
                .with_hint("remove the default"),
            );
            return None;
        }
        Some(Some(self.default_value(field_ty, lit)?))
    }

    /// The IR field, with what follows from its options: admins see and set what is
    /// restricted, and which fields are indexed, filterable and sortable.
    /// `copied from` on a field that can hold a copy: not the owner, no default, no `set by`
    /// (the server sets it), and a type a copy can have (not a reference or enumeration).
    fn check_copy_applies(
        &mut self,
        span: Span,
        name_words: &str,
        o: &FieldOptions,
        field_ty: &FieldType,
    ) -> Option<()> {
        let conflict = if o.owner.is_some() {
            Some("the signed-in user")
        } else if o.default.is_some() {
            Some("a default")
        } else if !o.settable_by.is_empty() {
            Some("`set by`")
        } else {
            None
        };
        if let Some(other) = conflict {
            self.push(
                Diagnostic::error(
                    "conflicting_options",
                    span,
                    format!("`{name_words}` is copied from another record, so it cannot also have {other}"),
                )
                .with_hint("the server sets a copied field: remove one of the two"),
            );
            return None;
        }
        if matches!(
            field_ty,
            FieldType::Reference { .. } | FieldType::Enum { .. }
        ) {
            self.push(
                Diagnostic::error(
                    "invalid_copy",
                    span,
                    format!("`{name_words}` cannot be copied: copies of references and enumerations are not supported"),
                )
                .with_hint("copy a text, number, money, date, time, boolean, email, url, uuid or json field"),
            );
            return None;
        }
        Some(())
    }

    fn build_field(
        &self,
        ei: usize,
        line: &FieldLine,
        parts: FieldParts,
        o: FieldOptions,
    ) -> Field {
        let FieldParts {
            name_words,
            snake,
            base_ident,
            ty: field_ty,
            required: is_required,
            default: default_value,
            previous_columns,
        } = parts;
        let admin = self.admin_who();
        let with_admin = |mut v: Vec<Who>| {
            if !v.is_empty()
                && let Some(a) = &admin
            {
                v.push(a.clone());
            }
            sorted(v)
        };
        let visible_to = with_admin(o.visible_to);
        let settable_by = with_admin(o.settable_by);
        let hidden = !visible_to.is_empty();
        let is_unique = o.unique.is_some()
            || (self.entities[ei].is_auth
                && snake == "email"
                && matches!(field_ty, FieldType::Email));
        let is_ref = matches!(field_ty, FieldType::Reference { .. });
        let is_enum = matches!(field_ty, FieldType::Enum { .. });
        let indexed = o.indexed || is_ref || is_unique || is_enum || o.owner.is_some();
        let filterable = !hidden
            && (indexed
                || matches!(
                    field_ty,
                    FieldType::Boolean
                        | FieldType::Email
                        | FieldType::Uuid
                        | FieldType::Date
                        | FieldType::Integer { .. }
                ));
        let sortable = !hidden
            && match &field_ty {
                FieldType::Integer { .. }
                | FieldType::Decimal { .. }
                | FieldType::Money { .. }
                | FieldType::Date
                | FieldType::DateTime => true,
                FieldType::Email | FieldType::Enum { .. } => true,
                FieldType::Text { max_length, .. } => *max_length <= 255,
                _ => false,
            };
        let line_no = self.line(line.span);
        let json = base_ident.clone();
        Field {
            name: name_words,
            ident: names::rust_ident(&base_ident),
            json,
            column: names::column(&base_ident),
            ty: field_ty,
            required: is_required,
            default: default_value,
            unique: is_unique,
            immutable: o.immutable,
            read_only: o.read_only || o.copied_from.is_some(),
            owner: o.owner.is_some(),
            indexed,
            filterable,
            sortable,
            visible_to,
            settable_by,
            derived: None,
            required_role: None,
            previous_columns,
            value_renames: o.value_renames,
            removed_values: o.removed_values,
            description: line.description.clone(),
            span: line.span,
            line: line_no,
        }
    }

    /// Each entity's children: the reference fields of other entities that point at it.
    pub(crate) fn children(&mut self) {
        let mut by_target: HashMap<String, Vec<ChildRef>> = HashMap::new();
        for e in &self.entities {
            for f in &e.fields {
                if let FieldType::Reference { entity, on_delete } = &f.ty {
                    by_target.entry(entity.clone()).or_default().push(ChildRef {
                        entity: e.name.clone(),
                        field: f.ident.clone(),
                        on_delete: *on_delete,
                    });
                }
            }
        }
        for e in &mut self.entities {
            if let Some(children) = by_target.remove(&e.name) {
                e.children = children;
            }
        }
    }
}
