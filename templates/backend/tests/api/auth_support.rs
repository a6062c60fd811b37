// {{ header }}
//! Test accounts and a look inside: signed-in callers of any role made directly in the
//! database, the development outbox, and the rows sign-in keeps.

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::Duration;

use chrono::TimeDelta;
use serde_json::json;
use uuid::Uuid;

use {{ crate_name }}::auth::{AuthUser, Role, accounts, session};
use {{ crate_name }}::db::{self, Stored};
use {{ crate_name }}::http::{{ a.module }}::New{{ a.entity }};

use crate::helpers::TestApp;

/// The password of every account made with [`TestApp::caller`].
pub const TEST_PASSWORD: &str = "correct horse battery staple";

/// The argon2id hash of [`TEST_PASSWORD`] (with the app's parameters), so making an account
/// costs no hashing; signing in still checks it for real.
const TEST_PASSWORD_HASH: &str = concat!(
    "$argon2id$v=19$m=19456,t=2,p=1$",
    "jwwbGR6Tv/7o9TW6R9o2bQ$E1zbC7li1CQ8agt2pIq8RLgUIzXPi5ABCto5A00l+ok",
);

/// The app's binary, as cargo built it for the tests.
const BINARY: &str = env!("CARGO_BIN_EXE_{{ name }}");

/// A development outbox in a temporary folder, removed afterwards.
#[derive(Debug)]
pub struct Outbox {
    pub path: PathBuf,
}

impl Outbox {
    pub fn create() -> Outbox {
        let path = std::env::temp_dir().join(format!("api-test-outbox-{}", Uuid::now_v7()));
        Outbox { path }
    }
}

impl Drop for Outbox {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.path).ok();
    }
}

/// A verified account with a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub id: String,
    pub email: String,
    pub role: String,
    /// The bearer token of its session.
    pub token: String,
}

impl TestApp {
    /// Makes a verified account with `role` and the password [`TEST_PASSWORD`], and starts a
    /// session for it.
    pub async fn caller(&self, role: &str) -> Caller {
        let email = format!("caller{}@example.com", self.next());
        let mut body = self.{{ a.snake }}_body().await;
        body["{{ a.email_json }}"] = json!(email);
        let body = body.as_object().cloned().expect("an object");
        // Made as an admin would: any field the sample sets is allowed.
        let admin = AuthUser {
            id: Uuid::nil(),
            role: Role::ADMIN,
            session_id: Uuid::nil(),
        };
        let user = New{{ a.entity }}::from_json(body, Some(&admin))
            .expect("a valid {{ a.words }}")
            .into_{{ a.snake }}();
        let role = Role::parse(role).expect("a role of the spec");
        let verified_at = Some(db::now());
        accounts::insert(&self.db, &user, TEST_PASSWORD_HASH, role, verified_at)
            .await
            .expect("the account is stored");
        let session = session::create(&self.db, user.id).await.expect("a session");
        Caller {
            id: user.id.to_string(),
            email,
            role: role.as_str().to_owned(),
            token: session.token,
        }
    }

    /// The text of the first email to `to` in the outbox, waiting up to 10 seconds for it.
    pub async fn email_to(&self, to: &str) -> String {
        self.emails_to(to, 1).await.remove(0)
    }

    /// The texts of the first `count` emails to `to`, oldest first, waiting up to 10
    /// seconds for them.
    pub async fn emails_to(&self, to: &str, count: usize) -> Vec<String> {
        let header = format!("To: {to}");
        for _ in 0..200 {
            let found: Vec<String> = read_outbox(&self.outbox.path)
                .into_iter()
                .filter(|message| message.lines().any(|line| line == header))
                .collect();
            if found.len() >= count {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let outbox = self.outbox.path.display();
        panic!("fewer than {count} emails to {to} in {outbox}");
    }

    /// The stored password hash of the account `email`.
    pub async fn password_hash_of(&self, email: &str) -> String {
        let sql = "SELECT password_hash FROM {{ a.table }} WHERE {{ a.email_column }} = $1";
        let (hash,): (String,) = sqlx::query_as(sql)
            .bind(email.to_owned())
            .fetch_one(&self.db)
            .await
            .expect("the account");
        hash
    }

    /// What the `sessions` table holds in place of tokens.
    pub async fn session_token_hashes(&self) -> Vec<String> {
        let rows: Vec<(String,)> = sqlx::query_as("SELECT token_hash FROM sessions")
            .fetch_all(&self.db)
            .await
            .expect("the sessions");
        rows.into_iter().map(|(hash,)| hash).collect()
    }

    /// Moves the end of every session of `caller` into the past.
    pub async fn expire_sessions_of(&self, caller: &Caller) {
        let id: Uuid = caller.id.parse().expect("an account id");
        let past = db::now() - TimeDelta::seconds(1);
        sqlx::query("UPDATE sessions SET expires_at = $1 WHERE user_id = $2")
            .bind(past.to_repr())
            .bind(id.to_repr())
            .execute(&self.db)
            .await
            .expect("the sessions are updated");
    }

    /// Runs the app's binary on this app's database and outbox, with `vars` set.
    pub async fn run_binary(&self, args: &[String], vars: &[(&str, &str)]) -> Output {
        let mut command = std::process::Command::new(BINARY);
        command
            .args(args)
            .env("DATABASE_URL", self.database_url())
            .env("OUTBOX_DIR", &self.outbox.path)
            .env_remove("ADMIN_PASSWORD")
            .env_remove("APP_ENV")
            .envs(vars.iter().copied())
            .stdin(Stdio::null());
        tokio::task::spawn_blocking(move || command.output())
            .await
            .expect("the binary runs")
            .expect("the binary starts")
    }
}

/// Every message in the outbox, oldest first, as text (quoted-printable soft line breaks
/// joined, CRLF as LF).
fn read_outbox(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<_> = entries
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "eml"))
        .collect();
    paths.sort();
    paths
        .iter()
        .filter_map(|path| std::fs::read_to_string(path).ok())
        .map(|text| text.replace("=\r\n", "").replace("\r\n", "\n"))
        .collect()
}
