//! Quality metrics for explanations and for ranked recommendations.
//!
//! - [`faithfulness`]: does the model follow the attribution? ERASER comprehensiveness,
//!   sufficiency and AOPC, deletion/insertion curves, Kendall τ-b against leave-one-out
//!   effects, each beside a seeded random-attribution baseline. Evaluated through the
//!   [`Evaluator`](crate::Evaluator), so masks are deduplicated and cached.
//! - [`rank`]: agreement and stability of attribution vectors (Spearman, Kendall τ-b,
//!   top-k overlap, mean pairwise Spearman, comparison with an exact reference).
//! - [`plausibility`]: agreement with human rationales (ERASER token F1, IOU F1, AUPRC).
//! - [`ranking`]: nDCG@k, MRR, recall@k and precision@k of recommendation lists against
//!   graded judgements ([`ranking::Qrels`]).
//! - [`significance`]: bootstrap confidence intervals and the paired randomization test.
//! - [`cost`]: model evaluations and wall time per explanation.
//!
//! Every result type serialises with serde, so a report can be written as JSON.

pub mod cost;
pub mod faithfulness;
pub mod plausibility;
pub mod rank;
pub mod ranking;
pub mod significance;

use serde::{Deserialize, Serialize};

use crate::error::ExplainError;

pub use cost::{summarize_costs, CostStats, CostSummary};
pub use faithfulness::{
    CurveStep, Faithfulness, FaithfulnessReport, FaithfulnessScores, RandomBaseline,
};
pub use plausibility::{
    AveragedPrf, Binarize, InstancePlausibility, Plausibility, PlausibilitySummary, Prf, TokenSpan,
};
pub use rank::{
    compare_to_reference, kendall_tau_b, mean_pairwise_spearman, spearman, top_k_overlap,
    Agreement, ImportanceOrder, Stability, TopKOverlap,
};
pub use ranking::{evaluate_run, Qrels, QueryMetrics, RankingReport};
pub use significance::{bootstrap_interval, paired_comparison, Interval, PairedComparison};

/// Mean and sample standard deviation of `n` values.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MeanStd {
    /// Arithmetic mean.
    pub mean: f64,
    /// Sample standard deviation (divisor n − 1); 0 when n = 1.
    pub std: f64,
    /// Number of values.
    pub n: usize,
}

impl MeanStd {
    /// Mean and sample standard deviation of `values`; `None` when empty.
    pub fn of(values: &[f64]) -> Option<MeanStd> {
        let n = values.len();
        if n == 0 {
            return None;
        }
        let mean = values.iter().sum::<f64>() / n as f64;
        let std = if n > 1 {
            let ss: f64 = values.iter().map(|v| (v - mean).powi(2)).sum();
            (ss / (n - 1) as f64).sqrt()
        } else {
            0.0
        };
        Some(MeanStd { mean, std, n })
    }
}

/// Errors unless every value is finite; `what` names the vector in the message.
pub(crate) fn check_finite(what: &str, values: &[f64]) -> Result<(), ExplainError> {
    match values.iter().position(|v| !v.is_finite()) {
        Some(i) => Err(ExplainError::InvalidInput(format!(
            "{what}[{i}] is {}, expected a finite number",
            values[i]
        ))),
        None => Ok(()),
    }
}

/// Errors unless `a` and `b` have the same length.
pub(crate) fn check_same_len(what: &str, a: usize, b: usize) -> Result<(), ExplainError> {
    if a == b {
        Ok(())
    } else {
        Err(ExplainError::InvalidInput(format!(
            "{what}: lengths differ ({a} vs {b})"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_std_uses_the_sample_divisor() {
        let s = MeanStd::of(&[1.0, 2.0, 3.0, 4.0]).expect("non-empty");
        assert_eq!(s.mean, 2.5);
        // Σ(x − 2.5)² = 5, / 3.
        assert!((s.std - (5.0f64 / 3.0).sqrt()).abs() < 1e-15);
        assert_eq!(MeanStd::of(&[7.0]).map(|s| s.std), Some(0.0));
        assert_eq!(MeanStd::of(&[]), None);
    }
}
