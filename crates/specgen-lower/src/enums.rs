//! Enumeration values: `draft | live (was published) | archived (removed)` lowered into
//! the allowed values in snake_case, the renames the next migration applies to stored
//! values, and the values recorded as removed (no longer allowed).
//!
//! Depends on `cx`, `names` and `changes` (old names); field options use it.

use specgen_diagnostics::{Diagnostic, Span};
use specgen_ir::ValueRename;
use specgen_syntax::{EnumValue, ValueNote};

use crate::changes::{Claims, claim};
use crate::cx::Cx;
use crate::names;

/// An enumeration as lowered.
#[derive(Default)]
pub(crate) struct EnumValues {
    /// The allowed values, in spec order.
    pub(crate) values: Vec<String>,
    pub(crate) renames: Vec<ValueRename>,
    pub(crate) removed: Vec<String>,
}

impl Cx<'_> {
    /// An enumeration's values, renames and removals, and whether all of them were usable.
    /// `span` is the whole enumeration.
    pub(crate) fn enum_values(&mut self, values: &[EnumValue], span: Span) -> (EnumValues, bool) {
        let mut out = EnumValues::default();
        let mut ok = true;
        // Old values claimed by a rename or a removal, and each rename's span.
        let mut claims = Claims::new();
        let mut renames: Vec<(ValueRename, String, Span)> = Vec::new();
        let mut listed: Vec<String> = Vec::new();
        for v in values {
            let Some(s) = self.value_name(v.name.value.as_str(), v.name.span) else {
                ok = false;
                continue;
            };
            if listed.contains(&s) {
                ok = false;
                self.push(
                    Diagnostic::error(
                        "duplicate_enum_value",
                        v.name.span,
                        format!("`{}` is listed twice", v.name.value),
                    )
                    .with_hint("remove one of them"),
                );
                continue;
            }
            listed.push(s.clone());
            let Some(note) = &v.note else {
                out.values.push(s);
                continue;
            };
            match &note.value {
                ValueNote::Removed => {
                    if let Some(d) = claim(&mut claims, &s, &v.name.value, v.name.span) {
                        ok = false;
                        self.push(d);
                    }
                    out.removed.push(s);
                }
                ValueNote::Was(old) => {
                    out.values.push(s.clone());
                    let Some(words) = self.previous_words("value", old.as_ref(), note.span) else {
                        ok = false;
                        continue;
                    };
                    let from = names::snake(&words);
                    let written = old.as_ref().map_or(String::new(), |o| o.value.clone());
                    if let Some(d) = claim(&mut claims, &from, &written, note.span) {
                        ok = false;
                        self.push(d);
                        continue;
                    }
                    renames.push((ValueRename { from, to: s }, written, note.span));
                }
                ValueNote::Unknown(text) => {
                    ok = false;
                    self.push(
                        Diagnostic::error(
                            "unknown_field_option",
                            note.span,
                            format!("unknown note `({text})` on the value `{}`", v.name.value),
                        )
                        .with_hint("a value's note is `(was <old value>)` for a renamed value or `(removed)` for one that is gone"),
                    );
                }
            }
        }
        for (rename, written, at) in renames {
            if rename.from == rename.to {
                ok = false;
                self.was_current("value", &rename.to, at);
            } else if out.values.contains(&rename.from) {
                ok = false;
                self.push(
                    Diagnostic::error(
                        "rename_from_current_value",
                        at,
                        format!(
                            "`{written}` is still listed, so `{}` cannot have been renamed from it",
                            rename.to.replace('_', " ")
                        ),
                    )
                    .with_hint(format!(
                        "remove `{written}` from the values (rows holding it will hold `{}`), or remove the `(was {written})`",
                        rename.to.replace('_', " ")
                    )),
                );
            } else {
                out.renames.push(rename);
            }
        }
        if out.values.is_empty() && ok {
            ok = false;
            self.push(
                Diagnostic::error(
                    "no_enum_values",
                    span,
                    "every value of this enumeration is removed",
                )
                .with_hint("keep at least one value that records can hold"),
            );
        }
        (out, ok)
    }

    /// One value in snake_case; `None` when it is unusable (reported).
    fn value_name(&mut self, value: &str, span: Span) -> Option<String> {
        if let Some(d) = names::too_long(
            "value",
            value,
            span,
            "a value is a word or two, like `in review`; describe the field after `:`",
        ) {
            self.push(d);
            return None;
        }
        let s = names::snake(value);
        if s == "self" {
            self.push(
                Diagnostic::error(
                    "reserved_name",
                    span,
                    "`self` cannot be a value: the generated code uses that word",
                )
                .with_hint("choose another word, for example `own`"),
            );
            return None;
        }
        if !names::is_valid_snake(&s) {
            self.push(
                Diagnostic::error(
                    "invalid_name",
                    span,
                    format!("`{value}` is not a usable value"),
                )
                .with_hint("use words made of letters a-z and digits, starting with a letter"),
            );
            return None;
        }
        Some(s)
    }
}
