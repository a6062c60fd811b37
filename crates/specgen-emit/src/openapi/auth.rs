//! The OpenAPI additions of sign-in (its paths, schemas and the bearer security scheme),
//! and who may call each entity operation.

use serde_json::{Value as Json, json};
use specgen_ir::{Action, App, Caller, Decision, Entity};

use super::json::{error_response, json_content, schema_ref};
use crate::facts::access::who_may;
use crate::facts::auth::AuthFacts;

/// The OpenAPI additions of sign-in: its paths, its schemas and the bearer security
/// scheme. `new_record` is the schema of the sign-in entity's create body (`New<Entity>`),
/// which sign-up extends with `password`, less the fields a caller who is not signed in may
/// not set (`AuthFacts::sign_up_unsettable`: the server refuses them).
pub struct AuthApi {
    pub paths: Vec<(String, Json)>,
    pub schemas: Vec<(String, Json)>,
}

/// The security scheme every protected operation names.
pub const SECURITY_SCHEME: &str = "bearer";

impl AuthApi {
    /// The sign-in routes and schemas, given the account entity's create (`new_record`) and
    /// response (`record`) schemas.
    pub fn new(app: &App, a: &AuthFacts, new_record: &Json, record: &Json) -> AuthApi {
        let role_names: Vec<String> = app.roles.iter().map(|r| r.name.clone()).collect();
        let password = json!({
            "type": "string", "minLength": a.password_min, "maxLength": a.password_max,
            "description": format!("{} to {} characters.", a.password_min, a.password_max),
        });
        let email = json!({ "type": "string", "minLength": 1, "maxLength": 254 });
        // A password to check (sign-in, the current one): what `password::check_given` takes.
        let given = json!({ "type": "string", "minLength": 1, "maxLength": a.password_max });

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
                for field in &a.sign_up_unsettable {
                    properties.remove(field);
                }
                properties.insert("password".into(), password.clone());
            }
            if let Some(required) = object.get_mut("required").and_then(Json::as_array_mut) {
                required.retain(|field| {
                    !a.sign_up_unsettable
                        .iter()
                        .any(|unsettable| field.as_str() == Some(unsettable))
                });
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
                    json!({ "email": email, "password": given }),
                    &["email", "password"],
                ),
            ),
            (
                "Role".to_owned(),
                json!({ "type": "string", "enum": role_names }),
            ),
            ("Me".to_owned(), me_schema(a, record)),
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
                    json!({ "current_password": given, "new_password": password }),
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
                    json!({ "token": { "type": "string", "minLength": 1, "maxLength": 64, "description": "From the reset email." }, "password": password }),
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
                    json!({ "required": true, "content": json_content(schema_ref(body)) });
                operation["responses"]["400"] =
                    error_response("Malformed JSON, not an object, or a wrong content type.");
                operation["responses"]["413"] = error_response("The body is too large.");
            }
            operation["security"] = if secure { secured.clone() } else { json!([]) };
            json!({ "post": operation })
        };
        let mut paths = Vec::new();
        let mut sign_up_answer = if a.verify_email {
            json!({
                "202": { "description": "The account is created (or the address is taken: the answer is the same) and a verification code is emailed.", "content": json_content(schema_ref("Accepted")) },
                "422": error_response("Invalid fields or password."),
                "429": limited(),
                "503": busy(),
            })
        } else {
            json!({
                "201": { "description": "The account, signed in.", "content": json_content(schema_ref("Session")) },
                "409": error_response("An account uses this email address."),
                "422": error_response("Invalid fields or password."),
                "429": limited(),
                "503": busy(),
            })
        };
        if !a.other_uniques.is_empty() {
            let fields = a
                .other_uniques
                .iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(" or ");
            sign_up_answer["409"] = error_response(&if a.verify_email {
                format!(
                    "{fields} is taken (the same answer whether or not the address has an account)."
                )
            } else {
                format!("An account uses this email address, or {fields} is taken.")
            });
        }
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
            "200": { "description": "A new session.", "content": json_content(schema_ref("Session")) },
            "401": error_response("Wrong email or password (the same answer for unknown addresses)."),
            "422": error_response("Missing fields."),
            "429": limited(),
            "503": busy(),
        });
        if a.verify_email {
            sign_in_answer["403"] = error_response(
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
        let ended =
            json!({ "204": { "description": "Done." }, "401": error_response("Not signed in.") });
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
                    "200": { "description": "The account.", "content": json_content(schema_ref("Me")) },
                    "401": error_response("Not signed in."),
                },
            }}),
        ));
        paths.push((
            "/api/auth/password".to_owned(),
            op("change_password", "Change the password; ends every other session", Some("PasswordChange"), json!({
                "204": { "description": "Changed." },
                "401": error_response("Not signed in."),
                "422": error_response("The current password is wrong (`incorrect`) or the new one breaks the rules."),
                "429": limited(),
                "503": busy(),
            }), true),
        ));
        if a.verify_email {
            paths.push((
                "/api/auth/verify-email".to_owned(),
                op("verify_email", "Verify the email address with the emailed code", Some("VerifyEmail"), json!({
                    "204": { "description": "Verified; the account can sign in." },
                    "422": error_response("The code is wrong, used or expired (`invalid`); after 5 wrong tries a new code is needed."),
                    "429": limited(),
                }), false),
            ));
            paths.push((
                "/api/auth/verify-email/resend".to_owned(),
                op("resend_verification", "Email a new verification code", Some("EmailAddress"), json!({
                    "202": { "description": "The same answer whether or not the account exists.", "content": json_content(schema_ref("Accepted")) },
                    "429": limited(),
                }), false),
            ));
        }
        paths.push((
            "/api/auth/password-reset".to_owned(),
            op("request_password_reset", "Email a single-use password reset token", Some("EmailAddress"), json!({
                "202": { "description": "The same answer whether or not the account exists.", "content": json_content(schema_ref("Accepted")) },
                "429": limited(),
            }), false),
        ));
        paths.push((
            "/api/auth/password-reset/confirm".to_owned(),
            op("confirm_password_reset", "Set a new password with the reset token; ends every session", Some("PasswordReset"), json!({
                "204": { "description": "The password is set." },
                "422": error_response("The token is wrong, used or expired (`invalid`), or the password breaks the rules."),
                "429": limited(),
                "503": busy(),
            }), false),
        ));
        let mut role = op(
            "set_role",
            "Change an account's role (admins only)",
            Some("RoleChange"),
            json!({
                "200": { "description": "The new role.", "content": json_content(schema_ref("RoleOfAccount")) },
                "401": error_response("Not signed in."),
                "403": error_response("Only admins change roles."),
                "404": error_response("No such account."),
                "409": error_response("The last admin cannot lose the role."),
                "422": error_response("Not a role."),
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
            object(json!({ "email": email, "code": { "type": "string", "minLength": 1, "maxLength": 64, "description": "The 6 digits from the email." } }), &["email", "code"]),
        ));
        }
        AuthApi { paths, schemas }
    }
}

