//! LIME with lime's text sampling, kernel and a weighted ridge surrogate.

use crate::Method;
use std::collections::HashMap;

use rand::seq::index;
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::error::ExplainError;
use crate::evaluator::Evaluator;
use crate::explainer::{rng, Explainer, Run};
use crate::explanation::{Explanation, LocalModel};
use crate::linalg::{factor_with_ridge_fallback, GramBuilder, Lu};
use crate::mask::Mask;

/// LIME (Ribeiro et al. 2016) as lime's `LimeTextExplainer` does it.
///
/// Sampling: the first sample is the full instance; every other sample removes k
/// features, k uniform in 1..=M, chosen uniformly without replacement. Distance to the
/// instance: cosine distance between the mask and the all-ones vector, × 100
/// (d = 100·(1 − √(|z|/M)); 100 for the empty mask). Sample weight:
/// √exp(−d²/`kernel_width`²). Surrogate: weighted ridge regression with intercept
/// (sklearn `Ridge(alpha)`), solved through the M×M normal equations; repeated masks
/// are merged by summing their weights, which gives the same fit.
///
/// With `num_features = Some(k)` lime's "highest_weights" selection is used: fit on
/// all features, keep the k largest |coefficients|, refit on those; the other features
/// get value 0. `base_value` is the surrogate's intercept and `local_model` reports
/// intercept, weighted R² (lime's `score`) and the prediction at x.
///
/// Features are abstract, so the same code explains words of a query or attributes of
/// a product (one mask bit per attribute, "absent" meaning whatever the model does for
/// a missing attribute). Note lime's *tabular* explainer uses a Euclidean distance and
/// width 0.75·√M instead; here the text kernel is used for every feature kind.
///
/// Cost: at most `num_samples` model evaluations, and never more than 2^M distinct
/// ones (6 features: ≤ 64), since repeated masks are evaluated once; O(num_samples·M²)
/// to build and O(M³) to solve the normal equations, hence the `max_features` cap.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lime {
    /// Perturbed samples including the instance itself (default 5000).
    pub num_samples: usize,
    /// Kernel width on the ×100 cosine distance (default 25, lime text).
    pub kernel_width: f64,
    /// Keep only the k highest-weight features (default `None` = all).
    pub num_features: Option<usize>,
    /// Ridge penalty (default 1.0, sklearn's `Ridge` default).
    pub alpha: f64,
    /// Refuse instances with more features than this (default 1024).
    pub max_features: usize,
    /// Seed of the ChaCha sampler (default 0).
    pub seed: u64,
}

impl Default for Lime {
    fn default() -> Self {
        Lime {
            num_samples: 5000,
            kernel_width: 25.0,
            num_features: None,
            alpha: 1.0,
            max_features: 1024,
            seed: 0,
        }
    }
}

impl Lime {
    fn validate(&self) -> Result<(), ExplainError> {
        if self.num_samples == 0 {
            return Err(ExplainError::invalid("num_samples", "must be at least 1"));
        }
        if !(self.kernel_width.is_finite() && self.kernel_width > 0.0) {
            return Err(ExplainError::invalid(
                "kernel_width",
                "must be finite and > 0",
            ));
        }
        if !(self.alpha.is_finite() && self.alpha >= 0.0) {
            return Err(ExplainError::invalid("alpha", "must be finite and >= 0"));
        }
        if self.num_features == Some(0) {
            return Err(ExplainError::invalid("num_features", "must be at least 1"));
        }
        Ok(())
    }

    /// lime's text kernel for a mask with `present` of `m` features.
    fn kernel(&self, present: usize, m: usize) -> f64 {
        let distance = 100.0 * (1.0 - (present as f64 / m as f64).sqrt());
        (-(distance * distance) / (self.kernel_width * self.kernel_width))
            .exp()
            .sqrt()
    }
}

impl Explainer for Lime {
    fn explain(&self, evaluator: &mut Evaluator<'_>) -> Result<Vec<Explanation>, ExplainError> {
        let run = Run::start(evaluator)?;
        self.validate()?;
        let m = evaluator.num_features();
        if m > self.max_features {
            return Err(ExplainError::TooManyFeatures {
                method: Method::Lime,
                features: m,
                max: self.max_features,
                hint: "use Occlusion or PermutationShap, or group features",
            });
        }
        let mut rng = rng(self.seed);
        let mut masks = Vec::with_capacity(self.num_samples);
        masks.push(Mask::full(m));
        for _ in 1..self.num_samples {
            let removed = rng.gen_range(1..=m);
            let mut mask = Mask::full(m);
            index::sample(&mut rng, m, removed)
                .into_iter()
                .for_each(|i| mask.set(i, false));
            masks.push(mask);
        }
        let scores = evaluator.evaluate(&masks)?;

        // Merge repeated masks (first-occurrence order keeps the fit deterministic).
        let mut position: HashMap<&Mask, usize> = HashMap::new();
        let mut samples = Samples::default();
        for (i, mask) in masks.iter().enumerate() {
            let w = self.kernel(mask.count(), m);
            let next = samples.rows.len();
            let d = *position.entry(mask).or_insert(next);
            if d == next {
                samples.rows.push(mask.present().collect());
                samples.first.push(i);
                samples.weights.push(w);
            } else {
                samples.weights[d] += w;
            }
        }

        let all: Vec<usize> = (0..m).collect();
        let full_fit = RidgeFit::new(&samples, &all, m, self.alpha)?;
        let mut explanations = run.blanks(evaluator, Method::Lime);
        for e in &mut explanations {
            let y: Vec<f64> = samples
                .first
                .iter()
                .map(|&i| scores.get(i, e.target))
                .collect();
            let selected = match self.num_features.filter(|&k| k < m) {
                Some(k) => {
                    let (coef, _) = full_fit.solve(&samples, &y);
                    let mut keep = top_by_magnitude(&coef, k);
                    keep.sort_unstable();
                    e.notes.push(format!(
                        "highest_weights: kept {k} of {m} features, others set to 0"
                    ));
                    Some(RidgeFit::new(&samples, &keep, m, self.alpha)?)
                }
                None => None,
            };
            let fit = selected.as_ref().unwrap_or(&full_fit);
            let (coef, intercept) = fit.solve(&samples, &y);
            for (&feature, &c) in fit.features.iter().zip(&coef) {
                e.values[feature] = c;
            }
            let score = fit.r2(&samples, &y, &coef, intercept);
            let fx = scores.get(0, e.target);
            e.base_value = Some(intercept);
            e.full_value = Some(fx);
            e.local_model = Some(LocalModel {
                intercept,
                score,
                prediction: intercept + coef.iter().sum::<f64>(),
            });
            if let Some(lambda) = fit.auto_ridge {
                e.notes.push(format!(
                    "singular normal equations; added ridge {lambda:.3e}"
                ));
            }
        }
        run.finish(evaluator, self, Some(self.seed), explanations)
    }
}

