//! View models of the sign-in subsystem (`src/auth/`, `src/email.rs`, `src/rate_limit.rs`)
//! and the tables it keeps: sessions, one-time codes and rate-limit counters.
//!
//! Everything here exists only when the spec has a sign-in entity (`app.auth`). The
//! generated code never derives a name: the sign-in entity's module, table, email column,
//! the roles and the password rules are computed here from the IR.

use askama::Template;
use serde_json::{Value as Json, json};
use specgen_ir::{Action, App, Caller, Decision, Entity, Permissions, Role, Who};

use crate::Files;
use crate::layout::{self, continued, wrap_sql};
use crate::names::{self, rust_str, sql_str};
use crate::readme;
use crate::sql::{Dialect, Table};
use crate::testgen::HelpersView;

/// Adds the files of the security layer (always) and of sign-in (with a sign-in entity).
pub(crate) fn add_files(out: &mut Files, app: &App, header: &str) {
    out.add("src/security.rs", &SecurityRs { header });
    let has_auth = app.auth.is_some();
    out.add("src/access.rs", &AccessRs { header, has_auth });
    let Some(a) = AuthView::new(app) else {
        return;
    };
    let a = &a;
    let (name, spec_file) = (app.name.as_str(), app.spec_file.as_str());
    out.add(
        "src/auth/mod.rs",
        &AuthMod {
            header,
            spec_file,
            a,
        },
    );
    out.add("src/auth/accounts.rs", &AuthAccounts { header, a });
    out.add("src/auth/admin.rs", &AuthAdmin { header, name, a });
    out.add("src/auth/codes.rs", &AuthCodes { header });
    out.add(
        "src/auth/password.rs",
        &AuthPassword {
            header,
            spec_file,
            a,
        },
    );
    out.add("src/auth/routes.rs", &AuthRoutes { header, a });
    out.add("src/auth/session.rs", &AuthSession { header, a });
    out.add("src/email.rs", &EmailRs { header });
    out.add("src/rate_limit.rs", &RateLimitRs { header });
}

/// The test modules of the security layer and of sign-in.
pub(crate) fn test_modules(app: &App) -> Vec<&'static str> {
    if app.auth.is_some() {
        vec!["access", "auth", "auth_support", "security", "smtp"]
    } else {
        vec!["security"]
    }
}

/// Adds the generated tests of security headers, sign-in and the access matrix.
pub(crate) fn add_test_files(out: &mut Files, app: &App, header: &str, helpers: &HelpersView) {
    let crate_name = app.crate_name.as_str();
    let has_auth = app.auth.is_some();
    out.add(
        "tests/api/security.rs",
        &TestsSecurity {
            header,
            crate_name,
            has_auth,
        },
    );
    let Some(a) = AuthView::new(app) else {
        return;
    };
    let a = &a;
    let name = app.name.as_str();
    out.add("tests/api/auth.rs", &TestsAuth { header, a });
    out.add(
        "tests/api/auth_support.rs",
        &TestsAuthSupport {
            header,
            crate_name,
            name,
            a,
        },
    );
    out.add("tests/api/smtp.rs", &TestsSmtp { header });
    let access = crate::access_tests::AccessTests::new(app, helpers);
    out.add(
        "tests/api/access.rs",
        &TestsAccess {
            header,
            spec_file: &app.spec_file,
            t: &access,
        },
    );
}

#[derive(Template)]
#[template(path = "backend/tests/api/security.rs")]
struct TestsSecurity<'a> {
    header: &'a str,
    crate_name: &'a str,
    has_auth: bool,
}

#[derive(Template)]
#[template(path = "backend/tests/api/auth.rs")]
struct TestsAuth<'a> {
    header: &'a str,
    a: &'a AuthView,
}

#[derive(Template)]
#[template(path = "backend/tests/api/auth_support.rs")]
struct TestsAuthSupport<'a> {
    header: &'a str,
    crate_name: &'a str,
    name: &'a str,
    a: &'a AuthView,
}

#[derive(Template)]
#[template(path = "backend/tests/api/smtp.rs")]
struct TestsSmtp<'a> {
    header: &'a str,
}

#[derive(Template)]
#[template(path = "backend/tests/api/access.rs")]
struct TestsAccess<'a> {
    header: &'a str,
    spec_file: &'a str,
    t: &'a crate::access_tests::AccessTests,
}

