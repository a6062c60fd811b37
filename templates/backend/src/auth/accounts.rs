// {{ header }}
//! The sign-in columns of `{{ a.table }}`: password hash, role and when the email address was
//! verified. The entity's own fields are read and written by `http::{{ a.module }}`; this module
//! writes only what the generated entity API never touches.
//!
//! Changing these columns leaves `updated_at` alone: it tracks the record as clients see it,
//! and bumping it would make their concurrent updates fail for no visible reason.

use chrono::{DateTime, Utc};
use sqlx::Executor;
use uuid::Uuid;

use crate::auth::Role;
use crate::db::{self, Db, DbPool, DbRow, Stored};
use crate::error::ApiError;
use crate::http::{{ a.module }}::{self, {{ a.entity }}};

/// What signing in needs to know about an account.
#[derive(Debug, Clone)]
pub struct Account {
    pub id: Uuid,
    pub role: Role,
    /// An argon2id PHC string; `None` for accounts created without a password (by an admin
    /// through `POST {{ a.route }}`), which sign in after a password reset.
    pub password_hash: Option<String>,
    pub email_verified_at: Option<DateTime<Utc>>,
}

impl sqlx::FromRow<'_, DbRow> for Account {
    fn from_row(row: &DbRow) -> Result<Self, sqlx::Error> {
        Ok(Account {
            id: db::get(row, "id")?,
            role: db::get(row, "role")?,
            password_hash: db::get(row, "password_hash")?,
            email_verified_at: db::get(row, "email_verified_at")?,
        })
    }
}

const BY_EMAIL: &str = "SELECT id, role, password_hash, email_verified_at FROM {{ a.table }} \
                        WHERE {{ a.email_column }} = $1";

const BY_ID: &str = "SELECT id, role, password_hash, email_verified_at FROM {{ a.table }} \
                     WHERE id = $1";

const INSERT: &str = "\
{%- for line in v.insert_lines %}
    {{ line }}
{%- endfor %}";

/// The account with this email address (compared lowercased, as stored).
pub async fn find_by_email(pool: &DbPool, email: &str) -> Result<Option<Account>, sqlx::Error> {
    sqlx::query_as(BY_EMAIL)
        .bind(email.to_lowercase())
        .fetch_optional(pool)
        .await
}

/// The account `id`.
pub async fn find(pool: &DbPool, id: Uuid) -> Result<Option<Account>, sqlx::Error> {
    sqlx::query_as(BY_ID)
        .bind(id.to_repr())
        .fetch_optional(pool)
        .await
}

/// Inserts a new account: the {{ a.words }}'s fields, and its password hash, role and
/// verification time.
{{ v.sig_insert }}
    sqlx::query(INSERT)
{%- for bind in v.insert_binds %}
        .bind({{ bind }})
{%- endfor %}
        .execute(pool)
        .await
        .map_err(|error| ApiError::from_db(error, {{ a.module }}::CONSTRAINTS))?;
    Ok(())
}

/// Stores a new password hash.
pub async fn set_password<'e>(
    executor: impl Executor<'e, Database = Db>,
    id: Uuid,
    password_hash: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE {{ a.table }} SET password_hash = $2 WHERE id = $1")
        .bind(id.to_repr())
        .bind(password_hash.to_owned())
        .execute(executor)
        .await?;
    Ok(())
}

/// Records that the account's email address is verified (once: the first time stays).
pub async fn mark_verified<'e>(
    executor: impl Executor<'e, Database = Db>,
    id: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE {{ a.table }} SET email_verified_at = $2 WHERE id = $1 AND email_verified_at IS NULL",
    )
    .bind(id.to_repr())
    .bind(db::now().to_repr())
    .execute(executor)
    .await?;
    Ok(())
}

/// Gives the account `id` the role `role`. Refuses (`Ok(false)`) to take the admin role from
/// the last admin, so the app always keeps one; `Err(NotFound)` when there is no such account.
pub async fn set_role(pool: &DbPool, id: Uuid, role: Role) -> Result<bool, ApiError> {
    let result = sqlx::query(
        "UPDATE {{ a.table }} SET role = $2 WHERE id = $1 AND ($2 = {{ v.admin_role_sql }} \
         OR role <> {{ v.admin_role_sql }} \
         OR (SELECT COUNT(*) FROM {{ a.table }} WHERE role = {{ v.admin_role_sql }}) > 1)",
    )
    .bind(id.to_repr())
    .bind(role.to_repr())
    .execute(pool)
    .await?;
    if result.rows_affected() == 1 {
        return Ok(true);
    }
    match find(pool, id).await? {
        Some(_) => Ok(false),
        None => Err(ApiError::NotFound),
    }
}
