// {{ header }}
//! The sign-in routes under `/api/auth/`, and `PUT {{ a.route }}/{id}/role`.
//!
//! Answers never tell a stranger whether an account exists: sign-in says "wrong email or
//! password" either way (after checking a dummy hash for unknown addresses, so it takes as
//! long),
{%- if a.verify_email %}
//! sign-up, resending a code and requesting a reset answer 202 with the same body either way,
//! and verification says "wrong or expired code" either way.
{%- else %}
//! and requesting a reset answers 202 with the same body either way. (Without email
//! verification, sign-up must say when an address is taken: 409.)
{%- endif %}
//! Every answer carries `Cache-Control: no-store`: tokens must not be cached.

use axum::Router;
use axum::extract::State;
use axum::http::header::CACHE_CONTROL;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post, put};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::FromRow;
use uuid::Uuid;

use crate::access;
use crate::auth::password::{self, Verification};
use crate::auth::{AuthUser, Role, accounts, codes, session};
use crate::db;
use crate::email::Email;
use crate::error::{ApiError, FieldError};
use crate::hooks::{{ a.module }} as hooks;
{%- for line in v.http_uses %}
{{ line }}
{%- endfor %}
use crate::rate_limit::{self, ClientAddr};
use crate::startup::AppState;
use crate::validation::{Fields, JsonObject, check};

/// The app's name in email subjects.
const APP: &str = {{ v.title_literal }};

/// The routes of sign-in.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/auth/sign-up", post(sign_up))
        .route("/api/auth/sign-in", post(sign_in))
        .route("/api/auth/sign-out", post(sign_out))
        .route("/api/auth/sign-out-everywhere", post(sign_out_everywhere))
        .route("/api/auth/me", get(me))
        .route("/api/auth/password", post(change_password))
{%- if a.verify_email %}
        .route("/api/auth/verify-email", post(verify_email))
        .route("/api/auth/verify-email/resend", post(resend_verification))
{%- endif %}
        .route("/api/auth/password-reset", post(request_password_reset))
        .route(
            "/api/auth/password-reset/confirm",
            post(confirm_password_reset),
        )
        .route("{{ a.route }}/{id}/role", put(set_role))
        .layer(axum::middleware::map_response(no_store))
}

/// The signed-in account: the {{ a.words }}'s fields (those it may see), its role, and
/// whether its email address is verified.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Me {
    #[serde(flatten)]
    pub user: Value,
    pub role: Role,
    pub email_verified: bool,
}

/// A new session.
#[derive(Debug, Clone, Serialize)]
pub struct SessionBody {
    /// Send it as `Authorization: Bearer <token>`. Keep it secret: it is the account until
    /// it expires.
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user: Me,
}

/// The body of a 202 that reads the same whatever accounts exist.
#[derive(Debug, Clone, Serialize)]
pub struct Accepted {
    pub message: &'static str,
}

/// The body of `PUT {{ a.route }}/{id}/role`, and its answer.
#[derive(Debug, Clone, Serialize)]
pub struct RoleBody {
    pub id: Uuid,
    pub role: Role,
}

{%- if a.verify_email %}

/// `POST /api/auth/sign-up`: the fields of a {{ a.words }} and a `password`. Creates the account
/// with the role `{{ a.default_role_name }}` and emails a code to verify the address (202). If
/// the address is taken, the answer is the same and its owner gets an email instead.
async fn sign_up(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    AppJson(body): AppJson<JsonObject>,
) -> Result<(StatusCode, AppJson<Accepted>), ApiError> {
    rate_limit::hit(&state.db, &rate_limit::SIGN_UPS_PER_ADDRESS, &address).await?;
    let (mut user, password) = read_sign_up(body)?;
    hooks::before_create(&state, &mut user).await?;
{%- if !v.other_uniques.is_empty() %}
    // Before the address is looked up: this answer must not depend on it.
    accounts::refuse_taken_fields(&state.db, &user).await?;
{%- endif %}
    // Hash before looking the address up: both answers then cost the same.
    let password_hash = state.hashers.hash(password).await?;
    let email = user.{{ a.email_ident }}.clone();
    let existing = accounts::find_by_email(&state.db, &email).await?;
    let accepted = (
        StatusCode::ACCEPTED,
        AppJson(Accepted {
            message: "check your inbox for a code to verify your email address",
        }),
    );
    if let Some(account) = existing {
        notify_taken(&state, &account, &email).await?;
        return Ok(accepted);
    }
    match accounts::insert(&state.db, &user, &password_hash, Role::DEFAULT, None).await {
        Ok(()) => send_verification_code(&state, user.id, &email).await?,
        // Someone signed up with the address meanwhile: answer as for a taken address.
        Err(error) if is_taken_email(&error) => {}
        Err(error) => return Err(error),
    }
    Ok(accepted)
}

