//! Errors of the model crate: every one names the file, the field or the limit at fault.

use std::path::PathBuf;

/// Anything that can go wrong while finding, loading or running a model.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The model directory does not exist or is not a directory.
    #[error("model directory {0} does not exist (pass --model DIR with config.json, tokenizer.json and model.safetensors, or run `daogou model pull`)")]
    MissingDir(PathBuf),
    /// A file the model needs is missing.
    #[error("model file {0} is missing")]
    MissingFile(PathBuf),
    /// A file exists but cannot be parsed.
    #[error("model file {path} is malformed: {reason}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The config names an architecture this crate does not implement.
    #[error("unsupported model architecture {found:?} in {path} (supported: bert-family encoders such as BERT and MiniLM)")]
    UnsupportedArchitecture {
        /// The config file.
        path: PathBuf,
        /// The architecture it names.
        found: String,
    },
    /// A text is longer than the model accepts and the policy is to refuse.
    #[error("text has {tokens} tokens, more than the model's limit of {limit} (set the truncation policy to Truncate to cut it)")]
    TooLong {
        /// Tokens of the text.
        tokens: usize,
        /// The model's limit.
        limit: usize,
    },
    /// A call was made with arguments that do not fit together.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// Fetching a model failed.
    #[error("model fetch failed: {0}")]
    Fetch(String),
    /// A downloaded or cached file does not have the expected checksum.
    #[error("checksum mismatch for {path}: expected sha256 {expected}, found {found}")]
    Checksum {
        /// The file.
        path: PathBuf,
        /// The pinned hash.
        expected: String,
        /// The file's hash.
        found: String,
    },
    /// An error from the tokenizer library.
    #[error("tokenizer error: {0}")]
    Tokenizer(String),
    /// An error from the tensor library.
    #[error("tensor error: {0}")]
    Tensor(#[from] candle_core::Error),
    /// An I/O error, with the path it happened on.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

impl ModelError {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        ModelError::Io {
            path: path.into(),
            source,
        }
    }
}

/// Result type of this crate.
pub type Result<T> = std::result::Result<T, ModelError>;
