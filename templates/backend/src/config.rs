// {{ header }}
//! Settings, read from the environment only (and, in `main`, an optional `.env` file).
//! Every variable is listed with its default in `.env.example`.

{% if has_auth -%}
use std::num::NonZeroUsize;
{% endif -%}
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use tracing_subscriber::filter::Targets;
{%- if has_auth %}

use crate::auth::password;
use crate::email::EmailSettings;
{%- endif %}

/// `DATABASE_URL` when none is set: an SQLite file under `data/`, created on first start.
#[cfg(feature = "sqlite")]
{{ default_database_url_const }}
/// PostgreSQL builds have no default: `DATABASE_URL` must name the server.
#[cfg(not(feature = "sqlite"))]
pub const DEFAULT_DATABASE_URL: Option<&str> = None;

/// The app's settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// `HOST`: the address to listen on. Default `127.0.0.1`; use `0.0.0.0` in a container.
    pub host: String,
    /// `PORT`: the TCP port. Default 3000; 0 picks a free port.
    pub port: u16,
    /// `DATABASE_URL`: `sqlite://path?mode=rwc` or `postgres://user:password@host/database`.
    pub database_url: String,
    /// `APP_ENV`: `development` (readable logs) or `production` (JSON logs).
    pub app_env: AppEnv,
    /// `RUST_LOG`: which logs to keep, e.g. `info` or `warn,{{ crate_name }}=debug`.
    pub log_filter: Targets,
    /// `REQUEST_TIMEOUT_SECS`: requests still running after this long are answered with 408.
    pub request_timeout: Duration,
    /// `BODY_LIMIT_BYTES`: larger request bodies are refused with 413. Default 1 MiB.
    pub body_limit: usize,
    /// `CORS_ALLOWED_ORIGINS`: comma-separated origins whose web pages may call the API from a
    /// browser (`https://app.example.com`), or `*` for any. Default: none (same origin only).
    pub cors_allowed_origins: Vec<String>,
    /// `TRUST_PROXY_HEADERS`: `true` behind a reverse proxy that appends the client's address
    /// to `X-Forwarded-For`; rate limits then use it. Default `false`: the socket's peer.
    pub trust_proxy_headers: bool,
    /// `SHUTDOWN_GRACE_SECS`: on SIGTERM or Ctrl-C, how long requests in flight may take to
    /// finish before the process exits anyway. Default 25: less than the time Kubernetes
    /// and Fly.io wait before they kill the process.
    pub shutdown_grace: Duration,
    /// `PG_BINDIR`: the folder holding `pg_dump` and `pg_restore`, which `backup` and
    /// `restore` run on PostgreSQL. Default: found on `PATH`.
    pub pg_bindir: Option<PathBuf>,
{%- if has_auth %}
    /// `SMTP_URL`, `EMAIL_FROM`, `OUTBOX_DIR`: how email goes out (see [`EmailSettings`]).
    pub email: EmailSettings,
    /// `PASSWORD_HASH_THREADS`: how many password hashes run at once, each holding 19 MiB.
    /// Default: one per core.
    pub password_hash_threads: NonZeroUsize,
    /// `PASSWORD_HASH_QUEUE`: how many more may wait for a thread; past that, routes that
    /// hash a password answer 503 `unavailable` with `Retry-After: 1`. Default: 16 per thread.
    pub password_hash_queue: NonZeroUsize,
{%- endif %}
}

/// Where the app runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppEnv {
    Development,
    Production,
}

/// A setting that is missing or cannot be parsed.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("`{0}` is not set")]
    Missing(&'static str),
    #[error("`{name}` is `{value}`, expected {expected}")]
    Invalid {
        name: &'static str,
        value: String,
        expected: &'static str,
    },
    #[error(
        "`{0}` still holds a `REPLACE_ME` placeholder: production refuses to start until it \
         is set to the real value"
    )]
    Placeholder(&'static str),
}

/// Settings whose example values are placeholders (`REPLACE_ME` in the Kubernetes Secret).
{%- if has_auth %}
const SECRETS: &[&str] = &["DATABASE_URL", "SMTP_URL", "EMAIL_FROM"];
{%- else %}
const SECRETS: &[&str] = &["DATABASE_URL"];
{%- endif %}

