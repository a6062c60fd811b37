// {{ header }}
//! Lists: `?limit=` (default 20, at most 100), an opaque `?cursor=`, equality filters
//! `?<field>=<value>` and `?sort=<field>,-<field>`, answered with
//! `{"items": [...], "next_cursor": "..." | null}`.
//!
//! Pages use keyset pagination: a cursor holds the sort key of the last row sent, and the
//! next page starts strictly after it, so pages neither skip nor repeat rows while others
//! are added. Rows are ordered by the requested sort, then by `id`; without `?sort=` by
//! `created_at`. NULLs sort as the largest value (last ascending, first descending) on
//! both databases.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::AssertSqlSafe;
use uuid::Uuid;

use crate::access::Scope;
use crate::db::{self, Db, DbPool, DbRow, SqlValue};
use crate::error::{ApiError, FieldError};

pub const DEFAULT_LIMIT: usize = 20;
pub const MAX_LIMIT: usize = 100;

/// The type of a column clients may filter or sort on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    /// Compared lowercased, as emails are stored.
    Email,
    Integer,
    Decimal,
    Boolean,
    Date,
    DateTime,
    Uuid,
    /// One of these values.
    Enum(&'static [&'static str]),
}

/// A column clients may filter or sort a list on.
#[derive(Debug)]
pub struct ListColumn {
    /// The query parameter, as in JSON (`starts_at`).
    pub name: &'static str,
    /// The SQL column.
    pub column: &'static str,
    pub kind: Kind,
    pub nullable: bool,
    /// Accepted as `?name=value`.
    pub filter: bool,
    /// Accepted in `?sort=`.
    pub sort: bool,
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `?cursor=` (with the same filters and sort) for the next page; null on the last.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// The same page with every item passed through `f`.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Ascending,
    Descending,
}

/// The tiebreaker that makes every order total.
const ID: ListColumn = ListColumn {
    name: "id",
    column: "id",
    kind: Kind::Uuid,
    nullable: false,
    filter: false,
    sort: false,
};

