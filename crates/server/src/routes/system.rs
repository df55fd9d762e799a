//! `GET /api/health`, `GET /api/metrics` and `GET /api/openapi.json`.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use daogou_catalog::{probe_hosts, CatalogLocation, HostState};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::metrics::EndpointMetrics;
use crate::state::{AppState, Phase};

/// Whether the guide is loaded, and what it serves.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` (loaded), `loading` or `failed`.
    pub status: HealthStatus,
    /// Products in the catalog; `null` until loaded.
    pub products: Option<usize>,
    /// Scenes the guide recognises, once loaded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scenes: Option<usize>,
    /// The encoder; `null` until loaded.
    pub model: Option<String>,
    /// Why loading failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The server's version.
    pub version: &'static str,
    /// Seconds since the server started.
    pub uptime_s: f64,
    /// Whether the server stores histories (`--store-histories`).
    pub history_storage: bool,
    /// For a catalog in PostgreSQL, each host it names and its role (`primary`,
    /// `replica` or `down`); absent for the SQLite catalog.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub catalog_hosts: Option<Vec<HostState>>,
}

/// Where the guide is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HealthStatus {
    /// Loaded and answering.
    Ok,
    /// Still loading.
    Loading,
    /// Loading failed.
    Failed,
}

/// Request counts, errors and latency percentiles per endpoint, and job slots in use.
#[derive(Debug, Serialize, ToSchema)]
pub struct MetricsAnswer {
    /// Seconds since the server started.
    pub uptime_s: f64,
    /// Guide jobs running and the limit.
    pub jobs: Jobs,
    /// One entry per endpoint of the document, `other` last.
    pub endpoints: Vec<EndpointMetrics>,
    /// The cache of coalition embeddings shared by all requests; absent while loading.
    pub embedding_cache: Option<EmbeddingCache>,
}

/// Hits and misses of the cache of coalition embeddings since the server started.
#[derive(Debug, Serialize, ToSchema)]
pub struct EmbeddingCache {
    /// Most embeddings kept.
    pub capacity: usize,
    /// Embeddings kept now.
    pub entries: usize,
    /// Texts answered from the cache.
    pub hits: u64,
    /// Texts embedded because the cache did not hold them.
    pub misses: u64,
}

/// Guide jobs running and the limit.
#[derive(Debug, Serialize, ToSchema)]
pub struct Jobs {
    /// Jobs running now.
    pub running: usize,
    /// Jobs that may run at once.
    pub limit: usize,
}

/// Whether the guide is loaded.
#[utoipa::path(
    get,
    path = "/api/health",
    tag = "system",
    responses(
        (status = 200, description = "Loaded (status ok) or loading (status loading)", body = Health),
        (status = 503, description = "Loading failed (status failed)", body = Health),
    ),
)]
pub async fn health(State(state): State<AppState>) -> Response {
    let mut health = Health {
        status: HealthStatus::Loading,
        products: None,
        scenes: None,
        model: None,
        error: None,
        version: env!("CARGO_PKG_VERSION"),
        uptime_s: state.uptime_s(),
        history_storage: state.settings().histories.is_some(),
        catalog_hosts: None,
    };
    match state.phase() {
        Phase::Ready(summary) => {
            health.status = HealthStatus::Ok;
            health.products = Some(summary.products);
            health.scenes = Some(summary.scenes);
            health.model = Some(summary.model);
            health.catalog_hosts = catalog_hosts(&state).await;
            Json(health).into_response()
        }
        Phase::Loading => Json(health).into_response(),
        Phase::Failed(error) => {
            health.status = HealthStatus::Failed;
            health.error = Some(error);
            (StatusCode::SERVICE_UNAVAILABLE, Json(health)).into_response()
        }
    }
}

/// The hosts of a PostgreSQL catalog and their roles, probed off the async threads.
async fn catalog_hosts(state: &AppState) -> Option<Vec<HostState>> {
    let guide = state.guide().ok()?;
    let Some(CatalogLocation::Postgres(dsn)) = guide.catalog_location() else {
        return None;
    };
    let dsn = dsn.clone();
    match tokio::task::spawn_blocking(move || probe_hosts(&dsn)).await {
        Ok(Ok(hosts)) => Some(hosts),
        Ok(Err(e)) => {
            eprintln!("daogou: probing the catalog hosts: {e}");
            None
        }
        Err(join) => {
            eprintln!("daogou: probing the catalog hosts failed: {join}");
            None
        }
    }
}

/// Request counts, errors and latency percentiles per endpoint.
#[utoipa::path(
    get,
    path = "/api/metrics",
    tag = "system",
    responses((status = 200, description = "The metrics", body = MetricsAnswer)),
)]
pub async fn metrics(State(state): State<AppState>) -> Json<MetricsAnswer> {
    let (running, limit) = state.jobs();
    Json(MetricsAnswer {
        uptime_s: state.uptime_s(),
        jobs: Jobs { running, limit },
        endpoints: state.metrics().snapshot(),
        embedding_cache: state
            .guide()
            .ok()
            .and_then(|guide| guide.encoder().cache_stats())
            .map(|c| EmbeddingCache {
                capacity: c.capacity,
                entries: c.entries,
                hits: c.hits,
                misses: c.misses,
            }),
    })
}

/// This document.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "system",
    responses((status = 200, description = "The OpenAPI 3.1 document", body = Object)),
)]
pub async fn openapi(Extension(document): Extension<Arc<Value>>) -> Json<Value> {
    Json(Value::clone(&document))
}
