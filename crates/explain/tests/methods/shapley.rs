//! Shapley estimators and occlusion against analytic values.

use daogou_explain::{
    EvalConfig, Evaluator, ExactShapley, ExplainError, Explainer, KernelShap, Mask, Method,
    Occlusion, OwenValues, PermutationShap,
};

use crate::common::{evaluator, max_abs_diff, Games};

const WEIGHTS: [f64; 6] = [1.5, -2.0, 0.5, 3.0, 0.0, -1.0];
const BIAS: f64 = 0.7;

#[test]
fn linear_model_is_recovered_exactly_by_shapley_methods_and_occlusion() {
    let model = Games::linear(BIAS, &WEIGHTS);
    let mut ev = evaluator(&model);
    let full = BIAS + WEIGHTS.iter().sum::<f64>();

    let exact = &ExactShapley::default().explain(&mut ev).unwrap()[0];
    assert!(max_abs_diff(&exact.values, &WEIGHTS) < 1e-12);
    assert_eq!(exact.base_value, Some(BIAS));
    assert!((exact.full_value.unwrap() - full).abs() < 1e-12);

    let kernel = &KernelShap::default().explain(&mut ev).unwrap()[0];
    assert!(max_abs_diff(&kernel.values, &WEIGHTS) < 1e-10);

    let perm = &PermutationShap::default().explain(&mut ev).unwrap()[0];
    assert!(max_abs_diff(&perm.values, &WEIGHTS) < 1e-12);
    let se = perm
        .std_errors
        .as_ref()
        .expect("10 pairs give standard errors");
    assert!(
        se.iter().all(|&s| s < 1e-12),
        "linear: every permutation agrees"
    );

    let occlusion = &Occlusion::default().explain(&mut ev).unwrap()[0];
    assert!(max_abs_diff(&occlusion.values, &WEIGHTS) < 1e-12);
    assert_eq!(occlusion.base_value, None);
    assert_eq!(
        occlusion.model_evals, 0,
        "all M+1 masks were cached by exact"
    );
    assert_eq!(occlusion.requested_evals, WEIGHTS.len() + 1);
}

#[test]
fn sampled_kernel_shap_is_exact_on_a_linear_model() {
    // A linear model is fitted perfectly by the regression whatever the sample.
    let weights: Vec<f64> = (0..16).map(|i| (i as f64 - 7.5) / 3.0).collect();
    let model = Games::linear(-1.0, &weights);
    let mut ev = evaluator(&model);
    let kernel = &KernelShap {
        max_evals: Some(200),
        ..KernelShap::default()
    }
    .explain(&mut ev)
    .unwrap()[0];
    assert!(kernel.model_evals <= 200);
    assert!(max_abs_diff(&kernel.values, &weights) < 1e-9);
}

#[test]
fn exact_shapley_splits_interactions_equally() {
    let model = Games::interaction();
    let mut ev = evaluator(&model);
    let e = &ExactShapley::default().explain(&mut ev).unwrap()[0];
    // x0·x1 → ½ each to 0 and 1; 2·x2 → 2 to feature 2; x0·x1·x3 → ⅓ each to 0, 1, 3.
    let want = [0.5 + 1.0 / 3.0, 0.5 + 1.0 / 3.0, 2.0, 1.0 / 3.0];
    assert!(max_abs_diff(&e.values, &want) < 1e-12, "{:?}", e.values);
    assert_eq!(e.base_value, Some(0.0));
    assert_eq!(e.full_value, Some(4.0));
    assert!(e.efficiency_gap().unwrap() < 1e-12);
    assert_eq!(e.model_evals, 16);
}

#[test]
fn kernel_shap_with_full_enumeration_equals_exact() {
    for model in [Games::interaction(), {
        let mut g = Games::rich16();
        g.num_features = 10;
        g.targets[0].retain(|(_, members)| members.iter().all(|&i| i < 10));
        g
    }] {
        let mut ev = evaluator(&model);
        let exact = &ExactShapley::default().explain(&mut ev).unwrap()[0];
        let kernel = &KernelShap::default().explain(&mut ev).unwrap()[0];
        assert_eq!(kernel.model_evals, 0, "every coalition was cached by exact");
        assert!(kernel.notes[0].contains("exact"), "{:?}", kernel.notes);
        let diff = max_abs_diff(&kernel.values, &exact.values);
        assert!(diff < 1e-9, "M = {}: {diff}", model.num_features);
        assert!(max_abs_diff(&exact.values, &model.shapley(0)) < 1e-12);
    }
}

#[test]
fn sampled_kernel_shap_is_close_on_sixteen_interacting_features() {
    let model = Games::rich16();
    let want = model.shapley(0);
    let mut ev = evaluator(&model);
    let e = &KernelShap {
        max_evals: Some(2048),
        seed: 7,
        ..KernelShap::default()
    }
    .explain(&mut ev)
    .unwrap()[0];
    assert!(
        e.model_evals <= 2048,
        "{} of 65536 coalitions",
        e.model_evals
    );
    // 2048 of 65536 coalitions: over seeds 0..40 the max error is 0.035 median,
    // 0.056 worst; values are O(1).
    let err = max_abs_diff(&e.values, &want);
    assert!(err < 0.08, "max error {err}");
    assert!(
        e.efficiency_gap().unwrap() < 1e-9,
        "efficiency is a constraint"
    );
}

