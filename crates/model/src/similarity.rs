//! Similarities (dot products; cosines for a normalising encoder) of sentence embeddings to
//! fixed targets, with their gradients with respect to the word embeddings: what gradient attributions (Integrated Gradients,
//! gradient × input) differentiate, on the packed CPU pass.

use crate::encoder::SentenceEncoder;
use crate::error::{ModelError, Result};
use crate::packed::PackedEmbeddings;
use crate::tokenize::Encoding;

/// What [`SentenceEncoder::similarity_gradients`] returns.
#[derive(Debug, Clone)]
pub struct SimilarityGradients {
    /// `[points][targets]`: each point's similarity to each target.
    pub scores: Vec<Vec<f32>>,
    /// `[targets][points × tokens × hidden]`: each target's similarity differentiated with
    /// respect to every point's word embeddings.
    pub gradients: Vec<Vec<f32>>,
}

impl SentenceEncoder {
    /// The similarity of each point's sentence embedding to each target (unit vectors), and
    /// its gradient with respect to the point's word embeddings. A point is `encoding`'s
    /// tokens with word embeddings of its own: `word_embeds` holds `[points, tokens,
    /// hidden]`. Pooled and normalised as [`embed`](Self::embed) does; one forward and one
    /// backward pass for every target together.
    pub fn similarity_gradients(
        &self,
        encoding: &Encoding,
        word_embeds: &[f32],
        targets: &[&[f32]],
    ) -> Result<SimilarityGradients> {
        let (dim, len) = (self.dim(), encoding.len());
        if len == 0 || !word_embeds.len().is_multiple_of(len * dim) {
            return Err(ModelError::InvalidInput(format!(
                "{} embedding values are not whole points of {len} tokens x {dim}",
                word_embeds.len()
            )));
        }
        if let Some(bad) = targets.iter().find(|t| t.len() != dim) {
            return Err(ModelError::InvalidInput(format!(
                "target has {} dimensions, the encoder {dim}",
                bad.len()
            )));
        }
        let points = word_embeds.len() / (len * dim);
        let lengths = vec![len; points];
        let type_ids = encoding.type_ids.repeat(points);
        let (pooling, normalize) = (self.pooling(), self.normalizes());
        // d(similarity to t)/d(token states), per target, for a block's sequences.
        let output_gradient = |hidden: &[f32], lengths: &[usize]| -> Vec<f32> {
            let mut grads = vec![0f32; targets.len() * hidden.len()];
            let per_target = hidden.len();
            let mut at = 0;
            for &n in lengths {
                let rows = &hidden[at * dim..(at + n) * dim];
                let tokens: Vec<&[f32]> = rows.chunks_exact(dim).collect();
                let pooled = pooling.pool_rows(&tokens, dim);
                for (t, target) in targets.iter().enumerate() {
                    let grad = similarity_gradient(&pooled, target, normalize);
                    let start = t * per_target + at * dim;
                    pooling.unpool_rows(&grad, &mut grads[start..start + n * dim]);
                }
                at += n;
            }
            grads
        };
        let input = PackedEmbeddings {
            word: word_embeds,
            type_ids: &type_ids,
            lengths: &lengths,
        };
        let result = self
            .model()
            .input_gradients_packed(input, targets.len(), &output_gradient)?;
        let scores = result
            .hidden
            .chunks_exact(len * dim)
            .map(|rows| {
                let tokens: Vec<&[f32]> = rows.chunks_exact(dim).collect();
                let mut pooled = pooling.pool_rows(&tokens, dim);
                if normalize {
                    crate::pooling::l2_normalize_row(&mut pooled);
                }
                targets.iter().map(|t| dot(&pooled, t)).collect()
            })
            .collect();
        Ok(SimilarityGradients {
            scores,
            gradients: result.gradients,
        })
    }
}

/// The gradient of `target · v` with respect to the pooled vector `pooled`, where `v` is
/// `pooled` scaled to unit length if `normalize` (as `l2_normalize_row` does), else itself:
/// `(t − (v·t)·v) / |pooled|`, or `t`.
fn similarity_gradient(pooled: &[f32], target: &[f32], normalize: bool) -> Vec<f32> {
    if !normalize {
        return target.to_vec();
    }
    let norm = dot(pooled, pooled).sqrt().max(1e-12);
    let along = dot(pooled, target) / norm;
    pooled
        .iter()
        .zip(target)
        .map(|(p, t)| (t - along * p / norm) / norm)
        .collect()
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
