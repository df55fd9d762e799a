//! Whether a difference in mean per-query scores is real: percentile-bootstrap confidence
//! intervals (Efron & Tibshirani 1993) and the paired randomization test of IR evaluation
//! (Smucker, Allan & Carterette 2007). Both are seeded: the same seed, the same answer.

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::error::ExplainError;
use crate::explainer::rng;

/// A mean and its 95% percentile-bootstrap confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// The mean of the values.
    pub mean: f64,
    /// 2.5th percentile of the resampled means.
    pub low: f64,
    /// 97.5th percentile of the resampled means.
    pub high: f64,
}

/// One system against another on the same queries.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PairedComparison {
    /// Mean per-query difference (first − second) with its 95% bootstrap interval.
    pub difference: Interval,
    /// Two-sided p-value of the paired randomization (sign-flip) test.
    pub p_value: f64,
    /// Queries compared.
    pub queries: usize,
}

/// The mean of `values` with a 95% confidence interval from `resamples` bootstrap
/// resamples (queries drawn with replacement).
pub fn bootstrap_interval(
    values: &[f64],
    resamples: usize,
    seed: u64,
) -> Result<Interval, ExplainError> {
    check(values, resamples)?;
    let n = values.len();
    let mut rng = rng(seed);
    let mut means: Vec<f64> = (0..resamples)
        .map(|_| (0..n).map(|_| values[rng.gen_range(0..n)]).sum::<f64>() / n as f64)
        .collect();
    means.sort_by(f64::total_cmp);
    let at = |q: f64| means[((q * resamples as f64) as usize).min(resamples - 1)];
    Ok(Interval {
        mean: values.iter().sum::<f64>() / n as f64,
        low: at(0.025),
        high: at(0.975),
    })
}

/// Compares per-query scores `a` and `b` of the same queries (same order): the bootstrap
/// interval of the mean difference and the randomization test's p-value, each over
/// `rounds` resamples.
pub fn paired_comparison(
    a: &[f64],
    b: &[f64],
    rounds: usize,
    seed: u64,
) -> Result<PairedComparison, ExplainError> {
    if a.len() != b.len() {
        return Err(ExplainError::InvalidInput(format!(
            "paired scores differ in length: {} and {}",
            a.len(),
            b.len()
        )));
    }
    let diffs: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    let difference = bootstrap_interval(&diffs, rounds, seed)?;
    let observed = difference.mean.abs();
    let mut rng = rng(seed ^ 0x5eed_f11e);
    let n = diffs.len() as f64;
    // Ties with the observed difference count as extreme; the +1s count the observed
    // assignment itself, so p is never 0.
    let extreme = (0..rounds)
        .filter(|_| {
            let flipped: f64 = diffs
                .iter()
                .map(|d| if rng.gen::<bool>() { *d } else { -d })
                .sum();
            (flipped / n).abs() >= observed - 1e-12
        })
        .count();
    Ok(PairedComparison {
        difference,
        p_value: (extreme + 1) as f64 / (rounds + 1) as f64,
        queries: diffs.len(),
    })
}

fn check(values: &[f64], resamples: usize) -> Result<(), ExplainError> {
    if values.is_empty() {
        return Err(ExplainError::InvalidInput("no values to resample".into()));
    }
    if resamples == 0 {
        return Err(ExplainError::invalid("resamples", "must be at least 1"));
    }
    if values.iter().any(|v| !v.is_finite()) {
        return Err(ExplainError::InvalidInput("a value is not finite".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_hold_the_mean_and_shrink_with_more_queries() {
        let few: Vec<f64> = (0..20).map(|i| f64::from(i % 2)).collect();
        let many: Vec<f64> = (0..2000).map(|i| f64::from(i % 2)).collect();
        let a = bootstrap_interval(&few, 2000, 7).unwrap();
        let b = bootstrap_interval(&many, 2000, 7).unwrap();
        assert_eq!((a.mean, b.mean), (0.5, 0.5));
        assert!(a.low < 0.5 && a.high > 0.5, "{a:?}");
        assert!(b.high - b.low < (a.high - a.low) / 5.0, "{a:?} {b:?}");
        // The standard error of a mean of 2000 fair coins is 0.011: ±1.96 of it.
        assert!(
            (b.high - b.low - 2.0 * 1.96 * 0.5 / 2000f64.sqrt()).abs() < 0.01,
            "{b:?}"
        );
        assert_eq!(a, bootstrap_interval(&few, 2000, 7).unwrap(), "seeded");
    }

    #[test]
    fn a_consistent_gain_is_significant_and_noise_is_not() {
        let base: Vec<f64> = (0..200).map(|i| f64::from(i % 7) / 7.0).collect();
        let better: Vec<f64> = base.iter().map(|x| x + 0.05).collect();
        let gain = paired_comparison(&better, &base, 2000, 1).unwrap();
        assert!((gain.difference.mean - 0.05).abs() < 1e-12);
        assert!(gain.difference.low > 0.0 && gain.p_value < 0.01, "{gain:?}");
        let shuffled: Vec<f64> = base.iter().rev().copied().collect();
        let noise = paired_comparison(&shuffled, &base, 2000, 1).unwrap();
        assert!(noise.p_value > 0.5, "{noise:?}");
        assert!(paired_comparison(&base, &base[1..], 10, 1).is_err());
        assert!(bootstrap_interval(&[], 10, 1).is_err());
    }
}
