//! A JSON body extractor whose rejections are JSON errors with clear messages.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::Json;
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::state::AppState;

/// `Json<T>` that answers `400` (malformed JSON), `413` (body over the limit), `415` (not
/// `application/json`) or `422` (wrong shape or types) with `{"error": ...}`.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(reject(rejection, state.settings().limits.max_body_bytes)),
        }
    }
}

fn reject(rejection: JsonRejection, limit: usize) -> ApiError {
    let status = rejection.status();
    let message = match &rejection {
        _ if status == StatusCode::PAYLOAD_TOO_LARGE => {
            format!("the request body is larger than the limit of {limit} bytes")
        }
        JsonRejection::JsonSyntaxError(e) => format!("malformed JSON: {}", detail(&e.body_text())),
        JsonRejection::JsonDataError(e) => {
            format!("wrong request shape: {}", detail(&e.body_text()))
        }
        JsonRejection::MissingJsonContentType(_) => {
            "send the body as JSON with \"Content-Type: application/json\"".to_string()
        }
        _ => rejection.body_text(),
    };
    ApiError::new(status, message)
}

/// axum's message without its generic prefix ("Failed to parse the request body as JSON: ").
fn detail(text: &str) -> &str {
    match text.split_once(": ") {
        Some((prefix, rest)) if prefix.starts_with("Failed to") => rest,
        _ => text,
    }
}
