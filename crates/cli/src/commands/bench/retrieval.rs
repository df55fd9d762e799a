//! `daogou bench retrieval`: candidate retrieval from a PostgreSQL catalog, as a server
//! reading it per request does it ([`PgStore::retrieve`], then [`PgStore::fetch`]), for
//! distinct queries: latency percentiles, and the recall of the HNSW index's nearest
//! products against exact nearest neighbours (a scan) at 10 and at the candidate limit.

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Args;
use daogou_catalog::{PgStore, Retrieval, QUERY};
use daogou_model::SentenceEncoder;
use serde::Serialize;

/// What to measure.
#[derive(Debug, Clone, Args)]
pub struct Options {
    /// The catalog: `postgres://…` (several hosts allowed).
    #[arg(long, value_name = "DSN")]
    dsn: String,
    /// Requests, one per line (each is retrieved once).
    #[arg(long, value_name = "FILE")]
    queries: PathBuf,
    /// Requests measured (the first N of the file).
    #[arg(long, default_value_t = 200)]
    requests: usize,
    /// Candidates by embedding and by keyword, as `recommend` retrieves them.
    #[arg(long, default_value_t = 200)]
    limit: usize,
}

/// Latency percentiles in milliseconds.
#[derive(Debug, Clone, Serialize)]
pub struct Percentiles {
    p50_ms: f64,
    p95_ms: f64,
    max_ms: f64,
}

impl Percentiles {
    fn of(mut times: Vec<f64>) -> Self {
        times.sort_by(f64::total_cmp);
        let n = times.len() as f64;
        let at = |p: f64| times[((p / 100.0 * n).ceil() as usize).clamp(1, times.len()) - 1];
        Self {
            p50_ms: at(50.0),
            p95_ms: at(95.0),
            max_ms: times.last().copied().unwrap_or(0.0),
        }
    }
}

/// The measurements.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    requests: usize,
    limit: usize,
    /// `retrieve` through the HNSW index (keyword and vector candidates, statistics).
    retrieve: Percentiles,
    /// `fetch` of the candidates (rows, vectors, review summaries).
    fetch: Percentiles,
    /// `retrieve` with exact nearest neighbours (a scan of every vector).
    retrieve_exact: Percentiles,
    /// Mean share of the exact 10 nearest that the index found among its 10.
    recall_at_10: f64,
    /// Mean share of the exact `limit` nearest that the index found among its `limit`.
    recall_at_limit: f64,
    /// Mean candidates per request (both lists, each product once).
    mean_candidates: f64,
}

/// Runs the measurement.
pub fn measure(encoder: &SentenceEncoder, options: &Options) -> Result<Report> {
    let text = std::fs::read_to_string(&options.queries)
        .with_context(|| format!("reading {}", options.queries.display()))?;
    let queries: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take(options.requests)
        .collect();
    if queries.is_empty() {
        bail!("{} holds no requests", options.queries.display());
    }
    let store = PgStore::connect(&options.dsn)?;
    let (mut retrieve, mut fetch, mut exact) = (Vec::new(), Vec::new(), Vec::new());
    let (mut recall_10, mut recall_limit, mut candidates) = (0.0, 0.0, 0.0);
    for query in &queries {
        let embedding = encoder
            .embed_with_prompt(QUERY, &[query])?
            .pop()
            .context("no embedding")?;
        let words: Vec<String> = query.split_whitespace().map(str::to_string).collect();
        let mut retrieval = Retrieval {
            model_id: encoder.model_id(),
            embedding: &embedding,
            words: &words,
            limit: options.limit,
            min_usd: None,
            max_usd: None,
            brands: &[],
            exact: false,
        };
        let started = Instant::now();
        let found = store.retrieve(&retrieval)?;
        retrieve.push(started.elapsed().as_secs_f64() * 1e3);
        let ids = found.ids();
        candidates += ids.len() as f64;
        let started = Instant::now();
        store.fetch(&ids, encoder.model_id())?;
        fetch.push(started.elapsed().as_secs_f64() * 1e3);
        retrieval.exact = true;
        let started = Instant::now();
        let truth = store.retrieve(&retrieval)?;
        exact.push(started.elapsed().as_secs_f64() * 1e3);
        recall_10 += recall(&found.nearest, &truth.nearest, 10);
        recall_limit += recall(&found.nearest, &truth.nearest, options.limit);
    }
    let n = queries.len() as f64;
    Ok(Report {
        requests: queries.len(),
        limit: options.limit,
        retrieve: Percentiles::of(retrieve),
        fetch: Percentiles::of(fetch),
        retrieve_exact: Percentiles::of(exact),
        recall_at_10: recall_10 / n,
        recall_at_limit: recall_limit / n,
        mean_candidates: candidates / n,
    })
}

/// Share of the first `k` of `truth` found among the first `k` of `found` (1 when `truth`
/// is empty).
fn recall(found: &[String], truth: &[String], k: usize) -> f64 {
    let truth: HashSet<&String> = truth.iter().take(k).collect();
    if truth.is_empty() {
        return 1.0;
    }
    let hits = found.iter().take(k).filter(|id| truth.contains(id)).count();
    hits as f64 / truth.len() as f64
}

/// Prints the report as a table.
pub fn print(report: &Report) {
    println!(
        "retrieval from PostgreSQL: {} distinct requests, {} candidates by embedding and by keyword",
        report.requests, report.limit
    );
    println!("{:<34} {:>9} {:>9} {:>9}", "", "p50 ms", "p95 ms", "max ms");
    for (name, p) in [
        ("retrieve (HNSW + BM25 + filters)", &report.retrieve),
        ("fetch candidates", &report.fetch),
        ("retrieve, exact nearest (scan)", &report.retrieve_exact),
    ] {
        println!(
            "{name:<34} {:>9.1} {:>9.1} {:>9.1}",
            p.p50_ms, p.p95_ms, p.max_ms
        );
    }
    println!(
        "HNSW recall@10 {:.3}, recall@{} {:.3}; {:.0} candidates per request",
        report.recall_at_10, report.limit, report.recall_at_limit, report.mean_candidates
    );
}
