//! The encoder seen by the explain crate: perturbed texts scored by any function of their
//! embedding (mask-based methods), and the embedding path with gradients (Integrated
//! Gradients, gradient × input).

use std::collections::HashMap;

use candle_core::{Tensor, Var};
use daogou_explain::{
    DifferentiableModel, ExplainError, FeatureGroups, Mask, MaskedModel, TextFeatures, TokenWordMap,
};

use crate::encoder::SentenceEncoder;
use crate::error::{ModelError, Result};
use crate::tokenize::Encoding;

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
        }
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
        let embeddings = self.encoder.embed(&unique).map_err(ExplainError::model)?;
        Ok(masks
            .iter()
            .zip(&texts)
            .map(|(mask, text)| (self.score)(mask, &embeddings[index[text.as_str()]]))
            .collect())
    }
}

/// Dot product (the cosine similarity of unit vectors), accumulated in f64.
pub fn dot(a: &[f32], b: &[f32]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| f64::from(*x) * f64::from(*y))
        .sum()
}

/// What the word embeddings of a text are moved towards by Integrated Gradients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmbeddingBaseline {
    /// Every content token's embedding becomes the `[PAD]` embedding; `[CLS]`/`[SEP]` stay.
    #[default]
    Pad,
    /// Content tokens become the `[MASK]` embedding.
    Mask,
    /// Content tokens become zero vectors.
    Zeros,
}

/// Cosine similarity between the sentence embedding computed from a text's word
/// embeddings and a fixed target, with gradients with respect to those word embeddings.
pub struct EmbeddingSimilarity<'a> {
    encoder: &'a SentenceEncoder,
    encoding: Encoding,
    target: Tensor,
}

impl<'a> EmbeddingSimilarity<'a> {
    /// Prepares `text` (tokenised once) against `target` (a unit vector).
    pub fn new(encoder: &'a SentenceEncoder, text: &str, target: &[f32]) -> Result<Self> {
        if target.len() != encoder.dim() {
            return Err(ModelError::InvalidInput(format!(
                "target has {} dimensions, the encoder {}",
                target.len(),
                encoder.dim()
            )));
        }
        let encoding = encoder.tokenizer().encode(text)?;
        let target = Tensor::new(target, encoder.model().device())?.unsqueeze(0)?;
        Ok(Self {
            encoder,
            encoding,
            target,
        })
    }

    /// The tokenised text.
    pub fn encoding(&self) -> &Encoding {
        &self.encoding
    }

    /// The text's word embeddings, flattened `[seq * hidden]`: the IG input.
    pub fn input(&self) -> Result<Vec<f32>> {
        let batch = self
            .encoder
            .tokenizer()
            .batch(&[&self.encoding], self.encoder.model().device())?;
        let embeds = self.encoder.model().word_embeddings(&batch.input_ids)?;
        Ok(embeds.flatten_all()?.to_vec1::<f32>()?)
    }

    /// The baseline point: special tokens keep their embeddings, content tokens are
    /// replaced as `kind` says.
    pub fn baseline(&self, kind: EmbeddingBaseline) -> Result<Vec<f32>> {
        let hidden = self.encoder.dim();
        let mut point = self.input()?;
        let replacement = match kind {
            EmbeddingBaseline::Zeros => vec![0.0; hidden],
            EmbeddingBaseline::Pad | EmbeddingBaseline::Mask => {
                let token = if kind == EmbeddingBaseline::Pad {
                    "[PAD]"
                } else {
                    "[MASK]"
                };
                let id = self.encoder.tokenizer().token_id(token).ok_or_else(|| {
                    ModelError::InvalidInput(format!("the vocabulary has no {token} token"))
                })?;
                let ids = Tensor::new(&[[id]], self.encoder.model().device())?;
                self.encoder
                    .model()
                    .word_embeddings(&ids)?
                    .flatten_all()?
                    .to_vec1::<f32>()?
            }
        };
        for (t, special) in self.encoding.special.iter().enumerate() {
            if !special {
                point[t * hidden..(t + 1) * hidden].copy_from_slice(&replacement);
            }
        }
        Ok(point)
    }

    /// Groups the input dimensions by the words of `features` (whitespace words of the same
    /// text), so attributions come out per word.
    pub fn word_groups(
        &self,
        features: &TextFeatures,
    ) -> std::result::Result<FeatureGroups, ExplainError> {
        let spans: Vec<(usize, usize)> = features
            .words()
            .iter()
            .map(|w| (w.byte_start, w.byte_end))
            .collect();
        let map = TokenWordMap::new(self.encoding.tokens_to_spans(&spans), spans.len())?;
        FeatureGroups::words(&map, self.encoder.dim()).with_names(features.feature_names())
    }

    fn value_and_grad_batch(&self, points: &[Vec<f32>]) -> Result<Vec<(f64, Vec<f32>)>> {
        let seq = self.encoding.len();
        let hidden = self.encoder.dim();
        let n = points.len();
        let device = self.encoder.model().device();
        let mut flat = Vec::with_capacity(n * seq * hidden);
        for p in points {
            if p.len() != seq * hidden {
                return Err(ModelError::InvalidInput(format!(
                    "point has {} values, expected {seq} tokens x {hidden}",
                    p.len()
                )));
            }
            flat.extend_from_slice(p);
        }
        let embeds = Var::from_tensor(&Tensor::from_vec(flat, (n, seq, hidden), device)?)?;
        let batch = self
            .encoder
            .tokenizer()
            .batch(&vec![&self.encoding; n], device)?;
        let sentence = self.encoder.embed_from_word_embeddings(
            embeds.as_tensor(),
            &batch.token_type_ids,
            &batch.attention_mask,
        )?;
        let scores = sentence.broadcast_mul(&self.target)?.sum(1)?;
        let grads = scores.sum_all()?.backward()?;
        let grad = grads.get(embeds.as_tensor()).ok_or_else(|| {
            ModelError::InvalidInput("no gradient reached the word embeddings".into())
        })?;
        let grad = grad.reshape((n, seq * hidden))?.to_vec2::<f32>()?;
        let scores = scores.to_vec1::<f32>()?;
        Ok(scores.into_iter().map(f64::from).zip(grad).collect())
    }
}

impl DifferentiableModel for EmbeddingSimilarity<'_> {
    fn value_and_grad(
        &self,
        points: &[Vec<f32>],
    ) -> std::result::Result<Vec<(f64, Vec<f32>)>, ExplainError> {
        self.value_and_grad_batch(points)
            .map_err(ExplainError::model)
    }
}
