//! Fetching a model from the Hugging Face hub (feature `hub`).

use std::path::PathBuf;

use super::cache::copy_into;
use super::specs::ModelSpec;
use super::Fetcher;
use crate::encoder::REQUIRED_FILES;
use crate::error::{ModelError, Result};

impl Fetcher {
    #[cfg(feature = "hub")]
    pub(super) fn fetch_hub(&self, spec: &ModelSpec) -> Result<PathBuf> {
        let api = hf_hub::api::sync::ApiBuilder::from_env()
            .with_progress(self.progress.is_some())
            .with_retries(1)
            .build()
            .map_err(|e| ModelError::Fetch(e.to_string()))?;
        let repo = api.model(spec.hub_repo.to_string());
        let staging = self.staging_dir()?;
        for file in REQUIRED_FILES {
            let path = repo
                .get(file)
                .map_err(|e| ModelError::Fetch(format!("{file}: {e}")))?;
            copy_into(&path, &staging.path().join(file))?;
        }
        for file in spec.optional_files {
            if let Ok(path) = repo.get(file) {
                copy_into(&path, &staging.path().join(file))?;
            }
        }
        self.install(staging, spec, "huggingface-hub", &[])
    }

    #[cfg(not(feature = "hub"))]
    pub(super) fn fetch_hub(&self, _spec: &ModelSpec) -> Result<PathBuf> {
        Err(ModelError::Fetch("built without the `hub` feature".into()))
    }
}
