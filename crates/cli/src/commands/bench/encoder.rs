//! `daogou bench encoder`: forward-pass throughput (tokenisation excluded) at fixed shapes.

use std::time::Instant;

use anyhow::{ensure, Result};
use clap::Args;
use daogou_model::SentenceEncoder;
use serde::Serialize;

use super::{available_threads, median};

/// Timed repetitions per shape unless told otherwise.
const DEFAULT_REPEATS: usize = 5;

/// The batch shapes (sequences × tokens) every throughput comparison in this project uses.
pub const SHAPES: [(usize, usize); 2] = [(64, 16), (64, 64)];

/// Options of `bench encoder`.
#[derive(Debug, Clone, Args)]
pub struct Options {
    /// Timed repetitions per shape (the median is reported).
    #[arg(long, default_value_t = DEFAULT_REPEATS)]
    repeats: usize,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            repeats: DEFAULT_REPEATS,
        }
    }
}

/// Throughput of one batch shape.
#[derive(Debug, Serialize)]
pub struct Throughput {
    /// Sequences per forward pass.
    batch: usize,
    /// Tokens per sequence, `[CLS]` and `[SEP]` included.
    tokens: usize,
    /// Median wall time of one pass, s.
    median_seconds: f64,
    /// `batch / median_seconds`.
    sequences_per_second: f64,
}

/// What `bench encoder` measured.
#[derive(Debug, Serialize)]
pub struct Report {
    /// Model directory.
    model: String,
    /// Threads candle may use.
    threads: usize,
    /// Timed repetitions per shape.
    repeats: usize,
    /// One row per shape of [`SHAPES`].
    shapes: Vec<Throughput>,
}

/// Embeds a batch of identical pre-tokenised texts per shape (one warm-up pass, then
/// `repeats` timed ones): the model call, mean pooling and normalisation.
pub fn measure(encoder: &SentenceEncoder, options: &Options) -> Result<Report> {
    let repeats = options.repeats.max(1);
    let mut shapes = Vec::new();
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
        let median_seconds = median(&mut times);
        shapes.push(Throughput {
            batch,
            tokens,
            median_seconds,
            sequences_per_second: batch as f64 / median_seconds,
        });
    }
    Ok(Report {
        model: encoder.dir().display().to_string(),
        threads: available_threads(),
        repeats,
        shapes,
    })
}

/// Prints the throughput table.
pub fn print(report: &Report) {
    println!(
        "encoder throughput, {} (f32, CPU, {} threads, median of {})",
        report.model, report.threads, report.repeats
    );
    println!(
        "{:>8} {:>8} {:>12} {:>10}",
        "batch", "tokens", "median ms", "seq/s"
    );
    for r in &report.shapes {
        println!(
            "{:>8} {:>8} {:>12.1} {:>10.1}",
            r.batch,
            r.tokens,
            r.median_seconds * 1e3,
            r.sequences_per_second
        );
    }
}
