//! `POST /api/profile`: the shopper profile of a history sent with the request.

use axum::extract::State;
use axum::Json;
use daogou_catalog::HistoryEvent;
use daogou_guide::profile::Profile;
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::history;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::limits::Limits;
use crate::openapi::{BodyErrors, JobErrors};
use crate::state::AppState;

/// The body of `POST /api/profile`, and of `PUT /api/users/{id}/history`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HistoryBody {
    /// History events, as in history files.
    #[schema(value_type = Vec<HistoryEvent>)]
    history: Vec<Value>,
}

impl HistoryBody {
    /// Checks every event and the number of events against `limits`.
    pub fn validate(self, limits: &Limits) -> Result<Vec<HistoryEvent>, ApiError> {
        history::events(&self.history, limits)
    }
}

/// The shopper profile of a history.
///
/// Preferred categories and brands, price band and the weight of every event.
#[utoipa::path(
    post,
    path = "/api/profile",
    tag = "guide",
    request_body = HistoryBody,
    responses(
        (status = 200, description = "The profile", body = Profile),
        BodyErrors,
        JobErrors,
    ),
)]
pub async fn profile(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<HistoryBody>,
) -> Result<Json<Profile>, ApiError> {
    let events = body.validate(&state.settings().limits)?;
    let answer = state.run(move |guide| guide.profile(&events)).await?;
    Ok(Json(answer))
}
