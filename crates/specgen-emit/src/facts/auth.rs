//! The sign-in subsystem's facts: the sign-in entity's names, its email field, the session
//! lifetime, the password rules and the roles sign-ups and administrators get. The auth
//! emitter, its generated tests, the OpenAPI document and the README all print these.

use specgen_ir::{App, FieldType};

use crate::facts::access::unsettable;
use crate::facts::text::duration_words;

/// What the app's sign-in is; present only when the spec has a sign-in entity.
#[derive(Debug, Clone)]
pub struct AuthFacts {
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
    /// Name of the role sign-ups get (`member`).
    pub default_role_name: String,
    /// Name of the administrator role (`admin`).
    pub admin_role_name: String,
    /// JSON names of the fields a new account may not set at sign-up (`set by` others).
    pub sign_up_unsettable: Vec<String>,
    /// The `--set` arguments of the README's `create-admin` example: the fields a new account
    /// needs besides its email.
    pub admin_example_sets: String,
    /// A required unique field a new account sets at sign-up besides its email (the JSON
    /// name), for the test that a taken value is refused whatever the address.
    pub sign_up_unique: Option<String>,
    /// Every unique field besides the email (JSON names): sign-up may answer 409 for them.
    pub other_uniques: Vec<String>,
}

impl AuthFacts {
    /// The facts of `app`'s sign-in; `None` when the spec has no sign-in entity.
    pub fn new(app: &App) -> Option<AuthFacts> {
        let auth = app.auth.as_ref()?;
        let entity = app.auth_entity()?;
        let email = entity.field(&auth.email_field)?;
        Some(AuthFacts {
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
            default_role_name: app
                .default_role()
                .map_or_else(String::new, |r| r.name.clone()),
            admin_role_name: app
                .admin_role()
                .map_or_else(String::new, |r| r.name.clone()),
            sign_up_unsettable: unsettable(app, entity, None),
            sign_up_unique: entity
                .fields
                .iter()
                .find(|f| {
                    f.unique
                        && f.required
                        && f.ident != email.ident
                        && !unsettable(app, entity, None).contains(&f.json)
                })
                .map(|f| f.json.clone()),
            other_uniques: entity
                .fields
                .iter()
                .filter(|f| f.unique && f.ident != email.ident)
                .map(|f| f.json.clone())
                .collect(),
            admin_example_sets: entity
                .fields
                .iter()
                .filter(|f| f.required && f.default.is_none() && f.ident != email.ident)
                .map(|f| match f.ty {
                    FieldType::Text { .. } => {
                        format!(" --set {}='\"Your {}\"'", f.json, f.name)
                    }
                    _ => format!(" --set {}=<value>", f.json),
                })
                .collect(),
        })
    }
}
