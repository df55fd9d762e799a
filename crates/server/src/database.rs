//! Whether the PostgreSQL catalog answers. A guide that reads its catalog per request
//! cannot answer without it, and a database behind a cut network does not fail: it stays
//! silent. So every [`PROBE_EVERY`] the hosts are probed on a blocking thread that is given
//! up after [`PROBE_WAIT`]; while no host answers, guide requests get `503` with
//! `Retry-After` at once instead of waiting on the database (and holding a job slot).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use daogou_catalog::{probe_hosts, CatalogLocation, HostRole};

use crate::state::AppState;

/// How often the hosts are probed.
pub const PROBE_EVERY: Duration = Duration::from_millis(500);

/// How long a probe may take before the database counts as unreachable.
pub const PROBE_WAIT: Duration = Duration::from_secs(2);

/// What the last probe found.
#[derive(Debug)]
pub struct DatabaseStatus {
    reachable: AtomicBool,
    /// A probe is still running (possibly stuck on a silent host).
    probing: Arc<AtomicBool>,
}

impl Default for DatabaseStatus {
    fn default() -> Self {
        Self {
            reachable: AtomicBool::new(true),
            probing: Arc::new(AtomicBool::new(false)),
        }
    }
}

impl DatabaseStatus {
    /// Whether some host answered the last probe (true until a probe says otherwise).
    pub fn reachable(&self) -> bool {
        self.reachable.load(Ordering::Relaxed)
    }

    fn set(&self, reachable: bool) {
        if self.reachable.swap(reachable, Ordering::Relaxed) != reachable {
            let now = if reachable {
                "answers again"
            } else {
                "does not answer"
            };
            eprintln!("daogou: the catalog database {now}");
        }
    }
}

/// Starts probing on the runtime; it runs as long as the server.
pub fn spawn(state: AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(PROBE_EVERY);
        loop {
            tick.tick().await;
            let Ok(guide) = state.guide() else { continue };
            let Some(CatalogLocation::Postgres(dsn)) = guide.catalog_location() else {
                continue;
            };
            let status = state.database();
            // A probe stuck on a silent host is not joined by another one.
            if status.probing.swap(true, Ordering::Relaxed) {
                status.set(false);
                continue;
            }
            let (dsn, probing) = (dsn.clone(), Arc::clone(&status.probing));
            let probe = tokio::task::spawn_blocking(move || {
                let answered = probe_hosts(&dsn)
                    .is_ok_and(|hosts| hosts.iter().any(|h| h.role != HostRole::Down));
                probing.store(false, Ordering::Relaxed);
                answered
            });
            let answered = matches!(tokio::time::timeout(PROBE_WAIT, probe).await, Ok(Ok(true)));
            status.set(answered);
        }
    });
}
