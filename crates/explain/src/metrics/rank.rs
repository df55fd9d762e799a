//! Agreement and stability of attribution vectors: Spearman ρ, Kendall τ-b, top-k
//! overlap, mean pairwise Spearman across runs, and comparison with a reference.
//!
//! Values are compared as given (signed); pass |values| to compare magnitudes. Equal
//! values are ties (−0.0 equals 0.0). Correlations are `None` where they are
//! undefined: fewer than two features, or one side constant.

use std::cmp::Ordering;
use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::{check_finite, check_same_len, MeanStd};
use crate::error::ExplainError;
use crate::explanation::Explanation;

/// Which features count as most important.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportanceOrder {
    /// Largest value first: features pushing the explained output up come first and
    /// features pushing it down come last (the order of Samek et al.'s deletion curves).
    #[default]
    Signed,
    /// Largest |value| first, as [`Explanation::sorted_indices`] and `top_k` rank.
    Absolute,
}

/// Feature indices, most important first; ties by lower index (deterministic).
pub fn importance_order(values: &[f64], order: ImportanceOrder) -> Vec<usize> {
    let key = |v: f64| match order {
        ImportanceOrder::Signed => v,
        ImportanceOrder::Absolute => v.abs(),
    };
    let mut indices: Vec<usize> = (0..values.len()).collect();
    indices.sort_by(|&a, &b| {
        tie_key(key(values[b]))
            .total_cmp(&tie_key(key(values[a])))
            .then(a.cmp(&b))
    });
    indices
}

/// 1-based ranks of `values` in ascending order, tied values sharing the mean of their
/// ranks ("average" ranks, as scipy's `rankdata`).
pub fn average_ranks(values: &[f64]) -> Vec<f64> {
    let n = values.len();
    let mut indices: Vec<usize> = (0..n).collect();
    indices.sort_by(|&a, &b| tie_key(values[a]).total_cmp(&tie_key(values[b])));
    let mut ranks = vec![0.0; n];
    let mut start = 0;
    while start < n {
        let first = tie_key(values[indices[start]]);
        let end = start
            + indices[start..]
                .iter()
                .take_while(|&&i| tie_key(values[i]).total_cmp(&first) == Ordering::Equal)
                .count();
        // Positions start..end hold ranks start+1 ..= end; their mean:
        let rank = (start + 1 + end) as f64 / 2.0;
        for &i in &indices[start..end] {
            ranks[i] = rank;
        }
        start = end;
    }
    ranks
}

/// Spearman's ρ: the Pearson correlation of the average ranks of `a` and `b` (ties
/// handled as scipy's `spearmanr`). Spearman (1904).
///
/// Errors when lengths differ or a value is not finite; `None` when undefined.
pub fn spearman(a: &[f64], b: &[f64]) -> Result<Option<f64>, ExplainError> {
    check_pair("spearman", a, b)?;
    Ok(pearson(&average_ranks(a), &average_ranks(b)))
}

/// Kendall's τ-b = (C − D) / √((n₀ − n₁)(n₀ − n₂)), with C/D the concordant/discordant
/// pairs, n₀ = n(n−1)/2 and n₁, n₂ the pairs tied in `a`, in `b` (Kendall 1945; as
/// scipy's `kendalltau`). Computed in O(n log n) with Knight's (1966) algorithm.
///
/// Errors when lengths differ or a value is not finite; `None` when undefined.
pub fn kendall_tau_b(a: &[f64], b: &[f64]) -> Result<Option<f64>, ExplainError> {
    check_pair("kendall_tau_b", a, b)?;
    let n = a.len();
    if n < 2 {
        return Ok(None);
    }
    let a: Vec<f64> = a.iter().map(|&v| tie_key(v)).collect();
    let b: Vec<f64> = b.iter().map(|&v| tie_key(v)).collect();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| a[i].total_cmp(&a[j]).then(b[i].total_cmp(&b[j])));

    // Pairs tied in a (n1) and tied in both (n3), from runs of the sorted order.
    let (mut tied_a, mut tied_ab) = (0u64, 0u64);
    let (mut run_a, mut run_ab) = (1u64, 1u64);
    for w in order.windows(2) {
        let (i, j) = (w[0], w[1]);
        if a[i] == a[j] {
            run_a += 1;
            if b[i] == b[j] {
                run_ab += 1;
                continue;
            }
        } else {
            tied_a += pairs(run_a);
            run_a = 1;
        }
        tied_ab += pairs(run_ab);
        run_ab = 1;
    }
    tied_a += pairs(run_a);
    tied_ab += pairs(run_ab);

    // Discordant pairs = inversions of b in this order (ties in a are sorted by b, so
    // they contribute none); pairs tied in b (n2) from the b-sorted result.
    let mut seq: Vec<f64> = order.iter().map(|&i| b[i]).collect();
    let discordant = sort_counting_inversions(&mut seq);
    let mut tied_b = 0u64;
    let mut run_b = 1u64;
    for w in seq.windows(2) {
        if w[0] == w[1] {
            run_b += 1;
        } else {
            tied_b += pairs(run_b);
            run_b = 1;
        }
    }
    tied_b += pairs(run_b);

    let total = pairs(n as u64);
    let denominator = ((total - tied_a) as f64 * (total - tied_b) as f64).sqrt();
    if denominator == 0.0 {
        return Ok(None);
    }
    let numerator =
        total as f64 - tied_a as f64 - tied_b as f64 + tied_ab as f64 - 2.0 * discordant as f64;
    Ok(Some((numerator / denominator).clamp(-1.0, 1.0)))
}

