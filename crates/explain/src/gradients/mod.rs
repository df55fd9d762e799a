//! Gradient methods: Integrated Gradients and gradient × input.

pub mod groups;
pub mod quadrature;

use crate::Method;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::error::ExplainError;
use crate::explainer::check_finite;
use crate::explanation::Explanation;
use groups::FeatureGroups;
use quadrature::{path_quadrature, IntegrationRule};

/// A model with gradients, evaluated at flattened input points (e.g. the concatenated
/// token embeddings of a query). It has one scalar output, or several (`num_targets`,
/// e.g. the similarity to each of ten products), which a model may compute together.
pub trait DifferentiableModel {
    /// f(p) and ∂f/∂p for each point p, in order (the first target's, for a model with
    /// several).
    fn value_and_grad(&self, points: &[Vec<f32>]) -> Result<Vec<(f64, Vec<f32>)>, ExplainError>;

    /// Number of scalar outputs (1 unless overridden).
    fn num_targets(&self) -> usize {
        1
    }

    /// (f_k(p), ∂f_k/∂p) for each point p (outer) and each target k (inner). By default
    /// [`value_and_grad`](Self::value_and_grad) as the single target; models with several
    /// targets override it, ideally computing them in one batched pass.
    fn value_and_grad_targets(&self, points: &[Vec<f32>]) -> Result<TargetOutputs, ExplainError> {
        Ok(self
            .value_and_grad(points)?
            .into_iter()
            .map(|output| vec![output])
            .collect())
    }
}

/// Every target's (value, gradient) at each point, point-major.
pub type TargetOutputs = Vec<Vec<(f64, Vec<f32>)>>;

/// A model call as [`IntegratedGradients`] makes it: points in, every target's outputs out.
type TargetEval<'a> = dyn Fn(&[Vec<f32>]) -> Result<TargetOutputs, ExplainError> + 'a;

/// An all-zeros baseline of `len` dimensions.
pub fn zero_baseline(len: usize) -> Vec<f32> {
    vec![0.0; len]
}

/// Integrated Gradients (Sundararajan et al. 2017):
/// IGᵢ = (xᵢ − x'ᵢ) · ∫₀¹ ∂f/∂xᵢ(x' + α(x − x')) dα, by the chosen quadrature,
/// summed per feature group.
///
/// `base_value` = f(x'), `full_value` = f(x), `completeness_delta` =
/// Σ over all dimensions of IG − (f(x) − f(x')) (signed, like captum's delta).
///
/// Cost: `n_steps` + 2 gradient evaluations, in calls of at most
/// `internal_batch_size` points, made sequentially; [`explain_targets`](Self::explain_targets)
/// explains every target of a model with the same calls.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntegratedGradients {
    /// Quadrature points on the path (default 50, captum's default).
    pub n_steps: usize,
    /// Quadrature rule (default Gauss–Legendre, captum's default).
    pub rule: IntegrationRule,
    /// Points per model call (default 64).
    pub internal_batch_size: usize,
}

impl Default for IntegratedGradients {
    fn default() -> Self {
        IntegratedGradients {
            n_steps: 50,
            rule: IntegrationRule::GaussLegendre,
            internal_batch_size: 64,
        }
    }
}

impl IntegratedGradients {
    /// Attributes f(input) − f(baseline) to the `features` groups of dimensions.
    pub fn explain(
        &self,
        model: &dyn DifferentiableModel,
        input: &[f32],
        baseline: &[f32],
        features: &FeatureGroups,
    ) -> Result<Explanation, ExplainError> {
        let single = |points: &[Vec<f32>]| -> Result<TargetOutputs, ExplainError> {
            Ok(evaluate(model, points)?
                .into_iter()
                .map(|output| vec![output])
                .collect())
        };
        let mut explanations = self.integrate(&single, 1, input, baseline, features)?;
        explanations
            .pop()
            .ok_or_else(|| ExplainError::InvalidModelOutput("no output".to_string()))
    }

    /// One explanation per target of `model` (in target order), from one set of model
    /// calls: every path point is evaluated once for all targets. Each explanation
    /// reports the calls' points as its evaluations and an equal share of the wall time.
    pub fn explain_targets(
        &self,
        model: &dyn DifferentiableModel,
        input: &[f32],
        baseline: &[f32],
        features: &FeatureGroups,
    ) -> Result<Vec<Explanation>, ExplainError> {
        let targets = model.num_targets();
        if targets == 0 {
            return Err(ExplainError::InvalidModelOutput(
                "the model has no targets".to_string(),
            ));
        }
        let all = |points: &[Vec<f32>]| evaluate_targets(model, points, targets);
        self.integrate(&all, targets, input, baseline, features)
    }

