//! The environment variables a generated app reads, in the order `.env.example` lists
//! them, with the defaults the README documents.

use specgen_ir::App;

/// One environment variable the app reads.
#[derive(Debug, Clone)]
pub struct Setting {
    pub name: &'static str,
    pub doc: &'static str,
    /// The value in `.env.example`.
    pub example: String,
    /// `# ` when the example line is commented out.
    pub comment: &'static str,
    /// The default, for the README table.
    pub default: String,
}

/// The settings, in the order `.env.example` lists them.
pub fn settings(app: &App, default_database_url: &str) -> Vec<Setting> {
    let mut settings = vec![
        Setting {
            name: "HOST",
            doc: "Address to listen on; 0.0.0.0 in a container.",
            example: "127.0.0.1".to_owned(),
            comment: "",
            default: "`127.0.0.1`".to_owned(),
        },
        Setting {
            name: "PORT",
            doc: "TCP port; 0 picks a free one.",
            example: "3000".to_owned(),
            comment: "",
            default: "`3000`".to_owned(),
        },
        Setting {
            name: "DATABASE_URL",
            doc: "SQLite file (default build) or PostgreSQL server (`--features postgres`), \
                  e.g. postgres://user:password@localhost:5432/app.",
            example: default_database_url.to_owned(),
            comment: "",
            default: format!("`{default_database_url}` (SQLite builds); required for PostgreSQL"),
        },
        Setting {
            name: "APP_ENV",
            doc: "development (readable logs) or production (JSON logs).",
            example: "development".to_owned(),
            comment: "",
            default: "`development`".to_owned(),
        },
        Setting {
            name: "RUST_LOG",
            doc: "Which logs to keep: a level, or a level per module such as info,sqlx=warn.",
            example: "info".to_owned(),
            comment: "",
            default: "`info`".to_owned(),
        },
        Setting {
            name: "REQUEST_TIMEOUT_SECS",
            doc: "Requests still running after this many seconds are answered with 408.",
            example: "30".to_owned(),
            comment: "",
            default: "`30`".to_owned(),
        },
        Setting {
            name: "BODY_LIMIT_BYTES",
            doc: "Larger request bodies are refused with 413.",
            example: "1048576".to_owned(),
            comment: "",
            default: "`1048576` (1 MiB)".to_owned(),
        },
        Setting {
            name: "SHUTDOWN_GRACE_SECS",
            doc: "On SIGTERM or Ctrl-C, how long requests in flight may take to finish.",
            example: "25".to_owned(),
            comment: "",
            default: "`25`".to_owned(),
        },
        Setting {
            name: "PG_BINDIR",
            doc: "Folder of pg_dump and pg_restore, which backup and restore run on PostgreSQL.",
            example: "/usr/lib/postgresql/15/bin".to_owned(),
            comment: "# ",
            default: "found on `PATH`".to_owned(),
        },
    ];
    settings.extend(security_settings(app));
    settings
}

/// The settings of the security layer and of sign-in, in the order `.env.example` lists them
/// (after the base settings).
fn security_settings(app: &App) -> Vec<Setting> {
    let mut settings = vec![
        Setting {
            name: "CORS_ALLOWED_ORIGINS",
            doc: "Comma-separated origins whose web pages may call the API from a browser \
                  (https://app.example.com), or * for any. Unset: none.",
            example: "https://app.example.com".to_owned(),
            comment: "# ",
            default: "none (same origin only)".to_owned(),
        },
        Setting {
            name: "TRUST_PROXY_HEADERS",
            doc: "true behind a reverse proxy that appends the client's address to \
                  X-Forwarded-For (rate limits then use it); false trusts only the socket.",
            example: "false".to_owned(),
            comment: "",
            default: "`false`".to_owned(),
        },
    ];
    if app.auth.is_some() {
        settings.extend([
            Setting {
                name: "SMTP_URL",
                doc: "The mail server for verification codes and reset tokens, with credentials: \
                      smtps://user:password@host (TLS) or smtp://host:587?tls=required. Unset: \
                      email goes to OUTBOX_DIR instead. Required in production.",
                example: "smtps://user:password@smtp.example.com".to_owned(),
                comment: "# ",
                default: "none: the development outbox".to_owned(),
            },
            Setting {
                name: "EMAIL_FROM",
                doc: "The sender of the app's email, e.g. App <no-reply@example.com>. Required \
                      with SMTP_URL.",
                example: "\"App <no-reply@example.com>\"".to_owned(),
                comment: "# ",
                default: "`no-reply@localhost` (outbox only)".to_owned(),
            },
            Setting {
                name: "OUTBOX_DIR",
                doc: "Where email goes without SMTP_URL: one .eml file per message (and a log line).",
                example: "data/outbox".to_owned(),
                comment: "",
                default: "`data/outbox`".to_owned(),
            },
            Setting {
                name: "PASSWORD_HASH_THREADS",
                doc: "How many password hashes run at once, each holding 19 MiB of memory. \
                      Unset: one per core.",
                example: "2".to_owned(),
                comment: "# ",
                default: "one per core".to_owned(),
            },
            Setting {
                name: "PASSWORD_HASH_QUEUE",
                doc: "How many more hashes may wait for a thread; past that, sign-in, sign-up \
                      and password changes answer 503 with Retry-After: 1. Unset: 16 per thread.",
                example: "32".to_owned(),
                comment: "# ",
                default: "16 per hashing thread".to_owned(),
            },
            Setting {
                name: "ADMIN_PASSWORD",
                doc: "Read by `create-admin` only (else it asks, without echo). Never needed by \
                      the server; do not leave it set.",
                example: String::new(),
                comment: "# ",
                default: "none".to_owned(),
            },
        ]);
    }
    settings
}
