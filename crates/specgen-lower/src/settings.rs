//! The front matter: app name, database, auth settings, includes.
//!
//! Depends only on `names`; it must not depend on the lowering context (`cx`) or any
//! pass: the settings are read before lowering starts.

use specgen_diagnostics::{Diagnostic, Span, suggest};
use specgen_ir::{Database, PasswordPolicy, SignInMethod};
use specgen_syntax::{FmEntry, FmKind, FmValue, SpecFile};

use crate::names;

/// Keys allowed at the top of the root file's front matter.
pub const ROOT_KEYS: &[&str] = &["app", "database", "auth", "include"];
/// Keys allowed under `auth:`.
pub const AUTH_KEYS: &[&str] = &["sign-in", "verify-email", "session", "password"];
/// Sign-in methods.
pub const SIGN_IN_METHODS: &[&str] = &["email-password"];

pub(crate) struct Settings {
    /// The app name and where it was written.
    pub name: Option<(String, Span)>,
    pub database: Database,
    pub auth: Option<AuthSettings>,
}

pub(crate) struct AuthSettings {
    pub span: Span,
    pub methods: Vec<SignInMethod>,
    pub verify_email: bool,
    pub session_seconds: u64,
    pub password: PasswordPolicy,
}

impl AuthSettings {
    pub fn defaults(span: Span) -> AuthSettings {
        AuthSettings {
            span,
            methods: vec![SignInMethod::EmailPassword],
            verify_email: false,
            session_seconds: 30 * 86_400,
            password: PasswordPolicy {
                min_length: 10,
                max_length: 128,
            },
        }
    }
}

