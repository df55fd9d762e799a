//! One evaluation set explains several targets.

use daogou_explain::{EvalConfig, Evaluator, ExactShapley, Explainer, KernelShap, Lime};

use crate::common::{max_abs_diff, Games};

fn three_targets() -> Games {
    Games::new(
        5,
        vec![
            vec![(1.0, vec![]), (2.0, vec![0]), (-1.0, vec![4])],
            vec![(1.0, vec![0, 1]), (3.0, vec![2, 3, 4])],
            vec![(0.5, vec![1]), (-2.0, vec![0, 2]), (1.0, vec![3])],
        ],
    )
}

#[test]
fn one_evaluation_set_explains_three_targets() {
    let model = three_targets();
    let names = vec!["shoes".to_string(), "socks".into(), "hat".into()];
    let mut ev = Evaluator::new(&model, EvalConfig::default())
        .unwrap()
        .with_target_names(names.clone())
        .unwrap();
    let explanations = ExactShapley::default().explain(&mut ev).unwrap();
    assert_eq!(explanations.len(), 3);
    for (t, e) in explanations.iter().enumerate() {
        assert_eq!(e.target, t);
        assert_eq!(e.target_name.as_deref(), Some(names[t].as_str()));
        assert!(
            max_abs_diff(&e.values, &model.shapley(t)) < 1e-12,
            "target {t}"
        );
        assert_eq!(e.base_value, Some(model.empty_value(t)));
        assert_eq!(e.model_evals, 32);
    }
    assert_eq!(
        model.calls(),
        32,
        "each of the 2^5 masks evaluated once for all targets"
    );
    assert_eq!(model.repeats.load(std::sync::atomic::Ordering::SeqCst), 0);

    // Further methods on the same instance cost nothing more.
    let kernel = KernelShap::default().explain(&mut ev).unwrap();
    let lime = Lime::default().explain(&mut ev).unwrap();
    assert_eq!(model.calls(), 32);
    assert_eq!(kernel.len(), 3);
    assert_eq!(lime.len(), 3);
    for t in 0..3 {
        assert!(max_abs_diff(&kernel[t].values, &explanations[t].values) < 1e-9);
    }
}

#[test]
fn multi_target_kernel_shap_equals_single_target_runs() {
    let model = three_targets();
    let method = KernelShap {
        max_evals: Some(20),
        seed: 5,
        ..KernelShap::default()
    };
    let mut ev = Evaluator::new(&model, EvalConfig::default()).unwrap();
    let joint = method.explain(&mut ev).unwrap();
    for (t, joint_t) in joint.iter().enumerate() {
        let single = Games::new(5, vec![model.targets[t].clone()]);
        let mut ev = Evaluator::new(&single, EvalConfig::default()).unwrap();
        let alone = method.explain(&mut ev).unwrap().remove(0);
        assert!(
            max_abs_diff(&alone.values, &joint_t.values) < 1e-12,
            "target {t}"
        );
        assert!(joint_t.efficiency_gap().unwrap() < 1e-9);
    }
}
