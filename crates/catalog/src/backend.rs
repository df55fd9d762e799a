//! The catalog's storage behind one trait, implemented twice: the SQLite file ([`Store`],
//! the embedded default) and PostgreSQL with pgvector ([`PgStore`], for catalogs shared by
//! many servers). [`CatalogLocation`] says which, and opens it.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use crate::embed::TextEmbedder;
use crate::import::{ImportReport, ParsedCatalog};
use crate::postgres::PgStore;
use crate::product::{sha256_hex, Product};
use crate::reviews::ReviewSummary;
use crate::store::{EmbeddingTable, Store, StoreError, UpsertProgress, UpsertReport};

/// Products, their embeddings and their review summaries, persisted.
pub trait CatalogStore {
    /// Number of products.
    fn len(&self) -> Result<usize, StoreError>;

    /// Whether the store has no products.
    fn is_empty(&self) -> Result<bool, StoreError> {
        Ok(self.len()? == 0)
    }

    /// All products in first-insertion order.
    fn products(&self) -> Result<Vec<Product>, StoreError>;

    /// One product by id.
    fn product(&self, id: &str) -> Result<Option<Product>, StoreError>;

    /// Every stored vector of `model_id`, in product order.
    fn embeddings(&self, model_id: &str) -> Result<EmbeddingTable, StoreError>;

    /// Inserts new products, updates changed ones and embeds those whose embedding text
    /// changed (or have no vector for this embedder), in batches that are each one
    /// transaction; `progress` is called after each committed batch.
    fn upsert(
        &mut self,
        products: &[Product],
        embedder: &dyn TextEmbedder,
        progress: &mut dyn FnMut(UpsertProgress),
    ) -> Result<UpsertReport, StoreError>;

    /// Embeds those of `products` (as just read from this store) whose stored vector is
    /// missing or was computed from another text, writing vectors only: a load never
    /// writes back a product that another server changed or deleted meanwhile.
    fn embed_missing(
        &mut self,
        products: &[Product],
        embedder: &dyn TextEmbedder,
        progress: &mut dyn FnMut(UpsertProgress),
    ) -> Result<UpsertReport, StoreError>;

    /// [`upsert`](Self::upsert) of a parsed source, reported as an [`ImportReport`].
    fn import(
        &mut self,
        parsed: ParsedCatalog,
        embedder: &dyn TextEmbedder,
        progress: &mut dyn FnMut(UpsertProgress),
    ) -> Result<ImportReport, StoreError> {
        let report = self.upsert(&parsed.products, embedder, progress)?;
        Ok(ImportReport {
            imported: report.inserted.len(),
            updated: report.updated.len(),
            unchanged: parsed.products.len() - report.inserted.len() - report.updated.len(),
            skipped: parsed.skipped,
            warnings: parsed.warnings,
        })
    }

    /// Deletes the products `ids` with their embeddings and review summaries; returns how
    /// many existed.
    fn delete(&mut self, ids: &[&str]) -> Result<usize, StoreError>;

    /// Stores the review summary of `product_id`, replacing any earlier one; an id the
    /// catalog does not have is [`StoreError::UnknownProduct`].
    fn put_review_summary(
        &mut self,
        product_id: &str,
        summary: &ReviewSummary,
    ) -> Result<(), StoreError>;

    /// Every stored review summary, by product id.
    fn review_summaries(&self) -> Result<HashMap<String, ReviewSummary>, StoreError>;

    /// A number that changes whenever any server writes a product, a vector or a review
    /// summary: what a server polls to notice that its loaded catalog is stale.
    fn version(&self) -> Result<i64, StoreError>;
}

/// Where a catalog is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogLocation {
    /// An SQLite file (created if needed; its directory must exist).
    Sqlite(PathBuf),
    /// A PostgreSQL connection string (several hosts allowed, see [`PgStore::connect`]).
    Postgres(String),
}

impl CatalogLocation {
    /// `postgres://…` or `postgresql://…` is PostgreSQL; anything else is an SQLite path.
    pub fn parse(location: &str) -> Self {
        if location.starts_with("postgres://") || location.starts_with("postgresql://") {
            Self::Postgres(location.to_string())
        } else {
            Self::Sqlite(PathBuf::from(location))
        }
    }

    /// Opens (and for SQLite creates, for PostgreSQL migrates) the store.
    pub fn open(&self) -> Result<Box<dyn CatalogStore + Send>, StoreError> {
        Ok(match self {
            Self::Sqlite(path) => Box::new(Store::open(path)?),
            Self::Postgres(dsn) => Box::new(PgStore::connect(dsn)?),
        })
    }
}

/// A product that needs writing.
pub(crate) struct Pending<'a> {
    pub(crate) product: &'a Product,
    pub(crate) content_hash: String,
    pub(crate) text: String,
    pub(crate) text_hash: String,
    pub(crate) needs_vector: bool,
    /// Whether the product row is written too (not when only vectors are filled in).
    pub(crate) write_product: bool,
}

/// What [`upsert`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Writes {
    /// Products and the vectors they need.
    ProductsAndVectors,
    /// Only the missing or stale vectors of products the store still has.
    VectorsOnly,
}

/// What a backend does for [`upsert`]: the rest is the same for every backend.
pub(crate) trait UpsertTarget {
    /// Fails if vectors of `model_id` are stored with another dimension.
    fn check_dim(&self, model_id: &str, dim: usize) -> Result<(), StoreError>;

