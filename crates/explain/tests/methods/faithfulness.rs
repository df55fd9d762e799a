//! Faithfulness metrics on additive models with hand-computed values.

use daogou_explain::metrics::faithfulness::ERASER_BINS;
use daogou_explain::metrics::{CurveStep, Faithfulness, FaithfulnessReport};
use daogou_explain::{ExactShapley, Explainer, Occlusion};

use crate::common::{evaluator, Games};

const TOL: f64 = 1e-12;

fn no_random() -> Faithfulness {
    Faithfulness {
        random_baselines: 0,
        ..Faithfulness::default()
    }
}

fn values(bins: &[daogou_explain::metrics::faithfulness::BinScore]) -> Vec<f64> {
    bins.iter().map(|b| b.value).collect()
}

fn assert_close(actual: &[f64], expected: &[f64]) {
    assert_eq!(actual.len(), expected.len(), "{actual:?} vs {expected:?}");
    for (a, e) in actual.iter().zip(expected) {
        assert!((a - e).abs() < TOL, "{actual:?} vs {expected:?}");
    }
}

#[test]
fn additive_model_comprehensiveness_sufficiency_and_aopc_by_hand() {
    // f = 0.5 + 1·m0 + 4·m1 + 2·m2 + 3·m3: f(x) = 10.5, f(∅) = 0.5; order 1, 3, 2, 0.
    let weights = [1.0, 4.0, 2.0, 3.0];
    let model = Games::linear(0.5, &weights);
    let mut ev = evaluator(&model);
    let report = no_random().evaluate(&mut ev, 0, &weights).unwrap();
    assert_eq!(report.full_value, 10.5);
    assert_eq!(report.empty_value, 0.5);

    // ERASER bins of M = 4: ⌈0.04⌉, ⌈0.2⌉, ⌈0.4⌉, ⌈0.8⌉, ⌈2⌉ = 1, 1, 1, 1, 2 features.
    let s = &report.scores;
    let sizes: Vec<usize> = s.comprehensiveness.iter().map(|b| b.features).collect();
    assert_eq!(sizes, [1, 1, 1, 1, 2]);
    // Without the top feature (w = 4): 10.5 − 6.5 = 4; without the top two: 4 + 3 = 7.
    assert_close(&values(&s.comprehensiveness), &[4.0, 4.0, 4.0, 4.0, 7.0]);
    // Only the top feature: f = 0.5 + 4, so 10.5 − 4.5 = 6 (= Σw − w_top); top two: 3.
    assert_close(&values(&s.sufficiency), &[6.0, 6.0, 6.0, 6.0, 3.0]);
    assert!((s.comprehensiveness_aopc - 23.0 / 5.0).abs() < TOL);
    assert!((s.sufficiency_aopc - 27.0 / 5.0).abs() < TOL);
    // Leave-one-out effects are the weights, ranked exactly like the attribution.
    assert_close(report.leave_one_out.as_deref().unwrap(), &weights);
    assert_eq!(s.loo_kendall_tau_b, Some(1.0));

    // Quartile bins: k = 1, 2, 3, 4.
    let quartiles = Faithfulness {
        bins_percent: vec![25.0, 50.0, 75.0, 100.0],
        ..no_random()
    };
    let q = quartiles.evaluate(&mut ev, 0, &weights).unwrap().scores;
    assert_close(&values(&q.comprehensiveness), &[4.0, 7.0, 9.0, 10.0]);
    assert_close(&values(&q.sufficiency), &[6.0, 3.0, 1.0, 0.0]);
    assert!((q.comprehensiveness_aopc - 7.5).abs() < TOL);
    assert!((q.sufficiency_aopc - 2.5).abs() < TOL);
    // Deletion: 10.5, 6.5, 3.5, 1.5, 0.5 → ¼·(8.5 + 5 + 2.5 + 1) = 4.25.
    assert!((q.deletion.auc - 4.25).abs() < TOL);
}

#[test]
fn deletion_and_insertion_curves_by_hand() {
    // f = 3·m0 + 1·m1 + 2·m2, removal order 0, 2, 1.
    let weights = [3.0, 1.0, 2.0];
    let model = Games::linear(0.0, &weights);
    let mut ev = evaluator(&model);
    let s = no_random().evaluate(&mut ev, 0, &weights).unwrap().scores;
    let xs: Vec<f64> = s.deletion.points.iter().map(|p| p.fraction).collect();
    assert_close(&xs, &[0.0, 1.0 / 3.0, 2.0 / 3.0, 1.0]);
    let deletion: Vec<f64> = s.deletion.points.iter().map(|p| p.score).collect();
    assert_close(&deletion, &[6.0, 3.0, 1.0, 0.0]);
    // ⅓·((6+3)/2 + (3+1)/2 + (1+0)/2) = 7/3.
    assert!((s.deletion.auc - 7.0 / 3.0).abs() < TOL);
    let insertion: Vec<f64> = s.insertion.points.iter().map(|p| p.score).collect();
    assert_close(&insertion, &[0.0, 3.0, 5.0, 6.0]);
    // ⅓·((0+3)/2 + (3+5)/2 + (5+6)/2) = 11/3.
    assert!((s.insertion.auc - 11.0 / 3.0).abs() < TOL);

    // Steps of ⌈0.5·3⌉ = 2 features: x = 0, 2/3, 1.
    let coarse = Faithfulness {
        curve_step: CurveStep::Fraction(0.5),
        ..no_random()
    };
    let c = coarse.evaluate(&mut ev, 0, &weights).unwrap().scores;
    let features: Vec<usize> = c.deletion.points.iter().map(|p| p.features).collect();
    assert_eq!(features, [0, 2, 3]);
    // Deletion 6, 1, 0: ⅔·3.5 + ⅓·0.5 = 2.5; insertion 0, 5, 6: ⅔·2.5 + ⅓·5.5 = 3.5.
    assert!((c.deletion.auc - 2.5).abs() < TOL);
    assert!((c.insertion.auc - 3.5).abs() < TOL);
}

