//! Keeps a server's catalog fresh when several servers share one store: every few seconds
//! it reads the store's version and, when another server has changed the catalog since the
//! guide loaded it, loads a fresh guide and swaps it in. A product imported through one
//! server is therefore recommended by the others within one poll interval plus the reload.

use std::time::Duration;

use daogou_catalog::CatalogStore;

use crate::state::AppState;

/// Starts the watcher on its own thread; it runs as long as the process.
pub fn spawn(state: AppState, every: Duration) {
    std::thread::spawn(move || {
        let mut store: Option<Box<dyn CatalogStore + Send>> = None;
        let mut last_error = String::new();
        loop {
            std::thread::sleep(every);
            let Ok(guide) = state.guide() else { continue };
            let (Some(location), Some(loaded)) =
                (guide.catalog_location(), guide.catalog_version())
            else {
                return;
            };
            let current = match &store {
                Some(store) => store.version(),
                None => location.open().and_then(|opened| {
                    let version = opened.version();
                    store = Some(opened);
                    version
                }),
            };
            match current {
                Ok(version) if version == loaded => last_error.clear(),
                Ok(_) => {
                    drop(guide);
                    if let Err(e) = state.reload() {
                        report(
                            &mut last_error,
                            format!("reloading the changed catalog: {e:#}"),
                        );
                    }
                }
                Err(e) => {
                    // Reconnect next time.
                    store = None;
                    report(
                        &mut last_error,
                        format!("checking the catalog for changes: {e}"),
                    );
                }
            }
        }
    });
}

/// Logs `message` unless it repeats the last one.
fn report(last: &mut String, message: String) {
    if *last != message {
        eprintln!("daogou: {message}");
        *last = message;
    }
}
