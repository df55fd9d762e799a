//! The learned ranker's trees in flat arrays, with prediction and exact TreeSHAP.
//!
//! perpetual keeps a tree's nodes in a hash map and recomputes subtree averages per row,
//! which makes its `Shapley` contributions cost seconds per answer on trees fitted to a
//! million rows. Here each tree is a vector of nodes, and the contributions are
//! Lundberg et al.'s path-dependent TreeSHAP (Algorithm 2, "Consistent individualized
//! feature attribution for tree ensembles", 2018) in `f64`: exact Shapley values of the
//! trees' expectation given the known features, where an unknown feature's split sends
//! the row down every child in proportion to the training cover. They add up to the
//! prediction minus the expected prediction.

use perpetual::PerpetualBooster;

use super::features::{FeatureRow, NUM_FEATURES};

/// One node: a split or a leaf.
#[derive(Debug, Clone)]
struct Node {
    /// Split feature; `usize::MAX` for a leaf.
    feature: usize,
    /// Rows with a value below it go left.
    threshold: f64,
    left: usize,
    right: usize,
    /// Where a missing (`NaN`) value goes: `left`, `right` or a branch of its own.
    missing: usize,
    /// Training cover (sum of hessians) of the node.
    cover: f64,
    /// The leaf's value.
    value: f64,
}

impl Node {
    fn is_leaf(&self) -> bool {
        self.feature == usize::MAX
    }

    /// The children, each once: left, right, then a separate missing branch if any.
    fn children(&self) -> impl Iterator<Item = usize> + '_ {
        let separate =
            (self.missing != self.left && self.missing != self.right).then_some(self.missing);
        [self.left, self.right].into_iter().chain(separate)
    }

    fn next(&self, row: &FeatureRow) -> usize {
        let v = row[self.feature];
        if v.is_nan() {
            self.missing
        } else if v < self.threshold {
            self.left
        } else {
            self.right
        }
    }
}

/// A tree: its nodes, the root first.
#[derive(Debug, Clone)]
struct Tree {
    nodes: Vec<Node>,
}

/// A flat copy of a booster's trees.
#[derive(Debug, Clone)]
pub struct Forest {
    base: f64,
    trees: Vec<Tree>,
    expected: f64,
}

impl Forest {
    /// Copies the trees of `booster`; fails on categorical splits (the ranker has none)
    /// or a tree whose nodes do not link up.
    pub fn from_booster(booster: &PerpetualBooster) -> Result<Self, String> {
        let mut trees = Vec::new();
        for (t, tree) in booster.get_prediction_trees().iter().enumerate() {
            let mut ids: Vec<usize> = tree.nodes.keys().copied().collect();
            ids.sort_unstable();
            let slot = |id: usize| {
                ids.binary_search(&id)
                    .map_err(|_| format!("tree {t}: node {id} is missing"))
            };
            if ids.first() != Some(&0) {
                return Err(format!("tree {t} has no root"));
            }
            let mut nodes = Vec::with_capacity(ids.len());
            for id in &ids {
                let n = &tree.nodes[id];
                if n.left_cats.is_some() {
                    return Err(format!("tree {t}: categorical splits are not supported"));
                }
                nodes.push(if n.is_leaf {
                    Node {
                        feature: usize::MAX,
                        threshold: 0.0,
                        left: 0,
                        right: 0,
                        missing: 0,
                        cover: f64::from(n.hessian_sum),
                        value: f64::from(n.weight_value),
                    }
                } else {
                    if n.split_feature >= NUM_FEATURES {
                        return Err(format!("tree {t} splits on feature {}", n.split_feature));
                    }
                    Node {
                        feature: n.split_feature,
                        threshold: n.split_value,
                        left: slot(n.left_child)?,
                        right: slot(n.right_child)?,
                        missing: slot(n.missing_node)?,
                        cover: f64::from(n.hessian_sum),
                        value: 0.0,
                    }
                });
            }
            trees.push(Tree { nodes });
        }
        let mut forest = Self {
            base: booster.base_score,
            trees,
            expected: 0.0,
        };
        forest.expected = forest.base + forest.trees.iter().map(|t| t.expectation(0)).sum::<f64>();
        Ok(forest)
    }

    /// Number of trees.
    pub fn len(&self) -> usize {
        self.trees.len()
    }

    /// Whether there are no trees.
    pub fn is_empty(&self) -> bool {
        self.trees.is_empty()
    }

    /// The prediction for one row.
    pub fn predict(&self, row: &FeatureRow) -> f64 {
        self.base + self.trees.iter().map(|t| t.predict(row)).sum::<f64>()
    }

    /// The expected prediction (no feature known): where contributions start from.
    pub fn expected(&self) -> f64 {
        self.expected
    }

    /// The TreeSHAP contribution of each feature to the prediction for `row`.
    pub fn contributions(&self, row: &FeatureRow) -> FeatureRow {
        let mut phi = [0.0; NUM_FEATURES];
        let mut path = Vec::with_capacity(32);
        for tree in &self.trees {
            path.clear();
            tree.shap(0, row, &mut phi, &mut path, 1.0, 1.0, usize::MAX);
        }
        phi
    }
}

