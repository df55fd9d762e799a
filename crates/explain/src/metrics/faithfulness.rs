//! Faithfulness: does the model's output follow the attribution?
//!
//! All scores are of one target of a [`MaskedModel`](crate::MaskedModel), evaluated
//! through an [`Evaluator`], so masks are deduplicated and cached (run [`Occlusion`]
//! and this on the same evaluator and the leave-one-out masks are evaluated once).
//!
//! "Removing" a feature means clearing its mask bit: the removal operator is the
//! model's. A text model chooses deletion or a `[MASK]` token through the
//! [`MaskingStrategy`](crate::MaskingStrategy) it renders perturbed texts with, and the
//! scores below depend on that choice.
//!
//! [`Occlusion`]: crate::Occlusion

use std::time::Instant;

use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use super::rank::{importance_order, kendall_tau_b, ImportanceOrder};
use super::{check_finite, MeanStd};
use crate::error::ExplainError;
use crate::evaluator::Evaluator;
use crate::explainer::rng;
use crate::explanation::Explanation;
use crate::mask::Mask;

/// ERASER's bins for comprehensiveness and sufficiency: 1, 5, 10, 20 and 50 % of the
/// features (DeYoung et al. 2020, §4.2).
pub const ERASER_BINS: [f64; 5] = [1.0, 5.0, 10.0, 20.0, 50.0];

/// Features removed (deletion) or added (insertion) per point of a curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CurveStep {
    /// A fixed number of features per step (`Features(1)`: M + 1 points).
    Features(usize),
    /// ⌈fraction · M⌉ features per step (at least 1), for large M.
    Fraction(f64),
}

impl CurveStep {
    /// Features per step for M features.
    pub fn step_size(&self, num_features: usize) -> usize {
        match *self {
            CurveStep::Features(n) => n.max(1),
            CurveStep::Fraction(f) => ((f * num_features as f64).ceil() as usize).max(1),
        }
    }

    fn validate(&self) -> Result<(), ExplainError> {
        match *self {
            CurveStep::Features(0) => Err(ExplainError::invalid(
                "curve_step",
                "Features(n) needs n >= 1",
            )),
            CurveStep::Fraction(f) if !(f > 0.0 && f <= 1.0) => Err(ExplainError::invalid(
                "curve_step",
                format!("Fraction(f) needs 0 < f <= 1, got {f}"),
            )),
            _ => Ok(()),
        }
    }
}

/// Number of features in a bin of `percent` % of M: ⌈percent · M / 100⌉, at least 1
/// and at most M (a 1e-9 tolerance keeps exact products exact: 10 % of 30 is 3).
pub fn bin_size(percent: f64, num_features: usize) -> usize {
    let exact = percent * num_features as f64 / 100.0;
    ((exact - 1e-9).ceil().max(1.0) as usize).min(num_features.max(1))
}

/// Area under a curve by the trapezoid rule over the points' `fraction` (x ∈ [0, 1]).
pub fn trapezoid_auc(points: &[CurvePoint]) -> f64 {
    points
        .windows(2)
        .map(|w| (w[1].fraction - w[0].fraction) * (w[0].score + w[1].score) / 2.0)
        .sum()
}

