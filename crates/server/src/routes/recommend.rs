//! `POST /api/recommend`: products for a request, each explained, optionally personalised
//! by a history sent with the request or stored for a user (`user_id`, API key).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use daogou_catalog::json::optional_integer;
use daogou_catalog::HistoryEvent;
use daogou_guide::answer::Recommendations;
use daogou_guide::{Method, RecommendOptions};
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::history;
use crate::auth::authorize;
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiJson;
use crate::histories::UserId;
use crate::limits::Limits;
use crate::openapi::{BodyErrors, JobErrors};
use crate::state::AppState;

/// Notice added to answers for a user with no stored history.
pub const NO_STORED_HISTORY: &str =
    "no history is stored for this user; the products are not personalised";

/// The body of `POST /api/recommend`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecommendBody {
    /// What the shopper is looking for, e.g. "waterproof hiking jacket under 200 dollars".
    request: String,
    /// Products to return (default 10).
    #[serde(default, deserialize_with = "optional_integer")]
    #[schema(minimum = 1)]
    k: Option<usize>,
    /// Explanation methods of the request words (default `["shap"]`; `[]` for none).
    #[serde(default)]
    explain: Option<Vec<Method>>,
    /// Seed of every sampled method (default 0).
    #[serde(default, deserialize_with = "optional_integer")]
    seed: Option<u64>,
    /// The shopper's history, for personalisation, as in history files.
    #[serde(default)]
    #[schema(value_type = Option<Vec<HistoryEvent>>)]
    history: Option<Vec<Value>>,
    /// A user whose stored history personalises the answer (needs `--store-histories` and
    /// the API key); not together with `history`.
    #[serde(default)]
    user_id: Option<String>,
}

/// Where the history of a recommendation comes from.
#[derive(Debug)]
pub enum HistorySource {
    /// No personalisation.
    None,
    /// Sent with the request.
    Inline(Vec<HistoryEvent>),
    /// Stored for this user.
    Stored(UserId),
}

/// A checked recommend request.
#[derive(Debug)]
pub struct RecommendJob {
    /// The request text.
    pub request: String,
    /// Options with the server's limits applied.
    pub options: RecommendOptions,
    /// The history to personalise with.
    pub history: HistorySource,
}

impl RecommendBody {
    /// Checks the body against `limits` (`422` naming the field and the limit).
    pub fn validate(self, limits: &Limits) -> Result<RecommendJob, ApiError> {
        limits.text("request", &self.request)?;
        let mut options = RecommendOptions {
            k: limits.k(self.k.unwrap_or(RecommendOptions::default().k))?,
            seed: limits.seed(self.seed)?,
            ..RecommendOptions::default()
        };
        if let Some(methods) = self.explain {
            options.methods = methods.into_iter().collect();
        }
        options.limits.max_k = limits.max_k;
        options.limits.max_request_chars = limits.max_text_chars;
        options.limits.max_evals = limits.max_evals;
        let history = match (self.history, self.user_id) {
            (Some(_), Some(_)) => {
                return Err(ApiError::unprocessable(
                    "send either \"history\" or \"user_id\", not both",
                ))
            }
            (Some(events), None) => HistorySource::Inline(history::events(&events, limits)?),
            (None, Some(user)) => HistorySource::Stored(UserId::new(user)?),
            (None, None) => HistorySource::None,
        };
        Ok(RecommendJob {
            request: self.request,
            options,
            history,
        })
    }
}

/// Recommended products, each explained.
///
/// Ranks the catalog for a request (optionally personalised by a history sent with it, or
/// by the stored history of `user_id`) and explains every product: score components, word
/// attributions per requested method, matched product words, the sentence for the
/// shopper, the recognised scene, notices and the counterfactual. With `user_id` the API
/// key is required; a user with no stored history gets unpersonalised products and a
/// notice.
#[utoipa::path(
    post,
    path = "/api/recommend",
    tag = "guide",
    request_body = RecommendBody,
    responses(
        (status = 200, description = "The products, best first, each explained", body = Recommendations),
        (status = 401, description = "`user_id` was sent without an API key", body = ErrorBody),
        (status = 403, description = "`user_id` was sent with a wrong API key, or none is configured", body = ErrorBody),
        (status = 409, description = "`user_id` was sent to a server that stores no histories", body = ErrorBody),
        BodyErrors,
        JobErrors,
    ),
    security((), ("bearer" = []), ("api_key" = [])),
)]
pub async fn recommend(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<RecommendBody>,
) -> Result<Json<Recommendations>, ApiError> {
    let job = body.validate(&state.settings().limits)?;
    let (events, notice) = match job.history {
        HistorySource::None => (None, None),
        HistorySource::Inline(events) => (Some(events), None),
        HistorySource::Stored(user) => {
            let Some(store) = &state.settings().histories else {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    "this server stores no histories (start it with --store-histories); send \
                     the history with the request instead",
                ));
            };
            authorize(&headers, state.settings().api_key.as_ref())?;
            match store.history(user).await? {
                events if events.is_empty() => (None, Some(NO_STORED_HISTORY)),
                events => (Some(events), None),
            }
        }
    };
    let (request, options) = (job.request, job.options);
    let mut answer = state
        .run(move |guide| guide.recommend(&request, events.as_deref(), &options))
        .await?;
    answer.notices.extend(notice.map(str::to_string));
    Ok(Json(answer))
}
