// {{ header }}
//! Sessions: opaque bearer tokens, kept in the `sessions` table as SHA-256 hashes.
//!
//! A token is 32 bytes (256 bits) from the operating system's CSPRNG, sent to the client
//! once, base64url-encoded. The database stores only its hash: a stolen copy of the table
//! cannot be turned back into tokens, and looking a token up needs no secret on the server.
//! A session ends when it expires ([`SESSION_LIFETIME`] after sign-in), when the client
//! signs out, or when the password changes or is reset.

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use rand::RngExt;
use sha2::{Digest, Sha256};
use sqlx::Executor;
use uuid::Uuid;

use crate::auth::{Role, SESSION_LIFETIME};
use crate::db::{self, Db, DbPool, DbRow, Stored};
use crate::error::ApiError;
use crate::startup::AppState;

/// The length of a token as clients see it: 32 bytes in unpadded base64url.
const TOKEN_LENGTH: usize = 43;

/// A caller with a valid session: who they are, their role now, and which session they used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthUser {
    /// The account (`{{ a.table }}.id`).
    pub id: Uuid,
    /// Read from the account on every request, so a role change applies at once.
    pub role: Role,
    /// The session (`sessions.id`), for signing out of just this one.
    pub session_id: Uuid,
}

/// A caller who may or may not be signed in. No `Authorization` header is `None`; a header
/// with a bad or expired token is still refused with 401, so clients notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaybeAuthUser(pub Option<AuthUser>);

/// A new session, as the client gets it.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// The session (`sessions.id`).
    pub id: Uuid,
    /// The bearer token. Given out once; the server keeps only its hash.
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// Starts a session for the account `user_id`.
pub async fn create(pool: &DbPool, user_id: Uuid) -> Result<NewSession, sqlx::Error> {
    let id = Uuid::now_v7();
    let token = new_token();
    let now = db::now();
    let expires_at = now + SESSION_LIFETIME;
    sqlx::query(
        "INSERT INTO sessions (id, user_id, token_hash, expires_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $5)",
    )
    .bind(id.to_repr())
    .bind(user_id.to_repr())
    .bind(digest(&token))
    .bind(expires_at.to_repr())
    .bind(now.to_repr())
    .execute(pool)
    .await?;
    Ok(NewSession {
        id,
        token,
        expires_at,
    })
}

/// Ends one session.
pub async fn revoke<'e>(
    executor: impl Executor<'e, Database = Db>,
    id: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE id = $1")
        .bind(id.to_repr())
        .execute(executor)
        .await?;
    Ok(())
}

/// Ends every session of `user_id` except `keep` (the one making the request, if any).
pub async fn revoke_all<'e>(
    executor: impl Executor<'e, Database = Db>,
    user_id: Uuid,
    keep: Option<Uuid>,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND ($2 IS NULL OR id <> $2)")
        .bind(user_id.to_repr())
        .bind(keep.to_repr())
        .execute(executor)
        .await?;
    Ok(())
}

/// A new random token: 256 bits from the thread-local CSPRNG (ChaCha seeded by the
/// operating system), unpadded base64url.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The SHA-256 of a secret as stored: 64 lowercase hex digits.
pub fn digest(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Whether `text` could be a token (a cheap check before touching the database).
pub fn looks_like_token(text: &str) -> bool {
    text.len() == TOKEN_LENGTH
        && text
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
}

/// The signed-in caller for a bearer token, if the session exists and has not expired.
pub async fn authenticate(pool: &DbPool, token: &str) -> Result<Option<AuthUser>, ApiError> {
    if !looks_like_token(token) {
        return Ok(None);
    }
    let row: Option<(<Uuid as Stored>::Repr, <Uuid as Stored>::Repr, String)> = sqlx::query_as(
        "SELECT sessions.id, sessions.user_id, {{ a.table }}.role FROM sessions \
         JOIN {{ a.table }} ON {{ a.table }}.id = sessions.user_id \
         WHERE sessions.token_hash = $1 AND sessions.expires_at > $2",
    )
    .bind(digest(token))
    .bind(db::now().to_repr())
    .fetch_optional(pool)
    .await?;
    let Some((session_id, id, role)) = row else {
        return Ok(None);
    };
    let decode = |error| ApiError::internal(sqlx::Error::Decode(error));
    Ok(Some(AuthUser {
        id: Uuid::from_repr(id).map_err(decode)?,
        role: Role::from_repr(role).map_err(decode)?,
        session_id: Uuid::from_repr(session_id).map_err(decode)?,
    }))
}

/// `GET /api/auth/me` in one query: the session of `token`, checked as [`authenticate`]
/// checks it, with its account's row (the record's columns and `email_verified_at`).
/// `/me` is the read every client makes most; one round trip instead of three.
const WITH_ACCOUNT: &str = "\
{%- for line in v.me_lines %}
    {{ line }}
{%- endfor %}";

/// The session of `token` and its account's row (see [`WITH_ACCOUNT`]), if the session
/// exists and has not expired.
pub async fn with_account(
    pool: &DbPool,
    token: &str,
) -> Result<Option<(AuthUser, DbRow)>, ApiError> {
    if !looks_like_token(token) {
        return Ok(None);
    }
    let row = sqlx::query(WITH_ACCOUNT)
        .bind(digest(token))
        .bind(db::now().to_repr())
        .fetch_optional(pool)
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let user = AuthUser {
        id: db::get(&row, "id")?,
        role: db::get(&row, "role")?,
        session_id: db::get(&row, "session_id")?,
    };
    Ok(Some((user, row)))
}

/// The bearer token of a request: `None` without an `Authorization` header, 401 for any
/// other scheme.
fn bearer(headers: &HeaderMap) -> Result<Option<&str>, ApiError> {
    let Some(value) = headers.get(AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().unwrap_or_default();
    match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => Ok(Some(token.trim())),
        _ => Err(ApiError::unauthorized(
            "send the session token as `Authorization: Bearer <token>`",
        )),
    }
}

/// The bearer token of a request that must be signed in: 401 without one.
pub fn required_bearer(headers: &HeaderMap) -> Result<&str, ApiError> {
    bearer(headers)?.ok_or_else(not_signed_in)
}

/// The answer to a request without a token where one is needed.
fn not_signed_in() -> ApiError {
    ApiError::unauthorized("sign in first and send `Authorization: Bearer <token>`")
}

/// The answer to a token with no live session.
pub fn ended() -> ApiError {
    ApiError::unauthorized("the session token is invalid or has expired; sign in again")
}

impl FromRequestParts<AppState> for MaybeAuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(user) = parts.extensions.get::<AuthUser>() {
            return Ok(MaybeAuthUser(Some(*user)));
        }
        let Some(token) = bearer(&parts.headers)? else {
            return Ok(MaybeAuthUser(None));
        };
        let user = authenticate(&state.db, token).await?.ok_or_else(ended)?;
        parts.extensions.insert(user);
        Ok(MaybeAuthUser(Some(user)))
    }
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match MaybeAuthUser::from_request_parts(parts, state).await? {
            MaybeAuthUser(Some(user)) => Ok(user),
            MaybeAuthUser(None) => Err(not_signed_in()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_random_bits_in_base64url() {
        let token = new_token();
        assert!(looks_like_token(&token), "{token}");
        assert_eq!(URL_SAFE_NO_PAD.decode(&token).unwrap().len(), 32);
        assert_ne!(token, new_token());
    }

    #[test]
    fn digests_are_sha256_hex() {
        assert_eq!(
            digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
