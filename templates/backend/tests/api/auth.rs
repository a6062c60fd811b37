// {{ header }}
//! Tests of sign-in (`/api/auth/`): every flow, sessions and their end, rate limits, and
//! that answers never reveal which accounts exist.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::task::JoinSet;

use crate::auth_support::TEST_PASSWORD;
use crate::helpers::{TestApp, TestResponse, spawn_app, spawn_app_with};
use crate::smtp::SmtpServer;

/// The role of new sign-ups.
const MEMBER: &str = "{{ a.default_role_name }}";

/// The administrator role.
const ADMIN: &str = "{{ a.admin_role_name }}";

/// The JSON name of the accounts' email field.
const EMAIL: &str = "{{ a.email_json }}";

/// The route of the accounts.
const ACCOUNTS: &str = "{{ a.route }}";

/// A fresh address.
fn new_email(app: &TestApp) -> String {
    format!("person{}@example.com", app.next())
}

/// A valid sign-up body for `email` with `password`.
async fn sign_up_body(app: &TestApp, email: &str, password: &str) -> Value {
    let mut body = app.{{ a.snake }}_body().await;
{%- if !a.sign_up_unsettable.is_empty() %}
    // Fields only some roles may set (`set by`) are not the new account's to choose.
    let object = body.as_object_mut().expect("an object");
{%- for field in a.sign_up_unsettable %}
    object.remove("{{ field }}");
{%- endfor %}
{%- endif %}
    body[EMAIL] = json!(email);
    body["password"] = json!(password);
    body
}

/// Waits, when less than half a minute is left, for the next five minutes to begin. The
/// rate limits count in fixed windows aligned to whole multiples of five minutes (5, 15
/// and 60), so a test that counts hits up to a limit must not straddle a window's end, where
/// the count starts over, however slowly a busy machine runs it.
async fn clear_of_a_window_edge() {
    const EDGE: u64 = 5 * 60;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("the clock is after 1970");
    let left = EDGE - now.as_secs() % EDGE;
    if left < 30 {
        tokio::time::sleep(Duration::from_secs(left + 1)).await;
    }
}

async fn sign_in(app: &TestApp, email: &str, password: &str) -> TestResponse {
    let body = json!({ "email": email, "password": password });
    app.anonymous().post("/api/auth/sign-in", &body).await
}

/// The body without its request id, to compare two answers.
fn without_request_id(mut body: Value) -> Value {
    if let Some(error) = body.get_mut("error").and_then(Value::as_object_mut) {
        error.remove("request_id");
    }
    body
}
{%- if a.verify_email %}

/// Signs up `email` and verifies it with the emailed code.
async fn sign_up_verified(app: &TestApp, email: &str, password: &str) {
    let body = sign_up_body(app, email, password).await;
    let response = app.anonymous().post("/api/auth/sign-up", &body).await;
    assert_eq!(response.status, 202, "{response:?}");
    let code = verification_code(&app.email_to(email).await);
    let body = json!({ "email": email, "code": code });
    let response = app.anonymous().post("/api/auth/verify-email", &body).await;
    assert_eq!(response.status, 204, "{response:?}");
}

