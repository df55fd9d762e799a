//! The learned ranker: gradient-boosted trees ([perpetual]) over the [`FEATURES`] of a
//! (request, product) pair, fitted on relevance judgements by `daogou tune` and explained
//! by exact TreeSHAP.
//!
//! The trees predict the graded gain of a product for a request (relevance − 1 on the
//! Home Depot scale, unjudged candidates counted as 0). They are copied into a
//! [`Forest`] for prediction and TreeSHAP (perpetual's own contributions are exact too,
//! but far slower); the tests check the contributions against brute-force Shapley values
//! and perpetual's predictions.
//!
//! A ranker is kept as one JSON file: the format version, the feature names (a file
//! fitted on other features is refused), the encoder whose cosine it read, what it was
//! fitted on, its match-strength thresholds and the trees.

use std::path::Path;

use daogou_model::SentenceEncoder;
use perpetual::objective::Objective;
use perpetual::{Matrix, PerpetualBooster};
use serde::{Deserialize, Serialize};

use super::features::{FeatureRow, FEATURES, NUM_FEATURES};
use super::forest::Forest;
use super::strength::{MatchStrength, StrengthThresholds};
use crate::error::{GuideError, Result};

/// Version of the ranker file format.
pub const RANKER_FORMAT: u32 = 1;

/// Name of the ranker file `daogou tune` writes into the data directory.
pub const RANKER_FILE: &str = "ranker.json";

/// How a ranker is fitted.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FitSettings {
    /// perpetual's budget: more trees and finer steps as it grows (default 0.5).
    pub budget: f32,
    /// Seed of the booster.
    pub seed: u64,
}

impl Default for FitSettings {
    fn default() -> Self {
        Self {
            budget: 0.5,
            seed: 0,
        }
    }
}

/// What a ranker was fitted on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitSummary {
    /// The judgements file.
    pub judgements: String,
    /// Queries fitted on.
    pub queries: usize,
    /// (request, product) rows fitted on.
    pub rows: usize,
    /// The settings.
    pub settings: FitSettings,
    /// Trees grown.
    pub trees: usize,
}

/// The ranker file's content.
#[derive(Clone, Serialize, Deserialize)]
struct RankerFile {
    format: u32,
    features: Vec<String>,
    model: String,
    fit: FitSummary,
    strength: Option<StrengthThresholds>,
    booster: PerpetualBooster,
}

/// A fitted ranker.
#[derive(Clone)]
pub struct LearnedRanker {
    file: RankerFile,
    forest: Forest,
}

impl std::fmt::Debug for LearnedRanker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LearnedRanker")
            .field("model", &self.file.model)
            .field("fit", &self.file.fit)
            .field("strength", &self.file.strength)
            .finish_non_exhaustive()
    }
}

/// The feature rows as perpetual's column-major matrix data.
fn column_major(rows: &[FeatureRow]) -> Vec<f64> {
    (0..NUM_FEATURES)
        .flat_map(|j| rows.iter().map(move |r| r[j]))
        .collect()
}

fn feature_names() -> Vec<String> {
    FEATURES.iter().map(|f| f.to_string()).collect()
}

impl LearnedRanker {
    /// Fits trees predicting `gains` from `rows` (squared loss, rows weighted by
    /// `weights` when given).
    pub fn fit(
        rows: &[FeatureRow],
        gains: &[f64],
        weights: Option<&[f64]>,
        settings: FitSettings,
        model: &str,
        judgements: &str,
        queries: usize,
    ) -> Result<Self> {
        if rows.is_empty()
            || rows.len() != gains.len()
            || weights.is_some_and(|w| w.len() != rows.len())
        {
            return Err(GuideError::InvalidConfig(format!(
                "cannot fit a ranker on {} rows and {} gains",
                rows.len(),
                gains.len()
            )));
        }
        let data = column_major(rows);
        let matrix = Matrix::new(&data, rows.len(), NUM_FEATURES);
        let mut booster = PerpetualBooster::default()
            .set_objective(Objective::SquaredLoss)
            .set_budget(settings.budget)
            .set_seed(settings.seed);
        booster
            .fit(&matrix, gains, weights, None)
            .map_err(|e| anyhow::anyhow!("fitting the ranker: {e}"))?;
        // Trees only: perpetual blends a linear head into small regressions, which TreeSHAP
        // would not account for.
        booster.regression_head = None;
        Self::from_file(RankerFile {
            format: RANKER_FORMAT,
            features: feature_names(),
            model: model.to_string(),
            fit: FitSummary {
                judgements: judgements.to_string(),
                queries,
                rows: rows.len(),
                settings,
                trees: booster.get_prediction_trees().len(),
            },
            strength: None,
            booster,
        })
    }

