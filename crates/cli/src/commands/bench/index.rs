//! `daogou bench index`: how fast a catalog becomes searchable, and at what peak memory.
//!
//! A fresh SQLite store under the bench directory receives Leipzig products (a spread-out
//! subset by default: embedding all 6,762 takes minutes on two cores), embedding each
//! ([`Store::import`]), then [`CatalogIndex::from_store`] loads them back and builds the
//! BM25 index and request vocabulary. Peak memory is the process's VmHWM, reset before the
//! run where the kernel allows it (`/proc/self/clear_refs`), so it includes the loaded
//! model but not what earlier benchmarks of `bench all` allocated.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Args;
use daogou_catalog::store::Store;
use daogou_catalog::ParsedCatalog;
use daogou_catalog::{CatalogIndex, CatalogStore};
use daogou_guide::app::CATALOG_DB;
use daogou_guide::PassageEmbedder;
use daogou_model::SentenceEncoder;
use serde::Serialize;

use super::{leipzig, DataArgs};
use crate::runtime::progress_bar;

/// Products indexed unless told otherwise.
const DEFAULT_PRODUCTS: usize = 1000;

/// Options of `bench index`.
#[derive(Debug, Clone, Args)]
pub struct Options {
    /// Products to index, spread evenly over the Leipzig files (0: all of them).
    #[arg(long, default_value_t = DEFAULT_PRODUCTS)]
    products: usize,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            products: DEFAULT_PRODUCTS,
        }
    }
}

/// Memory of the process, KiB, from /proc/self/status.
#[derive(Debug, Serialize)]
pub struct Memory {
    /// Resident set size before the run (the model and the parsed CSVs).
    rss_before_kib: Option<u64>,
    /// Peak resident set size (VmHWM) at the end of the run.
    peak_kib: Option<u64>,
    /// Whether the peak was reset before the run; if not, it is the peak since the
    /// process started.
    peak_reset: bool,
}

/// What `bench index` measured.
#[derive(Debug, Serialize)]
pub struct Report {
    /// Products indexed.
    products: usize,
    /// Products in the Leipzig files.
    available: usize,
    /// How the subset was chosen.
    subset_rule: &'static str,
    /// Embedding and storing them, s.
    embed_store_seconds: f64,
    /// Loading them back, BM25 index and vocabulary, s.
    load_index_seconds: f64,
    /// `products / (embed_store_seconds + load_index_seconds)`.
    products_per_second: f64,
    /// Memory.
    memory: Memory,
}

/// Indexes the subset into a fresh store and times it.
pub fn measure(encoder: &SentenceEncoder, data: &DataArgs, options: &Options) -> Result<Report> {
    let all = leipzig::load(&data.leipzig)?;
    let available = all.len();
    let wanted = match options.products {
        0 => available,
        n => n.min(available),
    };
    let products = (0..wanted)
        .map(|k| all[k * available / wanted].clone())
        .collect();
    drop(all);

    let dir = data.bench_dir.join("index");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let db = dir.join(CATALOG_DB);
    remove_database(&db)?;

    let rss_before_kib = status_kib("VmRSS");
    let peak_reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let bar = progress_bar(wanted as u64, "embedding");
    let start = Instant::now();
    let mut store = Store::open(&db)?;
    let parsed = ParsedCatalog {
        products,
        ..ParsedCatalog::default()
    };
    store.import(parsed, &PassageEmbedder(encoder), &mut |p| {
        bar.set_position(p.written as u64)
    })?;
    let embed_store_seconds = start.elapsed().as_secs_f64();
    bar.finish_and_clear();
    let start = Instant::now();
    let catalog = CatalogIndex::from_store(&mut store, &PassageEmbedder(encoder), &mut |_| {})?;
    let load_index_seconds = start.elapsed().as_secs_f64();
    let peak_kib = status_kib("VmHWM");
    anyhow::ensure!(
        catalog.len() == wanted,
        "indexed {} products",
        catalog.len()
    );
    drop(catalog);
    drop(store);
    remove_database(&db)?;
    Ok(Report {
        products: wanted,
        available,
        subset_rule: "product floor(k * N / n) for k < n of the N Leipzig products \
                      (files in the order Abt, Amazon, Buy, Google)",
        embed_store_seconds,
        load_index_seconds,
        products_per_second: wanted as f64 / (embed_store_seconds + load_index_seconds),
        memory: Memory {
            rss_before_kib,
            peak_kib,
            peak_reset,
        },
    })
}

/// Removes a database and its journal files, if present.
fn remove_database(db: &Path) -> Result<()> {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut name = db.as_os_str().to_owned();
        name.push(suffix);
        match std::fs::remove_file(&name) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(e).with_context(|| format!("removing {}", db.display()));
            }
            _ => {}
        }
    }
    Ok(())
}

/// A `kB` field of /proc/self/status (`VmRSS`, `VmHWM`), if readable.
fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|line| {
        let rest = line.strip_prefix(field)?.strip_prefix(':')?;
        rest.trim().trim_end_matches("kB").trim().parse().ok()
    })
}

/// Prints the indexing figures.
pub fn print(report: &Report) {
    println!(
        "catalog indexing: {} of {} Leipzig products ({}) into a fresh store",
        report.products, report.available, report.subset_rule
    );
    println!(
        "{:>16} {:>16} {:>16} {:>16} {:>16}",
        "embed+store s", "load+BM25 s", "products/s", "RSS before MiB", "peak RSS MiB"
    );
    let mib =
        |k: Option<u64>| k.map_or_else(|| "?".to_string(), |k| format!("{:.0}", k as f64 / 1024.0));
    println!(
        "{:>16.1} {:>16.2} {:>16.1} {:>16} {:>16}",
        report.embed_store_seconds,
        report.load_index_seconds,
        report.products_per_second,
        mib(report.memory.rss_before_kib),
        mib(report.memory.peak_kib)
    );
    if !report.memory.peak_reset {
        println!("(the peak could not be reset: it is the peak since the process started)");
    }
}