/// The 6-digit code in a verification email.
fn verification_code(email: &str) -> String {
    email
        .lines()
        .map(str::trim)
        .find(|line| line.len() == 6 && line.bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or_else(|| panic!("no code in {email}"))
        .to_owned()
}

#[tokio::test]
async fn sign_up_answers_202_and_emails_a_verification_code() {
    let app = spawn_app().await;
    let email = new_email(&app);
    let body = sign_up_body(&app, &email, TEST_PASSWORD).await;
    let response = app.anonymous().post("/api/auth/sign-up", &body).await;
    assert_eq!(response.status, 202, "{response:?}");
    assert!(response.body.get("token").is_none(), "{response:?}");
    let message = app.email_to(&email).await;
    assert!(message.contains("verification code"), "{message}");
    assert_eq!(verification_code(&message).len(), 6);
}

#[tokio::test]
async fn sign_up_with_a_taken_address_answers_exactly_like_a_new_one() {
    let app = spawn_app().await;
    let taken = app.caller(MEMBER).await;
    let body = sign_up_body(&app, &taken.email, "another password 123").await;
    let again = app.anonymous().post("/api/auth/sign-up", &body).await;
    let body = sign_up_body(&app, &new_email(&app), "another password 123").await;
    let fresh = app.anonymous().post("/api/auth/sign-up", &body).await;
    assert_eq!(again.status, 202, "{again:?}");
    assert_eq!((again.status, again.body), (fresh.status, fresh.body));
    // The owner of the taken address hears about it; the password stays theirs.
    let message = app.email_to(&taken.email).await;
    assert!(message.contains("tried to sign up"), "{message}");
    assert_eq!(sign_in(&app, &taken.email, TEST_PASSWORD).await.status, 200);
}

#[tokio::test]
async fn unverified_accounts_cannot_sign_in_until_they_verify() {
    let app = spawn_app().await;
    let email = new_email(&app);
    let body = sign_up_body(&app, &email, TEST_PASSWORD).await;
    app.anonymous().post("/api/auth/sign-up", &body).await;
    let code = verification_code(&app.email_to(&email).await);

    let refused = sign_in(&app, &email, TEST_PASSWORD).await;
    assert_eq!(refused.status, 403, "{refused:?}");
    assert_eq!(refused.error_code(), "email_not_verified");
    // A wrong password says nothing about verification.
    let wrong = sign_in(&app, &email, "not the password").await;
    assert_eq!(wrong.status, 401, "{wrong:?}");

    let body = json!({ "email": email, "code": code });
    let verified = app.anonymous().post("/api/auth/verify-email", &body).await;
    assert_eq!(verified.status, 204, "{verified:?}");
    let signed_in = sign_in(&app, &email, TEST_PASSWORD).await;
    assert_eq!(signed_in.status, 200, "{signed_in:?}");
    assert_eq!(signed_in.body["user"]["email_verified"], true);
}

#[tokio::test]
async fn verification_codes_stop_working_after_five_wrong_guesses() {
    let app = spawn_app().await;
    let email = new_email(&app);
    let body = sign_up_body(&app, &email, TEST_PASSWORD).await;
    app.anonymous().post("/api/auth/sign-up", &body).await;
    let code = verification_code(&app.email_to(&email).await);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        let body = json!({ "email": email, "code": wrong });
        let response = app.anonymous().post("/api/auth/verify-email", &body).await;
        assert_eq!(response.status, 422, "{response:?}");
        response.assert_field_error("code", "invalid");
    }
    let body = json!({ "email": email, "code": code });
    let response = app.anonymous().post("/api/auth/verify-email", &body).await;
    assert_eq!(
        response.status, 422,
        "the right code after five wrong ones: {response:?}"
    );
}

#[tokio::test]
async fn verification_answers_the_same_for_unknown_addresses() {
    let app = spawn_app().await;
    let email = new_email(&app);
    let body = sign_up_body(&app, &email, TEST_PASSWORD).await;
    app.anonymous().post("/api/auth/sign-up", &body).await;
    let known = json!({ "email": email, "code": "000000" });
    let unknown = json!({ "email": new_email(&app), "code": "000000" });
    let known = app.anonymous().post("/api/auth/verify-email", &known).await;
    let unknown = app
        .anonymous()
        .post("/api/auth/verify-email", &unknown)
        .await;
    assert_eq!(known.status, 422, "{known:?}");
    assert_eq!(
        (known.status, without_request_id(known.body)),
        (unknown.status, without_request_id(unknown.body))
    );
}

#[tokio::test]
async fn resending_a_code_answers_the_same_whether_or_not_the_account_exists() {
    let app = spawn_app().await;
    let email = new_email(&app);
    let body = sign_up_body(&app, &email, TEST_PASSWORD).await;
    app.anonymous().post("/api/auth/sign-up", &body).await;
    let first = verification_code(&app.email_to(&email).await);
    let route = "/api/auth/verify-email/resend";
    let known = app
        .anonymous()
        .post(route, &json!({ "email": email }))
        .await;
    let unknown = app
        .anonymous()
        .post(route, &json!({ "email": new_email(&app) }))
        .await;
    assert_eq!(known.status, 202, "{known:?}");
    assert_eq!((known.status, known.body), (unknown.status, unknown.body));
    // The new code replaces the first one.
    let emails = app.emails_to(&email, 2).await;
    let second = verification_code(&emails[1]);
    if second != first {
        let body = json!({ "email": email, "code": first });
        let stale = app.anonymous().post("/api/auth/verify-email", &body).await;
        assert_eq!(stale.status, 422, "{stale:?}");
    }
    let body = json!({ "email": email, "code": second });
    let response = app.anonymous().post("/api/auth/verify-email", &body).await;
    assert_eq!(response.status, 204, "{response:?}");
}
{%- else %}

/// Signs up `email`; without email verification the account is ready at once.
async fn sign_up_verified(app: &TestApp, email: &str, password: &str) {
    let body = sign_up_body(app, email, password).await;
    let response = app.anonymous().post("/api/auth/sign-up", &body).await;
    assert_eq!(response.status, 201, "{response:?}");
}