    fn from_file(file: RankerFile) -> Result<Self> {
        let forest = Forest::from_booster(&file.booster)
            .map_err(|why| GuideError::InvalidConfig(format!("ranker file: {why}")))?;
        Ok(Self { file, forest })
    }

    /// The predicted gain of each row.
    pub fn predict(&self, rows: &[FeatureRow]) -> Vec<f64> {
        rows.iter().map(|r| self.forest.predict(r)).collect()
    }

    /// Each row's TreeSHAP contributions by feature and the base value they start from:
    /// `base + Σ contributions` is the row's prediction.
    pub fn contributions(&self, rows: &[FeatureRow]) -> Vec<(f64, FeatureRow)> {
        rows.iter()
            .map(|r| (self.forest.expected(), self.forest.contributions(r)))
            .collect()
    }

    /// Name of the encoder whose cosine similarities it was fitted on.
    pub fn model(&self) -> &str {
        &self.file.model
    }

    /// What it was fitted on.
    pub fn fit_summary(&self) -> &FitSummary {
        &self.file.fit
    }

    /// The match-strength thresholds, once calibrated.
    pub fn strength(&self) -> Option<&StrengthThresholds> {
        self.file.strength.as_ref()
    }

    /// Sets the match-strength thresholds.
    pub fn set_strength(&mut self, thresholds: Option<StrengthThresholds>) {
        self.file.strength = thresholds;
    }

    /// The ranker, if it was fitted on `encoder`'s similarities (the only ones its
    /// cosine feature means anything for).
    pub fn for_encoder(self, encoder: &SentenceEncoder) -> Option<Self> {
        (self.file.model == encoder.model_id()).then_some(self)
    }

    /// The match strength of a predicted gain, once thresholds are calibrated.
    pub fn strength_of(&self, gain: f64) -> Option<MatchStrength> {
        self.strength().map(|t| t.label(gain))
    }

    /// Reads a ranker from its JSON text; a file of another format or fitted on other
    /// features is refused.
    pub fn from_json(text: &str) -> Result<Self> {
        #[derive(Deserialize)]
        struct Header {
            format: u32,
            features: Vec<String>,
        }
        let invalid = |why: String| GuideError::InvalidConfig(format!("ranker file: {why}"));
        let header: Header = serde_json::from_str(text).map_err(|e| invalid(e.to_string()))?;
        if header.format != RANKER_FORMAT {
            return Err(invalid(format!(
                "format {} is not {RANKER_FORMAT}; fit it again with daogou tune",
                header.format
            )));
        }
        if header.features != feature_names() {
            return Err(invalid(format!(
                "fitted on the features {:?}, but this daogou computes {:?}; fit it again \
                 with daogou tune",
                header.features,
                feature_names()
            )));
        }
        Self::from_file(serde_json::from_str(text).map_err(|e| invalid(e.to_string()))?)
    }

    /// The ranker as JSON.
    pub fn to_json(&self) -> Result<String> {
        Ok(serde_json::to_string(&self.file).map_err(anyhow::Error::from)?)
    }

