//! `POST /api/scene`: the shopping scene of a request.

use axum::extract::State;
use axum::Json;
use daogou_catalog::json::optional_integer;
use daogou_guide::scene::SceneResult;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::limits::Limits;
use crate::openapi::{BodyErrors, JobErrors};
use crate::state::AppState;

/// The body of `POST /api/scene`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SceneBody {
    /// The request.
    request: String,
    /// Whether to attribute the winning scene's probability to the words (default true).
    #[serde(default)]
    explain: Option<bool>,
    /// Seed of the word attributions (default 0).
    #[serde(default, deserialize_with = "optional_integer")]
    seed: Option<u64>,
}

/// A checked scene request.
#[derive(Debug)]
pub struct SceneJob {
    /// The request text.
    pub request: String,
    /// Whether to explain the winning scene.
    pub explain: bool,
    /// Seed of the word attributions.
    pub seed: u64,
}

impl SceneBody {
    /// Checks the body against `limits`.
    pub fn validate(self, limits: &Limits) -> Result<SceneJob, ApiError> {
        limits.text("request", &self.request)?;
        Ok(SceneJob {
            request: self.request,
            explain: self.explain.unwrap_or(true),
            seed: limits.seed(self.seed)?,
        })
    }
}

/// The shopping scene of a request.
///
/// Calibrated zero-shot scene recognition, with word attributions of the winning scene.
#[utoipa::path(
    post,
    path = "/api/scene",
    tag = "guide",
    request_body = SceneBody,
    responses(
        (status = 200, description = "The scene, the ranking of all scenes and the explanation", body = SceneResult),
        BodyErrors,
        JobErrors,
    ),
)]
pub async fn scene(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<SceneBody>,
) -> Result<Json<SceneResult>, ApiError> {
    let SceneJob {
        request,
        explain,
        seed,
    } = body.validate(&state.settings().limits)?;
    let answer = state
        .run(move |guide| guide.scene(&request, explain, seed))
        .await?;
    Ok(Json(answer))
}
