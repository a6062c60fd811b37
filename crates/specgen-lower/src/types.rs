//! Field types: the type words (`text`, `integer`, `money`, ...), what to write instead
//! of other languages' type names, flags, and a type word with its range turned into a
//! [`specgen_ir::FieldType`]; plus type words for messages (`an email`).
//!
//! Depends only on `cx` and `numbers`; it must not depend on values, fields, access or
//! rules.

use specgen_diagnostics::{Diagnostic, Span, suggest};
use specgen_ir::FieldType;
use specgen_syntax::{NumberLit, Spanned};

use crate::cx::{Cx, list};

/// The field types of the language, as written.
pub const TYPE_NAMES: &[&str] = &[
    "text", "integer", "decimal", "money", "boolean", "date", "datetime", "email", "url", "uuid",
    "json",
];
/// Field flags, as written.
pub const FLAG_WORDS: &[&str] = &[
    "optional",
    "required",
    "unique",
    "read-only",
    "immutable",
    "indexed",
];
/// Common names of types in other languages, and what to write instead.
const TYPE_ALIASES: &[(&str, &str)] = &[
    ("string", "text"),
    ("str", "text"),
    ("varchar", "text"),
    ("char", "text"),
    ("textarea", "text"),
    ("int", "integer"),
    ("integer64", "integer"),
    ("bigint", "integer"),
    ("number", "integer` or `decimal"),
    ("float", "decimal"),
    ("double", "decimal"),
    ("real", "decimal"),
    ("numeric", "decimal"),
    ("bool", "boolean"),
    ("timestamp", "datetime"),
    ("time", "datetime"),
    ("instant", "datetime"),
    ("price", "money"),
    ("currency", "money"),
    ("amount", "money"),
    ("uri", "url"),
    ("link", "url"),
    ("id", "uuid"),
    ("guid", "uuid"),
    ("object", "json"),
    ("map", "json"),
    ("enum", "a | b | c"),
];
/// The default maximum length of a text field, so every field is bounded.
pub const DEFAULT_TEXT_MAX: u32 = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TyWord {
    Text,
    Integer,
    Decimal,
    Money,
    Boolean,
    Date,
    DateTime,
    Email,
    Url,
    Uuid,
    Json,
}

pub(crate) fn ty_word(w: &str) -> Option<TyWord> {
    Some(match w {
        "text" => TyWord::Text,
        "integer" => TyWord::Integer,
        "decimal" => TyWord::Decimal,
        "money" => TyWord::Money,
        "boolean" => TyWord::Boolean,
        "date" => TyWord::Date,
        "datetime" => TyWord::DateTime,
        "email" => TyWord::Email,
        "url" => TyWord::Url,
        "uuid" => TyWord::Uuid,
        "json" => TyWord::Json,
        _ => return None,
    })
}

/// A range item as written: min, max, and the item's span.
pub(crate) type RangeItem = (Option<Spanned<NumberLit>>, Option<Spanned<NumberLit>>, Span);

pub(crate) fn type_label(ty: &FieldType) -> &'static str {
    match ty {
        FieldType::Text { .. } => "text",
        FieldType::Integer { .. } => "integer",
        FieldType::Decimal { .. } => "decimal",
        FieldType::Money { .. } => "money",
        FieldType::Boolean => "boolean",
        FieldType::Date => "date",
        FieldType::DateTime => "datetime",
        FieldType::Email => "email",
        FieldType::Url => "url",
        FieldType::Uuid => "uuid",
        FieldType::Json => "json",
        FieldType::Enum { .. } => "enumeration",
        FieldType::Reference { .. } => "reference",
    }
}

/// The type with its article, for messages: `an email`, `a url`.
pub(crate) fn a_type(ty: &FieldType) -> String {
    let label = type_label(ty);
    let article = if matches!(label, "email" | "integer" | "enumeration") {
        "an"
    } else {
        "a"
    };
    format!("{article} {label}")
}

