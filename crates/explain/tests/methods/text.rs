//! Word features and perturbed texts.

use daogou_explain::{ExplainError, Mask, MaskingStrategy, Pooling, TextFeatures, TokenWordMap};

#[test]
fn delete_keeps_words_in_order_joined_by_single_spaces() {
    let text = TextFeatures::new("red running shoes for men");
    assert_eq!(text.num_features(), 5);
    let render = |bits: &[bool]| text.render(&Mask::from_bools(bits), &MaskingStrategy::Delete);
    assert_eq!(render(&[true; 5]).unwrap(), "red running shoes for men");
    assert_eq!(
        render(&[true, false, true, false, true]).unwrap(),
        "red shoes men"
    );
    assert_eq!(render(&[false, false, false, false, true]).unwrap(), "men");
    assert_eq!(render(&[false; 5]).unwrap(), "", "empty coalition");
}

#[test]
fn replace_puts_the_token_in_place_of_each_removed_word() {
    let text = TextFeatures::new("red running shoes");
    let mask = MaskingStrategy::Replace("[MASK]".into());
    let render = |bits: &[bool]| text.render(&Mask::from_bools(bits), &mask);
    assert_eq!(
        render(&[false, true, false]).unwrap(),
        "[MASK] running [MASK]"
    );
    assert_eq!(render(&[false; 3]).unwrap(), "[MASK] [MASK] [MASK]");
    assert_eq!(render(&[true; 3]).unwrap(), "red running shoes");
}

#[test]
fn words_keep_byte_and_char_offsets() {
    let text = TextFeatures::new("  red running\tshoes ");
    let words = text.words();
    assert_eq!(text.feature_names(), vec!["red", "running", "shoes"]);
    assert_eq!((words[0].byte_start, words[0].byte_end), (2, 5));
    assert_eq!((words[1].byte_start, words[1].char_start), (6, 6));
    assert_eq!(
        &text.text()[words[2].byte_start..words[2].byte_end],
        "shoes"
    );
    assert_eq!((words[2].char_start, words[2].char_end), (14, 19));
    // Runs of whitespace collapse: Delete output is single-spaced.
    let kept = text
        .render(&Mask::full(3), &MaskingStrategy::Delete)
        .unwrap();
    assert_eq!(kept, "red running shoes");
    assert_eq!(TextFeatures::new("   ").num_features(), 0);
}

#[test]
fn chinese_characters_are_features_joined_without_spaces() {
    let text = TextFeatures::new("  红色 running\t防水夹克 ");
    let words = text.words();
    assert_eq!(
        text.feature_names(),
        vec!["红", "色", "running", "防", "水", "夹", "克"]
    );
    assert_eq!((words[0].byte_start, words[0].byte_end), (2, 5));
    assert_eq!((words[1].char_start, words[1].char_end), (3, 4));
    assert_eq!((words[3].char_start, words[3].char_end), (13, 14));
    let render = |bits: &[bool], strategy: &MaskingStrategy| {
        text.render(&Mask::from_bools(bits), strategy).unwrap()
    };
    let all = [true; 7];
    assert_eq!(
        render(&all, &MaskingStrategy::Delete),
        "红色 running 防水夹克"
    );
    let no_water = [true, true, true, true, false, true, true];
    assert_eq!(
        render(&no_water, &MaskingStrategy::Delete),
        "红色 running 防夹克"
    );
    let mask = MaskingStrategy::Replace("[MASK]".into());
    assert_eq!(render(&no_water, &mask), "红色 running 防[MASK]夹克");
    // A deleted word between two spaced words leaves one space.
    let no_running = [true, true, false, true, true, true, true];
    assert_eq!(
        render(&no_running, &MaskingStrategy::Delete),
        "红色 防水夹克"
    );
    let subset = text.subset(&Mask::from_bools(&no_running)).unwrap();
    assert_eq!(subset.text(), "红色 防水夹克");
    assert_eq!(subset.num_features(), 6);
}

#[test]
fn segmented_words_stay_words_through_subsets_and_bad_spans_are_refused() {
    // "红色 防水夹克" as a segmenter cuts it: 红色 | 防水 | 夹克.
    let text = "红色 防水夹克";
    let words = TextFeatures::from_spans(text, &[(0, 6), (7, 13), (13, 19)]).unwrap();
    assert_eq!(words.feature_names(), ["红色", "防水", "夹克"]);
    let kept = words
        .subset(&Mask::from_bools(&[true, false, true]))
        .unwrap();
    assert_eq!(kept.text(), "红色 夹克");
    assert_eq!(kept.feature_names(), ["红色", "夹克"]);
    assert_eq!(kept.words()[1].byte_start, 7);
    let joined = words
        .subset(&Mask::from_bools(&[false, true, true]))
        .unwrap();
    assert_eq!(joined.text(), "防水夹克");
    assert_eq!(joined.feature_names(), ["防水", "夹克"]);
    for bad in [
        vec![(0, 6), (3, 9)],  // overlapping
        vec![(0, 7)],          // holds a space
        vec![(0, 4)],          // not on a character boundary
        vec![(7, 13), (0, 6)], // out of order
        vec![(6, 6)],          // empty
    ] {
        let err = TextFeatures::from_spans(text, &bad).unwrap_err();
        assert!(matches!(err, ExplainError::InvalidInput(_)), "{bad:?}");
    }
}

#[test]
fn render_rejects_a_mask_of_the_wrong_length() {
    let text = TextFeatures::new("a b");
    let err = text
        .render(&Mask::full(3), &MaskingStrategy::Delete)
        .unwrap_err();
    assert!(matches!(err, ExplainError::InvalidInput(_)));
}

#[test]
fn token_scores_pool_to_words() {
    let map = TokenWordMap::new(vec![None, Some(0), Some(0), Some(1), None], 2).unwrap();
    let scores = [9.0, 1.0, 3.0, 5.0, 9.0];
    assert_eq!(map.pool(&scores, Pooling::Sum).unwrap(), vec![4.0, 5.0]);
    assert_eq!(map.pool(&scores, Pooling::Mean).unwrap(), vec![2.0, 5.0]);
    assert!(map.pool(&scores[..2], Pooling::Sum).is_err());
    assert!(TokenWordMap::new(vec![Some(2)], 2).is_err());
    let sparse = TokenWordMap::new(vec![Some(1)], 2).unwrap();
    assert_eq!(sparse.pool(&[3.0], Pooling::Mean).unwrap(), vec![0.0, 3.0]);
}
