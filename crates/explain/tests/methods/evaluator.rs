//! The batching layer: dedup, cache, batches, validation.

use daogou_explain::{EvalConfig, Evaluator, ExplainError, FnModel, Mask};

use crate::common::Games;

#[test]
fn evaluator_deduplicates_caches_and_batches() {
    let model = Games::linear(0.0, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let config = EvalConfig {
        batch_size: 10,
        ..EvalConfig::default()
    };
    let mut ev = Evaluator::new(&model, config).unwrap();
    let all: Vec<Mask> = (0..64u8)
        .map(|s| Mask::from_bools(&(0..6).map(|i| s >> i & 1 == 1).collect::<Vec<_>>()))
        .collect();
    let mut twice = all.clone();
    twice.extend(all.iter().rev().cloned());
    let scores = ev.evaluate(&twice).unwrap();
    assert_eq!(scores.len(), 128);
    assert_eq!(scores.get(63, 0), 21.0);
    assert_eq!(scores.get(64, 0), 21.0, "repeat of the full mask");
    let stats = ev.stats();
    assert_eq!(
        (stats.requested, stats.evaluated, stats.batches),
        (128, 64, 7)
    );
    assert_eq!(model.calls(), 64);

    let again = ev.evaluate(&all[..5]).unwrap();
    assert_eq!(again.row(3), &[3.0]);
    assert_eq!(ev.stats().evaluated, 64, "served from cache");
    assert_eq!(ev.cache_len(), 64);

    ev.clear_cache();
    ev.evaluate(&all[..5]).unwrap();
    assert_eq!(ev.stats().evaluated, 69);
}

#[test]
fn evaluator_rejects_bad_masks_and_model_output() {
    let model = Games::linear(0.0, &[1.0, 2.0]);
    let mut ev = Evaluator::new(&model, EvalConfig::default()).unwrap();
    let err = ev.evaluate(&[Mask::full(3)]).unwrap_err();
    assert!(matches!(err, ExplainError::InvalidInput(_)), "{err}");

    let short = FnModel::new(2, 2, |masks: &[Mask]| Ok(vec![vec![1.0]; masks.len()]));
    let mut ev = Evaluator::new(&short, EvalConfig::default()).unwrap();
    let err = ev.evaluate(&[Mask::full(2)]).unwrap_err();
    assert!(matches!(err, ExplainError::InvalidModelOutput(_)), "{err}");

    let missing_rows = FnModel::new(2, 1, |_: &[Mask]| Ok(vec![]));
    let mut ev = Evaluator::new(&missing_rows, EvalConfig::default()).unwrap();
    assert!(matches!(
        ev.evaluate(&[Mask::full(2)]),
        Err(ExplainError::InvalidModelOutput(_))
    ));

    let failing = FnModel::new(2, 1, |_: &[Mask]| Err(ExplainError::model("GPU on fire")));
    let mut ev = Evaluator::new(&failing, EvalConfig::default()).unwrap();
    let err = ev.evaluate(&[Mask::full(2)]).unwrap_err();
    assert_eq!(err, ExplainError::Model("GPU on fire".into()));

    let no_targets = FnModel::new(2, 0, |_: &[Mask]| Ok(vec![]));
    assert!(matches!(
        Evaluator::new(&no_targets, EvalConfig::default()),
        Err(ExplainError::NoTargets)
    ));
    let zero_batch = EvalConfig {
        batch_size: 0,
        ..EvalConfig::default()
    };
    assert!(Evaluator::new(&model, zero_batch).is_err());
}
