//! Derived values: each `copied from <reference>.<field>` item of a field line, resolved
//! once every entity's fields are known. The path must name a required reference of the
//! same entity and a field of the record it names, of a type and range the copy can hold.
//!
//! Depends on `cx`, `names` and `conditions` (`resolve_field`); it must not depend on
//! `rules` or `auth`, which come after it.

use specgen_diagnostics::{Diagnostic, Span};
use specgen_ir::{Derived, FieldType};
use specgen_syntax::Spanned;

use crate::cx::Cx;
use crate::names::key;

impl Cx<'_> {
    /// Resolve every `copied from` item lowering collected; a copy that cannot be resolved
    /// is reported and the field stays underived (the app is not emitted then).
    pub(crate) fn derived(&mut self) {
        for (ei, fi, path, span) in std::mem::take(&mut self.copies) {
            if let Some(derived) = self.copy(ei, fi, &path, span) {
                self.entities[ei].fields[fi].derived = Some(derived);
            }
        }
    }

    fn copy(
        &mut self,
        ei: usize,
        fi: usize,
        path: &[Spanned<String>],
        span: Span,
    ) -> Option<Derived> {
        let [reference, source] = path else {
            self.push(
                Diagnostic::error(
                    "invalid_copy",
                    span,
                    "`copied from` needs a reference and a field of the record it names",
                )
                .with_hint("write `copied from product.price`: a reference of this entity, a dot, a field of its target"),
            );
            return None;
        };
        let via = self.resolve_field(ei, reference)?;
        let reference_field = self.field_keys[ei]
            .get(&key(&via.ident))
            .map(|&ri| &self.entities[ei].fields[ri]);
        let Some(FieldType::Reference { entity: target, .. }) = reference_field.map(|f| &f.ty)
        else {
            self.push(
                Diagnostic::error(
                    "invalid_copy",
                    reference.span,
                    format!("`{}` is not a reference, so there is no record to copy from", via.name),
                )
                .with_hint("copy through a reference field of this entity, for example `product {-> Product}`"),
            );
            return None;
        };
        if !reference_field.is_some_and(|f| f.required) {
            self.push(
                Diagnostic::error(
                    "invalid_copy",
                    reference.span,
                    format!("`{}` is optional: a copy needs a record to copy from", via.name),
                )
                .with_hint("make the reference required (copies through optional references are not supported)"),
            );
            return None;
        }
        let target = target.clone();
        let ti = self.entities.iter().position(|e| e.name == target)?;
        let from = self.resolve_field(ti, source)?;
        // `id`, `created at` and `updated at` are columns of every record, never empty.
        let source_required = self.field_keys[ti]
            .get(&key(&from.ident))
            .is_none_or(|&si| self.entities[ti].fields[si].required);
        let field = &self.entities[ei].fields[fi];
        if !holds(&field.ty, &from.ty) {
            let name = field.name.clone();
            self.push(
                Diagnostic::error(
                    "copy_type_mismatch",
                    span,
                    format!(
                        "`{name}` cannot hold every value of `{}.{}`",
                        via.name, from.name
                    ),
                )
                .with_hint("give the copy the same type as its source, with a range or length at least as wide"),
            );
            return None;
        }
        if field.required && !source_required {
            let name = field.name.clone();
            self.push(
                Diagnostic::error(
                    "invalid_copy",
                    span,
                    format!(
                        "`{name}` is required but `{}.{}` may be empty",
                        via.name, from.name
                    ),
                )
                .with_hint("make the copy `optional`, or its source required"),
            );
            return None;
        }
        Some(Derived::Copy {
            reference: via.ident,
            field: from.ident,
        })
    }
}

/// Whether a field of type `copy` can hold every value of a field of type `source`: the
/// same type, with bounds at least as wide.
fn holds(copy: &FieldType, source: &FieldType) -> bool {
    fn wider<T: PartialOrd + Copy>(
        (copy_min, copy_max): (Option<T>, Option<T>),
        (min, max): (Option<T>, Option<T>),
    ) -> bool {
        let low = match (copy_min, min) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(c), Some(s)) => c <= s,
        };
        let high = match (copy_max, max) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(c), Some(s)) => c >= s,
        };
        low && high
    }
    match (copy, source) {
        (
            FieldType::Text {
                min_length: cmin,
                max_length: cmax,
            },
            FieldType::Text {
                min_length,
                max_length,
            },
        ) => cmin <= min_length && cmax >= max_length,
        (FieldType::Integer { min: a, max: b }, FieldType::Integer { min, max })
        | (FieldType::Money { min: a, max: b }, FieldType::Money { min, max }) => {
            wider((*a, *b), (*min, *max))
        }
        (FieldType::Decimal { min: a, max: b }, FieldType::Decimal { min, max }) => {
            wider((*a, *b), (*min, *max))
        }
        (FieldType::Enum { .. } | FieldType::Reference { .. }, _) => false,
        (copy, source) => std::mem::discriminant(copy) == std::mem::discriminant(source),
    }
}
