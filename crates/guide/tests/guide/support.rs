//! The real guide for integration tests: MiniLM (fetched into the cache on first use) over
//! the built-in demo catalog, held in memory.
#![allow(dead_code)] // each test binary uses a different subset

use std::path::PathBuf;
use std::sync::OnceLock;

use daogou_catalog::CatalogIndex;
use daogou_catalog::{demo_catalog, import_path, ColumnMapping};
use daogou_eval::datasets::read_sst;
use daogou_eval::{first_queries, read_judgements, split, tune_ranker, Split};
use daogou_guide::rank::{FitSettings, LearnedRanker};
use daogou_guide::scene::SceneConfig;
use daogou_guide::{Guide, PassageEmbedder};
use daogou_model::fetch::{Fetcher, ModelSpec, MINILM_L6_V2};
use daogou_model::{ClassifierHead, SentenceEncoder, TrainOptions};

/// Loads MiniLM from the cache (fetching it if missing).
pub fn encoder() -> SentenceEncoder {
    load(&MINILM_L6_V2)
}

/// Loads a known model from the cache (fetching, and converting, it if missing).
pub fn load(spec: &ModelSpec) -> SentenceEncoder {
    let dir = Fetcher::new()
        .resolve(None, spec)
        .unwrap_or_else(|e| panic!("{} is required by this test: {e}", spec.name))
        .dir;
    SentenceEncoder::load(&dir).unwrap_or_else(|e| panic!("{} loads: {e}", spec.name))
}

/// The MiniLM demo-catalog guide, built once per test binary.
pub fn guide() -> &'static Guide {
    static GUIDE: OnceLock<Guide> = OnceLock::new();
    GUIDE.get_or_init(|| demo_guide(encoder()))
}

/// A guide over the demo catalog, in memory, with the built-in scenes.
pub fn demo_guide(encoder: SentenceEncoder) -> Guide {
    let catalog =
        CatalogIndex::embed(demo_catalog().products, &PassageEmbedder(&encoder)).expect("catalog");
    Guide::in_memory(encoder, catalog, SceneConfig::builtin().expect("scenes")).expect("guide")
}

/// A negative/positive sentiment head trained on every 4th SST training sentence.
pub fn sentiment_head(encoder: &SentenceEncoder) -> ClassifierHead {
    let sst = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/sst/train_official.txt"
    ));
    let train: Vec<_> = read_sst(&sst)
        .expect("SST is required")
        .examples
        .into_iter()
        .step_by(4)
        .collect();
    let texts: Vec<&str> = train.iter().map(|e| e.text.as_str()).collect();
    let x = encoder.embed(&texts).expect("embed");
    let y: Vec<usize> = train
        .iter()
        .map(|e| usize::from(e.label == "positive"))
        .collect();
    ClassifierHead::train(
        &x,
        &y,
        vec!["negative".into(), "positive".into()],
        encoder.model_id(),
        TrainOptions::default(),
    )
    .expect("train")
}

/// The Hu & Liu review files (`product_reviews_1` and `_2`, READMEs left out), sorted.
pub fn hu_liu_files() -> Vec<PathBuf> {
    let root = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/hu-liu-reviews"
    ));
    let mut files: Vec<PathBuf> = ["product_reviews_1", "product_reviews_2"]
        .iter()
        .flat_map(|d| {
            std::fs::read_dir(root.join(d))
                .unwrap_or_else(|e| panic!("{} is required: {e}", root.display()))
        })
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "txt") && !p.ends_with("README.txt"))
        .collect();
    files.sort();
    files
}

/// The Hu & Liu review file whose name ends with `name`.
pub fn hu_liu_file(name: &str) -> PathBuf {
    hu_liu_files()
        .into_iter()
        .find(|f| f.ends_with(name))
        .unwrap_or_else(|| panic!("Hu & Liu review file {name} is required"))
}

/// A learned ranker fitted on 60 Home Depot training queries over their judged products,
/// its labels calibrated on 40 validation queries: small, but the real fitting path.
pub fn home_depot_ranker(encoder: &SentenceEncoder) -> LearnedRanker {
    let path = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/home-depot-dev"
    ));
    let all = read_judgements(&path.join("judgements.csv"), 1.0).expect("judgements");
    let first = |part: Split, n: usize| {
        first_queries(&split(&all, part).expect("split"), n).expect("sample")
    };
    let (train, validation) = (first(Split::Train, 60), first(Split::Validation, 40));
    let (in_train, in_validation) = (train.products(), validation.products());
    let products = import_path(&path.join("products.csv"), &ColumnMapping::default())
        .expect("products")
        .products
        .into_iter()
        .filter(|p| in_train.contains(p.id.as_str()) || in_validation.contains(p.id.as_str()))
        .collect();
    let catalog = CatalogIndex::embed(products, &PassageEmbedder(encoder)).expect("catalog");
    let settings = [FitSettings::default()];
    tune_ranker(
        &catalog,
        encoder,
        (&train, &validation),
        &settings,
        "sample",
        &mut |_| {},
    )
    .expect("tunes")
    .ranker
}

/// The demo-catalog guide ranking with [`home_depot_ranker`], built once per test binary.
pub fn learned_guide() -> &'static Guide {
    static GUIDE: OnceLock<Guide> = OnceLock::new();
    GUIDE.get_or_init(|| {
        let encoder = encoder();
        let ranker = home_depot_ranker(&encoder);
        let mut guide = demo_guide(encoder);
        guide
            .set_ranker(ranker)
            .expect("an in-memory guide keeps it");
        guide
    })
}
