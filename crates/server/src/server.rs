//! Binding, background loading and shutdown.

use std::net::SocketAddr;

use anyhow::{Context, Result};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::routes::app;
use crate::state::{AppState, Loader, Phase, Settings};

/// Where to listen and with which settings.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Address to bind (port 0: any free port; the bound address is printed).
    pub addr: SocketAddr,
    /// Limits and API key.
    pub settings: Settings,
    /// How often to check the catalog store for changes by other servers; `None`: never.
    pub catalog_poll: Option<std::time::Duration>,
}

/// Runs the server on a new tokio runtime until Ctrl-C / SIGTERM or until loading the
/// guide fails (then returns that error).
pub fn run(config: ServerConfig, loader: Loader) -> Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?
        .block_on(serve(config, loader))
}

/// Binds `config.addr`, starts loading the guide in the background, prints the URL when it
/// is ready and serves until Ctrl-C / SIGTERM or a failed load.
pub async fn serve(config: ServerConfig, loader: Loader) -> Result<()> {
    let listener = TcpListener::bind(config.addr)
        .await
        .with_context(|| format!("listening on {}", config.addr))?;
    let addr = listener.local_addr().context("reading the bound address")?;
    let state = AppState::new(config.settings, loader);
    if let Some(every) = config.catalog_poll {
        crate::watch::spawn(state.clone(), every);
    }
    crate::database::spawn(state.clone());
    eprintln!("daogou: listening on {addr}; loading the model and the catalog...");
    let (failed_tx, failed_rx) = oneshot::channel::<()>();
    state.spawn_load(move |outcome| match outcome {
        Ok(summary) => println!(
            "daogou: ready at http://{addr}/ ({} products, {} scenes)",
            summary.products, summary.scenes
        ),
        // The receiver is only gone when the server has already stopped.
        Err(_) => drop(failed_tx.send(())),
    });
    let shutdown = async move {
        tokio::select! {
            () = stop_signal() => {}
            Ok(()) = failed_rx => {}
        }
    };
    axum::serve(listener, app(state.clone()))
        .with_graceful_shutdown(shutdown)
        .await
        .context("serving HTTP")?;
    match state.phase() {
        Phase::Failed(message) => anyhow::bail!("loading the guide failed: {message}"),
        _ => Ok(()),
    }
}

/// Ctrl-C, or SIGTERM on Unix.
async fn stop_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
