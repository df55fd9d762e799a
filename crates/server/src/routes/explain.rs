//! `POST /api/explain`: word attributions of the similarity of a text to another.

use axum::extract::State;
use axum::Json;
use daogou_attribute::{PairExplanation, TextExplainOptions};
use daogou_guide::Method;
use serde::Deserialize;

use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::limits::Limits;
use crate::state::AppState;

/// The body of `POST /api/explain`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExplainBody {
    /// The text whose words are explained.
    text: String,
    /// The text it is compared with.
    pair: String,
    /// Methods (default: all five).
    #[serde(default)]
    methods: Option<Vec<Method>>,
    /// Seed of every sampled method (default 0).
    #[serde(default)]
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
            seed: self.seed.unwrap_or(0),
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

/// Explains cos(text, pair) over the words of `text`.
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
