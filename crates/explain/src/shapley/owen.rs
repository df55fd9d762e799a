//! Owen values: exact Shapley values of a game whose features come in groups (phrases).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::binomial;
use crate::error::ExplainError;
use crate::evaluator::Evaluator;
use crate::explainer::{Explainer, Run};
use crate::explanation::Explanation;
use crate::mask::Mask;
use crate::Method;

/// Owen values over a partition of the M features into groups B₁ … B_G:
///
/// φᵢ = Σ_{R ⊆ G∖{k}} w_G(|R|) Σ_{T ⊆ B_k∖{i}} w_{|B_k|}(|T|) · (f(Q_R ∪ T ∪ {i}) − f(Q_R ∪ T))
///
/// for i in group k, where Q_R is the union of the groups in R and
/// w_n(r) = r!(n−1−r)!/n!. Each group's total is the exact Shapley value of the game
/// played by the groups; inside a group the total is shared by the exact Shapley values of
/// the group's own game with the other groups present or absent as wholes. Efficiency holds
/// exactly (Σφ = f(x) − f(∅)), nothing is sampled, and with one feature per group (or one
/// group) the values are the Shapley values.
///
/// Cost: 2^G + Σ_k 2^(G−1)·(2^|B_k| − 2) distinct evaluations: 176 for 12 words in 3
/// groups of 4, against 4,096 for exact Shapley.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OwenValues {
    /// The partition, as lists of feature indices (default `None`: contiguous groups of
    /// balanced size, chosen by [`OwenValues::contiguous_groups`] for the fewest
    /// evaluations).
    pub groups: Option<Vec<Vec<usize>>>,
    /// Refuse instances with more features than this (default 24).
    pub max_features: usize,
}

impl Default for OwenValues {
    fn default() -> Self {
        OwenValues {
            groups: None,
            max_features: 24,
        }
    }
}

impl OwenValues {
    /// Largest group count or group size accepted (2^16 coalitions per side).
    pub const MAX_GROUP: usize = 16;

    /// Largest M accepted whatever `max_features` says (coalitions are 64-bit masks).
    pub const HARD_MAX_FEATURES: usize = 63;

    /// Distinct evaluations the values over `sizes`-sized groups need (`usize::MAX` when
    /// that does not fit a `usize`).
    pub fn cost(sizes: &[usize]) -> usize {
        let power = |n: usize| u32::try_from(n).ok().and_then(|n| 1usize.checked_shl(n));
        let g = sizes.len();
        let total = || -> Option<usize> {
            let mut total = power(g)?;
            for &s in sizes {
                let partial = power(s)?.saturating_sub(2);
                total = total.checked_add(power(g.saturating_sub(1))?.checked_mul(partial)?)?;
            }
            Some(total)
        };
        total().unwrap_or(usize::MAX)
    }

    /// The contiguous partition of `m` features into groups of balanced size (sizes
    /// differing by at most one, larger groups first) that needs the fewest evaluations.
    pub fn contiguous_groups(m: usize) -> Vec<Vec<usize>> {
        let sizes =
            |g: usize| -> Vec<usize> { (0..g).map(|k| m / g + usize::from(k < m % g)).collect() };
        let best = (1..=m.max(1))
            .filter(|&g| g <= Self::MAX_GROUP && m.div_ceil(g) <= Self::MAX_GROUP)
            .min_by_key(|&g| (Self::cost(&sizes(g)), g))
            .unwrap_or(1);
        let mut start = 0;
        sizes(best)
            .into_iter()
            .map(|s| {
                let group = (start..start + s).collect();
                start += s;
                group
            })
            .collect()
    }

    /// The partition used for `m` features, checked.
    fn partition(&self, m: usize) -> Result<Vec<Vec<usize>>, ExplainError> {
        let groups = match &self.groups {
            Some(groups) => groups.clone(),
            None => return Ok(Self::contiguous_groups(m)),
        };
        let mut seen = vec![false; m];
        for group in &groups {
            if group.is_empty() || group.len() > Self::MAX_GROUP {
                return Err(ExplainError::InvalidParameter {
                    param: "groups",
                    reason: format!(
                        "every group needs 1 to {} features, got {}",
                        Self::MAX_GROUP,
                        group.len()
                    ),
                });
            }
            for &i in group {
                match seen.get_mut(i) {
                    Some(s) if !*s => *s = true,
                    _ => {
                        return Err(ExplainError::InvalidParameter {
                            param: "groups",
                            reason: format!(
                                "feature {i} is out of range (M = {m}) or in two groups"
                            ),
                        })
                    }
                }
            }
        }
        if groups.len() > Self::MAX_GROUP || seen.iter().any(|s| !s) {
            return Err(ExplainError::InvalidParameter {
                param: "groups",
                reason: format!(
                    "the groups must cover all {m} features in at most {} groups",
                    Self::MAX_GROUP
                ),
            });
        }
        Ok(groups)
    }
}

