// {{ header }}
//! Write transactions and the spec's rules that depend on other rows (limits, no overlap).
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

use axum::http::StatusCode;
use uuid::Uuid;

use crate::db::{Db, DbPool, Stored};
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
