//! The single batching layer every mask-based method evaluates through.

use std::collections::HashMap;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::ExplainError;
use crate::mask::Mask;
use crate::model::MaskedModel;

/// How the [`Evaluator`] calls the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalConfig {
    /// Masks per model call (default 64).
    pub batch_size: usize,
    /// Run batches in parallel on the rayon pool (default `true`). Turn off for models
    /// that want one big batch at a time (e.g. a transformer on a single device).
    pub parallel: bool,
    /// Stop caching new results once the cache holds about this many bytes
    /// (default 512 MiB). Deduplication inside one call still happens.
    pub max_cache_bytes: usize,
}

impl Default for EvalConfig {
    fn default() -> Self {
        EvalConfig {
            batch_size: 64,
            parallel: true,
            max_cache_bytes: 512 << 20,
        }
    }
}

/// Counters of an [`Evaluator`], cumulative since creation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvalStats {
    /// Masks asked for by methods, including repeats and cache hits.
    pub requested: usize,
    /// Distinct masks actually sent to the model.
    pub evaluated: usize,
    /// Model calls (batches).
    pub batches: usize,
}

/// Model scores for a list of masks: one row per mask, one column per target.
#[derive(Debug, Clone, PartialEq)]
pub struct Scores {
    num_targets: usize,
    data: Vec<f64>,
}

impl Scores {
    /// Number of rows (masks).
    pub fn len(&self) -> usize {
        self.data.len().checked_div(self.num_targets).unwrap_or(0)
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Number of columns (targets).
    pub fn num_targets(&self) -> usize {
        self.num_targets
    }

    /// Scores of row `i`.
    ///
    /// # Panics
    /// If `i >= self.len()`.
    pub fn row(&self, i: usize) -> &[f64] {
        &self.data[i * self.num_targets..(i + 1) * self.num_targets]
    }

    /// Score of row `i`, target `t`.
    ///
    /// # Panics
    /// If `i` or `t` is out of range.
    pub fn get(&self, i: usize, t: usize) -> f64 {
        self.row(i)[t]
    }
}

/// Deduplicating, caching, batching front of a [`MaskedModel`] for one instance.
///
/// Create one per instance explained and run every method through it: identical
/// masks are evaluated once, across methods too (exact Shapley followed by LIME on
/// the same instance reuses evaluations). It also carries the feature and target names
/// copied into explanations.
pub struct Evaluator<'m> {
    model: &'m dyn MaskedModel,
    config: EvalConfig,
    feature_names: Vec<String>,
    target_names: Option<Vec<String>>,
    cache: HashMap<Mask, usize>,
    cached_scores: Vec<f64>,
    cache_bytes: usize,
    stats: EvalStats,
}

/// Where a requested row comes from.
enum Source {
    Cached(usize),
    Fresh(usize),
}

impl<'m> Evaluator<'m> {
    /// Wraps `model`; feature names default to `x0, x1, …`.
    pub fn new(model: &'m dyn MaskedModel, config: EvalConfig) -> Result<Self, ExplainError> {
        if model.num_targets() == 0 {
            return Err(ExplainError::NoTargets);
        }
        if config.batch_size == 0 {
            return Err(ExplainError::invalid("batch_size", "must be at least 1"));
        }
        Ok(Evaluator {
            model,
            config,
            feature_names: (0..model.num_features()).map(|i| format!("x{i}")).collect(),
            target_names: None,
            cache: HashMap::new(),
            cached_scores: Vec::new(),
            cache_bytes: 0,
            stats: EvalStats::default(),
        })
    }

    /// Sets the feature names (one per feature).
    pub fn with_feature_names(mut self, names: Vec<String>) -> Result<Self, ExplainError> {
        if names.len() != self.num_features() {
            return Err(ExplainError::InvalidInput(format!(
                "{} feature names for {} features",
                names.len(),
                self.num_features()
            )));
        }
        self.feature_names = names;
        Ok(self)
    }

    /// Sets the target names (one per target).
    pub fn with_target_names(mut self, names: Vec<String>) -> Result<Self, ExplainError> {
        if names.len() != self.num_targets() {
            return Err(ExplainError::InvalidInput(format!(
                "{} target names for {} targets",
                names.len(),
                self.num_targets()
            )));
        }
        self.target_names = Some(names);
        Ok(self)
    }

    /// Number of features M.
    pub fn num_features(&self) -> usize {
        self.model.num_features()
    }

    /// Number of targets.
    pub fn num_targets(&self) -> usize {
        self.model.num_targets()
    }

    /// Feature names.
    pub fn feature_names(&self) -> &[String] {
        &self.feature_names
    }

    /// Name of target `t`, if names were set.
    pub fn target_name(&self, t: usize) -> Option<&str> {
        self.target_names
            .as_ref()
            .and_then(|names| names.get(t))
            .map(String::as_str)
    }