/// A checked list request.
#[derive(Debug)]
pub struct ListRequest {
    limit: usize,
    filters: Vec<(&'static ListColumn, SqlValue)>,
    order: Vec<(&'static ListColumn, Direction)>,
    /// The sort as normalized text; a cursor is only valid for the sort it came from.
    sort: String,
    /// The sort key of the last row of the previous page (the order's columns, then `id`).
    after: Option<Vec<Option<SqlValue>>>,
    /// For a caller allowed only the rows that name them: the ways rows may name them and
    /// the caller's id.
    /// The records the caller may list: the condition is part of the query.
    scope: Scope,
}

impl ListRequest {
    /// Checks the query parameters against the resource's list columns; every problem is
    /// reported at once (400).
    pub fn parse(
        query: &[(String, String)],
        columns: &'static [ListColumn],
    ) -> Result<ListRequest, ApiError> {
        let mut errors = Vec::new();
        let mut seen: Vec<&str> = Vec::new();
        let mut limit = DEFAULT_LIMIT;
        let mut sort = None;
        let mut cursor = None;
        let mut filters = Vec::new();
        for (name, value) in query {
            if seen.contains(&name.as_str()) {
                errors.push(FieldError::new(
                    name,
                    "duplicate",
                    "is given more than once",
                ));
                continue;
            }
            seen.push(name);
            match name.as_str() {
                "limit" => match value.parse::<usize>() {
                    Ok(n) if (1..=MAX_LIMIT).contains(&n) => limit = n,
                    _ => errors.push(FieldError::new(
                        name,
                        "out_of_range",
                        format!("must be a whole number from 1 to {MAX_LIMIT}"),
                    )),
                },
                "sort" => sort = Some(value.as_str()),
                "cursor" => cursor = Some(value.as_str()),
                _ => match columns.iter().find(|c| c.filter && c.name == name) {
                    Some(column) => match column.kind.parse(value) {
                        Some(value) => filters.push((column, value)),
                        None => errors.push(FieldError::new(
                            name,
                            "invalid_format",
                            column.kind.expected(),
                        )),
                    },
                    None => errors.push(FieldError::new(
                        name,
                        "unknown_parameter",
                        "is not a parameter of this list",
                    )),
                },
            }
        }

        let order = parse_sort(sort.unwrap_or("created_at"), columns, &mut errors);
        let sort = order
            .iter()
            .map(|(column, direction)| match direction {
                Direction::Ascending => column.name.to_owned(),
                Direction::Descending => format!("-{}", column.name),
            })
            .collect::<Vec<_>>()
            .join(",");
        let after = cursor.and_then(|cursor| match decode_cursor(cursor, &sort, &order) {
            Ok(after) => Some(after),
            Err(message) => {
                errors.push(FieldError::new("cursor", "invalid", message));
                None
            }
        });

        if !errors.is_empty() {
            return Err(ApiError::BadRequest {
                message: "invalid list parameters".to_owned(),
                fields: errors,
            });
        }
        Ok(ListRequest {
            limit,
            filters,
            order,
            sort,
            after,
            scope: Scope::All,
        })
    }

    /// Keeps only the rows in the caller's `scope`: those that name them, those that meet a
    /// condition they are granted. The condition is part of the query, so filters, sorting,
    /// cursors and the page size only ever see those rows.
    pub fn only(&mut self, scope: Scope) {
        self.scope = scope;
    }

    /// Refuses (400, code `forbidden`) filtering or sorting by `names`: fields the caller may
    /// not see, which a search could otherwise reveal.
    pub fn refuse_columns(&self, names: &[&str]) -> Result<(), ApiError> {
        let mut errors = Vec::new();
        for (column, _) in &self.filters {
            if names.contains(&column.name) {
                errors.push(FieldError::new(
                    column.name,
                    "forbidden",
                    "you may not filter by a field you cannot see",
                ));
            }
        }
        for (column, _) in &self.order {
            if names.contains(&column.name) {
                errors.push(FieldError::new(
                    "sort",
                    "forbidden",
                    format!(
                        "you may not sort by `{}`, a field you cannot see",
                        column.name
                    ),
                ));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::BadRequest {
                message: "invalid list parameters".to_owned(),
                fields: errors,
            })
        }
    }

    /// Runs the query for one page: `select` is `SELECT <columns> FROM <table>`.
    pub async fn fetch<T>(&self, pool: &DbPool, select: &str) -> Result<Vec<T>, ApiError>
    where
        T: for<'r> sqlx::FromRow<'r, DbRow> + Send + Unpin,
    {
        let (sql, values) = self.sql(select);
        let query = sqlx::query_as::<Db, T>(AssertSqlSafe(sql));
        Ok(db::bind_all(query, &values).fetch_all(pool).await?)
    }

    /// The page for `rows` as fetched (one more than the limit when another page follows).
    pub fn page<T: Serialize>(&self, mut rows: Vec<T>) -> Result<Page<T>, ApiError> {
        let mut next_cursor = None;
        if rows.len() > self.limit {
            rows.truncate(self.limit);
            if let Some(last) = rows.last() {
                let last = serde_json::to_value(last).map_err(ApiError::internal)?;
                let after: Vec<Value> = self
                    .order
                    .iter()
                    .map(|(column, _)| column.name)
                    .chain([ID.name])
                    .map(|name| last.get(name).cloned().unwrap_or(Value::Null))
                    .collect();
                let cursor = serde_json::json!({ "sort": self.sort, "after": after });
                next_cursor = Some(URL_SAFE_NO_PAD.encode(cursor.to_string()));
            }
        }
        Ok(Page {
            items: rows,
            next_cursor,
        })
    }

    /// The SQL (after `select`) and the values to bind, in placeholder order.
    fn sql(&self, select: &str) -> (String, Vec<SqlValue>) {
        let mut values = Vec::new();
        let mut conditions: Vec<String> = Vec::new();
        if let Some(scope) = self
            .scope
            .condition(&mut |id| bind(&mut values, &SqlValue::Uuid(id)))
        {
            conditions.push(scope);
        }
        for (column, value) in &self.filters {
            conditions.push(format!("{} = {}", column.column, bind(&mut values, value)));
        }
        if let Some(after) = &self.after {
            conditions.push(self.keyset(after, &mut values));
        }
        let mut sql = select.to_owned();
        if !conditions.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&conditions.join(" AND "));
        }
        let order: Vec<String> = self
            .keys()
            .map(|(column, direction)| match (direction, column.nullable) {
                (Direction::Ascending, false) => format!("{} ASC", column.column),
                (Direction::Ascending, true) => format!("{} ASC NULLS LAST", column.column),
                (Direction::Descending, false) => format!("{} DESC", column.column),
                (Direction::Descending, true) => format!("{} DESC NULLS FIRST", column.column),
            })
            .collect();
        sql.push_str(" ORDER BY ");
        sql.push_str(&order.join(", "));
        sql.push_str(&format!(" LIMIT {}", self.limit + 1));
        (sql, values)
    }

