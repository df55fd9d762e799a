//! `daogou bench`: figures to compare against baselines (never asserted in tests).

use std::path::Path;
use std::time::Instant;

use anyhow::{ensure, Result};
use clap::{Args, Subcommand};
use serde::Serialize;

use crate::runtime::load_encoder;

#[derive(Debug, Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    what: What,
}

#[derive(Debug, Subcommand)]
enum What {
    /// Encoder throughput in sequences per second.
    Encoder {
        /// Timed repetitions per shape (the median is reported).
        #[arg(long, default_value_t = 5)]
        repeats: usize,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

/// Throughput of one batch shape.
#[derive(Debug, Serialize)]
struct Throughput {
    batch: usize,
    tokens: usize,
    median_seconds: f64,
    sequences_per_second: f64,
}

/// The batch shapes every throughput comparison in this project uses.
const SHAPES: [(usize, usize); 2] = [(64, 16), (64, 64)];

pub fn run(args: BenchArgs, model_dir: Option<&Path>) -> Result<()> {
    match args.what {
        What::Encoder { repeats, json } => encoder(model_dir, repeats.max(1), json),
    }
}

fn encoder(model_dir: Option<&Path>, repeats: usize, json: bool) -> Result<()> {
    let encoder = load_encoder(model_dir)?;
    let mut rows = Vec::new();
    for (batch, tokens) in SHAPES {
        // "product" is one token; [CLS] and [SEP] make up the rest.
        let text = vec!["product"; tokens - 2].join(" ");
        let enc = encoder.tokenizer().encode(&text)?;
        ensure!(
            enc.len() == tokens,
            "benchmark text has {} tokens, not {tokens}",
            enc.len()
        );
        let encodings = vec![enc; batch];
        encoder.embed_encodings(&encodings)?; // warm-up
        let mut times = Vec::with_capacity(repeats);
        for _ in 0..repeats {
            let start = Instant::now();
            encoder.embed_encodings(&encodings)?;
            times.push(start.elapsed().as_secs_f64());
        }
        times.sort_by(f64::total_cmp);
        let median = times[times.len() / 2];
        rows.push(Throughput {
            batch,
            tokens,
            median_seconds: median,
            sequences_per_second: batch as f64 / median,
        });
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    println!(
        "encoder throughput, {} (f32, CPU, {} threads)",
        encoder.dir().display(),
        available_threads()
    );
    println!(
        "{:>8} {:>8} {:>12} {:>10}",
        "batch", "tokens", "median ms", "seq/s"
    );
    for r in &rows {
        println!(
            "{:>8} {:>8} {:>12.1} {:>10.1}",
            r.batch,
            r.tokens,
            r.median_seconds * 1e3,
            r.sequences_per_second
        );
    }
    Ok(())
}

fn available_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
