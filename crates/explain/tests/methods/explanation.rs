//! The result type: helpers and JSON round trip.

use daogou_explain::{Explainer, Explanation, PermutationShap};

use crate::common::{evaluator, Games};

fn sample() -> Explanation {
    let model = Games::new(
        3,
        vec![vec![
            (1.0, vec![]),
            (0.5, vec![0]),
            (-2.0, vec![1]),
            (1.0, vec![0, 2]),
        ]],
    );
    let mut ev = evaluator(&model)
        .with_feature_names(vec!["red".into(), "cheap".into(), "shoes".into()])
        .unwrap();
    PermutationShap::default()
        .explain(&mut ev)
        .unwrap()
        .remove(0)
}

#[test]
fn helpers_sort_by_magnitude() {
    let e = sample();
    // Shapley: red 0.5 + 0.5, cheap −2, shoes 0.5.
    assert_eq!(e.sorted_indices(), vec![1, 0, 2]);
    let top = e.top_k(2);
    assert_eq!(top.len(), 2);
    assert_eq!((top[0].index, top[0].name.as_str()), (1, "cheap"));
    assert!((top[0].value + 2.0).abs() < 1e-12);
    assert_eq!(e.top_k(10).len(), 3);
    assert!(e.efficiency_gap().unwrap() < 1e-12);
    assert_eq!(e.num_features(), 3);
}

#[test]
fn explanation_round_trips_through_json() {
    let e = sample();
    let json = serde_json::to_string(&e).unwrap();
    assert!(json.contains("\"method\":\"permutation_shap\""), "{json}");
    assert!(json.contains("\"n_permutations\":10"), "{json}");
    let back: Explanation = serde_json::from_str(&json).unwrap();
    assert_eq!(back, e);
}
