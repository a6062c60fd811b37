// {{ header }}
//! Write transactions, and the spec's rules: those that depend on other rows (limits, no
//! overlap) and those on how one record may change (immutability, status transitions, time
//! windows).
//!
//! Every insert and update runs in a transaction from [`begin_write`]. A rule that counts or
//! compares other rows is checked inside it, after the row is written and before the commit,
//! so two requests can never both pass a check that only one of them may pass:
//!
//! - SQLite: the transaction starts with `BEGIN IMMEDIATE`, which takes the database's write
//!   lock first; writers run one after another, in one process or several.
//! - PostgreSQL: a limit first locks the row it counts per (`SELECT ... FOR NO KEY UPDATE`),
//!   so the checks of one parent run one after another on every replica; no overlap is kept
//!   by an exclusion constraint (`btree_gist`), which the check only answers first.
//!
//! A violation answers `rule_violated` (409) with the rule's sentence as the message and its
//! code in `fields[].code`; the transaction is rolled back.
//!
//! A [`ChangeRule`] compares a record as stored with the record as it would be written, in
//! the service, before the write. Requests cannot race past it: an update only writes when
//! the record is unchanged since it was read (its `updated_at`), and a delete under a time
//! window likewise, so a check always judges the record the write replaces. Immutability
//! answers 422, transitions and time windows 409, all `rule_violated`.

use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::access::{AuthUser, Grant, People};
use crate::db::{self, Db, DbPool, Stored};
use crate::error::{ApiError, FieldError};

/// A transaction that may write.
pub type WriteTx = sqlx::Transaction<'static, Db>;

/// Begins a write transaction that holds SQLite's write lock from its first statement.
#[cfg(feature = "sqlite")]
pub async fn begin_write(pool: &DbPool) -> Result<WriteTx, sqlx::Error> {
    pool.begin_with("BEGIN IMMEDIATE").await
}

/// Begins a write transaction (READ COMMITTED; rules lock what they count).
#[cfg(all(feature = "postgres", not(feature = "sqlite")))]
pub async fn begin_write(pool: &DbPool) -> Result<WriteTx, sqlx::Error> {
    pool.begin().await
}

/// A value a field copies from the record a reference names (`copied from product.price`).
#[derive(Debug)]
pub struct CopyFrom {
    /// The table and column the value is read from.
    pub table: &'static str,
    pub column: &'static str,
    /// The reference (its JSON name), for the answer when its record is gone.
    pub reference: &'static str,
    /// That answer's message (`no product has this id`).
    pub missing: &'static str,
}

/// Reads `copy`'s value from the record `id`, inside the write transaction, so the copy is
/// the value of the moment the record is written. A record deleted since the request's
/// references were checked is answered as missing (422 `not_found`).
pub async fn copied<T: Stored>(
    transaction: &mut WriteTx,
    copy: &CopyFrom,
    id: Uuid,
) -> Result<T, ApiError> {
    let sql = format!("SELECT {} FROM {} WHERE id = $1", copy.column, copy.table);
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id.to_repr())
        .fetch_optional(&mut **transaction)
        .await?;
    match row {
        Some(row) => Ok(db::get(&row, copy.column)?),
        None => Err(ApiError::Validation(vec![FieldError::new(
            copy.reference,
            "not_found",
            copy.missing,
        )])),
    }
}

/// A rule that depends on other rows, checked after the row is written.
#[derive(Debug)]
pub struct RowRule {
    /// The rule's stable code: `fields[].code` of the error.
    pub code: &'static str,
    /// The founder's sentence: the error's message.
    pub message: &'static str,
    /// The request fields involved.
    pub fields: &'static [&'static str],
    /// PostgreSQL only: locks the row the rule counts per (`$1`: the written row's id).
    pub lock: Option<&'static str>,
    /// Answers a row when the written row (`$1`) breaks the rule.
    pub violated: &'static str,
}

/// Checks `rules` for the row `id` written in `transaction` (409 `rule_violated`).
pub async fn check(transaction: &mut WriteTx, id: Uuid, rules: &[RowRule]) -> Result<(), ApiError> {
    for rule in rules {
        if let Some(lock) = rule.lock
            && cfg!(feature = "postgres")
        {
            sqlx::query(lock)
                .bind(id.to_repr())
                .execute(&mut **transaction)
                .await?;
        }
        let broken = sqlx::query(rule.violated)
            .bind(id.to_repr())
            .fetch_optional(&mut **transaction)
            .await?;
        if broken.is_some() {
            return Err(ApiError::RuleViolated {
                status: StatusCode::CONFLICT,
                message: rule.message.to_owned(),
                fields: rule
                    .fields
                    .iter()
                    .map(|field| FieldError::new(field, rule.code, rule.message))
                    .collect(),
            });
        }
    }
    Ok(())
}

/// A rule on how one record may change, checked before the write.
#[derive(Debug)]
pub struct ChangeRule {
    /// The rule's stable code: `fields[].code` of the error.
    pub code: &'static str,
    /// The founder's sentence: the error's message.
    pub message: &'static str,
    pub check: Check,
}

