//! Degenerate inputs: no panics, clear errors, documented fallbacks.

use std::time::Instant;

use daogou_explain::{
    Auto, AutoChoice, EvalConfig, Evaluator, ExactShapley, ExplainError, Explainer, FnModel,
    KernelShap, Lime, Mask, Occlusion, PermutationShap,
};

use crate::common::{evaluator, Games};

fn all_methods() -> Vec<(&'static str, Box<dyn Explainer>)> {
    vec![
        ("exact", Box::new(ExactShapley::default())),
        ("kernel", Box::new(KernelShap::default())),
        ("permutation", Box::new(PermutationShap::default())),
        ("lime", Box::new(Lime::default())),
        ("occlusion", Box::new(Occlusion::default())),
        ("auto", Box::new(Auto::default())),
    ]
}

#[test]
fn zero_features_is_a_clear_error_for_every_method() {
    let model = Games::new(0, vec![vec![(1.0, vec![])]]);
    for (name, method) in all_methods() {
        let mut ev = evaluator(&model);
        let err = method.explain(&mut ev).unwrap_err();
        assert_eq!(err, ExplainError::NoFeatures, "{name}");
    }
}

#[test]
fn one_feature_gives_the_trivial_exact_answer() {
    let model = Games::new(1, vec![vec![(0.25, vec![]), (2.0, vec![0])]]);
    for (name, method) in all_methods() {
        let mut ev = evaluator(&model);
        let e = method.explain(&mut ev).unwrap().remove(0);
        if name == "lime" {
            // LIME is a ridge surrogate, not Shapley: with one feature every other
            // sample is the empty mask, far from x, so alpha = 1 shrinks strongly.
            assert!(
                e.values[0] > 0.0 && e.values[0] < 2.0,
                "{name}: {:?}",
                e.values
            );
        } else {
            assert!((e.values[0] - 2.0).abs() < 1e-12, "{name}: {:?}", e.values);
        }
    }
}

#[test]
fn ten_thousand_features_fall_back_to_occlusion_quickly() {
    let weights: Vec<f64> = (0..10_000).map(|i| ((i % 17) as f64 - 8.0) / 8.0).collect();
    let model = FnModel::new(10_000, 1, |masks: &[Mask]| {
        Ok(masks
            .iter()
            .map(|m| vec![m.present().map(|i| weights[i]).sum()])
            .collect())
    });
    let start = Instant::now();
    let mut ev = evaluator(&model);
    let e = Auto::default().explain(&mut ev).unwrap().remove(0);
    let elapsed = start.elapsed();
    assert_eq!(e.method.name(), "occlusion");
    let fallback = e.fallback.as_deref().expect("fallback is reported");
    assert!(
        fallback.contains("occlusion") && fallback.contains("10000"),
        "{fallback}"
    );
    assert_eq!(e.model_evals, 10_001);
    let err = e
        .values
        .iter()
        .zip(&weights)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(err < 1e-9, "{err}");
    assert!(elapsed.as_secs_f64() < 5.0, "took {elapsed:?}");

    // Methods that cannot scale refuse instead of enumerating or solving blindly.
    let err = ExactShapley::default().explain(&mut ev).unwrap_err();
    assert!(matches!(err, ExplainError::TooManyFeatures { .. }), "{err}");
    let err = KernelShap::default().explain(&mut ev).unwrap_err();
    assert!(matches!(err, ExplainError::TooManyFeatures { .. }), "{err}");
    let err = Lime::default().explain(&mut ev).unwrap_err();
    assert!(matches!(err, ExplainError::TooManyFeatures { .. }), "{err}");
    assert_eq!(ev.stats().evaluated, 10_001, "refusals evaluate nothing");
}

