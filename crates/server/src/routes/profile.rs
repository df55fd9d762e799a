//! `POST /api/profile`: the shopper profile of a history sent with the request.

use axum::extract::State;
use axum::Json;
use daogou_catalog::HistoryEvent;
use daogou_guide::profile::Profile;
use serde::Deserialize;
use serde_json::Value;

use super::history;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::limits::Limits;
use crate::state::AppState;

/// The body of `POST /api/profile`, and of `PUT /api/users/{id}/history`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryBody {
    /// History events, as in history files.
    history: Vec<Value>,
}

impl HistoryBody {
    /// Checks every event and the number of events against `limits`.
    pub fn validate(self, limits: &Limits) -> Result<Vec<HistoryEvent>, ApiError> {
        history::events(&self.history, limits)
    }
}

/// Builds the profile.
pub async fn profile(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<HistoryBody>,
) -> Result<Json<Profile>, ApiError> {
    let events = body.validate(&state.settings().limits)?;
    let answer = state.run(move |guide| guide.profile(&events)).await?;
    Ok(Json(answer))
}
