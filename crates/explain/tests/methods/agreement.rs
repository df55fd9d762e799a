//! Rank agreement, stability and cost summaries.

use daogou_explain::metrics::{
    compare_to_reference, kendall_tau_b, mean_pairwise_spearman, spearman, summarize_costs,
    top_k_overlap, ImportanceOrder,
};
use daogou_explain::{ExactShapley, Explainer, Occlusion};

use crate::common::{evaluator, Games};

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-12)
}

#[test]
fn spearman_and_kendall_with_ties_match_scipy() {
    // scipy.stats.spearmanr / kendalltau (scipy 1.17.1).
    let a = [1.0, 2.0, 2.0, 3.0, 4.0, 4.0, 4.0, 5.0];
    let b = [2.0, 1.0, 3.0, 3.0, 5.0, 4.0, 6.0, 6.0];
    assert!(close(spearman(&a, &b).unwrap(), 0.9007775105401477));
    assert!(close(kendall_tau_b(&a, &b).unwrap(), 0.8006407690254358));
    let a = [0.5, -1.0, 0.5, 2.0, 0.0, 0.0];
    let b = [1.0, 1.0, 0.0, 3.0, -2.0, -0.0];
    assert!(close(spearman(&a, &b).unwrap(), 0.43939393939393934));
    assert!(close(kendall_tau_b(&a, &b).unwrap(), 0.3846153846153847));

    let up = [1.0, 2.0, 3.0, 4.0];
    let down = [9.0, 5.0, 2.0, 0.0];
    assert_eq!(spearman(&up, &down).unwrap(), Some(-1.0));
    assert_eq!(kendall_tau_b(&up, &down).unwrap(), Some(-1.0));
    assert_eq!(spearman(&up, &[1.0; 4]).unwrap(), None, "constant side");
    assert_eq!(kendall_tau_b(&[1.0], &[2.0]).unwrap(), None, "one feature");
    assert!(spearman(&up, &[1.0]).is_err());
    assert!(kendall_tau_b(&up, &[1.0, f64::NAN, 0.0, 0.0]).is_err());
}

#[test]
fn top_k_overlap_and_stability_by_hand() {
    let a = [5.0, 4.0, 3.0, 2.0, 1.0];
    let b = [5.0, 1.0, 4.0, 3.0, 2.0];
    // Top 2: {0, 1} vs {0, 2}: one shared, Jaccard 1/3.
    let o = top_k_overlap(&a, &b, 2, ImportanceOrder::Signed).unwrap();
    assert_eq!((o.k, o.intersection), (2, 1));
    assert!((o.jaccard - 1.0 / 3.0).abs() < 1e-15);
    // By magnitude −9 comes first.
    let o = top_k_overlap(
        &[-9.0, 1.0, 2.0],
        &[3.0, 0.0, 1.0],
        1,
        ImportanceOrder::Absolute,
    )
    .unwrap();
    assert_eq!(o.intersection, 1);
    assert_eq!(
        top_k_overlap(&a, &b, 10, ImportanceOrder::Signed)
            .unwrap()
            .k,
        5
    );
    assert!(top_k_overlap(&a, &b, 0, ImportanceOrder::Signed).is_err());

    // Pairs: ρ = 1, −1, −1 → mean −1/3, sample std √(4/3).
    let runs = [
        vec![1.0, 2.0, 3.0],
        vec![1.0, 2.0, 3.0],
        vec![3.0, 2.0, 1.0],
    ];
    let s = mean_pairwise_spearman(&runs).unwrap();
    assert_eq!((s.runs, s.pairs, s.undefined_pairs), (3, 3, 0));
    let rho = s.spearman.unwrap();
    assert!((rho.mean + 1.0 / 3.0).abs() < 1e-15);
    assert!((rho.std - 1.1547005383792517).abs() < 1e-12);
    let with_constant = mean_pairwise_spearman(&[vec![1.0, 2.0], vec![0.0, 0.0]]).unwrap();
    assert_eq!(
        (with_constant.undefined_pairs, with_constant.spearman),
        (1, None)
    );
    assert!(mean_pairwise_spearman(&[vec![1.0]]).is_err());
}

#[test]
fn occlusion_compared_to_exact_shapley_on_an_interaction_game() {
    // f = x0·x1 + 2·x2 + x0·x1·x3: Shapley 5/6, 5/6, 2, 1/3; leave-one-out 2, 2, 2, 1.
    let model = Games::interaction();
    let mut ev = evaluator(&model);
    let exact = ExactShapley::default().explain(&mut ev).unwrap().remove(0);
    let occlusion = Occlusion::default().explain(&mut ev).unwrap().remove(0);
    let rows = compare_to_reference(
        &exact,
        &[exact.clone(), occlusion],
        2,
        ImportanceOrder::Signed,
    )
    .unwrap();
    assert_eq!(rows[0].spearman, Some(1.0));
    assert_eq!(rows[0].max_abs_error, 0.0);
    let occ = &rows[1];
    assert_eq!(
        (occ.method.as_str(), occ.reference.as_str()),
        ("occlusion", "exact_shapley")
    );
    // scipy: spearmanr([2,2,2,1],[5/6,5/6,2,1/3]) = 0.8164965809277261, kendalltau
    // = 3/√15 (3 concordant, 0 discordant, 3 ties in occlusion, 1 in Shapley).
    assert!(close(occ.spearman, 0.8164965809277261));
    assert!(close(occ.kendall_tau_b, 3.0 / 15f64.sqrt()));
    // Top 2: occlusion {0, 1} (ties by index), Shapley {2, 0}.
    assert_eq!(occ.top_k.intersection, 1);
    assert!((occ.max_abs_error - 7.0 / 6.0).abs() < 1e-12);
    // √((2·(7/6)² + (2/3)²)/4).
    assert!((occ.rmse - 0.8897565210026092).abs() < 1e-12);
}

#[test]
fn costs_are_counted_once_per_call() {
    // Two targets: one exact Shapley call (2³ = 8 evaluations) explains both.
    let model = Games::new(3, vec![vec![(1.0, vec![0])], vec![(1.0, vec![1, 2])]]);
    let mut ev = evaluator(&model);
    let exact = ExactShapley::default().explain(&mut ev).unwrap();
    let mut occlusions = Vec::new();
    for _ in 0..2 {
        let mut fresh = evaluator(&model);
        occlusions.push(Occlusion::default().explain(&mut fresh).unwrap());
    }
    let mut calls = vec![exact];
    calls.extend(occlusions);
    calls.push(Vec::new());
    let summary = summarize_costs(&calls);
    assert_eq!(summary.len(), 2);
    let (e, o) = (&summary[0], &summary[1]);
    assert_eq!(
        (e.method.as_str(), e.calls, e.explanations),
        ("exact_shapley", 1, 2)
    );
    assert_eq!(e.model_evals.total, 8.0);
    assert_eq!(e.model_evals_per_explanation, 4.0);
    // Occlusion: M + 1 = 4 evaluations per call, two calls, four explanations.
    assert_eq!(
        (o.method.as_str(), o.calls, o.explanations),
        ("occlusion", 2, 4)
    );
    assert_eq!(
        (o.model_evals.total, o.model_evals.mean, o.model_evals.max),
        (8.0, 4.0, 4.0)
    );
    assert_eq!(o.model_evals_per_explanation, 2.0);
    assert!(serde_json::to_string(&summary).is_ok());
}