impl Config {
    /// Reads the settings from the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_vars(|name| std::env::var(name).ok())
    }

    /// Reads the settings through `var`, which returns a variable's value if it is set
    /// (tests pass their own).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let database_url = match var("DATABASE_URL") {
            Some(url) => url,
            None => DEFAULT_DATABASE_URL
                .ok_or(ConfigError::Missing("DATABASE_URL"))?
                .to_owned(),
        };
        let app_env = match var("APP_ENV").as_deref() {
            None | Some("development") => AppEnv::Development,
            Some("production") => AppEnv::Production,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    name: "APP_ENV",
                    value: other.to_owned(),
                    expected: "`development` or `production`",
                });
            }
        };
        if app_env == AppEnv::Production
            && let Some(name) = SECRETS
                .iter()
                .find(|name| var(name).is_some_and(|value| value.contains("REPLACE_ME")))
        {
            return Err(ConfigError::Placeholder(name));
        }
{%- if has_auth %}
        let password_hash_threads = parse(
            &var,
            "PASSWORD_HASH_THREADS",
            password::default_threads(),
            "a whole number of threads, at least 1",
        )?;
        let password_hash_queue = parse(
            &var,
            "PASSWORD_HASH_QUEUE",
            password_hash_threads.saturating_mul(
                NonZeroUsize::new(password::QUEUE_PER_THREAD).expect("the queue is not empty"),
            ),
            "a whole number of hashes, at least 1",
        )?;
{%- endif %}
        Ok(Config {
            host: var("HOST").unwrap_or_else(|| "127.0.0.1".to_owned()),
            port: parse(&var, "PORT", 3000, "a port number")?,
            database_url,
            app_env,
            log_filter: parse(
                &var,
                "RUST_LOG",
                default_log_filter(),
                "a filter like `info,sqlx=warn`",
            )?,
            request_timeout: Duration::from_secs(parse(
                &var,
                "REQUEST_TIMEOUT_SECS",
                30,
                "a whole number of seconds",
            )?),
            body_limit: parse(&var, "BODY_LIMIT_BYTES", 1024 * 1024, "a number of bytes")?,
            cors_allowed_origins: origins(var("CORS_ALLOWED_ORIGINS"))?,
            trust_proxy_headers: parse(&var, "TRUST_PROXY_HEADERS", false, "`true` or `false`")?,
            shutdown_grace: Duration::from_secs(parse(
                &var,
                "SHUTDOWN_GRACE_SECS",
                25,
                "a whole number of seconds",
            )?),
            pg_bindir: var("PG_BINDIR")
                .filter(|folder| !folder.is_empty())
                .map(PathBuf::from),
{%- if has_auth %}
            email: EmailSettings::from_vars(&var, app_env)?,
            password_hash_threads,
            password_hash_queue,
{%- endif %}
        })
    }
}

/// Reads `CORS_ALLOWED_ORIGINS`: `*`, or origins like `https://app.example.com` (a scheme and
/// a host, an optional port, no path).
fn origins(value: Option<String>) -> Result<Vec<String>, ConfigError> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    let origins: Vec<String> = value
        .split(',')
        .map(str::trim)
        .filter(|origin| !origin.is_empty())
        .map(str::to_owned)
        .collect();
    let valid = |origin: &String| {
        let host = origin
            .strip_prefix("https://")
            .or_else(|| origin.strip_prefix("http://"));
        origin == "*" || host.is_some_and(|host| !host.is_empty() && !host.contains('/'))
    };
    if origins.iter().all(valid) {
        Ok(origins)
    } else {
        Err(ConfigError::Invalid {
            name: "CORS_ALLOWED_ORIGINS",
            value,
            expected: "`*` or comma-separated origins like `https://app.example.com`",
        })
    }
}

/// Logs at `info` and above.
fn default_log_filter() -> Targets {
    Targets::new().with_default(tracing::Level::INFO)
}

/// Parses the variable `name`, or returns `default` when it is not set.
fn parse<T: FromStr>(
    var: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: T,
    expected: &'static str,
) -> Result<T, ConfigError> {
    match var(name) {
        None => Ok(default),
        Some(value) => value.parse().map_err(|_| ConfigError::Invalid {
            name,
            value,
            expected,
        }),
    }
}
