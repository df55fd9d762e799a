//! Attention maps: per head, head averages, rollout, word-level pooling.

use crate::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::error::ExplainError;
use crate::explainer::check_finite;
use crate::explanation::Explanation;
use crate::text::{Pooling, TokenWordMap};

/// Attention probabilities shaped `[layer][head][query][key]` over T tokens.
#[derive(Debug, Clone, PartialEq)]
pub struct AttentionMaps {
    layers: usize,
    heads: usize,
    tokens: usize,
    data: Vec<f32>,
}

impl AttentionMaps {
    /// From a flat row-major array of `layers · heads · tokens · tokens` values.
    pub fn from_flat(
        data: Vec<f32>,
        layers: usize,
        heads: usize,
        tokens: usize,
    ) -> Result<Self, ExplainError> {
        if layers == 0 || heads == 0 || tokens == 0 {
            return Err(ExplainError::InvalidInput(
                "attention needs at least one layer, head and token".to_string(),
            ));
        }
        if data.len() != layers * heads * tokens * tokens {
            return Err(ExplainError::InvalidInput(format!(
                "{} attention values for shape [{layers}][{heads}][{tokens}][{tokens}]",
                data.len()
            )));
        }
        if data.iter().any(|v| !v.is_finite()) {
            return Err(ExplainError::InvalidInput(
                "attention contains NaN or infinite values".to_string(),
            ));
        }
        Ok(AttentionMaps {
            layers,
            heads,
            tokens,
            data,
        })
    }

    /// From nested vectors; every layer, head and row must have the same shape.
    pub fn from_nested(maps: &[Vec<Vec<Vec<f32>>>]) -> Result<Self, ExplainError> {
        let heads = maps.first().map_or(0, Vec::len);
        let tokens = maps
            .first()
            .and_then(|layer| layer.first())
            .map_or(0, Vec::len);
        let square = maps.iter().all(|layer| {
            layer.len() == heads
                && layer
                    .iter()
                    .all(|head| head.len() == tokens && head.iter().all(|row| row.len() == tokens))
        });
        if !square {
            return Err(ExplainError::InvalidInput(
                "attention maps must all be [heads][tokens][tokens] with the same sizes"
                    .to_string(),
            ));
        }
        let data = maps.iter().flatten().flatten().flatten().copied().collect();
        Self::from_flat(data, maps.len(), heads, tokens)
    }

    /// Number of layers.
    pub fn num_layers(&self) -> usize {
        self.layers
    }

    /// Number of heads per layer.
    pub fn num_heads(&self) -> usize {
        self.heads
    }

    /// Number of tokens T.
    pub fn num_tokens(&self) -> usize {
        self.tokens
    }

    /// The raw map of one head.
    pub fn head(&self, layer: usize, head: usize) -> Result<TokenMatrix, ExplainError> {
        if layer >= self.layers || head >= self.heads {
            return Err(ExplainError::InvalidInput(format!(
                "head ({layer}, {head}) out of range for {} layers × {} heads",
                self.layers, self.heads
            )));
        }
        let size = self.tokens * self.tokens;
        let start = (layer * self.heads + head) * size;
        Ok(TokenMatrix {
            n: self.tokens,
            data: self.data[start..start + size]
                .iter()
                .map(|&v| f64::from(v))
                .collect(),
        })
    }

    /// The mean over heads of one layer.
    pub fn head_average(&self, layer: usize) -> Result<TokenMatrix, ExplainError> {
        let mut mean = self.head(layer, 0)?;
        for h in 1..self.heads {
            let next = self.head(layer, h)?;
            mean.data
                .iter_mut()
                .zip(&next.data)
                .for_each(|(a, b)| *a += b);
        }
        let heads = self.heads as f64;
        mean.data.iter_mut().for_each(|a| *a /= heads);
        Ok(mean)
    }

    /// Attention rollout (Abnar & Zuidema 2020): per layer
    /// Â = rownorm(0.5·mean_heads(A) + 0.5·I), then R = Â_L ⋯ Â_2 · Â_1 (layers
    /// multiplied from first to last). Row q says how much the last layer's token q
    /// draws from each input token; rows sum to 1.
    pub fn rollout(&self) -> Result<TokenMatrix, ExplainError> {
        let mut rollout: Option<TokenMatrix> = None;
        for layer in 0..self.layers {
            let mut a = self.head_average(layer)?;
            for q in 0..a.n {
                let row = &mut a.data[q * a.n..(q + 1) * a.n];
                row.iter_mut().for_each(|v| *v *= 0.5);
                row[q] += 0.5;
                let sum: f64 = row.iter().sum();
                if sum <= 0.0 {
                    return Err(ExplainError::InvalidInput(format!(
                        "layer {layer}, query {q}: attention row does not sum to a positive value"
                    )));
                }
                row.iter_mut().for_each(|v| *v /= sum);
            }
            rollout = Some(match rollout {
                None => a,
                Some(r) => a.matmul(&r),
            });
        }
        rollout.ok_or_else(|| ExplainError::InvalidInput("no attention layers".to_string()))
    }
}

