//! View models of the sign-in subsystem (`src/auth/`, `src/email.rs`, `src/rate_limit.rs`)
//! and the tables it keeps: sessions, one-time codes and rate-limit counters.
//!
//! Everything here exists only when the spec has a sign-in entity (`app.auth`). The
//! generated code never derives a name: the sign-in entity's module, table, email column,
//! the roles and the password rules are computed here from the IR.

use askama::Template;
use specgen_ir::{App, Entity, Role};

use crate::layout;
use crate::names::{self, rust_str, sql_str};
use crate::sql::{Dialect, Table};
use crate::Files;

/// Adds the files of the security layer (always) and of sign-in (with a sign-in entity).
pub(crate) fn add_files(out: &mut Files, app: &App, header: &str) {
    out.add("src/security.rs", &SecurityRs { header });
    let Some(a) = AuthView::new(app) else {
        return;
    };
    let a = &a;
    let (name, spec_file) = (app.name.as_str(), app.spec_file.as_str());
    out.add("src/auth/mod.rs", &AuthMod { header, spec_file, a });
    out.add("src/auth/accounts.rs", &AuthAccounts { header, a });
    out.add("src/auth/admin.rs", &AuthAdmin { header, name, a });
    out.add("src/auth/codes.rs", &AuthCodes { header });
    out.add("src/auth/password.rs", &AuthPassword { header, spec_file, a });
    out.add("src/auth/routes.rs", &AuthRoutes { header, a });
    out.add("src/auth/session.rs", &AuthSession { header, a });
    out.add("src/email.rs", &EmailRs { header });
    out.add("src/rate_limit.rs", &RateLimitRs { header });
}

#[derive(Template)]
#[template(path = "backend/src/security.rs")]
struct SecurityRs<'a> {
    header: &'a str,
}

#[derive(Template)]
#[template(path = "backend/src/auth/mod.rs")]
struct AuthMod<'a> {
    header: &'a str,
    spec_file: &'a str,
    a: &'a AuthView,
}

#[derive(Template)]
#[template(path = "backend/src/auth/accounts.rs")]
struct AuthAccounts<'a> {
    header: &'a str,
    a: &'a AuthView,
}

#[derive(Template)]
#[template(path = "backend/src/auth/admin.rs")]
struct AuthAdmin<'a> {
    header: &'a str,
    name: &'a str,
    a: &'a AuthView,
}

#[derive(Template)]
#[template(path = "backend/src/auth/codes.rs")]
struct AuthCodes<'a> {
    header: &'a str,
}

#[derive(Template)]
#[template(path = "backend/src/auth/password.rs")]
struct AuthPassword<'a> {
    header: &'a str,
    spec_file: &'a str,
    a: &'a AuthView,
}

#[derive(Template)]
#[template(path = "backend/src/auth/routes.rs")]
struct AuthRoutes<'a> {
    header: &'a str,
    a: &'a AuthView,
}

#[derive(Template)]
#[template(path = "backend/src/auth/session.rs")]
struct AuthSession<'a> {
    header: &'a str,
    a: &'a AuthView,
}

#[derive(Template)]
#[template(path = "backend/src/email.rs")]
struct EmailRs<'a> {
    header: &'a str,
}

#[derive(Template)]
#[template(path = "backend/src/rate_limit.rs")]
struct RateLimitRs<'a> {
    header: &'a str,
}

