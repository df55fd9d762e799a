//! `POST /api/profile`: the shopper profile of a history.

use axum::extract::State;
use axum::Json;
use daogou_guide::profile::Profile;
use serde::Deserialize;
use serde_json::Value;

use super::history;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::state::AppState;

/// The body of `POST /api/profile`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileBody {
    /// History events, as in history files.
    history: Vec<Value>,
}

/// Builds the profile.
pub async fn profile(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<ProfileBody>,
) -> Result<Json<Profile>, ApiError> {
    let events = history::events(&body.history, &state.settings().limits)?;
    let answer = state.run(move |guide| guide.profile(&events)).await?;
    Ok(Json(answer))
}
