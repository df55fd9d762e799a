//! `daogou reviews`: aspects, opinions and attributed evidence from a product's reviews;
//! with `--attach ID`, the summary is stored with that product in the catalog, where
//! `daogou recommend` and the server show it.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use clap::Args;
use daogou_catalog::reviews::ReviewSummary;
use daogou_eval::hu_liu::read_reviews;
use daogou_guide::reviews::{review_summary, AspectOptions, ReviewSet};
use daogou_model::ClassifierHead;

use crate::runtime::{load_encoder, open_guide, Paths};

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
    /// Store the summary with this product of the catalog (shown by `daogou recommend`).
    #[arg(long, value_name = "PRODUCT_ID")]
    attach: Option<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(args: ReviewsArgs, paths: &Paths) -> Result<()> {
    let head = ClassifierHead::load(&args.classifier)?;
    let set = read_reviews(&args.file)?;
    let options = AspectOptions {
        max_aspects: args.aspects,
        ..AspectOptions::default()
    };
    let summary = match &args.attach {
        Some(id) => attach(&args.file, id, &set, &head, &options, paths)?,
        None => {
            let encoder = load_encoder(paths.model.as_deref())?;
            review_summary(&set, &encoder, &head, &options)?
        }
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary.aspects)?);
    } else {
        print_summary(&set, &summary);
    }
    if let Some(id) = &args.attach {
        eprintln!(
            "attached {} aspects from {} reviews to product {id:?}",
            summary.aspects.len(),
            summary.reviews
        );
    }
    Ok(())
}

/// Summarises with the guide's encoder and stores the summary with product `id`; the id
/// is checked before the (slow) summarising.
fn attach(
    file: &Path,
    id: &str,
    set: &ReviewSet,
    head: &ClassifierHead,
    options: &AspectOptions,
    paths: &Paths,
) -> Result<ReviewSummary> {
    let mut guide = open_guide(paths)?;
    if guide.catalog()?.position(id).is_none() {
        bail!("product id {id:?} is not in the catalog; import the product first");
    }
    let summary = review_summary(set, guide.encoder(), head, options)?;
    if summary.aspects.is_empty() {
        bail!(
            "no aspect of {} is mentioned often enough to summarise; nothing attached",
            file.display()
        );
    }
    guide.attach_reviews(id, summary.clone())?;
    Ok(summary)
}

fn print_summary(set: &ReviewSet, summary: &ReviewSummary) {
    println!("{}: {} reviews", set.product, summary.reviews);
    for o in &summary.aspects {
        println!("\n{}", o.summary);
        for e in &o.evidence {
            println!("  {:+.3}  {}", e.support, e.text);
        }
    }
}