#[tokio::test]
async fn sign_up_answers_201_with_a_session() {
    let app = spawn_app().await;
    let email = new_email(&app);
    let body = sign_up_body(&app, &email, TEST_PASSWORD).await;
    let response = app.anonymous().post("/api/auth/sign-up", &body).await;
    assert_eq!(response.status, 201, "{response:?}");
    assert_eq!(response.body["user"][EMAIL], email.as_str());
    assert_eq!(response.body["user"]["role"], MEMBER);
    let token = response.body["token"].as_str().expect("a token").to_owned();
    let me = app.with_token(&token).get("/api/auth/me").await;
    assert_eq!(me.status, 200, "{me:?}");
    assert_eq!(me.body["id"], response.body["user"]["id"]);
}

#[tokio::test]
async fn sign_up_with_a_taken_address_is_409() {
    let app = spawn_app().await;
    let taken = app.caller(MEMBER).await;
    let body = sign_up_body(&app, &taken.email, "another password 123").await;
    let response = app.anonymous().post("/api/auth/sign-up", &body).await;
    assert_eq!(response.status, 409, "{response:?}");
    response.assert_field_error(EMAIL, "unique");
    assert_eq!(sign_in(&app, &taken.email, TEST_PASSWORD).await.status, 200);
}
{%- endif %}

#[tokio::test]
async fn sign_up_checks_the_password_and_every_field_at_once() {
    let app = spawn_app().await;
    let mut body = sign_up_body(&app, "not-an-email", "short").await;
    body["role"] = json!(ADMIN);
    let response = app.anonymous().post("/api/auth/sign-up", &body).await;
    assert_eq!(response.status, 422, "{response:?}");
    response.assert_field_error("password", "too_short");
    response.assert_field_error(EMAIL, "invalid_format");
    // Nobody picks their own role.
    response.assert_field_error("role", "unknown_field");
    let long = "x".repeat({{ a.password_max }} + 1);
    let body = sign_up_body(&app, &new_email(&app), &long).await;
    let response = app.anonymous().post("/api/auth/sign-up", &body).await;
    response.assert_field_error("password", "too_long");
}

#[tokio::test]
async fn new_accounts_get_the_default_role() {
    let app = spawn_app().await;
    let email = new_email(&app);
    sign_up_verified(&app, &email, TEST_PASSWORD).await;
    let response = sign_in(&app, &email, TEST_PASSWORD).await;
    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(response.body["user"]["role"], MEMBER);
}

#[tokio::test]
async fn sign_in_returns_a_session_that_me_accepts() {
    let app = spawn_app().await;
    let caller = app.caller(MEMBER).await;
    let response = sign_in(&app, &caller.email, TEST_PASSWORD).await;
    assert_eq!(response.status, 200, "{response:?}");
    assert!(response.body["expires_at"].is_string(), "{response:?}");
    let token = response.body["token"].as_str().expect("a token").to_owned();
    assert_eq!(token.len(), 43, "256 bits in base64url");
    let me = app.with_token(&token).get("/api/auth/me").await;
    assert_eq!(me.status, 200, "{me:?}");
    assert_eq!(me.body["id"], caller.id.as_str());
    assert_eq!(me.body["role"], MEMBER);
    // No password, hash or token in what the account sees of itself.
    let text = me.body.to_string();
    assert!(
        !text.contains("password") && !text.contains("argon2"),
        "{text}"
    );
}

#[tokio::test]
async fn sign_in_answers_the_same_for_a_wrong_password_and_an_unknown_account() {
    let app = spawn_app().await;
    let caller = app.caller(MEMBER).await;
    let wrong = sign_in(&app, &caller.email, "not the password").await;
    let unknown = sign_in(&app, &new_email(&app), "not the password").await;
    assert_eq!(wrong.status, 401, "{wrong:?}");
    assert_eq!(wrong.error_code(), "unauthorized");
    assert_eq!(
        (wrong.status, without_request_id(wrong.body)),
        (unknown.status, without_request_id(unknown.body))
    );
}

/// Sign-in samples per kind of account in the timing test.
const TIMING_SAMPLES: usize = 24;

/// Failed sign-ins per known account in the timing test: well under the lockout.
const TIMING_TRIES_PER_ACCOUNT: usize = 3;

/// The lower quartile of `samples`: what a request costs when the machine lets it run,
/// robust to the stalls other tests and processes cause on a busy machine.
fn lower_quartile(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 4]
}

