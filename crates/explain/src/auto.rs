//! Picks a Shapley method from the number of features and the budget.

use crate::Method;
use serde::{Deserialize, Serialize};

use crate::error::ExplainError;
use crate::evaluator::Evaluator;
use crate::explainer::Explainer;
use crate::explanation::Explanation;
use crate::occlusion::Occlusion;
use crate::shapley::exact::ExactShapley;
use crate::shapley::kernel::KernelShap;
use crate::shapley::owen::OwenValues;
use crate::shapley::permutation::PermutationShap;

/// Chooses a method for M features and budget B (`max_evals`, default 2M + 2048):
///
/// 1. M = 0: [`ExplainError::NoFeatures`].
/// 2. M ≤ `exact_max_features` (at most 24) and (no budget given or 2^M ≤ B): exact Shapley
///    (2^M evaluations; M = 1 is the trivial f(x) − f(∅) with 2).
/// 3. M ≤ `owen_max_features` and the Owen values over contiguous groups fit in B: those
///    (exact for the grouping, nothing sampled; 176 evaluations for 12 words).
/// 4. M ≤ `kernel_max_features` and B ≥ [`KernelShap::min_budget`]: Kernel SHAP with B.
/// 5. Otherwise, fallback to permutation Shapley with as many antithetic pairs as fit,
///    if at least two do (B ≥ 2 + 4(M−1), so standard errors exist).
/// 6. Otherwise, fallback to occlusion if B ≥ M + 1 (leave-one-out, not Shapley).
/// 7. Otherwise [`ExplainError::BudgetTooSmall`].
///
/// The reason for the choice is added to the explanation's notes; for 5 and 6 it is also
/// stored in `fallback`. Neither enumeration nor an M×M solve is attempted for large M
/// (10,000 features with the default budget fall back to occlusion, M + 1 evaluations).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Auto {
    /// Largest M explained exactly (default 8: 256 evaluations).
    pub exact_max_features: usize,
    /// Largest M given Owen values over contiguous groups (default 24).
    pub owen_max_features: usize,
    /// Largest M given to Kernel SHAP (default 512).
    pub kernel_max_features: usize,
    /// Budget of model evaluations (default `None` = 2M + 2048).
    pub max_evals: Option<usize>,
    /// Seed for the sampled methods (default 0).
    pub seed: u64,
}

impl Default for Auto {
    fn default() -> Self {
        Auto {
            exact_max_features: 8,
            owen_max_features: 24,
            kernel_max_features: 512,
            max_evals: None,
            seed: 0,
        }
    }
}

/// The method [`Auto`] settled on.
#[derive(Debug, Clone, PartialEq)]
pub enum AutoChoice {
    /// Exact enumeration.
    Exact(ExactShapley),
    /// Owen values over word groups.
    Owen(OwenValues),
    /// Kernel SHAP.
    Kernel(KernelShap),
    /// Permutation sampling (fallback).
    Permutation(PermutationShap),
    /// Leave-one-out (fallback).
    Occlusion(Occlusion),
}

/// [`Auto`]'s decision and why.
#[derive(Debug, Clone, PartialEq)]
pub struct AutoPlan {
    /// The method to run.
    pub choice: AutoChoice,
    /// Human-readable justification.
    pub reason: String,
    /// Whether this is a fallback to a cheaper, less faithful method.
    pub fallback: bool,
}

