//! `daogou serve`: the HTTP API and the web page. Every limit is a flag; the table of
//! limits, defaults and over-limit answers is in crates/server/README.md.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use clap::Args;
use daogou_catalog::CatalogLocation;
use daogou_guide::app::{default_data_dir, OpenEvent};
use daogou_guide::{Guide, GuideConfig};
use daogou_server::{ApiKey, Histories, Limits, Loader, ServerConfig, Settings};

use crate::runtime::{model_dir, Paths};

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// File holding the API key of the write and personal-data endpoints (default:
    /// $DAOGOU_API_KEY; without a key, catalog import and stored histories are disabled).
    #[arg(long, value_name = "FILE")]
    api_key_file: Option<PathBuf>,
    /// Keep shopper histories (personal data) in the data directory's database, behind the
    /// API key: PUT/GET /api/users/{id}/history, DELETE /api/users/{id}, and `user_id` in
    /// recommendations. Off by default: then nothing about shoppers is ever stored.
    #[arg(long)]
    store_histories: bool,
    /// Largest JSON request body in bytes [default: 1 MiB].
    #[arg(long, value_name = "BYTES")]
    max_body_bytes: Option<usize>,
    /// Largest catalog import body in bytes [default: 32 MiB].
    #[arg(long, value_name = "BYTES")]
    max_import_bytes: Option<usize>,
    /// Time limit of a request in seconds [default: 60].
    #[arg(long, value_name = "SECONDS")]
    timeout: Option<u64>,
    /// Time limit of a catalog import in seconds [default: 600].
    #[arg(long, value_name = "SECONDS")]
    import_timeout: Option<u64>,
    /// Longest request, text or history query in characters [default: 1000].
    #[arg(long, value_name = "CHARS")]
    max_text_chars: Option<usize>,
    /// Most products per recommendation [default: 100].
    #[arg(long, value_name = "K")]
    max_k: Option<usize>,
    /// Most events in a history, sent or stored [default: 200].
    #[arg(long, value_name = "N")]
    max_history_events: Option<usize>,
    /// Model evaluations one word explanation may use; SHAP beyond it falls back to a
    /// cheaper method and says so [default: 4096].
    #[arg(long, value_name = "N")]
    max_evals: Option<usize>,
    /// Recommendations and explanations computed at once [default: CPU cores].
    #[arg(long, value_name = "N")]
    max_concurrent: Option<usize>,
    /// Seconds a request waits for a free slot before 429 [default: 10].
    #[arg(long, value_name = "SECONDS")]
    queue_wait: Option<u64>,
    /// Seconds between checks of the catalog store for changes made by other servers (a
    /// changed catalog is reloaded); 0 turns the check off.
    #[arg(long, value_name = "SECONDS", default_value_t = 2.0)]
    catalog_poll: f64,
}

pub fn run(args: ServeArgs, paths: &Paths) -> Result<()> {
    let api_key = match &args.api_key_file {
        Some(file) => Some(ApiKey::from_file(file)?),
        None => ApiKey::from_env()?,
    };
    let defaults = Limits::default();
    let limits = Limits {
        max_body_bytes: args.max_body_bytes.unwrap_or(defaults.max_body_bytes),
        max_import_bytes: args.max_import_bytes.unwrap_or(defaults.max_import_bytes),
        request_timeout: args
            .timeout
            .map_or(defaults.request_timeout, Duration::from_secs),
        import_timeout: args
            .import_timeout
            .map_or(defaults.import_timeout, Duration::from_secs),
        max_concurrent: args.max_concurrent.unwrap_or(defaults.max_concurrent),
        queue_wait: args
            .queue_wait
            .map_or(defaults.queue_wait, Duration::from_secs),
        max_k: args.max_k.unwrap_or(defaults.max_k),
        max_text_chars: args.max_text_chars.unwrap_or(defaults.max_text_chars),
        max_history_events: args
            .max_history_events
            .unwrap_or(defaults.max_history_events),
        max_evals: args.max_evals.unwrap_or(defaults.max_evals),
    };
    limits.check()?;
    let data_dir = paths.data_dir.clone().unwrap_or_else(default_data_dir);
    let histories = if args.store_histories {
        anyhow::ensure!(
            api_key.is_some(),
            "--store-histories needs an API key (--api-key-file FILE or $DAOGOU_API_KEY): \
             stored histories are personal data and are only served with the key"
        );
        // Beside the catalog: in its PostgreSQL database or its SQLite file.
        match paths.catalog.as_deref().map(CatalogLocation::parse) {
            Some(CatalogLocation::Postgres(dsn)) => Some(Histories::open_postgres(&dsn)?),
            Some(CatalogLocation::Sqlite(path)) => Some(Histories::open(&path)?),
            None => Some(Histories::open_in(&data_dir)?),
        }
    } else {
        None
    };
    let explicit_model = paths.model.clone();
    let config = GuideConfig {
        model_dir: None,
        data_dir: Some(data_dir),
        scenes_file: paths.scenes.clone(),
        catalog: paths.catalog.clone(),
        without_demo: false,
        per_request: true,
    };
    // The model is found (and fetched, with a progress bar) on the loading thread, so the
    // server listens at once.
    let loader: Loader = Arc::new(move || {
        let config = GuideConfig {
            model_dir: Some(model_dir(explicit_model.as_deref())?),
            ..config.clone()
        };
        let guide = Guide::open(&config, &mut |event| {
            if let OpenEvent::ImportingDemo = event {
                eprintln!("daogou: first run, importing the demo catalog");
            }
        })?;
        Ok(guide)
    });
    let server = ServerConfig {
        addr: args.addr,
        settings: Settings {
            limits,
            api_key,
            histories,
        },
        catalog_poll: (args.catalog_poll > 0.0)
            .then(|| Duration::try_from_secs_f64(args.catalog_poll))
            .transpose()?,
    };
    daogou_server::run(server, loader)
}
