//! The encoder seen by the mask-based explainers: perturbed texts scored by any function of
//! their embedding.

use std::collections::HashMap;

use daogou_explain::{dot, ExplainError, Mask, MaskedModel, MaskingStrategy, TextFeatures};
use daogou_model::SentenceEncoder;

/// Builds the perturbed text of a coalition of features.
pub type Perturb<'a> = dyn Fn(&Mask) -> String + Sync + 'a;

/// Scores one coalition, given the coalition and the embedding of its perturbed text: one
/// score per target.
pub type Score<'a> = dyn Fn(&Mask, &[f32]) -> Vec<f64> + Sync + 'a;

/// A text model for the mask-based explainers: each coalition becomes a text, the text is
/// embedded, and `score` turns (coalition, embedding) into one score per target. One set of
/// masked texts serves every target (e.g. all recommended products at once).
pub struct TextScoreModel<'a> {
    encoder: &'a SentenceEncoder,
    num_features: usize,
    num_targets: usize,
    perturb: Box<Perturb<'a>>,
    score: Box<Score<'a>>,
    prompt: Option<&'a str>,
}

impl<'a> TextScoreModel<'a> {
    /// A model over `num_features` features with `num_targets` scores per coalition.
    pub fn new(
        encoder: &'a SentenceEncoder,
        num_features: usize,
        num_targets: usize,
        perturb: Box<Perturb<'a>>,
        score: Box<Score<'a>>,
    ) -> Self {
        Self {
            encoder,
            num_features,
            num_targets,
            perturb,
            score,
            prompt: None,
        }
    }

    /// A model over the words of `features`: a coalition is the text with the absent
    /// words removed as `masking` says.
    pub fn over_words(
        encoder: &'a SentenceEncoder,
        features: &TextFeatures,
        masking: &MaskingStrategy,
        num_targets: usize,
        score: Box<Score<'a>>,
    ) -> Self {
        let num_features = features.num_features();
        let (features, masking) = (features.clone(), masking.clone());
        let perturb = move |mask: &Mask| features.render(mask, &masking).unwrap_or_default();
        Self::new(encoder, num_features, num_targets, Box::new(perturb), score)
    }

    /// Embeds the perturbed texts as texts of a kind (`query`, `passage`): prefixed with the
    /// model's prompt for it, if any (see [`SentenceEncoder::embed_with_prompt`]). The
    /// prompt is never a feature.
    pub fn with_prompt(mut self, kind: &'a str) -> Self {
        self.prompt = Some(kind);
        self
    }

    /// Cosine similarity of the perturbed text to each of `targets` (unit vectors).
    pub fn similarity(
        encoder: &'a SentenceEncoder,
        num_features: usize,
        perturb: Box<Perturb<'a>>,
        targets: Vec<Vec<f32>>,
    ) -> Self {
        let num_targets = targets.len();
        let score = move |_: &Mask, e: &[f32]| targets.iter().map(|t| dot(e, t)).collect();
        Self::new(encoder, num_features, num_targets, perturb, Box::new(score))
    }
}

impl MaskedModel for TextScoreModel<'_> {
    fn num_features(&self) -> usize {
        self.num_features
    }

    fn num_targets(&self) -> usize {
        self.num_targets
    }

    fn evaluate(&self, masks: &[Mask]) -> std::result::Result<Vec<Vec<f64>>, ExplainError> {
        // Different coalitions can yield the same text (repeated words): embed each once.
        let texts: Vec<String> = masks.iter().map(|m| (self.perturb)(m)).collect();
        let mut index: HashMap<&str, usize> = HashMap::new();
        let mut unique = Vec::new();
        for text in &texts {
            index.entry(text.as_str()).or_insert_with(|| {
                unique.push(text.as_str());
                unique.len() - 1
            });
        }
        let embeddings = self
            .encoder
            .embed_cached(self.prompt, &unique)
            .map_err(ExplainError::model)?;
        Ok(masks
            .iter()
            .zip(&texts)
            .map(|(mask, text)| (self.score)(mask, &embeddings[index[text.as_str()]]))
            .collect())
    }
}
