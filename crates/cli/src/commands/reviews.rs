//! `daogou reviews`: aspects, opinions and attributed evidence from a product's reviews.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use daogou_guide::reviews::{read_hu_liu, read_plain, summarize, AspectOptions};
use daogou_model::ClassifierHead;

use crate::runtime::load_encoder;

#[derive(Debug, Args)]
pub struct ReviewsArgs {
    /// Reviews: a Hu & Liu annotated file, or plain text with one review per line.
    file: PathBuf,
    /// A sentiment head with labels negative/positive (from `daogou train` on SST).
    #[arg(long, value_name = "HEAD.json")]
    classifier: PathBuf,
    /// Aspects to summarise.
    #[arg(long, default_value_t = 10)]
    aspects: usize,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(args: ReviewsArgs, model: Option<&std::path::Path>) -> Result<()> {
    let head = ClassifierHead::load(&args.classifier)?;
    let bytes =
        std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let text = String::from_utf8_lossy(&bytes);
    let set = if text.contains("##") {
        read_hu_liu(&args.file)?
    } else {
        let name = args
            .file
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
        read_plain(&name, &text)
    };
    let encoder = load_encoder(model)?;
    let options = AspectOptions {
        max_aspects: args.aspects,
        ..AspectOptions::default()
    };
    let opinions = summarize(&set, &encoder, &head, &options)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&opinions)?);
        return Ok(());
    }
    println!("{}: {} reviews", set.product, set.reviews.len());
    for o in &opinions {
        println!("\n{}", o.summary);
        for e in &o.evidence {
            println!("  {:+.3}  {}", e.support, e.text);
        }
    }
    Ok(())
}
