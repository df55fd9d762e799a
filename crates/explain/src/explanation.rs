//! The one result type shared by all methods.

use serde::{Deserialize, Serialize};

use crate::Method;

/// LIME's local surrogate model summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LocalModel {
    /// Intercept of the weighted ridge regression.
    pub intercept: f64,
    /// Weighted R² of the surrogate on the perturbed samples (lime's `score`).
    pub score: f64,
    /// Surrogate prediction at the full instance (lime's `local_pred`).
    pub prediction: f64,
}

/// One feature's attribution, as returned by [`Explanation::top_k`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureValue {
    /// Feature index.
    pub index: usize,
    /// Feature name.
    pub name: String,
    /// Attribution.
    pub value: f64,
}

/// An attribution of one model output (one target) to M features.
///
/// Serialises to JSON. `values[i]` always belongs to `feature_names[i]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Explanation {
    /// Method that produced it.
    pub method: Method,
    /// Index of the explained target.
    pub target: usize,
    /// Name of the explained target, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_name: Option<String>,
    /// One name per feature.
    pub feature_names: Vec<String>,
    /// One attribution per feature.
    pub values: Vec<f64>,
    /// Per-feature standard errors of sampled estimates (permutation Shapley).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub std_errors: Option<Vec<f64>>,
    /// Reference output: f(empty coalition), f(baseline) for gradients, the surrogate's
    /// intercept for LIME; `None` where the method does not evaluate one.
    pub base_value: Option<f64>,
    /// Model output at the full instance f(x); `None` for attention.
    pub full_value: Option<f64>,
    /// The method's parameters.
    pub params: serde_json::Value,
    /// Seed of a randomised method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Distinct model evaluations this call made (shared by all targets of the call).
    pub model_evals: usize,
    /// Evaluations this call asked for, including repeats served by the cache.
    pub requested_evals: usize,
    /// Wall time of the call in milliseconds.
    pub wall_time_ms: f64,
    /// Why a cheaper method than requested was used, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback: Option<String>,
    /// LIME's surrogate model summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_model: Option<LocalModel>,
    /// Integrated Gradients: sum of attributions minus (f(x) − f(baseline)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completeness_delta: Option<f64>,
    /// Free-form remarks (numerical fallbacks, method choice).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl Explanation {
    /// A zero-valued explanation to be filled in by a method.
    pub(crate) fn blank(
        method: Method,
        feature_names: Vec<String>,
        target: usize,
        target_name: Option<&str>,
    ) -> Self {
        Explanation {
            method,
            target,
            target_name: target_name.map(str::to_string),
            values: vec![0.0; feature_names.len()],
            feature_names,
            std_errors: None,
            base_value: None,
            full_value: None,
            params: serde_json::Value::Null,
            seed: None,
            model_evals: 0,
            requested_evals: 0,
            wall_time_ms: 0.0,
            fallback: None,
            local_model: None,
            completeness_delta: None,
            notes: Vec::new(),
        }
    }

    /// Number of features.
    pub fn num_features(&self) -> usize {
        self.values.len()
    }

    /// Feature indices by decreasing |value| (ties by index).
    pub fn sorted_indices(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.values.len()).collect();
        order.sort_by(|&a, &b| {
            self.values[b]
                .abs()
                .total_cmp(&self.values[a].abs())
                .then(a.cmp(&b))
        });
        order
    }

    /// The `k` features with the largest |value|, largest first.
    pub fn top_k(&self, k: usize) -> Vec<FeatureValue> {
        self.sorted_indices()
            .into_iter()
            .take(k)
            .map(|index| FeatureValue {
                index,
                name: self.feature_names.get(index).cloned().unwrap_or_default(),
                value: self.values[index],
            })
            .collect()
    }

    /// |base + Σ values − full|: 0 for exact Shapley, IG's completeness error, LIME's
    /// surrogate error at x. `None` when base or full value is unknown.
    pub fn efficiency_gap(&self) -> Option<f64> {
        let sum: f64 = self.values.iter().sum();
        Some((self.base_value? + sum - self.full_value?).abs())
    }
}
