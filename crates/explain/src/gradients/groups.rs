//! Grouping input dimensions into features (embedding dims → tokens → words).

use serde::{Deserialize, Serialize};

use crate::error::ExplainError;
use crate::text::TokenWordMap;

/// Which input dimensions make up each feature, with feature names.
///
/// A feature's attribution is the sum over its dimensions. Groups should be disjoint
/// (a dimension listed twice is counted in each group); dimensions in no group (e.g.
/// `[CLS]`'s embedding) are left out of the feature values but not of the
/// completeness check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeatureGroups {
    groups: Vec<Vec<usize>>,
    names: Vec<String>,
}

impl FeatureGroups {
    /// Explicit groups, named `g0, g1, …`.
    pub fn new(groups: Vec<Vec<usize>>) -> Self {
        let names = (0..groups.len()).map(|i| format!("g{i}")).collect();
        FeatureGroups { groups, names }
    }

    /// One feature per input dimension, named `d0, d1, …`.
    pub fn per_dimension(dims: usize) -> Self {
        FeatureGroups {
            groups: (0..dims).map(|d| vec![d]).collect(),
            names: (0..dims).map(|d| format!("d{d}")).collect(),
        }
    }

    /// Token t owns dims `t·dim .. (t+1)·dim` of a flattened `[tokens][dim]` input;
    /// named `t0, t1, …`.
    pub fn tokens(tokens: usize, dim: usize) -> Self {
        FeatureGroups {
            groups: (0..tokens)
                .map(|t| (t * dim..(t + 1) * dim).collect())
                .collect(),
            names: (0..tokens).map(|t| format!("t{t}")).collect(),
        }
    }

    /// Words of a flattened `[tokens][dim]` input: each word owns its tokens' dims;
    /// named `w0, w1, …`. Unmapped tokens (special tokens) belong to no word.
    pub fn words(map: &TokenWordMap, dim: usize) -> Self {
        let mut groups = vec![Vec::new(); map.num_words()];
        for t in 0..map.num_tokens() {
            if let Some(w) = map.word_of(t) {
                groups[w].extend(t * dim..(t + 1) * dim);
            }
        }
        FeatureGroups {
            names: (0..groups.len()).map(|w| format!("w{w}")).collect(),
            groups,
        }
    }

    /// From the feature of each dimension (`None`: in no feature).
    pub fn from_feature_of_dim(
        feature_of_dim: &[Option<usize>],
        num_features: usize,
    ) -> Result<Self, ExplainError> {
        let mut groups = vec![Vec::new(); num_features];
        for (d, feature) in feature_of_dim.iter().enumerate() {
            if let Some(f) = *feature {
                groups
                    .get_mut(f)
                    .ok_or_else(|| {
                        ExplainError::InvalidInput(format!(
                            "dimension {d} mapped to feature {f} of {num_features}"
                        ))
                    })?
                    .push(d);
            }
        }
        Ok(Self::new(groups))
    }

    /// Replaces the names (one per group).
    pub fn with_names(mut self, names: Vec<String>) -> Result<Self, ExplainError> {
        if names.len() != self.groups.len() {
            return Err(ExplainError::InvalidInput(format!(
                "{} names for {} feature groups",
                names.len(),
                self.groups.len()
            )));
        }
        self.names = names;
        Ok(self)
    }

    /// Number of features.
    pub fn len(&self) -> usize {
        self.groups.len()
    }

    /// Whether there are no features.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// The dimensions of each feature.
    pub fn groups(&self) -> &[Vec<usize>] {
        &self.groups
    }

    /// The feature names.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Errors unless every dimension is below `dims` and there is a feature.
    pub(crate) fn check(&self, dims: usize) -> Result<(), ExplainError> {
        if self.groups.is_empty() {
            return Err(ExplainError::NoFeatures);
        }
        match self.groups.iter().flatten().find(|&&d| d >= dims) {
            Some(d) => Err(ExplainError::InvalidInput(format!(
                "feature group uses dimension {d}, the input has {dims}"
            ))),
            None => Ok(()),
        }
    }

    /// Sums per-dimension attributions into per-feature values.
    pub(crate) fn sum(&self, per_dim: &[f64]) -> Vec<f64> {
        self.groups
            .iter()
            .map(|g| g.iter().map(|&d| per_dim[d]).sum())
            .collect()
    }
}
