//! The guide as an application: one loaded model, one catalog store, the scenes, and the
//! operations the CLI and the HTTP server offer on top of them.

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::error::{GuideError, Result};
use daogou_model::fetch::{default_spec, Fetcher};
use daogou_model::SentenceEncoder;
use serde::Serialize;

use daogou_attribute::{explain_pair, PairExplanation, TextExplainOptions};
use daogou_catalog::reviews::ReviewSummary;
use daogou_catalog::{
    demo_catalog, import_path, CatalogError, CatalogIndex, CatalogLocation, CatalogStore,
    ColumnMapping, HistoryEvent, ImportReport, PgStore, UpsertProgress,
};

use crate::answer::{RecommendOptions, Recommendations};
use crate::embedder::PassageEmbedder;
use crate::profile::{Profile, ProfileOptions};
use crate::rank::{LearnedRanker, RANKER_FILE};
use crate::recommend::Recommender;
use crate::scene::{SceneConfig, SceneRecognizer, SceneResult};
use crate::stored::StoredCatalog;

/// Embeddings of explanation coalitions kept across requests (about 1.5 KB each at 384
/// dimensions, so 24 MiB at most): the empty request and single words recur across
/// shoppers' requests.
pub const EMBEDDING_CACHE_ENTRIES: usize = 16_384;

/// Where the guide keeps its data and which model and scenes it uses.
#[derive(Debug, Clone, Default)]
pub struct GuideConfig {
    /// Model directory; default: the cache, fetched on first use.
    pub model_dir: Option<PathBuf>,
    /// Directory of the catalog database; default [`default_data_dir`].
    pub data_dir: Option<PathBuf>,
    /// Scenes file; default: the built-in scenes.
    pub scenes_file: Option<PathBuf>,
    /// Where the catalog is stored instead of the data directory's SQLite file: a
    /// PostgreSQL connection string (`postgres://…`, several hosts allowed).
    pub catalog: Option<String>,
    /// Leave a new, empty store empty instead of importing the demo catalog into it (for
    /// catalogs that must hold only their own products, as evaluations need).
    pub without_demo: bool,
    /// With a PostgreSQL catalog: read each request's candidates from the database
    /// instead of loading the catalog (what servers sharing one catalog do).
    pub per_request: bool,
}

/// `$DAOGOU_DATA_DIR`, else the platform's data directory + `daogou`, else `.daogou-data`.
pub fn default_data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("DAOGOU_DATA_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    dirs::data_dir()
        .map(|d| d.join("daogou"))
        .unwrap_or_else(|| PathBuf::from(".daogou-data"))
}

/// Name of the catalog database inside the data directory.
pub const CATALOG_DB: &str = "catalog.sqlite";

/// How a guide holds its catalog.
enum Catalog {
    /// Loaded whole: products, vectors and indexes in memory.
    Loaded(Box<CatalogIndex>),
    /// In PostgreSQL, read per request.
    PerRequest(StoredCatalog),
}

/// A loaded guide.
pub struct Guide {
    encoder: SentenceEncoder,
    catalog: Catalog,
    scenes: SceneRecognizer,
    /// Where the catalog is stored; `None` for an in-memory guide.
    store: Option<CatalogLocation>,
    /// Where the ranker file lives; `None` for an in-memory guide.
    data_dir: Option<PathBuf>,
    /// The store's [`CatalogStore::version`] when the catalog was loaded.
    catalog_version: Option<i64>,
    ranker: Option<LearnedRanker>,
    ranker_source: String,
}

/// The ranker to rank with and where it came from, in words: the data directory's ranker
/// file when there is one and it was fitted on the loaded encoder's similarities, else
/// the weighted ranker (and the words say why).
pub fn load_ranker(
    data_dir: &Path,
    encoder: &SentenceEncoder,
) -> Result<(Option<LearnedRanker>, String)> {
    let path = data_dir.join(RANKER_FILE);
    if !path.is_file() {
        return Ok((
            None,
            format!("weighted (no {} yet: daogou tune fits one)", path.display()),
        ));
    }
    let ranker = LearnedRanker::load(&path)?;
    let fitted_with = ranker.model().to_string();
    Ok(match ranker.for_encoder(encoder) {
        Some(ranker) => (Some(ranker), format!("learned ({})", path.display())),
        None => (
            None,
            format!(
                "weighted ({} was fitted with {fitted_with}, not {}; run daogou tune)",
                path.display(),
                encoder.model_id()
            ),
        ),
    })
}

/// What happened while opening a guide, for progress displays.
pub enum OpenEvent {
    /// The demo catalog is being imported into an empty store.
    ImportingDemo,
    /// Embedding progress.
    Embedding(UpsertProgress),
}

