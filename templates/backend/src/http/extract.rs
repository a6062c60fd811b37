// {{ header }}
//! Extractors that answer rejections in the app's error format.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::error::ApiError;

/// A JSON request body or response. A missing or wrong content type and malformed JSON are
/// 400 `bad_request`, a body over the limit 413, all in the app's error format.
#[derive(Debug, Clone, Copy, Default)]
pub struct AppJson<T>(pub T);

impl<S, T> FromRequest<S> for AppJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(AppJson(value)),
            Err(rejection) => Err(match rejection {
                JsonRejection::MissingJsonContentType(_) => {
                    ApiError::bad_request("expected a body with `content-type: application/json`")
                }
                JsonRejection::JsonSyntaxError(error) => {
                    ApiError::bad_request(format!("malformed JSON: {}", error.body_text()))
                }
                JsonRejection::JsonDataError(error) => {
                    ApiError::bad_request(format!("unexpected JSON: {}", error.body_text()))
                }
                JsonRejection::BytesRejection(error)
                    if error.status() == StatusCode::PAYLOAD_TOO_LARGE =>
                {
                    ApiError::PayloadTooLarge
                }
                other => ApiError::bad_request(other.body_text()),
            }),
        }
    }
}

impl<T: Serialize> IntoResponse for AppJson<T> {
    fn into_response(self) -> Response {
        Json(self.0).into_response()
    }
}

/// The `{id}` of an item route. A segment that is not a UUID names no record: 404.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntityId(pub Uuid);

impl<S: Send + Sync> FromRequestParts<S> for EntityId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(segment) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::NotFound)?;
        Uuid::parse_str(&segment)
            .map(EntityId)
            .map_err(|_| ApiError::NotFound)
    }
}

/// The query string of a list request as name-value pairs, in order.
#[derive(Debug, Clone, Default)]
pub struct ListQuery(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for ListQuery {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Query::try_from_uri(&parts.uri)
            .map(|Query(pairs)| ListQuery(pairs))
            .map_err(|error| {
                ApiError::bad_request(format!("bad query string: {}", error.body_text()))
            })
    }
}
