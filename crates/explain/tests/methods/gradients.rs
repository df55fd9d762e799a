//! Integrated Gradients and gradient × input on analytic functions.

use std::cell::Cell;

use daogou_explain::{
    zero_baseline, DifferentiableModel, ExplainError, FeatureGroups, GradientTimesInput,
    IntegratedGradients, IntegrationRule,
};

/// f(x) = Σ aᵢ xᵢ² + x₀x₁ + sin(x₂), counting evaluated points and calls.
struct Analytic {
    a: Vec<f64>,
    points: Cell<usize>,
    calls: Cell<usize>,
}

impl Analytic {
    fn new() -> Self {
        Analytic {
            a: vec![0.5, 1.0, 2.0, 0.25],
            points: Cell::new(0),
            calls: Cell::new(0),
        }
    }

    /// Exact IG attributions from a zero baseline: aᵢxᵢ² each, x₀x₁ split in half,
    /// sin(x₂) entirely to x₂.
    fn exact_ig(&self, x: &[f32]) -> Vec<f64> {
        let x: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
        let mut ig: Vec<f64> = self.a.iter().zip(&x).map(|(a, v)| a * v * v).collect();
        ig[0] += x[0] * x[1] / 2.0;
        ig[1] += x[0] * x[1] / 2.0;
        ig[2] += x[2].sin();
        ig
    }
}

impl DifferentiableModel for Analytic {
    fn value_and_grad(&self, points: &[Vec<f32>]) -> Result<Vec<(f64, Vec<f32>)>, ExplainError> {
        self.points.set(self.points.get() + points.len());
        self.calls.set(self.calls.get() + 1);
        Ok(points
            .iter()
            .map(|p| {
                let x: Vec<f64> = p.iter().map(|&v| f64::from(v)).collect();
                let f = self.a.iter().zip(&x).map(|(a, v)| a * v * v).sum::<f64>()
                    + x[0] * x[1]
                    + x[2].sin();
                let mut g: Vec<f64> = self.a.iter().zip(&x).map(|(a, v)| 2.0 * a * v).collect();
                g[0] += x[1];
                g[1] += x[0];
                g[2] += x[2].cos();
                (f, g.iter().map(|&v| v as f32).collect())
            })
            .collect())
    }
}

const X: [f32; 4] = [1.0, 2.0, 1.2, 1.5];

fn ig(rule: IntegrationRule, n_steps: usize) -> IntegratedGradients {
    IntegratedGradients {
        n_steps,
        rule,
        ..IntegratedGradients::default()
    }
}

#[test]
fn completeness_within_one_percent_at_64_steps() {
    let model = Analytic::new();
    let features = FeatureGroups::per_dimension(4);
    // Left/right Riemann sums are first order: on this mostly quadratic f their
    // relative error is about 1/n = 1.6% at n = 64, so they get a 2% bound.
    for (rule, tolerance) in [
        (IntegrationRule::RiemannMiddle, 0.01),
        (IntegrationRule::RiemannTrapezoid, 0.01),
        (IntegrationRule::GaussLegendre, 0.01),
        (IntegrationRule::RiemannLeft, 0.02),
        (IntegrationRule::RiemannRight, 0.02),
    ] {
        let e = ig(rule, 64)
            .explain(&model, &X, &zero_baseline(4), &features)
            .unwrap();
        let change = e.full_value.unwrap() - e.base_value.unwrap();
        let delta = e.completeness_delta.unwrap();
        assert!(
            delta.abs() < tolerance * change.abs(),
            "{rule:?}: delta {delta} of {change}"
        );
        assert_eq!(e.model_evals, 66);
        assert!((e.efficiency_gap().unwrap() - delta.abs()).abs() < 1e-9);
    }
}

#[test]
fn gauss_legendre_converges_with_far_fewer_steps() {
    let model = Analytic::new();
    let features = FeatureGroups::per_dimension(4);
    let want = model.exact_ig(&X);
    let gl = ig(IntegrationRule::GaussLegendre, 8)
        .explain(&model, &X, &zero_baseline(4), &features)
        .unwrap();
    let left = ig(IntegrationRule::RiemannLeft, 8)
        .explain(&model, &X, &zero_baseline(4), &features)
        .unwrap();
    let err = |v: &[f64]| {
        v.iter()
            .zip(&want)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max)
    };
    // f32 inputs and gradients limit accuracy to ~1e-6.
    assert!(err(&gl.values) < 1e-5, "GL(8) error {}", err(&gl.values));
    assert!(gl.completeness_delta.unwrap().abs() < 1e-5);
    assert!(
        err(&left.values) > 0.1,
        "left Riemann(8) error {}",
        err(&left.values)
    );
    assert!(left.completeness_delta.unwrap().abs() > 0.1);
}

#[test]
fn groups_sum_dimensions_and_batches_are_respected() {
    let model = Analytic::new();
    let want = model.exact_ig(&X);
    let groups = FeatureGroups::new(vec![vec![0, 1], vec![2]])
        .with_names(vec!["first".into(), "second".into()])
        .unwrap();
    let method = IntegratedGradients {
        n_steps: 16,
        internal_batch_size: 7,
        ..IntegratedGradients::default()
    };
    let e = method
        .explain(&model, &X, &zero_baseline(4), &groups)
        .unwrap();
    assert_eq!(e.feature_names, vec!["first", "second"]);
    assert!((e.values[0] - (want[0] + want[1])).abs() < 1e-5);
    assert!((e.values[1] - want[2]).abs() < 1e-5);
    assert_eq!(model.calls.get(), 3, "18 points in batches of 7");
    assert_eq!(model.points.get(), 18);
    assert!(
        e.notes[0].starts_with("1 dimensions in no feature"),
        "{:?}",
        e.notes
    );
    // Completeness covers all dimensions, including the ungrouped one.
    assert!(e.completeness_delta.unwrap().abs() < 1e-5);
}