#[derive(Template)]
#[template(path = "backend/src/security.rs")]
struct SecurityRs<'a> {
    header: &'a str,
}

#[derive(Template)]
#[template(path = "backend/src/access.rs")]
struct AccessRs<'a> {
    header: &'a str,
    has_auth: bool,
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
    /// Name of the administrator role (`admin`).
    pub admin_role_name: String,
    /// JSON names of the fields a new account may not set at sign-up (`set by` others).
    pub sign_up_unsettable: Vec<String>,
    /// The `--set` arguments of the README's `create-admin` example: the fields a new account
    /// needs besides its email.
    pub admin_example_sets: String,
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
        let variant =
            |role: Option<&Role>| role.map_or_else(String::new, |r| names::enum_variant(&r.name));
        let roles: Vec<RoleView> = app.roles.iter().map(role_view).collect();
        let variants: Vec<String> = roles
            .iter()
            .map(|r| format!("Role::{}", r.variant))
            .collect();
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
            [
                "password_hash",
                "role",
                "email_verified_at",
                "created_at",
                "updated_at",
            ]
            .map(String::from),
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
        let mut insert_lines = continued(&wrap_sql(&format!(
            "INSERT INTO {} ({})",
            entity.table,
            columns.join(", ")
        )));
        if let Some(last) = insert_lines.last_mut() {
            last.push_str(" \\");
        }
        insert_lines.extend(continued(&wrap_sql(&format!(
            "VALUES ({})",
            placeholders.join(", ")
        ))));

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
        let items = format!("self, {}", entity_items.join(", "));
        let one_line = format!("use crate::http::{}::{{{items}}};", entity.plural_snake);
        let entity_use = if layout::fits(0, &[&one_line]) {
            one_line
        } else if layout::fits(4, &[&items, ","]) {
            format!(
                "use crate::http::{}::{{\n    {items},\n}};",
                entity.plural_snake
            )
        } else {
            let lines: Vec<String> = items.split(", ").map(|i| format!("    {i},")).collect();
            format!(
                "use crate::http::{}::{{\n{}\n}};",
                entity.plural_snake,
                lines.join("\n")
            )
        };
        let mut http_uses = vec![
            "use crate::http::extract::{AppJson, EntityId};".to_owned(),
            entity_use,
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
            default_role_name: app
                .default_role()
                .map_or_else(String::new, |r| r.name.clone()),
            admin_role_name: app
                .admin_role()
                .map_or_else(String::new, |r| r.name.clone()),
            sign_up_unsettable: entity
                .fields
                .iter()
                .filter(|f| {
                    !f.settable_by.is_empty()
                        && GrantView::of_field(app, &f.settable_by).decide(None) == Decision::Deny
                })
                .map(|f| f.json.clone())
                .collect(),
            admin_example_sets: entity
                .fields
                .iter()
                .filter(|f| f.required && f.default.is_none() && f.ident != email.ident)
                .map(|f| match f.ty {
                    specgen_ir::FieldType::Text { .. } => {
                        format!(" --set {}='\"Your {}\"'", f.json, f.name)
                    }
                    _ => format!(" --set {}=<value>", f.json),
                })
                .collect(),
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
    RoleView {
        variant: names::enum_variant(&role.name),
        name: role.name.clone(),
        doc,
    }
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
        if seconds >= size && seconds.is_multiple_of(size) {
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
    vec![
        sessions_table(entity, dialect),
        codes_table(entity, dialect),
        rate_limits_table(dialect),
    ]
}

struct Types {
    id: &'static str,
    instant: &'static str,
    integer: &'static str,
    suffix: &'static str,
}

fn types(dialect: Dialect) -> Types {
    match dialect {
        Dialect::Sqlite => Types {
            id: "TEXT",
            instant: "TEXT",
            integer: "INTEGER",
            suffix: " STRICT",
        },
        Dialect::Postgres => Types {
            id: "UUID",
            instant: "TIMESTAMPTZ",
            integer: "BIGINT",
            suffix: "",
        },
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
        "-- SHA-256 of the bearer token, lowercase hex. The token itself is never stored."
            .to_owned(),
        "token_hash TEXT NOT NULL".to_owned(),
        "-- Fixed at sign-in: the session lasts the spec's `session` lifetime, then ends."
            .to_owned(),
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
            format!(
                "-- Sign-in sessions of {}: one row per signed-in device. Signing out deletes",
                entity.plural_words
            ),
            "-- the row; deleting the account deletes its sessions. Kept in the database so every"
                .to_owned(),
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
        "-- SHA-256 (lowercase hex) of the code, salted with the account id for 6-digit codes."
            .to_owned(),
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
            "-- One-time codes sent by email: email verification codes and password reset tokens."
                .to_owned(),
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
        "-- SHA-256 (hex) of the limit's name and its subject (an email address or a client"
            .to_owned(),
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
            let comma = if item.starts_with("--") || Some(i) == last {
                ""
            } else {
                ","
            };
            format!("    {item}{comma}")
        })
        .collect()
}

