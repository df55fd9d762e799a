//! `daogou bench recommend`: end-to-end latency of explained recommendations.
//!
//! Each request goes through [`Recommender::recommend`] with the default options (top 10,
//! exact Shapley explanations of the request words for all ten at once, counterfactual)
//! and the built-in scenes, as `daogou recommend` and the HTTP API answer it. Two catalogs:
//! the Leipzig products (embedded once, then reused from a SQLite store under the bench
//! directory) and a large one made by repeating them with new ids and their vectors (same
//! texts, so nothing is embedded again). Each catalog answers the requests with the
//! weighted ranker and, when the data directory holds one fitted on the encoder, again
//! with the learned ranker (its features computed per candidate and per coalition), so
//! the learned ranker's cost is a ratio of the same run.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Args;
use daogou_catalog::store::Store;
use daogou_catalog::{CatalogIndex, CatalogStore};
use daogou_guide::answer::RecommendOptions;
use daogou_guide::app::CATALOG_DB;
use daogou_guide::app::{default_data_dir, load_ranker};
use daogou_guide::rank::LearnedRanker;
use daogou_guide::recommend::Recommender;
use daogou_guide::scene::{SceneConfig, SceneRecognizer};
use daogou_guide::PassageEmbedder;
use daogou_model::SentenceEncoder;
use serde::{Deserialize, Serialize};

use super::{leipzig, load_average, DataArgs};
use crate::runtime::progress_bar;

/// Requests timed per catalog unless told otherwise.
const DEFAULT_REQUESTS: usize = 100;

/// Size of the large catalog unless told otherwise.
const DEFAULT_LARGE: usize = 100_000;

/// Where the first embedding of the Leipzig catalog is recorded, next to its store.
const EMBEDDING_RECORD: &str = "embedding.json";

/// Options of `bench recommend`.
#[derive(Debug, Clone, Args)]
pub struct Options {
    /// Requests timed per catalog.
    #[arg(long, default_value_t = DEFAULT_REQUESTS)]
    requests: usize,
    /// Products in the large catalog (Leipzig repeated).
    #[arg(long, default_value_t = DEFAULT_LARGE)]
    large: usize,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            requests: DEFAULT_REQUESTS,
            large: DEFAULT_LARGE,
        }
    }
}

/// The one-off cost of embedding the Leipzig catalog.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EmbeddingCost {
    /// Products embedded in the run that embedded them.
    products: usize,
    /// Wall time of embedding and storing them, s.
    seconds: f64,
    /// 1-minute load average when that run ended.
    load_average: Option<f64>,
    /// Whether this run found the vectors stored and reused them.
    #[serde(default)]
    reused: bool,
}

/// Latency over the timed requests (nearest-rank percentiles).
#[derive(Debug, Serialize)]
pub struct Latency {
    /// Requests timed.
    requests: usize,
    /// Median, ms.
    p50_ms: f64,
    /// 95th percentile, ms.
    p95_ms: f64,
    /// Slowest, ms.
    max_ms: f64,
    /// Mean, ms.
    mean_ms: f64,
    /// Mean time to parse, retrieve and score (the answer's own `retrieval_ms`), ms.
    mean_retrieval_ms: f64,
    /// Mean time of the explanations (`explain_ms`), ms.
    mean_explain_ms: f64,
    /// Mean distinct masked requests embedded per answer.
    mean_model_evals: f64,
    /// Mean candidates scored per answer.
    mean_candidates: f64,
}

/// One catalog's figures.
#[derive(Debug, Serialize)]
pub struct CatalogRun {
    /// Products.
    products: usize,
    /// Time to build the searchable catalog (Leipzig: load from the store and index;
    /// large: index), s.
    build_seconds: f64,
    /// Request latency with the weighted ranker.
    latency: Latency,
    /// Request latency with the data directory's learned ranker, when it has one.
    learned: Option<Latency>,
}

/// What `bench recommend` measured.
#[derive(Debug, Serialize)]
pub struct Report {
    /// How the requests were made.
    request_rule: &'static str,
    /// The requests, in the order sent.
    requests: Vec<String>,
    /// Untimed requests sent first to each catalog.
    warmup: usize,
    /// Embedding the Leipzig catalog.
    embedding: EmbeddingCost,
    /// The Leipzig catalog.
    leipzig: CatalogRun,
    /// The Leipzig catalog repeated.
    large: CatalogRun,
}