/// Emails the owner of a taken address: a new code if it still needs verifying and its last
/// code no longer works, else a note that someone tried to sign up with it. At most a few
/// per quarter hour.
async fn notify_taken(
    state: &AppState,
    account: &accounts::Account,
    email: &str,
) -> Result<(), ApiError> {
    if rate_limit::hit(&state.db, &rate_limit::EMAILS_PER_ACCOUNT, email)
        .await
        .is_err()
    {
        return Ok(());
    }
    if account.email_verified_at.is_none() {
        // Its owner may still be looking for the first code: only send one when it expired.
        if !codes::has_live_verification(&state.db, account.id).await? {
            send_verification_code(state, account.id, email).await?;
        }
        return Ok(());
    }
    state.mailer.send_later(Email {
        to: email.to_owned(),
        subject: format!("{APP}: someone tried to sign up with your address"),
        body: "Someone (maybe you) tried to create an account with this email\n\
               address, which already has one.\n\n\
               If it was you, sign in, or reset your password if you forgot it.\n\
               If not, you can ignore this email.\n"
            .to_owned(),
    });
    Ok(())
}
{%- else %}

/// `POST /api/auth/sign-up`: the fields of a {{ a.words }} and a `password`. Creates the account
/// with the role `{{ a.default_role_name }}` and signs it in (201). A taken address is 409.
async fn sign_up(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    AppJson(body): AppJson<JsonObject>,
) -> Result<(StatusCode, AppJson<SessionBody>), ApiError> {
    rate_limit::hit(&state.db, &rate_limit::SIGN_UPS_PER_ADDRESS, &address).await?;
    let (mut user, password) = read_sign_up(body)?;
    hooks::before_create(&state, &mut user).await?;
{%- if !v.other_uniques.is_empty() %}
    accounts::refuse_taken_fields(&state.db, &user).await?;
{%- endif %}
    let password_hash = state.hashers.hash(password).await?;
    let taken = || ApiError::Conflict {
        message: "an account with this email address exists; sign in instead".to_owned(),
        fields: vec![FieldError::new(
            "{{ a.email_json }}",
            "unique",
            "is already used by an account",
        )],
    };
    let email = user.{{ a.email_ident }}.clone();
    let existing = accounts::find_by_email(&state.db, &email).await?;
    if existing.is_some() {
        return Err(taken());
    }
    match accounts::insert(&state.db, &user, &password_hash, Role::DEFAULT, None).await {
        Ok(()) => {}
        Err(error) if is_taken_email(&error) => return Err(taken()),
        Err(error) => return Err(error),
    }
    let body = start_session(&state, user.id).await?;
    Ok((StatusCode::CREATED, AppJson(body)))
}
{%- endif %}

/// Reads a sign-up body: the {{ a.words }}'s fields, checked as `POST {{ a.route }}` checks them,
/// and `password`. Every problem is reported at once (422).
fn read_sign_up(mut body: JsonObject) -> Result<({{ a.entity }}, String), ApiError> {
    let mut password_field = Fields::new(JsonObject::from_iter(body.remove_entry("password")));
    let password = password_field.required("password", password::check_new);
    let new = New{{ a.entity }}::from_json(body, None);
    match (new, password, password_field.finish()) {
        (Ok(new), Some(password), Ok(())) => Ok((new.into_{{ a.snake }}(), password)),
        (new, _, password_problems) => {
            let mut fields = Vec::new();
            for result in [new.map(|_| ()), password_problems] {
                match result {
                    Ok(()) => {}
                    Err(ApiError::Validation(problems)) => fields.extend(problems),
                    Err(other) => return Err(other),
                }
            }
            Err(ApiError::Validation(fields))
        }
    }
}