/// What one entity's module prints about access: its `ACCESS` rules, the fields only some
/// callers may see or set, and how to find a record's owner.
#[derive(Debug, Clone)]
pub struct EntityAccess {
    /// The doc line above `ACCESS`.
    pub doc: String,
    /// `const ACCESS: access::Access = ...;`, laid out.
    pub access_const: String,
    /// `pub(crate) const VISIBLE: &[access::FieldRule] = ...;`, laid out.
    pub visible_const: String,
    /// `const SETTABLE: ...`, laid out.
    pub settable_const: String,
    pub has_settable: bool,
    /// `Some("owner_id")`, `Some("id")` (the sign-in entity: each account owns itself) or
    /// `None`.
    pub owner_column: String,
    /// The signature and body of `owner_of`.
    pub owner_of: String,
    /// What `owner_of` says in its doc comment.
    pub owner_doc: String,
}

impl EntityAccess {
    pub fn new(app: &App, entity: &Entity) -> EntityAccess {
        let grants: Vec<String> = Action::ALL
            .iter()
            .map(|&action| {
                GrantView::of(app, &entity.permissions, action).literal(
                    4,
                    &format!("{}: ", action.as_str()),
                    ",",
                )
            })
            .collect();
        let lines: Vec<String> = entity
            .access
            .iter()
            .map(|rule| rule.line.to_string())
            .collect();
        let from = match lines.len() {
            0 => format!("{} has no access lines: admins only", entity.name),
            1 => format!("{} line {}", app.spec_file, lines[0]),
            _ => format!("{} lines {}", app.spec_file, lines.join(", ")),
        };
        let doc = doc_comment(&format!(
            "Who may do what with {} ({from}), as `specgen explain` shows it.",
            entity.plural_words
        ));
        let access_const = format!(
            "const ACCESS: access::Access = access::Access {{\n{}\n}};",
            grants.join("\n")
        );
        let rules = |head: &str, pick: &dyn Fn(&specgen_ir::Field) -> &[Who]| -> (String, bool) {
            let fields: Vec<&specgen_ir::Field> = entity
                .fields
                .iter()
                .filter(|f| !pick(f).is_empty())
                .collect();
            // rustfmt lets a lone struct literal overflow the brackets: `&[Rule {` .. `}];`.
            let indent = if fields.len() == 1 { 0 } else { 4 };
            let pad = " ".repeat(indent);
            let literals: Vec<String> = fields
                .iter()
                .map(|f| {
                    let grant =
                        GrantView::of_field(app, pick(f)).literal(indent + 4, "grant: ", ",");
                    format!(
                        "{pad}access::FieldRule {{\n{pad}    field: {},\n{grant}\n{pad}}}",
                        rust_str(&f.json)
                    )
                })
                .collect();
            match literals.as_slice() {
                [] => (format!("{head} &[];"), false),
                [one] => (format!("{head} &[{}];", one.trim_start()), true),
                many => (format!("{head} &[\n{},\n];", many.join(",\n")), true),
            }
        };
        let (visible_const, _) = rules("pub(crate) const VISIBLE: &[access::FieldRule] =", &|f| {
            &f.visible_to
        });
        let (settable_const, has_settable) =
            rules("const SETTABLE: &[access::FieldRule] =", &|f| {
                &f.settable_by
            });

        let name = &entity.name;
        let owner = entity.owner.as_ref().and_then(|ident| entity.field(ident));
        let signature = |param: &str| {
            layout::signature(
                0,
                "fn owner_of(",
                &[format!("{param}: &{name}")],
                ") -> Option<Uuid> {",
            )
        };
        let (owner_column, owner_of, owner_doc) = match (owner, entity.is_auth) {
            (Some(field), _) => (
                format!("Some({})", rust_str(&field.column)),
                format!("{}\n    Some(row.{})\n}}", signature("row"), field.ident),
                format!(
                    "its `{}`, set to the signed-in user who created it",
                    field.json
                ),
            ),
            (None, true) => (
                "Some(\"id\")".to_owned(),
                format!("{}\n    Some(row.id)\n}}", signature("row")),
                "each account owns itself".to_owned(),
            ),
            (None, false) => (
                "None".to_owned(),
                format!("{}\n    None\n}}", signature("_row")),
                format!("nobody: {} have no owner field", entity.plural_words),
            ),
        };
        EntityAccess {
            doc,
            access_const,
            visible_const,
            settable_const,
            has_settable,
            owner_column,
            owner_of,
            owner_doc,
        }
    }
}

