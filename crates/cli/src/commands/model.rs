//! `daogou model`: fetch, locate and verify the model.

use std::path::Path;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use daogou_model::fetch::{self, default_spec};
use daogou_model::SentenceEncoder;

use crate::runtime::fetcher;

#[derive(Debug, Args)]
pub struct ModelArgs {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, Subcommand)]
enum Action {
    /// Make sure the model is in the cache, downloading it if it is missing or corrupt.
    Pull {
        /// Download again even if a verified copy is cached.
        #[arg(long)]
        force: bool,
    },
    /// Print the directory the model is loaded from.
    Path,
    /// Re-hash every cached file and load the model once.
    Verify,
}

pub fn run(args: ModelArgs, model_dir: Option<&Path>) -> Result<()> {
    let fetcher = fetcher();
    match args.action {
        Action::Pull { force } => {
            let resolved = if force && model_dir.is_none() {
                fetcher.pull(default_spec()?)?
            } else {
                fetcher.resolve(model_dir, default_spec()?)?
            };
            println!("{} ({:?})", resolved.dir.display(), resolved.source);
        }
        Action::Path => {
            let resolved = fetcher.resolve(model_dir, default_spec()?)?;
            println!("{}", resolved.dir.display());
        }
        Action::Verify => {
            let resolved = fetcher.resolve(model_dir, default_spec()?)?;
            if model_dir.is_none() {
                fetch::verify_thoroughly(&resolved.dir).context("verifying the cached model")?;
            }
            let encoder = SentenceEncoder::load(&resolved.dir)?;
            let dim = encoder.embed(&["daogou"])?.first().map_or(0, Vec::len);
            println!(
                "{}: ok ({dim}-dimensional embeddings)",
                resolved.dir.display()
            );
        }
    }
    Ok(())
}
