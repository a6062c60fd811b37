// {{ header }}
//! Server-side checks of request bodies. A body is read field by field with [`Fields`],
//! which collects every problem, so one 422 answer lists all failing fields; [`check`] holds
//! the checks of single values.

use serde_json::Value;

use crate::error::{ApiError, FieldError};

/// A request body: a JSON object.
pub type JsonObject = serde_json::Map<String, Value>;

/// What is wrong with one value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub code: &'static str,
    pub message: String,
}

impl Problem {
    pub fn new(code: &'static str, message: impl Into<String>) -> Problem {
        Problem {
            code,
            message: message.into(),
        }
    }
}

/// Reads the fields of one request body, recording every problem. Each field read is
/// removed from the body; whatever is left at the end is an unknown field.
#[derive(Debug)]
pub struct Fields {
    body: JsonObject,
    errors: Vec<FieldError>,
}

impl Fields {
    pub fn new(body: JsonObject) -> Fields {
        Fields {
            body,
            errors: Vec::new(),
        }
    }

    /// A field that must be given and not null.
    pub fn required<T>(
        &mut self,
        name: &str,
        check: impl FnOnce(&Value) -> Result<T, Problem>,
    ) -> Option<T> {
        match self.body.remove(name) {
            None | Some(Value::Null) => {
                self.errors
                    .push(FieldError::new(name, "required", "is required"));
                None
            }
            Some(value) => self.checked(name, &value, check),
        }
    }

    /// A field that may be left out, then taking `default`; null is refused.
    pub fn required_or<T>(
        &mut self,
        name: &str,
        default: T,
        check: impl FnOnce(&Value) -> Result<T, Problem>,
    ) -> Option<T> {
        if self.body.contains_key(name) {
            self.required(name, check)
        } else {
            Some(default)
        }
    }

    /// An optional field: left out or null is `None`.
    pub fn optional<T>(
        &mut self,
        name: &str,
        check: impl FnOnce(&Value) -> Result<T, Problem>,
    ) -> Option<T> {
        match self.body.remove(name) {
            None | Some(Value::Null) => None,
            Some(value) => self.checked(name, &value, check),
        }
    }

    /// An optional field with a default: left out is `default`, null is `None`.
    pub fn optional_or<T>(
        &mut self,
        name: &str,
        default: T,
        check: impl FnOnce(&Value) -> Result<T, Problem>,
    ) -> Option<T> {
        if self.body.contains_key(name) {
            self.optional(name, check)
        } else {
            Some(default)
        }
    }

    /// In an update, a field that cannot be emptied: left out is `None` (unchanged), null
    /// is refused.
    pub fn change<T>(
        &mut self,
        name: &str,
        check: impl FnOnce(&Value) -> Result<T, Problem>,
    ) -> Option<T> {
        if self.body.contains_key(name) {
            self.required(name, check)
        } else {
            None
        }
    }

    /// In an update, an optional field: left out is `None` (unchanged), null is
    /// `Some(None)` (emptied).
    pub fn change_optional<T>(
        &mut self,
        name: &str,
        check: impl FnOnce(&Value) -> Result<T, Problem>,
    ) -> Option<Option<T>> {
        match self.body.remove(name) {
            None => None,
            Some(Value::Null) => Some(None),
            Some(value) => self.checked(name, &value, check).map(Some),
        }
    }

    /// A field clients may not send here: refused with `code` if present.
    pub fn refuse(&mut self, name: &str, code: &str, message: &str) {
        if self.body.remove(name).is_some() {
            self.errors.push(FieldError::new(name, code, message));
        }
    }

