//! JSON errors: every error response is `{"error": "message", ...details}` with a 4xx or
//! 5xx status, including the ones axum produces itself (unknown method, rejected bodies).

use std::any::Any;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use daogou_catalog::{CatalogError, StoreError};
use daogou_guide::GuideError;
use serde::Serialize;
use utoipa::ToSchema;

/// The body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong, for people.
    pub error: String,
    /// Where the server is, for the 503 and 429 answers a client may retry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<ServerState>,
}

/// Why a request the client may retry was not answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ServerState {
    /// The model is still loading.
    Loading,
    /// Loading the guide failed.
    Failed,
    /// Every job slot stayed taken.
    Busy,
    /// The request took longer than the server's limit.
    Timeout,
}

/// An error answered as JSON.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
    state: Option<ServerState>,
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl ApiError {
    /// An error with a status and a message for the client.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            state: None,
            headers: Vec::new(),
        }
    }

    /// The status it is answered with.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// `404` with a message.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    /// `422`: the body is well-formed JSON of the right shape but its values are refused.
    pub fn unprocessable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, message)
    }

    /// The answer to an error the guide returned, by its variant: `422` with the message
    /// for what the client can fix ([`GuideError::is_client_error`]), `507` when the store
    /// could not write (disk full), `503` when it is read-only or its database unreachable
    /// (with `Retry-After`), and otherwise `500` without
    /// internal detail (the whole cause chain goes to the log).
    pub fn guide(err: &GuideError) -> Self {
        match err {
            GuideError::Catalog(CatalogError::Store(StoreError::WriteFailed { .. })) => {
                Self::new(StatusCode::INSUFFICIENT_STORAGE, err.to_string())
            }
            GuideError::Catalog(CatalogError::Store(StoreError::ReadOnly(_))) => {
                Self::new(StatusCode::SERVICE_UNAVAILABLE, err.to_string())
            }
            GuideError::Catalog(CatalogError::Store(StoreError::Unavailable { .. })) => {
                eprintln!("daogou: {}", cause_chain(err));
                Self::database_unreachable()
            }
            _ if err.is_client_error() => {
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, err.to_string())
            }
            _ => {
                eprintln!("daogou: internal error: {}", cause_chain(err));
                Self::internal("answering the request")
            }
        }
    }

    /// `503` with `Retry-After`: the catalog database does not answer.
    pub fn database_unreachable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the catalog database is unreachable; retry shortly",
        )
        .with_header(RETRY_AFTER, HeaderValue::from_static("5"))
    }

    /// `500` without internal details (they go to stderr).
    pub fn internal(context: &str) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("internal error while {context}; see the server log"),
        )
    }

    /// `503` while the guide is loading.
    pub fn loading() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the model is still loading; retry in a few seconds (GET /api/health says when it is ready)",
        )
        .with_state(ServerState::Loading)
        .with_header(RETRY_AFTER, HeaderValue::from_static("2"))
    }

    /// `401` with a `WWW-Authenticate` challenge.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, message).with_header(
            WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"daogou\""),
        )
    }

    /// Says in the body where the server is.
    pub fn with_state(mut self, state: ServerState) -> Self {
        self.state = Some(state);
        self
    }

    /// Adds a response header.
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }
}

/// An error and its sources, joined with `: `.
fn cause_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: self.message,
            status: self.state,
        };
        let mut response = (self.status, Json(body)).into_response();
        for (name, value) in self.headers {
            response.headers_mut().insert(name, value);
        }
        response
    }
}

/// Largest non-JSON error body [`json_errors`] reads to reuse as the message.
const MAX_PLAIN_ERROR: usize = 16 * 1024;

/// Middleware: rewrites error responses that are not JSON (axum's own 405 and
/// rejections) into `{"error": ...}`, keeping status and headers. A 405 names the methods
/// the route has, from `operations` (`METHOD /path` of every documented operation).
pub async fn json_errors(
    State(operations): State<Arc<[String]>>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string());
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, MAX_PLAIN_ERROR)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let message = if status == StatusCode::METHOD_NOT_ALLOWED {
        let allowed: Vec<&str> = operations
            .iter()
            .filter_map(|operation| operation.split_once(' '))
            .filter(|(_, template)| route.as_deref() == Some(*template))
            .map(|(method, _)| method)
            .collect();
        format!(
            "method {method} is not allowed on {path}; use {}",
            allowed.join(" or ")
        )
    } else if text.is_empty() {
        status.canonical_reason().unwrap_or("error").to_lowercase()
    } else {
        text
    };
    let body = ErrorBody {
        error: message,
        status: None,
    };
    let body = serde_json::to_string(&body).unwrap_or_default();
    parts.headers.remove(CONTENT_LENGTH);
    parts
        .headers
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Response::from_parts(parts, Body::from(body))
}

/// The response to a handler panic (used with `CatchPanicLayer`).
pub fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let detail = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("unknown panic");
    eprintln!("daogou: a request handler panicked: {detail}");
    ApiError::internal("answering the request").into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use daogou_explain::ExplainError;
    use daogou_model::ModelError;

    #[test]
    fn client_errors_are_422_with_their_message() {
        let err = ApiError::guide(&GuideError::InvalidRequest(
            "k must be between 1 and 100".into(),
        ));
        assert_eq!(err.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(err.message, "k must be between 1 and 100");
        let err = ApiError::guide(&GuideError::Catalog(CatalogError::UnknownProduct(
            "p9".into(),
        )));
        assert_eq!(err.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let budget = ExplainError::BudgetTooSmall {
            method: daogou_explain::Method::Shap,
            features: 12,
            budget: 10,
            required: 13,
        };
        let err = ApiError::guide(&GuideError::Attribute(budget.into()));
        assert_eq!(err.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(err.message.contains("budget"), "{}", err.message);
    }

    #[test]
    fn internal_errors_are_500_without_detail() {
        let secret = "tensor shape mismatch in /root/.cache/model";
        for err in [
            GuideError::Model(ModelError::InvalidInput(secret.into())),
            GuideError::Internal(anyhow::anyhow!(secret)),
        ] {
            let answer = ApiError::guide(&err);
            assert_eq!(answer.status(), StatusCode::INTERNAL_SERVER_ERROR);
            assert!(!answer.message.contains("tensor"), "{}", answer.message);
        }
    }

    #[test]
    fn store_errors_keep_their_statuses() {
        let read_only = StoreError::ReadOnly("/data/catalog.sqlite".into());
        let err = ApiError::guide(&GuideError::from(read_only));
        assert_eq!(err.status(), StatusCode::SERVICE_UNAVAILABLE);
    }
}
