//! How well a result matches, in words: strong, partial or weak, from the learned
//! ranker's predicted gain, with thresholds calibrated on held-out judgements.
//!
//! Calibration reads the results as shown (each query's top ten), judged or not. An
//! unjudged result counts as not relevant, as nDCG counts it, so each label's precision
//! is a lower bound: on sparse judgements (Home Depot judges about six products a query)
//! a strong label's true precision is higher.

use serde::{Deserialize, Serialize};

/// How well a result matches the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MatchStrength {
    /// Most results this strong were judged relevant.
    Strong,
    /// Between strong and weak.
    Partial,
    /// Most results this weak were judged irrelevant: the catalog has nothing closer.
    Weak,
}

impl std::fmt::Display for MatchStrength {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            MatchStrength::Strong => "strong",
            MatchStrength::Partial => "partial",
            MatchStrength::Weak => "weak",
        })
    }
}

/// Judged gain at and above which a result counts as relevant (relevance 2 of 3 on the
/// Home Depot scale).
pub const RELEVANT_GAIN: f64 = 1.0;

/// Share of results judged relevant that the strong label promises, at least (a lower
/// bound of the true share, see the module docs).
pub const STRONG_PRECISION: f64 = 0.5;

/// Share of results judged relevant below which the weak label starts.
pub const WEAK_PRECISION: f64 = 0.1;

/// Fewest judged results a label's precision is measured on.
pub const MIN_SUPPORT: usize = 30;

/// The label thresholds on the predicted gain, and the precision each label had where
/// they were calibrated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StrengthThresholds {
    /// Predicted gain at and above which a result is strong.
    pub strong: f64,
    /// Predicted gain below which a result is weak.
    pub weak: f64,
    /// Precision (share judged relevant) and support of each label, strong first.
    pub precision: [LabelPrecision; 3],
}

/// One label's precision on the calibration results.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LabelPrecision {
    /// The label.
    pub label: MatchStrength,
    /// Share of its results judged relevant (gain ≥ [`RELEVANT_GAIN`]); unjudged results
    /// count as not relevant, so this is a lower bound.
    pub precision: f64,
    /// Share of its judged results that are relevant.
    pub judged_precision: f64,
    /// Results it got.
    pub support: usize,
    /// Of which judged.
    pub judged: usize,
}

impl StrengthThresholds {
    /// The label of a predicted gain.
    pub fn label(&self, predicted: f64) -> MatchStrength {
        if predicted >= self.strong {
            MatchStrength::Strong
        } else if predicted < self.weak {
            MatchStrength::Weak
        } else {
            MatchStrength::Partial
        }
    }

    /// Calibrates on (predicted gain, judged gain) pairs, `None` for unjudged results:
    /// `strong` is the lowest predicted gain above which at least [`STRONG_PRECISION`] of
    /// the results are relevant, `weak` the highest below which fewer than
    /// [`WEAK_PRECISION`] are (each over at least [`MIN_SUPPORT`] results). `None` when
    /// there are too few pairs.
    pub fn calibrate(pairs: &[(f64, Option<f64>)]) -> Option<Self> {
        let mut sorted: Vec<(f64, bool)> = pairs
            .iter()
            .filter(|(p, _)| p.is_finite())
            .map(|&(p, g)| (p, relevant(g)))
            .collect();
        if sorted.len() < 2 * MIN_SUPPORT {
            return None;
        }
        sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
        let n = sorted.len();
        // relevant_below[i]: relevant results among the i lowest.
        let mut relevant_below = vec![0usize; n + 1];
        for (i, &(_, relevant)) in sorted.iter().enumerate() {
            relevant_below[i + 1] = relevant_below[i] + usize::from(relevant);
        }
        let share = |relevant: usize, count: usize| relevant as f64 / count.max(1) as f64;
        // Strong: the first cut (lowest threshold) whose top part is precise enough.
        let strong_cut = (0..=n - MIN_SUPPORT)
            .find(|&i| share(relevant_below[n] - relevant_below[i], n - i) >= STRONG_PRECISION)
            .unwrap_or(n);
        // Weak: the last cut below the strong one whose bottom part is imprecise enough.
        let weak_cut = (MIN_SUPPORT..=strong_cut)
            .rev()
            .find(|&i| share(relevant_below[i], i) < WEAK_PRECISION)
            .unwrap_or(0);
        let threshold = |cut: usize| {
            if cut >= n {
                f64::INFINITY
            } else if cut == 0 {
                f64::NEG_INFINITY
            } else {
                sorted[cut].0
            }
        };
        let mut thresholds = Self {
            strong: threshold(strong_cut),
            weak: threshold(weak_cut),
            precision: [MatchStrength::Strong; 3].map(|label| LabelPrecision {
                label,
                precision: 0.0,
                judged_precision: 0.0,
                support: 0,
                judged: 0,
            }),
        };
        thresholds.precision = thresholds.measure(pairs);
        Some(thresholds)
    }

    /// Each label's precision on (predicted gain, judged gain or `None`) pairs.
    pub fn measure(&self, pairs: &[(f64, Option<f64>)]) -> [LabelPrecision; 3] {
        [
            MatchStrength::Strong,
            MatchStrength::Partial,
            MatchStrength::Weak,
        ]
        .map(|label| {
            let mine: Vec<Option<f64>> = pairs
                .iter()
                .filter(|(p, _)| self.label(*p) == label)
                .map(|&(_, g)| g)
                .collect();
            let relevant = mine.iter().filter(|g| relevant(**g)).count() as f64;
            let judged = mine.iter().filter(|g| g.is_some()).count();
            LabelPrecision {
                label,
                precision: relevant / mine.len().max(1) as f64,
                judged_precision: relevant / judged.max(1) as f64,
                support: mine.len(),
                judged,
            }
        })
    }
}

/// Whether a judged gain is relevant; unjudged counts as not.
fn relevant(gain: Option<f64>) -> bool {
    gain.is_some_and(|g| g >= RELEVANT_GAIN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_separate_mostly_relevant_from_mostly_irrelevant_results() {
        // Predicted gains 0..3; relevant exactly when the prediction is at least 2, and
        // below 1 also unjudged.
        let pairs: Vec<(f64, Option<f64>)> = (0..300)
            .map(|i| {
                let p = f64::from(i) / 100.0;
                let gain = if p >= 2.0 { 2.0 } else { 0.0 };
                (p, (p >= 1.0).then_some(gain))
            })
            .collect();
        let t = StrengthThresholds::calibrate(&pairs).expect("enough pairs");
        assert_eq!(t.label(2.9), MatchStrength::Strong);
        assert_eq!(t.label(0.1), MatchStrength::Weak);
        let [strong, _, weak] = t.precision;
        assert!(strong.precision >= STRONG_PRECISION, "{strong:?}");
        assert!(weak.precision < WEAK_PRECISION, "{weak:?}");
        assert_eq!(
            t.precision.iter().map(|p| p.support).sum::<usize>(),
            pairs.len()
        );
        // Too few pairs give no thresholds.
        assert!(StrengthThresholds::calibrate(&pairs[..10]).is_none());
    }
}