#[test]
fn auto_follows_its_documented_rule() {
    let auto = Auto::default();
    assert!(matches!(auto.plan(1).unwrap().choice, AutoChoice::Exact(_)));
    assert!(matches!(auto.plan(8).unwrap().choice, AutoChoice::Exact(_)));
    // Past 2^8 coalitions: Owen values over contiguous groups, while they fit the budget.
    let plan = auto.plan(9).unwrap();
    assert!(matches!(plan.choice, AutoChoice::Owen(_)) && !plan.fallback);
    assert!(
        plan.reason.contains("[3, 3, 3]") && plan.reason.contains("80"),
        "{}",
        plan.reason
    );
    assert!(matches!(auto.plan(24).unwrap().choice, AutoChoice::Owen(_)));
    assert!(matches!(
        auto.plan(25).unwrap().choice,
        AutoChoice::Kernel(_)
    ));
    assert!(matches!(
        auto.plan(512).unwrap().choice,
        AutoChoice::Kernel(_)
    ));
    let plan = auto.plan(600).unwrap();
    assert!(matches!(plan.choice, AutoChoice::Permutation(_)) && plan.fallback);
    assert!(matches!(
        auto.plan(10_000).unwrap().choice,
        AutoChoice::Occlusion(_)
    ));
    assert_eq!(auto.plan(0).unwrap_err(), ExplainError::NoFeatures);

    let budget = |b| Auto {
        max_evals: Some(b),
        ..Auto::default()
    };
    // 2^8 = 256 evaluations do not fit 100: Owen values (64 for groups of 3, 3 and 2).
    assert!(matches!(
        budget(100).plan(8).unwrap().choice,
        AutoChoice::Owen(_)
    ));
    // Owen values over 10 features (112) do not fit 100: Kernel SHAP instead.
    assert!(matches!(
        budget(100).plan(10).unwrap().choice,
        AutoChoice::Kernel(_)
    ));
    // Between M + 1 and Kernel SHAP's minimum 2 + 2M: occlusion.
    let plan = budget(15).plan(10).unwrap();
    assert!(matches!(plan.choice, AutoChoice::Occlusion(_)) && plan.fallback);
    assert!(matches!(
        budget(5).plan(10),
        Err(ExplainError::BudgetTooSmall { required: 11, .. })
    ));
}

#[test]
fn budgets_smaller_than_the_feature_count_are_rejected() {
    let model = Games::linear(0.0, &[1.0; 10]);
    let mut ev = evaluator(&model);
    let kernel = KernelShap {
        max_evals: Some(5),
        ..KernelShap::default()
    };
    assert!(matches!(
        kernel.explain(&mut ev),
        Err(ExplainError::BudgetTooSmall { required: 22, .. })
    ));
    let perm = PermutationShap {
        max_evals: Some(10),
        ..PermutationShap::default()
    };
    assert!(matches!(
        perm.explain(&mut ev),
        Err(ExplainError::BudgetTooSmall { required: 20, .. })
    ));
    let auto = Auto {
        max_evals: Some(15),
        ..Auto::default()
    };
    let e = auto.explain(&mut ev).unwrap().remove(0);
    assert_eq!(e.method.name(), "occlusion");
    assert!(e.fallback.is_some());
    assert_eq!(
        ev.stats().evaluated,
        11,
        "nothing evaluated by the refused methods"
    );
}

#[test]
fn non_finite_model_scores_name_the_mask() {
    // NaN whenever feature 2 is absent.
    let model = FnModel::new(4, 1, |masks: &[Mask]| {
        Ok(masks
            .iter()
            .map(|m| vec![if m.contains(2) { 1.0 } else { f64::NAN }])
            .collect())
    });
    for (name, method) in all_methods() {
        let mut ev = evaluator(&model);
        let err = method.explain(&mut ev).unwrap_err();
        match &err {
            ExplainError::NonFiniteScore { mask, value, .. } => {
                assert!(value.is_nan());
                assert_eq!(&mask[2..3], "0", "{name}: {mask}");
            }
            other => panic!("{name}: unexpected {other}"),
        }
        assert!(err.to_string().contains("mask #"), "{err}");
    }

    let infinite = FnModel::new(2, 1, |masks: &[Mask]| {
        Ok(masks.iter().map(|_| vec![f64::INFINITY]).collect())
    });
    let mut ev = Evaluator::new(&infinite, EvalConfig::default()).unwrap();
    let err = ev.evaluate(&[Mask::full(2), Mask::empty(2)]).unwrap_err();
    assert!(
        matches!(err, ExplainError::NonFiniteScore { mask_index: 0, .. }),
        "{err}"
    );
}

#[test]
fn invalid_parameters_are_rejected() {
    let model = Games::linear(0.0, &[1.0, 2.0]);
    let mut ev = evaluator(&model);
    let bad_lime = [
        Lime {
            kernel_width: 0.0,
            ..Lime::default()
        },
        Lime {
            num_samples: 0,
            ..Lime::default()
        },
        Lime {
            alpha: f64::NAN,
            ..Lime::default()
        },
        Lime {
            num_features: Some(0),
            ..Lime::default()
        },
    ];
    for lime in bad_lime {
        assert!(matches!(
            lime.explain(&mut ev),
            Err(ExplainError::InvalidParameter { .. })
        ));
    }
    let bad_ridge = KernelShap {
        ridge: -1.0,
        ..KernelShap::default()
    };
    assert!(matches!(
        bad_ridge.explain(&mut ev),
        Err(ExplainError::InvalidParameter { param: "ridge", .. })
    ));
    let no_perms = PermutationShap {
        n_permutations: 0,
        ..PermutationShap::default()
    };
    assert!(no_perms.explain(&mut ev).is_err());
    assert!(ev
        .evaluate(&[Mask::full(2)])
        .is_ok_and(|s| s.row(0) == [3.0]));
}