    /// id → (content hash, text hash of this model's vector, if any).
    fn existing(
        &self,
        model_id: &str,
    ) -> Result<HashMap<String, (String, Option<String>)>, StoreError>;

    /// Called once every batch is written (for indexes best built after a bulk load).
    fn finish(&mut self, _model_id: &str, _dim: usize) -> Result<(), StoreError> {
        Ok(())
    }

    /// Writes one batch (products and the vectors of those that need one, in order) as
    /// one transaction.
    fn write_batch(
        &mut self,
        batch: &[Pending<'_>],
        vectors: &[Vec<f32>],
        model_id: &str,
        dim: usize,
    ) -> Result<(), StoreError>;
}

/// Products embedded and committed per transaction.
const BATCH: usize = 64;

/// [`CatalogStore::upsert`] (or, with [`Writes::VectorsOnly`],
/// [`CatalogStore::embed_missing`]) on any backend.
pub(crate) fn upsert(
    target: &mut dyn UpsertTarget,
    products: &[Product],
    embedder: &dyn TextEmbedder,
    progress: &mut dyn FnMut(UpsertProgress),
    writes: Writes,
) -> Result<UpsertReport, StoreError> {
    let write_product = writes == Writes::ProductsAndVectors;
    let mut ids = HashSet::new();
    if let Some(dup) = products.iter().find(|p| !ids.insert(p.id.as_str())) {
        return Err(StoreError::DuplicateId(dup.id.clone()));
    }
    let model_id = embedder.model_id().to_string();
    let dim = embedder.dim();
    target.check_dim(&model_id, dim)?;
    let existing = target.existing(&model_id)?;

    let mut report = UpsertReport::default();
    let mut work = Vec::new();
    for product in products {
        let content_hash = product.content_hash();
        let text = product.embedding_text();
        let text_hash = sha256_hex(text.as_bytes());
        let (changed, needs_vector) = match existing.get(&product.id) {
            // Deleted since it was read: not brought back.
            None if !write_product => continue,
            None => {
                report.inserted.push(product.id.clone());
                (true, true)
            }
            Some((_, old_text_hash)) if !write_product => {
                (false, old_text_hash.as_deref() != Some(text_hash.as_str()))
            }
            Some((old_hash, old_text_hash)) => {
                let changed = *old_hash != content_hash;
                if changed {
                    report.updated.push(product.id.clone());
                }
                (
                    changed,
                    old_text_hash.as_deref() != Some(text_hash.as_str()),
                )
            }
        };
        if !changed && !needs_vector {
            report.unchanged += 1;
            continue;
        }
        work.push(Pending {
            product,
            content_hash,
            text,
            text_hash,
            needs_vector,
            write_product,
        });
    }

    let to_write = work.len();
    let mut written = 0;
    for batch in work.chunks(BATCH) {
        // Each distinct text is embedded once (catalogs repeat titles across variants).
        let mut distinct: Vec<&str> = Vec::new();
        let mut slots: HashMap<&str, usize> = HashMap::new();
        let rows: Vec<usize> = batch
            .iter()
            .filter(|p| p.needs_vector)
            .map(|p| {
                *slots.entry(p.text.as_str()).or_insert_with(|| {
                    distinct.push(p.text.as_str());
                    distinct.len() - 1
                })
            })
            .collect();
        let vectors = if distinct.is_empty() {
            Vec::new()
        } else {
            let vectors = embedder.embed(&distinct).map_err(StoreError::Embedder)?;
            check_vectors(&model_id, dim, distinct.len(), &vectors)?;
            rows.iter().map(|&i| vectors[i].clone()).collect()
        };
        target.write_batch(batch, &vectors, &model_id, dim)?;
        report.embedded.extend(
            batch
                .iter()
                .filter(|p| p.needs_vector)
                .map(|p| p.product.id.clone()),
        );
        written += batch.len();
        progress(UpsertProgress { written, to_write });
    }
    target.finish(&model_id, dim)?;
    Ok(report)
}

fn check_vectors(
    model_id: &str,
    dim: usize,
    expected: usize,
    vectors: &[Vec<f32>],
) -> Result<(), StoreError> {
    let bad = |problem: String| StoreError::BadEmbedding {
        model_id: model_id.to_string(),
        problem,
    };
    if vectors.len() != expected {
        return Err(bad(format!(
            "{} vectors for {expected} texts",
            vectors.len()
        )));
    }
    if let Some(v) = vectors.iter().find(|v| v.len() != dim) {
        return Err(bad(format!(
            "a vector of length {} (dim is {dim})",
            v.len()
        )));
    }
    if vectors.iter().flatten().any(|x| !x.is_finite()) {
        return Err(bad("a non-finite value".into()));
    }
    Ok(())
}

/// A product decoded from its stored JSON.
pub(crate) fn decode_product(json: &str) -> Result<Product, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt(format!("product row: {e}")))
}

/// A review summary decoded from its stored parts.
pub(crate) fn decode_review_summary(
    id: &str,
    model_id: String,
    reviews: i64,
    json: &str,
) -> Result<ReviewSummary, StoreError> {
    let reviews = usize::try_from(reviews)
        .map_err(|_| StoreError::Corrupt(format!("negative review count for {id:?}")))?;
    let aspects = serde_json::from_str(json)
        .map_err(|e| StoreError::Corrupt(format!("review summary of {id:?}: {e}")))?;
    Ok(ReviewSummary {
        model_id,
        reviews,
        aspects,
    })
}
