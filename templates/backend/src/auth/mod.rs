// {{ header }}
//! Sign-in for {{ a.plural_words }}: accounts with an email address and a password, sessions,
{%- if a.verify_email %}
//! email verification, password reset and roles ({{ spec_file }}, front matter `auth:`).
{%- else %}
//! password reset and roles ({{ spec_file }}, front matter `auth:`).
{%- endif %}
//!
//! | Route | What it does |
//! | --- | --- |
{%- if a.verify_email %}
//! | `POST /api/auth/sign-up` | creates an account and emails a verification code (202) |
{%- else %}
//! | `POST /api/auth/sign-up` | creates an account and signs it in (201) |
{%- endif %}
//! | `POST /api/auth/sign-in` | email and password in, a session token out |
//! | `POST /api/auth/sign-out` | ends this session |
//! | `POST /api/auth/sign-out-everywhere` | ends every session of the account |
//! | `GET /api/auth/me` | the signed-in account, with its role |
//! | `POST /api/auth/password` | changes the password; ends every other session |
{%- if a.verify_email %}
//! | `POST /api/auth/verify-email` | confirms the address with the emailed code |
//! | `POST /api/auth/verify-email/resend` | emails a new code |
{%- endif %}
//! | `POST /api/auth/password-reset` | emails a single-use reset token |
//! | `POST /api/auth/password-reset/confirm` | sets a new password; ends every session |
//! | `PUT {{ a.route }}/{id}/role` | admins change someone's role |
//!
//! How it is kept safe:
//! - Passwords are hashed with argon2id and OWASP's parameters on a few threads of their
//!   own behind a bounded queue, 503 when it is full ([`password`]); they are never logged
//!   or returned.
//! - Sessions are opaque 256-bit random tokens. The database keeps only their SHA-256 hash,
//!   so a copy of it cannot be used to sign in ([`session`]). Clients send
//!   `Authorization: Bearer <token>`; there are no cookies, hence no CSRF to defend against.
//!   With hashed random tokens the server needs no signing secret.
//! - Sign-up, sign-in, verification and reset are rate limited per account and per client
//!   address in the database ([`crate::rate_limit`]), so the limits hold on every replica.
//! - Unknown and known email addresses get the same answers, and sign-in checks a dummy
//!   hash for unknown ones so both take as long.

pub mod accounts;
pub mod admin;
pub mod codes;
pub mod password;
pub mod routes;
pub mod session;

use std::time::Duration;

use serde::Serialize;
use serde_json::Value;
use tokio::time::MissedTickBehavior;

use crate::db::{self, DbPool, Stored};
use crate::rate_limit;
use crate::validation::{Problem, check};

pub use self::session::{AuthUser, MaybeAuthUser};

/// How long a session lasts: {{ a.session_words }} from sign-in ({{ spec_file }}, `session:`).
pub const SESSION_LIFETIME: Duration = Duration::from_secs({{ a.session_seconds }});

/// The roles of the app ({{ spec_file }}, `## Roles`), stored in the `role` column of
/// `{{ a.table }}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Role {
{%- for role in v.roles %}
    /// {{ role.doc }}
    #[serde(rename = "{{ role.name }}")]
    {{ role.variant }},
{%- endfor %}
}

impl Role {
{{ v.roles_const }}

    /// The role new sign-ups get.
    pub const DEFAULT: Role = Role::{{ v.default_role }};

    /// The administrator role: every action on every resource, and role changes.
    pub const ADMIN: Role = Role::{{ v.admin_role }};

    pub fn as_str(self) -> &'static str {
        match self {
{%- for role in v.roles %}
            Role::{{ role.variant }} => "{{ role.name }}",
{%- endfor %}
        }
    }

    pub fn parse(value: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == value)
    }

    /// Reads a request value.
    pub fn from_json(value: &Value) -> Result<Role, Problem> {
        check::one_of(value, &Role::ALL.map(Role::as_str), Role::parse)
    }
}

/// Stored as its name; a CHECK constraint keeps the column to these values.
impl Stored for Role {
    type Repr = String;

    fn to_repr(&self) -> String {
        self.as_str().to_owned()
    }

    fn from_repr(repr: String) -> Result<Self, sqlx::error::BoxDynError> {
        Role::parse(&repr).ok_or_else(|| format!("not a role: `{repr}`").into())
    }
}

/// Deletes expired sessions and codes and stale rate-limit counters, now and then every hour,
/// in the background. Every replica runs it; the deletes are harmless when they overlap.
pub fn spawn_cleanup(pool: DbPool) {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(Duration::from_secs(60 * 60));
        interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            if let Err(error) = clean_up(&pool).await {
                tracing::warn!(%error, "cannot delete expired sessions and codes");
            }
        }
    });
}

async fn clean_up(pool: &DbPool) -> Result<(), sqlx::Error> {
    let now = db::now();
    sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(now.to_repr())
        .execute(pool)
        .await?;
    sqlx::query("DELETE FROM auth_codes WHERE expires_at <= $1")
        .bind(now.to_repr())
        .execute(pool)
        .await?;
    rate_limit::delete_stale(pool).await?;
    Ok(())
}
