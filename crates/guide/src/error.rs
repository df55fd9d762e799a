//! The guide's error type: what the client can fix, and what it cannot.

use daogou_attribute::AttributeError;
use daogou_catalog::CatalogError;
use daogou_explain::ExplainError;
use daogou_model::ModelError;

/// Why a guide operation failed. [`GuideError::is_client_error`] tells a caller (the server,
/// the CLI) whether the input was at fault.
#[derive(Debug, thiserror::Error)]
pub enum GuideError {
    /// The request or its options cannot be answered as given (empty, too long, out of range).
    #[error("{0}")]
    InvalidRequest(String),
    /// The catalog has no products yet.
    #[error("the catalog is empty: import products first (daogou catalog import FILE)")]
    EmptyCatalog,
    /// A scenes file, review set or other configuration that cannot be used.
    #[error("{0}")]
    InvalidConfig(String),
    /// The catalog failed (store, import, index).
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// An explanation failed.
    #[error(transparent)]
    Attribute(#[from] AttributeError),
    /// An explanation method failed.
    #[error(transparent)]
    Explain(#[from] ExplainError),
    /// The encoder failed.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// Anything else that went wrong inside, with its context.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl GuideError {
    /// Whether the client's input caused the error (so a 4xx, not a 5xx, answers it).
    pub fn is_client_error(&self) -> bool {
        match self {
            GuideError::InvalidRequest(_)
            | GuideError::EmptyCatalog
            | GuideError::InvalidConfig(_) => true,
            GuideError::Catalog(e) => matches!(
                e,
                CatalogError::UnknownProduct(_)
                    | CatalogError::DuplicateId(_)
                    | CatalogError::Import(_)
            ),
            GuideError::Attribute(
                AttributeError::NoWords | AttributeError::HeadMismatch { .. },
            ) => true,
            GuideError::Attribute(AttributeError::Explain(e)) | GuideError::Explain(e) => {
                explain_client_error(e)
            }
            GuideError::Model(ModelError::TooLong { .. }) => true,
            _ => false,
        }
    }
}

/// Whether an explanation failed because of what the client asked for (a budget too small,
/// too many words for an exact method, a bad parameter).
fn explain_client_error(e: &ExplainError) -> bool {
    matches!(
        e,
        ExplainError::BudgetTooSmall { .. }
            | ExplainError::TooManyFeatures { .. }
            | ExplainError::InvalidParameter { .. }
            | ExplainError::NoFeatures
    )
}

impl From<daogou_catalog::StoreError> for GuideError {
    fn from(e: daogou_catalog::StoreError) -> Self {
        GuideError::Catalog(e.into())
    }
}

/// Result type of the guide.
pub type Result<T, E = GuideError> = std::result::Result<T, E>;
