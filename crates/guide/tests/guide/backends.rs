//! The same answers from a catalog stored in PostgreSQL as from the same catalog in memory
//! (or SQLite), on the demo catalog and a Leipzig sample: loaded from the database, or read
//! per request (candidates retrieved in SQL, scored with the catalog's statistics), the
//! guide ranks and explains the same.

use std::collections::HashMap;
use std::path::PathBuf;

use daogou_catalog::{
    demo_catalog, import_path, read_history, CatalogIndex, CatalogStore, ColumnMapping, EmbedError,
    PgStore, Product, TextEmbedder,
};
use daogou_guide::answer::RecommendOptions;
use daogou_guide::scene::SceneConfig;
use daogou_guide::{Guide, PassageEmbedder};

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

/// Stores `products` in a fresh PostgreSQL database with `memory`'s own vectors, and checks
/// that a guide loading them back and a guide reading them per request answer `requests`
/// as `memory` does.
fn same_answers_from_postgres(
    memory: &Guide,
    products: &[Product],
    database: &str,
    requests: &[&str],
) {
    let catalog = memory.catalog().expect("loaded");
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
    let dsn = fresh_postgres(database);
    let mut store = PgStore::connect(&dsn).expect("connect");
    store
        .upsert(products, &embedder, &mut |_| {})
        .expect("import");
    let stored = CatalogIndex::from_store(&mut store, &embedder, &mut |_| {}).expect("load");
    let scenes = || SceneConfig::builtin().expect("scenes");
    let loaded = Guide::in_memory(encoder(), stored, scenes()).expect("guide");
    let per_request = Guide::per_request(encoder(), store, scenes()).expect("guide");
    let options = RecommendOptions::default();
    // A shopper who viewed and bought two of the catalog's products and one it lacks.
    let history_lines = format!(
        "{{\"timestamp\": 1, \"kind\": \"viewed\", \"product_id\": {:?}}}\n\
         {{\"timestamp\": 2, \"kind\": \"bought\", \"product_id\": {:?}}}\n\
         {{\"timestamp\": 3, \"kind\": \"viewed\", \"product_id\": \"gone\"}}\n",
        products[0].id, products[5].id
    );
    let (history, issues) = read_history(history_lines.as_bytes());
    assert!(issues.is_empty(), "{issues:?}");
    for (request, history) in requests
        .iter()
        .map(|r| (r, None))
        .chain(requests.first().map(|r| (r, Some(history.as_slice()))))
    {
        let strip = |g: &Guide| {
            let answer = g.recommend(request, history, &options).expect("answer");
            let mut v = serde_json::to_value(answer).expect("json");
            v["stats"] = serde_json::Value::Null;
            for item in v["items"].as_array_mut().expect("items") {
                for e in item["explanations"].as_array_mut().expect("explanations") {
                    e["wall_time_ms"] = serde_json::Value::Null;
                }
                if item["profile_explanation"].is_object() {
                    item["profile_explanation"]["wall_time_ms"] = serde_json::Value::Null;
                }
            }
            v
        };
        let expected = strip(memory);
        assert!(history.is_none() || expected["items"][0]["profile_explanation"].is_object());
        assert_eq!(strip(&loaded), expected, "loaded: {request}");
        assert_eq!(strip(&per_request), expected, "per request: {request}");
    }
}

#[test]
fn recommendations_from_postgres_match_the_in_memory_catalog() {
    same_answers_from_postgres(
        guide(),
        &demo_catalog().products,
        "guide_parity",
        &[
            "waterproof hiking jacket under 100 dollars",
            "a gift for my dad who likes coffee",
            "送女朋友的生日礼物 300元以内",
        ],
    );
}

#[test]
fn recommendations_from_postgres_match_on_a_leipzig_sample() {
    let abt = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/leipzig-products/Abt.csv"
    ));
    let products: Vec<Product> = import_path(&abt, &ColumnMapping::default())
        .expect("the Leipzig Abt catalog is required by this test")
        .products
        .into_iter()
        .step_by(3)
        .collect();
    let encoder = encoder();
    let catalog = CatalogIndex::embed(products.clone(), &PassageEmbedder(&encoder)).expect("embed");
    let memory =
        Guide::in_memory(encoder, catalog, SceneConfig::builtin().expect("scenes")).expect("guide");
    same_answers_from_postgres(
        &memory,
        &products,
        "guide_parity_leipzig",
        &[
            "sony digital camera",
            "wireless headphones under 100 dollars",
            "canon lens cheap",
            "samsung lcd tv between 200 and 1000 dollars",
        ],
    );
}