    /// The order's columns, then `id`.
    fn keys(&self) -> impl Iterator<Item = (&ListColumn, Direction)> {
        self.order
            .iter()
            .map(|&(column, direction)| (column, direction))
            .chain([(&ID, Direction::Ascending)])
    }

    /// Rows strictly after the cursor: beyond it in the first key, or equal in the first
    /// and beyond in the second, and so on.
    fn keyset(&self, after: &[Option<SqlValue>], values: &mut Vec<SqlValue>) -> String {
        let keys: Vec<_> = self.keys().collect();
        let mut alternatives = Vec::new();
        for (i, ((column, direction), value)) in keys.iter().zip(after).enumerate() {
            let Some(beyond) = beyond(column, *direction, value.as_ref(), values) else {
                continue;
            };
            let mut terms: Vec<String> = keys[..i]
                .iter()
                .zip(after)
                .map(|((column, _), value)| equal(column, value.as_ref(), values))
                .collect();
            terms.push(beyond);
            alternatives.push(format!("({})", terms.join(" AND ")));
        }
        if alternatives.is_empty() {
            "1 = 0".to_owned()
        } else {
            format!("({})", alternatives.join(" OR "))
        }
    }
}

impl Kind {
    /// Parses a query-string value.
    fn parse(self, text: &str) -> Option<SqlValue> {
        match self {
            Kind::Text => Some(SqlValue::Text(text.to_owned())),
            Kind::Email => Some(SqlValue::Text(text.to_lowercase())),
            Kind::Integer => text.parse().ok().map(SqlValue::Integer),
            Kind::Decimal => text
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite())
                .map(SqlValue::Decimal),
            Kind::Boolean => match text {
                "true" => Some(SqlValue::Boolean(true)),
                "false" => Some(SqlValue::Boolean(false)),
                _ => None,
            },
            Kind::Date => NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                .map(SqlValue::Date),
            Kind::DateTime => DateTime::parse_from_rfc3339(text)
                .ok()
                .map(|instant| SqlValue::DateTime(instant.with_timezone(&Utc).trunc_subsecs(6))),
            Kind::Uuid => Uuid::parse_str(text).ok().map(SqlValue::Uuid),
            Kind::Enum(values) => values
                .contains(&text)
                .then(|| SqlValue::Text(text.to_owned())),
        }
    }

    /// Reads a value back from a cursor (written from a row as JSON).
    fn read_json(self, value: &Value) -> Option<SqlValue> {
        match (self, value) {
            (Kind::Integer, Value::Number(n)) => n.as_i64().map(SqlValue::Integer),
            (Kind::Decimal, Value::Number(n)) => n.as_f64().map(SqlValue::Decimal),
            (Kind::Boolean, Value::Bool(b)) => Some(SqlValue::Boolean(*b)),
            (Kind::Integer | Kind::Decimal | Kind::Boolean, _) => None,
            (_, Value::String(text)) => self.parse(text),
            _ => None,
        }
    }

    /// What a filter value must look like.
    fn expected(self) -> String {
        match self {
            Kind::Text | Kind::Email => "must be text".to_owned(),
            Kind::Integer => "must be a whole number".to_owned(),
            Kind::Decimal => "must be a number".to_owned(),
            Kind::Boolean => "must be true or false".to_owned(),
            Kind::Date => "must be a date like 2030-01-31".to_owned(),
            Kind::DateTime => "must be an RFC 3339 date-time like 2030-01-31T18:00:00Z".to_owned(),
            Kind::Uuid => "must be a UUID".to_owned(),
            Kind::Enum(values) => format!("must be one of: {}", values.join(", ")),
        }
    }
}

