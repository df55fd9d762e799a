//! The command-line interface: one module per subcommand.

mod bench;
mod catalog;
mod eval;
mod explain;
mod model;
mod profile;
mod recommend;
mod reviews;
mod scene;
mod serve;
mod train;
mod tune;

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};

use crate::runtime::Paths;

/// daogou (导购): an explainable AI shopping guide.
#[derive(Debug, Parser)]
#[command(name = "daogou", version, about)]
pub struct Cli {
    /// Model directory (config.json, tokenizer.json, model.safetensors); default: the cache,
    /// fetched on first use.
    #[arg(long, global = true, value_name = "DIR")]
    model: Option<PathBuf>,
    /// Directory of the catalog database (default: $DAOGOU_DATA_DIR or the platform's data
    /// directory).
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Scenes file (default: the built-in scenes).
    #[arg(long, global = true, value_name = "FILE")]
    scenes: Option<PathBuf>,
    /// Where the catalog is stored instead of the data directory's SQLite file: a PostgreSQL
    /// connection string, several hosts allowed
    /// (postgres://user@host1:5432,host2:5432/daogou; writes go to the primary).
    #[arg(long, global = true, value_name = "DSN", env = "DAOGOU_CATALOG")]
    catalog: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Recommend products for a request, each explained.
    Recommend(recommend::RecommendArgs),
    /// Explain the similarity of a text to another text word by word.
    Explain(explain::ExplainArgs),
    /// Recognise the shopping scene of a request.
    Scene(scene::SceneArgs),
    /// Build a shopper profile from a history file.
    Profile(profile::ProfileArgs),
    /// Train a classification head (e.g. review sentiment) on sentence embeddings.
    Train(train::TrainArgs),
    /// Summarise a product's reviews into aspects and opinions, with evidence.
    Reviews(reviews::ReviewsArgs),
    /// Import products.
    Catalog(catalog::CatalogArgs),
    /// Fetch, locate or verify the model.
    Model(model::ModelArgs),
    /// Measure throughput and latency.
    Bench(bench::BenchArgs),
    /// Evaluate the explanations (faithfulness, agreement, plausibility, cost) and rankings.
    Eval(eval::EvalArgs),
    /// Fit the learned ranker on relevance judgements, into the data directory.
    Tune(tune::TuneArgs),
    /// Serve the HTTP API and the web page.
    Serve(serve::ServeArgs),
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    let paths = Paths {
        model: cli.model,
        data_dir: cli.data_dir,
        scenes: cli.scenes,
        catalog: cli.catalog,
        without_demo: false,
        per_request: false,
    };
    let per_request = Paths {
        per_request: true,
        ..paths.clone()
    };
    match cli.command {
        Command::Recommend(args) => recommend::run(args, &per_request),
        Command::Explain(args) => explain::run(args, &paths),
        Command::Scene(args) => scene::run(args, &paths),
        Command::Profile(args) => profile::run(args, &per_request),
        Command::Catalog(args) => catalog::run(args, &per_request),
        Command::Train(args) => train::run(args, paths.model.as_deref()),
        Command::Reviews(args) => reviews::run(args, &paths),
        Command::Model(args) => model::run(args, paths.model.as_deref()),
        Command::Bench(args) => bench::run(args, paths.model.as_deref()),
        Command::Eval(args) => eval::run(args, &paths),
        Command::Tune(args) => tune::run(args, &paths),
        Command::Serve(args) => serve::run(args, &paths),
    }
}