    /// Reads the ranker file at `path`.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            GuideError::InvalidConfig(format!("reading the ranker {}: {e}", path.display()))
        })?;
        Self::from_json(&text)
    }

    /// Writes the ranker to `path`, replacing it atomically.
    pub fn save(&self, path: &Path) -> Result<()> {
        let temporary = path.with_extension("json.partial");
        std::fs::write(&temporary, self.to_json()?)
            .and_then(|()| std::fs::rename(&temporary, path))
            .map_err(|e| anyhow::anyhow!("writing the ranker {}: {e}", path.display()).into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use daogou_explain::{EvalConfig, Evaluator, ExactShapley, Explainer, FnModel, Mask};
    use perpetual::tree::core::Tree;

    /// Rows with a nonlinear target, from a fixed linear congruential sequence; the brand
    /// match is missing in a third of them.
    fn synthetic(n: usize) -> (Vec<FeatureRow>, Vec<f64>) {
        let mut state = 20261201u64;
        let mut next = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let rows: Vec<FeatureRow> = (0..n)
            .map(|_| {
                let mut row = [0.0; NUM_FEATURES];
                row.iter_mut().for_each(|v| *v = next());
                if row[10] < 0.33 {
                    row[9] = f64::NAN;
                }
                row
            })
            .collect();
        let gains = rows
            .iter()
            .map(|r| {
                2.0 * r[0] + f64::from(u8::from(r[1] > 0.5 && r[5] > 0.3)) + r[7] * r[3]
                    - if r[9].is_nan() { 0.5 } else { 0.0 }
            })
            .collect();
        (rows, gains)
    }

    fn fitted() -> (LearnedRanker, Vec<FeatureRow>) {
        let (rows, gains) = synthetic(3000);
        let settings = FitSettings {
            budget: 0.3,
            seed: 1,
        };
        let ranker =
            LearnedRanker::fit(&rows, &gains, None, settings, "test-model", "synthetic", 1)
                .expect("fits");
        (ranker, rows)
    }

    /// TreeSHAP's value function, computed from perpetual's own trees: the expected
    /// output given the `known` features, which follow the row while the others average
    /// their two children by cover.
    fn expectation(tree: &Tree, node: usize, row: &FeatureRow, known: &Mask) -> f64 {
        let n = &tree.nodes[&node];
        if n.is_leaf {
            return f64::from(n.weight_value);
        }
        if known.contains(n.split_feature) {
            let child = n.get_child_idx(&row[n.split_feature], &f64::NAN);
            return expectation(tree, child, row, known);
        }
        let (left, right) = (&tree.nodes[&n.left_child], &tree.nodes[&n.right_child]);
        let (wl, wr) = (f64::from(left.hessian_sum), f64::from(right.hessian_sum));
        (wl * expectation(tree, n.left_child, row, known)
            + wr * expectation(tree, n.right_child, row, known))
            / (wl + wr)
    }

    #[test]
    fn predictions_are_perpetuals_and_contributions_add_up_to_them() {
        let (ranker, rows) = fitted();
        assert!(ranker.fit_summary().trees > 1, "{:?}", ranker.fit_summary());
        let sample = &rows[..200];
        let data = column_major(sample);
        let theirs = ranker
            .file
            .booster
            .predict(&Matrix::new(&data, sample.len(), NUM_FEATURES), false);
        let predicted = ranker.predict(sample);
        for ((base, shap), (p, q)) in ranker
            .contributions(sample)
            .iter()
            .zip(predicted.iter().zip(&theirs))
        {
            assert!((p - q).abs() <= 1e-9, "{p} vs perpetual's {q}");
            let total = base + shap.iter().sum::<f64>();
            assert!((total - p).abs() <= 1e-6, "{total} vs {p}");
        }
    }

    #[test]
    fn contributions_are_exact_shapley_values_of_the_trees_expectation() {
        let (ranker, rows) = fitted();
        for row in &rows[..3] {
            let model = FnModel::new(NUM_FEATURES, 1, |masks: &[Mask]| {
                Ok(masks
                    .iter()
                    .map(|known| {
                        let booster = &ranker.file.booster;
                        let trees = booster.get_prediction_trees();
                        let sum: f64 = trees.iter().map(|t| expectation(t, 0, row, known)).sum();
                        vec![booster.base_score + sum]
                    })
                    .collect())
            });
            let mut evaluator = Evaluator::new(&model, EvalConfig::default()).expect("evaluator");
            let exact = ExactShapley::default()
                .explain(&mut evaluator)
                .expect("exact Shapley");
            let (_, shap) = ranker.contributions(std::slice::from_ref(row))[0];
            for (j, (a, b)) in exact[0].values.iter().zip(shap).enumerate() {
                assert!(
                    (a - b).abs() <= 1e-6,
                    "feature {j}: exact {a}, TreeSHAP {b}"
                );
            }
        }
    }

    #[test]
    fn the_file_round_trips_and_refuses_other_features_or_formats() {
        let (ranker, rows) = fitted();
        let json = ranker.to_json().expect("json");
        let back = LearnedRanker::from_json(&json).expect("reads back");
        assert_eq!(back.predict(&rows[..20]), ranker.predict(&rows[..20]));
        let other = json.replacen("\"semantic\"", "\"cosine\"", 1);
        let err = LearnedRanker::from_json(&other).expect_err("other features");
        assert!(err.to_string().contains("daogou tune"), "{err}");
        let old = json.replacen("\"format\":1", "\"format\":0", 1);
        assert!(LearnedRanker::from_json(&old).is_err());
        assert!(LearnedRanker::from_json("not json").is_err());
    }
}
