//! `POST /api/scene`: the shopping scene of a request.

use axum::extract::State;
use axum::Json;
use daogou_guide::scene::SceneResult;
use serde::Deserialize;

use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::state::AppState;

/// The body of `POST /api/scene`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SceneBody {
    /// The request.
    request: String,
    /// Whether to attribute the winning scene's probability to the words (default true).
    #[serde(default)]
    explain: Option<bool>,
    /// Seed of the word attributions (default 0).
    #[serde(default)]
    seed: Option<u64>,
}

/// Recognises the scene of a request.
pub async fn scene(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<SceneBody>,
) -> Result<Json<SceneResult>, ApiError> {
    state.settings().limits.text("request", &body.request)?;
    let explain = body.explain.unwrap_or(true);
    let seed = body.seed.unwrap_or(0);
    let request = body.request;
    let answer = state
        .run(move |guide| guide.scene(&request, explain, seed))
        .await?;
    Ok(Json(answer))
}