/// Faithfulness metrics of an attribution for one target, beside a random baseline.
///
/// For the features ordered most important first (`order`; ties by lower index):
/// - comprehensiveness(k) = f(x) − f(x without the top k features) and
///   sufficiency(k) = f(x) − f(only the top k features), for k = [`bin_size`] of each
///   percentage in `bins_percent`; their AOPC is the mean over the bins (DeYoung et al.
///   2020, "ERASER", §4.2; the paper writes the normaliser as 1/(|B|+1), counting
///   the k = 0 bin whose value is 0, while its reference code averages over the bins,
///   as here). Higher comprehensiveness and lower sufficiency are better;
/// - the deletion curve f(x without the top j features) and the insertion curve
///   f(only the top j features), j = 0, s, 2s, …, M (s from `curve_step`), with x = j/M,
///   and the trapezoid area under each (Samek et al. 2017; Petsiuk et al. 2018,
///   "RISE"). A lower deletion and a higher insertion area are better;
/// - Kendall τ-b between the attribution and the leave-one-out effects
///   f(x) − f(x without i) (M + 1 evaluations, shared with [`Occlusion`](crate::Occlusion)).
///
/// The same metrics are computed for `random_baselines` uniformly random orders
/// (ChaCha seeded by `seed`; a random attribution gives feature at position p the
/// value M − p) and reported as mean and std, so a method no better than random shows.
///
/// Cost per order: 2·|bins| + 2·(M/s + 1) masks, at most; full and empty coalitions and
/// repeats are evaluated once. Random orders multiply this by 1 + `random_baselines`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Faithfulness {
    /// Bin sizes in percent of M (default [`ERASER_BINS`]); at least one, each in
    /// (0, 100].
    pub bins_percent: Vec<f64>,
    /// Curve resolution (default one feature per step; for M in the thousands use
    /// e.g. `Fraction(0.01)`, since every point is one masked evaluation).
    pub curve_step: CurveStep,
    /// Which features count as most important (default signed values).
    pub order: ImportanceOrder,
    /// Compute τ-b against leave-one-out effects (default `true`; M + 1 evaluations).
    pub leave_one_out: bool,
    /// Number of random orders in the baseline (default 10; 0 disables it).
    pub random_baselines: usize,
    /// Seed of the random orders (default 0).
    pub seed: u64,
}

impl Default for Faithfulness {
    fn default() -> Self {
        Faithfulness {
            bins_percent: ERASER_BINS.to_vec(),
            curve_step: CurveStep::Features(1),
            order: ImportanceOrder::Signed,
            leave_one_out: true,
            random_baselines: 10,
            seed: 0,
        }
    }
}

/// Comprehensiveness or sufficiency at one bin.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BinScore {
    /// The bin in percent of M.
    pub percent: f64,
    /// Features removed (comprehensiveness) or kept (sufficiency).
    pub features: usize,
    /// Model output on the perturbed input.
    pub masked_score: f64,
    /// f(x) − `masked_score`.
    pub value: f64,
}

/// One point of a deletion or insertion curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CurvePoint {
    /// Fraction of features removed (deletion) or present (insertion), j / M.
    pub fraction: f64,
    /// Number of features removed or present, j.
    pub features: usize,
    /// Model output.
    pub score: f64,
}

/// A deletion or insertion curve and its area.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Curve {
    /// Points by increasing `fraction`, from 0 to 1.
    pub points: Vec<CurvePoint>,
    /// Trapezoid area under the points.
    pub auc: f64,
}

/// The faithfulness metrics of one feature order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaithfulnessScores {
    /// Comprehensiveness per bin.
    pub comprehensiveness: Vec<BinScore>,
    /// Sufficiency per bin.
    pub sufficiency: Vec<BinScore>,
    /// Mean comprehensiveness over the bins.
    pub comprehensiveness_aopc: f64,
    /// Mean sufficiency over the bins.
    pub sufficiency_aopc: f64,
    /// Most-important-first deletion curve, from f(x) to f(∅).
    pub deletion: Curve,
    /// Most-important-first insertion curve, from f(∅) to f(x).
    pub insertion: Curve,
    /// Kendall τ-b with the leave-one-out effects (`None` if not computed or undefined).
    pub loo_kendall_tau_b: Option<f64>,
}

