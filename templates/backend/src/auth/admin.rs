// {{ header }}
//! `create-admin`: creates the first administrator, or makes an existing account one.
//!
//! ```text
//! {{ name }} create-admin --email ada@example.com [--set <field>=<value>]...
//! ```
//!
//! The password comes from `ADMIN_PASSWORD` if set, else from standard input: typed at a
//! prompt that does not echo it, or piped (`printf '%s\n' "$PASSWORD" | ...`). It is never
//! printed. `--set` gives the other fields a new {{ a.words }} needs, checked as
//! `POST {{ a.route }}` checks them; a value that is valid JSON is read as JSON (`--set age=42`),
//! anything else as text. An existing account keeps its password and only gets the role.

use std::io::{BufRead, IsTerminal};
use std::num::NonZeroUsize;

use serde_json::Value;
use uuid::Uuid;

use crate::BoxError;
use crate::auth::password::{self, Hashers};
use crate::auth::{AuthUser, Role, accounts};
use crate::config::Config;
use crate::db;
use crate::error::ApiError;
use crate::http::{{ a.module }}::New{{ a.entity }};
use crate::validation::{Fields, JsonObject};

/// How to call `create-admin`.
pub const USAGE: &str = "\
usage: {{ name }} create-admin --email <address> [--set <field>=<value>]...

Creates an administrator account, or gives an existing account the admin role. The password
is read from ADMIN_PASSWORD, else from standard input (never echoed).";

/// The JSON name of the email field of {{ a.plural_words }}.
const EMAIL_FIELD: &str = "{{ a.email_json }}";

/// A parsed `create-admin` command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateAdmin {
    pub email: String,
    /// `--set` pairs, in order.
    pub fields: Vec<(String, String)>,
}

impl CreateAdmin {
    /// Parses the arguments after `create-admin`.
    pub fn parse(args: &[String]) -> Result<CreateAdmin, String> {
        let mut email = None;
        let mut fields = Vec::new();
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let mut value = |name: &str| {
                args.next()
                    .cloned()
                    .ok_or_else(|| format!("`{name}` needs a value"))
            };
            match arg.as_str() {
                "--email" => email = Some(value("--email")?),
                "--set" => {
                    let pair = value("--set")?;
                    let (field, value) = pair
                        .split_once('=')
                        .ok_or_else(|| format!("`--set {pair}`: expected <field>=<value>"))?;
                    fields.push((field.to_owned(), value.to_owned()));
                }
                other => return Err(format!("unexpected argument `{other}`")),
            }
        }
        let email = email.ok_or("`--email` is required")?;
        Ok(CreateAdmin { email, fields })
    }
}

/// Runs the command against the database in `config`, applying migrations first.
pub async fn run(config: &Config, command: CreateAdmin) -> Result<(), BoxError> {
    let pool = db::connect(&config.database_url).await?;
    db::migrate(&pool).await?;
    let email = command.email.to_lowercase();
    if let Some(account) = accounts::find_by_email(&pool, &email).await? {
        accounts::set_role(&pool, account.id, Role::ADMIN).await?;
        println!("{email} is now an admin (its password is unchanged)");
        return Ok(());
    }

    let mut body = JsonObject::new();
    body.insert(EMAIL_FIELD.to_owned(), Value::String(email.clone()));
    for (field, value) in command.fields {
        let value = serde_json::from_str(&value).unwrap_or(Value::String(value));
        body.insert(field, value);
    }
    // The operator at the terminal acts with an admin's rights.
    let operator = AuthUser {
        id: Uuid::nil(),
        role: Role::ADMIN,
        session_id: Uuid::nil(),
    };
    let new = New{{ a.entity }}::from_json(body, Some(&operator));
    let new = new.map_err(describe)?;
    let password = read_password(&email)?;
    let mut fields = Fields::new(JsonObject::from_iter([(
        "password".to_owned(),
        Value::String(password),
    )]));
    let password = fields.required("password", password::check_new);
    fields.finish().map_err(describe)?;
    let password = password.ok_or("the password is invalid")?;

    // One hash: one thread and a queue of one are plenty.
    let hashers = Hashers::start(NonZeroUsize::MIN, NonZeroUsize::MIN)?;
    let password_hash = hashers.hash(password).await.map_err(describe)?;
    let user = new.into_{{ a.snake }}();
    // The operator vouches for the address: it counts as verified.
    let verified_at = Some(db::now());
    accounts::insert(&pool, &user, &password_hash, Role::ADMIN, verified_at)
        .await
        .map_err(describe)?;
    println!("created the admin {email} ({})", user.id);
    Ok(())
}

/// The password: `ADMIN_PASSWORD`, a prompt without echo, or a line of piped input.
fn read_password(email: &str) -> Result<String, BoxError> {
    if let Ok(password) = std::env::var("ADMIN_PASSWORD") {
        return Ok(password);
    }
    if std::io::stdin().is_terminal() {
        let password = rpassword::prompt_password(format!("password for {email}: "))?;
        let again = rpassword::prompt_password("the same password again: ")?;
        if password != again {
            return Err("the two passwords differ".into());
        }
        return Ok(password);
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// An error as one line for the terminal, listing every failing field.
fn describe(error: ApiError) -> BoxError {
    match error {
        ApiError::Validation(fields) | ApiError::Conflict { fields, .. } if !fields.is_empty() => {
            let problems: Vec<String> = fields
                .iter()
                .map(|f| format!("`{}` {}", f.field, f.message))
                .collect();
            problems.join("; ").into()
        }
        other => Box::new(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn parses_email_and_fields() {
        let command = CreateAdmin::parse(&args("--email a@example.com --set name=Ada")).unwrap();
        assert_eq!(command.email, "a@example.com");
        assert_eq!(command.fields, [("name".to_owned(), "Ada".to_owned())]);
    }

    #[test]
    fn refuses_missing_email_and_unknown_flags() {
        assert!(CreateAdmin::parse(&args("--set name=Ada")).is_err());
        assert!(CreateAdmin::parse(&args("--email a@example.com --password x")).is_err());
        assert!(CreateAdmin::parse(&args("--email")).is_err());
    }
}