/// Parses `?sort=a,-b` against the sortable columns.
fn parse_sort(
    sort: &str,
    columns: &'static [ListColumn],
    errors: &mut Vec<FieldError>,
) -> Vec<(&'static ListColumn, Direction)> {
    let mut order: Vec<(&'static ListColumn, Direction)> = Vec::new();
    for part in sort.split(',') {
        let (name, direction) = match part.strip_prefix('-') {
            Some(name) => (name, Direction::Descending),
            None => (part, Direction::Ascending),
        };
        match columns.iter().find(|c| c.sort && c.name == name) {
            Some(column) if order.iter().any(|(seen, _)| seen.name == name) => {
                errors.push(FieldError::new(
                    "sort",
                    "duplicate",
                    format!("sorts by `{}` twice", column.name),
                ));
            }
            Some(column) => order.push((column, direction)),
            None => {
                let sortable: Vec<&str> =
                    columns.iter().filter(|c| c.sort).map(|c| c.name).collect();
                errors.push(FieldError::new(
                    "sort",
                    "invalid_value",
                    format!("cannot sort by `{name}`; sortable: {}", sortable.join(", ")),
                ));
            }
        }
    }
    order
}

/// The sort key in a cursor, checked against the request's sort.
fn decode_cursor(
    cursor: &str,
    sort: &str,
    order: &[(&'static ListColumn, Direction)],
) -> Result<Vec<Option<SqlValue>>, &'static str> {
    let malformed = "is not a cursor from this list";
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| malformed)?;
    let cursor: Value = serde_json::from_slice(&bytes).map_err(|_| malformed)?;
    if cursor.get("sort").and_then(Value::as_str) != Some(sort) {
        return Err("belongs to a different sort");
    }
    let after = cursor
        .get("after")
        .and_then(Value::as_array)
        .ok_or(malformed)?;
    let keys: Vec<&ListColumn> = order
        .iter()
        .map(|(column, _)| *column)
        .chain([&ID])
        .collect();
    if after.len() != keys.len() {
        return Err(malformed);
    }
    keys.iter()
        .zip(after)
        .map(|(column, value)| match value {
            Value::Null if column.nullable => Ok(None),
            value => column.kind.read_json(value).map(Some).ok_or(malformed),
        })
        .collect()
}

/// Adds `value` to the values to bind and returns its placeholder.
fn bind(values: &mut Vec<SqlValue>, value: &SqlValue) -> String {
    values.push(value.clone());
    format!("${}", values.len())
}

fn equal(column: &ListColumn, value: Option<&SqlValue>, values: &mut Vec<SqlValue>) -> String {
    match value {
        None => format!("{} IS NULL", column.column),
        Some(value) => format!("{} = {}", column.column, bind(values, value)),
    }
}

/// Rows beyond `value` in this column's order; `None` when nothing can be (after a NULL,
/// the largest value, ascending).
fn beyond(
    column: &ListColumn,
    direction: Direction,
    value: Option<&SqlValue>,
    values: &mut Vec<SqlValue>,
) -> Option<String> {
    let name = column.column;
    match (direction, value) {
        (Direction::Ascending, Some(value)) if column.nullable => Some(format!(
            "({name} > {} OR {name} IS NULL)",
            bind(values, value)
        )),
        (Direction::Ascending, Some(value)) => Some(format!("{name} > {}", bind(values, value))),
        (Direction::Ascending, None) => None,
        (Direction::Descending, Some(value)) => Some(format!("{name} < {}", bind(values, value))),
        (Direction::Descending, None) => Some(format!("{name} IS NOT NULL")),
    }
}
