//! A catalog ready to search: products, their embeddings, a BM25 index and the request
//! vocabulary (brands and categories), and the products' review summaries, all addressed
//! by product position.

use std::collections::HashMap;

use daogou_explain::dot;

use crate::backend::CatalogStore;
use crate::embed::TextEmbedder;
use crate::error::CatalogError;
use crate::keyword::{KeywordIndex, KeywordStats};
use crate::product::Product;
use crate::reviews::ReviewSummary;
use crate::store::UpsertProgress;
use crate::vocabulary::RequestVocabulary;

/// Products, embeddings and indexes of one catalog.
pub struct CatalogIndex {
    products: Vec<Product>,
    positions: HashMap<String, usize>,
    dim: usize,
    vectors: Vec<f32>,
    keyword: KeywordIndex,
    vocabulary: RequestVocabulary,
    reviews: HashMap<usize, ReviewSummary>,
}

impl CatalogIndex {
    /// Indexes `products` with their row-major `vectors` (`products.len() × dim`).
    pub fn new(
        products: Vec<Product>,
        vectors: Vec<f32>,
        dim: usize,
    ) -> Result<Self, CatalogError> {
        let keyword = KeywordIndex::build(&products)?;
        let vocabulary = RequestVocabulary::from_products(&products);
        Self::with_indexes(products, vectors, dim, keyword, vocabulary)
    }

    /// Indexes `products`, a part of a larger catalog (the candidates of one request),
    /// with that catalog's request `vocabulary` and keyword `stats`: requests are parsed
    /// and products scored as in an index of the whole catalog.
    pub fn part(
        products: Vec<Product>,
        vectors: Vec<f32>,
        dim: usize,
        vocabulary: RequestVocabulary,
        stats: KeywordStats,
    ) -> Result<Self, CatalogError> {
        let keyword = KeywordIndex::part_of(&products, stats)?;
        Self::with_indexes(products, vectors, dim, keyword, vocabulary)
    }

    fn with_indexes(
        products: Vec<Product>,
        vectors: Vec<f32>,
        dim: usize,
        keyword: KeywordIndex,
        vocabulary: RequestVocabulary,
    ) -> Result<Self, CatalogError> {
        if vectors.len() != products.len() * dim {
            return Err(CatalogError::VectorShape {
                values: vectors.len(),
                products: products.len(),
                dim,
            });
        }
        let mut positions = HashMap::with_capacity(products.len());
        for (i, p) in products.iter().enumerate() {
            if positions.insert(p.id.clone(), i).is_some() {
                return Err(CatalogError::DuplicateId(p.id.clone()));
            }
        }
        Ok(Self {
            products,
            positions,
            dim,
            vectors,
            keyword,
            vocabulary,
            reviews: HashMap::new(),
        })
    }

    /// Embeds `products` with `embedder` (no persistence) and indexes them.
    pub fn embed(
        products: Vec<Product>,
        embedder: &dyn TextEmbedder,
    ) -> Result<Self, CatalogError> {
        let texts: Vec<String> = products.iter().map(Product::embedding_text).collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let vectors = embedder.embed(&refs).map_err(CatalogError::Embed)?.concat();
        Self::new(products, vectors, embedder.dim())
    }

    /// Loads the products, this embedder's vectors and the review summaries from `store`,
    /// embedding (and storing) the vectors that are missing first. A product another
    /// server deletes during the load makes it start over once.
    pub fn from_store(
        store: &mut dyn CatalogStore,
        embedder: &dyn TextEmbedder,
        progress: &mut dyn FnMut(UpsertProgress),
    ) -> Result<Self, CatalogError> {
        match Self::load(store, embedder, progress) {
            Err(CatalogError::MissingEmbedding(_)) => Self::load(store, embedder, progress),
            loaded => loaded,
        }
    }

    fn load(
        store: &mut dyn CatalogStore,
        embedder: &dyn TextEmbedder,
        progress: &mut dyn FnMut(UpsertProgress),
    ) -> Result<Self, CatalogError> {
        let products = store.products()?;
        store.embed_missing(&products, embedder, progress)?;
        let table = store.embeddings(embedder.model_id())?;
        let by_id: HashMap<&str, usize> = table
            .ids
            .iter()
            .enumerate()
            .map(|(i, id)| (id.as_str(), i))
            .collect();
        let mut vectors = Vec::with_capacity(products.len() * table.dim);
        for p in &products {
            let row = by_id
                .get(p.id.as_str())
                .and_then(|&i| table.vector(i))
                .ok_or_else(|| CatalogError::MissingEmbedding(p.id.clone()))?;
            vectors.extend_from_slice(row);
        }
        let mut index = Self::new(products, vectors, table.dim)?;
        for (id, summary) in store.review_summaries()? {
            index.set_reviews(&id, summary)?;
        }
        Ok(index)
    }

    /// Attaches a review summary to the product `id` (replacing any earlier one); an id
    /// the catalog does not have is an error naming it.
    pub fn set_reviews(&mut self, id: &str, summary: ReviewSummary) -> Result<(), CatalogError> {
        let i = self
            .position(id)
            .ok_or_else(|| CatalogError::UnknownProduct(id.to_string()))?;
        self.reviews.insert(i, summary);
        Ok(())
    }

    /// The review summary of the product at position `i`, if it has one.
    pub fn reviews(&self, i: usize) -> Option<&ReviewSummary> {
        self.reviews.get(&i)
    }

    /// Number of products.
    pub fn len(&self) -> usize {
        self.products.len()
    }

    /// Whether the catalog is empty.
    pub fn is_empty(&self) -> bool {
        self.products.is_empty()
    }

    /// The product at position `i`.
    pub fn product(&self, i: usize) -> &Product {
        &self.products[i]
    }

    /// All products, by position.
    pub fn products(&self) -> &[Product] {
        &self.products
    }

    /// The position of a product id.
    pub fn position(&self, id: &str) -> Option<usize> {
        self.positions.get(id).copied()
    }

    /// The embedding of the product at position `i`.
    pub fn embedding(&self, i: usize) -> &[f32] {
        &self.vectors[i * self.dim..(i + 1) * self.dim]
    }

    /// Embedding width.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The BM25 index.
    pub fn keyword(&self) -> &KeywordIndex {
        &self.keyword
    }

    /// Brands and categories for request parsing.
    pub fn vocabulary(&self) -> &RequestVocabulary {
        &self.vocabulary
    }

    /// The `n` products most similar to `query` (a unit vector) among those `keep` accepts,
    /// best first, by exhaustive dot products.
    pub fn nearest(
        &self,
        query: &[f32],
        n: usize,
        keep: impl Fn(usize) -> bool,
    ) -> Vec<(usize, f64)> {
        let mut scored: Vec<(usize, f64)> = (0..self.len())
            .filter(|&i| keep(i))
            .map(|i| (i, dot(query, self.embedding(i))))
            .collect();
        let n = n.min(scored.len());
        if n == 0 {
            return Vec::new();
        }
        scored.select_nth_unstable_by(n - 1, |a, b| b.1.total_cmp(&a.1));
        scored.truncate(n);
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        scored
    }
}
