//! A sentiment head trained on SST with the real encoder, and the classic example:
//! "This product is amazing!" explained by LIME, SHAP, IG and attention.

use crate::support;

use std::path::PathBuf;

use daogou_attribute::{explain_class, TextExplainOptions};
use daogou_eval::datasets::{read_sst, Labelled};
use daogou_guide::Method;
use daogou_model::{ClassifierHead, SentenceEncoder, TrainOptions};

fn sst(file: &str) -> Vec<Labelled> {
    let path = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/sst"
    ))
    .join(file);
    let data =
        read_sst(&path).unwrap_or_else(|e| panic!("SST ({}) is required: {e}", path.display()));
    assert!(
        data.skipped.is_empty(),
        "{:?}",
        &data.skipped[..data.skipped.len().min(3)]
    );
    data.examples
}

fn every_nth(examples: Vec<Labelled>, n: usize) -> Vec<Labelled> {
    examples.into_iter().step_by(n).collect()
}

fn embed_labelled(encoder: &SentenceEncoder, examples: &[Labelled]) -> (Vec<Vec<f32>>, Vec<usize>) {
    let texts: Vec<&str> = examples.iter().map(|e| e.text.as_str()).collect();
    let x = encoder.embed(&texts).expect("embed");
    let y = examples
        .iter()
        .map(|e| usize::from(e.label == "positive"))
        .collect();
    (x, y)
}

#[test]
fn sst_sentiment_head_learns_and_explains_the_classic_example() {
    let train = sst("train_official.txt");
    let test = sst("test.txt");
    // SST-2: 6,920 train and 1,821 test sentences once neutral ones are left out.
    assert_eq!(train.len(), 6_920);
    assert_eq!(test.len(), 1_821);
    let encoder = support::encoder();
    let (train_x, train_y) = embed_labelled(&encoder, &every_nth(train, 4));
    let (test_x, test_y) = embed_labelled(&encoder, &every_nth(test, 3));
    let labels = vec!["negative".to_string(), "positive".to_string()];
    let head = ClassifierHead::train(
        &train_x,
        &train_y,
        labels,
        encoder.model_id(),
        TrainOptions::default(),
    )
    .expect("train");
    let metrics = head.evaluate(&test_x, &test_y);
    assert!(
        metrics.accuracy > 0.75,
        "held-out accuracy {}",
        metrics.accuracy
    );

    let options = TextExplainOptions {
        methods: [
            Method::Shap,
            Method::Lime,
            Method::IntegratedGradients,
            Method::Attention,
        ]
        .into_iter()
        .collect(),
        ..TextExplainOptions::default()
    };
    let result =
        explain_class(&encoder, &head, "This product is amazing!", &options).expect("explain");
    assert_eq!(result.label, "positive");
    let methods: Vec<&str> = result
        .explanations
        .iter()
        .map(|e| e.method.name())
        .collect();
    assert_eq!(
        methods,
        ["exact_shapley", "lime", "integrated_gradients", "attention"]
    );
    for e in &result.explanations[..3] {
        let top = &e.feature_names[e.sorted_indices()[0]];
        assert_eq!(
            top, "amazing!",
            "{}: {:?} {:?}",
            e.method, e.feature_names, e.values
        );
    }
    let shap = &result.explanations[0];
    assert!(shap.efficiency_gap().expect("gap") < 1e-9);
    let p_positive = result.probabilities[1].1;
    assert!((shap.full_value.expect("full") - p_positive).abs() < 1e-6);
    let ig = &result.explanations[2];
    let gap = ig.full_value.expect("full") - ig.base_value.expect("base");
    assert!((ig.values.iter().sum::<f64>() - gap).abs() < 0.01 * gap.abs());
    assert!(ig.notes.iter().any(|n| n.contains("log-odds")));
    assert!(result.tokens.is_some() && result.attentions.is_some());

    // A head trained on another model is refused.
    let mut foreign = head.clone();
    foreign.model_id = "some-other-model".into();
    assert!(explain_class(&encoder, &foreign, "fine", &options).is_err());
}
