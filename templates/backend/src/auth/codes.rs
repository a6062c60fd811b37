// {{ header }}
//! One-time codes sent by email, kept in `auth_codes` as SHA-256 hashes: 6-digit email
//! verification codes (15 minutes, 5 guesses) and 256-bit password reset tokens (30 minutes,
//! single use). An account has at most one live code per purpose; a new one replaces it.

use std::time::Duration;

use rand::RngExt;
use uuid::Uuid;

use crate::auth::session;
use crate::db::{self, Db, DbPool, Stored};

/// How long a verification code works.
pub const VERIFICATION_LIFETIME: Duration = Duration::from_secs(15 * 60);

/// Wrong guesses after which a verification code stops working (a new one must be requested).
pub const MAX_ATTEMPTS: i64 = 5;

/// How long a password reset token works.
pub const RESET_LIFETIME: Duration = Duration::from_secs(30 * 60);

const VERIFY_EMAIL: &str = "verify_email";
const RESET_PASSWORD: &str = "reset_password";

/// Issues a new 6-digit verification code for the account `user_id` and returns it.
pub async fn issue_verification(pool: &DbPool, user_id: Uuid) -> Result<String, sqlx::Error> {
    let number: u32 = rand::rng().random_range(0..1_000_000);
    let code = format!("{number:06}");
    store(
        pool,
        user_id,
        VERIFY_EMAIL,
        &verification_hash(user_id, &code),
        VERIFICATION_LIFETIME,
    )
    .await?;
    Ok(code)
}

/// Issues a new password reset token for the account `user_id` and returns it.
pub async fn issue_reset(pool: &DbPool, user_id: Uuid) -> Result<String, sqlx::Error> {
    let token = session::new_token();
    store(
        pool,
        user_id,
        RESET_PASSWORD,
        &session::digest(&token),
        RESET_LIFETIME,
    )
    .await?;
    Ok(token)
}

/// Whether the account `user_id` has a verification code that still works (not expired, and
/// fewer than [`MAX_ATTEMPTS`] wrong guesses).
pub async fn has_live_verification(pool: &DbPool, user_id: Uuid) -> Result<bool, sqlx::Error> {
    let live = sqlx::query(
        "SELECT 1 FROM auth_codes \
         WHERE user_id = $1 AND purpose = $2 AND attempts < $3 AND expires_at > $4",
    )
    .bind(user_id.to_repr())
    .bind(VERIFY_EMAIL)
    .bind(MAX_ATTEMPTS)
    .bind(db::now().to_repr())
    .fetch_optional(pool)
    .await?;
    Ok(live.is_some())
}

/// Checks a verification code and uses it up when it is right. The guess is counted before
/// the code is compared, in one statement, so concurrent guesses cannot exceed the limit.
pub async fn redeem_verification(
    pool: &DbPool,
    user_id: Uuid,
    code: &str,
) -> Result<bool, sqlx::Error> {
    let now = db::now();
    let live: Option<(<Uuid as Stored>::Repr, String)> = sqlx::query_as(
        "UPDATE auth_codes SET attempts = attempts + 1, updated_at = $2 \
         WHERE user_id = $1 AND purpose = $3 AND attempts < $4 AND expires_at > $2 \
         RETURNING id, code_hash",
    )
    .bind(user_id.to_repr())
    .bind(now.to_repr())
    .bind(VERIFY_EMAIL)
    .bind(MAX_ATTEMPTS)
    .fetch_optional(pool)
    .await?;
    let Some((id, stored)) = live else {
        return Ok(false);
    };
    if !same(&stored, &verification_hash(user_id, code)) {
        return Ok(false);
    }
    // Delete it: only the request that deletes the row succeeds, so the code works once.
    let used = sqlx::query("DELETE FROM auth_codes WHERE id = $1")
        .bind(id)
        .execute(pool)
        .await?;
    Ok(used.rows_affected() == 1)
}

/// Uses up a password reset token: the account it was issued for, or `None` when the token
/// is unknown, used or expired.
pub async fn redeem_reset(
    transaction: &mut sqlx::Transaction<'_, Db>,
    token: &str,
) -> Result<Option<Uuid>, sqlx::Error> {
    if !session::looks_like_token(token) {
        return Ok(None);
    }
    let user_id: Option<(<Uuid as Stored>::Repr,)> = sqlx::query_as(
        "DELETE FROM auth_codes WHERE purpose = $1 AND code_hash = $2 AND expires_at > $3 \
         RETURNING user_id",
    )
    .bind(RESET_PASSWORD)
    .bind(session::digest(token))
    .bind(db::now().to_repr())
    .fetch_optional(&mut **transaction)
    .await?;
    user_id
        .map(|(id,)| Uuid::from_repr(id).map_err(sqlx::Error::Decode))
        .transpose()
}

/// Replaces the account's code for `purpose`: new hash, no guesses yet, a new expiry.
async fn store(
    pool: &DbPool,
    user_id: Uuid,
    purpose: &'static str,
    code_hash: &str,
    lifetime: Duration,
) -> Result<(), sqlx::Error> {
    let now = db::now();
    sqlx::query(
        "INSERT INTO auth_codes \
         (id, user_id, purpose, code_hash, attempts, expires_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 0, $5, $6, $6) \
         ON CONFLICT (user_id, purpose) DO UPDATE SET code_hash = excluded.code_hash, \
         attempts = 0, expires_at = excluded.expires_at, updated_at = excluded.updated_at",
    )
    .bind(Uuid::now_v7().to_repr())
    .bind(user_id.to_repr())
    .bind(purpose)
    .bind(code_hash.to_owned())
    .bind((now + lifetime).to_repr())
    .bind(now.to_repr())
    .execute(pool)
    .await?;
    Ok(())
}

/// A verification code's hash, salted with the account id so equal codes of different
/// accounts differ. (A 6-digit code is short-lived and attempt-limited, not secret against
/// someone who can read the database.)
fn verification_hash(user_id: Uuid, code: &str) -> String {
    session::digest(&format!("{user_id}:{code}"))
}

/// Compares two hashes in constant time.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |diff, (x, y)| diff | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_compare_equal_only_when_equal() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "abcd"));
    }

    #[test]
    fn verification_hashes_depend_on_the_account() {
        let code = "123456";
        assert_ne!(
            verification_hash(Uuid::now_v7(), code),
            verification_hash(Uuid::now_v7(), code)
        );
    }
}
