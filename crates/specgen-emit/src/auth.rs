//! View models of the sign-in subsystem (`src/auth/`, `src/email.rs`, `src/rate_limit.rs`)
//! and the tables it keeps: sessions, one-time codes and rate-limit counters.
//!
//! Everything here exists only when the spec has a sign-in entity (`app.auth`). The
//! generated code never derives a name: the sign-in entity's module, table, email column,
//! the roles and the password rules are computed here from the IR.

use askama::Template;
use specgen_ir::{App, Role};

use crate::facts::auth::AuthFacts;
use crate::facts::text::capitalize;
use crate::files::Files;
use crate::layout::{self, continued, wrap_sql};
use crate::names::{self, rust_str};

/// Adds the files of the security layer (always) and of sign-in (with a sign-in entity).
pub(crate) fn add_files(out: &mut Files, app: &App, auth: Option<&AuthFacts>, header: &str) {
    out.add("src/security.rs", &SecurityRs { header });
    let has_auth = app.auth.is_some();
    out.add("src/access.rs", &AccessRs { header, has_auth });
    let (Some(a), Some(v)) = (auth, AuthView::new(app)) else {
        return;
    };
    let v = &v;
    let (name, spec_file) = (app.name.as_str(), app.spec_file.as_str());
    out.add(
        "src/auth/mod.rs",
        &AuthMod {
            header,
            spec_file,
            a,
            v,
        },
    );
    out.add("src/auth/accounts.rs", &AuthAccounts { header, a, v });
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
    out.add("src/auth/routes.rs", &AuthRoutes { header, a, v });
    out.add("src/auth/session.rs", &AuthSession { header, a, v });
    out.add("src/email.rs", &EmailRs { header });
    out.add("src/rate_limit.rs", &RateLimitRs { header });
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
    a: &'a AuthFacts,
    v: &'a AuthView,
}

#[derive(Template)]
#[template(path = "backend/src/auth/accounts.rs")]
struct AuthAccounts<'a> {
    header: &'a str,
    a: &'a AuthFacts,
    v: &'a AuthView,
}

#[derive(Template)]
#[template(path = "backend/src/auth/admin.rs")]
struct AuthAdmin<'a> {
    header: &'a str,
    name: &'a str,
    a: &'a AuthFacts,
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
    a: &'a AuthFacts,
}

#[derive(Template)]
#[template(path = "backend/src/auth/routes.rs")]
struct AuthRoutes<'a> {
    header: &'a str,
    a: &'a AuthFacts,
    v: &'a AuthView,
}

#[derive(Template)]
#[template(path = "backend/src/auth/session.rs")]
struct AuthSession<'a> {
    header: &'a str,
    a: &'a AuthFacts,
    v: &'a AuthView,
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

/// The code of the sign-in subsystem that the templates print beside its facts
/// ([`AuthFacts`]): role variants, constants and the account `INSERT`.
#[derive(Debug, Clone)]
pub struct AuthView {
    pub roles: Vec<RoleView>,
    /// Variant of the role sign-ups get.
    pub default_role: String,
    /// Variant of the administrator role.
    pub admin_role: String,
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
    /// Lines of the one query of `GET /api/auth/me` (inside a `"\` string): the session of a
    /// token with its account's record.
    pub me_lines: Vec<String>,
    /// The account's unique fields besides the email address: sign-up refuses a taken one
    /// before it looks the address up.
    pub other_uniques: Vec<UniqueView>,
}

/// One unique field of the sign-in entity.
#[derive(Debug, Clone)]
pub struct UniqueView {
    pub ident: String,
    pub json: String,
    pub column: String,
    pub required: bool,
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
        let entity = app.auth_entity()?;
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
        layout::end_line(&mut insert_lines);
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

        let t = &entity.table;
        let me_columns: Vec<String> = std::iter::once("id")
            .chain(entity.fields.iter().map(|f| f.column.as_str()))
            .chain(["created_at", "updated_at", "email_verified_at", "role"])
            .map(|column| format!("{t}.{column}"))
            .chain(["sessions.id AS session_id".to_owned()])
            .collect();
        let mut me_lines = continued(&wrap_sql(&format!("SELECT {}", me_columns.join(", "))));
        layout::end_line(&mut me_lines);
        me_lines.extend(continued(&wrap_sql(&format!(
            "FROM sessions JOIN {t} ON {t}.id = sessions.user_id"
        ))));
        layout::end_line(&mut me_lines);
        me_lines.push("WHERE sessions.token_hash = $1 AND sessions.expires_at > $2".to_owned());

        Some(AuthView {
            default_role: variant(app.default_role()),
            admin_role: variant(app.admin_role()),
            roles,
            roles_const,
            title_literal: rust_str(&app.title),
            insert_lines,
            insert_binds: binds,
            sig_insert,
            http_uses,
            me_lines,
            other_uniques: entity
                .fields
                .iter()
                .filter(|f| f.unique && app.auth.as_ref().is_some_and(|a| f.ident != a.email_field))
                .map(|f| UniqueView {
                    ident: f.ident.clone(),
                    json: f.json.clone(),
                    column: f.column.clone(),
                    required: f.required,
                })
                .collect(),
        })
    }
}

fn role_view(role: &Role) -> RoleView {
    let mut doc = if role.description.trim().is_empty() {
        capitalize(&role.plural)
    } else {
        capitalize(role.description.trim())
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
