//! The seam through which an embedding model plugs into the guide.

/// Turns texts into L2-normalised vectors of a fixed dimension.
pub trait TextEmbedder {
    /// Stable identifier of the model (and its settings), recorded next to every stored
    /// vector so that switching models re-embeds the catalog.
    fn model_id(&self) -> &str;
    /// Length of every vector returned by [`embed`](Self::embed).
    fn dim(&self) -> usize;
    /// One L2-normalised vector per input text, in order.
    fn embed(&self, texts: &[&str]) -> anyhow::Result<Vec<Vec<f32>>>;
}

impl TextEmbedder for daogou_model::SentenceEncoder {
    fn model_id(&self) -> &str {
        self.model_id()
    }

    fn dim(&self) -> usize {
        daogou_model::SentenceEncoder::dim(self)
    }

    fn embed(&self, texts: &[&str]) -> anyhow::Result<Vec<Vec<f32>>> {
        Ok(daogou_model::SentenceEncoder::embed(self, texts)?)
    }
}