impl Guide {
    /// Loads the model, opens (creating if needed) the catalog store, imports the demo
    /// catalog into an empty store, and embeds whatever is not embedded yet.
    pub fn open(config: &GuideConfig, progress: &mut dyn FnMut(OpenEvent)) -> Result<Self> {
        let resolved = Fetcher::new()
            .resolve(config.model_dir.as_deref(), default_spec()?)
            .context("finding the model")?;
        let encoder = SentenceEncoder::load(&resolved.dir)
            .with_context(|| format!("loading the model from {}", resolved.dir.display()))?
            .with_cache(EMBEDDING_CACHE_ENTRIES);
        let data_dir = config.data_dir.clone().unwrap_or_else(default_data_dir);
        std::fs::create_dir_all(&data_dir)
            .with_context(|| format!("creating the data directory {}", data_dir.display()))?;
        let location = match &config.catalog {
            Some(location) => CatalogLocation::parse(location),
            None => CatalogLocation::Sqlite(data_dir.join(CATALOG_DB)),
        };
        let per_request = match &location {
            CatalogLocation::Postgres(dsn) if config.per_request => Some(PgStore::connect(dsn)?),
            _ => None,
        };
        let mut store: Box<dyn CatalogStore + Send> = match &per_request {
            Some(pg) => Box::new(pg.clone()),
            None => location.open()?,
        };
        if store.is_empty()? && !config.without_demo {
            progress(OpenEvent::ImportingDemo);
            store.import(demo_catalog(), &PassageEmbedder(&encoder), &mut |p| {
                progress(OpenEvent::Embedding(p))
            })?;
        }
        // Read first: a write during the load then makes the next poll reload once more.
        let catalog_version = Some(store.version()?);
        let catalog = match per_request {
            Some(pg) => Catalog::PerRequest(StoredCatalog::open(pg, &encoder, &mut |p| {
                progress(OpenEvent::Embedding(p))
            })?),
            None => Catalog::Loaded(Box::new(CatalogIndex::from_store(
                store.as_mut(),
                &PassageEmbedder(&encoder),
                &mut |p| progress(OpenEvent::Embedding(p)),
            )?)),
        };
        let scene_config = match &config.scenes_file {
            Some(path) => SceneConfig::from_file(path)?,
            None => SceneConfig::builtin()?,
        };
        let scenes = SceneRecognizer::new(scene_config, &encoder)?;
        let (ranker, ranker_source) = load_ranker(&data_dir, &encoder)?;
        Ok(Self {
            encoder,
            catalog,
            scenes,
            store: Some(location),
            data_dir: Some(data_dir),
            catalog_version,
            ranker,
            ranker_source,
        })
    }

    /// A guide over an in-memory catalog (no store), for tests and benchmarks.
    pub fn in_memory(
        encoder: SentenceEncoder,
        catalog: CatalogIndex,
        scenes: SceneConfig,
    ) -> Result<Self> {
        let scenes = SceneRecognizer::new(scenes, &encoder)?;
        Ok(Self {
            encoder,
            catalog: Catalog::Loaded(Box::new(catalog)),
            scenes,
            store: None,
            data_dir: None,
            catalog_version: None,
            ranker: None,
            ranker_source: "weighted".to_string(),
        })
    }

    /// A guide that reads its candidates per request from `store` (as `serve` does with a
    /// PostgreSQL catalog), with no data directory; vectors the store lacks for `encoder`
    /// are embedded and stored first.
    pub fn per_request(
        encoder: SentenceEncoder,
        store: PgStore,
        scenes: SceneConfig,
    ) -> Result<Self> {
        let scenes = SceneRecognizer::new(scenes, &encoder)?;
        let catalog_version = Some(store.version()?);
        let stored = StoredCatalog::open(store, &encoder, &mut |_| {})?;
        Ok(Self {
            encoder,
            catalog: Catalog::PerRequest(stored),
            scenes,
            store: None,
            data_dir: None,
            catalog_version,
            ranker: None,
            ranker_source: "weighted".to_string(),
        })
    }

    /// The learned ranker, if the guide ranks with one.
    pub fn ranker(&self) -> Option<&LearnedRanker> {
        self.ranker.as_ref()
    }

    /// Ranks with `ranker` from now on, and writes it to
    /// the data directory's ranker file so that later runs use it too (an in-memory guide
    /// keeps it in memory only).
    pub fn set_ranker(&mut self, ranker: LearnedRanker) -> Result<()> {
        match &self.data_dir {
            Some(dir) => {
                let path = dir.join(RANKER_FILE);
                ranker.save(&path)?;
                self.ranker_source = format!("learned ({})", path.display());
            }
            None => self.ranker_source = "learned (in memory)".to_string(),
        }
        self.ranker = Some(ranker);
        Ok(())
    }

    /// The loaded encoder.
    pub fn encoder(&self) -> &SentenceEncoder {
        &self.encoder
    }

    /// The catalog, when the guide holds it (not when it reads a PostgreSQL catalog per
    /// request).
    pub fn catalog(&self) -> Result<&CatalogIndex> {
        match &self.catalog {
            Catalog::Loaded(index) => Ok(index),
            Catalog::PerRequest(_) => Err(GuideError::InvalidRequest(
                "this guide reads its PostgreSQL catalog per request and does not hold it".into(),
            )),
        }
    }

    /// Whether the guide reads its catalog per request (and so needs the database to
    /// answer).
    pub fn reads_per_request(&self) -> bool {
        matches!(self.catalog, Catalog::PerRequest(_))
    }

