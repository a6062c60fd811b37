// {{ header }}
//! Rate limits of the sign-in endpoints, counted in the database so they hold across
//! replicas: one row per limit and subject in `rate_limits`, a fixed window, updated with
//! one atomic UPSERT per hit. Over the limit, requests are answered 429 `rate_limited` with
//! `Retry-After` (seconds until the window ends).
//!
//! Subjects are client addresses ([`ClientAddr`]) and email addresses. Limits on email
//! addresses count every address given, whether or not an account uses it, so a 429 says
//! nothing about which accounts exist.

use std::convert::Infallible;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;

use crate::auth::session;
use crate::db::{self, DbPool, Stored};
use crate::error::ApiError;
use crate::startup::AppState;

/// At most `max` hits per `window_secs` for one subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Names the limit in its counters' keys.
    pub name: &'static str,
    pub max: i64,
    pub window_secs: i64,
}

/// Sign-in attempts from one client address.
pub const SIGN_IN_PER_ADDRESS: Limit = Limit {
    name: "sign_in_per_address",
    max: 30,
    window_secs: 5 * 60,
};

/// Failed sign-ins (and password changes) for one account: the lockout. Counted per email
/// address given, known or not; a right password clears it.
pub const FAILED_SIGN_INS_PER_ACCOUNT: Limit = Limit {
    name: "failed_sign_ins_per_account",
    max: 10,
    window_secs: 15 * 60,
};

/// Sign-ups from one client address.
pub const SIGN_UPS_PER_ADDRESS: Limit = Limit {
    name: "sign_ups_per_address",
    max: 20,
    window_secs: 60 * 60,
};

/// Verification and reset attempts from one client address.
pub const CODE_GUESSES_PER_ADDRESS: Limit = Limit {
    name: "code_guesses_per_address",
    max: 30,
    window_secs: 15 * 60,
};

/// Emails (verification codes, reset tokens) requested from one client address.
pub const EMAILS_PER_ADDRESS: Limit = Limit {
    name: "emails_per_address",
    max: 20,
    window_secs: 60 * 60,
};

/// Emails requested for one email address.
pub const EMAILS_PER_ACCOUNT: Limit = Limit {
    name: "emails_per_account",
    max: 3,
    window_secs: 15 * 60,
};

/// Counts a hit and refuses (429) when it is over the limit.
pub async fn hit(pool: &DbPool, limit: &Limit, subject: &str) -> Result<(), ApiError> {
    let (hits, retry_after) = record(pool, limit, subject).await?;
    if hits > limit.max {
        return Err(ApiError::RateLimited { retry_after });
    }
    Ok(())
}

/// Refuses (429) when the limit is already reached, without counting a hit: for limits that
/// count failures, checked before the attempt.
pub async fn check(pool: &DbPool, limit: &Limit, subject: &str) -> Result<(), ApiError> {
    let (window_start, now) = window(limit);
    let hits: Option<(i64,)> =
        sqlx::query_as("SELECT hits FROM rate_limits WHERE key = $1 AND window_start = $2")
            .bind(key(limit, subject))
            .bind(window_start)
            .fetch_optional(pool)
            .await?;
    match hits {
        Some((hits,)) if hits >= limit.max => Err(ApiError::RateLimited {
            retry_after: window_start + limit.window_secs - now,
        }),
        _ => Ok(()),
    }
}

/// Counts a hit; returns the hits in the current window and the seconds until it ends.
pub async fn record(
    pool: &DbPool,
    limit: &Limit,
    subject: &str,
) -> Result<(i64, i64), sqlx::Error> {
    let (window_start, now) = window(limit);
    let (hits,): (i64,) = sqlx::query_as(
        "INSERT INTO rate_limits (key, window_start, hits, updated_at) VALUES ($1, $2, 1, $3) \
         ON CONFLICT (key) DO UPDATE SET \
         hits = CASE WHEN rate_limits.window_start = excluded.window_start \
         THEN rate_limits.hits + 1 ELSE 1 END, \
         window_start = excluded.window_start, updated_at = excluded.updated_at \
         RETURNING hits",
    )
    .bind(key(limit, subject))
    .bind(window_start)
    .bind(db::now().to_repr())
    .fetch_one(pool)
    .await?;
    Ok((hits, window_start + limit.window_secs - now))
}

/// Forgets the subject's hits (after a successful sign-in).
pub async fn clear(pool: &DbPool, limit: &Limit, subject: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM rate_limits WHERE key = $1")
        .bind(key(limit, subject))
        .execute(pool)
        .await?;
    Ok(())
}

/// Deletes counters whose window ended more than a day ago.
pub async fn delete_stale(pool: &DbPool) -> Result<u64, sqlx::Error> {
    let cutoff = db::now() - chrono::TimeDelta::days(1);
    let result = sqlx::query("DELETE FROM rate_limits WHERE updated_at < $1")
        .bind(cutoff.to_repr())
        .execute(pool)
        .await?;
    Ok(result.rows_affected())
}

/// The start of the current window and the current time, in seconds since 1970.
fn window(limit: &Limit) -> (i64, i64) {
    let now = db::now().timestamp();
    (now - now.rem_euclid(limit.window_secs), now)
}

/// The counter's key: a hash, so the table holds no email or client addresses.
fn key(limit: &Limit, subject: &str) -> String {
    session::digest(&format!("{}:{subject}", limit.name))
}

/// The client's address as rate limits see it: the socket's peer, or with
/// `TRUST_PROXY_HEADERS=true` the last `X-Forwarded-For` entry (the one your proxy added;
/// entries before it come from the client and can be forged). IPv6 addresses are grouped by
/// /64, the block one customer usually gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAddr(pub String);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        let forwarded = if state.config.trust_proxy_headers {
            forwarded_for(&parts.headers)
        } else {
            None
        };
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(address)| address.ip());
        Ok(ClientAddr(match forwarded.or(peer) {
            Some(ip) => subject(ip),
            None => "unknown".to_owned(),
        }))
    }
}

/// The last address in `X-Forwarded-For`.
fn forwarded_for(headers: &HeaderMap) -> Option<IpAddr> {
    let value = headers.get_all("x-forwarded-for").iter().next_back()?;
    let last = value.to_str().ok()?.rsplit(',').next()?.trim();
    last.parse().ok()
}

/// An address as a limit's subject.
fn subject(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let [a, b, c, d, ..] = v6.segments();
                format!("{}/64", Ipv6Addr::new(a, b, c, d, 0, 0, 0, 0))
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_addresses_are_grouped_by_64_and_mapped_ipv4_unwrapped() {
        let ip: IpAddr = "2001:db8:1:2:3:4:5:6".parse().unwrap();
        assert_eq!(subject(ip), "2001:db8:1:2::/64");
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        assert_eq!(subject(mapped), "192.0.2.1");
    }

    #[test]
    fn the_last_forwarded_address_counts() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            "203.0.113.9, 198.51.100.7".parse().unwrap(),
        );
        assert_eq!(forwarded_for(&headers), "198.51.100.7".parse().ok());
        headers.insert("x-forwarded-for", "not an address".parse().unwrap());
        assert_eq!(forwarded_for(&headers), None);
    }

    #[test]
    fn windows_are_aligned() {
        let (start, now) = window(&SIGN_IN_PER_ADDRESS);
        assert_eq!(start % SIGN_IN_PER_ADDRESS.window_secs, 0);
        assert!(now - start < SIGN_IN_PER_ADDRESS.window_secs);
    }
}
