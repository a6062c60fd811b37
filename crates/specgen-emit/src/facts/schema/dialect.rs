//! The two databases a generated app runs on, and how each spells a column type, a
//! literal and a column default.

use specgen_ir::{FieldType, Value};

use crate::names::{sql_f64, sql_str};

/// The two databases a generated app runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// The SQL type of a field's column.
pub fn column_type(ty: &FieldType, dialect: Dialect) -> &'static str {
    use Dialect::{Postgres, Sqlite};
    match (ty, dialect) {
        (
            FieldType::Text { .. } | FieldType::Email | FieldType::Url | FieldType::Enum { .. },
            _,
        ) => "TEXT",
        (FieldType::Integer { .. } | FieldType::Money { .. }, Sqlite) => "INTEGER",
        (FieldType::Integer { .. } | FieldType::Money { .. }, Postgres) => "BIGINT",
        (FieldType::Decimal { .. }, Sqlite) => "REAL",
        (FieldType::Decimal { .. }, Postgres) => "DOUBLE PRECISION",
        (FieldType::Boolean, Sqlite) => "INTEGER",
        (FieldType::Boolean, Postgres) => "BOOLEAN",
        (FieldType::Date, Sqlite) => "TEXT",
        (FieldType::Date, Postgres) => "DATE",
        (FieldType::DateTime, Sqlite) => "TEXT",
        (FieldType::DateTime, Postgres) => "TIMESTAMPTZ",
        (FieldType::Uuid | FieldType::Reference { .. }, Sqlite) => "TEXT",
        (FieldType::Uuid | FieldType::Reference { .. }, Postgres) => "UUID",
        (FieldType::Json, Sqlite) => "TEXT",
        (FieldType::Json, Postgres) => "JSONB",
    }
}

/// A value as an SQL literal both databases read the same way (booleans as `TRUE`/`FALSE`).
pub fn literal(ty: &FieldType, value: &Value) -> Option<String> {
    default_sql(ty, value, Dialect::Postgres)
}

/// A column default for literal defaults (`now` defaults are set by the app).
pub(super) fn default_sql(ty: &FieldType, value: &Value, dialect: Dialect) -> Option<String> {
    match value {
        Value::Text(text) | Value::Enum(text) => Some(sql_str(text)),
        Value::Integer(n) | Value::Money(n) => Some(match ty {
            FieldType::Decimal { .. } => sql_f64(*n as f64),
            _ => n.to_string(),
        }),
        Value::Decimal(n) => Some(sql_f64(*n)),
        Value::Bool(b) => Some(match dialect {
            Dialect::Sqlite => u8::from(*b).to_string(),
            Dialect::Postgres => b.to_string().to_uppercase(),
        }),
        Value::Now => None,
        // Only conditions hold it, and they write `IS NULL`.
        Value::Empty => Some("NULL".to_owned()),
    }
}
