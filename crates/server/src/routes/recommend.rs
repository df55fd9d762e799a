//! `POST /api/recommend`: products for a request, each explained.

use axum::extract::State;
use axum::Json;
use daogou_guide::recommend::Recommendations;
use daogou_guide::{Method, RecommendOptions};
use serde::Deserialize;
use serde_json::Value;

use super::history;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::state::AppState;

/// The body of `POST /api/recommend`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecommendBody {
    /// What the shopper is looking for.
    request: String,
    /// Products to return (default 10).
    #[serde(default)]
    k: Option<usize>,
    /// Explanation methods of the request words (default `["shap"]`; `[]` for none).
    #[serde(default)]
    explain: Option<Vec<Method>>,
    /// Seed of every sampled method (default 0).
    #[serde(default)]
    seed: Option<u64>,
    /// The shopper's history, for personalisation.
    #[serde(default)]
    history: Option<Vec<Value>>,
}

/// Recommends products, explained.
pub async fn recommend(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RecommendBody>,
) -> Result<Json<Recommendations>, ApiError> {
    let limits = state.settings().limits;
    limits.text("request", &body.request)?;
    let mut options = RecommendOptions {
        k: limits.k(body.k.unwrap_or(RecommendOptions::default().k))?,
        seed: body.seed.unwrap_or(0),
        ..RecommendOptions::default()
    };
    if let Some(methods) = body.explain {
        options.methods = methods.into_iter().collect();
    }
    options.limits.max_k = limits.max_k;
    options.limits.max_request_chars = limits.max_text_chars;
    let events = body
        .history
        .as_deref()
        .map(|h| history::events(h, &limits))
        .transpose()?;
    let request = body.request;
    let answer = state
        .run(move |guide| guide.recommend(&request, events.as_deref(), &options))
        .await?;
    Ok(Json(answer))
}
