//! The bridge's error type.

use daogou_explain::ExplainError;
use daogou_model::ModelError;

use daogou_explain::Method;

/// Why a text explanation failed.
#[derive(Debug, thiserror::Error)]
pub enum AttributeError {
    /// The explanation method failed (bad input, a model error during evaluation).
    #[error(transparent)]
    Explain(#[from] ExplainError),
    /// The encoder failed.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// The method reads the encoder itself, but no text was given.
    #[error("{} needs the explained text and its encoder", .0.name())]
    NeedsText(Method),
    /// The text to explain has no words.
    #[error("the text to explain has no words")]
    NoWords,
    /// A classification head trained on another model.
    #[error("the head was trained on {head}, but the loaded model is {model}")]
    HeadMismatch {
        /// The head's model.
        head: String,
        /// The loaded model.
        model: String,
    },
}
