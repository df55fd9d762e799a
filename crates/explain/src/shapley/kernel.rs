//! Kernel SHAP: Shapley-kernel weighted least squares with exact efficiency.

use crate::Method;
use std::collections::HashMap;

use rand::seq::index;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::binomial;
use crate::error::ExplainError;
use crate::evaluator::Evaluator;
use crate::explainer::{rng, Explainer, Run};
use crate::explanation::Explanation;
use crate::linalg::{factor_with_ridge_fallback, GramBuilder, Matrix};
use crate::mask::Mask;

/// Kernel SHAP (Lundberg & Lee 2017), following shap's `KernelExplainer` sampler.
///
/// Coalitions are weighted by the Shapley kernel (M−1)/(C(M,|S|)·|S|·(M−|S|)). Subset
/// sizes are enumerated completely, smallest and largest first (sizes 1 and M−1, then 2
/// and M−2, …), while the budget covers them in expectation; the rest of the budget is
/// sampled from the remaining sizes in proportion to their kernel mass, each coalition
/// together with its complement (antithetic pairs), repeats adding weight instead of
/// evaluations. When 2^M ≤ `max_evals` every coalition is enumerated and the result is
/// exact. The weighted least squares is solved with the efficiency constraint
/// Σφ = f(x) − f(∅) enforced exactly (a bordered KKT system of size M+1, LU with
/// partial pivoting), factorised once for all targets.
///
/// Cost: at most `max_evals` model evaluations (sampled coalitions plus ∅ and x),
/// O(max_evals·M²) to build the normal equations and O(M³) to solve them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KernelShap {
    /// Total model evaluations, including the empty and full coalitions
    /// (default `None` = 2M + 2048, shap's "auto"). Must be at least
    /// 2 + min(2M, 2^M − 2).
    pub max_evals: Option<usize>,
    /// Ridge penalty λ·‖φ‖² added to the regression (default 0). If the normal
    /// equations are singular anyway, 1e-8 × their mean diagonal is added and noted.
    pub ridge: f64,
    /// Refuse instances with more features than this (default 1024).
    pub max_features: usize,
    /// Seed of the ChaCha sampler (default 0).
    pub seed: u64,
}

impl Default for KernelShap {
    fn default() -> Self {
        KernelShap {
            max_evals: None,
            ridge: 0.0,
            max_features: 1024,
            seed: 0,
        }
    }
}

impl KernelShap {
    /// The default budget for M features: 2M + 2048.
    pub fn default_budget(num_features: usize) -> usize {
        2 * num_features + 2048
    }

    /// Smallest accepted `max_evals` for M features: 2 + min(2M, 2^M − 2).
    pub fn min_budget(num_features: usize) -> usize {
        2 + (2 * num_features).min(coalition_space(num_features).unwrap_or(usize::MAX))
    }
}

/// Number of coalitions other than ∅ and the full one, if it fits.
fn coalition_space(m: usize) -> Option<usize> {
    (m < 63).then(|| (1usize << m) - 2)
}