    /// `Ok` if every field read was valid and no unknown field was sent.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.errors.is_empty() && self.body.is_empty() {
            Ok(())
        } else {
            Err(self.into_error())
        }
    }

    /// The 422 answer listing every problem found, unknown fields last.
    pub fn into_error(mut self) -> ApiError {
        for name in self.body.keys() {
            self.errors.push(FieldError::new(
                name,
                "unknown_field",
                "is not a field of this resource",
            ));
        }
        ApiError::Validation(self.errors)
    }

    fn checked<T>(
        &mut self,
        name: &str,
        value: &Value,
        check: impl FnOnce(&Value) -> Result<T, Problem>,
    ) -> Option<T> {
        match check(value) {
            Ok(value) => Some(value),
            Err(problem) => {
                self.errors
                    .push(FieldError::new(name, problem.code, problem.message));
                None
            }
        }
    }
}

/// Checks of single JSON values, each returning the typed value or the problem.
pub mod check {
    use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
    use serde_json::Value;
    use uuid::Uuid;

    use super::Problem;

    /// Text of `min..=max` characters (not bytes).
    pub fn text(min: usize, max: usize) -> impl Fn(&Value) -> Result<String, Problem> {
        move |value| {
            let text = string(value)?;
            let length = text.chars().count();
            if length < min {
                let unit = if min == 1 { "character" } else { "characters" };
                return Err(Problem::new(
                    "too_short",
                    format!("must be at least {min} {unit} long"),
                ));
            }
            if length > max {
                return Err(Problem::new(
                    "too_long",
                    format!("must be at most {max} characters long"),
                ));
            }
            Ok(text.to_owned())
        }
    }

