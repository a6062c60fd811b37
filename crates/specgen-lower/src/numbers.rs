//! Numbers as written in ranges and defaults: lengths, whole numbers, decimals and money
//! amounts (converted to cents by [`money_cents`]), each refused with a diagnostic when
//! it does not fit.
//!
//! Depends only on `cx`; it must not depend on types, fields or rules (they use it).

use specgen_diagnostics::Diagnostic;
use specgen_syntax::{NumberLit, Spanned};

use crate::cx::Cx;

/// An amount in major units (`9.99`, `-5`, `1000`) -> minor units (cents).
pub fn money_cents(text: &str) -> Result<i64, &'static str> {
    let (neg, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, frac) = match digits.split_once('.') {
        Some((w, f)) => (w, f),
        None => (digits, ""),
    };
    if frac.len() > 2 {
        return Err("has more than two decimals");
    }
    if whole.is_empty()
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
    {
        return Err("is not an amount");
    }
    let w: i64 = whole.parse().map_err(|_| "is too large")?;
    let f: i64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<2}")
            .parse()
            .map_err(|_| "is not an amount")?
    };
    let cents = w
        .checked_mul(100)
        .and_then(|c| c.checked_add(f))
        .ok_or("is too large")?;
    Ok(if neg { -cents } else { cents })
}

impl Cx<'_> {
    fn no_currency(&mut self, n: &Spanned<NumberLit>) -> Option<()> {
        if n.value.currency {
            self.push(
                Diagnostic::error(
                    "invalid_number",
                    n.span,
                    format!(
                        "`{}` has a currency sign but the field is not money",
                        n.value.text
                    ),
                )
                .with_hint("remove the currency sign, or make the field `money`"),
            );
            return None;
        }
        Some(())
    }

    pub(crate) fn length(&mut self, n: &Spanned<NumberLit>) -> Option<u32> {
        self.no_currency(n)?;
        if n.value.text.starts_with('-') {
            self.push(
                Diagnostic::error(
                    "negative_length",
                    n.span,
                    format!("a text cannot be `{}` characters long", n.value.text),
                )
                .with_hint("lengths start at 0; for example `1..80`"),
            );
            return None;
        }
        match n.value.text.parse::<u32>() {
            Ok(v) => Some(v),
            Err(_) => {
                self.push(
                    Diagnostic::error(
                        "invalid_number",
                        n.span,
                        format!("`{}` is not a usable length", n.value.text),
                    )
                    .with_hint("write a whole number of characters, for example `500`"),
                );
                None
            }
        }
    }

    pub(crate) fn integer(&mut self, n: &Spanned<NumberLit>) -> Option<i64> {
        self.no_currency(n)?;
        match n.value.text.parse::<i64>() {
            Ok(v) => Some(v),
            Err(_) => {
                self.push(
                    Diagnostic::error(
                        "invalid_number",
                        n.span,
                        format!(
                            "`{}` is not a whole number that fits in 64 bits",
                            n.value.text
                        ),
                    )
                    .with_hint("write a whole number, or make the field `decimal`"),
                );
                None
            }
        }
    }

    pub(crate) fn decimal(&mut self, n: &Spanned<NumberLit>) -> Option<f64> {
        self.no_currency(n)?;
        match n.value.text.parse::<f64>() {
            Ok(v) if v.is_finite() => Some(v),
            _ => {
                self.push(
                    Diagnostic::error(
                        "invalid_number",
                        n.span,
                        format!("`{}` is not a usable number", n.value.text),
                    )
                    .with_hint("write a number like `2.5`"),
                );
                None
            }
        }
    }

    pub(crate) fn money(&mut self, n: &Spanned<NumberLit>) -> Option<i64> {
        match money_cents(&n.value.text) {
            Ok(v) => Some(v),
            Err(msg) => {
                self.push(Diagnostic::error("invalid_money", n.span, format!("`{}` {msg}", n.value.text)).with_hint("write an amount in major units with at most two decimals, for example `9.99`"));
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_converted_to_cents() {
        let cases = [
            ("9.99", Ok(999)),
            ("10", Ok(1000)),
            ("0.5", Ok(50)),
            ("-5", Ok(-500)),
            ("1.234", Err("has more than two decimals")),
        ];
        for (text, want) in cases {
            assert_eq!(money_cents(text), want, "{text}");
        }
    }
}