impl Explainer for KernelShap {
    fn explain(&self, evaluator: &mut Evaluator<'_>) -> Result<Vec<Explanation>, ExplainError> {
        let run = Run::start(evaluator)?;
        let m = evaluator.num_features();
        if m > self.max_features {
            return Err(ExplainError::TooManyFeatures {
                method: Method::KernelShap,
                features: m,
                max: self.max_features,
                hint: "use PermutationShap or Occlusion",
            });
        }
        if !(self.ridge.is_finite() && self.ridge >= 0.0) {
            return Err(ExplainError::invalid("ridge", "must be finite and >= 0"));
        }
        let budget = self.max_evals.unwrap_or(Self::default_budget(m));
        let required = Self::min_budget(m);
        if budget < required {
            return Err(ExplainError::BudgetTooSmall {
                method: Method::KernelShap,
                features: m,
                budget,
                required,
            });
        }
        let space = coalition_space(m).unwrap_or(usize::MAX);
        let n_samples = (budget - 2).min(space);
        let mut design = sample_coalitions(m, n_samples, &mut rng(self.seed));
        let notes = design.describe(m, n_samples);

        let mut masks = vec![Mask::empty(m), Mask::full(m)];
        masks.append(&mut design.masks);
        let scores = evaluator.evaluate(&masks)?;
        let targets = evaluator.num_targets();

        // Normal equations A φ = b_t for y = f(z) − f(∅), bordered by Σφ = f(x) − f(∅).
        let mut gram = GramBuilder::new(m);
        let mut rhs = vec![vec![0.0; m]; targets];
        let mut present = Vec::with_capacity(m);
        for (k, (mask, &w)) in masks[2..].iter().zip(&design.weights).enumerate() {
            present.clear();
            present.extend(mask.present());
            gram.add_row(&present, w);
            for (t, b) in rhs.iter_mut().enumerate() {
                let y = scores.get(k + 2, t) - scores.get(0, t);
                for &i in &present {
                    b[i] += w * y;
                }
            }
        }
        let a = gram.finish();
        let mut kkt = Matrix::zeros(m + 1);
        for i in 0..m {
            for j in 0..m {
                kkt.set(i, j, a.get(i, j));
            }
            kkt.set(i, m, 1.0);
            kkt.set(m, i, 1.0);
        }
        kkt.add_to_diagonal(m, self.ridge);
        let (lu, auto_ridge) = factor_with_ridge_fallback(kkt, m)?;

        let mut notes = vec![notes];
        if self.ridge > 0.0 {
            notes.push(format!(
                "ridge {} shrinks the least-squares solution",
                self.ridge
            ));
        }
        if let Some(lambda) = auto_ridge {
            notes.push(format!(
                "normal equations singular (too few distinct coalitions for {m} features); \
                 added ridge {lambda:.3e}"
            ));
        }
        let mut explanations = run.blanks(evaluator, Method::KernelShap);
        for (e, b) in explanations.iter_mut().zip(rhs) {
            let (base, full) = (scores.get(0, e.target), scores.get(1, e.target));
            let mut system = b;
            system.push(full - base);
            let solution = lu.solve(&system);
            e.values.copy_from_slice(&solution[..m]);
            e.base_value = Some(base);
            e.full_value = Some(full);
            e.notes.clone_from(&notes);
        }
        run.finish(evaluator, self, Some(self.seed), explanations)
    }
}

/// Weighted coalitions for the regression (∅ and the full coalition excluded).
struct Design {
    masks: Vec<Mask>,
    weights: Vec<f64>,
    /// Number of subset-size pairs (s, M−s) enumerated completely.
    full_sizes: usize,
    /// Whether every coalition was enumerated.
    exhaustive: bool,
}

impl Design {
    fn describe(&self, m: usize, n_samples: usize) -> String {
        if self.exhaustive {
            format!("all {n_samples} proper coalitions enumerated: exact Shapley values")
        } else if self.full_sizes == 0 {
            format!("{} distinct coalitions, all sampled", self.masks.len())
        } else {
            format!(
                "{} distinct coalitions; sizes 1..={k} and {}..={} enumerated, the rest sampled",
                self.masks.len(),
                m - self.full_sizes,
                m - 1,
                k = self.full_sizes
            )
        }
    }
}

/// shap's coalition sampler with antithetic pairs; see [`KernelShap`].
fn sample_coalitions(m: usize, n_samples: usize, rng: &mut ChaCha8Rng) -> Design {
    let mut design = Design {
        masks: Vec::new(),
        weights: Vec::new(),
        full_sizes: 0,
        exhaustive: true,
    };
    if m < 2 {
        return design;
    }
    // Buckets s = 1..=M/2; a bucket holds sizes s and M−s (one size when s = M−s).
    let num_sizes = m / 2;
    let paired = |s: usize| s < m - s;
    let mut bucket_mass: Vec<f64> = (1..=num_sizes)
        .map(|s| {
            let w = (m - 1) as f64 / (s * (m - s)) as f64;
            if paired(s) {
                2.0 * w
            } else {
                w
            }
        })
        .collect();
    let total: f64 = bucket_mass.iter().sum();
    bucket_mass.iter_mut().for_each(|w| *w /= total);

    let mut samples_left = n_samples;
    let mut remaining = bucket_mass.clone();
    for s in 1..=num_sizes {
        let count = binomial(m, s) * if paired(s) { 2.0 } else { 1.0 };
        if samples_left as f64 * remaining[s - 1] / count < 1.0 - 1e-8 {
            break;
        }
        design.full_sizes = s;
        samples_left = samples_left.saturating_sub(count as usize);
        let done = remaining[s - 1];
        if done < 1.0 {
            remaining.iter_mut().for_each(|r| *r /= 1.0 - done);
        }
        let w = bucket_mass[s - 1] / binomial(m, s) / if paired(s) { 2.0 } else { 1.0 };
        for_each_combination(m, s, |members| {
            let mut mask = Mask::empty(m);
            members.iter().for_each(|&i| mask.set(i, true));
            if paired(s) {
                design.masks.push(mask.complement());
                design.weights.push(w);
            }
            design.masks.push(mask);
            design.weights.push(w);
        });
    }
    if design.full_sizes == num_sizes {
        return design;
    }
    design.exhaustive = false;

    // Sample the remaining buckets in proportion to their mass; each draw adds a
    // coalition and its complement, so both sides of a bucket get equal counts.
    let rest = &bucket_mass[design.full_sizes..];
    let weight_left: f64 = rest.iter().sum();
    let mut cumulative = Vec::with_capacity(rest.len());
    let mut acc = 0.0;
    for w in rest {
        acc += w / weight_left;
        cumulative.push(acc);
    }
    let first_sampled = design.masks.len();
    let mut seen: HashMap<Mask, usize> = HashMap::new();
    let mut add = |mask: Mask, design: &mut Design, samples_left: &mut usize| {
        if let Some(&k) = seen.get(&mask) {
            design.weights[k] += 1.0;
        } else if *samples_left > 0 {
            *samples_left -= 1;
            seen.insert(mask.clone(), design.masks.len());
            design.masks.push(mask);
            design.weights.push(1.0);
        }
    };
    let max_draws = 4 * samples_left + 64;
    for _ in 0..max_draws {
        if samples_left == 0 {
            break;
        }
        let u: f64 = rng.gen();
        let bucket = cumulative
            .iter()
            .position(|&c| u < c)
            .unwrap_or(rest.len() - 1);
        let size = design.full_sizes + 1 + bucket;
        let mut mask = Mask::empty(m);
        index::sample(rng, m, size)
            .into_iter()
            .for_each(|i| mask.set(i, true));
        let complement = mask.complement();
        add(mask, &mut design, &mut samples_left);
        add(complement, &mut design, &mut samples_left);
    }
    let counted: f64 = design.weights[first_sampled..].iter().sum();
    if counted > 0.0 {
        let scale = weight_left / counted;
        design.weights[first_sampled..]
            .iter_mut()
            .for_each(|w| *w *= scale);
    }
    design
}