/// Who may perform one action, in the form the generated `access::Grant` takes, computed
/// with [`Permissions::decide`] for the anonymous caller and every role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantView {
    /// Callers who are not signed in may (on every record).
    pub anyone: bool,
    /// Names of the roles that may act on every record, in spec order.
    pub roles: Vec<String>,
    /// Signed-in callers of the other roles may act on their own records.
    pub owner: bool,
}

impl GrantView {
    /// The grant of `action`.
    /// Without a sign-in entity nobody signs in, so only the anonymous caller counts.
    pub fn of(app: &App, permissions: &Permissions, action: Action) -> GrantView {
        let decide = |role: &Role| permissions.decide(action, Caller::Signed(&role.name));
        let roles: &[Role] = if app.auth.is_some() { &app.roles } else { &[] };
        GrantView {
            anyone: permissions.decide(action, Caller::Anonymous) == Decision::All,
            roles: roles
                .iter()
                .filter(|role| decide(role) == Decision::All)
                .map(|role| role.name.clone())
                .collect(),
            owner: roles.iter().any(|role| decide(role) == Decision::Own),
        }
    }

    /// The grant of a field rule (`visible to` / `set by`): `who` as an action's list, with
    /// the admin role added (admins may do anything). Empty: everyone who may act on the row.
    pub fn of_field(app: &App, who: &[Who]) -> GrantView {
        let mut list = who.to_vec();
        if let Some(admin) = app.admin_role() {
            list.push(Who::Role(admin.name.clone()));
        }
        let permissions = Permissions {
            read: list,
            ..Permissions::default()
        };
        GrantView::of(app, &permissions, Action::Read)
    }

    /// What the generated code decides for a caller: anonymous (`None`) or a role.
    pub fn decide(&self, role: Option<&str>) -> Decision {
        match role {
            None if self.anyone => Decision::All,
            None => Decision::Deny,
            Some(_) if self.anyone => Decision::All,
            Some(role) if self.roles.iter().any(|r| r == role) => Decision::All,
            Some(_) if self.owner => Decision::Own,
            Some(_) => Decision::Deny,
        }
    }

    /// The `Grant { .. }` literal at `indent`, after `head` (`list: `), ending in `tail`.
    pub fn literal(&self, indent: usize, head: &str, tail: &str) -> String {
        let roles: Vec<String> = self
            .roles
            .iter()
            .map(|r| format!("access::Role::{}", names::enum_variant(r)))
            .collect();
        let pad = " ".repeat(indent + 4);
        let roles = layout::array(indent + 4, "roles: &[", &roles, "],");
        format!(
            "{}{head}access::Grant {{\n{pad}anyone: {},\n{roles}\n{pad}owner: {},\n{}}}{tail}",
            " ".repeat(indent),
            self.anyone,
            self.owner,
            " ".repeat(indent),
        )
    }
}

/// The OpenAPI additions of sign-in: its paths, its schemas and the bearer security
/// scheme. `new_record` is the schema of the sign-in entity's create body (`New<Entity>`),
/// which sign-up extends with `password`.
pub struct AuthApi {
    pub paths: Vec<(String, Json)>,
    pub schemas: Vec<(String, Json)>,
}

/// The security scheme every protected operation names.
pub const SECURITY_SCHEME: &str = "bearer";