/// Builds both catalogs and times the requests on each.
pub fn measure(encoder: &SentenceEncoder, data: &DataArgs, options: &Options) -> Result<Report> {
    let products = leipzig::load(&data.leipzig)?;
    let requests = leipzig::requests(&products, options.requests.max(1))?;
    let scenes = SceneRecognizer::new(SceneConfig::builtin()?, encoder)?;
    let (ranker, _) = load_ranker(&default_data_dir(), encoder)?;
    let both = |catalog: &CatalogIndex| -> Result<(Latency, Option<Latency>)> {
        let weighted = time_requests(catalog, encoder, &scenes, &requests, None)?;
        let learned = ranker
            .as_ref()
            .map(|r| time_requests(catalog, encoder, &scenes, &requests, Some(r)))
            .transpose()?;
        Ok((weighted, learned))
    };

    let (embedding, catalog, build_seconds) =
        leipzig_catalog(encoder, products, &data.bench_dir.join("leipzig"))?;
    let (latency, learned) = both(&catalog)?;
    let leipzig = CatalogRun {
        products: catalog.len(),
        build_seconds,
        latency,
        learned,
    };

    let start = Instant::now();
    let large_catalog = repeat_catalog(&catalog, options.large)?;
    let build_seconds = start.elapsed().as_secs_f64();
    drop(catalog);
    let (latency, learned) = both(&large_catalog)?;
    let large = CatalogRun {
        products: large_catalog.len(),
        build_seconds,
        latency,
        learned,
    };
    Ok(Report {
        request_rule: leipzig::REQUEST_RULE,
        requests,
        warmup: 1,
        embedding,
        leipzig,
        large,
    })
}

/// Stores `products` in `dir`, embedding those without a vector (recording the cost), and
/// loads them back as a catalog; returns the embedding cost, the catalog and the time the
/// loading and indexing took.
fn leipzig_catalog(
    encoder: &SentenceEncoder,
    products: Vec<daogou_catalog::Product>,
    dir: &Path,
) -> Result<(EmbeddingCost, CatalogIndex, f64)> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut store = Store::open(&dir.join(CATALOG_DB))?;
    let record = dir.join(EMBEDDING_RECORD);
    let bar = progress_bar(0, "embedding");
    let start = Instant::now();
    let upserted = store.upsert(&products, &PassageEmbedder(encoder), &mut |p| {
        bar.set_length(p.to_write as u64);
        bar.set_position(p.written as u64);
    })?;
    bar.finish_and_clear();
    let embedding = if upserted.embedded.is_empty() {
        let text = std::fs::read_to_string(&record)
            .with_context(|| format!("reading {}", record.display()))?;
        let mut cost: EmbeddingCost =
            serde_json::from_str(&text).with_context(|| format!("parsing {}", record.display()))?;
        cost.reused = true;
        cost
    } else {
        let cost = EmbeddingCost {
            products: upserted.embedded.len(),
            seconds: start.elapsed().as_secs_f64(),
            load_average: load_average(),
            reused: false,
        };
        std::fs::write(&record, serde_json::to_string_pretty(&cost)?)
            .with_context(|| format!("writing {}", record.display()))?;
        cost
    };
    let start = Instant::now();
    let catalog = CatalogIndex::from_store(&mut store, &PassageEmbedder(encoder), &mut |_| {})?;
    Ok((embedding, catalog, start.elapsed().as_secs_f64()))
}

/// `size` products: `base` repeated, copy c of product `id` named `id#c`, with the same
/// vectors.
fn repeat_catalog(base: &CatalogIndex, size: usize) -> Result<CatalogIndex> {
    anyhow::ensure!(!base.is_empty(), "the catalog to repeat is empty");
    let dim = base.dim();
    let mut products = Vec::with_capacity(size);
    let mut vectors = Vec::with_capacity(size * dim);
    for k in 0..size {
        let i = k % base.len();
        let mut product = base.product(i).clone();
        product.id = format!("{}#{}", product.id, k / base.len());
        products.push(product);
        vectors.extend_from_slice(base.embedding(i));
    }
    Ok(CatalogIndex::new(products, vectors, dim)?)
}