    /// Counters so far.
    pub fn stats(&self) -> EvalStats {
        self.stats
    }

    /// Number of cached mask results.
    pub fn cache_len(&self) -> usize {
        self.cache.len()
    }

    /// Forgets cached results (counters are kept).
    pub fn clear_cache(&mut self) {
        self.cache.clear();
        self.cached_scores.clear();
        self.cache_bytes = 0;
    }

    /// Scores `masks` (row `i` belongs to `masks[i]`), calling the model only for masks
    /// neither cached nor repeated earlier in `masks`.
    ///
    /// Errors name the offending mask by its index in `masks`.
    pub fn evaluate(&mut self, masks: &[Mask]) -> Result<Scores, ExplainError> {
        let num_features = self.num_features();
        let num_targets = self.num_targets();
        let mut fresh_index: HashMap<&Mask, usize> = HashMap::new();
        let mut fresh: Vec<Mask> = Vec::new();
        let mut first_request: Vec<usize> = Vec::new();
        let mut sources = Vec::with_capacity(masks.len());
        for (i, mask) in masks.iter().enumerate() {
            if mask.num_features() != num_features {
                return Err(ExplainError::InvalidInput(format!(
                    "mask #{i} has {} features, the model has {num_features}",
                    mask.num_features()
                )));
            }
            let source = if let Some(&row) = self.cache.get(mask) {
                Source::Cached(row)
            } else {
                let next = fresh.len();
                let j = *fresh_index.entry(mask).or_insert(next);
                if j == next {
                    fresh.push(mask.clone());
                    first_request.push(i);
                }
                Source::Fresh(j)
            };
            sources.push(source);
        }

        let fresh_scores = self.run_model(&fresh, &first_request)?;
        self.stats.requested += masks.len();
        self.stats.evaluated += fresh.len();
        self.stats.batches += fresh.len().div_ceil(self.config.batch_size);

        let mut data = Vec::with_capacity(masks.len() * num_targets);
        for source in &sources {
            let row = match *source {
                Source::Cached(r) => &self.cached_scores[r * num_targets..(r + 1) * num_targets],
                Source::Fresh(j) => &fresh_scores[j * num_targets..(j + 1) * num_targets],
            };
            data.extend_from_slice(row);
        }

        let entry_bytes = fresh
            .first()
            .map_or(0, |m| m.heap_bytes() + num_targets * 8 + 64);
        for (j, mask) in fresh.into_iter().enumerate() {
            if self.cache_bytes + entry_bytes > self.config.max_cache_bytes {
                break;
            }
            self.cache_bytes += entry_bytes;
            self.cache.insert(mask, self.cache.len());
            self.cached_scores
                .extend_from_slice(&fresh_scores[j * num_targets..(j + 1) * num_targets]);
        }
        Ok(Scores { num_targets, data })
    }

    /// Calls the model on `masks` in batches and validates the output; returns the
    /// flattened rows.
    fn run_model(&self, masks: &[Mask], first_request: &[usize]) -> Result<Vec<f64>, ExplainError> {
        let batch = self.config.batch_size;
        let model = self.model;
        let outputs: Vec<Result<Vec<Vec<f64>>, ExplainError>> = if self.config.parallel {
            masks.par_chunks(batch).map(|c| model.evaluate(c)).collect()
        } else {
            let mut outputs = Vec::new();
            for chunk in masks.chunks(batch) {
                let out = model.evaluate(chunk);
                let failed = out.is_err();
                outputs.push(out);
                if failed {
                    break;
                }
            }
            outputs
        };

        let num_targets = self.num_targets();
        let mut data = Vec::with_capacity(masks.len() * num_targets);
        for (c, output) in outputs.into_iter().enumerate() {
            let rows = output?;
            let start = c * batch;
            let expected = batch.min(masks.len() - start);
            if rows.len() != expected {
                return Err(ExplainError::InvalidModelOutput(format!(
                    "{} rows for a batch of {expected} masks",
                    rows.len()
                )));
            }
            for (r, row) in rows.iter().enumerate() {
                let mask_index = first_request[start + r];
                if row.len() != num_targets {
                    return Err(ExplainError::InvalidModelOutput(format!(
                        "row for mask #{mask_index} has {} scores, expected {num_targets}",
                        row.len()
                    )));
                }
                if let Some((target, &value)) = row.iter().enumerate().find(|(_, v)| !v.is_finite())
                {
                    return Err(ExplainError::NonFiniteScore {
                        mask_index,
                        target,
                        value,
                        mask: masks[start + r].to_string(),
                    });
                }
                data.extend_from_slice(row);
            }
        }
        Ok(data)
    }
}