#[test]
fn true_attribution_beats_random_and_reversed_is_worse_than_random() {
    // Known importances 8, 7, …, 1 on features 0..8 (shuffled positions).
    let weights = [3.0, 8.0, 1.0, 6.0, 2.0, 7.0, 5.0, 4.0];
    let model = Games::linear(0.25, &weights);
    let mut ev = evaluator(&model);
    let config = Faithfulness {
        random_baselines: 20,
        seed: 3,
        ..Faithfulness::default()
    };
    let good = config.evaluate(&mut ev, 0, &weights).unwrap();
    let reversed: Vec<f64> = weights.iter().map(|w| -w).collect();
    let bad = config.evaluate(&mut ev, 0, &reversed).unwrap();

    for (report, better) in [(&good, true), (&bad, false)] {
        let r = report.random.as_ref().expect("random baseline");
        assert_eq!(r.permutations, 20);
        let s = &report.scores;
        let checks = [
            (
                "comprehensiveness AOPC",
                s.comprehensiveness_aopc > r.comprehensiveness_aopc.mean,
            ),
            (
                "sufficiency AOPC",
                s.sufficiency_aopc < r.sufficiency_aopc.mean,
            ),
            ("deletion AUC", s.deletion.auc < r.deletion_auc.mean),
            ("insertion AUC", s.insertion.auc > r.insertion_auc.mean),
        ];
        for (name, beats) in checks {
            assert_eq!(beats, better, "{} vs random: {name}", report.method);
        }
    }
    assert_eq!(good.scores.loo_kendall_tau_b, Some(1.0));
    assert_eq!(bad.scores.loo_kendall_tau_b, Some(-1.0));
    let random_tau = good
        .random
        .as_ref()
        .and_then(|r| r.loo_kendall_tau_b)
        .unwrap();
    assert!(random_tau.mean.abs() < 0.5, "random τ {random_tau:?}");
    // The same random orders for the same seed, whatever was attributed.
    assert_eq!(
        good.random.as_ref().map(|r| r.deletion_auc),
        bad.random.as_ref().map(|r| r.deletion_auc)
    );
}

#[test]
fn metrics_evaluate_through_the_evaluator_cache() {
    let weights = [1.0, 4.0, 2.0, 3.0, 0.5];
    let model = Games::linear(0.0, &weights);
    let mut ev = evaluator(&model);
    let shapley = &ExactShapley::default().explain(&mut ev).unwrap()[0];
    let calls_after_shapley = model.calls();
    assert_eq!(calls_after_shapley, 32);

    // Every coalition is cached, so the metrics cost no model call at all.
    let report = Faithfulness::default()
        .evaluate_explanation(&mut ev, shapley)
        .unwrap();
    assert_eq!(report.method, "exact_shapley");
    assert_eq!(report.model_evals, 0);
    assert!(report.requested_evals > 0);
    assert_eq!(model.calls(), calls_after_shapley);

    // On a fresh evaluator masks are deduplicated: nothing is sent twice, and the
    // leave-one-out masks are reused by Occlusion.
    let fresh_model = Games::linear(0.0, &weights);
    let mut fresh = evaluator(&fresh_model);
    let report = Faithfulness::default()
        .evaluate(&mut fresh, 0, &weights)
        .unwrap();
    assert_eq!(report.model_evals, fresh_model.calls());
    assert_eq!(
        fresh_model
            .repeats
            .load(std::sync::atomic::Ordering::SeqCst),
        0
    );
    let occlusion = &Occlusion::default().explain(&mut fresh).unwrap()[0];
    assert_eq!(occlusion.model_evals, 0);
    assert_eq!(Some(occlusion.values.clone()), report.leave_one_out);
}

#[test]
fn report_serialises_and_bad_input_is_rejected() {
    let weights = [1.0, 2.0, 3.0];
    let model = Games::linear(0.0, &weights);
    let mut ev = evaluator(&model);
    let report = Faithfulness::default()
        .evaluate(&mut ev, 0, &weights)
        .unwrap();
    let json = serde_json::to_string(&report).unwrap();
    let back: FaithfulnessReport = serde_json::from_str(&json).unwrap();
    assert_eq!(back.scores, report.scores);
    assert_eq!(back.config.bins_percent, ERASER_BINS.to_vec());

    let f = Faithfulness::default();
    assert!(f.evaluate(&mut ev, 0, &[1.0, 2.0]).is_err(), "wrong length");
    assert!(f.evaluate(&mut ev, 1, &weights).is_err(), "no target 1");
    assert!(f.evaluate(&mut ev, 0, &[1.0, f64::NAN, 0.0]).is_err());
    let bad_bins = Faithfulness {
        bins_percent: vec![0.0],
        ..Faithfulness::default()
    };
    assert!(bad_bins.evaluate(&mut ev, 0, &weights).is_err());
    let bad_step = Faithfulness {
        curve_step: CurveStep::Fraction(1.5),
        ..Faithfulness::default()
    };
    assert!(bad_step.evaluate(&mut ev, 0, &weights).is_err());
}
