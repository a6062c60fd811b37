// {{ header }}
//! Passwords: the spec's length rules, and hashing with argon2id.
//!
//! Hashes are PHC strings (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`) with a random
//! 128-bit salt each. Hashing takes tens of milliseconds of CPU on purpose, so it runs on a
//! blocking thread and never stalls the async workers.

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use serde_json::Value;

use crate::error::ApiError;
use crate::validation::{Problem, check};

/// The fewest characters a new password may have ({{ spec_file }}, `password:`).
pub const MIN_LENGTH: usize = {{ a.password_min }};

/// The most characters a password may have; bounds the work one request can cause.
pub const MAX_LENGTH: usize = {{ a.password_max }};

/// OWASP's argon2id parameters (Password Storage Cheat Sheet): 19 MiB of memory, two passes,
/// one lane.
const MEMORY_KIB: u32 = 19_456;
const PASSES: u32 = 2;
const LANES: u32 = 1;

/// How every current hash starts; others are rehashed at the next sign-in.
const CURRENT_PREFIX: &str = "$argon2id$v=19$m=19456,t=2,p=1$";

/// The hash of a random password nobody knows, with the current parameters. Sign-in checks
/// it when an account does not exist (or has no password yet), so that answer takes as long
/// as a wrong password for a real account and timing reveals nothing.
const DUMMY_HASH: &str = concat!(
    "$argon2id$v=19$m=19456,t=2,p=1$",
    "6F7m9ol84N1FdqnT4//slg$u4dGytKyh+B180FSj5sVF0fEQ2a/A5YOeqZ9ScSQxp0",
);

/// The outcome of checking a password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    /// The password is right. `rehash`: the stored hash uses older parameters; store a new one.
    Matches { rehash: bool },
    /// Wrong password, unknown account, or an account without a password.
    Fails,
}

/// Checks a new password against the length rules (for [`crate::validation::Fields`]).
pub fn check_new(value: &Value) -> Result<String, Problem> {
    check::text(MIN_LENGTH, MAX_LENGTH)(value)
}

/// Checks a password given to sign in: any non-empty text up to the maximum length, so that
/// passwords set under older rules still work.
pub fn check_given(value: &Value) -> Result<String, Problem> {
    check::text(1, MAX_LENGTH)(value)
}

/// Hashes `password` with a fresh random salt.
pub async fn hash(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || {
        argon2()
            .hash_password(password.as_bytes())
            .map(|hash| hash.to_string())
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(|error| ApiError::internal(format!("cannot hash a password: {error}")))
}

/// Checks `password` against `stored`, a PHC string. `None` (no such account, or no password
/// set) checks against [`DUMMY_HASH`] and fails, taking as long as a real check.
pub async fn verify(password: String, stored: Option<String>) -> Result<Verification, ApiError> {
    tokio::task::spawn_blocking(move || {
        let known = stored.is_some();
        let hash = stored.unwrap_or_else(|| DUMMY_HASH.to_owned());
        let parsed = match PasswordHash::new(&hash) {
            Ok(parsed) => parsed,
            Err(error) => {
                tracing::error!(%error, "a stored password hash cannot be read");
                return Verification::Fails;
            }
        };
        let matches = argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        if matches && known {
            Verification::Matches {
                rehash: !hash.starts_with(CURRENT_PREFIX),
            }
        } else {
            Verification::Fails
        }
    })
    .await
    .map_err(ApiError::internal)
}

fn argon2() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, PASSES, LANES, None)
        .expect("OWASP's argon2id parameters are within argon2's limits");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let hash = hash("correct horse battery".to_owned()).await.unwrap();
        assert!(hash.starts_with(CURRENT_PREFIX), "{hash}");
        let right = verify("correct horse battery".to_owned(), Some(hash.clone())).await;
        assert_eq!(right.unwrap(), Verification::Matches { rehash: false });
        let wrong = verify("correct horse battery!".to_owned(), Some(hash)).await;
        assert_eq!(wrong.unwrap(), Verification::Fails);
    }

    #[tokio::test]
    async fn unknown_accounts_never_match() {
        let outcome = verify("anything at all".to_owned(), None).await.unwrap();
        assert_eq!(outcome, Verification::Fails);
    }

    #[test]
    fn the_dummy_hash_uses_the_current_parameters() {
        assert!(DUMMY_HASH.starts_with(CURRENT_PREFIX));
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }
}
