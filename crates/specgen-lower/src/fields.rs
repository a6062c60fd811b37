//! Fields: each entity's field lines lowered into [`specgen_ir::Field`]s (or
//! many-to-many [`specgen_ir::Link`]s), checked for duplicates, and indexed by name; and
//! the children each entity gets from the reference fields pointing at it.
//!
//! Depends on `cx`, `names`, `entities` (`find_entity`), `access` (`visible to`, `set
//! by`), `types`, `values` and `conditions` (the comparisons it hands on); it must not
//! depend on rules, auth or the driver.

use std::collections::HashMap;

use specgen_diagnostics::{Diagnostic, Span};
use specgen_ir::{ChildRef, Field, FieldType, Link, OnDelete, Who};
use specgen_syntax::{FieldItemKind, FieldLine, Literal, OnDeleteWord, Op, Spanned};

use crate::conditions::FieldCompare;
use crate::cx::{Cx, list, sorted};
use crate::names::{self, key, singularize};
use crate::types::{RangeItem, TYPE_NAMES, TyWord, a_type, ty_word};

pub(crate) enum LoweredField {
    Field(Field, Vec<(Op, Spanned<String>, Span)>),
    Link(Link),
}

impl Cx<'_> {
    /// Lower an entity's field lines; returns the comparisons written on them
    /// (`after starts at`), which become rules once every field is known.
    pub(crate) fn fields(&mut self, ei: usize) -> Vec<FieldCompare> {
        let sec = self.sections[ei];
        let mut seen: HashMap<String, Span> = HashMap::new();
        let mut compares: Vec<FieldCompare> = Vec::new();
        for line in &sec.fields {
            let Some(lowered) = self.field(ei, line) else {
                self.failed_fields[ei].insert(key(&line.name.value));
                continue;
            };
            let (ident, json, column, span) = match &lowered {
                LoweredField::Field(f, _) => {
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
                LoweredField::Field(f, cmp) => {
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
                    self.entities[ei].fields.push(f);
                }
                LoweredField::Link(l) => self.entities[ei].links.push(l),
            }
        }
        compares
    }

    pub(crate) fn field(&mut self, ei: usize, line: &FieldLine) -> Option<LoweredField> {
        let name_words = names::words(&line.name.value);
        let snake = names::snake(&name_words);
        let entity_name = self.entities[ei].name.clone();
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
        if self.entities[ei].is_auth
            && [
                "password",
                "password_hash",
                "role",
                "email_verified_at",
                "email_verified",
            ]
            .contains(&snake.as_str())
        {
            self.push(
                Diagnostic::error("reserved_field_name", line.name.span, format!("the sign-in entity already has `{name_words}`"))
                    .with_hint("remove this line: passwords, roles and email verification are managed by the generated backend"),
            );
            return None;
        }

        let mut ty: Option<(TyWord, Span)> = None;
        let mut enum_values: Option<(Vec<String>, Span)> = None;
        let mut reference: Option<(bool, usize, Span)> = None;
        let mut range: Option<RangeItem> = None;
        let mut default: Option<Spanned<Literal>> = None;
        let mut optional: Option<Span> = None;
        let mut required: Option<Span> = None;
        let mut unique: Option<Span> = None;
        let mut read_only = false;
        let mut immutable = false;
        let mut indexed = false;
        let mut owner: Option<Span> = None;
        let mut on_delete: Option<(OnDeleteWord, Span)> = None;
        let mut visible_to = Vec::new();
        let mut settable_by = Vec::new();
        let mut who_spans: Vec<Span> = Vec::new();
        let mut compares = Vec::new();
        let mut ok = true;
        let mut type_count = 0;

        for item in &line.items {
            match &item.kind {
                FieldItemKind::Word(w) => {
                    if let Some(t) = ty_word(w) {
                        type_count += 1;
                        if ty.is_none() {
                            ty = Some((t, item.span));
                        }
                        continue;
                    }
                    match w.as_str() {
                        "optional" => optional = Some(item.span),
                        "required" => required = Some(item.span),
                        "unique" => unique = Some(item.span),
                        "read-only" | "readonly" => read_only = true,
                        "immutable" => immutable = true,
                        "indexed" => indexed = true,
                        other => {
                            ok = false;
                            let d = self.unknown_word(
                                other,
                                item.span,
                                ty.is_none() && enum_values.is_none() && reference.is_none(),
                            );
                            self.push(d);
                        }
                    }
                }
                FieldItemKind::Enum(values) => {
                    type_count += 1;
                    let mut out: Vec<String> = Vec::new();
                    for v in values {
                        let s = names::snake(&v.value);
                        if s == "self" {
                            ok = false;
                            self.push(
                                Diagnostic::error(
                                    "reserved_name",
                                    v.span,
                                    "`self` cannot be a value: the generated code uses that word",
                                )
                                .with_hint("choose another word, for example `own`"),
                            );
                        } else if !names::is_valid_snake(&s) {
                            ok = false;
                            self.push(
                                Diagnostic::error("invalid_name", v.span, format!("`{}` is not a usable value", v.value))
                                    .with_hint("use words made of letters a-z and digits, starting with a letter"),
                            );
                        } else if out.contains(&s) {
                            ok = false;
                            self.push(
                                Diagnostic::error(
                                    "duplicate_enum_value",
                                    v.span,
                                    format!("`{}` is listed twice", v.value),
                                )
                                .with_hint("remove one of them"),
                            );
                        } else {
                            out.push(s);
                        }
                    }
                    if enum_values.is_none() {
                        enum_values = Some((out, item.span));
                    }
                }
                FieldItemKind::Reference { many, target } => {
                    type_count += 1;
                    match self.find_entity(target) {
                        Ok(t) => {
                            if reference.is_none() {
                                reference = Some((*many, t, item.span));
                            }
                        }
                        Err(d) => {
                            ok = false;
                            self.push(d);
                        }
                    }
                }
                FieldItemKind::Range { min, max } => {
                    if range.is_some() {
                        ok = false;
                        self.push(
                            Diagnostic::error(
                                "duplicate_option",
                                item.span,
                                "this field already has a range",
                            )
                            .with_hint("write one range, for example `1..80`"),
                        );
                    } else {
                        range = Some((min.clone(), max.clone(), item.span));
                    }
                }
                FieldItemKind::Default(lit) => {
                    if default.is_some() {
                        ok = false;
                        self.push(
                            Diagnostic::error(
                                "duplicate_option",
                                item.span,
                                "this field already has a default",
                            )
                            .with_hint("keep one `default`"),
                        );
                    } else {
                        default = Some(lit.clone());
                    }
                }
                FieldItemKind::Owner => owner = Some(item.span),
                FieldItemKind::OnDelete(w) => on_delete = Some((*w, item.span)),
                FieldItemKind::VisibleTo(who) => {
                    who_spans.push(item.span);
                    match self.resolve_whos(ei, who) {
                        Some(w) => visible_to.extend(w),
                        None => ok = false,
                    }
                }
                FieldItemKind::SetBy(who) => {
                    who_spans.push(item.span);
                    match self.resolve_whos(ei, who) {
                        Some(w) => settable_by.extend(w),
                        None => ok = false,
                    }
                }
                FieldItemKind::Compare { op, field } => {
                    compares.push((*op, field.clone(), item.span))
                }
                FieldItemKind::Unknown(text) => {
                    ok = false;
                    let d = self.unknown_word(text, item.span, false);
                    self.push(d);
                }
            }
        }
        if type_count > 1 {
            ok = false;
            self.push(
                Diagnostic::error(
                    "conflicting_types",
                    line.span,
                    format!("field `{name_words}` has more than one type"),
                )
                .with_hint(
                    "keep one type: a type word, an enumeration `a | b` or a reference `-> Entity`",
                ),
            );
        }
        if let (Some(o), Some(_)) = (optional, required) {
            ok = false;
            self.push(
                Diagnostic::error(
                    "conflicting_options",
                    o,
                    format!("field `{name_words}` is marked both `optional` and `required`"),
                )
                .with_hint("keep one of them"),
            );
        }
        // The owner field references the sign-in entity; its type may be left out.
        if owner.is_some()
            && reference.is_none()
            && ty.is_none()
            && enum_values.is_none()
            && type_count == 0
        {
            match self.auth_idx {
                Some(a) => reference = Some((false, a, line.name.span)),
                None => {
                    ok = false;
                    self.push(
                        Diagnostic::error(
                            "owner_without_auth",
                            owner.unwrap_or(line.span),
                            "`the signed-in user` needs an entity people sign in as",
                        )
                        .with_hint("mark the sign-in entity, for example `## User {auth}`"),
                    );
                }
            }
        }
        if !ok {
            return None;
        }
        let is_required = optional.is_none();

        // Many-to-many: a link, not a column.
        if let Some((true, target, rspan)) = reference {
            let extra = [
                optional.or(required),
                unique,
                default.as_ref().map(|d| d.span),
                range.as_ref().map(|r| r.2),
                owner,
                on_delete.map(|o| o.1),
                compares.first().map(|c| c.2),
            ]
            .into_iter()
            .flatten()
            .chain(who_spans.iter().copied())
            .next();
            if let Some(span) = extra.or(if read_only || immutable || indexed {
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
            let ident = names::rust_ident(&snake);
            let target_snake = names::snake(&self.entities[target].words);
            let source_snake = names::snake(&source.words);
            let source_column = format!("{source_snake}_id");
            let mut target_column = format!("{target_snake}_id");
            if target_column == source_column {
                target_column = format!("{}_id", names::snake(&singularize(&name_words)));
                if target_column == source_column {
                    target_column = format!("related_{target_snake}_id");
                }
            }
            let join_table = names::sql_table(&format!("{source_snake}_{snake}"));
            if let Some(other) = self.tables.get(&join_table).map(|&i| &self.entities[i]) {
                let other_span = other.span;
                self.push(
                    Diagnostic::error("name_collision", line.name.span, format!("the link `{name_words}` needs the table `{join_table}`, which the entity `{}` uses", other.name))
                        .with_label(other_span, "that entity")
                        .with_hint("rename the link or the entity"),
                );
                return None;
            }
            let line_no = self.line(line.span);
            return Some(LoweredField::Link(Link {
                name: name_words.clone(),
                ident,
                json: format!("{}_ids", names::snake(&singularize(&name_words))),
                target: self.entities[target].name.clone(),
                join_table,
                source_column,
                target_column,
                span: line.span,
                line: line_no,
            }));
        }

        let (field_ty, base_ident) = if let Some((_, target, _)) = reference {
            let od = match on_delete {
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
            let base = if snake.ends_with("_id") {
                snake.clone()
            } else {
                format!("{snake}_id")
            };
            (
                FieldType::Reference {
                    entity: self.entities[target].name.clone(),
                    on_delete: od,
                },
                base,
            )
        } else {
            if let Some((_, span)) = on_delete {
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
            let t = match (&enum_values, ty) {
                (Some((values, _)), _) => FieldType::Enum {
                    values: values.clone(),
                },
                (None, Some((t, _))) => self.typed(t, range.as_ref(), &name_words)?,
                (None, None) => {
                    self.push(
                        Diagnostic::error("missing_type", line.name.span, format!("field `{name_words}` has no type"))
                            .with_hint(format!("add a type, for example `{{text}}`; the types are {}, `a | b` and `-> Entity`", list(TYPE_NAMES))),
                    );
                    return None;
                }
            };
            (t, snake.clone())
        };
        if range.is_some()
            && matches!(
                field_ty,
                FieldType::Enum { .. } | FieldType::Reference { .. }
            )
        {
            let span = range.as_ref().map_or(line.span, |r| r.2);
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

        // Owner.
        if let Some(ospan) = owner {
            match (&field_ty, self.auth_idx) {
                (FieldType::Reference { entity, .. }, Some(a))
                    if *entity == self.entities[a].name => {}
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
        }

        // Unique.
        if let Some(uspan) = unique
            && matches!(field_ty, FieldType::Boolean | FieldType::Json)
        {
            self.push(
                Diagnostic::error(
                    "option_not_allowed",
                    uspan,
                    format!("{} field cannot be unique", a_type(&field_ty)),
                )
                .with_hint("remove `unique`, or add a rule `{unique: ...}` over several fields"),
            );
            return None;
        }

        // Default.
        let default_value = match &default {
            None => None,
            Some(lit) => {
                if owner.is_some() {
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
                Some(self.default_value(&field_ty, lit)?)
            }
        };
        if read_only && is_required && default_value.is_none() && owner.is_none() {
            self.push(
                Diagnostic::error("read_only_without_default", line.name.span, format!("`{name_words}` is read-only and required but has no default, so it could never be set"))
                    .with_hint("add a default (for example `default 0`) or make it `optional`"),
            );
            return None;
        }

        let admin = self.admin_who();
        let with_admin = |mut v: Vec<Who>| {
            if !v.is_empty()
                && let Some(a) = &admin
            {
                v.push(a.clone());
            }
            sorted(v)
        };
        let visible_to = with_admin(visible_to);
        let settable_by = with_admin(settable_by);
        let hidden = !visible_to.is_empty();
        let is_unique = unique.is_some()
            || (self.entities[ei].is_auth
                && snake == "email"
                && matches!(field_ty, FieldType::Email));
        let is_ref = matches!(field_ty, FieldType::Reference { .. });
        let is_enum = matches!(field_ty, FieldType::Enum { .. });
        let indexed = indexed || is_ref || is_unique || is_enum || owner.is_some();
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
        let field = Field {
            name: name_words,
            ident: names::rust_ident(&base_ident),
            json,
            column: names::sql_column(&base_ident),
            ty: field_ty,
            required: is_required,
            default: default_value,
            unique: is_unique,
            immutable,
            read_only,
            owner: owner.is_some(),
            indexed,
            filterable,
            sortable,
            visible_to,
            settable_by,
            description: line.description.clone(),
            span: line.span,
            line: line_no,
        };
        Some(LoweredField::Field(field, compares))
    }

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
