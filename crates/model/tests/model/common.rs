//! Shared by the model crate's integration tests: the real MiniLM and multilingual-e5-small
//! models (fetched into the cache on first use) and the PyTorch golden file.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::OnceLock;

use daogou_model::fetch::{Fetcher, MINILM_L6_V2, MULTILINGUAL_E5_SMALL};
use daogou_model::SentenceEncoder;

/// The golden reference file written by `../shared/golden/make_golden.py`.
pub fn golden() -> serde_json::Value {
    let path = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/golden/minilm.json"
    ));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "golden file {} is required by this test: {e}",
            path.display()
        )
    });
    serde_json::from_str(&text).expect("golden file is valid JSON")
}

/// The MiniLM directory, fetched once per test binary if missing.
pub fn model_dir() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        Fetcher::new()
            .resolve(None, &MINILM_L6_V2)
            .unwrap_or_else(|e| panic!("MiniLM is required by this test: {e}"))
            .dir
    })
    .clone()
}

/// A loaded MiniLM encoder.
pub fn encoder() -> &'static SentenceEncoder {
    static ENCODER: OnceLock<SentenceEncoder> = OnceLock::new();
    ENCODER.get_or_init(|| SentenceEncoder::load(&model_dir()).expect("MiniLM loads"))
}

/// A loaded multilingual-e5-small encoder, downloaded and converted on first use (~100 MB).
pub fn e5() -> &'static SentenceEncoder {
    static ENCODER: OnceLock<SentenceEncoder> = OnceLock::new();
    ENCODER.get_or_init(|| {
        let dir = Fetcher::new()
            .resolve(None, &MULTILINGUAL_E5_SMALL)
            .unwrap_or_else(|e| panic!("multilingual-e5-small is required by this test: {e}"))
            .dir;
        SentenceEncoder::load(&dir).expect("multilingual-e5-small loads")
    })
}

/// Converts a JSON array of numbers.
pub fn floats(v: &serde_json::Value) -> Vec<f32> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number") as f32)
        .collect()
}

/// Largest absolute difference of two equally long slices.
pub fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "lengths differ");
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}
