//! Turning per-token hidden states into one sentence vector.

use candle_core::{DType, Tensor, D};

use crate::error::Result;

/// How token states are combined into a sentence embedding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pooling {
    /// Mean over real (unmasked) tokens: the sentence-transformers convention.
    #[default]
    Mean,
    /// The hidden state of the first (`[CLS]`) token.
    Cls,
}

impl Pooling {
    /// Pools `hidden` `[batch, seq, dim]` with `attention_mask` `[batch, seq]` into
    /// `[batch, dim]`. Differentiable.
    pub fn pool(self, hidden: &Tensor, attention_mask: &Tensor) -> Result<Tensor> {
        Ok(match self {
            Pooling::Cls => hidden.narrow(1, 0, 1)?.squeeze(1)?,
            Pooling::Mean => {
                let mask = attention_mask.to_dtype(DType::F32)?.unsqueeze(2)?;
                let summed = hidden.broadcast_mul(&mask)?.sum(1)?;
                let counts = mask.sum(1)?.clamp(1e-9, f64::MAX)?;
                summed.broadcast_div(&counts)?
            }
        })
    }

    /// Pools one sequence's token states (`dim` wide each); no tokens give zeros.
    pub fn pool_rows(self, tokens: &[&[f32]], dim: usize) -> Vec<f32> {
        match (self, tokens.first()) {
            (_, None) => vec![0.0; dim],
            (Pooling::Cls, Some(first)) => first.to_vec(),
            (Pooling::Mean, Some(_)) => {
                let mut mean = vec![0.0f32; dim];
                for t in tokens {
                    for (m, x) in mean.iter_mut().zip(*t) {
                        *m += x;
                    }
                }
                let n = tokens.len() as f32;
                mean.iter_mut().for_each(|m| *m /= n);
                mean
            }
        }
    }

    /// Spreads the gradient of a pooled vector over the token rows it was pooled from
    /// (`rows`: tokens × `grad.len()`, overwritten): the backward step of
    /// [`pool_rows`](Self::pool_rows).
    pub fn unpool_rows(self, grad: &[f32], rows: &mut [f32]) {
        let dim = grad.len();
        let count = rows.len() / dim.max(1);
        match self {
            Pooling::Cls => {
                rows.fill(0.0);
                if count > 0 {
                    rows[..dim].copy_from_slice(grad);
                }
            }
            Pooling::Mean => {
                let share = 1.0 / count.max(1) as f32;
                for row in rows.chunks_exact_mut(dim) {
                    for (r, g) in row.iter_mut().zip(grad) {
                        *r = g * share;
                    }
                }
            }
        }
    }
}

/// Scales `v` to unit L2 norm (zeros stay zero), as [`l2_normalize`] does a row.
pub fn l2_normalize_row(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
    v.iter_mut().for_each(|x| *x /= norm);
}

/// Scales every row of `[batch, dim]` to unit L2 norm (rows of zeros stay zero). Differentiable.
pub fn l2_normalize(x: &Tensor) -> Result<Tensor> {
    let norm = x
        .sqr()?
        .sum_keepdim(D::Minus1)?
        .sqrt()?
        .clamp(1e-12, f64::MAX)?;
    Ok(x.broadcast_div(&norm)?)
}