impl Auto {
    /// Decides without evaluating anything.
    pub fn plan(&self, num_features: usize) -> Result<AutoPlan, ExplainError> {
        let m = num_features;
        if m == 0 {
            return Err(ExplainError::NoFeatures);
        }
        let budget = self.max_evals.unwrap_or(KernelShap::default_budget(m));
        let all_coalitions = (m < 63).then(|| 1usize << m);
        let exact_fits = self.max_evals.is_none() || all_coalitions.is_some_and(|n| n <= budget);
        let exact_max = self.exact_max_features.min(ExactShapley::HARD_MAX_FEATURES);
        if m <= exact_max && exact_fits {
            return Ok(AutoPlan {
                choice: AutoChoice::Exact(ExactShapley {
                    max_features: self.exact_max_features,
                }),
                reason: format!("auto: exact Shapley, M = {m} <= {exact_max}"),
                fallback: false,
            });
        }
        let owen_max = self.owen_max_features.min(OwenValues::HARD_MAX_FEATURES);
        let owen = (m <= owen_max).then(|| {
            let groups = OwenValues::contiguous_groups(m);
            let sizes: Vec<usize> = groups.iter().map(Vec::len).collect();
            let cost = OwenValues::cost(&sizes);
            (groups, sizes, cost)
        });
        if let Some((groups, sizes, owen_cost)) = owen.filter(|o| o.2 <= budget) {
            let why = if m > exact_max {
                format!("M = {m} > {exact_max}")
            } else {
                format!("2^{m} evaluations > the budget of {budget}")
            };
            return Ok(AutoPlan {
                choice: AutoChoice::Owen(OwenValues {
                    groups: Some(groups),
                    max_features: self.owen_max_features,
                }),
                reason: format!(
                    "auto: Owen values over {} word groups of sizes {sizes:?} ({owen_cost} \
                     evaluations), {why}",
                    sizes.len()
                ),
                fallback: false,
            });
        }
        if m <= self.kernel_max_features && budget >= KernelShap::min_budget(m) {
            return Ok(AutoPlan {
                choice: AutoChoice::Kernel(KernelShap {
                    max_evals: Some(budget),
                    max_features: self.kernel_max_features,
                    seed: self.seed,
                    ..KernelShap::default()
                }),
                reason: format!("auto: Kernel SHAP with {budget} evaluations for M = {m}"),
                fallback: false,
            });
        }
        let why = if m > self.kernel_max_features {
            format!(
                "M = {m} > kernel_max_features = {}",
                self.kernel_max_features
            )
        } else {
            format!(
                "budget {budget} < {} needed by Kernel SHAP",
                KernelShap::min_budget(m)
            )
        };
        if budget >= PermutationShap::cost(m, 2) {
            return Ok(AutoPlan {
                choice: AutoChoice::Permutation(PermutationShap {
                    max_evals: Some(budget),
                    seed: self.seed,
                    ..PermutationShap::default()
                }),
                reason: format!("auto: {why}; fell back to permutation sampling"),
                fallback: true,
            });
        }
        if budget > m {
            return Ok(AutoPlan {
                choice: AutoChoice::Occlusion(Occlusion::default()),
                reason: format!(
                    "auto: {why} and budget {budget} < {} needed by two permutation pairs; \
                     fell back to occlusion (leave-one-out, not a Shapley estimate)",
                    PermutationShap::cost(m, 2)
                ),
                fallback: true,
            });
        }
        Err(ExplainError::BudgetTooSmall {
            method: Method::Shap,
            features: m,
            budget,
            required: m + 1,
        })
    }
}

impl Explainer for Auto {
    fn explain(&self, evaluator: &mut Evaluator<'_>) -> Result<Vec<Explanation>, ExplainError> {
        let plan = self.plan(evaluator.num_features())?;
        let mut explanations = match &plan.choice {
            AutoChoice::Exact(method) => method.explain(evaluator)?,
            AutoChoice::Owen(method) => method.explain(evaluator)?,
            AutoChoice::Kernel(method) => method.explain(evaluator)?,
            AutoChoice::Permutation(method) => method.explain(evaluator)?,
            AutoChoice::Occlusion(method) => method.explain(evaluator)?,
        };
        for e in &mut explanations {
            e.notes.insert(0, plan.reason.clone());
            if plan.fallback {
                e.fallback = Some(plan.reason.clone());
            }
        }
        Ok(explanations)
    }
}
