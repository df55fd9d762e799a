//! Stored histories (`--store-histories`, API key): `PUT /api/users/{id}/history`
//! replaces a user's history, `GET /api/users/{id}/history` returns it and
//! `DELETE /api/users/{id}` deletes everything stored about the user.
//!
//! Without `--store-histories` these endpoints answer `404` and nothing is stored.

use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::Json;
use daogou_catalog::history_store::UserDeletion;
use daogou_catalog::HistoryEvent;
use serde::Serialize;

use super::profile::HistoryBody;
use crate::auth::RequireApiKey;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::histories::{Histories, UserId};
use crate::state::AppState;

/// Extractor of the history store: `404` when the server keeps no histories. It runs
/// before the key check and the body, so nothing is read when storage is off.
pub struct StoredHistories(Histories);

impl FromRequestParts<AppState> for StoredHistories {
    type Rejection = ApiError;

    async fn from_request_parts(_: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        state.settings().histories.clone().map(Self).ok_or_else(|| {
            ApiError::not_found(
                "this server stores no histories: start it with --store-histories to keep \
                     them; until then nothing about users is stored, and recommendations take \
                     the history with the request",
            )
        })
    }
}

/// The `{id}` of the path, checked.
fn user(path: Result<Path<String>, PathRejection>) -> Result<UserId, ApiError> {
    let Path(raw) = path.map_err(|rejection| {
        ApiError::new(rejection.status(), "the user id in the path is not valid")
    })?;
    UserId::new(raw)
}

/// The answer to `PUT`.
#[derive(Debug, Serialize)]
pub struct Stored {
    /// Events now stored for the user.
    pub events: usize,
}

/// The answer to `GET`.
#[derive(Debug, Serialize)]
pub struct StoredHistory {
    /// The stored events, oldest first as sent; empty when nothing is stored.
    pub history: Vec<HistoryEvent>,
}

/// The answer to `DELETE`.
#[derive(Debug, Serialize)]
pub struct Deleted {
    /// What was deleted.
    pub deleted: UserDeletion,
}

/// `PUT /api/users/{id}/history`: replaces the user's history (checked like a request's).
pub async fn put_history(
    StoredHistories(store): StoredHistories,
    _key: RequireApiKey,
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    ApiJson(body): ApiJson<HistoryBody>,
) -> Result<Json<Stored>, ApiError> {
    let user = user(path)?;
    let events = body.validate(&state.settings().limits)?;
    let events = store.replace(user, events).await?;
    Ok(Json(Stored { events }))
}

/// `GET /api/users/{id}/history`.
pub async fn get_history(
    StoredHistories(store): StoredHistories,
    _key: RequireApiKey,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<StoredHistory>, ApiError> {
    let history = store.history(user(path)?).await?;
    Ok(Json(StoredHistory { history }))
}

/// `DELETE /api/users/{id}`: deletes everything stored about the user.
pub async fn delete_user(
    StoredHistories(store): StoredHistories,
    _key: RequireApiKey,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<Deleted>, ApiError> {
    let deleted = store.delete_user(user(path)?).await?;
    Ok(Json(Deleted { deleted }))
}