/// Calls `f` with every k-subset of 0..n in lexicographic order.
fn for_each_combination(n: usize, k: usize, mut f: impl FnMut(&[usize])) {
    if k > n {
        return;
    }
    let mut idx: Vec<usize> = (0..k).collect();
    loop {
        f(&idx);
        // Rightmost position that can still move right.
        let Some(i) = (0..k).rev().find(|&i| idx[i] < n - k + i) else {
            return;
        };
        idx[i] += 1;
        for j in i + 1..k {
            idx[j] = idx[j - 1] + 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combinations_are_complete_and_ordered() {
        let mut all = Vec::new();
        for_each_combination(4, 2, |c| all.push(c.to_vec()));
        assert_eq!(
            all,
            vec![
                vec![0, 1],
                vec![0, 2],
                vec![0, 3],
                vec![1, 2],
                vec![1, 3],
                vec![2, 3]
            ]
        );
        let mut count = 0;
        for_each_combination(5, 0, |_| count += 1);
        assert_eq!(count, 1, "one empty subset");
    }

    #[test]
    fn design_weights_sum_to_one_and_enumeration_is_exhaustive_when_budget_allows() {
        let mut r = rng(1);
        let full = sample_coalitions(6, 62, &mut r);
        assert!(full.exhaustive);
        assert_eq!(full.masks.len(), 62);
        let total: f64 = full.weights.iter().sum();
        assert!((total - 1.0).abs() < 1e-12, "{total}");

        let sampled = sample_coalitions(16, 300, &mut r);
        assert!(!sampled.exhaustive);
        assert!(sampled.masks.len() <= 300);
        assert_eq!(sampled.full_sizes, 1, "sizes 1 and 15 fit in 300 samples");
        let total: f64 = sampled.weights.iter().sum();
        assert!((total - 1.0).abs() < 1e-12, "{total}");
    }

    #[test]
    fn design_weight_per_size_follows_the_shapley_kernel() {
        // Kernel mass of coalition size s: (M−1)/(s(M−s)), normalised over 1..M−1.
        let m = 16;
        let mass: Vec<f64> = (1..m)
            .map(|s| (m - 1) as f64 / (s * (m - s)) as f64)
            .collect();
        let total: f64 = mass.iter().sum();
        let design = sample_coalitions(m, 6000, &mut rng(3));
        let mut by_size = vec![0.0; m];
        for (mask, w) in design.masks.iter().zip(&design.weights) {
            by_size[mask.count()] += w;
        }
        assert_eq!(design.full_sizes, 3, "sizes 1-3 and 13-15 fit in 6000");
        for s in 1..m {
            let want = mass[s - 1] / total;
            let got = by_size[s];
            let enumerated = s <= 3 || s >= m - 3;
            let tolerance = if enumerated { 1e-12 } else { 0.1 * want };
            assert!((got - want).abs() <= tolerance, "size {s}: {got} vs {want}");
        }
    }
}
