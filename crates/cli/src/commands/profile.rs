//! `daogou profile`: the shopper profile built from a history file.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use crate::commands::recommend::load_history;
use crate::runtime::{open_guide, Paths};

#[derive(Debug, Args)]
pub struct ProfileArgs {
    /// History (JSON Lines of events).
    history: PathBuf,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(args: ProfileArgs, paths: &Paths) -> Result<()> {
    let events = load_history(&args.history)?;
    let guide = open_guide(paths)?;
    let profile = guide.profile(&events)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&profile)?);
        return Ok(());
    }
    println!(
        "{} events used, {} unknown products",
        profile.items.len(),
        profile.unknown_products.len()
    );
    let shares = |list: &[daogou_guide::profile::Share]| {
        list.iter()
            .take(5)
            .map(|s| format!("{} {:.0}%", s.name, s.share * 100.0))
            .collect::<Vec<_>>()
            .join(", ")
    };
    println!("categories: {}", shares(&profile.categories));
    println!("brands:     {}", shares(&profile.brands));
    if let Some(b) = profile.price_band {
        println!(
            "price band: ${:.2} – ${:.2} (median ${:.2})",
            b.low, b.high, b.median
        );
    }
    println!("events by weight:");
    let mut items: Vec<_> = profile.items.iter().collect();
    items.sort_by(|a, b| b.weight.abs().total_cmp(&a.weight.abs()));
    for item in items.iter().take(10) {
        println!("  {:+.2}  {}", item.weight, item.label);
    }
    Ok(())
}