/// What every `src/auth/*.rs` template prints.
#[derive(Debug, Clone)]
pub struct AuthView {
    /// The sign-in entity's type (`User`).
    pub entity: String,
    /// Its module under `src/http/` and `src/hooks/` (`users`).
    pub module: String,
    /// Singular snake_case (`user`), for variables.
    pub snake: String,
    /// Lowercase words (`user`), for sentences.
    pub words: String,
    /// Plural words (`users`), for sentences.
    pub plural_words: String,
    pub table: String,
    /// Route prefix of the entity (`/api/users`); the role route hangs below it.
    pub route: String,
    /// JSON name of the email field (`email`).
    pub email_json: String,
    /// Rust field of the email (`email`).
    pub email_ident: String,
    /// SQL column of the email.
    pub email_column: String,
    pub verify_email: bool,
    pub session_seconds: u64,
    /// The session lifetime in words (`30 days`).
    pub session_words: String,
    pub password_min: u32,
    pub password_max: u32,
    pub roles: Vec<RoleView>,
    /// Variant of the role sign-ups get.
    pub default_role: String,
    /// Name of the role sign-ups get (`member`).
    pub default_role_name: String,
    /// Variant of the administrator role.
    pub admin_role: String,
    /// SQL name of the administrator role, for the last-admin check.
    pub admin_role_sql: String,
    /// `pub const ALL: [Role; N] = [...];`, laid out.
    pub roles_const: String,
    /// The app's title as a Rust string literal (email subjects).
    pub title_literal: String,
    /// Lines of the `INSERT` of a new account (inside a `"\` string).
    pub insert_lines: Vec<String>,
    /// Expressions bound to the `INSERT`, in placeholder order.
    pub insert_binds: Vec<String>,
    /// Signature of `accounts::insert`.
    pub sig_insert: String,
    /// The `use crate::http::...` lines of `routes.rs`, in rustfmt's order.
    pub http_uses: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct RoleView {
    /// The Rust variant (`Member`).
    pub variant: String,
    /// The stored value (`member`).
    pub name: String,
    /// The doc comment (without `///`).
    pub doc: String,
}

impl AuthView {
    /// The view of `app`'s sign-in subsystem; `None` when the spec has no sign-in entity.
    pub fn new(app: &App) -> Option<AuthView> {
        let auth = app.auth.as_ref()?;
        let entity = app.auth_entity()?;
        let email = entity.field(&auth.email_field)?;
        let variant = |role: Option<&Role>| role.map_or_else(String::new, |r| names::enum_variant(&r.name));
        let roles: Vec<RoleView> = app.roles.iter().map(role_view).collect();
        let variants: Vec<String> = roles.iter().map(|r| format!("Role::{}", r.variant)).collect();
        let roles_const = layout::array(
            4,
            &format!("pub const ALL: [Role; {}] = [", variants.len()),
            &variants,
            "];",
        );

        let mut columns: Vec<String> = vec!["id".to_owned()];
        let mut binds: Vec<String> = vec!["user.id.to_repr()".to_owned()];
        for field in &entity.fields {
            columns.push(field.column.clone());
            binds.push(format!("user.{}.to_repr()", field.ident));
        }
        columns.extend(
            ["password_hash", "role", "email_verified_at", "created_at", "updated_at"].map(String::from),
        );
        binds.extend(
            [
                "password_hash",
                "role.to_repr()",
                "email_verified_at.to_repr()",
                "user.created_at.to_repr()",
                "user.updated_at.to_repr()",
            ]
            .map(String::from),
        );
        let placeholders: Vec<String> = (1..=columns.len()).map(|i| format!("${i}")).collect();
        let mut insert_lines =
            continued(&wrap(&format!("INSERT INTO {} ({})", entity.table, columns.join(", "))));
        if let Some(last) = insert_lines.last_mut() {
            last.push_str(" \\");
        }
        insert_lines.extend(continued(&wrap(&format!("VALUES ({})", placeholders.join(", ")))));

        let sig_insert = layout::signature(
            0,
            "pub async fn insert(",
            &[
                "pool: &DbPool".to_owned(),
                format!("user: &{}", entity.name),
                "password_hash: &str".to_owned(),
                "role: Role".to_owned(),
                "email_verified_at: Option<DateTime<Utc>>".to_owned(),
            ],
            ") -> Result<(), ApiError> {",
        );

        let mut entity_items = [format!("New{}", entity.name), entity.name.clone()];
        entity_items.sort();
        let mut http_uses = vec![
            "use crate::http::extract::{AppJson, EntityId};".to_owned(),
            format!("use crate::http::{}::{{self, {}}};", entity.plural_snake, entity_items.join(", ")),
        ];
        http_uses.sort();

        Some(AuthView {
            entity: entity.name.clone(),
            module: entity.plural_snake.clone(),
            snake: entity.snake.clone(),
            words: entity.words.clone(),
            plural_words: entity.plural_words.clone(),
            table: entity.table.clone(),
            route: entity.route.clone(),
            email_json: email.json.clone(),
            email_ident: email.ident.clone(),
            email_column: email.column.clone(),
            verify_email: auth.verify_email,
            session_seconds: auth.session_seconds,
            session_words: duration_words(auth.session_seconds),
            password_min: auth.password.min_length,
            password_max: auth.password.max_length,
            default_role: variant(app.default_role()),
            default_role_name: app.default_role().map_or_else(String::new, |r| r.name.clone()),
            admin_role: variant(app.admin_role()),
            admin_role_sql: sql_str(app.admin_role().map_or("admin", |r| r.name.as_str())),
            roles,
            roles_const,
            title_literal: rust_str(&app.title),
            insert_lines,
            insert_binds: binds,
            sig_insert,
            http_uses,
        })
    }
}

fn role_view(role: &Role) -> RoleView {
    let mut doc = if role.description.trim().is_empty() {
        capitalize_words(&role.plural)
    } else {
        capitalize_words(role.description.trim())
    };
    if role.is_default {
        doc.push_str(" (new accounts get this role)");
    }
    if role.is_admin {
        doc.push_str(" (administrators: every action on every resource, and role changes)");
    }
    if !doc.ends_with('.') {
        doc.push('.');
    }
    RoleView { variant: names::enum_variant(&role.name), name: role.name.clone(), doc }
}

fn capitalize_words(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `2592000` -> `30 days`; exact units only, falling back to seconds.
pub fn duration_words(seconds: u64) -> String {
    for (unit, size) in [("day", 86_400), ("hour", 3_600), ("minute", 60)] {
        if seconds >= size && seconds % size == 0 {
            let count = seconds / size;
            return format!("{count} {unit}{}", if count == 1 { "" } else { "s" });
        }
    }
    format!("{seconds} seconds")
}

/// The tables of the sign-in subsystem, created after the entities' tables (sessions and
/// codes reference the sign-in entity's table). Empty without a sign-in entity.
pub fn tables(app: &App, dialect: Dialect) -> Vec<Table> {
    let Some(entity) = app.auth_entity() else {
        return Vec::new();
    };
    vec![sessions_table(entity, dialect), codes_table(entity, dialect), rate_limits_table(dialect)]
}

struct Types {
    id: &'static str,
    instant: &'static str,
    integer: &'static str,
    suffix: &'static str,
}

fn types(dialect: Dialect) -> Types {
    match dialect {
        Dialect::Sqlite => Types { id: "TEXT", instant: "TEXT", integer: "INTEGER", suffix: " STRICT" },
        Dialect::Postgres => Types { id: "UUID", instant: "TIMESTAMPTZ", integer: "BIGINT", suffix: "" },
    }
}

fn sessions_table(entity: &Entity, dialect: Dialect) -> Table {
    let t = types(dialect);
    let primary = match dialect {
        Dialect::Sqlite => "id TEXT NOT NULL PRIMARY KEY",
        Dialect::Postgres => "id UUID PRIMARY KEY",
    };
    let items = [
        primary.to_owned(),
        format!("user_id {} NOT NULL", t.id),
        "-- SHA-256 of the bearer token, lowercase hex. The token itself is never stored.".to_owned(),
        "token_hash TEXT NOT NULL".to_owned(),
        "-- Fixed at sign-in: the session lasts the spec's `session` lifetime, then ends.".to_owned(),
        format!("expires_at {} NOT NULL", t.instant),
        format!("created_at {} NOT NULL", t.instant),
        format!("updated_at {} NOT NULL", t.instant),
        "CONSTRAINT sessions_token_hash_key UNIQUE (token_hash)".to_owned(),
        format!(
            "CONSTRAINT sessions_user_id_fkey FOREIGN KEY (user_id) REFERENCES {} (id) ON DELETE CASCADE",
            entity.table
        ),
    ];
    Table {
        comment: vec![
            format!("-- Sign-in sessions of {}: one row per signed-in device. Signing out deletes", entity.plural_words),
            "-- the row; deleting the account deletes its sessions. Kept in the database so every".to_owned(),
            "-- replica accepts every session.".to_owned(),
        ],
        name: "sessions".to_owned(),
        items: with_commas(&items),
        suffix: t.suffix,
        after: vec![
            "CREATE INDEX sessions_user_id_idx ON sessions (user_id);".to_owned(),
            "CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);".to_owned(),
        ],
    }
}

fn codes_table(entity: &Entity, dialect: Dialect) -> Table {
    let t = types(dialect);
    let primary = match dialect {
        Dialect::Sqlite => "id TEXT NOT NULL PRIMARY KEY",
        Dialect::Postgres => "id UUID PRIMARY KEY",
    };
    let items = [
        primary.to_owned(),
        format!("user_id {} NOT NULL", t.id),
        "-- verify_email: a 6-digit code; reset_password: a 256-bit random token.".to_owned(),
        "purpose TEXT NOT NULL".to_owned(),
        "-- SHA-256 (lowercase hex) of the code, salted with the account id for 6-digit codes.".to_owned(),
        "code_hash TEXT NOT NULL".to_owned(),
        "-- Guesses so far; a verification code stops working after 5.".to_owned(),
        format!("attempts {} NOT NULL DEFAULT 0", t.integer),
        format!("expires_at {} NOT NULL", t.instant),
        format!("created_at {} NOT NULL", t.instant),
        format!("updated_at {} NOT NULL", t.instant),
        "-- One live code per account and purpose: a new code replaces the last one.".to_owned(),
        "CONSTRAINT auth_codes_user_id_purpose_key UNIQUE (user_id, purpose)".to_owned(),
        "CONSTRAINT auth_codes_purpose_check CHECK (purpose IN ('verify_email', 'reset_password'))"
            .to_owned(),
        format!(
            "CONSTRAINT auth_codes_user_id_fkey FOREIGN KEY (user_id) REFERENCES {} (id) ON DELETE CASCADE",
            entity.table
        ),
    ];
    Table {
        comment: vec![
            "-- One-time codes sent by email: email verification codes and password reset tokens.".to_owned(),
            "-- Only hashes are stored; a code is deleted when it is used.".to_owned(),
        ],
        name: "auth_codes".to_owned(),
        items: with_commas(&items),
        suffix: t.suffix,
        after: vec![
            "CREATE INDEX auth_codes_code_hash_idx ON auth_codes (code_hash);".to_owned(),
            "CREATE INDEX auth_codes_expires_at_idx ON auth_codes (expires_at);".to_owned(),
        ],
    }
}

fn rate_limits_table(dialect: Dialect) -> Table {
    let t = types(dialect);
    let items = [
        "-- SHA-256 (hex) of the limit's name and its subject (an email address or a client".to_owned(),
        "-- address), so the table holds no addresses in the clear.".to_owned(),
        "key TEXT NOT NULL PRIMARY KEY".to_owned(),
        "-- Start of the current fixed window, in seconds since 1970 (UTC).".to_owned(),
        format!("window_start {} NOT NULL", t.integer),
        "-- Hits counted in that window.".to_owned(),
        format!("hits {} NOT NULL", t.integer),
        format!("updated_at {} NOT NULL", t.instant),
    ];
    Table {
        comment: vec![
            "-- Rate-limit counters of the sign-in endpoints: one row per limit and subject, updated"
                .to_owned(),
            "-- atomically with an UPSERT, so the limits hold across replicas. A counter, not a record:"
                .to_owned(),
            "-- no created_at.".to_owned(),
        ],
        name: "rate_limits".to_owned(),
        items: with_commas(&items),
        suffix: t.suffix,
        after: vec!["CREATE INDEX rate_limits_updated_at_idx ON rate_limits (updated_at);".to_owned()],
    }
}

/// Indents table items and puts commas after every definition but the last (comment lines
/// get none).
fn with_commas(items: &[String]) -> Vec<String> {
    let last = items.iter().rposition(|item| !item.starts_with("--"));
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let comma = if item.starts_with("--") || Some(i) == last { "" } else { "," };
            format!("    {item}{comma}")
        })
        .collect()
}