    /// Integrated Gradients of `targets` outputs, evaluated by `eval` (point-major).
    fn integrate(
        &self,
        eval: &TargetEval,
        targets: usize,
        input: &[f32],
        baseline: &[f32],
        features: &FeatureGroups,
    ) -> Result<Vec<Explanation>, ExplainError> {
        let start = Instant::now();
        check_point(input, "input")?;
        check_point(baseline, "baseline")?;
        if baseline.len() != input.len() {
            return Err(ExplainError::InvalidInput(format!(
                "baseline has {} dimensions, input {}",
                baseline.len(),
                input.len()
            )));
        }
        features.check(input.len())?;
        if self.internal_batch_size == 0 {
            return Err(ExplainError::invalid(
                "internal_batch_size",
                "must be at least 1",
            ));
        }
        let (alphas, weights) = path_quadrature(self.rule, self.n_steps)?;

        // Point j: 0 = baseline, 1 = input, j ≥ 2 = path point α_{j−2}.
        let total = alphas.len() + 2;
        let point = |j: usize| -> Vec<f32> {
            match j {
                0 => baseline.to_vec(),
                1 => input.to_vec(),
                _ => {
                    let a = alphas[j - 2] as f32;
                    baseline
                        .iter()
                        .zip(input)
                        .map(|(&b, &x)| b + a * (x - b))
                        .collect()
                }
            }
        };
        let mut integrals = vec![vec![0.0f64; input.len()]; targets];
        let mut f_baseline = vec![0.0; targets];
        let mut f_input = vec![0.0; targets];
        let mut next = 0;
        while next < total {
            let end = (next + self.internal_batch_size).min(total);
            let points: Vec<Vec<f32>> = (next..end).map(point).collect();
            for (j, outputs) in (next..end).zip(eval(&points)?) {
                for (k, (value, grad)) in outputs.into_iter().enumerate() {
                    match j {
                        0 => f_baseline[k] = value,
                        1 => f_input[k] = value,
                        _ => {
                            let w = weights[j - 2];
                            for (acc, &g) in integrals[k].iter_mut().zip(&grad) {
                                *acc += w * f64::from(g);
                            }
                        }
                    }
                }
            }
            next = end;
        }

        let wall_time_ms = start.elapsed().as_secs_f64() * 1e3 / targets as f64;
        let mut explanations = Vec::with_capacity(targets);
        for (k, integral) in integrals.iter().enumerate() {
            let per_dim: Vec<f64> = integral
                .iter()
                .zip(input.iter().zip(baseline))
                .map(|(g, (&x, &b))| g * f64::from(x - b))
                .collect();
            let mut e = grouped(
                Method::IntegratedGradients,
                features,
                &per_dim,
                serde_json::to_value(self).unwrap_or_default(),
            );
            let delta = per_dim.iter().sum::<f64>() - (f_input[k] - f_baseline[k]);
            e.base_value = Some(f_baseline[k]);
            e.full_value = Some(f_input[k]);
            e.completeness_delta = Some(delta);
            e.model_evals = total;
            e.requested_evals = total;
            e.wall_time_ms = wall_time_ms;
            if targets > 1 {
                e.target = k;
                e.notes.push(format!(
                    "the {total} gradient points were evaluated once for all {targets} targets"
                ));
            }
            check_finite(&e)?;
            explanations.push(e);
        }
        Ok(explanations)
    }
}

/// Gradient × input: valueᵢ = xᵢ · ∂f/∂xᵢ(x), summed per feature group (captum's
/// `InputXGradient`; IG with a zero baseline and one step). Cost: 1 gradient
/// evaluation. `base_value` is `None` (f(0) is not evaluated).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GradientTimesInput {}

