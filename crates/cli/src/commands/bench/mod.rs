//! `daogou bench`: figures to compare against baselines (never asserted in tests).
//!
//! Each subcommand prints a table whose figures carry their units, or JSON with `--json`
//! (what `scripts/bench` reads to put daogou next to the Python stack):
//!
//! - `encoder`: forward-pass throughput at fixed batch shapes;
//! - `explain`: the explanation methods on one request against ten products, each timed
//!   on its own evaluator, with their error against exact Shapley values;
//! - `index`: embedding + SQLite store + BM25 index throughput, and peak memory;
//! - `recommend`: end-to-end latency of explained recommendations on the Leipzig catalog
//!   and on a 100,000-product catalog made from it;
//! - `retrieval`: candidate retrieval from a PostgreSQL catalog, and the HNSW index's
//!   recall against exact search;
//! - `all`: the four in one process (index before recommend, so that its peak memory is
//!   not the large catalog's).

mod encoder;
mod explain;
mod index;
mod leipzig;
mod recommend;
mod retrieval;

use std::path::{Path, PathBuf};

use anyhow::Result;
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
        #[command(flatten)]
        options: encoder::Options,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Explanation methods on one request and ten products: time, evaluations, error.
    Explain {
        #[command(flatten)]
        options: explain::Options,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Catalog indexing throughput (embedding, store, BM25) and peak memory.
    Index {
        #[command(flatten)]
        data: DataArgs,
        #[command(flatten)]
        options: index::Options,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Latency of explained recommendations on the Leipzig and a 100,000-product catalog.
    Recommend {
        #[command(flatten)]
        data: DataArgs,
        #[command(flatten)]
        options: recommend::Options,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Candidate retrieval from a PostgreSQL catalog: latency and the HNSW index's recall.
    Retrieval {
        #[command(flatten)]
        options: retrieval::Options,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// All of the above but retrieval, with their default settings, in one process.
    All {
        #[command(flatten)]
        data: DataArgs,
        /// Print JSON instead of tables.
        #[arg(long)]
        json: bool,
        /// The encoder and the explanations only: no catalog to index or embed (what
        /// `scripts/bench --quick` runs).
        #[arg(long)]
        quick: bool,
    },
}

/// Where the catalog benchmarks read their data and keep what they compute once.
#[derive(Debug, Clone, Args)]
struct DataArgs {
    /// Folder of the Leipzig product CSVs (Abt, AmazonProducts, Buy, GoogleProducts).
    #[arg(
        long,
        value_name = "DIR",
        default_value = "../shared/data/leipzig-products"
    )]
    leipzig: PathBuf,
    /// Folder for the benchmark's catalog database (the Leipzig embeddings are computed
    /// once and reused from there).
    #[arg(long, value_name = "DIR", default_value = "target/bench-data")]
    bench_dir: PathBuf,
}

/// The machine a run was taken on.
#[derive(Debug, Clone, Serialize)]
struct Machine {
    /// CPU model name from /proc/cpuinfo.
    cpu: String,
    /// Threads available to this process.
    threads: usize,
    /// 1-minute load average when the run started.
    load_start: Option<f64>,
    /// 1-minute load average when the run ended.
    load_end: Option<f64>,
    /// daogou's version.
    version: &'static str,
}

impl Machine {
    fn now() -> Self {
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|info| {
                info.lines()
                    .find_map(|l| l.strip_prefix("model name"))
                    .map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_string())
            })
            .unwrap_or_else(|| "unknown".to_string());
        Self {
            cpu,
            threads: available_threads(),
            load_start: load_average(),
            load_end: None,
            version: env!("CARGO_PKG_VERSION"),
        }
    }

    fn finish(mut self) -> Self {
        self.load_end = load_average();
        self
    }

    fn print(&self) {
        let load = |l: Option<f64>| l.map_or_else(|| "?".to_string(), |l| format!("{l:.2}"));
        println!(
            "machine: {} ({} threads), load average {} at start, {} at end, daogou {}",
            self.cpu,
            self.threads,
            load(self.load_start),
            load(self.load_end),
            self.version
        );
    }
}

/// Everything `bench all` measures.
#[derive(Debug, Serialize)]
struct AllReport {
    machine: Machine,
    encoder: encoder::Report,
    explain: explain::Report,
    #[serde(skip_serializing_if = "Option::is_none")]
    index: Option<index::Report>,
    #[serde(skip_serializing_if = "Option::is_none")]
    recommend: Option<recommend::Report>,
}

pub fn run(args: BenchArgs, model_dir: Option<&Path>) -> Result<()> {
    let machine = Machine::now();
    let encoder = load_encoder(model_dir)?;
    match args.what {
        What::Encoder { options, json } => {
            let report = encoder::measure(&encoder, &options)?;
            emit(json, &report, machine, encoder::print)
        }
        What::Explain { options, json } => {
            let report = explain::measure(&encoder, &options)?;
            emit(json, &report, machine, explain::print)
        }
        What::Index {
            data,
            options,
            json,
        } => {
            let report = index::measure(&encoder, &data, &options)?;
            emit(json, &report, machine, index::print)
        }
        What::Recommend {
            data,
            options,
            json,
        } => {
            let report = recommend::measure(&encoder, &data, &options)?;
            emit(json, &report, machine, recommend::print)
        }
        What::Retrieval { options, json } => {
            let report = retrieval::measure(&encoder, &options)?;
            emit(json, &report, machine, retrieval::print)
        }
        What::All { data, json, quick } => {
            let encoder_report = encoder::measure(&encoder, &encoder::Options::default())?;
            let explain_report = explain::measure(&encoder, &explain::Options::default())?;
            let (index_report, recommend_report) = if quick {
                (None, None)
            } else {
                (
                    Some(index::measure(&encoder, &data, &index::Options::default())?),
                    Some(recommend::measure(
                        &encoder,
                        &data,
                        &recommend::Options::default(),
                    )?),
                )
            };
            let report = AllReport {
                machine: machine.finish(),
                encoder: encoder_report,
                explain: explain_report,
                index: index_report,
                recommend: recommend_report,
            };
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                report.machine.print();
                println!();
                encoder::print(&report.encoder);
                println!();
                explain::print(&report.explain);
                if let Some(index) = &report.index {
                    println!();
                    index::print(index);
                }
                if let Some(recommend) = &report.recommend {
                    println!();
                    recommend::print(recommend);
                }
            }
            Ok(())
        }
    }
}

/// Prints one report as JSON (with the machine) or as a table.
fn emit<R: Serialize>(json: bool, report: &R, machine: Machine, print: fn(&R)) -> Result<()> {
    let machine = machine.finish();
    if json {
        #[derive(Serialize)]
        struct WithMachine<'a, R> {
            machine: &'a Machine,
            #[serde(flatten)]
            report: &'a R,
        }
        let out = WithMachine {
            machine: &machine,
            report,
        };
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        machine.print();
        println!();
        print(report);
    }
    Ok(())
}

/// Threads the process may use.
fn available_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The 1-minute load average, if /proc/loadavg is readable.
fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The median of `values` (0 for none), sorting them.
fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => 0.0,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}