/// `POST /api/auth/sign-in`: `email` and `password` in, a session out. Wrong email or password
/// is 401, the same for both. After 10 failures for one address in 15 minutes, sign-in for
/// it is refused (429) until the window ends.
{%- if a.verify_email %} An account whose email address is not verified yet is
/// refused with 403 `email_not_verified` (only when the password is right); a new code goes
/// out if the last one no longer works.
{%- endif %}
async fn sign_in(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    AppJson(body): AppJson<JsonObject>,
) -> Result<AppJson<SessionBody>, ApiError> {
    let mut fields = Fields::new(body);
    let email = fields.required("email", check::text(1, 254));
    let password = fields.required("password", password::check_given);
    let (Some(email), Some(password)) = (email, password) else {
        return Err(fields.into_error());
    };
    fields.finish()?;
    let email = email.to_lowercase();
    rate_limit::hit(&state.db, &rate_limit::SIGN_IN_PER_ADDRESS, &address).await?;
    rate_limit::check(&state.db, &rate_limit::FAILED_SIGN_INS_PER_ACCOUNT, &email).await?;

    let account = accounts::find_by_email(&state.db, &email).await?;
    let stored = account.as_ref().and_then(|a| a.password_hash.clone());
    let verification = state.hashers.verify(password.clone(), stored).await?;
    let (Some(account), Verification::Matches { rehash }) = (account, verification) else {
        rate_limit::record(&state.db, &rate_limit::FAILED_SIGN_INS_PER_ACCOUNT, &email).await?;
        return Err(ApiError::unauthorized("wrong email or password"));
    };
    rate_limit::clear(&state.db, &rate_limit::FAILED_SIGN_INS_PER_ACCOUNT, &email).await?;
    if rehash {
        // Best effort: with every hashing thread busy, the rehash waits for a later sign-in
        // rather than failing this one.
        match state.hashers.hash(password).await {
            Ok(password_hash) => {
                accounts::set_password(&state.db, account.id, &password_hash).await?;
            }
            Err(ApiError::Busy) => {}
            Err(error) => return Err(error),
        }
    }
{%- if a.verify_email %}
    if account.email_verified_at.is_none() {
        // The password is right, so saying why reveals nothing to a stranger. The emailed
        // code keeps working; a new one goes out only when it no longer does.
        if !codes::has_live_verification(&state.db, account.id).await?
            && rate_limit::hit(&state.db, &rate_limit::EMAILS_PER_ACCOUNT, &email)
                .await
                .is_ok()
        {
            send_verification_code(&state, account.id, &email).await?;
        }
        return Err(ApiError::EmailNotVerified);
    }
{%- endif %}
    Ok(AppJson(start_session(&state, account.id).await?))
}

