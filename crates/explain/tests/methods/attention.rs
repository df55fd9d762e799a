//! Attention maps, rollout and word pooling against hand-computed values.

use daogou_explain::{
    attention_explanation, AttentionMaps, AttentionSource, Pooling, TokenMatrix, TokenWordMap,
};

fn assert_matrix(m: &TokenMatrix, want: &[&[f64]]) {
    assert_eq!(m.size(), want.len());
    for (q, row) in want.iter().enumerate() {
        for (k, &v) in row.iter().enumerate() {
            let got = m.get(q, k).unwrap();
            assert!((got - v).abs() < 1e-6, "({q}, {k}): {got} vs {v}");
        }
    }
}

#[test]
fn rollout_of_two_layers_matches_hand_computation() {
    let maps = AttentionMaps::from_nested(&[
        vec![
            vec![vec![1.0, 0.0], vec![0.5, 0.5]],
            vec![vec![0.0, 1.0], vec![0.5, 0.5]],
        ],
        vec![
            vec![vec![1.0, 0.0], vec![1.0, 0.0]],
            vec![vec![1.0, 0.0], vec![0.0, 1.0]],
        ],
    ])
    .unwrap();
    assert_eq!(
        (maps.num_layers(), maps.num_heads(), maps.num_tokens()),
        (2, 2, 2)
    );
    assert_matrix(&maps.head(1, 1).unwrap(), &[&[1.0, 0.0], &[0.0, 1.0]]);
    // Layer means: [[.5,.5],[.5,.5]] and [[1,0],[.5,.5]].
    assert_matrix(&maps.head_average(0).unwrap(), &[&[0.5, 0.5], &[0.5, 0.5]]);
    assert_matrix(&maps.head_average(1).unwrap(), &[&[1.0, 0.0], &[0.5, 0.5]]);
    // Â₁ = [[.75,.25],[.25,.75]], Â₂ = [[1,0],[.25,.75]], R = Â₂·Â₁.
    let rollout = maps.rollout().unwrap();
    assert_matrix(&rollout, &[&[0.75, 0.25], &[0.375, 0.625]]);
    assert!(maps.head(2, 0).is_err());
}

#[test]
fn rollout_renormalises_rows_and_rows_sum_to_one() {
    // Row 0 sums to 0.8 (e.g. truncated): 0.5·A + 0.5·I = [[.7,.2],[.1,.8]] → /0.9.
    let single = AttentionMaps::from_flat(vec![0.4, 0.4, 0.2, 0.6], 1, 1, 2).unwrap();
    assert_matrix(
        &single.rollout().unwrap(),
        &[&[0.7 / 0.9, 0.2 / 0.9], &[0.1 / 0.9, 0.8 / 0.9]],
    );

    let data: Vec<f32> = (0..3 * 2 * 9).map(|i| ((i * 7) % 5) as f32 + 0.5).collect();
    let maps = AttentionMaps::from_flat(data, 3, 2, 3).unwrap();
    let rollout = maps.rollout().unwrap();
    for q in 0..3 {
        let sum: f64 = rollout.row(q).unwrap().iter().sum();
        assert!((sum - 1.0).abs() < 1e-12, "row {q} sums to {sum}");
    }
}

#[test]
fn word_pooling_follows_the_documented_convention() {
    // Tokens a | b1 b2: key attention summed per word, query rows averaged per word.
    let m = TokenMatrix::new(3, vec![0.5, 0.25, 0.25, 0.1, 0.6, 0.3, 0.2, 0.2, 0.6]).unwrap();
    let map = TokenWordMap::new(vec![Some(0), Some(1), Some(1)], 2).unwrap();
    let words = m.to_words(&map, Pooling::Mean, Pooling::Sum).unwrap();
    assert_matrix(&words, &[&[0.5, 0.5], &[0.15, 0.85]]);
    let scores = m.scores(AttentionSource::Received).unwrap();
    assert!((scores[0] - 0.8 / 3.0).abs() < 1e-12);
    assert!(m
        .to_words(
            &TokenWordMap::new(vec![Some(0)], 1).unwrap(),
            Pooling::Mean,
            Pooling::Sum
        )
        .is_err());
}

#[test]
fn attention_from_cls_becomes_a_word_attribution() {
    // [CLS] run ##ning shoes [SEP]
    let mut data = vec![0.0; 25];
    data[..5].copy_from_slice(&[0.1, 0.2, 0.3, 0.35, 0.05]);
    let m = TokenMatrix::new(5, data).unwrap();
    let map = TokenWordMap::new(vec![None, Some(0), Some(0), Some(1), None], 2).unwrap();
    let e = attention_explanation(
        &m,
        AttentionSource::FromToken(0),
        Some((&map, Pooling::Sum)),
        Some(vec!["running".into(), "shoes".into()]),
    )
    .unwrap();
    assert_eq!(e.method.name(), "attention");
    assert!((e.values[0] - 0.5).abs() < 1e-12 && (e.values[1] - 0.35).abs() < 1e-12);
    assert_eq!(e.top_k(1)[0].name, "running");
    assert_eq!(e.efficiency_gap(), None);

    let tokens = attention_explanation(&m, AttentionSource::FromToken(0), None, None).unwrap();
    assert_eq!(tokens.feature_names[4], "t4");
    assert!(attention_explanation(&m, AttentionSource::FromToken(5), None, None).is_err());
    assert!(attention_explanation(&m, AttentionSource::Received, None, Some(vec![])).is_err());
}

#[test]
fn malformed_attention_is_rejected() {
    assert!(AttentionMaps::from_nested(&[vec![vec![vec![1.0], vec![1.0]]]]).is_err());
    assert!(AttentionMaps::from_nested(&[]).is_err());
    assert!(AttentionMaps::from_flat(vec![1.0; 3], 1, 1, 2).is_err());
    assert!(AttentionMaps::from_flat(vec![f32::NAN; 4], 1, 1, 2).is_err());
    assert!(TokenMatrix::new(2, vec![0.0; 3]).is_err());
}