fn unknown_key(key: &specgen_syntax::Spanned<String>, allowed: &[&str], place: &str) -> Diagnostic {
    let d = Diagnostic::error(
        "unknown_front_matter_key",
        key.span,
        format!("unknown key `{}` in {place}", key.value),
    );
    match suggest(&key.value, allowed.iter().copied()) {
        Some(s) => d.with_hint(format!("did you mean `{s}`?")),
        None => d.with_hint(format!(
            "the keys allowed here are {}",
            allowed
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

fn wrong_type(key: &str, value: &FmValue, expected: &str, example: &str) -> Diagnostic {
    Diagnostic::error(
        "invalid_front_matter_value",
        value.span,
        format!(
            "`{key}` must be {expected}, found {}",
            value.kind.describe()
        ),
    )
    .with_hint(format!("write it like `{example}`"))
}

pub(crate) fn settings(files: &[SpecFile], diags: &mut Vec<Diagnostic>) -> Settings {
    let mut out = Settings {
        name: None,
        database: Database::Sqlite,
        auth: None,
    };
    for (i, file) in files.iter().enumerate() {
        let Some(front) = &file.front_matter else {
            continue;
        };
        for FmEntry { key, value } in &front.entries {
            if i > 0 {
                if key.value != "include" {
                    diags.push(
                        Diagnostic::error("front_matter_in_include", key.span, format!("`{}` can only be set in the root spec file", key.value))
                            .with_hint("an included file's front matter may only list further `include:` files; move this key to the root file"),
                    );
                }
                continue;
            }
            match key.value.as_str() {
                "app" => match &value.kind {
                    FmKind::String(s) => {
                        let kebab = names::kebab(s);
                        if let Some(d) = names::too_long(
                            "app name",
                            s,
                            value.span,
                            "the app's name is a few words joined by dashes, like `studio-bookings`",
                        ) {
                            diags.push(d);
                        } else if kebab != *s || !names::is_valid_snake(&names::snake(s)) {
                            let d = Diagnostic::error(
                                "invalid_app_name",
                                value.span,
                                format!("`{s}` is not a valid app name"),
                            );
                            let d = if names::is_valid_snake(&names::snake(&kebab)) {
                                d.with_hint(format!(
                                    "use lowercase words joined by dashes: `{kebab}`"
                                ))
                            } else {
                                d.with_hint("use lowercase words joined by dashes, starting with a letter, for example `studio-bookings`")
                            };
                            diags.push(d);
                        } else if is_reserved_crate(&names::snake(s)) {
                            diags.push(
                                Diagnostic::error(
                                    "invalid_app_name",
                                    value.span,
                                    format!("`{s}` cannot be the name of a Rust package"),
                                )
                                .with_hint(format!(
                                    "choose a more specific name, for example `{s}-app`"
                                )),
                            );
                        } else {
                            out.name = Some((s.clone(), value.span));
                        }
                    }
                    _ => diags.push(wrong_type("app", value, "a name", "app: studio-bookings")),
                },
                "database" => match value.kind.as_scalar().as_deref() {
                    Some("sqlite") => out.database = Database::Sqlite,
                    Some("postgres") | Some("postgresql") => out.database = Database::Postgres,
                    Some(other) => {
                        let d = Diagnostic::error(
                            "unknown_database",
                            value.span,
                            format!("unknown database `{other}`"),
                        );
                        diags.push(match suggest(other, ["sqlite", "postgres"]) {
                            Some(s) => d.with_hint(format!("did you mean `{s}`?")),
                            None => {
                                d.with_hint("use `sqlite` (embedded, the default) or `postgres`")
                            }
                        });
                    }
                    None => diags.push(wrong_type(
                        "database",
                        value,
                        "`sqlite` or `postgres`",
                        "database: sqlite",
                    )),
                },
                "auth" => out.auth = Some(auth(key.span, value, diags)),
                "include" => {}
                _ => diags.push(unknown_key(key, ROOT_KEYS, "the front matter")),
            }
        }
    }
    out
}

/// Crate names the generated package cannot take: Rust's own crates and the crates the
/// generated backend depends on (a package cannot depend on a crate of its own name).
const RESERVED_CRATES: &[&str] = &[
    "std",
    "core",
    "alloc",
    "test",
    "proc_macro",
    "build",
    "axum",
    "sqlx",
    "tokio",
    "serde",
    "serde_json",
    "tower",
    "tower_http",
    "uuid",
    "chrono",
    "time",
    "tracing",
    "tracing_subscriber",
    "argon2",
    "rand",
    "utoipa",
    "anyhow",
    "thiserror",
    "lettre",
    "metrics",
    "dotenvy",
    "hyper",
    "http",
];

pub(crate) fn is_reserved_crate(snake: &str) -> bool {
    names::is_rust_keyword(snake) || RESERVED_CRATES.contains(&snake)
}

fn auth(key_span: Span, value: &FmValue, diags: &mut Vec<Diagnostic>) -> AuthSettings {
    let mut out = AuthSettings::defaults(key_span);
    let entries = match &value.kind {
        FmKind::Map(entries) => entries,
        FmKind::Null => return out,
        _ => {
            diags.push(wrong_type(
                "auth",
                value,
                "a list of settings",
                "auth:\n  sign-in: email-password",
            ));
            return out;
        }
    };
    for FmEntry { key, value } in entries {
        match key.value.as_str() {
            "sign-in" => {
                let items: Vec<&FmValue> = match &value.kind {
                    FmKind::List(items) => items.iter().collect(),
                    _ => vec![value],
                };
                let mut methods = Vec::new();
                for item in items {
                    match item.kind.as_scalar().as_deref() {
                        Some("email-password") => methods.push(SignInMethod::EmailPassword),
                        Some(other) => {
                            let d = Diagnostic::error("unknown_sign_in_method", item.span, format!("unknown sign-in method `{other}`"));
                            diags.push(match suggest(other, SIGN_IN_METHODS.iter().copied()) {
                                Some(s) => d.with_hint(format!("did you mean `{s}`?")),
                                None => d.with_hint("the supported sign-in method is `email-password`"),
                            });
                        }
                        None => diags.push(wrong_type("sign-in", item, "a sign-in method", "sign-in: email-password")),
                    }
                }
                methods.dedup();
                if !methods.is_empty() {
                    out.methods = methods;
                }
            }
            "verify-email" => match value.kind {
                FmKind::Bool(b) => out.verify_email = b,
                _ => diags.push(wrong_type("verify-email", value, "`true` or `false`", "verify-email: true")),
            },
            "session" => match value.kind.as_scalar().and_then(|s| duration(&s)) {
                Some(seconds) if seconds > 0 => out.session_seconds = seconds,
                _ => diags.push(
                    Diagnostic::error("invalid_session", value.span, "the session lifetime is not understood")
                        .with_hint("write a number and a unit, for example `session: 30 days` (units: minutes, hours, days, weeks)"),
                ),
            },
            "password" => match value.kind.as_scalar().as_deref().and_then(password_range) {
                Some((min, max)) => {
                    if min > max {
                        diags.push(
                            Diagnostic::error("impossible_range", value.span, format!("the minimum password length `{min}` is larger than the maximum `{max}`"))
                                .with_hint("write the smaller number first, for example `password: 10..128`"),
                        );
                    } else if min < 8 {
                        diags.push(
                            Diagnostic::error("weak_password_policy", value.span, format!("passwords of `{min}` characters are too easy to guess"))
                                .with_hint("require at least 8 characters; 10 or more is better"),
                        );
                    } else if max > 1024 {
                        diags.push(
                            Diagnostic::error("invalid_password_policy", value.span, format!("a maximum password length of `{max}` makes hashing too expensive"))
                                .with_hint("use a maximum of at most 1024 characters, for example `10..128`"),
                        );
                    } else {
                        out.password = PasswordPolicy { min_length: min, max_length: max };
                    }
                }
                None => diags.push(
                    Diagnostic::error("invalid_password_policy", value.span, "the password rule is not understood")
                        .with_hint("write the allowed length as a range, for example `password: 10..128`"),
                ),
            },
            _ => diags.push(unknown_key(key, AUTH_KEYS, "`auth`")),
        }
    }
    out
}

/// `30 days` -> seconds.
pub(crate) fn duration(s: &str) -> Option<u64> {
    let mut parts = s.split_whitespace();
    let n: u64 = parts.next()?.parse().ok()?;
    let unit = parts.next()?;
    if parts.next().is_some() {
        return None;
    }
    let per = specgen_syntax::patterns::time_unit(unit)?;
    n.checked_mul(per)
}

/// `10..128` -> (10, 128); `12..` -> (12, 128).
fn password_range(s: &str) -> Option<(u32, u32)> {
    let (a, b) = s.split_once("..")?;
    let min = if a.trim().is_empty() {
        10
    } else {
        a.trim().parse().ok()?
    };
    let max = if b.trim().is_empty() {
        128
    } else {
        b.trim().parse().ok()?
    };
    Some((min, max))
}
