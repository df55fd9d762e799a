//! Faithfulness per instance (ERASER comprehensiveness and sufficiency, deletion and
//! insertion curves, τ-b against leave-one-out) and its average over instances, each
//! method beside the random-attribution baseline.

use daogou_explain::metrics::faithfulness::{Curve, CurvePoint};
use daogou_explain::metrics::{FaithfulnessReport, MeanStd, RandomBaseline};
use serde::Serialize;

/// Name of the random-attribution baseline in tables.
pub const RANDOM: &str = "random";

/// Points of the averaged curves: fractions 0, 0.05, …, 1 of the features.
const GRID_POINTS: usize = 21;

/// Faithfulness of one attribution (or of the random baseline's mean) on one instance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FaithfulnessScores {
    /// Comprehensiveness per bin (ERASER's 1, 5, 10, 20, 50 %).
    pub comprehensiveness: Vec<f64>,
    /// Sufficiency per bin.
    pub sufficiency: Vec<f64>,
    /// Mean comprehensiveness over the bins (higher is better).
    pub comprehensiveness_aopc: f64,
    /// Mean sufficiency over the bins (lower is better).
    pub sufficiency_aopc: f64,
    /// Area under the deletion curve (lower is better).
    pub deletion_auc: f64,
    /// Area under the insertion curve (higher is better).
    pub insertion_auc: f64,
    /// Kendall τ-b with the leave-one-out effects.
    pub loo_kendall_tau_b: Option<f64>,
    /// Deletion curve: (fraction of features removed, score); left out of the JSON
    /// (the averaged curves are in it).
    #[serde(skip)]
    pub deletion_curve: Vec<[f64; 2]>,
    /// Insertion curve: (fraction of features present, score); left out of the JSON.
    #[serde(skip)]
    pub insertion_curve: Vec<[f64; 2]>,
}

impl FaithfulnessScores {
    /// The attribution's scores from a report.
    pub fn of_method(report: &FaithfulnessReport) -> Self {
        let s = &report.scores;
        Self {
            comprehensiveness: s.comprehensiveness.iter().map(|b| b.value).collect(),
            sufficiency: s.sufficiency.iter().map(|b| b.value).collect(),
            comprehensiveness_aopc: s.comprehensiveness_aopc,
            sufficiency_aopc: s.sufficiency_aopc,
            deletion_auc: s.deletion.auc,
            insertion_auc: s.insertion.auc,
            loo_kendall_tau_b: s.loo_kendall_tau_b,
            deletion_curve: points(&s.deletion),
            insertion_curve: points(&s.insertion),
        }
    }

    /// The random baseline's mean scores.
    pub fn of_random(random: &RandomBaseline) -> Self {
        let curve = |p: &[CurvePoint]| p.iter().map(|p| [p.fraction, p.score]).collect();
        Self {
            comprehensiveness: random.comprehensiveness.iter().map(|m| m.mean).collect(),
            sufficiency: random.sufficiency.iter().map(|m| m.mean).collect(),
            comprehensiveness_aopc: random.comprehensiveness_aopc.mean,
            sufficiency_aopc: random.sufficiency_aopc.mean,
            deletion_auc: random.deletion_auc.mean,
            insertion_auc: random.insertion_auc.mean,
            loo_kendall_tau_b: random.loo_kendall_tau_b.map(|m| m.mean),
            deletion_curve: curve(&random.deletion_curve),
            insertion_curve: curve(&random.insertion_curve),
        }
    }
}

fn points(curve: &Curve) -> Vec<[f64; 2]> {
    curve.points.iter().map(|p| [p.fraction, p.score]).collect()
}

/// Faithfulness of one method averaged over instances.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MethodFaithfulness {
    /// Method name, or [`RANDOM`].
    pub method: String,
    /// Instances averaged.
    pub instances: usize,
    /// The bins in percent of the features.
    pub bins_percent: Vec<f64>,
    /// Mean comprehensiveness per bin.
    pub comprehensiveness: Vec<f64>,
    /// Mean sufficiency per bin.
    pub sufficiency: Vec<f64>,
    /// Comprehensiveness AOPC.
    pub comprehensiveness_aopc: MeanStd,
    /// Sufficiency AOPC.
    pub sufficiency_aopc: MeanStd,
    /// Deletion area.
    pub deletion_auc: MeanStd,
    /// Insertion area.
    pub insertion_auc: MeanStd,
    /// τ-b with leave-one-out, over instances where it is defined.
    pub loo_kendall_tau_b: Option<MeanStd>,
    /// Instances whose comprehensiveness AOPC is above the random baseline's mean.
    pub beats_random: usize,
    /// Mean deletion curve, each instance's curve linearly interpolated at 21 fractions.
    pub deletion_curve: Vec<[f64; 2]>,
    /// Mean insertion curve, likewise.
    pub insertion_curve: Vec<[f64; 2]>,
}

