//! The command-line interface: one module per subcommand.

mod bench;
mod model;

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};

/// daogou (导购): an explainable AI shopping guide.
#[derive(Debug, Parser)]
#[command(name = "daogou", version, about)]
pub struct Cli {
    /// Model directory (config.json, tokenizer.json, model.safetensors); default: the cache,
    /// fetched on first use.
    #[arg(long, global = true, value_name = "DIR")]
    model: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Fetch, locate or verify the model.
    Model(model::ModelArgs),
    /// Measure throughput and latency.
    Bench(bench::BenchArgs),
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Model(args) => model::run(args, cli.model.as_deref()),
        Command::Bench(args) => bench::run(args, cli.model.as_deref()),
    }
}
