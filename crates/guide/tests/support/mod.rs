//! The real guide for integration tests: MiniLM (fetched into the cache on first use) over
//! the built-in demo catalog, held in memory.
#![allow(dead_code)] // each test binary uses a different subset

use std::sync::OnceLock;

use daogou_guide::catalog::demo_catalog;
use daogou_guide::scene::SceneConfig;
use daogou_guide::{CatalogIndex, Guide};
use daogou_model::fetch::{Fetcher, MINILM_L6_V2};
use daogou_model::SentenceEncoder;

/// Loads MiniLM from the cache (fetching it if missing).
pub fn encoder() -> SentenceEncoder {
    let dir = Fetcher::new()
        .with_progress(false)
        .resolve(None, &MINILM_L6_V2)
        .unwrap_or_else(|e| panic!("MiniLM is required by this test: {e}"))
        .dir;
    SentenceEncoder::load(&dir).expect("MiniLM loads")
}

/// The demo-catalog guide, built once per test binary.
pub fn guide() -> &'static Guide {
    static GUIDE: OnceLock<Guide> = OnceLock::new();
    GUIDE.get_or_init(|| {
        let encoder = encoder();
        let catalog = CatalogIndex::embed(demo_catalog().products, &encoder).expect("catalog");
        Guide::in_memory(encoder, catalog, SceneConfig::builtin().expect("scenes")).expect("guide")
    })
}
