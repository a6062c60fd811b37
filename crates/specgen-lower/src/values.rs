//! Literal values: a field's `default` checked against its type and range, and
//! enumeration values (shared with conditions) normalized and checked against the
//! listed values.
//!
//! Depends on `cx`, `names`, `numbers` and `types` (for type words in messages); it
//! must not depend on fields, access, conditions or rules.

use specgen_diagnostics::{Diagnostic, suggest};
use specgen_ir::{FieldType, Value};
use specgen_syntax::{Literal, Spanned};

use crate::cx::{Cx, list};
use crate::names;
use crate::numbers::money_cents;
use crate::types::a_type;

/// A literal's text as written (without quotes).
fn literal_text(lit: &Literal) -> String {
    match lit {
        Literal::Quoted(s) | Literal::Words(s) => s.clone(),
        Literal::Number(n) => n.text.clone(),
    }
}

/// Why a numeric default was refused.
enum BadNumber {
    /// Not a number of the field's kind.
    WrongType,
    /// A number outside the field's `min..max`.
    OutOfRange,
}

/// A numeric default: `lit` must be a number that `parse` accepts, inside the bounds.
fn bounded<T: PartialOrd + Copy>(
    lit: &Literal,
    parse: impl Fn(&str) -> Option<T>,
    min: Option<T>,
    max: Option<T>,
) -> Result<T, BadNumber> {
    let Literal::Number(n) = lit else {
        return Err(BadNumber::WrongType);
    };
    let v = parse(&n.text).ok_or(BadNumber::WrongType)?;
    if min.is_some_and(|m| v < m) || max.is_some_and(|m| v > m) {
        return Err(BadNumber::OutOfRange);
    }
    Ok(v)
}

impl Cx<'_> {
    /// An enumeration value written in a default or a condition: normalized to snake_case,
    /// or a `code` diagnostic with the nearest value (or the list) as a hint.
    pub(crate) fn enum_value(
        &mut self,
        values: &[String],
        lit: &Spanned<Literal>,
        code: &str,
        message: String,
    ) -> Option<Value> {
        let v = names::snake(&literal_text(&lit.value));
        if values.contains(&v) {
            return Some(Value::Enum(v));
        }
        let d = Diagnostic::error(code, lit.span, message);
        self.push(match suggest(&v, values.iter().map(String::as_str)) {
            Some(s) => d.with_hint(format!("did you mean `{s}`?")),
            None => d.with_hint(format!(
                "the values are {}",
                list(&values.iter().map(String::as_str).collect::<Vec<_>>())
            )),
        });
        None
    }

    /// Check and convert a default value for a field type.
    pub(crate) fn default_value(
        &mut self,
        ty: &FieldType,
        lit: &Spanned<Literal>,
    ) -> Option<Value> {
        let shown = lit.value.display();
        let wrong = |cx: &mut Self, expected: &str, hint: &str| {
            cx.push(
                Diagnostic::error(
                    "default_wrong_type",
                    lit.span,
                    format!("the default `{shown}` is not {expected}"),
                )
                .with_hint(hint.to_string()),
            );
            None
        };
        let out_of_range = |cx: &mut Self, what: &str| {
            cx.push(
                Diagnostic::error(
                    "default_out_of_range",
                    lit.span,
                    format!("the default `{shown}` is outside the field's {what}"),
                )
                .with_hint("change the default or widen the range"),
            );
            None
        };
        match ty {
            FieldType::Text {
                min_length,
                max_length,
            } => {
                let s = literal_text(&lit.value);
                let len = s.chars().count() as u32;
                if len < *min_length || len > *max_length {
                    return out_of_range(self, "length range");
                }
                Some(Value::Text(s))
            }
            FieldType::Integer { min, max } => {
                match bounded(&lit.value, |t| t.parse::<i64>().ok(), *min, *max) {
                    Ok(v) => Some(Value::Integer(v)),
                    Err(BadNumber::WrongType) => wrong(
                        self,
                        "a whole number",
                        "write a whole number, for example `default 0`",
                    ),
                    Err(BadNumber::OutOfRange) => out_of_range(self, "range"),
                }
            }
            FieldType::Decimal { min, max } => {
                match bounded(&lit.value, |t| t.parse::<f64>().ok(), *min, *max) {
                    Ok(v) => Some(Value::Decimal(v)),
                    Err(BadNumber::WrongType) => wrong(
                        self,
                        "a number",
                        "write a number, for example `default 0.5`",
                    ),
                    Err(BadNumber::OutOfRange) => out_of_range(self, "range"),
                }
            }
            FieldType::Money { min, max } => {
                match bounded(&lit.value, |t| money_cents(t).ok(), *min, *max) {
                    Ok(v) => Some(Value::Money(v)),
                    Err(BadNumber::WrongType) => wrong(
                        self,
                        "an amount with at most two decimals",
                        "write an amount, for example `default 9.99`",
                    ),
                    Err(BadNumber::OutOfRange) => out_of_range(self, "range"),
                }
            }
            FieldType::Boolean => match &lit.value {
                Literal::Words(w) | Literal::Quoted(w) => match w.to_lowercase().as_str() {
                    "true" | "yes" => Some(Value::Bool(true)),
                    "false" | "no" => Some(Value::Bool(false)),
                    _ => wrong(
                        self,
                        "`true` or `false`",
                        "write `default true` or `default false`",
                    ),
                },
                Literal::Number(_) => wrong(
                    self,
                    "`true` or `false`",
                    "write `default true` or `default false`",
                ),
            },
            FieldType::Date | FieldType::DateTime => match &lit.value {
                Literal::Words(w) if matches!(w.to_lowercase().as_str(), "now" | "today") => {
                    Some(Value::Now)
                }
                _ => wrong(
                    self,
                    "a usable time",
                    "the only default for a date or datetime is `now`",
                ),
            },
            FieldType::Enum { values } => self.enum_value(
                values,
                lit,
                "default_not_in_enum",
                format!("the default `{shown}` is not one of the values"),
            ),
            FieldType::Email
            | FieldType::Url
            | FieldType::Uuid
            | FieldType::Json
            | FieldType::Reference { .. } => {
                self.push(
                    Diagnostic::error(
                        "default_not_allowed",
                        lit.span,
                        format!("{} field cannot have a default", a_type(ty)),
                    )
                    .with_hint("remove the default, or make the field `optional`"),
                );
                None
            }
        }
    }
}