#[test]
fn permutation_shapley_is_within_its_standard_errors() {
    let model = Games::rich16();
    let want = model.shapley(0);
    let mut ev = evaluator(&model);
    let e = &PermutationShap {
        n_permutations: 200,
        seed: 3,
        ..PermutationShap::default()
    }
    .explain(&mut ev)
    .unwrap()[0];
    let se = e.std_errors.as_ref().unwrap();
    for i in 0..16 {
        let err = (e.values[i] - want[i]).abs();
        assert!(
            err <= 4.0 * se[i] + 1e-9,
            "feature {i}: err {err}, se {}",
            se[i]
        );
    }
    // Over seeds 0..40 the worst error is 0.095 (largest standard error ≈ 0.035).
    assert!(max_abs_diff(&e.values, &want) < 0.15);
    assert!(
        se.iter().any(|&s| s > 0.0),
        "interactions make permutations disagree"
    );
    assert!(e.efficiency_gap().unwrap() < 1e-9);
    assert!(e.model_evals <= 2 + 200 * 2 * 15);
}

#[test]
fn same_seed_same_values_different_seed_different_values() {
    let model = Games::rich16();
    let mut ev = evaluator(&model);
    let kernel = |seed| KernelShap {
        max_evals: Some(500),
        seed,
        ..KernelShap::default()
    };
    let a = &kernel(1).explain(&mut ev).unwrap()[0];
    let b = &kernel(1).explain(&mut ev).unwrap()[0];
    let c = &kernel(2).explain(&mut ev).unwrap()[0];
    assert_eq!(a.values, b.values);
    assert!(max_abs_diff(&a.values, &c.values) > 1e-6);
    assert_eq!(a.seed, Some(1));

    let perm = |seed| PermutationShap {
        n_permutations: 5,
        seed,
        ..PermutationShap::default()
    };
    let a = &perm(4).explain(&mut ev).unwrap()[0];
    let b = &perm(4).explain(&mut ev).unwrap()[0];
    let c = &perm(5).explain(&mut ev).unwrap()[0];
    assert_eq!(a.values, b.values);
    assert_eq!(a.std_errors, b.std_errors);
    assert!(max_abs_diff(&a.values, &c.values) > 1e-6);
}

#[test]
fn results_do_not_depend_on_thread_count_or_batching() {
    let model = Games::rich16();
    let method = KernelShap {
        max_evals: Some(700),
        seed: 11,
        ..KernelShap::default()
    };
    let run = |threads: usize, config: EvalConfig| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let mut ev = Evaluator::new(&model, config).unwrap();
            method.explain(&mut ev).unwrap().remove(0).values
        })
    };
    let one = run(1, EvalConfig::default());
    let four = run(
        4,
        EvalConfig {
            batch_size: 7,
            ..EvalConfig::default()
        },
    );
    let sequential = run(
        2,
        EvalConfig {
            parallel: false,
            batch_size: 1000,
            ..EvalConfig::default()
        },
    );
    assert_eq!(one, four);
    assert_eq!(one, sequential);
}

#[test]
fn kernel_ridge_shrinks_but_keeps_efficiency() {
    let model = Games::interaction();
    let mut ev = evaluator(&model);
    let exact = ExactShapley::default().explain(&mut ev).unwrap().remove(0);
    let ridged = KernelShap {
        ridge: 1.0,
        ..KernelShap::default()
    }
    .explain(&mut ev)
    .unwrap()
    .remove(0);
    assert!(
        ridged.efficiency_gap().unwrap() < 1e-9,
        "constraint stays exact"
    );
    // Shrinkage pulls values towards the equal split (f(x) − f(∅))/M = 1.
    let spread = |v: &[f64]| v.iter().map(|x| (x - 1.0).abs()).sum::<f64>();
    assert!(spread(&ridged.values) < spread(&exact.values) - 0.1);
    assert!(ridged.notes.iter().any(|n| n.contains("ridge")));
}