    /// Products in the catalog (for a catalog read per request, when the guide opened
    /// it).
    pub fn products(&self) -> usize {
        match &self.catalog {
            Catalog::Loaded(index) => index.len(),
            Catalog::PerRequest(stored) => stored.len(),
        }
    }

    /// Where the catalog is stored; `None` for an in-memory guide.
    pub fn catalog_location(&self) -> Option<&CatalogLocation> {
        self.store.as_ref()
    }

    /// The store's version when the catalog was loaded: a different
    /// [`CatalogStore::version`] now means another server changed it since.
    pub fn catalog_version(&self) -> Option<i64> {
        self.catalog_version
    }

    /// The scene recogniser.
    pub fn scenes(&self) -> &SceneRecognizer {
        &self.scenes
    }

    /// Recommends products, explained.
    pub fn recommend(
        &self,
        request: &str,
        history: Option<&[HistoryEvent]>,
        options: &RecommendOptions,
    ) -> Result<Recommendations> {
        let profile = history.map(|h| self.profile(h)).transpose()?;
        let candidates;
        let catalog = match &self.catalog {
            Catalog::Loaded(index) => index,
            Catalog::PerRequest(stored) => {
                candidates = stored.candidates(request, options, &self.encoder)?;
                &candidates
            }
        };
        Recommender::new(catalog, &self.encoder, Some(&self.scenes))
            .with_ranker(self.ranker.as_ref())
            .recommend(request, profile.as_ref(), options)
    }

    /// Builds a shopper profile from a history.
    pub fn profile(&self, history: &[HistoryEvent]) -> Result<Profile> {
        let products;
        let catalog = match &self.catalog {
            Catalog::Loaded(index) => index,
            Catalog::PerRequest(stored) => {
                products = stored.history_products(history, &self.encoder)?;
                &products
            }
        };
        Profile::build(history, catalog, &self.encoder, ProfileOptions::default())
    }

    /// Recognises the scene of a request, with word attributions when `explain` is set.
    pub fn scene(&self, request: &str, explain: bool, seed: u64) -> Result<SceneResult> {
        let request = request.trim();
        if request.is_empty() {
            return Err(GuideError::InvalidRequest("the request is empty".into()));
        }
        self.scenes.recognize(&self.encoder, request, explain, seed)
    }

    /// Explains the similarity between a text and a second text.
    pub fn explain_pair(
        &self,
        text: &str,
        pair: &str,
        options: &TextExplainOptions,
    ) -> Result<PairExplanation> {
        Ok(explain_pair(&self.encoder, text, pair, options)?)
    }

    /// Imports a CSV or JSON Lines file into the store and reloads the catalog.
    pub fn import(
        &mut self,
        path: &Path,
        mapping: &ColumnMapping,
        progress: &mut dyn FnMut(UpsertProgress),
    ) -> Result<ImportReport> {
        let parsed = import_path(path, mapping).map_err(CatalogError::from)?;
        let location = self.store.as_ref().ok_or_else(|| {
            GuideError::InvalidRequest("an in-memory guide has no store to import into".into())
        })?;
        let mut store = location.open()?;
        let embedder = PassageEmbedder(&self.encoder);
        let report = store.import(parsed, &embedder, progress)?;
        self.catalog_version = Some(store.version()?);
        self.catalog = match &self.catalog {
            Catalog::Loaded(_) => Catalog::Loaded(Box::new(CatalogIndex::from_store(
                store.as_mut(),
                &embedder,
                progress,
            )?)),
            Catalog::PerRequest(stored) => Catalog::PerRequest(StoredCatalog::open(
                stored.store().clone(),
                &self.encoder,
                progress,
            )?),
        };
        Ok(report)
    }

    /// Attaches a review summary to product `product_id`: stores it in the catalog
    /// database (an in-memory guide keeps it in memory only) and shows it from the next
    /// recommendation on. An id the catalog does not have is an error naming it.
    pub fn attach_reviews(&mut self, product_id: &str, summary: ReviewSummary) -> Result<()> {
        if let Some(location) = &self.store {
            location.open()?.put_review_summary(product_id, &summary)?;
        }
        match &mut self.catalog {
            Catalog::Loaded(index) => Ok(index.set_reviews(product_id, summary)?),
            // Read from the store with each request.
            Catalog::PerRequest(_) => Ok(()),
        }
    }
}

/// A one-line summary of a loaded guide.
#[derive(Debug, Clone, Serialize)]
pub struct GuideSummary {
    /// Products in the catalog.
    pub products: usize,
    /// Scenes known.
    pub scenes: usize,
    /// Model directory.
    pub model: String,
    /// The ranker and where it came from.
    pub ranker: String,
}

impl Guide {
    /// What is loaded.
    pub fn summary(&self) -> GuideSummary {
        GuideSummary {
            products: self.products(),
            scenes: self.scenes.config().scenes.len(),
            model: self.encoder.dir().display().to_string(),
            ranker: self.ranker_source.clone(),
        }
    }
}
