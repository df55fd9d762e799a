//! A classification head on sentence embeddings: multinomial logistic regression trained
//! on frozen encoder outputs (full-batch Adam with L2 regularisation, deterministic), saved
//! as JSON beside the model it was trained on.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{ModelError, Result};

/// Training settings.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct TrainOptions {
    /// Full-batch passes over the data (default 300).
    pub epochs: usize,
    /// Adam step size (default 0.05).
    pub learning_rate: f64,
    /// L2 penalty on the weights, per example (default 1e-4).
    pub l2: f64,
}

impl Default for TrainOptions {
    fn default() -> Self {
        Self {
            epochs: 300,
            learning_rate: 0.05,
            l2: 1e-4,
        }
    }
}

/// Accuracy and macro F1 of a head on labelled examples.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HeadMetrics {
    /// Examples evaluated.
    pub examples: usize,
    /// Share predicted correctly.
    pub accuracy: f64,
    /// Mean F1 over classes.
    pub macro_f1: f64,
}

/// A trained classifier over sentence embeddings.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClassifierHead {
    /// Class names, by index.
    pub labels: Vec<String>,
    /// `[class][dim]` weights.
    pub weights: Vec<Vec<f32>>,
    /// One bias per class.
    pub bias: Vec<f32>,
    /// The encoder it was trained on ([`crate::SentenceEncoder::model_id`]).
    pub model_id: String,
    /// Held-out metrics recorded at training time.
    #[serde(default)]
    pub test_metrics: Option<HeadMetrics>,
}

impl ClassifierHead {
    /// Trains on `embeddings` with class indices `targets` (each below `labels.len()`).
    pub fn train(
        embeddings: &[Vec<f32>],
        targets: &[usize],
        labels: Vec<String>,
        model_id: &str,
        options: TrainOptions,
    ) -> Result<Self> {
        let classes = labels.len();
        if classes < 2 {
            return Err(ModelError::InvalidInput(
                "a classifier needs at least two classes".into(),
            ));
        }
        if embeddings.is_empty() || embeddings.len() != targets.len() {
            return Err(ModelError::InvalidInput(format!(
                "{} embeddings for {} labels",
                embeddings.len(),
                targets.len()
            )));
        }
        if let Some(bad) = targets.iter().find(|&&t| t >= classes) {
            return Err(ModelError::InvalidInput(format!(
                "class index {bad} ≥ {classes} classes"
            )));
        }
        let dim = embeddings[0].len();
        if embeddings.iter().any(|e| e.len() != dim) {
            return Err(ModelError::InvalidInput(
                "embeddings differ in length".into(),
            ));
        }
        let n = embeddings.len() as f64;
        // Parameters: classes × (dim weights + 1 bias), with Adam moments.
        let width = dim + 1;
        let mut params = vec![0f64; classes * width];
        let mut m = vec![0f64; params.len()];
        let mut v = vec![0f64; params.len()];
        let (beta1, beta2, eps) = (0.9f64, 0.999f64, 1e-8);
        for epoch in 1..=options.epochs {
            let mut grad = vec![0f64; params.len()];
            for (e, &t) in embeddings.iter().zip(targets) {
                let probs = softmax_logits(&params, width, e);
                for c in 0..classes {
                    let delta = probs[c] - f64::from(u8::from(c == t));
                    let row = &mut grad[c * width..(c + 1) * width];
                    for (g, &x) in row.iter_mut().zip(e) {
                        *g += delta * f64::from(x);
                    }
                    row[dim] += delta;
                }
            }
            for (i, g) in grad.iter_mut().enumerate() {
                *g /= n;
                if i % width != dim {
                    *g += options.l2 * params[i];
                }
            }
            let t = epoch as i32;
            for i in 0..params.len() {
                m[i] = beta1 * m[i] + (1.0 - beta1) * grad[i];
                v[i] = beta2 * v[i] + (1.0 - beta2) * grad[i] * grad[i];
                let m_hat = m[i] / (1.0 - beta1.powi(t));
                let v_hat = v[i] / (1.0 - beta2.powi(t));
                params[i] -= options.learning_rate * m_hat / (v_hat.sqrt() + eps);
            }
        }
        let weights = (0..classes)
            .map(|c| {
                params[c * width..c * width + dim]
                    .iter()
                    .map(|&w| w as f32)
                    .collect()
            })
            .collect();
        let bias = (0..classes)
            .map(|c| params[c * width + dim] as f32)
            .collect();
        Ok(Self {
            labels,
            weights,
            bias,
            model_id: model_id.to_string(),
            test_metrics: None,
        })
    }

    /// Class probabilities for one embedding.
    pub fn predict_proba(&self, embedding: &[f32]) -> Vec<f64> {
        let logits: Vec<f64> = self
            .weights
            .iter()
            .zip(&self.bias)
            .map(|(w, &b)| dot(w, embedding) + f64::from(b))
            .collect();
        softmax(&logits)
    }

    /// The most probable class index.
    pub fn predict(&self, embedding: &[f32]) -> usize {
        argmax(&self.predict_proba(embedding))
    }

    /// The direction whose dot product with an embedding is the log-odds of `class`
    /// against `other` (bias aside): what Integrated Gradients explains.
    pub fn log_odds_direction(&self, class: usize, other: usize) -> Vec<f32> {
        self.weights[class]
            .iter()
            .zip(&self.weights[other])
            .map(|(a, b)| a - b)
            .collect()
    }

