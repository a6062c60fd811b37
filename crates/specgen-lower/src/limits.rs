//! Limits: `at most 3 per owner`, `at most 4 per buyer per event when ...`, `at most
//! event.capacity per event`: the `per` references, the most (a number or the parent's
//! whole-number field) and the condition, checked and turned into a `RuleKind::Limit`.
//!
//! Called by `rules` for each limit annotation ([`Cx::limit_rule`]); depends on `cx`,
//! `names` and `conditions`.

use specgen_diagnostics::Diagnostic;
use specgen_ir::{Enforcement, FieldType, LimitMax, RuleKind};
use specgen_syntax::{ConditionAst, LimitMaxAst, Spanned};

use crate::cx::{Cx, Resolved};
use crate::names;

/// A lowered rule annotation: its kind, the suffix of its code, the message to use when
/// the line has no text of its own, and how it is enforced.
pub(crate) type LoweredRule = (RuleKind, String, String, Enforcement);

impl Cx<'_> {
    /// `at most 3 per owner when ...`: a count of rows per a reference.
    pub(crate) fn limit_rule(
        &mut self,
        ei: usize,
        max: &Spanned<LimitMaxAst>,
        (per, also_per): (&Spanned<String>, &[Spanned<String>]),
        when: &Option<ConditionAst>,
    ) -> Option<LoweredRule> {
        let plural = self.entities[ei].plural_words.clone();
        let mut resolved = Vec::new();
        for name in std::iter::once(per).chain(also_per) {
            let f = self.resolve_field(ei, name)?;
            if !matches!(f.ty, FieldType::Reference { .. }) {
                self.push(
                    Diagnostic::error(
                        "invalid_limit",
                        name.span,
                        format!(
                            "`{}` is not a reference, so rows cannot be counted per `{}`",
                            f.name, f.name
                        ),
                    )
                    .with_hint("count per a `-> Entity` field, for example `at most 3 per owner`"),
                );
                return None;
            }
            if resolved.iter().any(|r: &Resolved| r.ident == f.ident) {
                self.push(
                    Diagnostic::error(
                        "invalid_limit",
                        name.span,
                        format!("`{}` is named twice after `per`", f.name),
                    )
                    .with_hint("name each reference once: `at most 4 per buyer per event`"),
                );
                return None;
            }
            resolved.push(f);
        }
        let p = resolved.remove(0);
        let also: Vec<Resolved> = resolved;
        let max_ir = match &max.value {
            LimitMaxAst::Count(n) => LimitMax::Count(*n),
            LimitMaxAst::Field(reference, number) => {
                LimitMax::Field(self.limit_field(ei, &p, reference, number)?)
            }
        };
        if max_ir == LimitMax::Count(0) {
            self.push(
                Diagnostic::error(
                    "impossible_range",
                    max.span,
                    "a limit of `0` forbids creating any row",
                )
                .with_hint("use at least 1, or remove `create` from the access lines instead"),
            );
            return None;
        }
        let cond = match when {
            Some(c) => Some(self.condition(ei, c)?),
            None => None,
        };
        let per_name = p.name.clone();
        let per_words: Vec<String> = std::iter::once(per_name.clone())
            .chain(also.iter().map(|a| a.name.clone()))
            .collect();
        let held = if let LimitMax::Field(field) = &max_ir {
            format!(
                "; the `{per_name}`'s `{}` is read in the same check, and a change of it that would leave too many is refused",
                field.replace('_', " ")
            )
        } else if cond.as_ref().is_some_and(|c| c.path.len() > 1) {
            format!(
                "; also checked when the `{per_name}` changes, so it cannot come to hold too many"
            )
        } else {
            String::new()
        };
        Some((
            RuleKind::Limit {
                max: max_ir.clone(),
                per: p.ident,
                also_per: also.into_iter().map(|a| a.ident).collect(),
                when: cond,
            },
            format!("limit_per_{}", names::snake(&per_words.join(" and "))),
            format!(
                "at most {} {plural} per {}",
                match &max.value {
                    LimitMaxAst::Count(n) => n.to_string(),
                    LimitMaxAst::Field(reference, number) =>
                        format!("{}.{}", reference.value, number.value),
                },
                per_words.join(" and ")
            ),
            Enforcement {
                database: false,
                service: true,
                mechanism: format!(
                    "service check inside a transaction that locks the `{per_name}` row (PostgreSQL: SELECT ... FOR NO KEY UPDATE; SQLite: BEGIN IMMEDIATE){held}"
                ),
            },
        ))
    }

    /// The field of `at most event.capacity per event`: `reference` must be the first `per`
    /// (`p`) and `number` a whole-number field of the record it names.
    fn limit_field(
        &mut self,
        ei: usize,
        p: &Resolved,
        reference: &Spanned<String>,
        number: &Spanned<String>,
    ) -> Option<String> {
        let same = names::key(&names::words(&reference.value)) == names::key(&p.name)
            || names::key(&reference.value) == names::key(&p.ident);
        if !same {
            self.push(
                Diagnostic::error(
                    "invalid_limit",
                    reference.span,
                    format!(
                        "the most must be read from the record counted per, `{}`",
                        p.name
                    ),
                )
                .with_hint(format!(
                    "write `at most {}.<field> per {}`, or a number",
                    p.name, p.name
                )),
            );
            return None;
        }
        let FieldType::Reference { entity: target, .. } = &p.ty else {
            return None;
        };
        let ti = *self.entity_keys.get(&names::key(target))?;
        // `at most event.capacity tickets per event`: the noun after the field is this
        // entity's name, not part of the field's.
        let mut number = number.clone();
        if !self.field_keys[ti].contains_key(&names::key(&number.value)) {
            let words = names::words(&number.value);
            let counted = &self.entities[ei];
            for noun in [&counted.plural_words, &counted.words] {
                if let Some(field) = words.strip_suffix(&format!(" {noun}")) {
                    number.value = field.to_owned();
                    break;
                }
            }
        }
        let field = self.resolve_field(ti, &number)?;
        if !matches!(field.ty, FieldType::Integer { .. }) {
            self.push(
                Diagnostic::error("invalid_limit", number.span, format!("`{}` is not a whole number, so it cannot be the most", field.name))
                    .with_hint("read the most from an `int` field, for example `- capacity {integer, 1..10000}`"),
            );
            return None;
        }
        Some(field.ident)
    }
}