/// The coalition made of the groups in `groups_in` (bits over groups) and the members of
/// `group` picked by `members_in` (bits over the group's members).
fn coalition(bits: &[u64], group: &[usize], groups_in: usize, members_in: usize) -> u64 {
    let mut s = 0u64;
    for (k, b) in bits.iter().enumerate() {
        if groups_in >> k & 1 == 1 {
            s |= b;
        }
    }
    for (a, &i) in group.iter().enumerate() {
        if members_in >> a & 1 == 1 {
            s |= 1 << i;
        }
    }
    s
}

impl Explainer for OwenValues {
    fn explain(&self, evaluator: &mut Evaluator<'_>) -> Result<Vec<Explanation>, ExplainError> {
        let run = Run::start(evaluator)?;
        let m = evaluator.num_features();
        let max = self.max_features.min(Self::HARD_MAX_FEATURES);
        if m > max {
            return Err(ExplainError::TooManyFeatures {
                method: Method::OwenValues,
                features: m,
                max,
                hint: "use KernelShap or PermutationShap",
            });
        }
        let groups = self.partition(m)?;
        let g = groups.len();
        let bits: Vec<u64> = groups
            .iter()
            .map(|group| group.iter().fold(0u64, |s, &i| s | 1 << i))
            .collect();

        // Every coalition the formula reads, each evaluated once.
        let mut index: HashMap<u64, usize> = HashMap::new();
        let mut masks = Vec::new();
        let mut add = |s: u64| {
            index.entry(s).or_insert_with(|| {
                masks.push(Mask::from_u64(m, s));
                masks.len() - 1
            });
        };
        add(0);
        add(bits.iter().fold(0, |s, b| s | b));
        for (k, group) in groups.iter().enumerate() {
            for others in (0..1usize << g).filter(|r| r >> k & 1 == 0) {
                for members in 0..1usize << group.len() {
                    add(coalition(&bits, group, others, members));
                }
            }
        }
        let scores = evaluator.evaluate(&masks)?;
        let weight = |n: usize, r: usize| 1.0 / (n as f64 * binomial(n - 1, r));

        let mut explanations = run.blanks(evaluator, Method::OwenValues);
        for e in &mut explanations {
            let t = e.target;
            let value = |s: u64| scores.get(index[&s], t);
            for (k, group) in groups.iter().enumerate() {
                let n = group.len();
                for others in (0..1usize << g).filter(|r| r >> k & 1 == 0) {
                    let w_groups = weight(g, others.count_ones() as usize);
                    for members in 0..1usize << n {
                        let w = w_groups * weight(n, members.count_ones() as usize);
                        let without = value(coalition(&bits, group, others, members));
                        for (a, &i) in group.iter().enumerate() {
                            if members >> a & 1 == 0 {
                                let with = value(coalition(&bits, group, others, members | 1 << a));
                                e.values[i] += w * (with - without);
                            }
                        }
                    }
                }
            }
            e.base_value = Some(value(0));
            e.full_value = Some(value(bits.iter().fold(0, |s, b| s | b)));
            e.notes.push(format!(
                "Owen values over {g} groups of features {}: exact for this grouping (each \
                 group's total is its exact Shapley value in the game of groups)",
                describe(&groups, evaluator.feature_names())
            ));
        }
        let params = OwenValues {
            groups: Some(groups),
            max_features: self.max_features,
        };
        run.finish(evaluator, &params, None, explanations)
    }
}

/// `[red running] [shoes]`: the groups by feature name.
fn describe(groups: &[Vec<usize>], names: &[String]) -> String {
    groups
        .iter()
        .map(|group| {
            let words: Vec<&str> = group
                .iter()
                .map(|&i| names.get(i).map_or("?", String::as_str))
                .collect();
            format!("[{}]", words.join(" "))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::OwenValues;

    #[test]
    fn contiguous_groups_minimise_evaluations() {
        assert_eq!(OwenValues::contiguous_groups(1), vec![vec![0]]);
        let twelve = OwenValues::contiguous_groups(12);
        assert_eq!(twelve.len(), 3);
        assert!(twelve.iter().all(|g| g.len() == 4));
        assert_eq!(OwenValues::cost(&[4, 4, 4]), 176);
        let nine: Vec<usize> = OwenValues::contiguous_groups(9)
            .iter()
            .map(Vec::len)
            .collect();
        assert_eq!(nine, vec![3, 3, 3]);
        // One group, or groups of one, are exact Shapley: 2^M.
        assert_eq!(OwenValues::cost(&[5]), 32);
        assert_eq!(OwenValues::cost(&[1, 1, 1, 1, 1]), 32);
        assert_eq!(OwenValues::cost(&[300]), usize::MAX, "too many to count");
        let flat: Vec<usize> = OwenValues::contiguous_groups(20).concat();
        assert_eq!(flat, (0..20).collect::<Vec<_>>());
    }
}