/// `POST /api/auth/sign-out`: ends the session of this request (204).
async fn sign_out(State(state): State<AppState>, user: AuthUser) -> Result<StatusCode, ApiError> {
    session::revoke(&state.db, user.session_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/auth/sign-out-everywhere`: ends every session of the account, this one too (204).
async fn sign_out_everywhere(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<StatusCode, ApiError> {
    session::revoke_all(&state.db, user.id, None).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/auth/me`: the signed-in account, read with its session in one query.
async fn me(State(state): State<AppState>, headers: HeaderMap) -> Result<AppJson<Me>, ApiError> {
    let token = session::required_bearer(&headers)?;
    let (user, row) = session::with_account(&state.db, token)
        .await?
        .ok_or_else(session::ended)?;
    let record = {{ a.entity }}::from_row(&row)?;
    let verified_at: Option<DateTime<Utc>> = db::get(&row, "email_verified_at")?;
    Ok(AppJson(me_body(&user, record, verified_at.is_some())?))
}

/// `POST /api/auth/password`: `current_password` and `new_password`. Ends every other session
/// of the account, so a thief holding one is signed out (204).
async fn change_password(
    State(state): State<AppState>,
    user: AuthUser,
    AppJson(body): AppJson<JsonObject>,
) -> Result<StatusCode, ApiError> {
    let mut fields = Fields::new(body);
    let current = fields.required("current_password", password::check_given);
    let new = fields.required("new_password", password::check_new);
    let (Some(current), Some(new)) = (current, new) else {
        return Err(fields.into_error());
    };
    fields.finish()?;
    // Someone holding a stolen session must not get to guess the password without limit.
    let subject = user.id.to_string();
    rate_limit::check(
        &state.db,
        &rate_limit::FAILED_SIGN_INS_PER_ACCOUNT,
        &subject,
    )
    .await?;
    let account = accounts::find(&state.db, user.id)
        .await?
        .ok_or_else(|| ApiError::unauthorized("the account no longer exists"))?;
    if state.hashers.verify(current, account.password_hash).await? == Verification::Fails {
        rate_limit::record(
            &state.db,
            &rate_limit::FAILED_SIGN_INS_PER_ACCOUNT,
            &subject,
        )
        .await?;
        return Err(ApiError::Validation(vec![FieldError::new(
            "current_password",
            "incorrect",
            "is not the account's current password",
        )]));
    }
    let password_hash = state.hashers.hash(new).await?;
    let mut transaction = state.db.begin().await?;
    accounts::set_password(&mut *transaction, user.id, &password_hash).await?;
    session::revoke_all(&mut *transaction, user.id, Some(user.session_id)).await?;
    transaction.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
{%- if a.verify_email %}

/// `POST /api/auth/verify-email`: `email` and the emailed `code`. Marks the address verified
/// (204); the account can then sign in. A wrong, used or expired code, or an unknown address,
/// is 422 with the field `code` failing with `invalid`. After 5 wrong codes a new code is
/// needed (`POST /api/auth/verify-email/resend`, or signing in).
async fn verify_email(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    AppJson(body): AppJson<JsonObject>,
) -> Result<StatusCode, ApiError> {
    let mut fields = Fields::new(body);
    let email = fields.required("email", check::text(1, 254));
    let code = fields.required("code", check::text(1, 64));
    let (Some(email), Some(code)) = (email, code) else {
        return Err(fields.into_error());
    };
    fields.finish()?;
    rate_limit::hit(&state.db, &rate_limit::CODE_GUESSES_PER_ADDRESS, &address).await?;
    let account = accounts::find_by_email(&state.db, &email).await?;
    let verified = match &account {
        Some(account) => codes::redeem_verification(&state.db, account.id, code.trim()).await?,
        None => false,
    };
    match account {
        Some(account) if verified => {
            accounts::mark_verified(&state.db, account.id).await?;
            Ok(StatusCode::NO_CONTENT)
        }
        _ => Err(ApiError::Validation(vec![FieldError::new(
            "code",
            "invalid",
            "is wrong, used or expired; after 5 wrong tries, ask for a new code",
        )])),
    }
}

/// `POST /api/auth/verify-email/resend`: `email`. Emails a new code if an account with this
/// address still needs verifying. Always 202 with the same body.
async fn resend_verification(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    AppJson(body): AppJson<JsonObject>,
) -> Result<(StatusCode, AppJson<Accepted>), ApiError> {
    let email = read_email(body)?;
    rate_limit::hit(&state.db, &rate_limit::EMAILS_PER_ADDRESS, &address).await?;
    rate_limit::hit(&state.db, &rate_limit::EMAILS_PER_ACCOUNT, &email).await?;
    if let Some(account) = accounts::find_by_email(&state.db, &email).await?
        && account.email_verified_at.is_none()
    {
        send_verification_code(&state, account.id, &email).await?;
    }
    Ok((
        StatusCode::ACCEPTED,
        AppJson(Accepted {
            message: "if an account with this address needs verifying, a new code is on its way",
        }),
    ))
}

/// Issues a verification code and emails it.
async fn send_verification_code(
    state: &AppState,
    user_id: Uuid,
    email: &str,
) -> Result<(), ApiError> {
    let code = codes::issue_verification(&state.db, user_id).await?;
    state.mailer.send_later(Email {
        to: email.to_owned(),
        subject: format!("{APP}: your verification code"),
        body: format!(
            "Your verification code:\n\n{code}\n\n\
             It works for 15 minutes. If you did not sign up, you can ignore\n\
             this email.\n"
        ),
    });
    Ok(())
}
{%- endif %}

/// `POST /api/auth/password-reset`: `email`. Emails a single-use reset token (valid 30
/// minutes) if an account uses this address. Always 202 with the same body.
async fn request_password_reset(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    AppJson(body): AppJson<JsonObject>,
) -> Result<(StatusCode, AppJson<Accepted>), ApiError> {
    let email = read_email(body)?;
    rate_limit::hit(&state.db, &rate_limit::EMAILS_PER_ADDRESS, &address).await?;
    rate_limit::hit(&state.db, &rate_limit::EMAILS_PER_ACCOUNT, &email).await?;
    if let Some(account) = accounts::find_by_email(&state.db, &email).await? {
        let token = codes::issue_reset(&state.db, account.id).await?;
        state.mailer.send_later(Email {
            to: email,
            subject: format!("{APP}: reset your password"),
            body: format!(
                "Use this token to choose a new password:\n\n{token}\n\n\
                 It works once, for 30 minutes. If you did not ask for it, you can\n\
                 ignore this email: your password stays as it is.\n"
            ),
        });
    }
    Ok((
        StatusCode::ACCEPTED,
        AppJson(Accepted {
            message: "if an account uses this address, a reset token is on its way",
        }),
    ))
}

/// `POST /api/auth/password-reset/confirm`: the emailed `token` and a new `password`. Sets the
/// password, marks the address verified (the token came to it) and ends every session of
/// the account (204). An unknown, used or expired token is 422 on the field `token`.
async fn confirm_password_reset(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    AppJson(body): AppJson<JsonObject>,
) -> Result<StatusCode, ApiError> {
    let mut fields = Fields::new(body);
    let token = fields.required("token", check::text(1, 64));
    let password = fields.required("password", password::check_new);
    let (Some(token), Some(password)) = (token, password) else {
        return Err(fields.into_error());
    };
    fields.finish()?;
    rate_limit::hit(&state.db, &rate_limit::CODE_GUESSES_PER_ADDRESS, &address).await?;
    // Hash first: if hashing failed after the token was used up, the token would be lost.
    let password_hash = state.hashers.hash(password).await?;
    let mut transaction = state.db.begin().await?;
    let Some(user_id) = codes::redeem_reset(&mut transaction, token.trim()).await? else {
        return Err(ApiError::Validation(vec![FieldError::new(
            "token",
            "invalid",
            "is wrong, used or expired; ask for a new one",
        )]));
    };
    accounts::set_password(&mut *transaction, user_id, &password_hash).await?;
    accounts::mark_verified(&mut *transaction, user_id).await?;
    session::revoke_all(&mut *transaction, user_id, None).await?;
    transaction.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT {{ a.route }}/{id}/role`: `role`. Admins only (403 for others). The last admin cannot
/// lose the role (409): make someone else admin first. Takes effect on the account's next
/// request; its sessions stay.
async fn set_role(
    State(state): State<AppState>,
    user: AuthUser,
    EntityId(id): EntityId,
    AppJson(body): AppJson<JsonObject>,
) -> Result<AppJson<RoleBody>, ApiError> {
    if user.role != Role::ADMIN {
        return Err(ApiError::forbidden("only admins change roles"));
    }
    let mut fields = Fields::new(body);
    let role = fields.required("role", Role::from_json);
    let Some(role) = role else {
        return Err(fields.into_error());
    };
    fields.finish()?;
    if !accounts::set_role(&state.db, id, role).await? {
        return Err(accounts::last_admin_refusal("role"));
    }
    Ok(AppJson(RoleBody { id, role }))
}

/// Whether `error` refuses a second account with the same email address, not a taken value
/// of another unique field (which the client must hear about as it is).
fn is_taken_email(error: &ApiError) -> bool {
    let ApiError::Conflict { fields, .. } = error else {
        return false;
    };
    fields.iter().any(|f| f.field == "{{ a.email_json }}")
}

/// Reads a body holding just `email`.
fn read_email(body: JsonObject) -> Result<String, ApiError> {
    let mut fields = Fields::new(body);
    let email = fields.required("email", check::text(1, 254));
    let Some(email) = email else {
        return Err(fields.into_error());
    };
    fields.finish()?;
    Ok(email.to_lowercase())
}

/// Starts a session and describes it with the account.
async fn start_session(state: &AppState, user_id: Uuid) -> Result<SessionBody, ApiError> {
    let gone = || ApiError::unauthorized("the account no longer exists");
    let account = accounts::find(&state.db, user_id).await?.ok_or_else(gone)?;
    let session = session::create(&state.db, user_id).await?;
    let user = AuthUser {
        id: user_id,
        role: account.role,
        session_id: session.id,
    };
    Ok(SessionBody {
        user: load_me(state, &user).await?,
        token: session.token,
        expires_at: session.expires_at,
    })
}

/// The signed-in account as `GET /api/auth/me` shows it: its fields as the account itself
/// may see them.
async fn load_me(state: &AppState, user: &AuthUser) -> Result<Me, ApiError> {
    let gone = || ApiError::unauthorized("the account no longer exists");
    let record = {{ a.module }}::fetch(&state.db, user.id).await?;
    let account = accounts::find(&state.db, user.id).await?.ok_or_else(gone)?;
    me_body(
        user,
        record.ok_or_else(gone)?,
        account.email_verified_at.is_some(),
    )
}

/// What `GET /api/auth/me` answers for `record`, the account of `user`.
fn me_body(user: &AuthUser, record: impl Serialize, verified: bool) -> Result<Me, ApiError> {
    let json = serde_json::to_value(record).map_err(ApiError::internal)?;
    let visible = {{ a.module }}::VISIBLE;
    Ok(Me {
        // The caller's own account: it names them as itself.
        user: access::redact(json, visible, Some(user), &[("id", Some(user.id))]),
        role: user.role,
        email_verified: verified,
    })
}

/// Adds `Cache-Control: no-store` to every answer of these routes.
async fn no_store(mut response: axum::response::Response) -> impl IntoResponse {
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