/// The metrics over random orders: mean and std per quantity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RandomBaseline {
    /// Number of random orders.
    pub permutations: usize,
    /// Their seed.
    pub seed: u64,
    /// Comprehensiveness per bin.
    pub comprehensiveness: Vec<MeanStd>,
    /// Sufficiency per bin.
    pub sufficiency: Vec<MeanStd>,
    /// Comprehensiveness AOPC.
    pub comprehensiveness_aopc: MeanStd,
    /// Sufficiency AOPC.
    pub sufficiency_aopc: MeanStd,
    /// Deletion area.
    pub deletion_auc: MeanStd,
    /// Insertion area.
    pub insertion_auc: MeanStd,
    /// Mean deletion curve (same x positions as the method's).
    pub deletion_curve: Vec<CurvePoint>,
    /// Mean insertion curve.
    pub insertion_curve: Vec<CurvePoint>,
    /// τ-b with the leave-one-out effects, over orders where it is defined.
    pub loo_kendall_tau_b: Option<MeanStd>,
}

/// Faithfulness of one attribution, beside the random baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaithfulnessReport {
    /// Method of the explanation (`"attribution"` for a plain vector).
    pub method: String,
    /// Explained target.
    pub target: usize,
    /// Its name, if the evaluator has target names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_name: Option<String>,
    /// Number of features M.
    pub num_features: usize,
    /// The configuration used.
    pub config: Faithfulness,
    /// f(x), all features present.
    pub full_value: f64,
    /// f(∅), all features removed.
    pub empty_value: f64,
    /// Leave-one-out effects f(x) − f(x without i), if computed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leave_one_out: Option<Vec<f64>>,
    /// The attribution's metrics.
    pub scores: FaithfulnessScores,
    /// The random orders' metrics (`None` when `random_baselines` is 0).
    pub random: Option<RandomBaseline>,
    /// Distinct model evaluations this computation made (cache hits excluded).
    pub model_evals: usize,
    /// Evaluations asked for, including cache hits.
    pub requested_evals: usize,
    /// Wall time in milliseconds.
    pub wall_time_ms: f64,
}

impl Faithfulness {
    /// Metrics of `explanation` (its values, for its target).
    pub fn evaluate_explanation(
        &self,
        evaluator: &mut Evaluator<'_>,
        explanation: &Explanation,
    ) -> Result<FaithfulnessReport, ExplainError> {
        let mut report = self.evaluate(evaluator, explanation.target, &explanation.values)?;
        report.method = explanation.method.to_string();
        Ok(report)
    }

    /// Metrics of a plain attribution vector (one value per feature) for `target`.
    pub fn evaluate(
        &self,
        evaluator: &mut Evaluator<'_>,
        target: usize,
        attribution: &[f64],
    ) -> Result<FaithfulnessReport, ExplainError> {
        let start = Instant::now();
        let before = evaluator.stats();
        let m = evaluator.num_features();
        self.validate(evaluator, target, attribution)?;

        let ends = evaluator.evaluate(&[Mask::full(m), Mask::empty(m)])?;
        let (full_value, empty_value) = (ends.get(0, target), ends.get(1, target));
        let leave_one_out = if self.leave_one_out {
            Some(leave_one_out(evaluator, target, full_value)?)
        } else {
            None
        };
        let tau = |values: &[f64]| match &leave_one_out {
            Some(loo) => kendall_tau_b(values, loo),
            None => Ok(None),
        };

        let order = importance_order(attribution, self.order);
        let scores = self.order_scores(evaluator, target, &order, full_value, tau(attribution)?)?;

        let mut random_runs = Vec::with_capacity(self.random_baselines);
        let mut rng = rng(self.seed);
        let mut permutation: Vec<usize> = (0..m).collect();
        for _ in 0..self.random_baselines {
            permutation.shuffle(&mut rng);
            let mut values = vec![0.0; m];
            for (position, &feature) in permutation.iter().enumerate() {
                values[feature] = (m - position) as f64;
            }
            let run =
                self.order_scores(evaluator, target, &permutation, full_value, tau(&values)?)?;
            random_runs.push(run);
        }

        let after = evaluator.stats();
        Ok(FaithfulnessReport {
            method: "attribution".to_string(),
            target,
            target_name: evaluator.target_name(target).map(str::to_string),
            num_features: m,
            config: self.clone(),
            full_value,
            empty_value,
            leave_one_out,
            scores,
            random: self.random_baseline(&random_runs),
            model_evals: after.evaluated - before.evaluated,
            requested_evals: after.requested - before.requested,
            wall_time_ms: start.elapsed().as_secs_f64() * 1e3,
        })
    }

