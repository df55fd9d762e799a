//! Extractors: the API key check, and a JSON body extractor whose rejections are JSON
//! errors with clear messages, with the body parser it uses ([`parse_body`], public so that fuzz targets exercise exactly the
//! code that parses request bodies).

use axum::body::Bytes;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::de::DeserializeOwned;

use crate::auth::authorize;
use crate::error::ApiError;
use crate::state::AppState;

/// Extractor that lets a request through only with the configured API key
/// ([`authorize`]). It runs before the body is read, so unauthenticated uploads are refused
/// without reading them.
pub struct RequireApiKey;

impl FromRequestParts<AppState> for RequireApiKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        authorize(&parts.headers, state.settings().api_key.as_ref()).map(|()| Self)
    }
}

/// `Json<T>` that answers `400` (malformed JSON), `413` (body over the limit), `415` (not
/// `application/json`) or `422` (wrong shape or types) with `{"error": ...}`.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        if !is_json(request.headers()) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "send the body as JSON with \"Content-Type: application/json\"",
            ));
        }
        let limit = state.settings().limits.max_body_bytes;
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        format!("the request body is larger than the limit of {limit} bytes"),
                    )
                } else {
                    ApiError::new(rejection.status(), rejection.body_text())
                }
            })?;
        parse_body(&bytes).map(Self)
    }
}

/// Parses a JSON request body: `400` when it is not JSON, `422` when it is JSON of the
/// wrong shape. Never panics, whatever the bytes.
pub fn parse_body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    Json::<T>::from_bytes(bytes)
        .map(|Json(value)| value)
        .map_err(reject)
}

/// `application/json`, or any `application/*+json`, parameters aside.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or_default().trim();
    let Some((kind, subtype)) = essence.split_once('/') else {
        return false;
    };
    kind.eq_ignore_ascii_case("application")
        && (subtype.eq_ignore_ascii_case("json") || subtype.to_ascii_lowercase().ends_with("+json"))
}

fn reject(rejection: JsonRejection) -> ApiError {
    let status = rejection.status();
    let message = match &rejection {
        JsonRejection::JsonSyntaxError(e) => format!("malformed JSON: {}", detail(&e.body_text())),
        JsonRejection::JsonDataError(e) => {
            format!("wrong request shape: {}", detail(&e.body_text()))
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

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn json_content_types_are_recognised() {
        let accepts = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(CONTENT_TYPE, HeaderValue::from_str(value).expect("header"));
            is_json(&headers)
        };
        assert!(accepts("application/json"));
        assert!(accepts("Application/JSON; charset=utf-8"));
        assert!(accepts("application/problem+json"));
        assert!(!accepts("text/plain"));
        assert!(!accepts("application/jsonl"));
        assert!(!accepts("json"));
        assert!(!is_json(&HeaderMap::new()));
    }

    #[test]
    fn bodies_parse_or_fail_with_400_or_422() {
        #[derive(Debug, serde::Deserialize)]
        struct Body {
            n: u8,
        }
        assert_eq!(
            parse_body::<Body>(br#"{"n": 3}"#).map(|b| b.n).ok(),
            Some(3)
        );
        let status = |bytes: &[u8]| {
            parse_body::<Body>(bytes).map_or_else(|e| e.status(), |_| StatusCode::OK)
        };
        assert_eq!(status(b"{\"n\": "), StatusCode::BAD_REQUEST);
        assert_eq!(status(b""), StatusCode::BAD_REQUEST);
        assert_eq!(status(br#"{"n": 300}"#), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(status(b"\"text\""), StatusCode::UNPROCESSABLE_ENTITY);
    }
}
