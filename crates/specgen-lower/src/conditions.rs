//! Field names and comparisons in rules: a written field name resolved on an entity
//! (including `id`, `created` and `updated`), two fields checked to be comparable, and a
//! `when`/`once` condition (`status = draft`, `owner.plan = free`) with its value.
//!
//! Depends on `cx`, `names`, `numbers`, `types` and `values`; it must not depend on
//! fields, rules or auth (fields and rules both use it).

use specgen_diagnostics::{Diagnostic, Span, suggest};
use specgen_ir::{CompareOp, Condition, FieldType, Value};
use specgen_syntax::{ConditionAst, Literal, Op, Spanned};

use crate::cx::{Cx, Resolved, list};
use crate::names::key;
use crate::numbers::money_cents;
use crate::types::{a_type, type_label};

pub(crate) fn compare_op(op: Op) -> CompareOp {
    match op {
        Op::Eq => CompareOp::Eq,
        Op::Ne => CompareOp::Ne,
        Op::Lt => CompareOp::Lt,
        Op::Le => CompareOp::Le,
        Op::Gt => CompareOp::Gt,
        Op::Ge => CompareOp::Ge,
    }
}

/// A comparison written on a field line (`ends at {datetime, after starts at}`): the
/// field's index, the operator, the other field as written, and where it was written.
pub(crate) struct FieldCompare {
    pub(crate) field: usize,
    pub(crate) op: Op,
    pub(crate) other: Spanned<String>,
    pub(crate) at: Span,
}

impl Cx<'_> {
    pub(crate) fn resolve_field(&mut self, ei: usize, name: &Spanned<String>) -> Option<Resolved> {
        let lower = name.value.to_lowercase();
        let k = key(&lower);
        match k.as_str() {
            "id" => {
                return Some(Resolved {
                    ident: "id".into(),
                    name: "id".into(),
                    ty: FieldType::Uuid,
                    required: true,
                });
            }
            "created" | "createdat" | "creation" | "creationtime" => {
                return Some(Resolved {
                    ident: "created_at".into(),
                    name: "created at".into(),
                    ty: FieldType::DateTime,
                    required: true,
                });
            }
            "updated" | "updatedat" => {
                return Some(Resolved {
                    ident: "updated_at".into(),
                    name: "updated at".into(),
                    ty: FieldType::DateTime,
                    required: true,
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
                required: f.required,
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

    pub(crate) fn check_compare(&mut self, l: &Resolved, r: &Resolved, span: Span) -> bool {
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

    /// The reference field `first` of `first.second` and the entity it points at; `code`
    /// (with `hint`) when `first` is not a reference.
    pub(crate) fn through_reference(
        &mut self,
        ei: usize,
        (first, second): (&Spanned<String>, &Spanned<String>),
        code: &'static str,
        hint: &str,
    ) -> Option<(Resolved, usize)> {
        let f = self.resolve_field(ei, first)?;
        let FieldType::Reference { entity, .. } = &f.ty else {
            self.push(
                Diagnostic::error(
                    code,
                    first.span,
                    format!(
                        "`{}` is not a reference, so `{}.{}` leads nowhere",
                        f.name, first.value, second.value
                    ),
                )
                .with_hint(hint),
            );
            return None;
        };
        let target = *self.entity_keys.get(&key(entity))?;
        Some((f, target))
    }

    pub(crate) fn condition(&mut self, ei: usize, c: &ConditionAst) -> Option<Condition> {
        let (path, ty, field) = match c.path.as_slice() {
            [one] => {
                let f = self.resolve_field(ei, one)?;
                (vec![f.ident.clone()], f.ty.clone(), f)
            }
            [first, second] => {
                let (f, target) = self.through_reference(
                    ei,
                    (first, second),
                    "invalid_condition",
                    "look through a `-> Entity` field, for example `owner.plan`",
                )?;
                let g = self.resolve_field(target, second)?;
                (vec![f.ident, g.ident.clone()], g.ty.clone(), g)
            }
            _ => return None,
        };
        if let Some(empty) = emptiness(&ty, c) {
            if field.required {
                self.push(
                    Diagnostic::error(
                        "invalid_condition",
                        c.span,
                        format!("`{}` is required, so it is never empty", field.name),
                    )
                    .with_hint("test an optional field, or compare this one with a value"),
                );
                return None;
            }
            return Some(Condition {
                path,
                op: if empty { CompareOp::Eq } else { CompareOp::Ne },
                value: Value::Empty,
            });
        }
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
}

/// `is empty` (`Some(true)`), `is set` / `is not empty` (`Some(false)`): a test for a
/// missing value rather than a comparison. The words `empty` and `set` unquoted, after
/// `is` or `is not`; an enumeration with a value of that name keeps its value.
fn emptiness(ty: &FieldType, c: &ConditionAst) -> Option<bool> {
    let Literal::Words(word) = &c.value.value else {
        return None;
    };
    let word = word.to_lowercase();
    if let FieldType::Enum { values } = ty
        && values.contains(&word)
    {
        return None;
    }
    let empty = match word.as_str() {
        "empty" => true,
        "set" => false,
        _ => return None,
    };
    match c.op {
        Op::Eq => Some(empty),
        Op::Ne => Some(!empty),
        _ => None,
    }
}
