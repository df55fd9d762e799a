//! The guide on multilingual-e5-small (fetched and converted on first use): Chinese
//! requests over the demo catalog's Chinese products, explained word by word and answered
//! in Chinese, with e5's `query:` / `passage:` prompts.

use crate::support;
use daogou_guide::answer::ComponentName;

use std::sync::OnceLock;

use daogou_guide::{Guide, Method, RecommendOptions, Recommendations};
use daogou_model::fetch::MULTILINGUAL_E5_SMALL;

fn guide() -> &'static Guide {
    static GUIDE: OnceLock<Guide> = OnceLock::new();
    GUIDE.get_or_init(|| support::demo_guide(support::load(&MULTILINGUAL_E5_SMALL)))
}

fn shap() -> RecommendOptions {
    RecommendOptions {
        methods: [Method::Shap].into_iter().collect(),
        ..RecommendOptions::default()
    }
}

fn recommend(request: &str) -> Recommendations {
    guide().recommend(request, None, &shap()).expect("answer")
}

fn component(item: &daogou_guide::answer::RecommendedItem, name: ComponentName) -> f64 {
    item.components
        .iter()
        .find(|c| c.name == name)
        .map_or(0.0, |c| c.value)
}

/// The request words that are explanation features, in order.
fn features(answer: &Recommendations) -> Vec<&str> {
    answer
        .words
        .iter()
        .filter(|w| w.feature.is_some())
        .map(|w| w.text.as_str())
        .collect()
}

fn dot(a: &[f32], b: &[f32]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| f64::from(*x) * f64::from(*y))
        .sum()
}

#[test]
fn chinese_request_is_filtered_ranked_and_explained_per_word() {
    let answer = recommend("防水冲锋衣 500元以内");
    let features = features(&answer);
    // Words from the segmenter, not characters: two features, four coalitions.
    assert_eq!(features, ["防水", "冲锋衣"]);
    assert_eq!(answer.stats.model_evals, 4);
    assert!(answer
        .words
        .iter()
        .filter(|w| w.feature.is_none())
        .all(|w| w.constraint.is_some()));
    // The Chinese rain jacket (¥399) comes first; nothing over ¥500 is shown.
    let top = &answer.items[0];
    assert_eq!(top.product.id, "out-021", "{}", top.product.title);
    for item in &answer.items {
        let price = item.product.price.as_ref().expect("priced").to_usd();
        assert!(
            price <= 70.0 + 1e-6,
            "{} costs ${price}",
            item.product.title
        );
    }
    let shap = &top.explanations[0];
    assert_eq!(shap.method, "exact_shapley");
    assert_eq!(shap.feature_names, features);
    assert!(shap.efficiency_gap().expect("gap") < 1e-9);
    assert!(shap.values.iter().all(|v| *v > 0.0), "{:?}", shap.values);
}

#[test]
fn chinese_keywords_are_words_so_a_shared_character_is_no_match() {
    // 耳机 (earphones) and 有机 (organic) share 机: only the word counts.
    let answer = recommend("降噪耳机");
    let top = &answer.items[0];
    assert!(
        top.product.title.contains("降噪") && top.product.title.contains("耳机"),
        "{}",
        top.product.title
    );
    assert!(component(top, ComponentName::Keyword) > 0.0);
    let index = guide().catalog().expect("loaded");
    let rice = index
        .position("gro-021")
        .expect("the demo catalog has the rice");
    assert!(index.product(rice).title.contains("有机"));
    let rice_hits = index.keyword().field_scores("耳机").expect("search");
    assert!(rice_hits.iter().all(|(i, _)| *i != rice));
    for item in answer.items.iter().filter(|i| i.product.id == "gro-021") {
        assert_eq!(
            component(item, ComponentName::Keyword),
            0.0,
            "机 alone matched the rice"
        );
    }
}