#[test]
fn token_groups_map_embedding_dims_to_tokens() {
    let tokens = FeatureGroups::tokens(2, 2);
    assert_eq!(tokens.groups(), &[vec![0, 1], vec![2, 3]]);
    let by_dim = FeatureGroups::from_feature_of_dim(&[Some(1), None, Some(1), Some(0)], 2).unwrap();
    assert_eq!(by_dim.groups(), &[vec![3], vec![0, 2]]);
    assert!(FeatureGroups::from_feature_of_dim(&[Some(2)], 2).is_err());
}

/// f(x) = Σ wᵢ xᵢ.
struct Linear(Vec<f32>);

impl DifferentiableModel for Linear {
    fn value_and_grad(&self, points: &[Vec<f32>]) -> Result<Vec<(f64, Vec<f32>)>, ExplainError> {
        Ok(points
            .iter()
            .map(|p| {
                let f = p.iter().zip(&self.0).map(|(x, w)| f64::from(x * w)).sum();
                (f, self.0.clone())
            })
            .collect())
    }
}

#[test]
fn gradient_times_input_on_a_linear_function_is_w_times_x() {
    let w = vec![2.0f32, -1.0, 0.5];
    let x = [3.0f32, 4.0, -2.0];
    let e = GradientTimesInput::default()
        .explain(&Linear(w.clone()), &x, &FeatureGroups::per_dimension(3))
        .unwrap();
    assert_eq!(e.values, vec![6.0, -4.0, -1.0]);
    assert_eq!(e.full_value, Some(1.0));
    assert_eq!(e.base_value, None);
    assert_eq!(e.model_evals, 1);
    assert_eq!(e.method.name(), "gradient_x_input");
}

#[test]
fn gradient_methods_reject_bad_inputs() {
    let model = Linear(vec![1.0, 1.0]);
    let features = FeatureGroups::per_dimension(2);
    let method = IntegratedGradients::default();
    assert!(matches!(
        method.explain(&model, &[1.0, 2.0], &[0.0], &features),
        Err(ExplainError::InvalidInput(_))
    ));
    assert!(matches!(
        method.explain(&model, &[1.0, f32::NAN], &[0.0, 0.0], &features),
        Err(ExplainError::InvalidInput(_))
    ));
    assert!(matches!(
        method.explain(&model, &[], &[], &FeatureGroups::per_dimension(0)),
        Err(ExplainError::NoFeatures)
    ));
    assert!(matches!(
        method.explain(
            &model,
            &[1.0, 2.0],
            &[0.0, 0.0],
            &FeatureGroups::per_dimension(3)
        ),
        Err(ExplainError::InvalidInput(_))
    ));
    let wrong_grad = Linear(vec![1.0]);
    assert!(matches!(
        method.explain(&wrong_grad, &[1.0, 2.0], &[0.0, 0.0], &features),
        Err(ExplainError::InvalidModelOutput(_))
    ));
    let trapezoid_one_step = ig(IntegrationRule::RiemannTrapezoid, 1);
    assert!(matches!(
        trapezoid_one_step.explain(&model, &[1.0, 2.0], &[0.0, 0.0], &features),
        Err(ExplainError::InvalidParameter { .. })
    ));
}

/// Two analytic targets, f₀ = [`Analytic`] and f₁ = 3·f₀ − x₃, answered together.
struct TwoTargets(Analytic);

impl DifferentiableModel for TwoTargets {
    fn value_and_grad(&self, points: &[Vec<f32>]) -> Result<Vec<(f64, Vec<f32>)>, ExplainError> {
        self.0.value_and_grad(points)
    }

    fn num_targets(&self) -> usize {
        2
    }

    fn value_and_grad_targets(
        &self,
        points: &[Vec<f32>],
    ) -> Result<Vec<Vec<(f64, Vec<f32>)>>, ExplainError> {
        let first = self.0.value_and_grad(points)?;
        Ok(first
            .into_iter()
            .zip(points)
            .map(|((f, g), p)| {
                let mut g1: Vec<f32> = g.iter().map(|v| 3.0 * v).collect();
                g1[3] -= 1.0;
                let f1 = 3.0 * f - f64::from(p[3]);
                vec![(f, g), (f1, g1)]
            })
            .collect())
    }
}

#[test]
fn explain_targets_shares_the_calls_and_matches_single_target_runs() {
    let model = TwoTargets(Analytic::new());
    let features = FeatureGroups::per_dimension(4);
    let method = ig(IntegrationRule::GaussLegendre, 50);
    let both = method
        .explain_targets(&model, &X, &zero_baseline(4), &features)
        .expect("ig");
    assert_eq!(both.len(), 2);
    // One set of calls: 52 points in one call of at most 64 points.
    assert_eq!(model.0.calls.get(), 1);
    assert_eq!(model.0.points.get(), 52);
    let single = method
        .explain(&model, &X, &zero_baseline(4), &features)
        .expect("ig");
    for (a, b) in both[0].values.iter().zip(&single.values) {
        assert!((a - b).abs() < 1e-12, "{a} vs {b}");
    }
    // Target 1 is linear in target 0's attributions, minus x₃ for x₃.
    let exact = model.0.exact_ig(&X);
    for (i, v) in both[1].values.iter().enumerate() {
        let expected = 3.0 * exact[i] - if i == 3 { f64::from(X[3]) } else { 0.0 };
        assert!(
            (v - expected).abs() < 1e-4,
            "feature {i}: {v} vs {expected}"
        );
    }
    assert_eq!(both[1].target, 1);
    assert!(both[1].completeness_delta.expect("delta").abs() < 1e-4);
}