/// How many of the k most important features two attributions share.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TopKOverlap {
    /// k used (the requested k, capped at the number of features).
    pub k: usize,
    /// |A ∩ B| for the two top-k sets.
    pub intersection: usize,
    /// Jaccard index |A ∩ B| / |A ∪ B|.
    pub jaccard: f64,
}

/// Overlap of the top-k feature sets of `a` and `b` under `order` (ties by lower
/// index). Errors when k = 0, lengths differ or a value is not finite.
pub fn top_k_overlap(
    a: &[f64],
    b: &[f64],
    k: usize,
    order: ImportanceOrder,
) -> Result<TopKOverlap, ExplainError> {
    check_pair("top_k_overlap", a, b)?;
    if k == 0 {
        return Err(ExplainError::invalid("k", "must be at least 1"));
    }
    let k = k.min(a.len());
    let top_a: HashSet<usize> = importance_order(a, order).into_iter().take(k).collect();
    let intersection = importance_order(b, order)
        .into_iter()
        .take(k)
        .filter(|i| top_a.contains(i))
        .count();
    let union = 2 * k - intersection;
    let jaccard = if union == 0 {
        1.0
    } else {
        intersection as f64 / union as f64
    };
    Ok(TopKOverlap {
        k,
        intersection,
        jaccard,
    })
}

/// Stability of repeated explanations (e.g. one per seed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stability {
    /// Number of runs compared.
    pub runs: usize,
    /// Number of pairs of runs, runs·(runs − 1)/2.
    pub pairs: usize,
    /// Mean and std of Spearman ρ over the pairs where it is defined; `None` if none is.
    pub spearman: Option<MeanStd>,
    /// Pairs where ρ is undefined (a constant attribution).
    pub undefined_pairs: usize,
}

/// Mean pairwise Spearman ρ between attribution vectors of the same instance, e.g.
/// the same method run with different seeds. 1 means every run ranks the features the
/// same way. Errors when fewer than two runs are given, lengths differ or a value is
/// not finite.
pub fn mean_pairwise_spearman<V: AsRef<[f64]>>(runs: &[V]) -> Result<Stability, ExplainError> {
    if runs.len() < 2 {
        return Err(ExplainError::InvalidInput(format!(
            "stability needs at least two runs, got {}",
            runs.len()
        )));
    }
    let mut rhos = Vec::new();
    let mut undefined = 0;
    for (i, a) in runs.iter().enumerate() {
        for b in &runs[i + 1..] {
            match spearman(a.as_ref(), b.as_ref())? {
                Some(rho) => rhos.push(rho),
                None => undefined += 1,
            }
        }
    }
    Ok(Stability {
        runs: runs.len(),
        pairs: rhos.len() + undefined,
        spearman: MeanStd::of(&rhos),
        undefined_pairs: undefined,
    })
}

/// How closely one explanation matches a reference (e.g. exact Shapley values).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Agreement {
    /// Method of the compared explanation.
    pub method: String,
    /// Method of the reference.
    pub reference: String,
    /// Explained target.
    pub target: usize,
    /// Spearman ρ with the reference values.
    pub spearman: Option<f64>,
    /// Kendall τ-b with the reference values.
    pub kendall_tau_b: Option<f64>,
    /// Top-k overlap with the reference.
    pub top_k: TopKOverlap,
    /// max |value − reference value|.
    pub max_abs_error: f64,
    /// Root mean squared difference to the reference values.
    pub rmse: f64,
}

/// Compares each explanation with `reference` (same target, same number of features):
/// rank agreement, top-k overlap under `order`, and value errors. Use an
/// [`ExactShapley`](crate::ExactShapley) result as reference to grade the estimators.
pub fn compare_to_reference(
    reference: &Explanation,
    explanations: &[Explanation],
    k: usize,
    order: ImportanceOrder,
) -> Result<Vec<Agreement>, ExplainError> {
    explanations
        .iter()
        .map(|e| {
            if e.target != reference.target {
                return Err(ExplainError::InvalidInput(format!(
                    "{} explains target {}, the reference target {}",
                    e.method, e.target, reference.target
                )));
            }
            let (a, r) = (&e.values, &reference.values);
            let top_k = top_k_overlap(a, r, k, order)?;
            let diffs = a.iter().zip(r).map(|(x, y)| (x - y).abs());
            let max_abs_error = diffs.clone().fold(0.0, f64::max);
            let rmse = (diffs.map(|d| d * d).sum::<f64>() / a.len().max(1) as f64).sqrt();
            Ok(Agreement {
                method: e.method.to_string(),
                reference: reference.method.to_string(),
                target: e.target,
                spearman: spearman(a, r)?,
                kendall_tau_b: kendall_tau_b(a, r)?,
                top_k,
                max_abs_error,
                rmse,
            })
        })
        .collect()
}

