//! Field options: the items of one field line (`{text, optional, 1..80, default x,
//! visible to the owner}`) collected into [`FieldOptions`], with the checks that only
//! need the items themselves: unknown words, repeated ranges or defaults, more than one
//! type, `optional` with `required`, and an owner field's implied reference to the
//! sign-in entity; the role of `-> User with role doctor` ([`Cx::reference_role`]). `was`
//! items are kept for `fields` to turn into old columns.
//!
//! Depends on `cx`, `entities` (`find_entity`), `access` (`visible to`, `set by`),
//! `types` and `enums`; it must not depend on fields (which builds on it), rules or auth.

use specgen_diagnostics::{Diagnostic, Span, suggest};
use specgen_ir::{ValueRename, Who};
use specgen_syntax::{FieldItem, FieldItemKind, FieldLine, Literal, OnDeleteWord, Op, Spanned};

use crate::cx::{Cx, list};
use crate::names::key;
use crate::types::{RangeItem, TyWord, ty_word};

/// What a field line's items say, before the type is decided.
#[derive(Default)]
pub(crate) struct FieldOptions {
    /// The first type word.
    pub(crate) ty: Option<(TyWord, Span)>,
    /// The first enumeration `a | b | c`, normalized.
    pub(crate) enum_values: Option<(Vec<String>, Span)>,
    /// The first reference: (many, target entity, span).
    pub(crate) reference: Option<(bool, usize, Span)>,
    /// `with role doctor` on the reference.
    pub(crate) reference_role: Option<Spanned<String>>,
    pub(crate) range: Option<RangeItem>,
    pub(crate) default: Option<Spanned<Literal>>,
    pub(crate) optional: Option<Span>,
    pub(crate) required: Option<Span>,
    pub(crate) unique: Option<Span>,
    pub(crate) read_only: bool,
    pub(crate) immutable: bool,
    pub(crate) indexed: bool,
    pub(crate) owner: Option<Span>,
    pub(crate) on_delete: Option<(OnDeleteWord, Span)>,
    pub(crate) visible_to: Vec<Who>,
    pub(crate) settable_by: Vec<Who>,
    /// Spans of the `visible to` and `set by` items.
    pub(crate) who_spans: Vec<Span>,
    /// Comparisons with other fields (`after starts at`).
    pub(crate) compares: Vec<(Op, Spanned<String>, Span)>,
    /// `copied from product.price`: the path and the item's span.
    pub(crate) copied_from: Option<(Vec<Spanned<String>>, Span)>,
    /// How many types were written (type words, enumerations and references).
    pub(crate) type_count: usize,
    /// `was capacity` items: the old name (if written) and the item's span.
    pub(crate) previous: Vec<(Option<Spanned<String>>, Span)>,
    /// The enumeration's renamed values (`live (was published)`) and removed ones.
    pub(crate) value_renames: Vec<ValueRename>,
    pub(crate) removed_values: Vec<String>,
}