/// Splits SQL after commas into lines of at most 90 columns.
fn wrap(sql: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for item in sql.split(", ") {
        if !line.is_empty() && line.len() + 2 + item.len() > 90 {
            line.push(',');
            lines.push(std::mem::take(&mut line));
        } else if !line.is_empty() {
            line.push_str(", ");
        }
        line.push_str(item);
    }
    lines.push(line);
    lines
}

/// Lines inside a `"\` string: every line but the last ends with ` \`.
fn continued(lines: &[String]) -> Vec<String> {
    let count = lines.len();
    lines
        .iter()
        .enumerate()
        .map(|(i, l)| if i + 1 < count { format!("{l} \\") } else { l.clone() })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_use_the_largest_exact_unit() {
        assert_eq!(duration_words(2_592_000), "30 days");
        assert_eq!(duration_words(86_400), "1 day");
        assert_eq!(duration_words(5_400), "90 minutes");
        assert_eq!(duration_words(61), "61 seconds");
    }

    #[test]
    fn commas_skip_comments_and_the_last_item() {
        let items = ["a".to_owned(), "-- note".to_owned(), "b".to_owned(), "-- tail".to_owned()];
        assert_eq!(with_commas(&items), ["    a,", "    -- note", "    b", "    -- tail"]);
    }
}
