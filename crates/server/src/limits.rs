//! What one request may ask for and how long it may take. Every limit is a `daogou serve`
//! flag; the table of flags, defaults and answers is in the crate's README.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::{ApiError, ServerState};

/// Server limits. Requests over a limit are refused with a 4xx naming the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest JSON request body (default 1 MiB); larger bodies get `413`.
    pub max_body_bytes: usize,
    /// Largest catalog import body (default 32 MiB).
    pub max_import_bytes: usize,
    /// Time limit of one request, body included (default 60 s); then `503`.
    pub request_timeout: Duration,
    /// Time limit of one catalog import (default 10 min).
    pub import_timeout: Duration,
    /// Guide jobs (recommendations, explanations, scenes, profiles) running at once
    /// (default: the number of CPU cores).
    pub max_concurrent: usize,
    /// How long a request waits for a free job slot before `429` (default 10 s).
    pub queue_wait: Duration,
    /// Most products per recommendation (default and maximum 100).
    pub max_k: usize,
    /// Longest request, text or pair in characters (default 1000).
    pub max_text_chars: usize,
    /// Most history events per request or stored history (default 200).
    pub max_history_events: usize,
    /// Budget of model evaluations of one word explanation (default 4096): SHAP beyond it
    /// falls back to a cheaper method and says so in `fallback`; LIME samples at most this
    /// many perturbations.
    pub max_evals: usize,
}

impl Default for Limits {
    fn default() -> Self {
        let guide = daogou_guide::answer::Limits::default();
        Self {
            max_body_bytes: 1 << 20,
            max_import_bytes: 32 << 20,
            request_timeout: Duration::from_secs(60),
            import_timeout: Duration::from_secs(600),
            max_concurrent: std::thread::available_parallelism().map_or(2, |n| n.get()),
            queue_wait: Duration::from_secs(10),
            max_k: guide.max_k,
            max_text_chars: guide.max_request_chars,
            max_history_events: 200,
            max_evals: guide.max_evals,
        }
    }
}

impl Limits {
    /// Checks a configuration: every count and size at least 1, every duration above zero
    /// except [`Limits::queue_wait`] (zero answers `429` at once when all slots are busy).
    pub fn check(&self) -> anyhow::Result<()> {
        let counts = [
            ("max_body_bytes", self.max_body_bytes),
            ("max_import_bytes", self.max_import_bytes),
            ("max_concurrent", self.max_concurrent),
            ("max_k", self.max_k),
            ("max_text_chars", self.max_text_chars),
            ("max_history_events", self.max_history_events),
            ("max_evals", self.max_evals),
        ];
        if let Some((name, _)) = counts.iter().find(|(_, value)| *value == 0) {
            anyhow::bail!("the limit {name} must be at least 1");
        }
        let durations = [
            ("request_timeout", self.request_timeout),
            ("import_timeout", self.import_timeout),
        ];
        if let Some((name, _)) = durations.iter().find(|(_, value)| value.is_zero()) {
            anyhow::bail!("the limit {name} must be longer than zero");
        }
        Ok(())
    }

    /// Checks a text field: not blank, at most [`Limits::max_text_chars`] characters.
    pub fn text(&self, field: &str, value: &str) -> Result<(), ApiError> {
        if value.trim().is_empty() {
            return Err(ApiError::unprocessable(format!("\"{field}\" is empty")));
        }
        let chars = value.chars().count();
        if chars > self.max_text_chars {
            return Err(ApiError::unprocessable(format!(
                "\"{field}\" has {chars} characters, more than the limit of {}",
                self.max_text_chars
            )));
        }
        Ok(())
    }

    /// Checks a seed (default 0): at most 2^63 − 1, the document's `int64`, which every
    /// JSON client can send exactly.
    pub fn seed(&self, seed: Option<u64>) -> Result<u64, ApiError> {
        match seed {
            Some(seed) if i64::try_from(seed).is_err() => Err(ApiError::unprocessable(format!(
                "\"seed\" must be between 0 and {}, not {seed}",
                i64::MAX
            ))),
            seed => Ok(seed.unwrap_or(0)),
        }
    }

    /// Checks the number of products asked for.
    pub fn k(&self, k: usize) -> Result<usize, ApiError> {
        if k == 0 || k > self.max_k {
            return Err(ApiError::unprocessable(format!(
                "\"k\" must be between 1 and {}, not {k}",
                self.max_k
            )));
        }
        Ok(k)
    }
}

/// Middleware: answers `503` when the request (reading its body included) takes longer than
/// the duration in the state. Guide work already started on the blocking pool finishes in
/// the background and keeps its job slot until then.
pub async fn timeout(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "the request took longer than the server's limit of {} s; try fewer \
                 explanation methods or a smaller k",
                limit.as_secs_f64()
            ),
        )
        .with_state(ServerState::Timeout)
        .with_header(RETRY_AFTER, HeaderValue::from_static("5"))
        .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_pass_the_check_and_zero_limits_do_not() {
        assert!(Limits::default().check().is_ok());
        let zero_k = Limits {
            max_k: 0,
            ..Limits::default()
        };
        assert!(zero_k
            .check()
            .is_err_and(|e| e.to_string().contains("max_k")));
        let no_time = Limits {
            request_timeout: Duration::ZERO,
            ..Limits::default()
        };
        assert!(no_time
            .check()
            .is_err_and(|e| e.to_string().contains("request_timeout")));
        let impatient = Limits {
            queue_wait: Duration::ZERO,
            ..Limits::default()
        };
        assert!(impatient.check().is_ok());
    }
}
