//! Permutation-sampling Shapley values with antithetic permutations.

use crate::Method;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use crate::error::ExplainError;
use crate::evaluator::Evaluator;
use crate::explainer::{rng, Explainer, Run};
use crate::explanation::Explanation;
use crate::mask::Mask;

/// Masks per evaluator call, so memory stays bounded for large M.
const MASKS_PER_CALL: usize = 1 << 15;

/// Shapley values estimated from random feature orderings (Castro et al. 2009), each
/// ordering walked forwards and backwards (antithetic pair, like shap's
/// `PermutationExplainer`). A pair's estimate is the mean of its two marginal
/// contributions; `values` is the mean over pairs and `std_errors` their standard
/// error (sample std / √n, present when n ≥ 2). Efficiency holds exactly.
///
/// Cost: 2 + n·2(M−1) model evaluations for n pairs (fewer when coalitions repeat).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PermutationShap {
    /// Number of antithetic permutation pairs n (default 10).
    pub n_permutations: usize,
    /// If set, overrides `n_permutations` with the most pairs that fit:
    /// n = (max_evals − 2) / (2(M−1)).
    pub max_evals: Option<usize>,
    /// Seed of the ChaCha sampler (default 0).
    pub seed: u64,
}

impl Default for PermutationShap {
    fn default() -> Self {
        PermutationShap {
            n_permutations: 10,
            max_evals: None,
            seed: 0,
        }
    }
}

impl PermutationShap {
    /// Model evaluations needed for `pairs` antithetic pairs over M features.
    pub fn cost(num_features: usize, pairs: usize) -> usize {
        pairs
            .saturating_mul(2 * num_features.saturating_sub(1))
            .saturating_add(2)
    }
}

/// Running mean and variance (Welford).
#[derive(Clone, Copy, Default)]
struct Moments {
    n: f64,
    mean: f64,
    m2: f64,
}

impl Moments {
    fn push(&mut self, x: f64) {
        self.n += 1.0;
        let delta = x - self.mean;
        self.mean += delta / self.n;
        self.m2 += delta * (x - self.mean);
    }

    fn std_error(&self) -> f64 {
        (self.m2 / (self.n - 1.0) / self.n).max(0.0).sqrt()
    }
}

impl Explainer for PermutationShap {
    fn explain(&self, evaluator: &mut Evaluator<'_>) -> Result<Vec<Explanation>, ExplainError> {
        let run = Run::start(evaluator)?;
        let m = evaluator.num_features();
        let pairs = match self.max_evals {
            Some(budget) if m > 1 => (budget.saturating_sub(2)) / (2 * (m - 1)),
            _ => self.n_permutations,
        };
        if pairs == 0 {
            return Err(match self.max_evals {
                Some(budget) => ExplainError::BudgetTooSmall {
                    method: Method::PermutationShap,
                    features: m,
                    budget,
                    required: Self::cost(m, 1),
                },
                None => ExplainError::invalid("n_permutations", "must be at least 1"),
            });
        }

        let ends = evaluator.evaluate(&[Mask::empty(m), Mask::full(m)])?;
        let targets = evaluator.num_targets();
        let mut moments = vec![vec![Moments::default(); m]; targets];
        let mut rng = rng(self.seed);
        let per_call = (MASKS_PER_CALL / (2 * m)).max(1);
        let mut estimate = vec![0.0; m];
        let mut done = 0;
        while done < pairs {
            let batch = per_call.min(pairs - done);
            let orders: Vec<Vec<usize>> = (0..batch)
                .map(|_| {
                    let mut order: Vec<usize> = (0..m).collect();
                    order.shuffle(&mut rng);
                    order
                })
                .collect();
            let masks: Vec<Mask> = orders
                .iter()
                .flat_map(|order| {
                    let backward: Vec<usize> = order.iter().rev().copied().collect();
                    let mut masks = prefixes(m, order);
                    masks.extend(prefixes(m, &backward));
                    masks
                })
                .collect();
            let scores = evaluator.evaluate(&masks)?;
            for (p, order) in orders.iter().enumerate() {
                let offset = p * 2 * (m - 1);
                for (t, target_moments) in moments.iter_mut().enumerate() {
                    estimate.iter_mut().for_each(|v| *v = 0.0);
                    // Value after adding the first k+1 features of a walk.
                    let walk_value = |walk: usize, k: usize| {
                        if k + 1 == m {
                            ends.get(1, t)
                        } else {
                            scores.get(offset + walk * (m - 1) + k, t)
                        }
                    };
                    for walk in 0..2 {
                        let mut previous = ends.get(0, t);
                        for k in 0..m {
                            let feature = if walk == 0 {
                                order[k]
                            } else {
                                order[m - 1 - k]
                            };
                            let current = walk_value(walk, k);
                            estimate[feature] += 0.5 * (current - previous);
                            previous = current;
                        }
                    }
                    for (acc, &x) in target_moments.iter_mut().zip(&estimate) {
                        acc.push(x);
                    }
                }
            }
            done += batch;
        }

        let mut explanations = run.blanks(evaluator, Method::PermutationShap);
        for (e, target_moments) in explanations.iter_mut().zip(&moments) {
            for (v, acc) in e.values.iter_mut().zip(target_moments) {
                *v = acc.mean;
            }
            if pairs >= 2 {
                e.std_errors = Some(target_moments.iter().map(Moments::std_error).collect());
            } else {
                e.notes
                    .push("one permutation pair: no standard errors".to_string());
            }
            e.base_value = Some(ends.get(0, e.target));
            e.full_value = Some(ends.get(1, e.target));
            e.notes
                .push(format!("{pairs} antithetic permutation pairs"));
        }
        run.finish(evaluator, self, Some(self.seed), explanations)
    }
}

/// Coalitions of the first 1..M−1 features of `order` (∅ and the full set excluded).
fn prefixes(m: usize, order: &[usize]) -> Vec<Mask> {
    let mut mask = Mask::empty(m);
    order[..m - 1]
        .iter()
        .map(|&i| {
            mask.set(i, true);
            mask.clone()
        })
        .collect()
}