/// Pearson correlation; `None` for fewer than two values or a constant side.
fn pearson(x: &[f64], y: &[f64]) -> Option<f64> {
    let n = x.len();
    if n < 2 {
        return None;
    }
    let mx = x.iter().sum::<f64>() / n as f64;
    let my = y.iter().sum::<f64>() / n as f64;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx).powi(2);
        syy += (b - my).powi(2);
    }
    (sxx > 0.0 && syy > 0.0).then(|| (sxy / (sxx * syy).sqrt()).clamp(-1.0, 1.0))
}

fn check_pair(what: &str, a: &[f64], b: &[f64]) -> Result<(), ExplainError> {
    check_same_len(what, a.len(), b.len())?;
    check_finite(what, a)?;
    check_finite(what, b)
}

/// Maps −0.0 to 0.0 so `total_cmp` treats them as a tie.
fn tie_key(v: f64) -> f64 {
    v + 0.0
}

fn pairs(t: u64) -> u64 {
    t * t.saturating_sub(1) / 2
}

/// Sorts `seq` ascending (merge sort) and returns the number of pairs i < j with
/// seq[i] > seq[j] (strictly).
fn sort_counting_inversions(seq: &mut [f64]) -> u64 {
    let n = seq.len();
    let mut buffer = seq.to_vec();
    let mut inversions = 0u64;
    let mut width = 1;
    while width < n {
        for start in (0..n).step_by(2 * width) {
            let mid = (start + width).min(n);
            let end = (start + 2 * width).min(n);
            let (mut i, mut j) = (start, mid);
            for slot in &mut buffer[start..end] {
                if j >= end || (i < mid && seq[i] <= seq[j]) {
                    *slot = seq[i];
                    i += 1;
                } else {
                    *slot = seq[j];
                    inversions += (mid - i) as u64;
                    j += 1;
                }
            }
        }
        seq.copy_from_slice(&buffer);
        width *= 2;
    }
    inversions
}

#[cfg(test)]
mod tests {
    use rand::{Rng, SeedableRng};

    use super::*;

    /// O(n²) definition of τ-b, to check Knight's algorithm.
    fn tau_b_by_pairs(a: &[f64], b: &[f64]) -> Option<f64> {
        let (mut concordant_minus_discordant, mut untied_a, mut untied_b) = (0i64, 0i64, 0i64);
        for i in 0..a.len() {
            for j in i + 1..a.len() {
                let da = (a[i] - a[j]).signum() as i64 * i64::from(a[i] != a[j]);
                let db = (b[i] - b[j]).signum() as i64 * i64::from(b[i] != b[j]);
                concordant_minus_discordant += da * db;
                untied_a += da.abs();
                untied_b += db.abs();
            }
        }
        let d = ((untied_a * untied_b) as f64).sqrt();
        (d > 0.0).then(|| concordant_minus_discordant as f64 / d)
    }

    #[test]
    fn knight_matches_the_pairwise_definition_with_heavy_ties() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        for n in [2, 3, 5, 17, 64, 101] {
            for _ in 0..20 {
                let a: Vec<f64> = (0..n).map(|_| rng.gen_range(0..4) as f64).collect();
                let b: Vec<f64> = (0..n).map(|_| rng.gen_range(0..5) as f64).collect();
                let fast = kendall_tau_b(&a, &b).expect("valid");
                let slow = tau_b_by_pairs(&a, &b);
                match (fast, slow) {
                    (Some(f), Some(s)) => assert!((f - s).abs() < 1e-12, "{f} vs {s}"),
                    (f, s) => assert_eq!(f, s),
                }
            }
        }
    }

    #[test]
    fn inversions_are_counted_strictly() {
        let mut seq = [3.0, 1.0, 2.0, 2.0, 0.0];
        // (3,1) (3,2) (3,2) (3,0) (1,0) (2,0) (2,0) = 7; the tied 2s are no inversion.
        assert_eq!(sort_counting_inversions(&mut seq), 7);
        assert_eq!(seq, [0.0, 1.0, 2.0, 2.0, 3.0]);
    }

    #[test]
    fn average_ranks_share_tied_positions() {
        assert_eq!(
            average_ranks(&[10.0, 20.0, 10.0, -0.0, 0.0]),
            vec![3.5, 5.0, 3.5, 1.5, 1.5]
        );
    }

    #[test]
    fn importance_order_breaks_ties_by_index() {
        let v = [1.0, -3.0, 2.0, 2.0];
        assert_eq!(importance_order(&v, ImportanceOrder::Signed), [2, 3, 0, 1]);
        assert_eq!(
            importance_order(&v, ImportanceOrder::Absolute),
            [1, 2, 3, 0]
        );
    }
}
