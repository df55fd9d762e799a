//! The crate's error types.

use std::path::PathBuf;

use thiserror::Error;

use crate::Method;

/// Everything that can go wrong while explaining a model.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ExplainError {
    /// The instance has no features, so there is nothing to attribute.
    #[error("the instance has no features to explain")]
    NoFeatures,

    /// The model reports zero targets.
    #[error("the model has no targets to explain")]
    NoTargets,

    /// The method cannot handle this many features.
    #[error("{method} supports at most {max} features, got {features}: {hint}")]
    TooManyFeatures {
        /// The method.
        method: Method,
        /// Number of features of the instance.
        features: usize,
        /// The method's cap.
        max: usize,
        /// What to use instead.
        hint: &'static str,
    },

    /// The evaluation budget is too small for the method to produce an answer.
    #[error("{method} needs a budget of at least {required} model evaluations for {features} features, got {budget}")]
    BudgetTooSmall {
        /// The method.
        method: Method,
        /// Number of features of the instance.
        features: usize,
        /// The budget given.
        budget: usize,
        /// The smallest budget that works.
        required: usize,
    },

    /// A configuration value is out of range.
    #[error("invalid parameter `{param}`: {reason}")]
    InvalidParameter {
        /// Parameter name.
        param: &'static str,
        /// Why it is invalid.
        reason: String,
    },

    /// An input (mask, vector, map) has the wrong shape or content.
    #[error("invalid input: {0}")]
    InvalidInput(String),

    /// The model returned NaN or an infinite score.
    #[error("model returned a non-finite score {value} for target {target} of mask #{mask_index} ({mask})")]
    NonFiniteScore {
        /// Index of the offending mask in the evaluated batch.
        mask_index: usize,
        /// Target index.
        target: usize,
        /// The value returned.
        value: f64,
        /// The mask as a 0/1 string (truncated for long masks).
        mask: String,
    },

    /// The model returned output of the wrong shape.
    #[error("model output has the wrong shape: {0}")]
    InvalidModelOutput(String),

    /// The model itself failed.
    #[error("model failed: {0}")]
    Model(String),

    /// A numerical step (linear solve) failed.
    #[error("numerical failure: {0}")]
    Numerical(String),
}

impl ExplainError {
    /// Wraps any model-side error message.
    pub fn model(err: impl std::fmt::Display) -> Self {
        ExplainError::Model(err.to_string())
    }

    pub(crate) fn invalid(param: &'static str, reason: impl Into<String>) -> Self {
        ExplainError::InvalidParameter {
            param,
            reason: reason.into(),
        }
    }
}

/// Errors of the data readers ([`crate::eraser`], [`crate::metrics::ranking::Qrels`]).
#[derive(Debug, Error)]
pub enum DataError {
    /// A file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// A line of a file is malformed or inconsistent.
    #[error("{}:{line}: {message}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

impl DataError {
    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        DataError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn parse(path: &std::path::Path, line: usize, message: impl Into<String>) -> Self {
        DataError::Parse {
            path: path.to_path_buf(),
            line,
            message: message.into(),
        }
    }
}