impl AuthApi {
    pub fn new(app: &App, new_record: &Json) -> Option<AuthApi> {
        let a = AuthView::new(app)?;
        let role_names: Vec<String> = app.roles.iter().map(|r| r.name.clone()).collect();
        let password = json!({
            "type": "string", "minLength": a.password_min, "maxLength": a.password_max,
            "description": format!("{} to {} characters.", a.password_min, a.password_max),
        });
        let email = json!({ "type": "string", "maxLength": 254 });

        let mut sign_up = new_record.clone();
        if let Some(object) = sign_up.as_object_mut() {
            object.insert(
                "description".into(),
                json!(format!(
                    "The fields of a new {} and a password. New accounts get the role `{}`.",
                    a.words, a.default_role_name
                )),
            );
            if let Some(properties) = object.get_mut("properties").and_then(Json::as_object_mut) {
                properties.insert("password".into(), password.clone());
            }
            if let Some(required) = object.get_mut("required").and_then(Json::as_array_mut) {
                required.push(json!("password"));
            } else {
                object.insert("required".into(), json!(["password"]));
            }
        }
        let object = |properties: Json, required: &[&str]| {
            json!({
                "type": "object", "required": required, "properties": properties,
                "additionalProperties": false,
            })
        };
        let schemas = vec![
            ("SignUp".to_owned(), sign_up),
            (
                "SignIn".to_owned(),
                object(
                    json!({ "email": email, "password": { "type": "string" } }),
                    &["email", "password"],
                ),
            ),
            (
                "Role".to_owned(),
                json!({ "type": "string", "enum": role_names }),
            ),
            (
                "Me".to_owned(),
                json!({
                    "description": format!("The signed-in {}: its fields, its role and whether its email address is verified.", a.words),
                    "allOf": [
                        { "$ref": format!("#/components/schemas/{}", a.entity) },
                        {
                            "type": "object", "required": ["role", "email_verified"],
                            "properties": {
                                "role": { "$ref": "#/components/schemas/Role" },
                                "email_verified": { "type": "boolean" },
                            },
                        },
                    ],
                }),
            ),
            (
                "Session".to_owned(),
                json!({
                    "type": "object", "required": ["token", "expires_at", "user"],
                    "properties": {
                        "token": { "type": "string", "description": format!(
                            "Send as `Authorization: Bearer <token>`. 256 random bits; valid for {}.", a.session_words) },
                        "expires_at": { "type": "string", "format": "date-time" },
                        "user": { "$ref": "#/components/schemas/Me" },
                    },
                    "additionalProperties": false,
                }),
            ),
            (
                "Accepted".to_owned(),
                object(json!({ "message": { "type": "string" } }), &["message"]),
            ),
            (
                "PasswordChange".to_owned(),
                object(
                    json!({ "current_password": { "type": "string" }, "new_password": password }),
                    &["current_password", "new_password"],
                ),
            ),
            (
                "EmailAddress".to_owned(),
                object(json!({ "email": email }), &["email"]),
            ),
            (
                "PasswordReset".to_owned(),
                object(
                    json!({ "token": { "type": "string", "description": "From the reset email." }, "password": password }),
                    &["token", "password"],
                ),
            ),
            (
                "RoleChange".to_owned(),
                object(
                    json!({ "role": { "$ref": "#/components/schemas/Role" } }),
                    &["role"],
                ),
            ),
            (
                "RoleOfAccount".to_owned(),
                object(
                    json!({ "id": { "type": "string", "format": "uuid" }, "role": { "$ref": "#/components/schemas/Role" } }),
                    &["id", "role"],
                ),
            ),
        ];

        let secured = json!([{ SECURITY_SCHEME: [] }]);
        let op = |id: &str, summary: &str, body: Option<&str>, responses: Json, secure: bool| {
            let mut operation = json!({
                "operationId": id, "summary": summary, "tags": ["auth"], "responses": responses,
            });
            if let Some(body) = body {
                operation["requestBody"] =
                    json!({ "required": true, "content": content(reference(body)) });
            }
            operation["security"] = if secure { secured.clone() } else { json!([]) };
            json!({ "post": operation })
        };
        let mut paths = Vec::new();
        let sign_up_answer = if a.verify_email {
            json!({
                "202": { "description": "The account is created (or the address is taken: the answer is the same) and a verification code is emailed.", "content": content(reference("Accepted")) },
                "422": error("Invalid fields or password."),
                "429": limited(),
            })
        } else {
            json!({
                "201": { "description": "The account, signed in.", "content": content(reference("Session")) },
                "409": error("An account uses this email address."),
                "422": error("Invalid fields or password."),
                "429": limited(),
            })
        };
        paths.push((
            "/api/auth/sign-up".to_owned(),
            op(
                "sign_up",
                "Create an account",
                Some("SignUp"),
                sign_up_answer,
                false,
            ),
        ));
        let mut sign_in_answer = json!({
            "200": { "description": "A new session.", "content": content(reference("Session")) },
            "401": error("Wrong email or password (the same answer for unknown addresses)."),
            "422": error("Missing fields."),
            "429": limited(),
        });
        if a.verify_email {
            sign_in_answer["403"] = error(
                "`email_not_verified`: the password is right but the address is not verified; a new code is emailed.",
            );
        }
        paths.push((
            "/api/auth/sign-in".to_owned(),
            op(
                "sign_in",
                "Sign in with email and password",
                Some("SignIn"),
                sign_in_answer,
                false,
            ),
        ));
        let ended = json!({ "204": { "description": "Done." }, "401": error("Not signed in.") });
        paths.push((
            "/api/auth/sign-out".to_owned(),
            op("sign_out", "End this session", None, ended.clone(), true),
        ));
        paths.push((
            "/api/auth/sign-out-everywhere".to_owned(),
            op(
                "sign_out_everywhere",
                "End every session of the account",
                None,
                ended,
                true,
            ),
        ));
        paths.push((
            "/api/auth/me".to_owned(),
            json!({ "get": {
                "operationId": "me", "summary": "The signed-in account", "tags": ["auth"],
                "security": secured.clone(),
                "responses": {
                    "200": { "description": "The account.", "content": content(reference("Me")) },
                    "401": error("Not signed in."),
                },
            }}),
        ));
        paths.push((
            "/api/auth/password".to_owned(),
            op("change_password", "Change the password; ends every other session", Some("PasswordChange"), json!({
                "204": { "description": "Changed." },
                "401": error("Not signed in."),
                "422": error("The current password is wrong (`incorrect`) or the new one breaks the rules."),
                "429": limited(),
            }), true),
        ));
        if a.verify_email {
            paths.push((
                "/api/auth/verify-email".to_owned(),
                op("verify_email", "Verify the email address with the emailed code", Some("VerifyEmail"), json!({
                    "204": { "description": "Verified; the account can sign in." },
                    "422": error("The code is wrong, used or expired (`invalid`); after 5 wrong tries a new code is needed."),
                    "429": limited(),
                }), false),
            ));
            paths.push((
                "/api/auth/verify-email/resend".to_owned(),
                op("resend_verification", "Email a new verification code", Some("EmailAddress"), json!({
                    "202": { "description": "The same answer whether or not the account exists.", "content": content(reference("Accepted")) },
                    "429": limited(),
                }), false),
            ));
        }
        paths.push((
            "/api/auth/password-reset".to_owned(),
            op("request_password_reset", "Email a single-use password reset token", Some("EmailAddress"), json!({
                "202": { "description": "The same answer whether or not the account exists.", "content": content(reference("Accepted")) },
                "429": limited(),
            }), false),
        ));
        paths.push((
            "/api/auth/password-reset/confirm".to_owned(),
            op("confirm_password_reset", "Set a new password with the reset token; ends every session", Some("PasswordReset"), json!({
                "204": { "description": "The password is set." },
                "422": error("The token is wrong, used or expired (`invalid`), or the password breaks the rules."),
                "429": limited(),
            }), false),
        ));
        let mut role = op(
            "set_role",
            "Change an account's role (admins only)",
            Some("RoleChange"),
            json!({
                "200": { "description": "The new role.", "content": content(reference("RoleOfAccount")) },
                "401": error("Not signed in."),
                "403": error("Only admins change roles."),
                "404": error("No such account."),
                "409": error("The last admin cannot lose the role."),
                "422": error("Not a role."),
            }),
            true,
        );
        let operation = role["post"].take();
        role = json!({
            "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "string", "format": "uuid" } }],
            "put": operation,
        });
        paths.push((format!("{}/{{id}}/role", a.route), role));
        let mut schemas = schemas;
        if a.verify_email {
            schemas.push((
            "VerifyEmail".to_owned(),
            object(json!({ "email": email, "code": { "type": "string", "description": "The 6 digits from the email." } }), &["email", "code"]),
        ));
        }
        Some(AuthApi { paths, schemas })
    }
}

