//! A catalog read per request from PostgreSQL: the guide holds the request vocabulary
//! (brands and categories) and nothing else of the catalog. Each request retrieves its
//! candidates in SQL ([`PgStore::retrieve`]), fetches them, and is answered from an index
//! of those candidates scored with the whole catalog's keyword statistics, so the answer
//! is the one a guide holding the whole catalog gives (up to the HNSW index's recall).

use daogou_catalog::keyword::KeywordStats;
use daogou_catalog::{
    CatalogIndex, CatalogStore, HistoryEvent, PgStore, RequestVocabulary, Retrieval, TextEmbedder,
};
use daogou_model::SentenceEncoder;

use crate::answer::RecommendOptions;
use crate::embedder::PassageEmbedder;
use crate::error::Result;
use crate::recommend::Recommender;

/// Products embedded per round when a server fills in missing vectors on start.
const EMBED_ROUND: usize = 512;

/// A PostgreSQL catalog and its request vocabulary.
pub(crate) struct StoredCatalog {
    store: PgStore,
    vocabulary: RequestVocabulary,
    products: usize,
}

impl StoredCatalog {
    /// Embeds (and stores) the vectors of `encoder`'s model that products lack, then
    /// reads the vocabulary.
    pub(crate) fn open(
        mut store: PgStore,
        encoder: &SentenceEncoder,
        progress: &mut dyn FnMut(daogou_catalog::UpsertProgress),
    ) -> Result<Self> {
        let embedder = PassageEmbedder(encoder);
        loop {
            let missing = store.without_vector(embedder.model_id(), EMBED_ROUND)?;
            if missing.is_empty() {
                break;
            }
            // Stops when a round writes nothing (those products changed meanwhile, and
            // the server that changed them embeds them).
            if store
                .embed_missing(&missing, &embedder, progress)?
                .embedded
                .is_empty()
            {
                break;
            }
        }
        store.index_vectors(embedder.model_id(), embedder.dim())?;
        Ok(Self {
            vocabulary: store.vocabulary()?,
            products: store.len()?,
            store,
        })
    }

    /// Products in the catalog when it was opened.
    pub(crate) fn len(&self) -> usize {
        self.products
    }

    /// The store.
    pub(crate) fn store(&self) -> &PgStore {
        &self.store
    }

    /// The candidates of `request` as a catalog of their own, scored with the whole
    /// catalog's statistics.
    pub(crate) fn candidates(
        &self,
        request: &str,
        options: &RecommendOptions,
        encoder: &SentenceEncoder,
    ) -> Result<CatalogIndex> {
        let vocabulary_only = self.part(Vec::new(), KeywordStats::default(), encoder)?;
        let wanted = Recommender::new(&vocabulary_only, encoder, None)
            .retrieval_request(request, options)?;
        let retrieved = self.store.retrieve(&Retrieval {
            model_id: encoder.model_id(),
            embedding: &wanted.embedding,
            words: &wanted.words,
            limit: options.candidates,
            min_usd: wanted.min_usd,
            max_usd: wanted.max_usd,
            brands: &wanted.brands,
            exact: false,
        })?;
        self.part(retrieved.ids(), retrieved.stats, encoder)
    }

    /// The products a history names (those the catalog still has), for its profile.
    pub(crate) fn history_products(
        &self,
        history: &[HistoryEvent],
        encoder: &SentenceEncoder,
    ) -> Result<CatalogIndex> {
        let mut ids: Vec<String> = history
            .iter()
            .filter_map(|e| e.product_id.clone())
            .collect();
        ids.sort();
        ids.dedup();
        self.part(ids, KeywordStats::default(), encoder)
    }

    fn part(
        &self,
        ids: Vec<String>,
        stats: KeywordStats,
        encoder: &SentenceEncoder,
    ) -> Result<CatalogIndex> {
        let fetched = if ids.is_empty() {
            Default::default()
        } else {
            self.store.fetch(&ids, encoder.model_id())?
        };
        let mut part = CatalogIndex::part(
            fetched.products,
            fetched.vectors,
            fetched.dim,
            self.vocabulary.clone(),
            stats,
        )?;
        for (id, summary) in fetched.reviews {
            part.set_reviews(&id, summary)?;
        }
        Ok(part)
    }
}
