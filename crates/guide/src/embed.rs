//! The seam through which an embedding model plugs into the guide.

/// The prompt kind of requests and other shopper text (`query: ` for e5 models).
pub const QUERY: &str = "query";
/// The prompt kind of catalog text (`passage: ` for e5 models).
pub const PASSAGE: &str = "passage";

/// Turns texts into L2-normalised vectors of a fixed dimension.
pub trait TextEmbedder {
    /// Stable identifier of the model (and its settings), recorded next to every stored
    /// vector so that switching models re-embeds the catalog.
    fn model_id(&self) -> &str;
    /// Length of every vector returned by [`embed`](Self::embed).
    fn dim(&self) -> usize;
    /// One L2-normalised vector per catalog text, in order (with the model's passage
    /// prompt, for models that have one).
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
        Ok(self.embed_with_prompt(PASSAGE, texts)?)
    }
}
