//! Resolves a known model (fetching it on first use), loads it and prints the load time,
//! the peak resident memory and the embedding throughput.
//!
//! `cargo run --release -p daogou-model --example model_stats -- multilingual-e5-small`

use std::time::Instant;

use daogou_model::fetch::{spec_by_name, Fetcher, KNOWN_MODELS};
use daogou_model::SentenceEncoder;

fn main() -> anyhow::Result<()> {
    let name = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "multilingual-e5-small".to_string());
    let Some(spec) = spec_by_name(&name) else {
        let known: Vec<&str> = KNOWN_MODELS.iter().map(|s| s.name).collect();
        anyhow::bail!("unknown model {name:?}; known: {}", known.join(", "));
    };
    let start = Instant::now();
    let resolved = Fetcher::new().resolve(None, spec)?;
    println!(
        "resolved {} from {:?} in {:.2} s",
        resolved.dir.display(),
        resolved.source,
        start.elapsed().as_secs_f64()
    );
    let start = Instant::now();
    let encoder = SentenceEncoder::load(&resolved.dir)?;
    println!(
        "loaded in {:.2} s; resident {} MiB, peak {} MiB",
        start.elapsed().as_secs_f64(),
        status_mib("VmRSS"),
        status_mib("VmHWM")
    );
    let texts: Vec<String> = (0..256)
        .map(|i| format!("这款手机电池很耐用，第{i}次充电后依然可以用一整天。"))
        .collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let start = Instant::now();
    encoder.embed_with_prompt("passage", &refs)?;
    let secs = start.elapsed().as_secs_f64();
    println!(
        "embedded {} short Chinese texts in {secs:.2} s ({:.0}/s); peak {} MiB",
        refs.len(),
        refs.len() as f64 / secs,
        status_mib("VmHWM")
    );
    Ok(())
}

/// A memory figure of /proc/self/status in MiB (0 where there is none).
fn status_mib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb / 1024)
}