/// `{"$ref": ...}` to a schema.
fn reference(name: &str) -> Json {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn content(schema: Json) -> Json {
    json!({ "application/json": { "schema": schema } })
}

fn error(description: &str) -> Json {
    json!({ "description": description, "content": content(reference("Error")) })
}

/// A 429 with its `Retry-After`.
pub fn limited() -> Json {
    json!({
        "description": "Too many attempts (`rate_limited`); retry after `Retry-After` seconds.",
        "headers": { "Retry-After": { "schema": { "type": "integer" }, "description": "Seconds until the limit resets." } },
        "content": content(reference("Error")),
    })
}

/// The settings of the security layer and of sign-in, in the order `.env.example` lists them
/// (after the base settings).
pub fn settings(app: &App) -> Vec<readme::Setting> {
    let mut settings = vec![
        readme::Setting {
            name: "CORS_ALLOWED_ORIGINS",
            doc: "Comma-separated origins whose web pages may call the API from a browser \
                  (https://app.example.com), or * for any. Unset: none.",
            example: "https://app.example.com".to_owned(),
            comment: "# ",
            default: "none (same origin only)".to_owned(),
        },
        readme::Setting {
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
            readme::Setting {
                name: "SMTP_URL",
                doc: "The mail server for verification codes and reset tokens, with credentials: \
                      smtps://user:password@host (TLS) or smtp://host:587?tls=required. Unset: \
                      email goes to OUTBOX_DIR instead. Required in production.",
                example: "smtps://user:password@smtp.example.com".to_owned(),
                comment: "# ",
                default: "none: the development outbox".to_owned(),
            },
            readme::Setting {
                name: "EMAIL_FROM",
                doc: "The sender of the app's email, e.g. App <no-reply@example.com>. Required \
                      with SMTP_URL.",
                example: "\"App <no-reply@example.com>\"".to_owned(),
                comment: "# ",
                default: "`no-reply@localhost` (outbox only)".to_owned(),
            },
            readme::Setting {
                name: "OUTBOX_DIR",
                doc: "Where email goes without SMTP_URL: one .eml file per message (and a log line).",
                example: "data/outbox".to_owned(),
                comment: "",
                default: "`data/outbox`".to_owned(),
            },
            readme::Setting {
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

/// Who may perform `action` on `entity`, in words, for the README and the OpenAPI document:
/// "anyone", or the roles that may on every record, then those limited to their own.
pub fn who_may(app: &App, entity: &Entity, action: Action) -> String {
    let decisions: Vec<(&Role, Decision)> = app
        .roles
        .iter()
        .map(|role| {
            (
                role,
                entity
                    .permissions
                    .decide(action, Caller::Signed(&role.name)),
            )
        })
        .collect();
    if entity.permissions.decide(action, Caller::Anonymous) == Decision::All {
        return "anyone".to_owned();
    }
    let names = |wanted: Decision| -> Vec<String> {
        decisions
            .iter()
            .filter(|(_, decision)| *decision == wanted)
            .map(|(role, _)| role.plural.clone())
            .collect()
    };
    let all = names(Decision::All);
    let own = names(Decision::Own);
    let mut parts = Vec::new();
    if app.auth.is_none() {
        return "nobody (the app has no sign-in)".to_owned();
    }
    if all.len() == app.roles.len() {
        return "signed-in users".to_owned();
    }
    if !all.is_empty() {
        parts.push(all.join(", "));
    }
    if !own.is_empty() {
        let record = if entity.is_auth { "account" } else { "records" };
        parts.push(format!("{}: their own {record}", own.join(", ")));
    }
    if parts.is_empty() {
        "nobody".to_owned()
    } else {
        parts.join("; ")
    }
}

/// Adds to an entity's OpenAPI operations who may call them: the bearer security
/// requirement (optional where anyone may), the 401 and 403 answers, and a "Who may" line.
pub fn annotate_operations(app: &App, entity: &Entity, collection: &mut Json, item: &mut Json) {
    for (path, method, action) in [
        (0, "get", Action::List),
        (0, "post", Action::Create),
        (1, "get", Action::Read),
        (1, "patch", Action::Update),
        (1, "delete", Action::Delete),
    ] {
        let target = if path == 0 {
            &mut *collection
        } else {
            &mut *item
        };
        let Some(operation) = target.get_mut(method).and_then(Json::as_object_mut) else {
            continue;
        };
        let who = who_may(app, entity, action);
        let open = who == "anyone";
        let description = operation
            .get("description")
            .and_then(Json::as_str)
            .map_or_else(String::new, |d| format!("{d}\n\n"));
        operation.insert(
            "description".into(),
            json!(format!("{description}Who may: {who}.")),
        );
        if app.auth.is_none() {
            continue;
        }
        let security = if open {
            json!([{}, { SECURITY_SCHEME: [] }])
        } else {
            json!([{ SECURITY_SCHEME: [] }])
        };
        operation.insert("security".into(), security);
        if let Some(responses) = operation.get_mut("responses").and_then(Json::as_object_mut) {
            responses.insert(
                "401".into(),
                error("Not signed in (or the session token is invalid or expired)."),
            );
            if !open {
                responses.insert(
                    "403".into(),
                    error("Signed in, but the caller's role may not do this."),
                );
            }
        }
    }
}

/// `components.securitySchemes` of the OpenAPI document.
pub fn security_schemes() -> Json {
    json!({ SECURITY_SCHEME: {
        "type": "http",
        "scheme": "bearer",
        "description": "A session token from `POST /api/auth/sign-in`: `Authorization: Bearer <token>`.",
    }})
}

/// A field rule (`visible to`, `set by`) in words, admins included; `None` when empty.
pub fn field_rule_words(app: &App, who: &[Who]) -> Option<String> {
    if who.is_empty() {
        return None;
    }
    let grant = GrantView::of_field(app, who);
    let mut parts: Vec<String> = app
        .roles
        .iter()
        .filter(|role| grant.roles.contains(&role.name))
        .map(|role| role.plural.clone())
        .collect();
    if grant.owner {
        parts.push("the owner".to_owned());
    }
    Some(parts.join(", "))
}

/// `text` as `///` lines of at most 100 columns.
fn doc_comment(text: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::from("///");
    for word in text.split_whitespace() {
        if line.len() > 3 && line.len() + 1 + word.len() > 100 {
            lines.push(std::mem::replace(&mut line, String::from("///")));
        }
        line.push(' ');
        line.push_str(word);
    }
    lines.push(line);
    lines.join("\n")
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
        let items = [
            "a".to_owned(),
            "-- note".to_owned(),
            "b".to_owned(),
            "-- tail".to_owned(),
        ];
        assert_eq!(
            with_commas(&items),
            ["    a,", "    -- note", "    b", "    -- tail"]
        );
    }

    /// The generated check decides exactly what `Permissions::decide` decides, for every
    /// entity, action and caller of the examples.
    #[test]
    fn grants_decide_like_the_ir() {
        let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
        let mut files = std::collections::BTreeMap::new();
        for name in [
            "studio-bookings",
            "shop",
            "task-tracker",
            "publishing",
            "publishing/taxonomy",
        ] {
            let path = format!("{name}.spec");
            let text = std::fs::read_to_string(examples.join(&path)).expect("an example");
            files.insert(path, text);
        }
        let loader = specgen_lower::MemoryLoader(files);
        for spec in ["studio-bookings", "shop", "task-tracker", "publishing"] {
            let compiled = specgen_lower::compile(&format!("{spec}.spec"), &loader);
            let app = compiled
                .app
                .unwrap_or_else(|| panic!("{spec}: {:?}", compiled.diagnostics));
            for entity in &app.entities {
                for action in Action::ALL {
                    let grant = GrantView::of(&app, &entity.permissions, action);
                    assert_eq!(
                        grant.decide(None),
                        entity.permissions.decide(action, Caller::Anonymous),
                        "{spec} {} {action:?} anonymous",
                        entity.name
                    );
                    for role in &app.roles {
                        assert_eq!(
                            grant.decide(Some(&role.name)),
                            entity
                                .permissions
                                .decide(action, Caller::Signed(&role.name)),
                            "{spec} {} {action:?} {}",
                            entity.name,
                            role.name
                        );
                    }
                }
            }
        }
    }
}
