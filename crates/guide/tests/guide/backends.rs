//! The same answers from a catalog stored in PostgreSQL as from the same catalog in memory
//! (or SQLite): the stores hold the same rows, so the guide ranks and explains the same.

use std::collections::HashMap;

use daogou_catalog::{demo_catalog, CatalogIndex, CatalogStore, EmbedError, PgStore, TextEmbedder};
use daogou_guide::answer::RecommendOptions;
use daogou_guide::scene::SceneConfig;
use daogou_guide::Guide;

use crate::pg_cluster::fresh_postgres;
use crate::support::{encoder, guide};

/// The demo guide's own vectors, served by text: the PostgreSQL catalog gets exactly the
/// values the in-memory one holds, without embedding the catalog a second time.
struct Precomputed {
    model_id: String,
    dim: usize,
    vectors: HashMap<String, Vec<f32>>,
}

impl TextEmbedder for Precomputed {
    fn model_id(&self) -> &str {
        &self.model_id
    }

    fn dim(&self) -> usize {
        self.dim
    }

    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        texts
            .iter()
            .map(|t| {
                self.vectors
                    .get(*t)
                    .cloned()
                    .ok_or_else(|| format!("no vector for {t:?}").into())
            })
            .collect()
    }
}

#[test]
fn recommendations_from_postgres_match_the_in_memory_catalog() {
    let memory = guide();
    let catalog = memory.catalog();
    let embedder = Precomputed {
        model_id: memory.encoder().model_id().to_string(),
        dim: catalog.dim(),
        vectors: (0..catalog.len())
            .map(|i| {
                (
                    catalog.product(i).embedding_text(),
                    catalog.embedding(i).to_vec(),
                )
            })
            .collect(),
    };
    let dsn = fresh_postgres("guide_parity");
    let mut store = PgStore::connect(&dsn).expect("connect");
    store
        .upsert(&demo_catalog().products, &embedder, &mut |_| {})
        .expect("import");
    let stored = CatalogIndex::from_store(&mut store, &embedder, &mut |_| {}).expect("load");
    let from_postgres =
        Guide::in_memory(encoder(), stored, SceneConfig::builtin().expect("scenes"))
            .expect("guide");

    let options = RecommendOptions::default();
    for request in [
        "waterproof hiking jacket under 100 dollars",
        "a gift for my dad who likes coffee",
        "送女朋友的生日礼物 300元以内",
    ] {
        let strip = |g: &Guide| {
            let mut v = serde_json::to_value(g.recommend(request, None, &options).expect("answer"))
                .expect("json");
            v["stats"] = serde_json::Value::Null;
            for item in v["items"].as_array_mut().expect("items") {
                for e in item["explanations"].as_array_mut().expect("explanations") {
                    e["wall_time_ms"] = serde_json::Value::Null;
                }
            }
            v
        };
        assert_eq!(strip(&from_postgres), strip(memory), "{request}");
    }
}