impl GradientTimesInput {
    /// Attributes f(input) to the `features` groups of dimensions.
    pub fn explain(
        &self,
        model: &dyn DifferentiableModel,
        input: &[f32],
        features: &FeatureGroups,
    ) -> Result<Explanation, ExplainError> {
        let start = Instant::now();
        check_point(input, "input")?;
        features.check(input.len())?;
        let outputs = evaluate(model, &[input.to_vec()])?;
        let Some((value, grad)) = outputs.into_iter().next() else {
            return Err(ExplainError::InvalidModelOutput("no output".to_string()));
        };
        let per_dim: Vec<f64> = grad
            .iter()
            .zip(input)
            .map(|(&g, &x)| f64::from(g) * f64::from(x))
            .collect();
        let mut e = grouped(
            Method::GradientXInput,
            features,
            &per_dim,
            serde_json::to_value(self).unwrap_or_default(),
        );
        e.full_value = Some(value);
        e.model_evals = 1;
        e.requested_evals = 1;
        e.wall_time_ms = start.elapsed().as_secs_f64() * 1e3;
        check_finite(&e)?;
        Ok(e)
    }
}

fn check_point(point: &[f32], what: &str) -> Result<(), ExplainError> {
    if point.is_empty() {
        return Err(ExplainError::NoFeatures);
    }
    if point.iter().any(|v| !v.is_finite()) {
        return Err(ExplainError::InvalidInput(format!(
            "{what} contains NaN or infinite values"
        )));
    }
    Ok(())
}

/// Calls the model and validates counts, gradient sizes and finiteness.
fn evaluate(
    model: &dyn DifferentiableModel,
    points: &[Vec<f32>],
) -> Result<Vec<(f64, Vec<f32>)>, ExplainError> {
    let outputs = model.value_and_grad(points)?;
    if outputs.len() != points.len() {
        return Err(ExplainError::InvalidModelOutput(format!(
            "{} outputs for {} points",
            outputs.len(),
            points.len()
        )));
    }
    for (i, (output, point)) in outputs.iter().zip(points).enumerate() {
        check_outputs(std::slice::from_ref(output), point, i)?;
    }
    Ok(outputs)
}

/// Calls a model with several targets and validates the shape of its answer.
fn evaluate_targets(
    model: &dyn DifferentiableModel,
    points: &[Vec<f32>],
    targets: usize,
) -> Result<TargetOutputs, ExplainError> {
    let outputs = model.value_and_grad_targets(points)?;
    if outputs.len() != points.len() {
        return Err(ExplainError::InvalidModelOutput(format!(
            "{} outputs for {} points",
            outputs.len(),
            points.len()
        )));
    }
    for (i, (per_target, point)) in outputs.iter().zip(points).enumerate() {
        if per_target.len() != targets {
            return Err(ExplainError::InvalidModelOutput(format!(
                "{} targets at point #{i}, expected {targets}",
                per_target.len()
            )));
        }
        check_outputs(per_target, point, i)?;
    }
    Ok(outputs)
}

/// Checks gradient sizes and finiteness of the outputs at one point.
fn check_outputs(outputs: &[(f64, Vec<f32>)], point: &[f32], i: usize) -> Result<(), ExplainError> {
    for (value, grad) in outputs {
        if grad.len() != point.len() {
            return Err(ExplainError::InvalidModelOutput(format!(
                "gradient of point #{i} has {} dimensions, the point {}",
                grad.len(),
                point.len()
            )));
        }
        if !value.is_finite() || grad.iter().any(|g| !g.is_finite()) {
            return Err(ExplainError::InvalidModelOutput(format!(
                "non-finite value or gradient at point #{i}"
            )));
        }
    }
    Ok(())
}

/// An explanation whose values are `per_dim` summed per group.
fn grouped(
    method: Method,
    features: &FeatureGroups,
    per_dim: &[f64],
    params: serde_json::Value,
) -> Explanation {
    let mut e = Explanation::blank(method, features.names().to_vec(), 0, None);
    e.values = features.sum(per_dim);
    e.params = params;
    let mut in_group = vec![false; per_dim.len()];
    features
        .groups()
        .iter()
        .flatten()
        .for_each(|&d| in_group[d] = true);
    let (uncovered, carried) = in_group
        .iter()
        .zip(per_dim)
        .filter(|(&covered, _)| !covered)
        .fold((0, 0.0), |(n, sum), (_, v)| (n + 1, sum + v));
    if uncovered > 0 {
        e.notes.push(format!(
            "{uncovered} dimensions in no feature carry {carried:.6e} of the attribution"
        ));
    }
    e
}
