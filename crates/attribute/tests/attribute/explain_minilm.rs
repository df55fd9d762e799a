//! The explain crate on the real model: exact Shapley over the words of cos(query, product)
//! equals PyTorch's golden values; Kernel SHAP and LIME agree with it; Integrated Gradients
//! is complete.

use crate::common;

use common::{encoder, golden};
use daogou_attribute::{EmbeddingBaseline, EmbeddingSimilarity, TextScoreModel};
use daogou_explain::{
    EvalConfig, Evaluator, ExactShapley, Explainer, IntegratedGradients, IntegrationRule,
    KernelShap, Lime, MaskingStrategy, TextFeatures,
};

struct Case {
    query: String,
    product: String,
    words: Vec<String>,
    shapley: Vec<f64>,
    full: f64,
    empty: f64,
}

fn cases() -> Vec<Case> {
    golden()["exact_shapley"]
        .as_array()
        .expect("exact_shapley")
        .iter()
        .map(|c| Case {
            query: c["query"].as_str().expect("query").to_string(),
            product: c["product"].as_str().expect("product").to_string(),
            words: c["words"]
                .as_array()
                .expect("words")
                .iter()
                .map(|w| w.as_str().expect("word").to_string())
                .collect(),
            shapley: c["shapley"]
                .as_array()
                .expect("shapley")
                .iter()
                .map(|v| v.as_f64().expect("value"))
                .collect(),
            full: c["full_score"].as_f64().expect("full"),
            empty: c["empty_score"].as_f64().expect("empty"),
        })
        .collect()
}

fn ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    for (rank, &i) in order.iter().enumerate() {
        ranks[i] = rank as f64;
    }
    ranks
}

fn spearman(a: &[f64], b: &[f64]) -> f64 {
    let (ra, rb) = (ranks(a), ranks(b));
    let n = a.len() as f64;
    let d2: f64 = ra.iter().zip(&rb).map(|(x, y)| (x - y).powi(2)).sum();
    1.0 - 6.0 * d2 / (n * (n * n - 1.0))
}

#[test]
fn shapley_kernel_shap_and_lime_agree_with_pytorch_golden_values() {
    let cases = cases();
    assert_eq!(cases.len(), 3);
    for case in &cases {
        let features = TextFeatures::new(&case.query);
        assert_eq!(features.feature_names(), case.words);
        let product = encoder().embed(&[&case.product]).expect("embed")[0].clone();
        let perturb = {
            let features = features.clone();
            move |mask: &daogou_explain::Mask| {
                features
                    .render(mask, &MaskingStrategy::Delete)
                    .unwrap_or_default()
            }
        };
        let model = TextScoreModel::similarity(
            encoder(),
            features.num_features(),
            Box::new(perturb),
            vec![product],
        );
        let config = EvalConfig {
            parallel: false,
            ..EvalConfig::default()
        };
        let mut evaluator = Evaluator::new(&model, config).expect("evaluator");

        let exact = ExactShapley::default()
            .explain(&mut evaluator)
            .expect("exact")
            .remove(0);
        assert!((exact.full_value.expect("full") - case.full).abs() < 1e-4);
        assert!((exact.base_value.expect("base") - case.empty).abs() < 1e-4);
        for (got, want) in exact.values.iter().zip(&case.shapley) {
            assert!((got - want).abs() < 1e-4, "{}: {got} vs {want}", case.query);
        }
        assert_eq!(exact.model_evals, 1 << case.words.len());

        let kernel = KernelShap::default()
            .explain(&mut evaluator)
            .expect("kernel")
            .remove(0);
        for (got, want) in kernel.values.iter().zip(&case.shapley) {
            assert!(
                (got - want).abs() < 0.02,
                "kernel {}: {got} vs {want}",
                case.query
            );
        }

        let lime = Lime::default()
            .explain(&mut evaluator)
            .expect("lime")
            .remove(0);
        assert_eq!(lime.model_evals, 0, "LIME's coalitions were all cached");
        let rho = spearman(&lime.values, &case.shapley);
        assert!(
            rho >= 0.8,
            "LIME vs Shapley Spearman {rho} for {}",
            case.query
        );
    }
}

#[test]
fn integrated_gradients_is_complete_within_one_percent_at_64_steps() {
    let case = &cases()[0];
    let product = encoder().embed(&[&case.product]).expect("embed")[0].clone();
    let model = EmbeddingSimilarity::new(encoder(), &case.query, &product).expect("model");
    let features = TextFeatures::new(&case.query);
    let groups = model.word_groups(&features).expect("groups");
    let input = model.input().expect("input");
    for rule in [
        IntegrationRule::GaussLegendre,
        IntegrationRule::RiemannTrapezoid,
    ] {
        for baseline_kind in [EmbeddingBaseline::Pad, EmbeddingBaseline::Zeros] {
            let baseline = model.baseline(baseline_kind).expect("baseline");
            let ig = IntegratedGradients {
                n_steps: 64,
                rule,
                internal_batch_size: 33,
            };
            let e = ig.explain(&model, &input, &baseline, &groups).expect("ig");
            let gap = e.full_value.expect("full") - e.base_value.expect("base");
            let sum: f64 = e.values.iter().sum();
            assert!(
                (sum - gap).abs() <= 0.01 * gap.abs(),
                "{rule:?}/{baseline_kind:?}: sum {sum} vs f(x)-f(x') {gap}"
            );
            assert!((e.full_value.expect("full") - case.full).abs() < 1e-4);
            assert_eq!(e.values.len(), case.words.len());
        }
    }
}

#[test]
fn integrated_gradients_of_several_products_match_one_product_at_a_time() {
    let case = &cases()[0];
    let texts = [
        case.product.as_str(),
        "a pair of running shoes",
        "stainless steel kettle",
    ];
    let products = encoder().embed(&texts).expect("embed");
    let refs: Vec<&[f32]> = products.iter().map(Vec::as_slice).collect();
    let features = TextFeatures::new(&case.query);
    let together = EmbeddingSimilarity::with_targets(encoder(), &case.query, &refs).expect("model");
    let groups = together.word_groups(&features).expect("groups");
    let input = together.input().expect("input");
    let baseline = together.baseline(EmbeddingBaseline::Pad).expect("baseline");
    let ig = IntegratedGradients::default();
    let all = ig
        .explain_targets(&together, &input, &baseline, &groups)
        .expect("ig");
    assert_eq!(all.len(), 3);
    for (k, product) in products.iter().enumerate() {
        let alone = EmbeddingSimilarity::new(encoder(), &case.query, product).expect("model");
        let e = ig.explain(&alone, &input, &baseline, &groups).expect("ig");
        for (a, b) in all[k].values.iter().zip(&e.values) {
            assert!((a - b).abs() < 1e-5, "product {k}: {a} vs {b}");
        }
        assert!((all[k].full_value.expect("f") - e.full_value.expect("f")).abs() < 1e-5);
    }
}
