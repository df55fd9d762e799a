//! `POST /api/explain`: word attributions of the similarity of a text to another.

use axum::extract::State;
use axum::Json;
use daogou_attribute::{PairExplanation, TextExplainOptions};
use daogou_catalog::json::optional_integer;
use daogou_guide::Method;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::limits::Limits;
use crate::openapi::{BodyErrors, JobErrors};
use crate::state::AppState;

/// The body of `POST /api/explain`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExplainBody {
    /// The text whose words are explained.
    text: String,
    /// The text it is compared with.
    pair: String,
    /// Methods (default: the five a shopper is offered).
    #[serde(default)]
    #[schema(min_items = 1)]
    methods: Option<Vec<Method>>,
    /// Seed of every sampled method (default 0).
    #[serde(default, deserialize_with = "optional_integer")]
    seed: Option<u64>,
}

/// A checked explain request.
#[derive(Debug)]
pub struct ExplainJob {
    /// The explained text.
    pub text: String,
    /// The text it is compared with.
    pub pair: String,
    /// Options with the server's limits applied.
    pub options: TextExplainOptions,
}

impl ExplainBody {
    /// Checks the body against `limits`.
    pub fn validate(self, limits: &Limits) -> Result<ExplainJob, ApiError> {
        limits.text("text", &self.text)?;
        limits.text("pair", &self.pair)?;
        let mut options = TextExplainOptions {
            seed: limits.seed(self.seed)?,
            max_evals: limits.max_evals,
            ..TextExplainOptions::default()
        };
        if let Some(methods) = self.methods {
            if methods.is_empty() {
                return Err(ApiError::unprocessable(
                    "\"methods\" is empty: name at least one of shap, lime, occlusion, ig, attention",
                ));
            }
            options.methods = methods.into_iter().collect();
        }
        Ok(ExplainJob {
            text: self.text,
            pair: self.pair,
            options,
        })
    }
}

/// Word attributions of the similarity of two texts.
///
/// Explains cos(embedding(text), embedding(pair)) over the words of `text`.
#[utoipa::path(
    post,
    path = "/api/explain",
    tag = "guide",
    request_body = ExplainBody,
    responses(
        (status = 200, description = "One explanation per method", body = PairExplanation),
        BodyErrors,
        JobErrors,
    ),
)]
pub async fn explain(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<ExplainBody>,
) -> Result<Json<PairExplanation>, ApiError> {
    let ExplainJob {
        text,
        pair,
        options,
    } = body.validate(&state.settings().limits)?;
    let answer = state
        .run(move |guide| guide.explain_pair(&text, &pair, &options))
        .await?;
    Ok(Json(answer))
}