/// Averages `scores` (one per instance, paired with the random baseline's) of `method`.
/// `None` when there are no instances.
pub fn average(
    method: &str,
    bins_percent: &[f64],
    scores: &[(&FaithfulnessScores, &FaithfulnessScores)],
) -> Option<MethodFaithfulness> {
    let stat = |f: fn(&FaithfulnessScores) -> f64| {
        MeanStd::of(&scores.iter().map(|(s, _)| f(s)).collect::<Vec<_>>())
    };
    let per_bin = |f: fn(&FaithfulnessScores) -> &[f64]| -> Vec<f64> {
        (0..bins_percent.len())
            .map(|b| mean(scores.iter().filter_map(|(s, _)| f(s).get(b).copied())))
            .collect()
    };
    let taus: Vec<f64> = scores
        .iter()
        .filter_map(|(s, _)| s.loo_kendall_tau_b)
        .collect();
    Some(MethodFaithfulness {
        method: method.to_string(),
        instances: scores.len(),
        bins_percent: bins_percent.to_vec(),
        comprehensiveness: per_bin(|s| &s.comprehensiveness),
        sufficiency: per_bin(|s| &s.sufficiency),
        comprehensiveness_aopc: stat(|s| s.comprehensiveness_aopc)?,
        sufficiency_aopc: stat(|s| s.sufficiency_aopc)?,
        deletion_auc: stat(|s| s.deletion_auc)?,
        insertion_auc: stat(|s| s.insertion_auc)?,
        loo_kendall_tau_b: MeanStd::of(&taus),
        beats_random: scores
            .iter()
            .filter(|(s, r)| s.comprehensiveness_aopc > r.comprehensiveness_aopc)
            .count(),
        deletion_curve: mean_curve(scores.iter().map(|(s, _)| &s.deletion_curve[..])),
        insertion_curve: mean_curve(scores.iter().map(|(s, _)| &s.insertion_curve[..])),
    })
}

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    if n == 0 {
        0.0
    } else {
        sum / n as f64
    }
}

/// The mean of curves interpolated at [`GRID_POINTS`] evenly spaced fractions.
fn mean_curve<'c>(curves: impl Iterator<Item = &'c [[f64; 2]]> + Clone) -> Vec<[f64; 2]> {
    (0..GRID_POINTS)
        .map(|i| {
            let x = i as f64 / (GRID_POINTS - 1) as f64;
            [x, mean(curves.clone().filter_map(|c| interpolate(c, x)))]
        })
        .collect()
}

/// The curve's value at `x` by linear interpolation between its points (sorted by x).
fn interpolate(curve: &[[f64; 2]], x: f64) -> Option<f64> {
    let upper = curve.iter().position(|p| p[0] >= x)?;
    let hi = curve[upper];
    match upper.checked_sub(1).map(|i| curve[i]) {
        Some(lo) if hi[0] > lo[0] => Some(lo[1] + (hi[1] - lo[1]) * (x - lo[0]) / (hi[0] - lo[0])),
        _ => Some(hi[1]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curves_are_interpolated_between_points() {
        let curve = [[0.0, 1.0], [0.5, 0.0], [1.0, 0.5]];
        assert_eq!(interpolate(&curve, 0.0), Some(1.0));
        assert_eq!(interpolate(&curve, 0.25), Some(0.5));
        assert_eq!(interpolate(&curve, 0.75), Some(0.25));
        assert_eq!(interpolate(&curve, 1.0), Some(0.5));
        let mean = mean_curve([&curve[..], &[[0.0, 0.0], [1.0, 0.0]][..]].into_iter());
        assert_eq!(mean.len(), GRID_POINTS);
        assert_eq!(mean[0], [0.0, 0.5]);
        assert_eq!(mean[GRID_POINTS - 1], [1.0, 0.25]);
    }
}
