//! The encoder's embedding path with gradients, seen by Integrated Gradients and
//! gradient × input: the similarity of a text's sentence embedding to fixed targets.

use candle_core::Tensor;
use daogou_explain::{
    DifferentiableModel, ExplainError, FeatureGroups, TargetOutputs, TextFeatures, TokenWordMap,
};
use daogou_model::{Encoding, ModelError, Result, SentenceEncoder};

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

/// Most tokens (points × sequence length) in one forward/backward pass: it bounds the
/// memory of the gradients one pass returns (tokens × hidden × targets values); the
/// activations the backward pass reads are kept per block of 256 tokens only.
const MAX_GRADIENT_TOKENS: usize = 8192;

/// Cosine similarity between the sentence embedding computed from a text's word
/// embeddings and fixed targets (one output each), with gradients with respect to those
/// word embeddings. All targets are computed in the same batched passes.
pub struct EmbeddingSimilarity<'a> {
    encoder: &'a SentenceEncoder,
    encoding: Encoding,
    /// Unit vectors, `hidden` wide each.
    targets: Vec<Vec<f32>>,
    /// Bytes of the model's prompt in front of the text (0 without one).
    prompt_len: usize,
}

impl<'a> EmbeddingSimilarity<'a> {
    /// Prepares `text` (tokenised once) against `target` (a unit vector).
    pub fn new(encoder: &'a SentenceEncoder, text: &str, target: &[f32]) -> Result<Self> {
        Self::with_targets(encoder, text, &[target])
    }

    /// Prepares `text` against several targets (unit vectors), one output each.
    pub fn with_targets(
        encoder: &'a SentenceEncoder,
        text: &str,
        targets: &[&[f32]],
    ) -> Result<Self> {
        Self::prompted(encoder, "", text, targets)
    }

    /// As [`with_targets`](Self::with_targets), for a text of a kind (`query`, `passage`):
    /// with the model's prompt in front (`query: ` for e5), as
    /// [`SentenceEncoder::embed_with_prompt`] embeds it, so the explained similarity is the
    /// one computed elsewhere. The prompt's tokens keep their embeddings at the baseline
    /// and belong to no word.
    pub fn with_targets_as(
        encoder: &'a SentenceEncoder,
        kind: &str,
        text: &str,
        targets: &[&[f32]],
    ) -> Result<Self> {
        Self::prompted(encoder, encoder.prompt(kind).unwrap_or(""), text, targets)
    }

    fn prompted(
        encoder: &'a SentenceEncoder,
        prompt: &str,
        text: &str,
        targets: &[&[f32]],
    ) -> Result<Self> {
        if targets.is_empty() {
            return Err(ModelError::InvalidInput("no targets".into()));
        }
        if let Some(bad) = targets.iter().find(|t| t.len() != encoder.dim()) {
            return Err(ModelError::InvalidInput(format!(
                "target has {} dimensions, the encoder {}",
                bad.len(),
                encoder.dim()
            )));
        }
        let encoding = encoder.tokenizer().encode(&format!("{prompt}{text}"))?;
        Ok(Self {
            encoder,
            encoding,
            targets: targets.iter().map(|t| t.to_vec()).collect(),
            prompt_len: prompt.len(),
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

    /// The baseline point: special tokens and the prompt's tokens keep their embeddings,
    /// the text's tokens are replaced as `kind` says.
    pub fn baseline(&self, kind: EmbeddingBaseline) -> Result<Vec<f32>> {
        let hidden = self.encoder.dim();
        let mut point = self.input()?;
        let replacement = match kind {
            EmbeddingBaseline::Zeros => vec![0.0; hidden],
            EmbeddingBaseline::Pad | EmbeddingBaseline::Mask => {
                let tokenizer = self.encoder.tokenizer();
                let id = if kind == EmbeddingBaseline::Pad {
                    tokenizer.pad_id()
                } else {
                    ["[MASK]", "<mask>"]
                        .iter()
                        .find_map(|t| tokenizer.token_id(t))
                        .ok_or_else(|| {
                            ModelError::InvalidInput("the vocabulary has no mask token".into())
                        })?
                };
                let ids = Tensor::new(&[[id]], self.encoder.model().device())?;
                self.encoder
                    .model()
                    .word_embeddings(&ids)?
                    .flatten_all()?
                    .to_vec1::<f32>()?
            }
        };
        let tokens = self.encoding.special.iter().zip(&self.encoding.offsets);
        for (t, (&special, &(_, end))) in tokens.enumerate() {
            if !special && end > self.prompt_len {
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
            .map(|w| (w.byte_start + self.prompt_len, w.byte_end + self.prompt_len))
            .collect();
        let map = TokenWordMap::new(self.encoding.tokens_to_spans(&spans), spans.len())?;
        FeatureGroups::words(&map, self.encoder.dim()).with_names(features.feature_names())
    }

    /// (value, gradient) of every target at every point, point-major, in passes of at
    /// most [`MAX_GRADIENT_TOKENS`] tokens.
    fn value_and_grad_all(&self, points: &[Vec<f32>]) -> Result<TargetOutputs> {
        let seq = self.encoding.len();
        let hidden = self.encoder.dim();
        if let Some(p) = points.iter().find(|p| p.len() != seq * hidden) {
            return Err(ModelError::InvalidInput(format!(
                "point has {} values, expected {seq} tokens x {hidden}",
                p.len()
            )));
        }
        let per_pass = (MAX_GRADIENT_TOKENS / seq.max(1)).max(1);
        let mut out = Vec::with_capacity(points.len());
        for chunk in points.chunks(per_pass) {
            out.extend(self.pass(chunk)?);
        }
        Ok(out)
    }

    /// One forward and one backward pass over the points for every target together
    /// ([`SentenceEncoder::similarity_gradients`]).
    fn pass(&self, points: &[Vec<f32>]) -> Result<TargetOutputs> {
        let width = self.encoding.len() * self.encoder.dim();
        let targets: Vec<&[f32]> = self.targets.iter().map(Vec::as_slice).collect();
        let result =
            self.encoder
                .similarity_gradients(&self.encoding, &points.concat(), &targets)?;
        let mut per_target: Vec<_> = result
            .gradients
            .iter()
            .map(|g| g.chunks_exact(width))
            .collect();
        result
            .scores
            .into_iter()
            .map(|row| {
                row.into_iter()
                    .zip(&mut per_target)
                    .map(|(score, grads)| {
                        let grad = grads.next().ok_or_else(|| {
                            ModelError::InvalidInput("fewer gradients than points".into())
                        })?;
                        Ok((f64::from(score), grad.to_vec()))
                    })
                    .collect()
            })
            .collect()
    }
}

impl DifferentiableModel for EmbeddingSimilarity<'_> {
    fn value_and_grad(
        &self,
        points: &[Vec<f32>],
    ) -> std::result::Result<Vec<(f64, Vec<f32>)>, ExplainError> {
        Ok(self
            .value_and_grad_all(points)
            .map_err(ExplainError::model)?
            .into_iter()
            .filter_map(|per_target| per_target.into_iter().next())
            .collect())
    }

    fn num_targets(&self) -> usize {
        self.targets.len()
    }

    fn value_and_grad_targets(
        &self,
        points: &[Vec<f32>],
    ) -> std::result::Result<TargetOutputs, ExplainError> {
        self.value_and_grad_all(points).map_err(ExplainError::model)
    }
}
