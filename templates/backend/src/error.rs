// {{ header }}
//! The one error type of the HTTP layer, and the one body every failure is answered with:
//!
//! ```json
//! {"error": {"code": "validation_failed", "message": "...", "fields": [{"field": "...", "code": "...", "message": "..."}], "request_id": "..."}}
//! ```
//!
//! Handlers return [`ApiError`]; the `render_errors` middleware in `http` writes the body,
//! adding the request id. Details of 500s are logged with that id, never sent.

use std::error::Error;

use axum::http::header::{RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use sqlx::error::ErrorKind;

use crate::BoxError;

/// One failing field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The JSON property or query parameter.
    pub field: String,
    /// A stable code: `required`, `invalid_type`, `too_long`, `unique`, a rule's code, ...
    pub code: String,
    /// A sentence for people.
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, code: &str, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.to_owned(),
            code: code.to_owned(),
            message: message.into(),
        }
    }
}

/// Every way a request can fail. Each variant's doc gives its status and `error.code`.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400 `bad_request`: malformed JSON, a wrong content type, bad query parameters.
    #[error("{message}")]
    BadRequest {
        message: String,
        fields: Vec<FieldError>,
    },
    /// 401 `unauthorized`: not signed in, or the session token is invalid or expired. Sent
    /// with `WWW-Authenticate: Bearer`.
    #[error("{0}")]
    Unauthorized(String),
    /// 403 `forbidden`: signed in, but not allowed to do this.
    #[error("{0}")]
    Forbidden(String),
    /// 403 `email_not_verified`: the password is right, but the email address is not
    /// verified yet (a new code is sent when the last one no longer works).
    #[error("verify your email address first, with the code emailed to it")]
    EmailNotVerified,
    /// 404 `not_found`.
    #[error("not found")]
    NotFound,
    /// 405 `method_not_allowed`.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// 409 `conflict`: a unique value is taken, the row is still referenced, or it changed
    /// while the request ran.
    #[error("{message}")]
    Conflict {
        message: String,
        fields: Vec<FieldError>,
    },
    /// 413 `payload_too_large`: the body is over `BODY_LIMIT_BYTES`.
    #[error("payload too large")]
    PayloadTooLarge,
    /// 422 `validation_failed`: lists every failing field at once.
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// 409 or 422 `rule_violated`: a rule of the spec; each field's code is the rule's code.
    #[error("{message}")]
    RuleViolated {
        status: StatusCode,
        message: String,
        fields: Vec<FieldError>,
    },
    /// 429 `rate_limited`: too many attempts; sent with `Retry-After` (seconds).
    #[error("too many attempts; try again in {retry_after} seconds")]
    RateLimited { retry_after: i64 },
    /// 503 `unavailable`: the database cannot be reached.
    #[error("service unavailable")]
    Unavailable,
{%- if has_auth %}
    /// 503 `unavailable`: every password hashing thread is busy and its queue is full (a
    /// sign-in storm); sent with `Retry-After: 1`.
    #[error("the server is busy; try again in a second")]
    Busy,
{%- endif %}
    /// 500 `internal`: logged with the request id; the client learns nothing more.
    #[error("internal error")]
    Internal(#[source] BoxError),
}

/// A named database constraint and how a violation of it is answered.
#[derive(Debug)]
pub struct Constraint {
    /// The constraint's name, as PostgreSQL reports it.
    pub name: &'static str,
    /// SQLite's message for it, when SQLite tells it apart (SQLite names only CHECK
    /// constraints; it reports unique ones by their columns and foreign keys not at all).
    pub sqlite_message: Option<&'static str>,
    pub violation: Violation,
    /// The request fields involved.
    pub fields: &'static [&'static str],
    /// What the client is told.
    pub message: &'static str,
}

/// What kind of promise a constraint keeps.
#[derive(Debug, Clone, Copy)]
pub enum Violation {
    /// A unique value is taken: 409 `conflict`, field code `unique`.
    Unique,
    /// A referenced row does not exist: 422 `validation_failed`, field code `not_found`.
    Reference,
    /// A value the column refuses: 422 `validation_failed`, field code `invalid`.
    Check,
    /// A rule of the spec: `rule_violated` with this status; the field code is the rule's code.
    Rule {
        code: &'static str,
        status: StatusCode,
    },
}

