//! What explanations cost: model evaluations and wall time, aggregated per method.
//!
//! Each [`Explanation`] carries the cost of the call that produced it, and a call
//! explaining T targets reports that same cost on each of its T explanations. So costs
//! are aggregated per call (one `Vec<Explanation>` as returned by
//! [`Explainer::explain`](crate::Explainer::explain)) and divided by the number of
//! explanations the call produced.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::explanation::Explanation;

/// Total, mean and maximum of a per-call quantity.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CostStats {
    /// Sum over calls.
    pub total: f64,
    /// Mean per call.
    pub mean: f64,
    /// Largest call.
    pub max: f64,
}

impl CostStats {
    fn of(values: &[f64]) -> CostStats {
        let total: f64 = values.iter().sum();
        CostStats {
            total,
            mean: total / values.len().max(1) as f64,
            max: values.iter().copied().fold(0.0, f64::max),
        }
    }
}

/// Cost of one method over several calls.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostSummary {
    /// Method name.
    pub method: String,
    /// Number of calls.
    pub calls: usize,
    /// Number of explanations (targets) they produced.
    pub explanations: usize,
    /// Distinct model evaluations per call.
    pub model_evals: CostStats,
    /// Requested evaluations per call, cache hits included.
    pub requested_evals: CostStats,
    /// Wall time per call in milliseconds.
    pub wall_time_ms: CostStats,
    /// Total model evaluations / explanations.
    pub model_evals_per_explanation: f64,
    /// Total wall time / explanations, in milliseconds.
    pub wall_time_ms_per_explanation: f64,
}

/// Aggregates the cost of explainer calls by method (sorted by method name); empty
/// calls are skipped.
pub fn summarize_costs(calls: &[Vec<Explanation>]) -> Vec<CostSummary> {
    let mut by_method: BTreeMap<&str, Vec<&[Explanation]>> = BTreeMap::new();
    for call in calls {
        if let Some(first) = call.first() {
            by_method.entry(first.method.name()).or_default().push(call);
        }
    }
    by_method
        .into_iter()
        .map(|(method, calls)| {
            let per_call = |f: fn(&Explanation) -> f64| {
                let values: Vec<f64> = calls.iter().filter_map(|c| c.first()).map(f).collect();
                CostStats::of(&values)
            };
            let explanations: usize = calls.iter().map(|c| c.len()).sum();
            let model_evals = per_call(|e| e.model_evals as f64);
            let wall_time_ms = per_call(|e| e.wall_time_ms);
            CostSummary {
                method: method.to_string(),
                calls: calls.len(),
                explanations,
                model_evals,
                requested_evals: per_call(|e| e.requested_evals as f64),
                wall_time_ms,
                model_evals_per_explanation: model_evals.total / explanations as f64,
                wall_time_ms_per_explanation: wall_time_ms.total / explanations as f64,
            }
        })
        .collect()
}
