//! `GET /api/health`, `GET /api/metrics` and `GET /api/openapi.json`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::openapi;
use crate::state::{AppState, Phase};

/// `200` with `status` `"ok"` or `"loading"`; `503` with `"failed"` when loading failed.
pub async fn health(State(state): State<AppState>) -> Response {
    let version = env!("CARGO_PKG_VERSION");
    let uptime_s = state.uptime_s();
    let history_storage = state.settings().histories.is_some();
    match state.phase() {
        Phase::Ready(summary) => Json(json!({
            "status": "ok",
            "products": summary.products,
            "scenes": summary.scenes,
            "model": summary.model,
            "version": version,
            "uptime_s": uptime_s,
            "history_storage": history_storage,
        }))
        .into_response(),
        Phase::Loading => Json(json!({
            "status": "loading",
            "products": Value::Null,
            "model": Value::Null,
            "version": version,
            "uptime_s": uptime_s,
            "history_storage": history_storage,
        }))
        .into_response(),
        Phase::Failed(error) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({
                "status": "failed",
                "error": error,
                "products": Value::Null,
                "model": Value::Null,
                "version": version,
                "uptime_s": uptime_s,
                "history_storage": history_storage,
            })),
        )
            .into_response(),
    }
}

/// Request counts, errors and latency percentiles per endpoint, and job slots in use.
pub async fn metrics(State(state): State<AppState>) -> Json<Value> {
    let (in_use, limit) = state.jobs();
    Json(json!({
        "uptime_s": state.uptime_s(),
        "jobs": { "running": in_use, "limit": limit },
        "endpoints": state.metrics().snapshot(),
    }))
}

/// The OpenAPI 3 document of this server.
pub async fn openapi(State(state): State<AppState>) -> Json<Value> {
    Json(openapi::document(&state.settings().limits))
}