    /// An email address, returned lowercased.
    pub fn email(value: &Value) -> Result<String, Problem> {
        let text = string(value)?;
        let invalid = || Problem::new("invalid_format", "must be an email address");
        if text.chars().count() > 254 {
            return Err(Problem::new(
                "too_long",
                "must be at most 254 characters long",
            ));
        }
        let (local, domain) = text.rsplit_once('@').ok_or_else(invalid)?;
        let labels_ok = domain
            .split('.')
            .all(|label| !label.is_empty() && !label.starts_with('-') && !label.ends_with('-'));
        if local.is_empty()
            || local.len() > 64
            || !domain.contains('.')
            || !labels_ok
            || text.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(invalid());
        }
        Ok(text.to_lowercase())
    }

    /// An absolute `http` or `https` URL of at most 2048 characters.
    pub fn url(value: &Value) -> Result<String, Problem> {
        let text = string(value)?;
        if text.chars().count() > 2048 {
            return Err(Problem::new(
                "too_long",
                "must be at most 2048 characters long",
            ));
        }
        let lower = text.to_ascii_lowercase();
        let rest = lower
            .strip_prefix("https://")
            .or_else(|| lower.strip_prefix("http://"));
        let host = rest.map(|rest| rest.split(['/', '?', '#']).next().unwrap_or_default());
        let valid = host.is_some_and(|host| !host.is_empty())
            && !text.chars().any(|c| c.is_whitespace() || c.is_control());
        if !valid {
            return Err(Problem::new(
                "invalid_format",
                "must be an http:// or https:// URL",
            ));
        }
        Ok(text.to_owned())
    }

    /// A whole number within the optional bounds. As in JSON Schema, `12.0` is the whole
    /// number 12: clients that write every number as a float are not refused.
    pub fn integer(min: Option<i64>, max: Option<i64>) -> impl Fn(&Value) -> Result<i64, Problem> {
        move |value| {
            let number = whole(value)
                .ok_or_else(|| Problem::new("invalid_type", "must be a whole number"))?;
            in_range(number, min, max)
        }
    }

    /// `value` as an `i64` when it is a whole number in range, written with or without a
    /// fraction of zero.
    fn whole(value: &Value) -> Option<i64> {
        if let Some(number) = value.as_i64() {
            return Some(number);
        }
        // Past 2^53 a float is not the number the client wrote (-9223372036854775809 reads
        // as -2^63), so only smaller ones count.
        const EXACT: f64 = 9_007_199_254_740_992.0;
        let float = value.as_f64()?;
        (float.fract() == 0.0 && float.abs() <= EXACT).then_some(float as i64)
    }

    /// A finite number within the optional bounds.
    pub fn decimal(min: Option<f64>, max: Option<f64>) -> impl Fn(&Value) -> Result<f64, Problem> {
        move |value| {
            let number = value
                .as_f64()
                .ok_or_else(|| Problem::new("invalid_type", "must be a number"))?;
            in_range(number, min, max)
        }
    }

    pub fn boolean(value: &Value) -> Result<bool, Problem> {
        value
            .as_bool()
            .ok_or_else(|| Problem::new("invalid_type", "must be true or false"))
    }

    /// A calendar date, `YYYY-MM-DD`.
    pub fn date(value: &Value) -> Result<NaiveDate, Problem> {
        let text = string(value)?;
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .ok()
            .filter(|_| text.len() == 10)
            .ok_or_else(|| Problem::new("invalid_format", "must be a date like 2030-01-31"))
    }

    /// An instant in RFC 3339, kept in UTC to the microsecond.
    pub fn datetime(value: &Value) -> Result<DateTime<Utc>, Problem> {
        let text = string(value)?;
        DateTime::parse_from_rfc3339(text)
            .map(|instant| instant.with_timezone(&Utc).trunc_subsecs(6))
            .map_err(|_| {
                Problem::new(
                    "invalid_format",
                    "must be an RFC 3339 date-time like 2030-01-31T18:00:00Z",
                )
            })
    }

    pub fn uuid(value: &Value) -> Result<Uuid, Problem> {
        let text = string(value)?;
        Uuid::parse_str(text).map_err(|_| Problem::new("invalid_format", "must be a UUID"))
    }

    /// Any JSON value.
    pub fn json(value: &Value) -> Result<Value, Problem> {
        Ok(value.clone())
    }

    /// One of `allowed`, read with `parse`.
    pub fn one_of<T>(
        value: &Value,
        allowed: &[&str],
        parse: fn(&str) -> Option<T>,
    ) -> Result<T, Problem> {
        parse(string(value)?).ok_or_else(|| {
            Problem::new(
                "invalid_value",
                format!("must be one of: {}", allowed.join(", ")),
            )
        })
    }

    /// A list of at most `max` distinct ids (for many-to-many links).
    pub fn ids(max: usize) -> impl Fn(&Value) -> Result<Vec<Uuid>, Problem> {
        move |value| {
            let invalid = || Problem::new("invalid_type", "must be a list of UUIDs");
            let items = value.as_array().ok_or_else(invalid)?;
            if items.len() > max {
                return Err(Problem::new(
                    "too_long",
                    format!("must list at most {max} ids"),
                ));
            }
            let mut ids = Vec::with_capacity(items.len());
            for item in items {
                let id = item
                    .as_str()
                    .and_then(|text| Uuid::parse_str(text).ok())
                    .ok_or_else(invalid)?;
                if ids.contains(&id) {
                    return Err(Problem::new("duplicate", format!("lists {id} twice")));
                }
                ids.push(id);
            }
            Ok(ids)
        }
    }

    fn string(value: &Value) -> Result<&str, Problem> {
        value
            .as_str()
            .ok_or_else(|| Problem::new("invalid_type", "must be a string"))
    }

    fn in_range<T: PartialOrd + std::fmt::Display + Copy>(
        number: T,
        min: Option<T>,
        max: Option<T>,
    ) -> Result<T, Problem> {
        let message = match (min, max) {
            (Some(min), Some(max)) => format!("must be between {min} and {max}"),
            (Some(min), None) => format!("must be at least {min}"),
            (None, Some(max)) => format!("must be at most {max}"),
            (None, None) => String::new(),
        };
        let below = min.is_some_and(|min| number < min);
        let above = max.is_some_and(|max| number > max);
        if below || above {
            Err(Problem::new("out_of_range", message))
        } else {
            Ok(number)
        }
    }
}
