//! Analytic models with known attributions.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use daogou_explain::{EvalConfig, Evaluator, ExplainError, Mask, MaskedModel};

/// f(mask) = Σ_terms coef · Π_{i ∈ members} m_i (a sum of unanimity games), one target
/// per term list. Shapley value of feature i: Σ over terms containing i of coef/|members|.
pub struct Games {
    pub num_features: usize,
    pub targets: Vec<Vec<(f64, Vec<usize>)>>,
    /// Number of masks evaluated.
    pub calls: AtomicUsize,
    /// Every distinct mask seen, to detect repeats.
    pub seen: Mutex<HashSet<Mask>>,
    pub repeats: AtomicUsize,
}

impl Games {
    pub fn new(num_features: usize, targets: Vec<Vec<(f64, Vec<usize>)>>) -> Self {
        Games {
            num_features,
            targets,
            calls: AtomicUsize::new(0),
            seen: Mutex::new(HashSet::new()),
            repeats: AtomicUsize::new(0),
        }
    }

    /// b + Σ w_i m_i.
    pub fn linear(bias: f64, weights: &[f64]) -> Self {
        let mut terms = vec![(bias, vec![])];
        terms.extend(weights.iter().enumerate().map(|(i, &w)| (w, vec![i])));
        Games::new(weights.len(), vec![terms])
    }

    /// f = x0·x1 + 2·x2 + x0·x1·x3 over 4 features.
    pub fn interaction() -> Self {
        Games::new(
            4,
            vec![vec![
                (1.0, vec![0, 1]),
                (2.0, vec![2]),
                (1.0, vec![0, 1, 3]),
            ]],
        )
    }

    /// A 16-feature game with main effects, pairs and a triple.
    pub fn rich16() -> Self {
        let mut terms: Vec<(f64, Vec<usize>)> = (0..16)
            .map(|i| (((i as f64) * 0.37).sin(), vec![i]))
            .collect();
        terms.extend([
            (1.5, vec![0, 1]),
            (-1.0, vec![2, 7, 9]),
            (0.8, vec![3, 12]),
            (2.0, vec![4, 5, 6, 15]),
            (0.3, vec![10]),
        ]);
        Games::new(16, vec![terms])
    }

    pub fn value(&self, target: usize, mask: &Mask) -> f64 {
        self.targets[target]
            .iter()
            .filter(|(_, members)| members.iter().all(|&i| mask.contains(i)))
            .map(|(c, _)| c)
            .sum()
    }

    /// Analytic Shapley values of `target`.
    pub fn shapley(&self, target: usize) -> Vec<f64> {
        let mut phi = vec![0.0; self.num_features];
        for (c, members) in &self.targets[target] {
            for &i in members {
                phi[i] += c / members.len() as f64;
            }
        }
        phi
    }

    /// f(∅) of `target`.
    pub fn empty_value(&self, target: usize) -> f64 {
        self.value(target, &Mask::empty(self.num_features))
    }

    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

impl MaskedModel for Games {
    fn num_features(&self) -> usize {
        self.num_features
    }

    fn num_targets(&self) -> usize {
        self.targets.len()
    }

    fn evaluate(&self, masks: &[Mask]) -> Result<Vec<Vec<f64>>, ExplainError> {
        self.calls.fetch_add(masks.len(), Ordering::SeqCst);
        let mut seen = self.seen.lock().map_err(ExplainError::model)?;
        for m in masks {
            if !seen.insert(m.clone()) {
                self.repeats.fetch_add(1, Ordering::SeqCst);
            }
        }
        Ok(masks
            .iter()
            .map(|m| (0..self.targets.len()).map(|t| self.value(t, m)).collect())
            .collect())
    }
}

pub fn evaluator(model: &dyn MaskedModel) -> Evaluator<'_> {
    Evaluator::new(model, EvalConfig::default()).expect("valid evaluator")
}

/// Largest |a_i − b_i|.
pub fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}
