//! The catalog's error type.

use crate::embed::EmbedError;
use crate::import::ImportError;
use crate::keyword::KeywordError;
use crate::store::StoreError;

/// Why a catalog operation failed.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// The store failed (I/O, disk full, read-only, corrupt).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A catalog file could not be read.
    #[error(transparent)]
    Import(#[from] ImportError),
    /// The keyword index could not be built or searched.
    #[error("building the keyword index: {0}")]
    Keyword(#[from] KeywordError),
    /// The embedding model failed.
    #[error("embedding failed: {0}")]
    Embed(EmbedError),
    /// A product id the catalog does not have.
    #[error("product id {0:?} is not in the catalog")]
    UnknownProduct(String),
    /// The same product id twice in one catalog.
    #[error("product id {0:?} appears twice in the catalog")]
    DuplicateId(String),
    /// Vectors that do not fit the products.
    #[error("{values} vector values for {products} products of dimension {dim}")]
    VectorShape {
        /// Values given.
        values: usize,
        /// Products given.
        products: usize,
        /// Dimension.
        dim: usize,
    },
    /// A stored product without a vector of the current model.
    #[error("product {0:?} has no stored embedding")]
    MissingEmbedding(String),
}