#[tokio::test]
async fn sign_in_takes_as_long_for_unknown_accounts_as_for_known_ones() {
    // Every request comes from its own address (behind a trusted proxy), so the per-address
    // limit never answers early.
    let app = spawn_app_with(&[("TRUST_PROXY_HEADERS", "true")]).await;
    let mut accounts = Vec::new();
    for _ in 0..TIMING_SAMPLES.div_ceil(TIMING_TRIES_PER_ACCOUNT) {
        accounts.push(app.caller(MEMBER).await.email);
    }
    let timed = |n: usize, email: String| {
        let app = &app;
        async move {
            let address = format!("192.0.2.{}", n % 250 + 1);
            let body = json!({ "email": email, "password": "not the password" });
            let start = Instant::now();
            let response = app
                .anonymous()
                .header("x-forwarded-for", &address)
                .post("/api/auth/sign-in", &body)
                .await;
            let elapsed = start.elapsed();
            assert_eq!(response.status, 401, "{response:?}");
            elapsed
        }
    };
    // Interleaved, alternating which goes first, so a slow spell of the machine falls on
    // both kinds alike.
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for n in 0..TIMING_SAMPLES {
        let email = accounts[n / TIMING_TRIES_PER_ACCOUNT].clone();
        if n % 2 == 0 {
            known.push(timed(2 * n, email).await);
            unknown.push(timed(2 * n + 1, new_email(&app)).await);
        } else {
            unknown.push(timed(2 * n, new_email(&app)).await);
            known.push(timed(2 * n + 1, email).await);
        }
    }
    let (known, unknown) = (lower_quartile(known), lower_quartile(unknown));
    // Both check an argon2id hash (a dummy one for unknown accounts) and do the same writes,
    // so their costs agree. Skipping the hash for unknown accounts makes them answer ten
    // times faster or more; noise on a busy machine moves a lower quartile far less than 3x.
    assert!(
        unknown * 3 >= known && known * 3 >= unknown,
        "unknown {unknown:?} vs known {known:?} (lower quartiles of {TIMING_SAMPLES} each): \
         timing reveals which accounts exist"
    );
}

#[tokio::test]
async fn passwords_are_stored_as_argon2id_hashes() {
    let app = spawn_app().await;
    let email = new_email(&app);
    sign_up_verified(&app, &email, TEST_PASSWORD).await;
    let hash = app.password_hash_of(&email).await;
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
    assert!(!hash.contains(TEST_PASSWORD));
}

#[tokio::test]
async fn sessions_are_stored_as_hashes_only() {
    let app = spawn_app().await;
    let caller = app.caller(MEMBER).await;
    let stored = app.session_token_hashes().await;
    assert!(
        !stored.contains(&caller.token),
        "the token itself is stored"
    );
    assert!(stored.iter().all(|hash| hash.len() == 64), "{stored:?}");
}

