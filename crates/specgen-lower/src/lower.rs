//! Resolution and validation: syntax trees -> IR.
//!
//! Lowering runs in passes over all files' sections: roles, entity names, fields (which
//! need every entity name), derived relations, access lines and rules (which need every
//! field). Each pass reports what it finds and keeps going; names are indexed in hash
//! maps so the whole run is linear in the size of the spec.

use std::collections::{BTreeSet, HashMap};

use specgen_diagnostics::{Diagnostic, SourceMap, Span, suggest};
use specgen_ir::*;
use specgen_syntax::{
    ActionWord, ConditionAst, FieldItemKind, FieldLine, Literal, OnDeleteWord, Op, RolesSection,
    RuleSpec, Section, Spanned, SpecFile, WindowAst,
};

use crate::cx::{Cx, Lines, Resolved, list, sorted};
use crate::names::{self, key, singularize};
use crate::numbers::money_cents;
use crate::settings::{self, AuthSettings};
use crate::types::{RangeItem, TYPE_NAMES, TyWord, a_type, ty_word, type_label};

pub(crate) fn lower(
    files: &[SpecFile],
    sources: &SourceMap,
    spec_file: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<App> {
    let settings = settings::settings(files, diags);
    let mut cx = Cx {
        diags,
        lines: Lines::new(sources),
        roles: Vec::new(),
        role_keys: HashMap::new(),
        admin: None,
        sections: Vec::new(),
        entities: Vec::new(),
        entity_keys: HashMap::new(),
        plural_keys: HashMap::new(),
        tables: HashMap::new(),
        field_keys: Vec::new(),
        failed_fields: Vec::new(),
        auth_idx: None,
        rule_codes: BTreeSet::new(),
    };
    let root = files.first()?;

    // Roles.
    let roles_sections: Vec<&RolesSection> = files
        .iter()
        .flat_map(|f| f.sections.iter())
        .filter_map(|s| match s {
            Section::Roles(r) => Some(r),
            Section::Entity(_) => None,
        })
        .collect();
    cx.roles(&roles_sections, Span::new(root.file, 0, 0));

    // Entity names.
    for file in files {
        for section in &file.sections {
            if let Section::Entity(e) = section {
                cx.entity_header(e);
            }
        }
    }

    // Auth settings need the sign-in entity.
    let auth_settings = match (&settings.auth, cx.auth_idx) {
        (Some(_), None) => {
            if let Some(a) = &settings.auth {
                cx.diags.push(
                    Diagnostic::error(
                        "auth_without_entity",
                        a.span,
                        "`auth` is set but no entity is marked `{auth}`",
                    )
                    .with_hint("mark the entity people sign in as, for example `## User {auth}`"),
                );
            }
            None
        }
        (Some(_), Some(_)) => settings.auth,
        (None, Some(i)) => Some(AuthSettings::defaults(cx.entities[i].span)),
        (None, None) => None,
    };

    for i in 0..cx.entities.len() {
        cx.fields(i);
    }
    cx.children();
    for i in 0..cx.entities.len() {
        cx.access(i);
        cx.rules(i);
    }
    let auth = auth_settings.and_then(|a| cx.auth(a));
    if let Some(a) = &auth {
        cx.warn_public_email(a);
    }

    let name = match &settings.name {
        Some((n, _)) => n.clone(),
        None => {
            let stem = spec_file.split('.').next().unwrap_or(spec_file);
            let k = names::kebab(stem);
            if !names::is_valid_snake(&names::snake(&k)) {
                "app".to_string()
            } else if settings::is_reserved_crate(&names::snake(&k)) {
                format!("{k}-app")
            } else {
                k
            }
        }
    };
    let crate_name = names::snake(&name);
    let title = match &root.title {
        Some(t) if !t.value.is_empty() => t.value.clone(),
        _ => heck::ToTitleCase::to_title_case(name.as_str()),
    };
    Some(App {
        name,
        crate_name,
        title,
        description: root.description.clone(),
        spec_file: spec_file.to_string(),
        database: settings.database,
        auth,
        roles: cx.roles,
        entities: cx.entities,
    })
}

impl<'a> Cx<'a> {
    // ------------------------------------------------------------------ fields

    fn fields(&mut self, ei: usize) {
        let sec = self.sections[ei];
        let mut seen: HashMap<String, Span> = HashMap::new();
        let mut compares: Vec<(usize, Op, Spanned<String>, Span)> = Vec::new();
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
                        compares.push((fi, op, other, at));
                    }
                    if f.owner {
                        self.entities[ei].owner = Some(f.ident.clone());
                    }
                    self.entities[ei].fields.push(f);
                }
                LoweredField::Link(l) => self.entities[ei].links.push(l),
            }
        }
        // Field-level comparisons (`ends at {datetime, after starts at}`) become rules.
        for (fi, op, other, at) in compares {
            let left = self.entities[ei].fields[fi].clone();
            let Some(right) = self.resolve_field(ei, &other) else {
                continue;
            };
            if !self.check_compare(
                &Resolved {
                    ident: left.ident.clone(),
                    name: left.name.clone(),
                    ty: left.ty.clone(),
                },
                &right,
                at,
            ) {
                continue;
            }
            let message = format!(
                "{} must be {} {}",
                left.name,
                op_words(op, &left.ty),
                right.name
            );
            let code = self.rule_code(
                ei,
                &format!("{}_{}_{}", left.ident, op_code(op), right.ident),
            );
            let line = self.line(at);
            self.entities[ei].rules.push(Rule {
                code,
                message,
                kind: RuleKind::Compare {
                    left: left.ident.clone(),
                    op: compare_op(op),
                    right: right.ident,
                },
                enforcement: enforcement_check(),
                span: at,
                line,
            });
        }
    }

    fn field(&mut self, ei: usize, line: &FieldLine) -> Option<LoweredField> {
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

    // ------------------------------------------------------------------ relations

    fn children(&mut self) {
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

    // ------------------------------------------------------------------ rules

    fn resolve_field(&mut self, ei: usize, name: &Spanned<String>) -> Option<Resolved> {
        let lower = name.value.to_lowercase();
        let k = key(&lower);
        match k.as_str() {
            "id" => {
                return Some(Resolved {
                    ident: "id".into(),
                    name: "id".into(),
                    ty: FieldType::Uuid,
                });
            }
            "created" | "createdat" | "creation" | "creationtime" => {
                return Some(Resolved {
                    ident: "created_at".into(),
                    name: "created at".into(),
                    ty: FieldType::DateTime,
                });
            }
            "updated" | "updatedat" => {
                return Some(Resolved {
                    ident: "updated_at".into(),
                    name: "updated at".into(),
                    ty: FieldType::DateTime,
                });
            }
            _ => {}
        }
        if let Some(&fi) = self.field_keys[ei].get(&k) {
            let f = &self.entities[ei].fields[fi];
            return Some(Resolved {
                ident: f.ident.clone(),
                name: f.name.clone(),
                ty: f.ty.clone(),
            });
        }
        if self.failed_fields[ei].contains(&k) {
            return None;
        }
        let e = &self.entities[ei];
        let d = Diagnostic::error(
            "unknown_field",
            name.span,
            format!("`{}` has no field `{}`", e.name, name.value),
        );
        let d = if let Some(l) = e.links.iter().find(|l| key(&l.name) == k) {
            d.with_hint(format!(
                "`{}` is a many-to-many link; rules apply to fields",
                l.name
            ))
        } else {
            let mut candidates: Vec<&str> = e.fields.iter().map(|f| f.name.as_str()).collect();
            candidates.extend(["created at", "updated at"]);
            match suggest(&lower, candidates.iter().copied()) {
                Some(s) => d.with_hint(format!("did you mean `{s}`?")),
                None => d.with_hint(format!(
                    "the fields of `{}` are {}",
                    e.name,
                    list(&candidates)
                )),
            }
        };
        self.push(d);
        None
    }

    fn rule_code(&mut self, ei: usize, suffix: &str) -> String {
        let base = format!("{}_{}", names::snake(&self.entities[ei].words), suffix);
        let base = if base.len() > 55 {
            let cut = base
                .char_indices()
                .take_while(|(i, _)| *i < 46)
                .map(|(_, c)| c)
                .collect::<String>();
            format!("{}_{:08x}", cut.trim_end_matches('_'), fnv(&base))
        } else {
            base
        };
        let mut code = base.clone();
        let mut n = 2;
        while self.rule_codes.contains(&code) {
            code = format!("{base}_{n}");
            n += 1;
        }
        self.rule_codes.insert(code.clone());
        code
    }

    fn rules(&mut self, ei: usize) {
        let sec = self.sections[ei];
        for line in &sec.rules {
            let Some(spec) = &line.rule else { continue };
            let Some((kind, suffix, synthesized, enforcement)) = self.rule(ei, spec) else {
                continue;
            };
            let code = self.rule_code(ei, &suffix);
            let message = if line.text.is_empty() {
                synthesized
            } else {
                line.text.clone()
            };
            let line_no = self.line(line.span);
            self.entities[ei].rules.push(Rule {
                code,
                message,
                kind,
                enforcement,
                span: line.span,
                line: line_no,
            });
        }
    }

    fn rule(
        &mut self,
        ei: usize,
        spec: &RuleSpec,
    ) -> Option<(RuleKind, String, String, Enforcement)> {
        let plural = self.entities[ei].plural_words.clone();
        Some(match spec {
            RuleSpec::NoOverlap { start, end, per } => {
                let s = self.resolve_field(ei, start);
                let e = self.resolve_field(ei, end);
                let p: Vec<Option<Resolved>> =
                    per.iter().map(|f| self.resolve_field(ei, f)).collect();
                let (s, e) = (s?, e?);
                let p: Vec<Resolved> = p.into_iter().collect::<Option<_>>()?;
                let time_like = |t: &FieldType| matches!(t, FieldType::Date | FieldType::DateTime);
                for (r, at) in [(&s, start.span), (&e, end.span)] {
                    if !time_like(&r.ty) {
                        self.push(
                            Diagnostic::error("invalid_rule_field", at, format!("`{}` is not a date or datetime, so it cannot bound a range", r.name))
                                .with_hint("no overlap compares two date or datetime fields: `{no overlap: starts at..ends at per studio}`"),
                        );
                        return None;
                    }
                }
                if std::mem::discriminant(&s.ty) != std::mem::discriminant(&e.ty)
                    || s.ident == e.ident
                {
                    self.push(
                        Diagnostic::error("invalid_rule_field", start.span.to(end.span), "the start and the end of a range must be two different fields of the same type")
                            .with_hint("use two datetime fields, for example `starts at..ends at`"),
                    );
                    return None;
                }
                let per_words: Vec<String> = p.iter().map(|r| r.name.clone()).collect();
                let msg = if per_words.is_empty() {
                    format!("{plural} must not overlap")
                } else {
                    format!(
                        "{plural} with the same {} must not overlap",
                        per_words.join(" and ")
                    )
                };
                (
                    RuleKind::NoOverlap { start: s.ident, end: e.ident, per: p.into_iter().map(|r| r.ident).collect() },
                    "no_overlap".into(),
                    msg,
                    Enforcement {
                        database: false,
                        service: true,
                        mechanism: "PostgreSQL: exclusion constraint (btree_gist); SQLite: checked inside a write transaction that takes the write lock first (BEGIN IMMEDIATE)".into(),
                    },
                )
            }
            RuleSpec::Limit { max, per, when } => {
                let p = self.resolve_field(ei, per)?;
                if !matches!(p.ty, FieldType::Reference { .. }) {
                    self.push(
                        Diagnostic::error(
                            "invalid_limit",
                            per.span,
                            format!(
                                "`{}` is not a reference, so rows cannot be counted per `{}`",
                                p.name, p.name
                            ),
                        )
                        .with_hint(
                            "count per a `-> Entity` field, for example `at most 3 per owner`",
                        ),
                    );
                    return None;
                }
                if max.value == 0 {
                    self.push(
                        Diagnostic::error(
                            "impossible_range",
                            max.span,
                            "a limit of `0` forbids creating any row",
                        )
                        .with_hint(
                            "use at least 1, or remove `create` from the access lines instead",
                        ),
                    );
                    return None;
                }
                let cond = match when {
                    Some(c) => Some(self.condition(ei, c)?),
                    None => None,
                };
                let per_name = p.name.clone();
                let held = if cond.as_ref().is_some_and(|c| c.path.len() > 1) {
                    format!(
                        "; also checked when the `{per_name}` changes, so it cannot come to hold too many"
                    )
                } else {
                    String::new()
                };
                (
                    RuleKind::Limit {
                        max: max.value,
                        per: p.ident,
                        when: cond,
                    },
                    format!("limit_per_{}", names::snake(&per_name)),
                    format!("at most {} {plural} per {per_name}", max.value),
                    Enforcement {
                        database: false,
                        service: true,
                        mechanism: format!(
                            "service check inside a transaction that locks the `{per_name}` row (PostgreSQL: SELECT ... FOR NO KEY UPDATE; SQLite: BEGIN IMMEDIATE){held}"
                        ),
                    },
                )
            }
            RuleSpec::Window { actions, window } => {
                let mut acts = Vec::new();
                for a in actions {
                    match a.value {
                        ActionWord::Update => acts.push(Action::Update),
                        ActionWord::Delete => acts.push(Action::Delete),
                        _ => {
                            self.push(
                                Diagnostic::error("invalid_window_action", a.span, "a time window applies to changing or deleting")
                                    .with_hint("use `update` or `delete`, for example `{delete within 24 hours of created}`"),
                            );
                            return None;
                        }
                    }
                }
                let acts = sorted(acts);
                let (w, field_name) = match window {
                    WindowAst::Within { seconds, field } => {
                        let f = self.time_field(ei, field)?;
                        (
                            TimeWindow::Within {
                                seconds: *seconds,
                                field: f.ident.clone(),
                            },
                            f.name,
                        )
                    }
                    WindowAst::Before { field } => {
                        let f = self.time_field(ei, field)?;
                        (
                            TimeWindow::Before {
                                field: f.ident.clone(),
                            },
                            f.name,
                        )
                    }
                };
                let verbs = acts
                    .iter()
                    .map(|a| a.as_str())
                    .collect::<Vec<_>>()
                    .join("_");
                let msg = match &w {
                    TimeWindow::Within { seconds, .. } => format!(
                        "{plural} can only be {} within {} of {field_name}",
                        past(&acts),
                        human_seconds(*seconds)
                    ),
                    TimeWindow::Before { .. } => {
                        format!("{plural} can only be {} before {field_name}", past(&acts))
                    }
                };
                (
                    RuleKind::Window {
                        actions: acts,
                        window: w,
                    },
                    format!("{verbs}_window"),
                    msg,
                    Enforcement {
                        database: false,
                        service: true,
                        mechanism: "service check of the stored record before the write (409); \
                                    the write only goes through if the record is unchanged since it was read"
                            .into(),
                    },
                )
            }
            RuleSpec::Compare { left, op, right } => {
                let l = self.resolve_field(ei, left);
                let r = self.resolve_field(ei, right);
                let (l, r) = (l?, r?);
                if !self.check_compare(&l, &r, left.span.to(right.span)) {
                    return None;
                }
                let msg = format!("{} must be {} {}", l.name, op_words(*op, &l.ty), r.name);
                (
                    RuleKind::Compare {
                        left: l.ident.clone(),
                        op: compare_op(*op),
                        right: r.ident.clone(),
                    },
                    format!("{}_{}_{}", l.ident, op_code(*op), r.ident),
                    msg,
                    enforcement_check(),
                )
            }
            RuleSpec::Immutable { fields, once } => {
                let resolved: Vec<Option<Resolved>> =
                    fields.iter().map(|f| self.resolve_field(ei, f)).collect();
                let resolved: Vec<Resolved> = resolved.into_iter().collect::<Option<_>>()?;
                let cond = match once {
                    Some(c) => Some(self.condition(ei, c)?),
                    None => None,
                };
                if let (Some(c), Some(ast)) = (&cond, once)
                    && c.path.len() > 1
                {
                    self.push(
                        Diagnostic::error(
                            "invalid_condition",
                            ast.span,
                            "`immutable once` looks at the record's own fields",
                        )
                        .with_hint(
                            "name a field of this entity, for example `once status = shipped`",
                        ),
                    );
                    return None;
                }
                let names_joined = resolved
                    .iter()
                    .map(|r| r.name.clone())
                    .collect::<Vec<_>>()
                    .join(" and ");
                let msg = match &cond {
                    Some(_) => format!("{names_joined} cannot change any more"),
                    None => format!("{names_joined} cannot change after creation"),
                };
                let idents: Vec<String> = resolved.into_iter().map(|r| r.ident).collect();
                let enforcement = Enforcement {
                    database: true,
                    service: true,
                    mechanism: "BEFORE UPDATE trigger; the service checks the stored record first \
                                to answer 422 with this message, and the update only goes through \
                                if the record is unchanged since it was read"
                        .into(),
                };
                (
                    RuleKind::Immutable {
                        fields: idents.clone(),
                        once: cond,
                    },
                    format!("{}_immutable", idents.join("_")),
                    msg,
                    enforcement,
                )
            }
            RuleSpec::Transitions {
                field,
                initial,
                transitions,
            } => {
                let f = self.resolve_field(ei, field)?;
                let FieldType::Enum { values } = &f.ty else {
                    self.push(
                        Diagnostic::error("invalid_transitions", field.span, format!("`{}` is not an enumeration, so it has no states", f.name))
                            .with_hint("transitions apply to a field like `- status {draft | published | archived}`"),
                    );
                    return None;
                };
                let values = values.clone();
                let mut ok = true;
                let check = |cx: &mut Self, v: &Spanned<String>| -> Option<String> {
                    let s = names::snake(&v.value);
                    if values.contains(&s) {
                        return Some(s);
                    }
                    let d = Diagnostic::error(
                        "unknown_enum_value",
                        v.span,
                        format!("`{}` is not a value of `{}`", v.value, f.name),
                    );
                    cx.push(match suggest(&s, values.iter().map(String::as_str)) {
                        Some(x) => d.with_hint(format!("did you mean `{x}`?")),
                        None => d.with_hint(format!(
                            "the values are {}",
                            list(&values.iter().map(String::as_str).collect::<Vec<_>>())
                        )),
                    });
                    None
                };
                let init = match initial {
                    Some(i) => check(self, i),
                    None => None,
                };
                if initial.is_some() && init.is_none() {
                    ok = false;
                }
                let mut out: Vec<Transition> = Vec::new();
                for t in transitions {
                    let from = check(self, &t.from);
                    let to = check(self, &t.to);
                    let by = self.resolve_whos(ei, &t.by);
                    match (from, to, by) {
                        (Some(from), Some(to), Some(by)) => {
                            if from == to {
                                self.push(
                                    Diagnostic::error(
                                        "invalid_transitions",
                                        t.span,
                                        format!("`{from} -> {to}` does not change anything"),
                                    )
                                    .with_hint("list transitions between different values"),
                                );
                                ok = false;
                                continue;
                            }
                            if out.iter().any(|o| o.from == from && o.to == to) {
                                self.push(
                                    Diagnostic::error("duplicate_transition", t.span, format!("`{from} -> {to}` is listed twice"))
                                        .with_hint("list each transition once; put several roles after one `by`, joined by `and`"),
                                );
                                ok = false;
                                continue;
                            }
                            let by = if by.is_empty() {
                                by
                            } else {
                                sorted(by.into_iter().chain(self.admin_who()).collect())
                            };
                            out.push(Transition { from, to, by });
                        }
                        _ => ok = false,
                    }
                }
                if !ok {
                    return None;
                }
                if let (Some(init), Some(def)) = (&init, self.field_default(ei, &f.ident))
                    && Value::Enum(init.clone()) != def
                {
                    let span = initial.as_ref().map_or(field.span, |i| i.span);
                    self.push(
                        Diagnostic::error(
                            "conflicting_initial",
                            span,
                            format!(
                                "`{}` starts as `{init}` here but its default is different",
                                f.name
                            ),
                        )
                        .with_hint(
                            "make the field's default the same value, or remove one of them",
                        ),
                    );
                    return None;
                }
                // `starts X` without a default makes X the default, so the column, the API
                // docs and new records all agree.
                if let Some(init) = &init
                    && let Some(field) = self.entities[ei]
                        .fields
                        .iter_mut()
                        .find(|x| x.ident == f.ident && x.default.is_none())
                {
                    field.default = Some(Value::Enum(init.clone()));
                }
                (
                    RuleKind::Transitions {
                        field: f.ident.clone(),
                        initial: init,
                        transitions: out,
                    },
                    format!("{}_transitions", f.ident),
                    format!("{} can only change along the allowed transitions", f.name),
                    Enforcement {
                        database: true,
                        service: true,
                        mechanism: "BEFORE INSERT and UPDATE triggers; the service checks the stored \
                                    record first to answer 409 with this message, and checks who may \
                                    make each change (the database does not know the caller); the \
                                    update only goes through if the record is unchanged since it was read"
                            .into(),
                    },
                )
            }
            RuleSpec::Unique { fields } => {
                let resolved: Vec<Option<Resolved>> =
                    fields.iter().map(|f| self.resolve_field(ei, f)).collect();
                let resolved: Vec<Resolved> = resolved.into_iter().collect::<Option<_>>()?;
                let mut seen = BTreeSet::new();
                for (r, f) in resolved.iter().zip(fields) {
                    if !seen.insert(r.ident.clone()) {
                        self.push(
                            Diagnostic::error(
                                "invalid_rule_field",
                                f.span,
                                format!("`{}` is listed twice", r.name),
                            )
                            .with_hint("list each field once"),
                        );
                        return None;
                    }
                    if matches!(r.ty, FieldType::Json) {
                        self.push(
                            Diagnostic::error(
                                "invalid_rule_field",
                                f.span,
                                format!("`{}` is json and cannot be part of a unique rule", r.name),
                            )
                            .with_hint("use other fields"),
                        );
                        return None;
                    }
                }
                let names_joined = resolved
                    .iter()
                    .map(|r| r.name.clone())
                    .collect::<Vec<_>>()
                    .join(" and ");
                let idents: Vec<String> = resolved.into_iter().map(|r| r.ident).collect();
                (
                    RuleKind::Unique { fields: idents.clone() },
                    format!("{}_unique", idents.join("_")),
                    format!("another {} already has the same {names_joined}", self.entities[ei].words),
                    Enforcement {
                        database: true,
                        service: true,
                        mechanism: "UNIQUE constraint; the service checks first to answer 409 with this message".into(),
                    },
                )
            }
        })
    }

    fn field_default(&self, ei: usize, ident: &str) -> Option<Value> {
        self.entities[ei]
            .field(ident)
            .and_then(|f| f.default.clone())
    }

    fn time_field(&mut self, ei: usize, name: &Spanned<String>) -> Option<Resolved> {
        let f = self.resolve_field(ei, name)?;
        if !matches!(f.ty, FieldType::Date | FieldType::DateTime) {
            self.push(
                Diagnostic::error(
                    "invalid_rule_field",
                    name.span,
                    format!("`{}` is not a date or datetime", f.name),
                )
                .with_hint(
                    "a time window is measured from a date or datetime field, or from `created`",
                ),
            );
            return None;
        }
        Some(f)
    }

    fn check_compare(&mut self, l: &Resolved, r: &Resolved, span: Span) -> bool {
        let kind = |t: &FieldType| match t {
            FieldType::Integer { .. } | FieldType::Decimal { .. } => "number",
            FieldType::Money { .. } => "money",
            FieldType::Date => "date",
            FieldType::DateTime => "datetime",
            _ => "other",
        };
        let (kl, kr) = (kind(&l.ty), kind(&r.ty));
        if kl == "other" || kr == "other" || kl != kr || l.ident == r.ident {
            self.push(
                Diagnostic::error(
                    "incompatible_compare",
                    span,
                    format!("`{}` ({}) cannot be compared with `{}` ({})", l.name, type_label(&l.ty), r.name, type_label(&r.ty)),
                )
                .with_hint("compare two different numbers, two money amounts, two dates or two datetimes of the same entity"),
            );
            return false;
        }
        true
    }

    fn condition(&mut self, ei: usize, c: &ConditionAst) -> Option<Condition> {
        let (path, ty) = match c.path.as_slice() {
            [one] => {
                let f = self.resolve_field(ei, one)?;
                (vec![f.ident], f.ty)
            }
            [first, second] => {
                let f = self.resolve_field(ei, first)?;
                let FieldType::Reference { entity, .. } = &f.ty else {
                    self.push(
                        Diagnostic::error(
                            "invalid_condition",
                            first.span,
                            format!(
                                "`{}` is not a reference, so `{}.{}` leads nowhere",
                                f.name, first.value, second.value
                            ),
                        )
                        .with_hint("look through a `-> Entity` field, for example `owner.plan`"),
                    );
                    return None;
                };
                let target = *self.entity_keys.get(&key(entity))?;
                let g = self.resolve_field(target, second)?;
                (vec![f.ident, g.ident], g.ty)
            }
            _ => return None,
        };
        let value = self.condition_value(&ty, &c.value)?;
        if !matches!(c.op, Op::Eq | Op::Ne)
            && !matches!(
                ty,
                FieldType::Integer { .. } | FieldType::Decimal { .. } | FieldType::Money { .. }
            )
        {
            self.push(
                Diagnostic::error(
                    "invalid_condition",
                    c.span,
                    format!("{} can only be compared with `=` or `!=` here", a_type(&ty)),
                )
                .with_hint("use `=` or `!=`"),
            );
            return None;
        }
        Some(Condition {
            path,
            op: compare_op(c.op),
            value,
        })
    }

    fn condition_value(&mut self, ty: &FieldType, lit: &Spanned<Literal>) -> Option<Value> {
        let shown = lit.value.display();
        let bad = |cx: &mut Self, expected: String| {
            cx.push(
                Diagnostic::error(
                    "invalid_condition",
                    lit.span,
                    format!("`{shown}` is not {expected}"),
                )
                .with_hint("compare with a value of the field's type"),
            );
            None
        };
        match ty {
            FieldType::Enum { values } => self.enum_value(
                values,
                lit,
                "unknown_enum_value",
                format!("`{shown}` is not one of the values"),
            ),
            FieldType::Boolean => match &lit.value {
                Literal::Words(w)
                    if w.eq_ignore_ascii_case("true") || w.eq_ignore_ascii_case("yes") =>
                {
                    Some(Value::Bool(true))
                }
                Literal::Words(w)
                    if w.eq_ignore_ascii_case("false") || w.eq_ignore_ascii_case("no") =>
                {
                    Some(Value::Bool(false))
                }
                _ => bad(self, "`true` or `false`".into()),
            },
            FieldType::Integer { .. } => match &lit.value {
                Literal::Number(n) => n
                    .text
                    .parse()
                    .ok()
                    .map(Value::Integer)
                    .or_else(|| bad(self, "a whole number".into())),
                _ => bad(self, "a whole number".into()),
            },
            FieldType::Decimal { .. } => match &lit.value {
                Literal::Number(n) => n
                    .text
                    .parse()
                    .ok()
                    .map(Value::Decimal)
                    .or_else(|| bad(self, "a number".into())),
                _ => bad(self, "a number".into()),
            },
            FieldType::Money { .. } => match &lit.value {
                Literal::Number(n) => money_cents(&n.text)
                    .ok()
                    .map(Value::Money)
                    .or_else(|| bad(self, "an amount".into())),
                _ => bad(self, "an amount".into()),
            },
            FieldType::Text { .. } | FieldType::Email | FieldType::Url => match &lit.value {
                Literal::Quoted(s) | Literal::Words(s) => Some(Value::Text(s.clone())),
                Literal::Number(n) => Some(Value::Text(n.text.clone())),
            },
            other => bad(
                self,
                format!("something {} can be compared with", a_type(other)),
            ),
        }
    }

    // ------------------------------------------------------------------ auth

    /// Anyone (not signed in) reading the sign-in entity would see every user's email.
    fn warn_public_email(&mut self, auth: &Auth) {
        let Some(idx) = self.auth_idx else { return };
        let e = &self.entities[idx];
        let public = [Action::List, Action::Read]
            .iter()
            .any(|a| e.permissions.get(*a).contains(&Who::Anyone));
        let Some(email) = e.field(&auth.email_field) else {
            return;
        };
        if public && email.visible_to.is_empty() {
            let span = email.span;
            let name = email.name.clone();
            self.push(
                Diagnostic::warning("public_email", span, format!("anyone, even without signing in, can read every `{name}`"))
                    .with_hint(format!("add `visible to the owner` to `{name}`, or grant list and read to signed-in users only")),
            );
        }
    }

    fn auth(&mut self, a: AuthSettings) -> Option<Auth> {
        let idx = self.auth_idx?;
        let e = &self.entities[idx];
        let email = e
            .fields
            .iter()
            .find(|f| f.ident == "email" && matches!(f.ty, FieldType::Email))
            .or_else(|| {
                e.fields
                    .iter()
                    .find(|f| matches!(f.ty, FieldType::Email) && f.unique)
            });
        match email {
            Some(f) if f.required => Some(Auth {
                entity: e.name.clone(),
                email_field: f.ident.clone(),
                methods: a.methods,
                verify_email: a.verify_email,
                session_seconds: a.session_seconds,
                password: a.password,
                span: e.span,
            }),
            Some(f) => {
                let span = f.span;
                self.push(
                    Diagnostic::error(
                        "auth_email_optional",
                        span,
                        "people sign in with this email, so it cannot be optional",
                    )
                    .with_hint("remove `optional`"),
                );
                None
            }
            None => {
                let span = e.span;
                self.push(
                    Diagnostic::error(
                        "auth_missing_email",
                        span,
                        format!("the sign-in entity `{}` has no email field", e.name),
                    )
                    .with_hint("add `- email {email, unique}`"),
                );
                None
            }
        }
    }
}

enum LoweredField {
    Field(Field, Vec<(Op, Spanned<String>, Span)>),
    Link(Link),
}

fn compare_op(op: Op) -> CompareOp {
    match op {
        Op::Eq => CompareOp::Eq,
        Op::Ne => CompareOp::Ne,
        Op::Lt => CompareOp::Lt,
        Op::Le => CompareOp::Le,
        Op::Gt => CompareOp::Gt,
        Op::Ge => CompareOp::Ge,
    }
}

fn op_code(op: Op) -> &'static str {
    match op {
        Op::Eq => "eq",
        Op::Ne => "ne",
        Op::Lt => "lt",
        Op::Le => "le",
        Op::Gt => "gt",
        Op::Ge => "ge",
    }
}

