//! The state every request shares: the guide (once loaded), the job slots, the settings
//! and the metrics.

use std::path::Path;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Instant;

use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode};
use daogou_catalog::{ColumnMapping, ImportReport};
use daogou_guide::app::GuideSummary;
use daogou_guide::{Guide, GuideError};
use tokio::sync::{Mutex, OwnedSemaphorePermit, Semaphore};

use crate::auth::ApiKey;
use crate::database::DatabaseStatus;
use crate::error::{ApiError, ServerState};
use crate::histories::Histories;
use crate::limits::Limits;
use crate::metrics::Metrics;

/// Builds a guide: at startup, and again for every catalog import (which imports into a
/// fresh guide and swaps it in).
pub type Loader = Arc<dyn Fn() -> anyhow::Result<Guide> + Send + Sync>;

/// Limits, secrets and stores of a running server.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Request limits.
    pub limits: Limits,
    /// Key of the write and personal-data endpoints; `None` disables them.
    pub api_key: Option<ApiKey>,
    /// The history store (`--store-histories`); `None`: histories are never stored.
    pub histories: Option<Histories>,
}

/// Where the guide is in its life.
enum Slot {
    Loading,
    Ready(Arc<Guide>),
    Failed(String),
}

/// What `GET /api/health` reports about the guide.
pub enum Phase {
    /// The guide is loading.
    Loading,
    /// Loaded.
    Ready(GuideSummary),
    /// Loading failed.
    Failed(String),
}

/// The shared state (cheap to clone).
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    settings: Settings,
    loader: Loader,
    slot: RwLock<Slot>,
    jobs: Arc<Semaphore>,
    import: Arc<Mutex<()>>,
    metrics: Metrics,
    started: Instant,
    database: DatabaseStatus,
}

impl AppState {
    /// A state in the loading phase: guide endpoints answer `503` until [`Self::install`]
    /// or [`Self::spawn_load`] provides the guide.
    pub fn new(settings: Settings, loader: Loader) -> Self {
        let slots = settings.limits.max_concurrent.max(1);
        Self(Arc::new(Inner {
            settings,
            loader,
            slot: RwLock::new(Slot::Loading),
            jobs: Arc::new(Semaphore::new(slots)),
            import: Arc::new(Mutex::new(())),
            metrics: Metrics::default(),
            started: Instant::now(),
            database: DatabaseStatus::default(),
        }))
    }

    /// Runs the loader on a new thread and installs its guide (or records its failure);
    /// `done` is then called with the outcome.
    pub fn spawn_load(
        &self,
        done: impl FnOnce(Result<GuideSummary, String>) + Send + 'static,
    ) -> std::thread::JoinHandle<()> {
        let state = self.clone();
        std::thread::spawn(move || {
            let outcome = match (state.0.loader)() {
                Ok(guide) => {
                    let summary = guide.summary();
                    state.install(Arc::new(guide));
                    Ok(summary)
                }
                Err(err) => {
                    let message = format!("{err:#}");
                    *state.0.slot.write().unwrap_or_else(PoisonError::into_inner) =
                        Slot::Failed(message.clone());
                    Err(message)
                }
            };
            done(outcome);
        })
    }

    /// Makes `guide` the one every new request uses.
    pub fn install(&self, guide: Arc<Guide>) {
        *self.0.slot.write().unwrap_or_else(PoisonError::into_inner) = Slot::Ready(guide);
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.0.settings
    }