/// Owen values by their definition: the mean marginal contribution over the orders of the
/// features that keep every group together.
fn owen_by_orders(game: &Games, groups: &[Vec<usize>]) -> Vec<f64> {
    fn permutations(items: &[usize]) -> Vec<Vec<usize>> {
        if items.len() <= 1 {
            return vec![items.to_vec()];
        }
        let mut out = Vec::new();
        for (k, &first) in items.iter().enumerate() {
            let mut rest = items.to_vec();
            rest.remove(k);
            for mut tail in permutations(&rest) {
                tail.insert(0, first);
                out.push(tail);
            }
        }
        out
    }
    let m = game.num_features;
    let group_orders = permutations(&(0..groups.len()).collect::<Vec<_>>());
    let mut phi = vec![0.0; m];
    let mut orders = 0usize;
    for group_order in &group_orders {
        // Every combination of the orders inside each group.
        let mut orders_of_features: Vec<Vec<usize>> = vec![vec![]];
        for &k in group_order {
            let inner = permutations(&groups[k]);
            orders_of_features = orders_of_features
                .iter()
                .flat_map(|prefix| inner.iter().map(move |p| [prefix.as_slice(), p].concat()))
                .collect();
        }
        for order in orders_of_features {
            let mut before = game.value(0, &Mask::empty(m));
            for (k, &i) in order.iter().enumerate() {
                let mask = Mask::from_indices(m, &order[..=k]).expect("in range");
                let after = game.value(0, &mask);
                phi[i] += after - before;
                before = after;
            }
            orders += 1;
        }
    }
    phi.iter().map(|v| v / orders as f64).collect()
}

/// A 6-feature game with interactions inside and across groups.
fn six_feature_game() -> Games {
    Games::new(
        6,
        vec![vec![
            (0.5, vec![0]),
            (1.0, vec![0, 1]),
            (2.0, vec![1, 4]),
            (-1.5, vec![2, 3, 5]),
            (0.8, vec![3, 4, 5]),
            (0.3, vec![]),
        ]],
    )
}

#[test]
fn owen_values_are_the_mean_over_orders_that_keep_groups_together() {
    let game = six_feature_game();
    let groups = vec![vec![0, 1, 2], vec![3], vec![4, 5]];
    let mut ev = evaluator(&game);
    let owen = OwenValues {
        groups: Some(groups.clone()),
        ..OwenValues::default()
    }
    .explain(&mut ev)
    .unwrap()
    .remove(0);
    assert_eq!(owen.method, Method::OwenValues);
    let expected = owen_by_orders(&game, &groups);
    assert!(
        max_abs_diff(&owen.values, &expected) < 1e-12,
        "{:?} vs {expected:?}",
        owen.values
    );
    assert!(owen.efficiency_gap().unwrap() < 1e-12);
    assert_eq!(owen.model_evals, OwenValues::cost(&[3, 1, 2]));
    assert!(
        owen.notes[0].contains("[x0 x1 x2] [x3] [x4 x5]"),
        "{:?}",
        owen.notes
    );
    // Not the Shapley values: the grouping changes the game's split.
    assert!(max_abs_diff(&owen.values, &game.shapley(0)) > 0.05);
}

#[test]
fn owen_values_with_one_group_or_singletons_are_the_shapley_values() {
    let game = six_feature_game();
    for groups in [vec![(0..6).collect()], (0..6).map(|i| vec![i]).collect()] {
        let mut ev = evaluator(&game);
        let owen = OwenValues {
            groups: Some(groups),
            ..OwenValues::default()
        }
        .explain(&mut ev)
        .unwrap()
        .remove(0);
        assert!(max_abs_diff(&owen.values, &game.shapley(0)) < 1e-12);
        assert_eq!(owen.model_evals, 64);
    }
}

#[test]
fn owen_values_over_sixteen_features_are_efficient_and_cheap() {
    let game = Games::rich16();
    let mut ev = evaluator(&game);
    let owen = OwenValues::default().explain(&mut ev).unwrap().remove(0);
    assert!(owen.efficiency_gap().unwrap() < 1e-12);
    assert_eq!(owen.model_evals, OwenValues::cost(&[4, 4, 4, 4]));
    assert!(owen.model_evals < 500, "{} of 65,536", owen.model_evals);
    assert_eq!(game.repeats.load(std::sync::atomic::Ordering::SeqCst), 0);
    // Main effects are kept exactly: the groups only move interaction terms.
    let additive = Games::linear(0.2, &(0..16).map(|i| i as f64 - 4.0).collect::<Vec<_>>());
    let mut ev = evaluator(&additive);
    let owen = OwenValues::default().explain(&mut ev).unwrap().remove(0);
    assert!(max_abs_diff(&owen.values, &additive.shapley(0)) < 1e-12);
}

#[test]
fn owen_values_reject_groups_that_are_not_a_partition() {
    let game = six_feature_game();
    for groups in [
        vec![vec![0, 1, 2], vec![3, 4]],       // 5 is missing
        vec![vec![0, 1, 2], vec![2, 3, 4, 5]], // 2 twice
        vec![vec![0, 1, 2, 3, 4, 5], vec![6]], // out of range
        vec![vec![0, 1, 2, 3, 4, 5], vec![]],  // empty group
    ] {
        let mut ev = evaluator(&game);
        let err = OwenValues {
            groups: Some(groups.clone()),
            ..OwenValues::default()
        }
        .explain(&mut ev)
        .unwrap_err();
        assert!(
            matches!(
                err,
                ExplainError::InvalidParameter {
                    param: "groups",
                    ..
                }
            ),
            "{groups:?}: {err}"
        );
        assert_eq!(ev.stats().evaluated, 0);
    }
}