    fn validate(
        &self,
        evaluator: &Evaluator<'_>,
        target: usize,
        attribution: &[f64],
    ) -> Result<(), ExplainError> {
        let m = evaluator.num_features();
        if m == 0 {
            return Err(ExplainError::NoFeatures);
        }
        if target >= evaluator.num_targets() {
            return Err(ExplainError::InvalidInput(format!(
                "target {target} out of range for {} targets",
                evaluator.num_targets()
            )));
        }
        if attribution.len() != m {
            return Err(ExplainError::InvalidInput(format!(
                "{} attributions for {m} features",
                attribution.len()
            )));
        }
        check_finite("attribution", attribution)?;
        if self.bins_percent.is_empty() {
            return Err(ExplainError::invalid(
                "bins_percent",
                "needs at least one bin",
            ));
        }
        if let Some(p) = self
            .bins_percent
            .iter()
            .find(|&&p| !(p > 0.0 && p <= 100.0))
        {
            return Err(ExplainError::invalid(
                "bins_percent",
                format!("each bin must be in (0, 100], got {p}"),
            ));
        }
        self.curve_step.validate()
    }

    /// Comprehensiveness, sufficiency and curves of one feature order.
    fn order_scores(
        &self,
        evaluator: &mut Evaluator<'_>,
        target: usize,
        order: &[usize],
        full_value: f64,
        loo_kendall_tau_b: Option<f64>,
    ) -> Result<FaithfulnessScores, ExplainError> {
        let m = order.len();
        let only_top = |k: usize| Mask::from_indices(m, &order[..k]);
        let bins: Vec<(f64, usize)> = self
            .bins_percent
            .iter()
            .map(|&p| (p, bin_size(p, m)))
            .collect();
        let positions = curve_positions(m, self.curve_step.step_size(m));

        let mut masks = Vec::with_capacity(2 * (bins.len() + positions.len()));
        for &(_, k) in &bins {
            let kept = only_top(k)?;
            masks.push(kept.complement());
            masks.push(kept);
        }
        for &j in &positions {
            masks.push(only_top(j)?.complement());
        }
        for &j in &positions {
            masks.push(only_top(j)?);
        }
        let scores = evaluator.evaluate(&masks)?;
        let score = |row: usize| scores.get(row, target);

        let bin_score = |b: usize, row: usize| {
            let (percent, features) = bins[b];
            BinScore {
                percent,
                features,
                masked_score: score(row),
                value: full_value - score(row),
            }
        };
        let comprehensiveness: Vec<BinScore> =
            (0..bins.len()).map(|b| bin_score(b, 2 * b)).collect();
        let sufficiency: Vec<BinScore> = (0..bins.len()).map(|b| bin_score(b, 2 * b + 1)).collect();
        let curve = |offset: usize| {
            let points: Vec<CurvePoint> = positions
                .iter()
                .enumerate()
                .map(|(p, &j)| CurvePoint {
                    fraction: j as f64 / m as f64,
                    features: j,
                    score: score(offset + p),
                })
                .collect();
            Curve {
                auc: trapezoid_auc(&points),
                points,
            }
        };
        Ok(FaithfulnessScores {
            comprehensiveness_aopc: mean_value(&comprehensiveness),
            sufficiency_aopc: mean_value(&sufficiency),
            comprehensiveness,
            sufficiency,
            deletion: curve(2 * bins.len()),
            insertion: curve(2 * bins.len() + positions.len()),
            loo_kendall_tau_b,
        })
    }