#[test]
fn a_chinese_gift_request_is_explained_exactly_by_words_and_answered_in_chinese() {
    let answer = recommend("送女朋友的生日礼物 300元以内");
    assert_eq!(answer.language, daogou_guide::Language::Chinese);
    let features = features(&answer);
    // 的 is a function word: neither a feature nor a filter.
    assert_eq!(features, ["送", "女朋友", "生日礼物"]);
    assert_eq!(answer.stats.model_evals, 8, "exact Shapley: 2^3 coalitions");
    let scene = answer.scene.as_ref().and_then(|s| s.scene.as_ref());
    assert_eq!(scene.map(|s| s.name.as_str()), Some("送礼"));
    for item in &answer.items {
        let price = item.product.price.as_ref().expect("priced");
        let budget = 300.0 * daogou_catalog::Currency::Cny.usd_rate();
        assert!(
            price.to_usd() <= budget + 1e-6,
            "{}: {price}",
            item.product.title
        );
        let shap = &item.explanations[0];
        assert_eq!(shap.method, "exact_shapley");
        assert!(shap.efficiency_gap().expect("gap") < 1e-9);
        let sentence = &item.narrative.sentence;
        assert!(sentence.starts_with("推荐理由："), "{sentence}");
        assert!(sentence.ends_with('。'), "{sentence}");
        assert!(
            sentence.contains("在您的预算（¥300 以内）之内"),
            "{sentence}"
        );
        // Every quoted word is a request word or a run of matched product text, never a
        // stray character of a longer word.
        let asked = sentence
            .split("您提到了")
            .nth(1)
            .and_then(|rest| rest.split('；').next())
            .unwrap_or("");
        for quoted in asked.split('“').skip(1).filter_map(|q| q.split('”').next()) {
            assert!(features.contains(&quoted), "{quoted} in {sentence}");
        }
    }
    let cf = answer.counterfactual.as_ref().expect("a counterfactual");
    assert!(cf.sentence.starts_with("如果去掉“"), "{}", cf.sentence);
    assert!(cf.removed.iter().all(|w| features.contains(&w.as_str())));
    assert!(answer
        .parsed
        .constraints
        .iter()
        .any(|c| c.describe_in(answer.language) == "¥300 以内"));
}

#[test]
fn chinese_request_finds_chinese_products_by_keyword() {
    let answer = recommend("婴儿奶瓶");
    let titles: Vec<&str> = answer
        .items
        .iter()
        .map(|i| i.product.title.as_str())
        .collect();
    assert!(titles[..3].iter().any(|t| t.contains("奶瓶")), "{titles:?}");
}

#[test]
fn e5_embeds_requests_as_queries_and_products_as_passages() {
    let encoder = guide().encoder();
    assert!(encoder.model_id().ends_with("/prompts"));
    let request = "降噪耳机";
    let answer = recommend(request);
    let top = &answer.items[0];
    let catalog = guide().catalog().expect("loaded");
    let product = catalog.embedding(catalog.position(&top.product.id).expect("id"));
    let query = &encoder
        .embed_with_prompt("query", &[request])
        .expect("embed")[0];
    let plain = &encoder.embed(&[request]).expect("embed")[0];
    let semantic = component(top, ComponentName::Semantic);
    assert!((semantic - dot(query, product)).abs() < 1e-6, "{semantic}");
    assert!(
        (semantic - dot(plain, product)).abs() > 1e-4,
        "the prompt changes the score"
    );
    let text = top.product.embedding_text();
    let passage = &encoder
        .embed_with_prompt("passage", &[text.as_str()])
        .expect("embed")[0];
    assert!(dot(passage, product) > 1.0 - 1e-5);
}

#[test]
fn integrated_gradients_explain_the_prompted_similarity_that_is_ranked() {
    let options = RecommendOptions {
        methods: [Method::IntegratedGradients].into_iter().collect(),
        k: 3,
        ..RecommendOptions::default()
    };
    let answer = guide()
        .recommend("降噪耳机", None, &options)
        .expect("answer");
    for item in &answer.items {
        let ig = item
            .explanations
            .iter()
            .find(|e| e.method == "integrated_gradients")
            .expect("IG explanation");
        assert_eq!(ig.feature_names, ["降噪", "耳机"]);
        // f(x) is the semantic component the ranking used, prompt included.
        let semantic = item
            .components
            .iter()
            .find(|c| c.name == ComponentName::Semantic)
            .expect("semantic")
            .contribution;
        let full = ig.full_value.expect("f(x)");
        assert!((full - semantic).abs() < 1e-4, "{full} vs {semantic}");
        let gap = full - ig.base_value.expect("f(baseline)");
        let sum: f64 = ig.values.iter().sum();
        assert!(
            (sum - gap).abs() <= 0.05 * gap.abs(),
            "sum {sum} vs gap {gap}"
        );
    }
}
