//! Plausibility against human rationales on tiny hand examples.

use daogou_explain::metrics::plausibility::{
    average_iou_prf, average_precision, average_token_prf, binarize, iou_matches, spans_of,
    MatchCounts,
};
use daogou_explain::metrics::{Binarize, Plausibility, TokenSpan};

const GOLD: [bool; 10] = [
    false, true, true, true, false, false, true, true, false, false,
];
const SCORES: [f64; 10] = [0.1, 0.9, 0.8, 0.2, 0.7, 0.0, 0.6, 0.3, 0.05, 0.4];

fn span(start: usize, end: usize) -> TokenSpan {
    TokenSpan { start, end }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

#[test]
fn token_f1_and_iou_f1_by_hand() {
    let gold_spans = spans_of(&GOLD);
    assert_eq!(gold_spans, [span(1, 4), span(6, 8)]);
    let p = Plausibility::default()
        .evaluate(&SCORES, &GOLD, &gold_spans)
        .unwrap();
    // k = 5 rationale tokens: the top 5 scores are tokens 1, 2, 4, 6, 9; 1, 2, 6 are gold.
    assert_eq!(p.selected, 5);
    assert_eq!(
        p.token,
        MatchCounts {
            matched: 3,
            predicted: 5,
            gold: 5
        }
    );
    assert!(close(p.token_prf.precision, 0.6) && close(p.token_prf.recall, 0.6));
    assert!(close(p.token_prf.f1, 0.6));
    // Predicted spans 1..3, 4..5, 6..7, 9..10. IOU with gold: 2/3, 0, 1/2, 0, so two
    // matches at ≥ 0.5: P = 2/4, R = 2/2, F1 = 2/3.
    assert_eq!(p.iou.matched, 2);
    assert!(close(p.iou_prf.precision, 0.5) && close(p.iou_prf.recall, 1.0));
    assert!(close(p.iou_prf.f1, 2.0 / 3.0));

    // Threshold 0.5 selects 1, 2, 4, 6: P = 3/4, R = 3/5, F1 = 2/3.
    let t = binarize(&SCORES, Binarize::Threshold(0.5), 0).unwrap();
    let selected: Vec<usize> = (0..10).filter(|&i| t[i]).collect();
    assert_eq!(selected, [1, 2, 4, 6]);
    let th = Plausibility {
        binarize: Binarize::Threshold(0.5),
        ..Plausibility::default()
    }
    .evaluate(&SCORES, &GOLD, &gold_spans)
    .unwrap();
    assert!(close(th.token_prf.precision, 0.75) && close(th.token_prf.recall, 0.6));
    assert!(close(th.token_prf.f1, 2.0 / 3.0));
    // Ties in top-k go to the lower index.
    assert_eq!(
        binarize(&[1.0, 2.0, 2.0, 2.0], Binarize::TopK(2), 0).unwrap(),
        [false, true, true, false]
    );
}

#[test]
fn iou_rule_is_inclusive_at_one_half() {
    assert!(close(span(0, 2).iou(&span(0, 4)), 0.5));
    assert_eq!(iou_matches(&[span(0, 2)], &[span(0, 4)], 0.5).matched, 1);
    assert_eq!(iou_matches(&[span(0, 1)], &[span(0, 3)], 0.5).matched, 0);
    // Duplicates count once.
    let m = iou_matches(&[span(0, 2), span(0, 2)], &[span(0, 2), span(0, 2)], 0.5);
    assert_eq!((m.matched, m.predicted, m.gold), (1, 1, 1));
}

#[test]
fn auprc_is_sklearn_average_precision() {
    // Hand: ranked gold 1,1,0,1,0,1,1,0,0,0 → ⅕·(1 + 1 + 3/4 + 4/6 + 5/7); sklearn
    // average_precision_score gives 0.8261904761904761.
    let ap = average_precision(&SCORES, &GOLD).unwrap().unwrap();
    assert!(close(ap, 0.2 * (1.0 + 1.0 + 0.75 + 4.0 / 6.0 + 5.0 / 7.0)));
    assert!(close(ap, 0.8261904761904761));
    // Perfect ranking.
    let perfect: Vec<f64> = GOLD.iter().map(|&g| if g { 1.0 } else { 0.0 }).collect();
    assert_eq!(average_precision(&perfect, &GOLD).unwrap(), Some(1.0));
    // Ties enter together (sklearn: 0.5 and 0.7555…).
    let ap = average_precision(&[0.8, 0.8, 0.3, 0.3], &[true, false, false, true]).unwrap();
    assert_eq!(ap, Some(0.5));
    let ap = average_precision(
        &[0.5, 0.5, 0.9, 0.1, 0.1],
        &[false, true, true, false, true],
    )
    .unwrap();
    assert!(close(ap.unwrap(), 0.7555555555555555));
    // Order of tied tokens does not matter.
    let ap2 = average_precision(
        &[0.1, 0.1, 0.9, 0.5, 0.5],
        &[true, false, true, true, false],
    );
    assert_eq!(ap, ap2.unwrap());
    assert_eq!(
        average_precision(&[1.0, 0.0], &[false, false]).unwrap(),
        None
    );
    assert!(average_precision(&[1.0], &[true, false]).is_err());
}

#[test]
fn eraser_averaging_rules_by_hand() {
    let counts = [
        MatchCounts {
            matched: 3,
            predicted: 5,
            gold: 5,
        },
        MatchCounts {
            matched: 0,
            predicted: 2,
            gold: 0,
        },
        MatchCounts {
            matched: 0,
            predicted: 0,
            gold: 0,
        },
    ];
    // Micro: 3/7 and 3/5, F1 = 2·(3/7)(3/5)/(3/7 + 3/5) = 1/2.
    let token = average_token_prf(&counts);
    assert!(close(token.micro.precision, 3.0 / 7.0) && close(token.micro.recall, 0.6));
    assert!(close(token.micro.f1, 0.5));
    // Token macro: mean over the two instances with something: P = R = F1 = (0.6 + 0)/2.
    assert!(close(token.macro_avg.precision, 0.3) && close(token.macro_avg.f1, 0.3));
    // IOU macro: R over instances with gold (0.6), P over instances with predictions
    // ((0.6 + 0)/2 = 0.3), F1 of those = 2·0.6·0.3/0.9 = 0.4.
    let iou = average_iou_prf(&counts);
    assert!(close(iou.macro_avg.recall, 0.6) && close(iou.macro_avg.precision, 0.3));
    assert!(close(iou.macro_avg.f1, 0.4));
}

#[test]
fn summary_skips_single_class_instances_for_auprc() {
    let config = Plausibility::default();
    let a = config.evaluate(&SCORES, &GOLD, &spans_of(&GOLD)).unwrap();
    let all_gold = config
        .evaluate(&[0.2, 0.1], &[true, true], &[span(0, 2)])
        .unwrap();
    let summary = Plausibility::summarize(&[a, all_gold]);
    assert_eq!((summary.instances, summary.auprc_instances), (2, 1));
    assert!(close(summary.auprc.unwrap(), 0.8261904761904761));
    assert!(serde_json::to_string(&summary)
        .unwrap()
        .contains("\"macro\""));
    assert!(config.evaluate(&SCORES, &GOLD, &[span(8, 11)]).is_err());
}