impl Cx<'_> {
    pub(crate) fn unknown_word(&self, word: &str, span: Span, expecting_type: bool) -> Diagnostic {
        let lower = word.to_lowercase();
        if let Some((_, instead)) = TYPE_ALIASES.iter().find(|(a, _)| *a == lower) {
            return Diagnostic::error("unknown_type", span, format!("unknown type `{word}`"))
                .with_hint(format!("write `{instead}`"));
        }
        if let Some(t) = suggest(&lower, TYPE_NAMES.iter().copied()) {
            return Diagnostic::error("unknown_type", span, format!("unknown type `{word}`"))
                .with_hint(format!("did you mean `{t}`?"));
        }
        let options = FLAG_WORDS.iter().copied().chain([
            "cascade",
            "restrict",
            "set empty",
            "the signed-in user",
        ]);
        if let Some(o) = suggest(&lower, options) {
            return Diagnostic::error(
                "unknown_field_option",
                span,
                format!("unknown field option `{word}`"),
            )
            .with_hint(format!("did you mean `{o}`?"));
        }
        if expecting_type {
            Diagnostic::error("unknown_type", span, format!("unknown type `{word}`")).with_hint(
                format!(
                    "the types are {}, an enumeration `a | b | c` and a reference `-> Entity`",
                    list(TYPE_NAMES)
                ),
            )
        } else {
            Diagnostic::error("unknown_field_option", span, format!("unknown field option `{word}`")).with_hint(
                "field options are a type, `optional`, `unique`, `read-only`, `immutable`, `indexed`, a range like `1..80`, `default <value>`, `visible to <who>`, `set by <who>` and `after <field>`",
            )
        }
    }

    /// The field type for a type word and an optional range.
    pub(crate) fn typed(
        &mut self,
        t: TyWord,
        range: Option<&RangeItem>,
        name: &str,
    ) -> Option<FieldType> {
        let range_span = range.map(|r| r.2);
        let no_range = |cx: &mut Self, what: &str| -> Option<FieldType> {
            if let Some(span) = range_span {
                cx.push(
                    Diagnostic::error(
                        "range_not_allowed",
                        span,
                        format!("{what} field cannot have a range"),
                    )
                    .with_hint("ranges apply to text (length), integer, decimal and money fields"),
                );
                return None;
            }
            Some(FieldType::Boolean)
        };
        let (min, max) = match range {
            Some((a, b, _)) => (a.as_ref(), b.as_ref()),
            None => (None, None),
        };
        Some(match t {
            TyWord::Text => {
                let min_v = match min {
                    Some(n) => Some(self.length(n)?),
                    None => None,
                };
                let max_v = match max {
                    Some(n) => Some(self.length(n)?),
                    None => None,
                };
                let min_length = min_v.unwrap_or(0);
                let max_length = max_v.unwrap_or(DEFAULT_TEXT_MAX.max(min_length));
                if min_length > max_length || max_length == 0 {
                    self.push(
                        Diagnostic::error("impossible_range", range_span.unwrap_or_default(), format!("no text fits the length range of `{name}`: {min_length}..{max_length}"))
                            .with_hint("write the smaller bound first and make the maximum at least 1, for example `1..80`"),
                    );
                    return None;
                }
                FieldType::Text {
                    min_length,
                    max_length,
                }
            }
            TyWord::Integer => {
                let lo = match min {
                    Some(n) => Some(self.integer(n)?),
                    None => None,
                };
                let hi = match max {
                    Some(n) => Some(self.integer(n)?),
                    None => None,
                };
                self.check_order(lo.map(|v| v as f64), hi.map(|v| v as f64), range_span, name)?;
                FieldType::Integer { min: lo, max: hi }
            }
            TyWord::Decimal => {
                let lo = match min {
                    Some(n) => Some(self.decimal(n)?),
                    None => None,
                };
                let hi = match max {
                    Some(n) => Some(self.decimal(n)?),
                    None => None,
                };
                self.check_order(lo, hi, range_span, name)?;
                FieldType::Decimal { min: lo, max: hi }
            }
            TyWord::Money => {
                let lo = match min {
                    Some(n) => Some(self.money(n)?),
                    None => None,
                };
                let hi = match max {
                    Some(n) => Some(self.money(n)?),
                    None => None,
                };
                self.check_order(lo.map(|v| v as f64), hi.map(|v| v as f64), range_span, name)?;
                FieldType::Money { min: lo, max: hi }
            }
            TyWord::Boolean => no_range(self, "a boolean")?,
            TyWord::Date => no_range(self, "a date").map(|_| FieldType::Date)?,
            TyWord::DateTime => no_range(self, "a datetime").map(|_| FieldType::DateTime)?,
            TyWord::Email => no_range(self, "an email").map(|_| FieldType::Email)?,
            TyWord::Url => no_range(self, "a url").map(|_| FieldType::Url)?,
            TyWord::Uuid => no_range(self, "a uuid").map(|_| FieldType::Uuid)?,
            TyWord::Json => no_range(self, "a json").map(|_| FieldType::Json)?,
        })
    }

    fn check_order(
        &mut self,
        lo: Option<f64>,
        hi: Option<f64>,
        span: Option<Span>,
        name: &str,
    ) -> Option<()> {
        if let (Some(a), Some(b)) = (lo, hi)
            && a > b
        {
            self.push(
                Diagnostic::error(
                    "impossible_range",
                    span.unwrap_or_default(),
                    format!(
                        "the range of `{name}` is empty: the minimum is larger than the maximum"
                    ),
                )
                .with_hint("write the smaller bound first, for example `1..50`"),
            );
            return None;
        }
        Some(())
    }
}