impl ApiError {
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::BadRequest {
            message: message.into(),
            fields: Vec::new(),
        }
    }

    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::Unauthorized(message.into())
    }

    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::Forbidden(message.into())
    }

    pub fn internal(error: impl Into<BoxError>) -> ApiError {
        ApiError::Internal(error.into())
    }

    /// 409: the row changed between reading and writing it.
    pub fn changed_meanwhile() -> ApiError {
        ApiError::Conflict {
            message: "the record changed while this request ran; read it and try again".to_owned(),
            fields: Vec::new(),
        }
    }

    /// `Ok` when `violations` is empty, else 422 `rule_violated` with the first rule's message.
    pub fn check_rules(violations: Vec<FieldError>) -> Result<(), ApiError> {
        match violations.first() {
            None => Ok(()),
            Some(first) => Err(ApiError::RuleViolated {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                message: first.message.clone(),
                fields: violations,
            }),
        }
    }

    /// Maps a database error from a write: a constraint in `constraints` as it describes,
    /// other violations by kind (unique 409, foreign key and check 422), anything else 500.
    pub fn from_db(error: sqlx::Error, constraints: &[Constraint]) -> ApiError {
        let sqlx::Error::Database(db_error) = &error else {
            return ApiError::from(error);
        };
        let known = constraints.iter().find(|c| match db_error.constraint() {
            Some(name) => name == c.name,
            None => c.sqlite_message == Some(db_error.message()),
        });
        if let Some(constraint) = known {
            return constraint.error();
        }
        if is_foreign_key_violation(db_error.as_ref()) {
            return ApiError::Validation(vec![FieldError::new(
                "",
                "not_found",
                "a referenced record does not exist",
            )]);
        }
        match db_error.kind() {
            ErrorKind::UniqueViolation => ApiError::Conflict {
                message: "a value that must be unique is already taken".to_owned(),
                fields: Vec::new(),
            },
            ErrorKind::CheckViolation => ApiError::Validation(vec![FieldError::new(
                "",
                "invalid",
                "a value is outside what the database accepts",
            )]),
            _ => ApiError::internal(error),
        }
    }

    /// Maps the database error of a DELETE: a foreign key violation means other records
    /// still reference the row (409).
    pub fn from_delete(error: sqlx::Error, constraints: &[Constraint]) -> ApiError {
        match &error {
            sqlx::Error::Database(db_error) if is_foreign_key_violation(db_error.as_ref()) => {
                ApiError::Conflict {
                    message: "other records still reference this one; delete them first".to_owned(),
                    fields: Vec::new(),
                }
            }
            _ => ApiError::from_db(error, constraints),
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) | ApiError::EmailNotVerified => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::RuleViolated { status, .. } => *status,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
{%- if has_auth %}
            ApiError::Unavailable | ApiError::Busy => StatusCode::SERVICE_UNAVAILABLE,
{%- else %}
            ApiError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
{%- endif %}
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn report(self) -> ErrorReport {
        let code = match &self {
            ApiError::RuleViolated { .. } => "rule_violated",
            ApiError::EmailNotVerified => "email_not_verified",
            _ => code_for(self.status()),
        };
        let (message, fields) = match self {
            ApiError::BadRequest { message, fields }
            | ApiError::Conflict { message, fields }
            | ApiError::RuleViolated {
                message, fields, ..
            } => (message, fields),
            ApiError::Validation(fields) => ("the request has invalid fields".to_owned(), fields),
            ApiError::NotFound => ("no such record".to_owned(), Vec::new()),
            other => (other.to_string(), Vec::new()),
        };
        ErrorReport {
            code,
            message,
            fields,
        }
    }
}

impl Constraint {
    /// What the client is told when the database refuses a write for this constraint.
    pub fn error(&self) -> ApiError {
        let fields = |code: &str| {
            self.fields
                .iter()
                .map(|field| FieldError::new(field, code, self.message))
                .collect()
        };
        match self.violation {
            Violation::Unique => ApiError::Conflict {
                message: self.message.to_owned(),
                fields: fields("unique"),
            },
            Violation::Reference => ApiError::Validation(fields("not_found")),
            Violation::Check => ApiError::Validation(fields("invalid")),
            Violation::Rule { code, status } => ApiError::RuleViolated {
                status,
                message: self.message.to_owned(),
                fields: fields(code),
            },
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> ApiError {
        match error {
            sqlx::Error::RowNotFound => ApiError::NotFound,
            sqlx::Error::PoolTimedOut => ApiError::Unavailable,
            sqlx::Error::Database(_) => ApiError::from_db(error, &[]),
            other => ApiError::internal(other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(error) = &self {
            tracing::error!(error = %chain(error.as_ref()), "internal error");
        }
        let mut response = self.status().into_response();
        let headers = response.headers_mut();
        match &self {
            ApiError::Unauthorized(_) => {
                headers.insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            ApiError::RateLimited { retry_after } => {
                headers.insert(RETRY_AFTER, HeaderValue::from((*retry_after).max(1)));
            }
{%- if has_auth %}
            ApiError::Busy => {
                headers.insert(RETRY_AFTER, HeaderValue::from_static("1"));
            }
{%- endif %}
            _ => {}
        }
        response.extensions_mut().insert(self.report());
        response
    }
}

/// An error on its way to the client, before the request id is added.
#[derive(Debug, Clone)]
pub struct ErrorReport {
    pub code: &'static str,
    pub message: String,
    pub fields: Vec<FieldError>,
}

impl ErrorReport {
    /// The report for an error response that carries none (from middleware or the router).
    pub fn for_status(status: StatusCode) -> ErrorReport {
        ErrorReport {
            code: code_for(status),
            message: status.canonical_reason().unwrap_or("error").to_lowercase(),
            fields: Vec::new(),
        }
    }

    /// The JSON body, its keys in the documented order.
    pub fn body(&self, request_id: &str) -> String {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: &self.message,
                fields: &self.fields,
                request_id,
            },
        };
        serde_json::to_string(&body).expect("an error body always serializes")
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorDetail<'a>,
}

#[derive(Serialize)]
struct ErrorDetail<'a> {
    code: &'a str,
    message: &'a str,
    fields: &'a [FieldError],
    request_id: &'a str,
}

/// Whether a foreign key refused the write. SQLite reports `ON DELETE RESTRICT` with a
/// different result code than other foreign key failures, so the message decides there.
fn is_foreign_key_violation(error: &dyn sqlx::error::DatabaseError) -> bool {
    error.is_foreign_key_violation() || error.message().contains("FOREIGN KEY constraint failed")
}

/// The stable `error.code` for a status.
fn code_for(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::REQUEST_TIMEOUT => "timeout",
        StatusCode::CONFLICT => "conflict",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::UNPROCESSABLE_ENTITY => "validation_failed",
        StatusCode::TOO_MANY_REQUESTS => "rate_limited",
        StatusCode::SERVICE_UNAVAILABLE => "unavailable",
        status if status.is_client_error() => "bad_request",
        _ => "internal",
    }
}

/// An error and its causes on one line: `cannot connect: connection refused`.
pub fn chain(error: &dyn Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}