/// Words for a comparison in a message, by the type compared.
fn op_words(op: Op, ty: &FieldType) -> &'static str {
    let time = matches!(ty, FieldType::Date | FieldType::DateTime);
    match (op, time) {
        (Op::Gt, true) => "after",
        (Op::Lt, true) => "before",
        (Op::Ge, true) => "on or after",
        (Op::Le, true) => "on or before",
        (Op::Gt, false) => "greater than",
        (Op::Lt, false) => "less than",
        (Op::Ge, false) => "at least",
        (Op::Le, false) => "at most",
        (Op::Eq, _) => "equal to",
        (Op::Ne, _) => "different from",
    }
}

fn enforcement_check() -> Enforcement {
    Enforcement {
        database: true,
        service: true,
        mechanism: "CHECK constraint; the service checks first to answer 422 with this message"
            .into(),
    }
}

fn past(actions: &[Action]) -> String {
    actions
        .iter()
        .map(|a| match a {
            Action::Update => "changed",
            Action::Delete => "deleted",
            Action::Create => "created",
            Action::Read => "read",
            Action::List => "listed",
        })
        .collect::<Vec<_>>()
        .join(" or ")
}

fn human_seconds(s: u64) -> String {
    let (n, unit) = if s.is_multiple_of(604_800) {
        (s / 604_800, "week")
    } else if s.is_multiple_of(86_400) {
        (s / 86_400, "day")
    } else if s.is_multiple_of(3600) {
        (s / 3600, "hour")
    } else {
        (s / 60, "minute")
    };
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

/// FNV-1a, for short stable suffixes of long names.
fn fnv(s: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in s.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_read_as_words() {
        assert_eq!(human_seconds(86_400), "1 day");
        assert_eq!(human_seconds(3600 * 24 * 2), "2 days");
        assert_eq!(human_seconds(3600 * 5), "5 hours");
        assert_eq!(human_seconds(1_209_600), "2 weeks");
    }
}