impl Cx<'_> {
    /// Collect and check a field line's items; `None` when any of them was reported.
    pub(crate) fn field_options(
        &mut self,
        ei: usize,
        line: &FieldLine,
        name_words: &str,
    ) -> Option<FieldOptions> {
        let mut o = FieldOptions::default();
        let mut ok = true;
        for item in &line.items {
            if !self.field_item(ei, item, &mut o) {
                ok = false;
            }
        }
        if o.type_count > 1 {
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
        if let (Some(opt), Some(_)) = (o.optional, o.required) {
            ok = false;
            self.push(
                Diagnostic::error(
                    "conflicting_options",
                    opt,
                    format!("field `{name_words}` is marked both `optional` and `required`"),
                )
                .with_hint("keep one of them"),
            );
        }
        if !self.owner_reference(line, &mut o) {
            ok = false;
        }
        ok.then_some(o)
    }

    /// Record one item; false when it was reported.
    fn field_item(&mut self, ei: usize, item: &FieldItem, o: &mut FieldOptions) -> bool {
        match &item.kind {
            FieldItemKind::Word(w) => return self.field_word(w, item.span, o),
            FieldItemKind::Enum(values) => {
                o.type_count += 1;
                let (out, ok) = self.enum_values(values, item.span);
                if o.enum_values.is_none() {
                    o.enum_values = Some((out.values, item.span));
                    o.value_renames = out.renames;
                    o.removed_values = out.removed;
                }
                return ok;
            }
            FieldItemKind::Was(name) => o.previous.push((name.clone(), item.span)),
            // A tombstone line is not lowered as a field (see `fields`).
            FieldItemKind::Removed => {}
            FieldItemKind::Reference { many, target, role } => {
                o.type_count += 1;
                match self.find_entity(target) {
                    Ok(t) => {
                        if o.reference.is_none() {
                            o.reference = Some((*many, t, item.span));
                            o.reference_role.clone_from(role);
                        }
                    }
                    Err(d) => {
                        self.push(d);
                        return false;
                    }
                }
            }
            FieldItemKind::Range { min, max } => {
                if o.range.is_some() {
                    self.push(
                        Diagnostic::error(
                            "duplicate_option",
                            item.span,
                            "this field already has a range",
                        )
                        .with_hint("write one range, for example `1..80`"),
                    );
                    return false;
                }
                o.range = Some((min.clone(), max.clone(), item.span));
            }
            FieldItemKind::Default(lit) => {
                if o.default.is_some() {
                    self.push(
                        Diagnostic::error(
                            "duplicate_option",
                            item.span,
                            "this field already has a default",
                        )
                        .with_hint("keep one `default`"),
                    );
                    return false;
                }
                o.default = Some(lit.clone());
            }
            FieldItemKind::Owner => o.owner = Some(item.span),
            FieldItemKind::OnDelete(w) => o.on_delete = Some((*w, item.span)),
            FieldItemKind::VisibleTo(who) => {
                o.who_spans.push(item.span);
                match self.resolve_field_whos(ei, who) {
                    Some(w) => o.visible_to.extend(w),
                    None => return false,
                }
            }
            FieldItemKind::SetBy(who) => {
                o.who_spans.push(item.span);
                match self.resolve_field_whos(ei, who) {
                    Some(w) => o.settable_by.extend(w),
                    None => return false,
                }
            }
            FieldItemKind::Compare { op, field } => {
                o.compares.push((*op, field.clone(), item.span))
            }
            FieldItemKind::CopiedFrom(path) => {
                if o.copied_from.is_some() {
                    self.push(
                        Diagnostic::error(
                            "duplicate_option",
                            item.span,
                            "this field is already copied from somewhere",
                        )
                        .with_hint("keep one `copied from`"),
                    );
                    return false;
                }
                o.copied_from = Some((path.clone(), item.span));
            }
            FieldItemKind::Unknown(text) => {
                let d = self.unknown_word(text, item.span, false);
                self.push(d);
                return false;
            }
        }
        true
    }

    /// A bare word: a type word or a flag; false when it is neither (reported).
    fn field_word(&mut self, w: &str, span: Span, o: &mut FieldOptions) -> bool {
        if let Some(t) = ty_word(w) {
            o.type_count += 1;
            if o.ty.is_none() {
                o.ty = Some((t, span));
            }
            return true;
        }
        match w {
            "optional" => o.optional = Some(span),
            "required" => o.required = Some(span),
            "unique" => o.unique = Some(span),
            "read-only" | "readonly" => o.read_only = true,
            "immutable" => o.immutable = true,
            "indexed" => o.indexed = true,
            other => {
                let expecting_type =
                    o.ty.is_none() && o.enum_values.is_none() && o.reference.is_none();
                let d = self.unknown_word(other, span, expecting_type);
                self.push(d);
                return false;
            }
        }
        true
    }

    /// The owner field references the sign-in entity; its type may be left out. False
    /// when there is no sign-in entity to reference (reported).
    fn owner_reference(&mut self, line: &FieldLine, o: &mut FieldOptions) -> bool {
        if o.owner.is_some()
            && o.reference.is_none()
            && o.ty.is_none()
            && o.enum_values.is_none()
            && o.type_count == 0
        {
            match self.auth_idx {
                Some(a) => o.reference = Some((false, a, line.name.span)),
                None => {
                    self.push(
                        Diagnostic::error(
                            "owner_without_auth",
                            o.owner.unwrap_or(line.span),
                            "`the signed-in user` needs an entity people sign in as",
                        )
                        .with_hint("mark the sign-in entity, for example `## User {auth}`"),
                    );
                    return false;
                }
            }
        }
        true
    }

    /// The role of `-> User with role doctor`: the reference must name the sign-in entity,
    /// be one account (not `many`) that the request sets (not the signed-in user), and the
    /// role must be one of the spec's.
    pub(crate) fn reference_role(
        &mut self,
        name_words: &str,
        o: &FieldOptions,
        (many, target): (bool, usize),
        role: &Spanned<String>,
    ) -> Option<String> {
        if self.auth_idx != Some(target) {
            let hint = match self.auth_idx {
                Some(a) => format!(
                    "only accounts have roles: reference `{}` to say whose role it is",
                    self.entities[a].name
                ),
                None => {
                    "mark the entity people sign in as, for example `## User {auth}`".to_owned()
                }
            };
            self.push(
                Diagnostic::error(
                    "role_on_non_account",
                    role.span,
                    format!(
                        "`{name_words}` references `{}`, which has no roles",
                        self.entities[target].name
                    ),
                )
                .with_hint(hint),
            );
            return None;
        }
        if many {
            self.push(
                Diagnostic::error(
                    "unsupported_role_reference",
                    role.span,
                    format!("`{name_words}` is a many-to-many link; `with role` is only supported on a reference to one account"),
                )
                .with_hint("reference one account, or leave out `with role` and check the role in a hook"),
            );
            return None;
        }
        if let Some(span) = o.owner {
            self.push(
                Diagnostic::error(
                    "unsupported_role_reference",
                    span,
                    format!("`{name_words}` is the signed-in user, whose role the access rules already decide"),
                )
                .with_hint("leave out `with role`, and grant the action to that role under `Access:`"),
            );
            return None;
        }
        let lower = role.value.to_lowercase();
        if let Some(&i) = self.role_keys.get(&key(&lower)) {
            return Some(self.roles[i].name.clone());
        }
        let names: Vec<&str> = self.roles.iter().map(|r| r.name.as_str()).collect();
        let d = Diagnostic::error(
            "unknown_role",
            role.span,
            format!("unknown role `{}`", role.value),
        );
        let d = match suggest(&lower, names.iter().copied()) {
            Some(s) => d.with_hint(format!("did you mean `{s}`?")),
            None => d.with_hint(format!(
                "the roles are {}; add roles under `## Roles`",
                list(&names)
            )),
        };
        self.push(d);
        None
    }
}