/// Distinct perturbed samples with merged weights.
#[derive(Default)]
struct Samples {
    /// Present features of each distinct mask.
    rows: Vec<Vec<usize>>,
    /// Index of each distinct mask's first occurrence among the requested masks.
    first: Vec<usize>,
    /// Summed kernel weight of each distinct mask.
    weights: Vec<f64>,
}

/// Weighted ridge regression with intercept on a subset of features, factorised once.
struct RidgeFit {
    /// Feature indices of the regression columns (ascending).
    features: Vec<usize>,
    /// Column of each feature, if selected.
    column: Vec<Option<usize>>,
    /// Weighted column means.
    means: Vec<f64>,
    total_weight: f64,
    lu: Lu,
    auto_ridge: Option<f64>,
}

impl RidgeFit {
    fn new(
        samples: &Samples,
        features: &[usize],
        m: usize,
        alpha: f64,
    ) -> Result<Self, ExplainError> {
        let k = features.len();
        let mut column = vec![None; m];
        for (c, &f) in features.iter().enumerate() {
            column[f] = Some(c);
        }
        let mut gram = GramBuilder::new(k);
        let mut sums = vec![0.0; k];
        let mut cols = Vec::with_capacity(k);
        for (row, &w) in samples.rows.iter().zip(&samples.weights) {
            cols.clear();
            cols.extend(row.iter().filter_map(|&f| column[f]));
            gram.add_row(&cols, w);
            cols.iter().for_each(|&c| sums[c] += w);
        }
        let total_weight: f64 = samples.weights.iter().sum();
        let means: Vec<f64> = sums.iter().map(|s| s / total_weight).collect();
        // Centred Gram matrix Σw(z−z̄)(z−z̄)ᵀ + αI.
        let mut a = gram.finish();
        for i in 0..k {
            for j in 0..k {
                a.add(i, j, -total_weight * means[i] * means[j]);
            }
        }
        a.add_to_diagonal(k, alpha);
        let (lu, auto_ridge) = factor_with_ridge_fallback(a, k)?;
        Ok(RidgeFit {
            features: features.to_vec(),
            column,
            means,
            total_weight,
            lu,
            auto_ridge,
        })
    }

    /// Coefficients and intercept for targets `y` (one per distinct sample).
    fn solve(&self, samples: &Samples, y: &[f64]) -> (Vec<f64>, f64) {
        let y_mean = weighted_mean(&samples.weights, y, self.total_weight);
        let mut rhs: Vec<f64> = self
            .means
            .iter()
            .map(|m| -self.total_weight * m * y_mean)
            .collect();
        for ((row, &w), &yi) in samples.rows.iter().zip(&samples.weights).zip(y) {
            for c in row.iter().filter_map(|&f| self.column[f]) {
                rhs[c] += w * yi;
            }
        }
        let coef = self.lu.solve(&rhs);
        let intercept = y_mean
            - self
                .means
                .iter()
                .zip(&coef)
                .map(|(m, c)| m * c)
                .sum::<f64>();
        (coef, intercept)
    }

    /// Weighted R² of the fit (sklearn's `score` with `sample_weight`).
    fn r2(&self, samples: &Samples, y: &[f64], coef: &[f64], intercept: f64) -> f64 {
        let y_mean = weighted_mean(&samples.weights, y, self.total_weight);
        let (mut ss_res, mut ss_tot) = (0.0, 0.0);
        for ((row, &w), &yi) in samples.rows.iter().zip(&samples.weights).zip(y) {
            let prediction = intercept
                + row
                    .iter()
                    .filter_map(|&f| self.column[f])
                    .map(|c| coef[c])
                    .sum::<f64>();
            ss_res += w * (yi - prediction).powi(2);
            ss_tot += w * (yi - y_mean).powi(2);
        }
        let negligible = 1e-24 * self.total_weight * (1.0 + y_mean * y_mean);
        if ss_tot > negligible {
            1.0 - ss_res / ss_tot
        } else if ss_res <= negligible {
            1.0
        } else {
            0.0
        }
    }
}

fn weighted_mean(weights: &[f64], y: &[f64], total: f64) -> f64 {
    weights.iter().zip(y).map(|(w, v)| w * v).sum::<f64>() / total
}

/// Indices of the `k` largest |values| (ties by index).
fn top_by_magnitude(values: &[f64], k: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[b].abs().total_cmp(&values[a].abs()).then(a.cmp(&b)));
    order.truncate(k);
    order
}
