//! Request counts, errors and latency percentiles per endpoint, served as JSON by
//! `GET /api/metrics`.
//!
//! Endpoints are the routes of [`ROUTES`]; everything else (unknown paths, methods a route
//! does not have) is counted under `other`, so the set of series is fixed. Latency
//! percentiles are over each endpoint's most recent [`LATENCY_WINDOW`] requests.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use serde::Serialize;

use crate::routes::ROUTES;
use crate::state::AppState;

/// Requests per endpoint the latency percentiles are computed over.
pub const LATENCY_WINDOW: usize = 1024;

/// Counters of every endpoint.
pub struct Metrics {
    endpoints: Mutex<Vec<Counters>>,
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
            endpoints: Mutex::new(vec![Counters::default(); ROUTES.len() + 1]),
        }
    }
}

/// One endpoint's figures.
#[derive(Debug, Clone, Serialize)]
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
#[derive(Debug, Clone, Copy, Serialize)]
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
    /// Records one answered request of route `route` (an index into [`ROUTES`], or `None`
    /// for `other`).
    pub fn record(&self, route: Option<usize>, status: StatusCode, elapsed: Duration) {
        let mut endpoints = self
            .endpoints
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let index = route.filter(|&i| i < ROUTES.len()).unwrap_or(ROUTES.len());
        let Some(c) = endpoints.get_mut(index) else {
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
            .enumerate()
            .map(|(i, c)| EndpointMetrics {
                endpoint: ROUTES
                    .get(i)
                    .map_or("other".to_string(), |(m, p)| format!("{m} {p}")),
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

/// Middleware: times every request and records it under its route.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().and_then(|path| {
        ROUTES
            .iter()
            .position(|(m, p)| *p == path.as_str() && *m == request.method().as_str())
    });
    let started = Instant::now();
    let response = next.run(request).await;
    state
        .metrics()
        .record(route, response.status(), started.elapsed());
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_errors_and_computes_nearest_rank_percentiles() {
        let metrics = Metrics::default();
        for ms in 1..=100 {
            metrics.record(Some(0), StatusCode::OK, Duration::from_millis(ms));
        }
        metrics.record(Some(0), StatusCode::BAD_REQUEST, Duration::from_millis(1));
        metrics.record(None, StatusCode::NOT_FOUND, Duration::from_millis(1));
        metrics.record(
            Some(usize::MAX),
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
