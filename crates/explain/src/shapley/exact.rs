//! Exact Shapley values by enumerating every coalition.

use crate::Method;
use serde::{Deserialize, Serialize};

use super::binomial;
use crate::error::ExplainError;
use crate::evaluator::Evaluator;
use crate::explainer::{Explainer, Run};
use crate::explanation::Explanation;
use crate::mask::Mask;

/// Exact Shapley values: φᵢ = Σ_{S ⊆ N∖{i}} |S|!(M−|S|−1)!/M! · (f(S∪{i}) − f(S)).
///
/// Cost: 2^M model evaluations (all coalitions, including the empty and full ones).
/// `base_value` is f(∅), `full_value` is f(x), and efficiency holds exactly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExactShapley {
    /// Refuse instances with more features than this (default 14, i.e. 16384
    /// evaluations; never more than 24).
    pub max_features: usize,
}

impl Default for ExactShapley {
    fn default() -> Self {
        ExactShapley { max_features: 14 }
    }
}

impl ExactShapley {
    /// Largest M accepted whatever `max_features` says (2^24 coalitions).
    pub const HARD_MAX_FEATURES: usize = 24;
}

impl Explainer for ExactShapley {
    fn explain(&self, evaluator: &mut Evaluator<'_>) -> Result<Vec<Explanation>, ExplainError> {
        let run = Run::start(evaluator)?;
        let m = evaluator.num_features();
        let max = self.max_features.min(Self::HARD_MAX_FEATURES);
        if m > max {
            return Err(ExplainError::TooManyFeatures {
                method: Method::ExactShapley,
                features: m,
                max,
                hint: "use KernelShap or PermutationShap",
            });
        }
        let n = 1u64 << m;
        let masks: Vec<Mask> = (0..n).map(|s| Mask::from_u64(m, s)).collect();
        let scores = evaluator.evaluate(&masks)?;
        // Shapley weight of a coalition of size s not containing i: 1 / (M · C(M−1, s)).
        let weights: Vec<f64> = (0..m)
            .map(|s| 1.0 / (m as f64 * binomial(m - 1, s)))
            .collect();

        let mut explanations = run.blanks(evaluator, Method::ExactShapley);
        for e in &mut explanations {
            let t = e.target;
            let value = |s: u64| scores.get(s as usize, t);
            for s in 0..n {
                // The full coalition has no feature left to add.
                let Some(&w) = weights.get(s.count_ones() as usize) else {
                    continue;
                };
                let without = value(s);
                for (i, phi) in e.values.iter_mut().enumerate() {
                    let bit = 1u64 << i;
                    if s & bit == 0 {
                        *phi += w * (value(s | bit) - without);
                    }
                }
            }
            e.base_value = Some(value(0));
            e.full_value = Some(value(n - 1));
        }
        run.finish(evaluator, self, None, explanations)
    }
}
