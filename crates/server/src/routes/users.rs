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
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::profile::HistoryBody;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, RequireApiKey};
use crate::histories::{Histories, UserId};
use crate::openapi::{BodyErrors, KeyErrors, StoreErrors};
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

/// The path parameter of the user endpoints ([`UserId`] checks it).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct UserPath {
    /// The user id: 1 to 128 characters, not blank, no control characters.
    id: String,
}

/// The `{id}` of the path, checked.
fn user(path: Result<Path<UserPath>, PathRejection>) -> Result<UserId, ApiError> {
    let Path(UserPath { id: raw }) = path.map_err(|rejection| {
        ApiError::new(rejection.status(), "the user id in the path is not valid")
    })?;
    UserId::new(raw)
}

/// The answer to `PUT`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Stored {
    /// Events now stored for the user.
    pub events: usize,
}

/// The answer to `GET`.
#[derive(Debug, Serialize, ToSchema)]
pub struct StoredHistory {
    /// The stored events, oldest first as sent; empty when nothing is stored.
    pub history: Vec<HistoryEvent>,
}

/// The answer to `DELETE`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Deleted {
    /// What was deleted.
    pub deleted: UserDeletion,
}

/// Replace a user's stored history.
///
/// Replaces the history stored for the user with the events sent, checked like a
/// request's history (an empty list deletes it). Needs `--store-histories`.
#[utoipa::path(
    put,
    path = "/api/users/{id}/history",
    tag = "users",
    params(UserPath),
    request_body = HistoryBody,
    responses(
        (status = 200, description = "The events now stored", body = Stored),
        BodyErrors,
        KeyErrors,
        StoreErrors,
    ),
    security(("bearer" = []), ("api_key" = [])),
)]
pub async fn put_history(
    StoredHistories(store): StoredHistories,
    _key: RequireApiKey,
    State(state): State<AppState>,
    path: Result<Path<UserPath>, PathRejection>,
    ApiJson(body): ApiJson<HistoryBody>,
) -> Result<Json<Stored>, ApiError> {
    let user = user(path)?;
    let events = body.validate(&state.settings().limits)?;
    let events = store.replace(user, events).await?;
    Ok(Json(Stored { events }))
}

/// A user's stored history.
///
/// The events stored for the user, in the order they were sent; empty when nothing is
/// stored. Needs `--store-histories`.
#[utoipa::path(
    get,
    path = "/api/users/{id}/history",
    tag = "users",
    params(UserPath),
    responses(
        (status = 200, description = "The stored events", body = StoredHistory),
        (status = 422, description = "The user id is not valid", body = ErrorBody),
        KeyErrors,
        StoreErrors,
    ),
    security(("bearer" = []), ("api_key" = [])),
)]
pub async fn get_history(
    StoredHistories(store): StoredHistories,
    _key: RequireApiKey,
    path: Result<Path<UserPath>, PathRejection>,
) -> Result<Json<StoredHistory>, ApiError> {
    let history = store.history(user(path)?).await?;
    Ok(Json(StoredHistory { history }))
}

/// Delete everything stored about a user.
///
/// Deletes the user's stored history (the only data kept about users) and says what was
/// deleted. Needs `--store-histories`.
#[utoipa::path(
    delete,
    path = "/api/users/{id}",
    tag = "users",
    params(UserPath),
    responses(
        (status = 200, description = "What was deleted", body = Deleted),
        (status = 422, description = "The user id is not valid", body = ErrorBody),
        KeyErrors,
        StoreErrors,
    ),
    security(("bearer" = []), ("api_key" = [])),
)]
pub async fn delete_user(
    StoredHistories(store): StoredHistories,
    _key: RequireApiKey,
    path: Result<Path<UserPath>, PathRejection>,
) -> Result<Json<Deleted>, ApiError> {
    let deleted = store.delete_user(user(path)?).await?;
    Ok(Json(Deleted { deleted }))
}