/// A T×T matrix, rows = queries, columns = keys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenMatrix {
    n: usize,
    data: Vec<f64>,
}

/// Which scores of a [`TokenMatrix`] become per-token attributions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AttentionSource {
    /// Attention from one query token (e.g. `[CLS]` at 0) to each token: its row.
    FromToken(usize),
    /// Mean attention each token receives over all queries: column means.
    Received,
}

impl TokenMatrix {
    /// From `n × n` row-major values.
    pub fn new(n: usize, data: Vec<f64>) -> Result<Self, ExplainError> {
        if data.len() != n * n {
            return Err(ExplainError::InvalidInput(format!(
                "{} values for a {n}×{n} matrix",
                data.len()
            )));
        }
        Ok(TokenMatrix { n, data })
    }

    /// Number of rows (= columns).
    pub fn size(&self) -> usize {
        self.n
    }

    /// Row `q` (attention from query q), if in range.
    pub fn row(&self, q: usize) -> Option<&[f64]> {
        (q < self.n).then(|| &self.data[q * self.n..(q + 1) * self.n])
    }

    /// Entry (q, k), if in range.
    pub fn get(&self, q: usize, k: usize) -> Option<f64> {
        self.row(q).and_then(|row| row.get(k)).copied()
    }

    fn matmul(&self, other: &TokenMatrix) -> TokenMatrix {
        let n = self.n;
        let mut out = vec![0.0; n * n];
        for (i, out_row) in out.chunks_exact_mut(n).enumerate() {
            for (k, &a) in self.data[i * n..(i + 1) * n].iter().enumerate() {
                let other_row = &other.data[k * n..(k + 1) * n];
                out_row
                    .iter_mut()
                    .zip(other_row)
                    .for_each(|(o, b)| *o += a * b);
            }
        }
        TokenMatrix { n, data: out }
    }

    /// One score per token according to `source`.
    pub fn scores(&self, source: AttentionSource) -> Result<Vec<f64>, ExplainError> {
        match source {
            AttentionSource::FromToken(q) => self.row(q).map(<[f64]>::to_vec).ok_or_else(|| {
                ExplainError::InvalidInput(format!("token {q} out of range for {}", self.n))
            }),
            AttentionSource::Received => Ok((0..self.n)
                .map(|k| {
                    (0..self.n).map(|q| self.data[q * self.n + k]).sum::<f64>() / self.n as f64
                })
                .collect()),
        }
    }

    /// Word×word matrix: keys pooled with `key` within each row, then queries pooled
    /// with `query`. `query = Mean, key = Sum` (Clark et al. 2019) keeps rows summing
    /// to 1 when every token belongs to a word.
    pub fn to_words(
        &self,
        map: &TokenWordMap,
        query: Pooling,
        key: Pooling,
    ) -> Result<TokenMatrix, ExplainError> {
        if map.num_tokens() != self.n {
            return Err(ExplainError::InvalidInput(format!(
                "token map over {} tokens for a {}-token matrix",
                map.num_tokens(),
                self.n
            )));
        }
        let words = map.num_words();
        // Keys pooled: token rows × word columns.
        let mut by_key = Vec::with_capacity(self.n * words);
        for q in 0..self.n {
            by_key.extend(map.pool(&self.data[q * self.n..(q + 1) * self.n], key)?);
        }
        let mut data = vec![0.0; words * words];
        for b in 0..words {
            let column: Vec<f64> = (0..self.n).map(|q| by_key[q * words + b]).collect();
            for (a, v) in map.pool(&column, query)?.into_iter().enumerate() {
                data[a * words + b] = v;
            }
        }
        Ok(TokenMatrix { n: words, data })
    }
}

/// Attention scores as an [`Explanation`] (method `attention`): token scores from
/// `matrix` per `source`, optionally pooled to words. `base_value` and `full_value`
/// are `None`; feature names default to `t0, t1, …` (or `w0, …` for words).
pub fn attention_explanation(
    matrix: &TokenMatrix,
    source: AttentionSource,
    words: Option<(&TokenWordMap, Pooling)>,
    feature_names: Option<Vec<String>>,
) -> Result<Explanation, ExplainError> {
    let tokens = matrix.scores(source)?;
    let (values, prefix) = match words {
        Some((map, pooling)) => (map.pool(&tokens, pooling)?, "w"),
        None => (tokens, "t"),
    };
    let names = match feature_names {
        Some(names) if names.len() == values.len() => names,
        Some(names) => {
            return Err(ExplainError::InvalidInput(format!(
                "{} feature names for {} features",
                names.len(),
                values.len()
            )))
        }
        None => (0..values.len()).map(|i| format!("{prefix}{i}")).collect(),
    };
    let mut e = Explanation::blank(Method::Attention, names, 0, None);
    e.values = values;
    e.params = json!({
        "source": source,
        "pooling": words.map(|(_, pooling)| pooling),
    });
    check_finite(&e)?;
    Ok(e)
}