/// Sends one untimed request, then times each of `requests`.
fn time_requests(
    catalog: &CatalogIndex,
    encoder: &SentenceEncoder,
    scenes: &SceneRecognizer,
    requests: &[String],
    ranker: Option<&LearnedRanker>,
) -> Result<Latency> {
    let recommender = Recommender::new(catalog, encoder, Some(scenes)).with_ranker(ranker);
    let options = RecommendOptions::default();
    let first = requests.first().context("no requests")?;
    recommender.recommend(first, None, &options)?;
    let mut times = Vec::with_capacity(requests.len());
    let (mut retrieval, mut explain, mut evals, mut candidates) = (0.0, 0.0, 0.0, 0.0);
    for request in requests {
        let start = Instant::now();
        let answer = recommender
            .recommend(request, None, &options)
            .with_context(|| format!("recommending for {request:?}"))?;
        times.push(start.elapsed().as_secs_f64() * 1e3);
        retrieval += answer.stats.retrieval_ms;
        explain += answer.stats.explain_ms;
        evals += answer.stats.model_evals as f64;
        candidates += answer.stats.candidates as f64;
    }
    times.sort_by(f64::total_cmp);
    let n = times.len() as f64;
    let percentile = |p: f64| times[((p / 100.0 * n).ceil() as usize).clamp(1, times.len()) - 1];
    Ok(Latency {
        requests: times.len(),
        p50_ms: percentile(50.0),
        p95_ms: percentile(95.0),
        max_ms: times.last().copied().unwrap_or(0.0),
        mean_ms: times.iter().sum::<f64>() / n,
        mean_retrieval_ms: retrieval / n,
        mean_explain_ms: explain / n,
        mean_model_evals: evals / n,
        mean_candidates: candidates / n,
    })
}

/// Prints the latency table.
pub fn print(report: &Report) {
    let e = &report.embedding;
    println!(
        "recommend: top 10 with exact Shapley explanations, {} requests per catalog after {} \
         untimed",
        report.leipzig.latency.requests, report.warmup
    );
    println!("requests: {}", report.request_rule);
    println!(
        "Leipzig embedding: {} products in {:.1} s ({:.1} products/s{}){}",
        e.products,
        e.seconds,
        e.products as f64 / e.seconds.max(1e-9),
        e.load_average
            .map_or_else(String::new, |l| format!(", load {l:.2}")),
        if e.reused {
            "; vectors reused from the store in this run"
        } else {
            ""
        }
    );
    println!(
        "{:<27} {:>9} {:>10} {:>9} {:>9} {:>9} {:>9} {:>13} {:>11} {:>7} {:>10}",
        "catalog / ranker",
        "products",
        "build s",
        "p50 ms",
        "p95 ms",
        "max ms",
        "mean ms",
        "retrieval ms",
        "explain ms",
        "evals",
        "candidates"
    );
    let rows = [
        ("Leipzig", &report.leipzig),
        ("Leipzig repeated", &report.large),
    ]
    .into_iter()
    .flat_map(|(name, run)| {
        let learned = run
            .learned
            .as_ref()
            .map(|l| (format!("{name} / learned"), run, l));
        std::iter::once((format!("{name} / weighted"), run, &run.latency)).chain(learned)
    });
    for (name, run, l) in rows {
        println!(
            "{:<27} {:>9} {:>10.1} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>13.1} {:>11.1} {:>7.1} {:>10.1}",
            name,
            run.products,
            run.build_seconds,
            l.p50_ms,
            l.p95_ms,
            l.max_ms,
            l.mean_ms,
            l.mean_retrieval_ms,
            l.mean_explain_ms,
            l.mean_model_evals,
            l.mean_candidates
        );
    }
    println!(
        "build: Leipzig = load from the store + BM25 index; repeated = BM25 index of the copies. \
         retrieval/explain ms: means of the answers' own stats; evals: masked requests embedded"
    );
}