    /// The request metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.0.metrics
    }

    /// Whether the PostgreSQL catalog answers.
    pub fn database(&self) -> &DatabaseStatus {
        &self.0.database
    }

    /// Seconds since the state was created.
    pub fn uptime_s(&self) -> f64 {
        self.0.started.elapsed().as_secs_f64()
    }

    /// Job slots in use and in total.
    pub fn jobs(&self) -> (usize, usize) {
        let total = self.0.settings.limits.max_concurrent.max(1);
        (total - self.0.jobs.available_permits(), total)
    }

    /// The guide's phase.
    pub fn phase(&self) -> Phase {
        match &*self.0.slot.read().unwrap_or_else(PoisonError::into_inner) {
            Slot::Loading => Phase::Loading,
            Slot::Ready(guide) => Phase::Ready(guide.summary()),
            Slot::Failed(message) => Phase::Failed(message.clone()),
        }
    }

    /// The current guide, or `503` while it is loading or after loading failed.
    pub fn guide(&self) -> Result<Arc<Guide>, ApiError> {
        match &*self.0.slot.read().unwrap_or_else(PoisonError::into_inner) {
            Slot::Ready(guide) => Ok(Arc::clone(guide)),
            Slot::Loading => Err(ApiError::loading()),
            Slot::Failed(message) => Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("the guide failed to load: {message}"),
            )
            .with_state(ServerState::Failed)),
        }
    }

    /// Runs `job` on the current guide on the blocking pool, holding a job slot; `429` when
    /// no slot frees up within [`Limits::queue_wait`]. Errors of the guide are answered as
    /// [`ApiError::guide`] says.
    pub async fn run<T, F>(&self, job: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Guide) -> Result<T, GuideError> + Send + 'static,
    {
        let guide = self.guide()?;
        if guide.reads_per_request() && !self.database().reachable() {
            return Err(ApiError::database_unreachable());
        }
        let permit = self.job_slot().await?;
        let joined = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            job(&guide)
        })
        .await;
        match joined {
            Ok(result) => result.map_err(|e| ApiError::guide(&e)),
            Err(join) => {
                eprintln!("daogou: a guide job failed: {join}");
                Err(ApiError::internal("running the guide"))
            }
        }
    }

    async fn job_slot(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        let limits = &self.0.settings.limits;
        let acquire = Arc::clone(&self.0.jobs).acquire_owned();
        match tokio::time::timeout(limits.queue_wait, acquire).await {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(_closed)) => Err(ApiError::internal("waiting for a job slot")),
            Err(_elapsed) => Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "the server is busy: all {} job slots stayed taken for {} s; retry shortly",
                    limits.max_concurrent.max(1),
                    limits.queue_wait.as_secs_f64()
                ),
            )
            .with_state(ServerState::Busy)
            .with_header(RETRY_AFTER, HeaderValue::from_static("1"))),
        }
    }

    /// Loads a fresh guide (the store's current catalog) and swaps it in, unless an import
    /// is running (it swaps in a fresh guide itself when it ends). Blocking: for threads
    /// outside the runtime.
    pub fn reload(&self) -> anyhow::Result<()> {
        let Ok(_running) = Arc::clone(&self.0.import).try_lock_owned() else {
            return Ok(());
        };
        let fresh = (self.0.loader)()?;
        self.install(Arc::new(fresh));
        Ok(())
    }

    /// Imports the catalog in `file` into a fresh guide and swaps it in; `409` while
    /// another import runs.
    pub async fn import(
        &self,
        file: tempfile::TempPath,
        mapping: ColumnMapping,
    ) -> Result<(ImportReport, usize), ApiError> {
        self.guide()?;
        // The guard moves into the job: a client that hangs up does not end the import.
        let Ok(running) = Arc::clone(&self.0.import).try_lock_owned() else {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "another catalog import is running; retry when it has finished",
            ));
        };
        let state = self.clone();
        let joined = tokio::task::spawn_blocking(move || {
            let _running = running;
            let mut fresh = (state.0.loader)().map_err(GuideError::Internal)?;
            let report = fresh.import(Path::new(&*file), &mapping, &mut |_| {})?;
            let products = fresh.products();
            state.install(Arc::new(fresh));
            Ok((report, products))
        })
        .await;
        match joined {
            Ok(result) => result.map_err(|e: GuideError| ApiError::guide(&e)),
            Err(join) => {
                eprintln!("daogou: a catalog import failed: {join}");
                Err(ApiError::internal("importing the catalog"))
            }
        }
    }
}
