//! The model every task explains: the words of a text are the features, a coalition is
//! rendered as a perturbed text, and the score is a function of that text's embedding.
//! Embeddings are cached by text for one instance, so the metrics reuse what the
//! methods computed.

use std::collections::HashMap;
use std::sync::Mutex;

use daogou_attribute::TextTarget;
use daogou_explain::{ExplainError, Mask, MaskedModel, TextFeatures};
use daogou_model::SentenceEncoder;

use super::settings::Masking;

/// Embeddings of the texts of one instance, by text.
#[derive(Default)]
pub struct EmbeddingCache {
    embeddings: Mutex<HashMap<String, Vec<f32>>>,
}

impl EmbeddingCache {
    /// Embeds `texts` (each distinct text once). With `reuse`, cached texts are not
    /// embedded again; without, every text is embedded (so a method's wall time is its
    /// own). Either way the results are cached.
    pub fn embed(
        &self,
        encoder: &SentenceEncoder,
        texts: &[String],
        reuse: bool,
    ) -> Result<Vec<Vec<f32>>, ExplainError> {
        let mut cache = self
            .embeddings
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut missing: Vec<&str> = texts
            .iter()
            .map(String::as_str)
            .filter(|t| !(reuse && cache.contains_key(*t)))
            .collect();
        missing.sort_unstable();
        missing.dedup();
        if !missing.is_empty() {
            let embedded = encoder.embed(&missing).map_err(ExplainError::model)?;
            for (text, embedding) in missing.into_iter().zip(embedded) {
                cache.insert(text.to_string(), embedding);
            }
        }
        texts
            .iter()
            .map(|t| {
                cache
                    .get(t)
                    .cloned()
                    .ok_or_else(|| ExplainError::InvalidInput(format!("no embedding for {t:?}")))
            })
            .collect()
    }
}

/// One text, what is explained about it, and how words are removed.
pub struct TextInstance<'a> {
    /// The encoder.
    pub encoder: &'a SentenceEncoder,
    /// The words of the text.
    pub features: TextFeatures,
    /// The explained score.
    pub target: TextTarget<'a>,
    /// The removal operator.
    pub masking: Masking,
    /// Embeddings of the perturbed texts seen so far.
    pub cache: EmbeddingCache,
}

impl<'a> TextInstance<'a> {
    /// An instance with an empty cache.
    pub fn new(
        encoder: &'a SentenceEncoder,
        text: &str,
        target: TextTarget<'a>,
        masking: Masking,
    ) -> Self {
        Self {
            encoder,
            features: TextFeatures::new(text),
            target,
            masking,
            cache: EmbeddingCache::default(),
        }
    }

    /// The mask-based model; `reuse` as in [`EmbeddingCache::embed`].
    pub fn model(&self, reuse: bool) -> WordModel<'_, 'a> {
        WordModel {
            instance: self,
            reuse,
        }
    }

    /// The embedding of the whole text.
    pub fn embedding(&self) -> Result<Vec<f32>, ExplainError> {
        let text = self.features.text().to_string();
        self.cache
            .embed(self.encoder, &[text], true)?
            .pop()
            .ok_or_else(|| ExplainError::InvalidInput("no embedding".into()))
    }
}

/// A [`TextInstance`] seen by the mask-based methods: one target.
pub struct WordModel<'i, 'a> {
    instance: &'i TextInstance<'a>,
    reuse: bool,
}

impl MaskedModel for WordModel<'_, '_> {
    fn num_features(&self) -> usize {
        self.instance.features.num_features()
    }

    fn num_targets(&self) -> usize {
        1
    }

    fn evaluate(&self, masks: &[Mask]) -> Result<Vec<Vec<f64>>, ExplainError> {
        let strategy = self.instance.masking.strategy();
        let texts = masks
            .iter()
            .map(|m| self.instance.features.render(m, &strategy))
            .collect::<Result<Vec<_>, _>>()?;
        let embeddings = self
            .instance
            .cache
            .embed(self.instance.encoder, &texts, self.reuse)?;
        Ok(embeddings
            .iter()
            .map(|e| vec![self.instance.target.score(e)])
            .collect())
    }
}