#[tokio::test]
async fn a_missing_malformed_or_unknown_token_is_401() {
    let app = spawn_app().await;
    let missing = app.anonymous().get("/api/auth/me").await;
    assert_eq!(missing.status, 401, "{missing:?}");
    assert_eq!(missing.error_code(), "unauthorized");
    assert_eq!(missing.header("www-authenticate"), Some("Bearer"));
    let malformed = app.with_token("not a token").get("/api/auth/me").await;
    assert_eq!(malformed.status, 401, "{malformed:?}");
    let unknown = app
        .with_token("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
        .get("/api/auth/me")
        .await;
    assert_eq!(unknown.status, 401, "{unknown:?}");
}

#[tokio::test]
async fn expired_sessions_are_refused() {
    let app = spawn_app().await;
    let caller = app.caller(MEMBER).await;
    assert_eq!(app.as_caller(&caller).get("/api/auth/me").await.status, 200);
    app.expire_sessions_of(&caller).await;
    let response = app.as_caller(&caller).get("/api/auth/me").await;
    assert_eq!(response.status, 401, "{response:?}");
}

#[tokio::test]
async fn sessions_and_limits_hold_on_every_replica() {
    clear_of_a_window_edge().await;
    let app = spawn_app().await;
    let replica = app.spawn_replica().await;
    let caller = app.caller(MEMBER).await;
    let signed_in = sign_in(&app, &caller.email, TEST_PASSWORD).await;
    let token = signed_in.body["token"]
        .as_str()
        .expect("a token")
        .to_owned();
    assert_eq!(
        replica.with_token(&token).get("/api/auth/me").await.status,
        200
    );
    let route = "/api/auth/sign-out";
    let response = replica.with_token(&token).post(route, &json!({})).await;
    assert_eq!(response.status, 204, "{response:?}");
    assert_eq!(app.with_token(&token).get("/api/auth/me").await.status, 401);
    // Failures counted on one replica lock the account on the other too.
    for instance in [&app, &replica].into_iter().cycle().take(10) {
        sign_in(instance, &caller.email, "not the password").await;
    }
    assert_eq!(
        sign_in(&replica, &caller.email, TEST_PASSWORD).await.status,
        429
    );
}

#[tokio::test]
async fn sign_out_ends_only_this_session() {
    let app = spawn_app().await;
    let caller = app.caller(MEMBER).await;
    let other = sign_in(&app, &caller.email, TEST_PASSWORD).await;
    let other = other.body["token"].as_str().expect("a token").to_owned();
    let response = app
        .as_caller(&caller)
        .post("/api/auth/sign-out", &json!({}))
        .await;
    assert_eq!(response.status, 204, "{response:?}");
    assert_eq!(app.as_caller(&caller).get("/api/auth/me").await.status, 401);
    assert_eq!(app.with_token(&other).get("/api/auth/me").await.status, 200);
}

#[tokio::test]
async fn sign_out_everywhere_ends_every_session() {
    let app = spawn_app().await;
    let caller = app.caller(MEMBER).await;
    let other = sign_in(&app, &caller.email, TEST_PASSWORD).await;
    let other = other.body["token"].as_str().expect("a token").to_owned();
    let route = "/api/auth/sign-out-everywhere";
    let response = app.as_caller(&caller).post(route, &json!({})).await;
    assert_eq!(response.status, 204, "{response:?}");
    assert_eq!(app.as_caller(&caller).get("/api/auth/me").await.status, 401);
    assert_eq!(app.with_token(&other).get("/api/auth/me").await.status, 401);
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_ends_other_sessions() {
    let app = spawn_app().await;
    let caller = app.caller(MEMBER).await;
    let other = sign_in(&app, &caller.email, TEST_PASSWORD).await;
    let other = other.body["token"].as_str().expect("a token").to_owned();
    let new_password = "a brand new password";

    let body = json!({ "current_password": "not the password", "new_password": new_password });
    let wrong = app
        .as_caller(&caller)
        .post("/api/auth/password", &body)
        .await;
    assert_eq!(wrong.status, 422, "{wrong:?}");
    wrong.assert_field_error("current_password", "incorrect");

    let body = json!({ "current_password": TEST_PASSWORD, "new_password": new_password });
    let changed = app
        .as_caller(&caller)
        .post("/api/auth/password", &body)
        .await;
    assert_eq!(changed.status, 204, "{changed:?}");
    assert_eq!(app.as_caller(&caller).get("/api/auth/me").await.status, 200);
    assert_eq!(app.with_token(&other).get("/api/auth/me").await.status, 401);
    assert_eq!(
        sign_in(&app, &caller.email, TEST_PASSWORD).await.status,
        401
    );
    assert_eq!(sign_in(&app, &caller.email, new_password).await.status, 200);
}

#[tokio::test]
async fn password_reset_answers_the_same_for_unknown_addresses() {
    let app = spawn_app().await;
    let caller = app.caller(MEMBER).await;
    let route = "/api/auth/password-reset";
    let known = app
        .anonymous()
        .post(route, &json!({ "email": caller.email }))
        .await;
    let unknown = app
        .anonymous()
        .post(route, &json!({ "email": new_email(&app) }))
        .await;
    assert_eq!(known.status, 202, "{known:?}");
    assert_eq!((known.status, known.body), (unknown.status, unknown.body));
    assert!(app.email_to(&caller.email).await.contains("reset"));
}

#[tokio::test]
async fn a_reset_token_sets_the_password_once_and_ends_every_session() {
    let app = spawn_app().await;
    let caller = app.caller(MEMBER).await;
    let body = json!({ "email": caller.email });
    app.anonymous()
        .post("/api/auth/password-reset", &body)
        .await;
    let token = reset_token(&app.email_to(&caller.email).await);
    let new_password = "a brand new password";

    let body = json!({ "token": token, "password": new_password });
    let route = "/api/auth/password-reset/confirm";
    let response = app.anonymous().post(route, &body).await;
    assert_eq!(response.status, 204, "{response:?}");
    assert_eq!(app.as_caller(&caller).get("/api/auth/me").await.status, 401);
    assert_eq!(
        sign_in(&app, &caller.email, TEST_PASSWORD).await.status,
        401
    );
    assert_eq!(sign_in(&app, &caller.email, new_password).await.status, 200);

    let again = json!({ "token": token, "password": "yet another password" });
    let reused = app.anonymous().post(route, &again).await;
    assert_eq!(reused.status, 422, "{reused:?}");
    reused.assert_field_error("token", "invalid");
}

/// The reset token in a reset email: the line of 43 base64url characters.
fn reset_token(email: &str) -> String {
    email
        .lines()
        .map(str::trim)
        .find(|line| {
            line.len() == 43
                && line
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .unwrap_or_else(|| panic!("no token in {email}"))
        .to_owned()
}

#[tokio::test]
async fn sign_in_locks_an_account_after_ten_failures() {
    clear_of_a_window_edge().await;
    let app = spawn_app().await;
    let caller = app.caller(MEMBER).await;
    for _ in 0..10 {
        let response = sign_in(&app, &caller.email, "not the password").await;
        assert_eq!(response.status, 401, "{response:?}");
    }
    let locked = sign_in(&app, &caller.email, TEST_PASSWORD).await;
    assert_eq!(locked.status, 429, "{locked:?}");
    assert_eq!(locked.error_code(), "rate_limited");
    let retry_after: u64 = locked
        .header("retry-after")
        .and_then(|value| value.parse().ok())
        .expect("a Retry-After in seconds");
    assert!((1..=15 * 60).contains(&retry_after), "{retry_after}");
    // Unknown addresses lock the same way, so a 429 reveals nothing.
    let unknown = new_email(&app);
    for _ in 0..10 {
        sign_in(&app, &unknown, "not the password").await;
    }
    assert_eq!(
        sign_in(&app, &unknown, "not the password").await.status,
        429
    );
    // Other accounts are not affected.
    let other = app.caller(MEMBER).await;
    assert_eq!(sign_in(&app, &other.email, TEST_PASSWORD).await.status, 200);
}

#[tokio::test]
async fn a_sign_in_storm_past_the_hashing_queue_is_answered_503_then_sign_in_works() {
    // One hashing thread and one place in its queue: a third sign-in at once finds it full.
    let app = Arc::new(
        spawn_app_with(&[
            ("PASSWORD_HASH_THREADS", "1"),
            ("PASSWORD_HASH_QUEUE", "1"),
            ("TRUST_PROXY_HEADERS", "true"),
        ])
        .await,
    );
    let caller = app.caller(MEMBER).await;
    let mut busy = Vec::new();
    // Rounds of sign-ins at once, known and unknown accounts mixed, until some find the queue
    // full: the first round nearly always does, a busy machine may need another. No answer
    // is a 500 and none waits long.
    for round in 0..10 {
        let mut storm = JoinSet::new();
        for n in 0..24 {
            let app = Arc::clone(&app);
            let email = if n % 2 == 0 {
                caller.email.clone()
            } else {
                new_email(&app)
            };
            // Each from an address of its own, so no rate limit answers first.
            let from = format!("10.0.{round}.{n}");
            storm.spawn(async move {
                let body = json!({ "email": email, "password": TEST_PASSWORD });
                let from = app.anonymous().header("x-forwarded-for", &from);
                from.post("/api/auth/sign-in", &body).await
            });
        }
        while let Some(response) = storm.join_next().await {
            let response = response.expect("the sign-in task finishes");
            match response.status {
                200 | 401 => {}
                503 => busy.push(response),
                _ => panic!("a sign-in storm answers 200, 401 or 503: {response:?}"),
            }
        }
        if !busy.is_empty() {
            break;
        }
    }
    assert!(
        !busy.is_empty(),
        "sign-ins past the hashing queue must be refused with 503, not wait or use memory"
    );
    for response in &busy {
        assert_eq!(response.error_code(), "unavailable", "{response:?}");
        assert_eq!(response.header("retry-after"), Some("1"), "{response:?}");
    }
    // The storm is over: sign-in works again.
    let response = sign_in(&app, &caller.email, TEST_PASSWORD).await;
    assert_eq!(response.status, 200, "{response:?}");
}

#[tokio::test]
async fn emails_are_limited_per_client_address() {
    clear_of_a_window_edge().await;
    let app = spawn_app_with(&[("TRUST_PROXY_HEADERS", "true")]).await;
    let route = "/api/auth/password-reset";
    let from = |address: &'static str| app.anonymous().header("x-forwarded-for", address);
    for _ in 0..20 {
        let body = json!({ "email": new_email(&app) });
        let response = from("203.0.113.1").post(route, &body).await;
        assert_eq!(response.status, 202, "{response:?}");
    }
    let body = json!({ "email": new_email(&app) });
    let limited = from("203.0.113.1").post(route, &body).await;
    assert_eq!(limited.status, 429, "{limited:?}");
    assert!(limited.header("retry-after").is_some(), "{limited:?}");
    // Behind a trusted proxy each client has its own limit.
    let other = from("203.0.113.2").post(route, &body).await;
    assert_eq!(other.status, 202, "{other:?}");
}

#[tokio::test]
async fn forwarded_addresses_are_ignored_unless_the_proxy_is_trusted() {
    clear_of_a_window_edge().await;
    let app = spawn_app().await;
    let route = "/api/auth/password-reset";
    for n in 0..21 {
        let body = json!({ "email": new_email(&app) });
        let forged = format!("198.51.100.{n}");
        let response = app
            .anonymous()
            .header("x-forwarded-for", &forged)
            .post(route, &body)
            .await;
        let expected = if n < 20 { 202 } else { 429 };
        assert_eq!(response.status, expected, "request {n}: {response:?}");
    }
}

#[tokio::test]
async fn emails_to_one_address_are_limited() {
    clear_of_a_window_edge().await;
    let app = spawn_app().await;
    let caller = app.caller(MEMBER).await;
    let body = json!({ "email": caller.email });
    for _ in 0..3 {
        let response = app
            .anonymous()
            .post("/api/auth/password-reset", &body)
            .await;
        assert_eq!(response.status, 202, "{response:?}");
    }
    let limited = app
        .anonymous()
        .post("/api/auth/password-reset", &body)
        .await;
    assert_eq!(limited.status, 429, "{limited:?}");
}

{% if let Some(unique) = a.sign_up_unique -%}
/// A taken `{{ unique }}` is refused with the database's own answer, and the same answer
/// whether the address is new or has an account: it tells nobody which addresses do.
#[tokio::test]
async fn sign_up_refuses_a_taken_{{ unique }}_whatever_the_email_address() {
    let app = spawn_app().await;
    let existing = app.caller(MEMBER).await;
    let route = format!("{ACCOUNTS}/{}", existing.id);
    let taken = app.get(&route).await.body["{{ unique }}"].clone();
    for email in [new_email(&app), existing.email.clone()] {
        let mut body = sign_up_body(&app, &email, TEST_PASSWORD).await;
        body["{{ unique }}"] = taken.clone();
        let response = app.anonymous().post("/api/auth/sign-up", &body).await;
        assert_eq!(response.status, 409, "{email}: {response:?}");
        response.assert_field_error("{{ unique }}", "unique");
    }
}

{% endif -%}
#[tokio::test]
async fn only_admins_change_roles_and_one_admin_always_remains() {
    let app = spawn_app().await;
    let member = app.caller(MEMBER).await;
    let route = format!("{ACCOUNTS}/{}/role", member.id);
    let promote = json!({ "role": ADMIN });

    let refused = app.as_caller(&member).put(&route, &promote).await;
    assert_eq!(refused.status, 403, "{refused:?}");
    assert_eq!(refused.error_code(), "forbidden");
    let anonymous = app.anonymous().put(&route, &promote).await;
    assert_eq!(anonymous.status, 401, "{anonymous:?}");
    let invalid = app.put(&route, &json!({ "role": "no_such_role" })).await;
    invalid.assert_field_error("role", "invalid_value");

    let promoted = app.put(&route, &promote).await;
    assert_eq!(promoted.status, 200, "{promoted:?}");
    // The new role applies to the sessions the account already has.
    let me = app.as_caller(&member).get("/api/auth/me").await;
    assert_eq!(me.body["role"], ADMIN);

    let admin = app.caller(ADMIN).await;
    let demote = json!({ "role": MEMBER });
    for account in [&member, &admin] {
        let route = format!("{ACCOUNTS}/{}/role", account.id);
        let response = app.as_caller(&admin).put(&route, &demote).await;
        assert_eq!(response.status, 200, "{response:?}");
    }
    let last = format!("{ACCOUNTS}/{}/role", app.admin().id);
    let response = app.put(&last, &demote).await;
    assert_eq!(response.status, 409, "the last admin: {response:?}");
}

#[tokio::test]
async fn the_last_admins_account_cannot_be_deleted() {
    let app = spawn_app().await;
    let route = format!("{ACCOUNTS}/{}", app.admin().id);
    let refused = app.delete(&route).await;
    assert_eq!(refused.status, 409, "{refused:?}");
    refused.assert_field_error("id", "last_admin");
    let me = app.get("/api/auth/me").await;
    assert_eq!(me.status, 200, "the account and its session stay: {me:?}");

    // With a second admin, either may go, and then the other is the last.
    let other = app.caller(ADMIN).await;
    let deleted = app.as_caller(&other).delete(&route).await;
    assert_eq!(deleted.status, 204, "{deleted:?}");
    let route = format!("{ACCOUNTS}/{}", other.id);
    let refused = app.as_caller(&other).delete(&route).await;
    assert_eq!(refused.status, 409, "now the last admin: {refused:?}");
}

/// Two admins, on two instances at once, each taking the other's admin role away (one
/// demotes, the other deletes the account), 20 rounds: exactly one of the two passes every
/// time and an admin is always left.
#[tokio::test]
async fn one_admin_remains_when_two_admins_remove_each_other_at_once_on_two_instances() {
    let first = spawn_app().await;
    let second = first.spawn_replica().await;
    // The test admin steps down, so that every round starts with exactly two admins.
    let mut survivor = first.caller(ADMIN).await;
    let route = format!("{ACCOUNTS}/{}/role", first.admin().id);
    let demote = json!({ "role": MEMBER });
    let stepped_down = first.as_caller(&survivor).put(&route, &demote).await;
    assert_eq!(stepped_down.status, 200, "{stepped_down:?}");
    for round in 0..20 {
        let other = first.caller(ADMIN).await;
        let demote_other = format!("{ACCOUNTS}/{}/role", other.id);
        let delete_survivor = format!("{ACCOUNTS}/{}", survivor.id);
        let (as_survivor, as_other) = (first.as_caller(&survivor), second.as_caller(&other));
        let (demoted, deleted) = tokio::join!(
            as_survivor.put(&demote_other, &demote),
            as_other.delete(&delete_survivor),
        );
        assert_eq!(
            usize::from(demoted.status == 200) + usize::from(deleted.status == 204),
            1,
            "round {round}: exactly one may pass: {demoted:?} {deleted:?}"
        );
        if deleted.status == 204 {
            survivor = other;
        }
        let me = first.as_caller(&survivor).get("/api/auth/me").await;
        assert_eq!(me.body["role"], ADMIN, "round {round}: {me:?}");
    }
}

#[tokio::test]
async fn create_admin_creates_an_admin_who_can_sign_in() {
    let app = spawn_app().await;
    let email = new_email(&app);
    let mut args = vec![
        "create-admin".to_owned(),
        "--email".to_owned(),
        email.clone(),
    ];
    let body = app.{{ a.snake }}_body().await;
    for (field, value) in body.as_object().expect("an object") {
        if field != EMAIL {
            args.push("--set".to_owned());
            args.push(format!("{field}={value}"));
        }
    }
    let output = app
        .run_binary(&args, &[("ADMIN_PASSWORD", TEST_PASSWORD)])
        .await;
    assert!(output.status.success(), "{output:?}");
    assert!(!String::from_utf8_lossy(&output.stdout).contains(TEST_PASSWORD));
    let response = sign_in(&app, &email, TEST_PASSWORD).await;
    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(response.body["user"]["role"], ADMIN);
}

#[tokio::test]
async fn create_admin_promotes_an_existing_account() {
    let app = spawn_app().await;
    let member = app.caller(MEMBER).await;
    let args = ["create-admin", "--email", &member.email].map(str::to_owned);
    let output = app.run_binary(&args, &[]).await;
    assert!(output.status.success(), "{output:?}");
    let me = app.as_caller(&member).get("/api/auth/me").await;
    assert_eq!(me.body["role"], ADMIN);
}

#[tokio::test]
async fn email_goes_out_over_smtp_when_configured() {
    let server = SmtpServer::start().await;
    let app = spawn_app_with(&[
        ("SMTP_URL", server.url.as_str()),
        ("EMAIL_FROM", "Tests <tests@example.com>"),
    ])
    .await;
    let caller = app.caller(MEMBER).await;
    let body = json!({ "email": caller.email });
    let response = app
        .anonymous()
        .post("/api/auth/password-reset", &body)
        .await;
    assert_eq!(response.status, 202, "{response:?}");
    let message = server.message_to(&caller.email).await;
    assert_eq!(message.from, "tests@example.com");
    assert!(message.data.contains("reset your password"), "{message:?}");
    reset_token(&message.data);
}

#[tokio::test]
async fn auth_answers_are_never_cached() {
    let app = spawn_app().await;
    let caller = app.caller(MEMBER).await;
    let response = sign_in(&app, &caller.email, TEST_PASSWORD).await;
    assert_eq!(response.header("cache-control"), Some("no-store"));
}

#[tokio::test]
async fn requests_never_wait_for_the_mail_server() {
    // Email goes out in the background: an unreachable server slows no answer down.
    let app = spawn_app_with(&[
        ("SMTP_URL", "smtp://127.0.0.1:9"),
        ("EMAIL_FROM", "tests@example.com"),
    ])
    .await;
    let caller = app.caller(MEMBER).await;
    let start = Instant::now();
    let body = json!({ "email": caller.email });
    let response = app
        .anonymous()
        .post("/api/auth/password-reset", &body)
        .await;
    assert_eq!(response.status, 202, "{response:?}");
    assert!(start.elapsed() < Duration::from_secs(5));
}