/// What a [`ChangeRule`] checks. Field names are the record's JSON names.
#[derive(Debug)]
pub enum Check {
    /// `fields` keep the value they were created with; with `once`, from the moment the
    /// stored record meets the condition.
    Immutable {
        fields: &'static [&'static str],
        once: Option<Condition>,
    },
    /// `field` changes only along `allowed`; a new record starts as `initial`.
    Transitions {
        field: &'static str,
        initial: Option<&'static str>,
        allowed: &'static [Transition],
    },
    /// Creates (`create`: measured on the new record), updates (`update`) and deletes
    /// (`delete`: both measured on the stored record) only inside `window`.
    Window {
        create: bool,
        update: bool,
        delete: bool,
        window: Window,
    },
}

/// One allowed change of a status field.
#[derive(Debug)]
pub struct Transition {
    pub from: &'static str,
    pub to: &'static str,
    /// Who may make it; `None`: whoever may update the record.
    pub by: Option<Grant>,
}

/// When a time window closes, measured from a date or datetime field of the record.
/// A record whose field is empty has no window to close.
#[derive(Debug)]
pub enum Window {
    /// `seconds` after the time in `field`.
    Within { seconds: i64, field: &'static str },
    /// `seconds` before the time in `field` (a date: its start, UTC). With `parent`, the
    /// time is the referenced record's, put under `field` by [`with_parent_times`].
    Before {
        seconds: i64,
        field: &'static str,
        parent: Option<ParentTime>,
    },
}

/// A window's time read from the record a reference points at (`only before
/// order.placed at`).
#[derive(Debug)]
pub struct ParentTime {
    /// The reference (its JSON name): where the answer points when the window has closed.
    pub reference: &'static str,
    /// The table and column the time is read from.
    pub table: &'static str,
    pub column: &'static str,
    /// Whether the column holds a date (else a datetime).
    pub date: bool,
}

/// `record` as JSON, with the time of each window measured on a referenced record put under
/// the window's field, ready for [`check_new`], [`check_update`] and [`check_delete`]. The
/// time is read as committed when the request arrives, outside the write transaction: a
/// parent's time changed at that very moment may not be seen by a write racing it.
pub async fn with_parent_times(
    pool: &DbPool,
    record: &impl Serialize,
    rules: &[ChangeRule],
) -> Result<Value, ApiError> {
    let mut record = json(record);
    for rule in rules {
        let Check::Window {
            window:
                Window::Before {
                    field,
                    parent: Some(parent),
                    ..
                },
            ..
        } = &rule.check
        else {
            continue;
        };
        let Some(id) = record[parent.reference]
            .as_str()
            .and_then(|id| id.parse::<Uuid>().ok())
        else {
            continue;
        };
        // `table` and `column` are the generated schema's names, never input.
        let (column, table) = (parent.column, parent.table);
        let sql = format!("SELECT {column} FROM {table} WHERE id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id.to_repr())
            .fetch_optional(pool)
            .await?;
        // A missing parent has no window: the reference check answers for it.
        let time = match row {
            Some(row) if parent.date => {
                db::get::<Option<NaiveDate>>(&row, parent.column)?.map(|d| d.to_string())
            }
            Some(row) => db::get::<Option<DateTime<Utc>>>(&row, parent.column)?
                .map(|at| at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)),
            None => None,
        };
        record[*field] = time.map_or(Value::Null, Value::String);
    }
    Ok(record)
}

/// `field op value` on one record; an empty field meets no condition (as in SQL).
#[derive(Debug)]
pub struct Condition {
    pub field: &'static str,
    pub op: Op,
    pub value: Literal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// A value as the record's JSON carries it (money in cents).
#[derive(Debug)]
pub enum Literal {
    Text(&'static str),
    Integer(i64),
    Decimal(f64),
    Bool(bool),
    /// No value: `Eq` is `is empty`, `Ne` is `is set`.
    Empty,
}

impl Condition {
    /// Whether `record` meets the condition.
    pub fn holds(&self, record: &Value) -> bool {
        use std::cmp::Ordering;

        let value = &record[self.field];
        let ordering = match self.value {
            Literal::Text(text) => value.as_str().map(|v| v.cmp(text)),
            Literal::Integer(n) => value.as_i64().map(|v| v.cmp(&n)),
            Literal::Decimal(x) => value.as_f64().and_then(|v| v.partial_cmp(&x)),
            Literal::Bool(b) => value.as_bool().map(|v| v.cmp(&b)),
            Literal::Empty => return (self.op == Op::Eq) == value.is_null(),
        };
        let Some(ordering) = ordering else {
            return false;
        };
        match self.op {
            Op::Eq => ordering == Ordering::Equal,
            Op::Ne => ordering != Ordering::Equal,
            Op::Lt => ordering == Ordering::Less,
            Op::Le => ordering != Ordering::Greater,
            Op::Gt => ordering == Ordering::Greater,
            Op::Ge => ordering != Ordering::Less,
        }
    }
}

impl Window {
    /// When the window of `record` closes, if it has one.
    fn closes(&self, record: &Value) -> Option<DateTime<Utc>> {
        let (field, after) = match *self {
            Window::Within { seconds, field } => (field, TimeDelta::seconds(seconds)),
            Window::Before { seconds, field, .. } => (field, -TimeDelta::seconds(seconds)),
        };
        Some(instant(record[field].as_str()?)? + after)
    }
}

/// A datetime (RFC 3339) or the start of a date (UTC), as the record's JSON carries them.
fn instant(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    Some(date.and_hms_opt(0, 0, 0)?.and_utc())
}

/// Checks a new record against `rules`: a status field must start as its initial value,
/// and a window on create must still be open for the time the record names.
pub fn check_new(record: &impl Serialize, rules: &[ChangeRule]) -> Result<(), ApiError> {
    let record = json(record);
    for rule in rules {
        match &rule.check {
            Check::Transitions {
                field,
                initial: Some(initial),
                ..
            } if record[*field]
                .as_str()
                .is_some_and(|value| value != *initial) =>
            {
                let detail = format!("a new record starts as `{initial}`");
                return Err(violation(rule, StatusCode::CONFLICT, field, detail));
            }
            Check::Window {
                create: true,
                window,
                ..
            } => check_window(rule, window, &record, "created")?,
            _ => {}
        }
    }
    Ok(())
}

/// Checks the change of `before` (as stored, naming `people`) into `after` by `caller`.
pub fn check_update(
    before: &impl Serialize,
    after: &impl Serialize,
    caller: Option<&AuthUser>,
    people: People<'_>,
    rules: &[ChangeRule],
) -> Result<(), ApiError> {
    let (before, after) = (json(before), json(after));
    let mut immutable = Vec::new();
    for rule in rules {
        match &rule.check {
            Check::Immutable { fields, once } => {
                if once.as_ref().is_some_and(|once| !once.holds(&before)) {
                    continue;
                }
                for field in fields.iter().filter(|f| before[**f] != after[**f]) {
                    let detail = match once {
                        Some(_) => "cannot change any more",
                        None => "cannot change after creation",
                    };
                    immutable.push((rule, *field, detail));
                }
            }
            Check::Transitions { field, allowed, .. } => {
                let (from, to) = (&before[*field], &after[*field]);
                let (Some(from), Some(to)) = (from.as_str(), to.as_str()) else {
                    continue;
                };
                if from == to {
                    continue;
                }
                match allowed.iter().find(|t| t.from == from && t.to == to) {
                    None => {
                        let detail = format!("`{from}` cannot change to `{to}`");
                        return Err(violation(rule, StatusCode::CONFLICT, field, detail));
                    }
                    Some(Transition { by: Some(by), .. }) if !by.allows(caller, people) => {
                        let detail = format!("your role may not change `{from}` to `{to}`");
                        return Err(violation(rule, StatusCode::CONFLICT, field, detail));
                    }
                    Some(_) => {}
                }
            }
            Check::Window { update, window, .. } => {
                if *update {
                    check_window(rule, window, &before, "changed")?;
                }
            }
        }
    }
    match immutable.first() {
        None => Ok(()),
        Some((first, _, _)) => Err(ApiError::RuleViolated {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            message: first.message.to_owned(),
            fields: immutable
                .iter()
                .map(|(rule, field, detail)| FieldError::new(field, rule.code, *detail))
                .collect(),
        }),
    }
}

/// Checks the delete of `record` (as stored) against the time windows of `rules`.
pub fn check_delete(record: &impl Serialize, rules: &[ChangeRule]) -> Result<(), ApiError> {
    let record = json(record);
    for rule in rules {
        if let Check::Window {
            delete: true,
            window,
            ..
        } = &rule.check
        {
            check_window(rule, window, &record, "deleted")?;
        }
    }
    Ok(())
}

/// 409 when the window of `record` has closed.
fn check_window(
    rule: &ChangeRule,
    window: &Window,
    record: &Value,
    done: &str,
) -> Result<(), ApiError> {
    let Some(closes) = window.closes(record) else {
        return Ok(());
    };
    if Utc::now() < closes {
        return Ok(());
    }
    let field = match window {
        Window::Before {
            parent: Some(parent),
            ..
        } => parent.reference,
        Window::Within { field, .. } | Window::Before { field, .. } => *field,
    };
    let closed = closes.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let detail = format!("this could be {done} until {closed}");
    Err(violation(rule, StatusCode::CONFLICT, field, detail))
}

fn violation(rule: &ChangeRule, status: StatusCode, field: &str, detail: String) -> ApiError {
    ApiError::RuleViolated {
        status,
        message: rule.message.to_owned(),
        fields: vec![FieldError::new(field, rule.code, detail)],
    }
}

fn json(record: &impl Serialize) -> Value {
    serde_json::to_value(record).expect("a record serializes to a JSON object")
}
