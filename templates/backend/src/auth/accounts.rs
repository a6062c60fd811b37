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
use crate::error::{ApiError, FieldError{% if !v.other_uniques.is_empty() %}, Violation{% endif %}};
use crate::http::{{ a.module }}::{self, {{ a.entity }}};
use crate::rules::{self, WriteTx};

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

{% if !v.other_uniques.is_empty() -%}
/// Refuses (409, field code `unique`, as the database would) a new account whose unique
/// fields other than the email address are taken. Sign-up asks before it looks the address
/// up, so this answer is the same whether or not the address has an account.
pub async fn refuse_taken_fields(pool: &DbPool, user: &{{ a.entity }}) -> Result<(), ApiError> {
{%- for u in v.other_uniques %}
{%- if u.required %}
    let taken = sqlx::query("SELECT 1 FROM {{ a.table }} WHERE {{ u.column }} = $1")
        .bind(user.{{ u.ident }}.to_repr())
        .fetch_optional(pool)
        .await?;
    if taken.is_some() {
        return Err(taken_field("{{ u.json }}"));
    }
{%- else %}
    if let Some(value) = &user.{{ u.ident }} {
        let taken = sqlx::query("SELECT 1 FROM {{ a.table }} WHERE {{ u.column }} = $1")
            .bind(value.to_repr())
            .fetch_optional(pool)
            .await?;
        if taken.is_some() {
            return Err(taken_field("{{ u.json }}"));
        }
    }
{%- endif %}
{%- endfor %}
    Ok(())
}

/// The refusal of the unique constraint on `field`: the answer a race past
/// [`refuse_taken_fields`] gets from the database too.
fn taken_field(field: &str) -> ApiError {
    let constraint = {{ a.module }}::CONSTRAINTS
        .iter()
        .find(|c| matches!(c.violation, Violation::Unique) && c.fields == [field]);
    match constraint {
        Some(constraint) => constraint.error(),
        None => ApiError::Conflict {
            message: format!("`{field}` is already taken"),
            fields: vec![FieldError::new(field, "unique", "is already taken")],
        },
    }
}

{% endif -%}
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
    let mut transaction = rules::begin_write(pool).await?;
    if role != Role::ADMIN && is_last_admin(&mut transaction, id).await? {
        return Ok(false);
    }
    let result = sqlx::query("UPDATE {{ a.table }} SET role = $2 WHERE id = $1")
        .bind(id.to_repr())
        .bind(role.to_repr())
        .execute(&mut *transaction)
        .await?;
    if result.rows_affected() == 0 {
        return Err(ApiError::NotFound);
    }
    transaction.commit().await?;
    Ok(true)
}

/// Whether `id` is the only account with the admin role, read inside `transaction` after
/// taking the lock that makes the answer hold until it commits: on PostgreSQL the admins'
/// rows (`FOR UPDATE`), so two requests that each take one of two admins away run one after
/// the other and the second sees one admin left; on SQLite the write lock that
/// [`rules::begin_write`] took first.
pub async fn is_last_admin(transaction: &mut WriteTx, id: Uuid) -> Result<bool, sqlx::Error> {
    let admins: Vec<DbRow> = sqlx::query(LOCK_ADMINS)
        .bind(Role::ADMIN.to_repr())
        .fetch_all(&mut **transaction)
        .await?;
    let admins: Vec<Uuid> = admins
        .iter()
        .map(|row| db::get(row, "id"))
        .collect::<Result<_, _>>()?;
    Ok(admins == [id])
}

/// The admins' ids; on PostgreSQL their rows stay locked until the transaction ends.
#[cfg(feature = "sqlite")]
const LOCK_ADMINS: &str = "SELECT id FROM {{ a.table }} WHERE role = $1";
#[cfg(all(feature = "postgres", not(feature = "sqlite")))]
const LOCK_ADMINS: &str = "SELECT id FROM {{ a.table }} WHERE role = $1 FOR UPDATE";

/// The answer to a change that would leave no admin (409 `last_admin` on `field`).
pub fn last_admin_refusal(field: &str) -> ApiError {
    ApiError::Conflict {
        message: "this is the last admin; make someone else admin first".to_owned(),
        fields: vec![FieldError::new(field, "last_admin", "would leave no admin")],
    }
}