/// One element of a TreeSHAP path: a feature split on, the share of cover that reaches
/// here when it is unknown (`zero`) and whether the row itself reaches here (`one`), and
/// the permutation weight.
#[derive(Debug, Clone, Copy)]
struct Step {
    feature: usize,
    zero: f64,
    one: f64,
    weight: f64,
}

impl Tree {
    fn predict(&self, row: &FeatureRow) -> f64 {
        let mut i = 0;
        loop {
            let node = &self.nodes[i];
            if node.is_leaf() {
                return node.value;
            }
            i = node.next(row);
        }
    }

    /// The children's cover shares of node `i`, normalised to add up to one.
    fn shares(&self, i: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        let node = &self.nodes[i];
        let total: f64 = node.children().map(|c| self.nodes[c].cover).sum();
        let count = node.children().count() as f64;
        node.children().map(move |c| {
            let share = if total > 0.0 {
                self.nodes[c].cover / total
            } else {
                1.0 / count
            };
            (c, share)
        })
    }

    /// The cover-weighted mean of the leaves under node `i`.
    fn expectation(&self, i: usize) -> f64 {
        if self.nodes[i].is_leaf() {
            return self.nodes[i].value;
        }
        self.shares(i).map(|(c, s)| s * self.expectation(c)).sum()
    }

    #[allow(clippy::too_many_arguments)]
    fn shap(
        &self,
        i: usize,
        row: &FeatureRow,
        phi: &mut FeatureRow,
        path: &mut Vec<Step>,
        zero: f64,
        one: f64,
        feature: usize,
    ) {
        let depth = path.len();
        extend(path, zero, one, feature);
        let node = &self.nodes[i];
        if node.is_leaf() {
            for k in 1..path.len() {
                let w = unwound_sum(path, k);
                phi[path[k].feature] += w * (path[k].one - path[k].zero) * node.value;
            }
        } else {
            let hot = node.next(row);
            let (mut incoming_zero, mut incoming_one) = (1.0, 1.0);
            let mut below: Vec<Step> = path.clone();
            if let Some(k) = (1..below.len()).find(|&k| below[k].feature == node.feature) {
                incoming_zero = below[k].zero;
                incoming_one = below[k].one;
                unwind(&mut below, k);
            }
            for (child, share) in self.shares(i) {
                let one = if child == hot { incoming_one } else { 0.0 };
                if share == 0.0 && one == 0.0 {
                    // Reached neither by the row nor by any training cover: adds nothing.
                    continue;
                }
                let mut branch = below.clone();
                self.shap(
                    child,
                    row,
                    phi,
                    &mut branch,
                    share * incoming_zero,
                    one,
                    node.feature,
                );
            }
        }
        path.truncate(depth);
    }
}

/// Adds a split to the path, updating the permutation weights.
fn extend(path: &mut Vec<Step>, zero: f64, one: f64, feature: usize) {
    let l = path.len();
    path.push(Step {
        feature,
        zero,
        one,
        weight: if l == 0 { 1.0 } else { 0.0 },
    });
    for i in (0..l).rev() {
        path[i + 1].weight += one * path[i].weight * (i + 1) as f64 / (l + 1) as f64;
        path[i].weight = zero * path[i].weight * (l - i) as f64 / (l + 1) as f64;
    }
}

/// Removes step `k` from the path, undoing its [`extend`].
fn unwind(path: &mut Vec<Step>, k: usize) {
    let l = path.len() - 1;
    let (one, zero) = (path[k].one, path[k].zero);
    let mut next = path[l].weight;
    for j in (0..l).rev() {
        if one != 0.0 {
            let t = path[j].weight;
            path[j].weight = next * (l + 1) as f64 / ((j + 1) as f64 * one);
            next = t - path[j].weight * zero * (l - j) as f64 / (l + 1) as f64;
        } else {
            path[j].weight = path[j].weight * (l + 1) as f64 / (zero * (l - j) as f64);
        }
    }
    for j in k..l {
        path[j].feature = path[j + 1].feature;
        path[j].zero = path[j + 1].zero;
        path[j].one = path[j + 1].one;
    }
    path.pop();
}

/// The total permutation weight of the path were step `k` removed.
fn unwound_sum(path: &[Step], k: usize) -> f64 {
    let l = path.len() - 1;
    let (one, zero) = (path[k].one, path[k].zero);
    let mut next = path[l].weight;
    let mut total = 0.0;
    for j in (0..l).rev() {
        if one != 0.0 {
            let t = next * (l + 1) as f64 / ((j + 1) as f64 * one);
            total += t;
            next = path[j].weight - t * zero * (l - j) as f64 / (l + 1) as f64;
        } else {
            total += path[j].weight / zero / ((l - j) as f64 / (l + 1) as f64);
        }
    }
    total
}
