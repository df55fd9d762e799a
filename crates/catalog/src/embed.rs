//! The seam through which an embedding model plugs into the catalog.

/// The prompt kind of requests and other shopper text (`query: ` for e5 models).
pub const QUERY: &str = "query";
/// The prompt kind of catalog text (`passage: ` for e5 models).
pub const PASSAGE: &str = "passage";

/// Why an embedder could not embed: the model's own error, boxed.
pub type EmbedError = Box<dyn std::error::Error + Send + Sync>;

/// Turns texts into L2-normalised vectors of a fixed dimension.
pub trait TextEmbedder {
    /// Stable identifier of the model (and its settings), recorded next to every stored
    /// vector so that switching models re-embeds the catalog.
    fn model_id(&self) -> &str;
    /// Length of every vector returned by [`embed`](Self::embed).
    fn dim(&self) -> usize;
    /// One L2-normalised vector per catalog text, in order (with the model's passage
    /// prompt, for models that have one).
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError>;
}
