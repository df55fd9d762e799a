//! LIME: recovery on a linear model, deduplication, feature selection, seeds.

use daogou_explain::{ExactShapley, Explainer, Lime};

use crate::common::{evaluator, max_abs_diff, Games};

const WEIGHTS: [f64; 6] = [1.5, -2.0, 0.5, 3.0, 0.0, -1.0];

#[test]
fn lime_recovers_linear_weights_with_a_perfect_local_fit() {
    let model = Games::linear(0.7, &WEIGHTS);
    let mut ev = evaluator(&model);
    let e = &Lime::default().explain(&mut ev).unwrap()[0];
    // Ridge(alpha = 1) shrinks slightly; total kernel weight is in the thousands.
    let err = max_abs_diff(&e.values, &WEIGHTS);
    assert!(err < 0.01, "max error {err}: {:?}", e.values);
    let local = e.local_model.as_ref().unwrap();
    assert!(local.score > 0.9999, "R² {}", local.score);
    assert!((local.intercept - 0.7).abs() < 0.02, "{}", local.intercept);
    assert_eq!(e.base_value, Some(local.intercept));
    assert!(e.efficiency_gap().unwrap() < 0.02, "surrogate error at x");
    assert_eq!(e.seed, Some(0));
}

#[test]
fn lime_on_six_features_makes_at_most_64_distinct_evaluations() {
    let model = Games::linear(0.0, &WEIGHTS);
    let mut ev = evaluator(&model);
    let e = &Lime::default().explain(&mut ev).unwrap()[0];
    assert_eq!(e.requested_evals, 5000);
    assert!(e.model_evals <= 64, "{}", e.model_evals);
    assert_eq!(
        model.calls(),
        e.model_evals,
        "the model saw only distinct masks"
    );
    assert_eq!(model.repeats.load(std::sync::atomic::Ordering::SeqCst), 0);
    assert_eq!(ev.stats().evaluated, e.model_evals);
}

#[test]
fn lime_num_features_keeps_the_highest_weights_only() {
    let model = Games::linear(0.0, &WEIGHTS);
    let mut ev = evaluator(&model);
    let e = &Lime {
        num_features: Some(2),
        ..Lime::default()
    }
    .explain(&mut ev)
    .unwrap()[0];
    let nonzero: Vec<usize> = (0..6).filter(|&i| e.values[i] != 0.0).collect();
    assert_eq!(nonzero, vec![1, 3], "{:?}", e.values);
    assert!((e.values[3] - 3.0).abs() < 0.3 && (e.values[1] + 2.0).abs() < 0.3);
    assert!(
        e.local_model.as_ref().unwrap().score < 0.999,
        "dropped features cost fit"
    );
}

#[test]
fn lime_reuses_evaluations_and_is_seeded() {
    let model = Games::interaction();
    let mut ev = evaluator(&model);
    ExactShapley::default().explain(&mut ev).unwrap();
    let lime = |seed| Lime {
        num_samples: 300,
        seed,
        ..Lime::default()
    };
    let a = lime(1).explain(&mut ev).unwrap().remove(0);
    assert_eq!(
        a.model_evals, 0,
        "all 16 coalitions cached by exact Shapley"
    );
    let b = lime(1).explain(&mut ev).unwrap().remove(0);
    let c = lime(2).explain(&mut ev).unwrap().remove(0);
    assert_eq!(a.values, b.values);
    assert!(max_abs_diff(&a.values, &c.values) > 1e-6);
}

#[test]
fn lime_kernel_and_ridge_match_the_closed_form_on_one_feature() {
    // With M = 1 every sample but the first removes the only feature, so the data are
    // x (weight 1) and ∅ (weight 4999 · √exp(−100²/25²) = 4999·e⁻⁸), and Ridge(α = 1)
    // with intercept has a closed form.
    let model = Games::new(1, vec![vec![(0.25, vec![]), (2.0, vec![0])]]);
    let mut ev = evaluator(&model);
    let e = Lime::default().explain(&mut ev).unwrap().remove(0);
    let w_empty = 4999.0 * (-8.0f64).exp();
    let mean_z = 1.0 / (1.0 + w_empty);
    let spread = w_empty / (1.0 + w_empty); // Σ w (z − z̄)²
    let beta = 2.0 * spread / (spread + 1.0);
    let intercept = 0.25 + (2.0 - beta) * mean_z;
    assert!(
        (e.values[0] - beta).abs() < 1e-12,
        "{} vs {beta}",
        e.values[0]
    );
    let local = e.local_model.unwrap();
    assert!((local.intercept - intercept).abs() < 1e-12);
    let y_mean = 0.25 + 2.0 * mean_z;
    let ss_res = (2.25 - intercept - beta).powi(2) + w_empty * (0.25 - intercept).powi(2);
    let ss_tot = (2.25 - y_mean).powi(2) + w_empty * (0.25 - y_mean).powi(2);
    assert!((local.score - (1.0 - ss_res / ss_tot)).abs() < 1e-12);
    assert_eq!(e.model_evals, 2);
}
