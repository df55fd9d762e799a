//! The encoder as the catalog's embedder.

use daogou_catalog::{EmbedError, TextEmbedder, PASSAGE};
use daogou_model::SentenceEncoder;

/// Embeds catalog text with the encoder's passage prompt (`passage: ` for e5 models).
pub struct PassageEmbedder<'a>(pub &'a SentenceEncoder);

impl TextEmbedder for PassageEmbedder<'_> {
    fn model_id(&self) -> &str {
        self.0.model_id()
    }

    fn dim(&self) -> usize {
        self.0.dim()
    }

    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        Ok(self.0.embed_with_prompt(PASSAGE, texts)?)
    }
}