    /// Accuracy and macro F1 on labelled embeddings.
    pub fn evaluate(&self, embeddings: &[Vec<f32>], targets: &[usize]) -> HeadMetrics {
        let classes = self.labels.len();
        let mut confusion = vec![vec![0usize; classes]; classes];
        for (e, &t) in embeddings.iter().zip(targets) {
            if t < classes {
                confusion[t][self.predict(e)] += 1;
            }
        }
        let total: usize = confusion.iter().flatten().sum();
        let correct: usize = (0..classes).map(|c| confusion[c][c]).sum();
        let f1: f64 = (0..classes)
            .map(|c| {
                let tp = confusion[c][c] as f64;
                let predicted: usize = (0..classes).map(|r| confusion[r][c]).sum();
                let actual: usize = confusion[c].iter().sum();
                if tp == 0.0 {
                    0.0
                } else {
                    2.0 * tp / (predicted as f64 + actual as f64)
                }
            })
            .sum::<f64>()
            / classes as f64;
        HeadMetrics {
            examples: total,
            accuracy: if total == 0 {
                0.0
            } else {
                correct as f64 / total as f64
            },
            macro_f1: f1,
        }
    }

    /// Writes the head as JSON.
    pub fn save(&self, path: &Path) -> Result<()> {
        let json =
            serde_json::to_string(self).map_err(|e| ModelError::InvalidInput(e.to_string()))?;
        std::fs::write(path, json).map_err(|e| ModelError::io(path, e))
    }

    /// Reads a head written by [`save`](Self::save).
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| ModelError::io(path, e))?;
        let head: Self = serde_json::from_str(&text).map_err(|e| ModelError::Malformed {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        let dim = head.weights.first().map_or(0, Vec::len);
        if head.labels.len() < 2
            || head.weights.len() != head.labels.len()
            || head.bias.len() != head.labels.len()
            || head.weights.iter().any(|w| w.len() != dim)
        {
            return Err(ModelError::Malformed {
                path: path.to_path_buf(),
                reason: "labels, weights and bias do not agree in shape".into(),
            });
        }
        Ok(head)
    }
}

fn dot(w: &[f32], e: &[f32]) -> f64 {
    w.iter()
        .zip(e)
        .map(|(a, b)| f64::from(*a) * f64::from(*b))
        .sum()
}

fn softmax_logits(params: &[f64], width: usize, e: &[f32]) -> Vec<f64> {
    let dim = width - 1;
    let logits: Vec<f64> = params
        .chunks(width)
        .map(|row| {
            row[..dim]
                .iter()
                .zip(e)
                .map(|(w, &x)| w * f64::from(x))
                .sum::<f64>()
                + row[dim]
        })
        .collect();
    softmax(&logits)
}

/// Probabilities from logits, computed stably (the largest logit is subtracted first).
pub fn softmax(logits: &[f64]) -> Vec<f64> {
    let max = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let exps: Vec<f64> = logits.iter().map(|l| (l - max).exp()).collect();
    let sum: f64 = exps.iter().sum();
    exps.into_iter().map(|e| e / sum).collect()
}

fn argmax(values: &[f64]) -> usize {
    values
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map_or(0, |(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separable_classes_are_learned_and_round_trip_through_json() {
        // Two clusters on the unit circle in 2-D plus a third dimension of noise-free zeros.
        let points: Vec<(Vec<f32>, usize)> = (0..40)
            .map(|i| {
                let angle = i as f32 * 0.05;
                if i % 2 == 0 {
                    (vec![angle.cos(), angle.sin(), 0.0], 0)
                } else {
                    (vec![-angle.cos(), -angle.sin(), 0.0], 1)
                }
            })
            .collect();
        let (x, y): (Vec<_>, Vec<_>) = points.into_iter().unzip();
        let head = ClassifierHead::train(
            &x,
            &y,
            vec!["neg".into(), "pos".into()],
            "toy",
            TrainOptions::default(),
        )
        .expect("train");
        let metrics = head.evaluate(&x, &y);
        assert_eq!(metrics.accuracy, 1.0);
        assert_eq!(metrics.macro_f1, 1.0);
        let p = head.predict_proba(&[1.0, 0.0, 0.0]);
        assert!(p[0] > 0.9 && (p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        // Log-odds direction: its dot product plus the bias gap is log(p1/p0).
        let d = head.log_odds_direction(1, 0);
        let e = [0.3f32, -0.4, 0.0];
        let p = head.predict_proba(&e);
        let log_odds = dot(&d, &e) + f64::from(head.bias[1] - head.bias[0]);
        assert!((log_odds - (p[1] / p[0]).ln()).abs() < 1e-4);

        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("head.json");
        head.save(&path).expect("save");
        let loaded = ClassifierHead::load(&path).expect("load");
        assert_eq!(loaded.predict_proba(&e), head.predict_proba(&e));
        std::fs::write(
            &path,
            r#"{"labels":["a"],"weights":[[1.0]],"bias":[0.0],"model_id":"x"}"#,
        )
        .expect("write");
        assert!(ClassifierHead::load(&path).is_err(), "one class is refused");
    }

    #[test]
    fn bad_training_input_is_refused() {
        let labels = || vec!["a".to_string(), "b".to_string()];
        let opts = TrainOptions::default();
        assert!(ClassifierHead::train(&[], &[], labels(), "m", opts).is_err());
        assert!(ClassifierHead::train(&[vec![1.0]], &[2], labels(), "m", opts).is_err());
        assert!(
            ClassifierHead::train(&[vec![1.0], vec![1.0, 2.0]], &[0, 1], labels(), "m", opts)
                .is_err()
        );
        assert!(ClassifierHead::train(&[vec![1.0]], &[0], vec!["a".into()], "m", opts).is_err());
    }
}