    /// Mean and std of the random orders' metrics; `None` without random orders.
    fn random_baseline(&self, runs: &[FaithfulnessScores]) -> Option<RandomBaseline> {
        let stat = |f: &dyn Fn(&FaithfulnessScores) -> f64| {
            MeanStd::of(&runs.iter().map(f).collect::<Vec<_>>())
        };
        let first = runs.first()?;
        let per_bin = |pick: fn(&FaithfulnessScores) -> &[BinScore]| {
            (0..pick(first).len())
                .map(|b| stat(&|r| pick(r)[b].value))
                .collect::<Option<Vec<_>>>()
        };
        let mean_curve = |pick: fn(&FaithfulnessScores) -> &Curve| {
            pick(first)
                .points
                .iter()
                .enumerate()
                .map(|(p, point)| CurvePoint {
                    score: runs.iter().map(|r| pick(r).points[p].score).sum::<f64>()
                        / runs.len() as f64,
                    ..*point
                })
                .collect()
        };
        let taus: Vec<f64> = runs.iter().filter_map(|r| r.loo_kendall_tau_b).collect();
        Some(RandomBaseline {
            permutations: runs.len(),
            seed: self.seed,
            comprehensiveness: per_bin(|r| &r.comprehensiveness)?,
            sufficiency: per_bin(|r| &r.sufficiency)?,
            comprehensiveness_aopc: stat(&|r| r.comprehensiveness_aopc)?,
            sufficiency_aopc: stat(&|r| r.sufficiency_aopc)?,
            deletion_auc: stat(&|r| r.deletion.auc)?,
            insertion_auc: stat(&|r| r.insertion.auc)?,
            deletion_curve: mean_curve(|r| &r.deletion),
            insertion_curve: mean_curve(|r| &r.insertion),
            loo_kendall_tau_b: MeanStd::of(&taus),
        })
    }
}

/// f(x) − f(x without i) for every feature i.
fn leave_one_out(
    evaluator: &mut Evaluator<'_>,
    target: usize,
    full_value: f64,
) -> Result<Vec<f64>, ExplainError> {
    let m = evaluator.num_features();
    let masks = (0..m)
        .map(|i| Mask::from_indices(m, &[i]).map(|only| only.complement()))
        .collect::<Result<Vec<_>, _>>()?;
    let scores = evaluator.evaluate(&masks)?;
    Ok((0..m).map(|i| full_value - scores.get(i, target)).collect())
}

/// 0, s, 2s, …, and M as the last position.
fn curve_positions(num_features: usize, step: usize) -> Vec<usize> {
    let mut positions: Vec<usize> = (0..num_features).step_by(step).collect();
    positions.push(num_features);
    positions
}

/// Mean of the bins' values (bins are validated non-empty).
fn mean_value(bins: &[BinScore]) -> f64 {
    bins.iter().map(|b| b.value).sum::<f64>() / bins.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_round_up_to_at_least_one_feature() {
        let sizes: Vec<usize> = ERASER_BINS.iter().map(|&p| bin_size(p, 4)).collect();
        assert_eq!(sizes, [1, 1, 1, 1, 2]);
        let sizes: Vec<usize> = ERASER_BINS.iter().map(|&p| bin_size(p, 30)).collect();
        assert_eq!(sizes, [1, 2, 3, 6, 15]);
        assert_eq!(bin_size(100.0, 7), 7);
        assert_eq!(bin_size(12.5, 8), 1);
        assert_eq!(bin_size(12.6, 8), 2);
    }

    #[test]
    fn curve_positions_end_at_m() {
        assert_eq!(curve_positions(3, 1), [0, 1, 2, 3]);
        assert_eq!(curve_positions(10, 4), [0, 4, 8, 10]);
        assert_eq!(curve_positions(8, 4), [0, 4, 8]);
        assert_eq!(CurveStep::Fraction(0.1).step_size(25), 3);
    }
}
