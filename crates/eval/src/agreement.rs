//! How methods relate to exact Shapley values, to themselves under other seeds, and to
//! their own attributions of a slightly perturbed text.

use anyhow::Result;
use daogou_explain::metrics::{
    compare_to_reference, mean_pairwise_spearman, spearman, ImportanceOrder, MeanStd,
};
use daogou_explain::Explanation;
use serde::Serialize;

/// Top-k overlap is measured on the k most important features.
pub const TOP_K: usize = 3;

/// Agreement of one method with exact Shapley values on one instance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InstanceAgreement {
    /// Spearman ρ with the exact values.
    pub spearman: Option<f64>,
    /// Kendall τ-b with the exact values.
    pub kendall_tau_b: Option<f64>,
    /// Shared features among the [`TOP_K`] largest (signed) values, over k.
    pub top_k_overlap: f64,
}

/// Agreement of each explanation with `exact` (same instance), in order.
pub fn with_exact(exact: &Explanation, others: &[Explanation]) -> Result<Vec<InstanceAgreement>> {
    Ok(
        compare_to_reference(exact, others, TOP_K, ImportanceOrder::Signed)?
            .into_iter()
            .map(|a| InstanceAgreement {
                spearman: a.spearman,
                kendall_tau_b: a.kendall_tau_b,
                top_k_overlap: a.top_k.intersection as f64 / a.top_k.k.max(1) as f64,
            })
            .collect(),
    )
}

/// Mean pairwise Spearman ρ of one method's runs under different seeds; `None` when no
/// pair is defined.
pub fn stability(runs: &[Explanation]) -> Result<Option<f64>> {
    let values: Vec<&[f64]> = runs.iter().map(|e| &e.values[..]).collect();
    Ok(mean_pairwise_spearman(&values)?.spearman.map(|s| s.mean))
}

/// Position-wise Spearman ρ between the attributions of a text and of its perturbation.
pub fn sensitivity(original: &Explanation, perturbed: &Explanation) -> Result<Option<f64>> {
    Ok(spearman(&original.values, &perturbed.values)?)
}

/// Agreement of one method with exact Shapley values, over instances.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MethodAgreement {
    /// Method name.
    pub method: String,
    /// Instances compared.
    pub instances: usize,
    /// Spearman ρ.
    pub spearman: Option<MeanStd>,
    /// Kendall τ-b.
    pub kendall_tau_b: Option<MeanStd>,
    /// Top-[`TOP_K`] overlap.
    pub top_k_overlap: Option<MeanStd>,
}

impl MethodAgreement {
    /// Averages per-instance agreements of `method`.
    pub fn average(method: &str, instances: &[&InstanceAgreement]) -> Self {
        let stat = |f: fn(&InstanceAgreement) -> Option<f64>| {
            MeanStd::of(&instances.iter().filter_map(|a| f(a)).collect::<Vec<_>>())
        };
        Self {
            method: method.to_string(),
            instances: instances.len(),
            spearman: stat(|a| a.spearman),
            kendall_tau_b: stat(|a| a.kendall_tau_b),
            top_k_overlap: stat(|a| Some(a.top_k_overlap)),
        }
    }
}

/// A per-instance correlation of one method averaged over instances (stability across
/// seeds, or sensitivity to a synonym).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MethodCorrelation {
    /// Method name.
    pub method: String,
    /// Instances with a defined value.
    pub instances: usize,
    /// Mean and std of the per-instance Spearman ρ.
    pub spearman: Option<MeanStd>,
}

impl MethodCorrelation {
    /// Averages the defined values.
    pub fn average(method: &str, values: impl Iterator<Item = Option<f64>>) -> Self {
        let values: Vec<f64> = values.flatten().collect();
        Self {
            method: method.to_string(),
            instances: values.len(),
            spearman: MeanStd::of(&values),
        }
    }
}
