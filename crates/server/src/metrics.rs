//! Request counts, errors and latency percentiles per endpoint, served as JSON by
//! `GET /api/metrics`.
//!
//! Endpoints are the operations of the OpenAPI document, registered once when the router is
//! built; everything else (unknown paths, methods a route does not have) is counted under
//! `other`, so the set of series is fixed. Latency
//! percentiles are over each endpoint's most recent [`LATENCY_WINDOW`] requests.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

/// Requests per endpoint the latency percentiles are computed over.
pub const LATENCY_WINDOW: usize = 1024;

/// Label of the requests that match no operation.
pub const OTHER: &str = "other";

/// Counters of every endpoint.
pub struct Metrics {
    /// `(label, counters)` per operation, [`OTHER`] last.
    endpoints: Mutex<Vec<(String, Counters)>>,
}

#[derive(Default, Clone)]
struct Counters {
    requests: u64,
    client_errors: u64,
    server_errors: u64,
    recent_ms: VecDeque<f64>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            endpoints: Mutex::new(vec![(OTHER.to_string(), Counters::default())]),
        }
    }
}

/// One endpoint's figures.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EndpointMetrics {
    /// `METHOD /path`, or `other`.
    pub endpoint: String,
    /// Requests answered.
    pub requests: u64,
    /// Answers with a 4xx or 5xx status.
    pub errors: u64,
    /// Answers with a 4xx status.
    pub client_errors: u64,
    /// Answers with a 5xx status.
    pub server_errors: u64,
    /// Latency percentiles in milliseconds; `None` before the first request.
    pub latency_ms: Option<Latency>,
}

/// Latency percentiles over the recent window.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct Latency {
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
    /// Largest.
    pub max: f64,
    /// Requests the percentiles are computed over.
    pub window: usize,
}

impl Metrics {
    /// Starts counting `endpoints` (`METHOD /path`), before [`OTHER`]; counts so far are
    /// dropped.
    pub fn register(&self, endpoints: Vec<String>) {
        let mut counters: Vec<(String, Counters)> = endpoints
            .into_iter()
            .map(|label| (label, Counters::default()))
            .collect();
        counters.push((OTHER.to_string(), Counters::default()));
        *self
            .endpoints
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = counters;
    }

    /// Records one answered request of `endpoint` (`METHOD /path`; [`OTHER`] when it is
    /// `None` or not registered).
    pub fn record(&self, endpoint: Option<&str>, status: StatusCode, elapsed: Duration) {
        let mut endpoints = self
            .endpoints
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let last = endpoints.len().saturating_sub(1);
        let index = endpoint
            .and_then(|e| endpoints.iter().position(|(label, _)| label == e))
            .unwrap_or(last);
        let Some((_, c)) = endpoints.get_mut(index) else {
            return;
        };
        c.requests += 1;
        c.client_errors += u64::from(status.is_client_error());
        c.server_errors += u64::from(status.is_server_error());
        if c.recent_ms.len() == LATENCY_WINDOW {
            c.recent_ms.pop_front();
        }
        c.recent_ms.push_back(elapsed.as_secs_f64() * 1e3);
    }

    /// Every endpoint's figures, in route order, `other` last.
    pub fn snapshot(&self) -> Vec<EndpointMetrics> {
        let endpoints = self
            .endpoints
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        endpoints
            .iter()
            .map(|(label, c)| EndpointMetrics {
                endpoint: label.clone(),
                requests: c.requests,
                errors: c.client_errors + c.server_errors,
                client_errors: c.client_errors,
                server_errors: c.server_errors,
                latency_ms: latency(&c.recent_ms),
            })
            .collect()
    }
}

fn latency(samples: &VecDeque<f64>) -> Option<Latency> {
    let mut sorted: Vec<f64> = samples.iter().copied().collect();
    sorted.sort_by(f64::total_cmp);
    let last = sorted.len().checked_sub(1)?;
    // Nearest-rank percentile.
    let rank = |q: f64| sorted[((q * sorted.len() as f64).ceil() as usize).clamp(1, last + 1) - 1];
    Some(Latency {
        p50: rank(0.50),
        p95: rank(0.95),
        max: sorted[last],
        window: sorted.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_errors_and_computes_nearest_rank_percentiles() {
        let metrics = Metrics::default();
        metrics.register(vec!["GET /a".into(), "GET /b".into()]);
        for ms in 1..=100 {
            metrics.record(Some("GET /a"), StatusCode::OK, Duration::from_millis(ms));
        }
        metrics.record(
            Some("GET /a"),
            StatusCode::BAD_REQUEST,
            Duration::from_millis(1),
        );
        metrics.record(None, StatusCode::NOT_FOUND, Duration::from_millis(1));
        metrics.record(
            Some("POST /a"),
            StatusCode::BAD_GATEWAY,
            Duration::from_millis(1),
        );
        let snapshot = metrics.snapshot();
        let first = &snapshot[0];
        assert_eq!((first.requests, first.errors), (101, 1));
        let latency = first.latency_ms.expect("latency");
        assert_eq!((latency.p50, latency.p95, latency.max), (50.0, 95.0, 100.0));
        let other = snapshot.last().expect("other");
        assert_eq!(other.endpoint, "other");
        assert_eq!((other.client_errors, other.server_errors), (1, 1));
        assert!(snapshot[1].latency_ms.is_none());
    }
}