/// A 429 with its `Retry-After`.
pub fn limited() -> Json {
    json!({
        "description": "Too many attempts (`rate_limited`); retry after `Retry-After` seconds.",
        "headers": { "Retry-After": { "schema": { "type": "integer" }, "description": "Seconds until the limit resets." } },
        "content": json_content(schema_ref("Error")),
    })
}

/// A 503 of a route that hashes a password, when hashing is saturated.
pub fn busy() -> Json {
    json!({
        "description": "Every password hashing thread is busy and the queue in front of them is full (`unavailable`); retry after `Retry-After` seconds. Unknown and known accounts are answered alike.",
        "headers": { "Retry-After": { "schema": { "type": "integer" }, "description": "Seconds to wait before retrying (1)." } },
        "content": json_content(schema_ref("Error")),
    })
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
        // Open when a caller without a token is answered, on every record or on those that
        // meet a condition ("anyone: published posts"): the token is then optional.
        let anonymous = entity.permissions.decide(action, Caller::Anonymous);
        let open = matches!(anonymous, Decision::All | Decision::Rows);
        let description = operation
            .get("description")
            .and_then(Json::as_str)
            .map_or_else(String::new, |d| format!("{d}\n\n"));
        operation.insert(
            "description".into(),
            json!(format!("{description}Who may: {who}.")),
        );
        if app.auth.is_none() {
            // Nobody signs in, so what is not open to anyone is refused to everyone.
            if !open
                && let Some(responses) =
                    operation.get_mut("responses").and_then(Json::as_object_mut)
            {
                responses.insert(
                    "401".into(),
                    error_response(
                        "Always: this app has no sign-in, and this is not open to anyone.",
                    ),
                );
            }
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
                error_response("Not signed in (or the session token is invalid or expired)."),
            );
            // Under a condition, a caller may read a record and still be refused the action.
            if anonymous != Decision::All {
                responses.insert(
                    "403".into(),
                    error_response("Signed in, but the caller's role may not do this."),
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

/// `GET /api/auth/me`'s answer: the account's record with its role and whether its address
/// is verified, in one closed object (an `allOf` of the closed record schema and the two
/// fields would accept no answer at all).
fn me_schema(a: &AuthFacts, record: &Json) -> Json {
    let mut me = record.clone();
    if let Some(object) = me.as_object_mut() {
        object.insert(
            "description".into(),
            json!(format!(
                "The signed-in {}: its fields, its role and whether its email address is verified.",
                a.words
            )),
        );
        if let Some(properties) = object.get_mut("properties").and_then(Json::as_object_mut) {
            properties.insert("role".into(), schema_ref("Role"));
            properties.insert("email_verified".into(), json!({ "type": "boolean" }));
        }
        match object.get_mut("required").and_then(Json::as_array_mut) {
            Some(required) => required.extend([json!("role"), json!("email_verified")]),
            None => {
                object.insert("required".into(), json!(["role", "email_verified"]));
            }
        }
    }
    me
}
