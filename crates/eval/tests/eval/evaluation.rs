//! The evaluation end to end on a tiny configuration with the real model, and the
//! shipped relevance judgements of the demo catalog.

use crate::{common, support};

use std::collections::BTreeSet;

use daogou_catalog::demo_catalog;
use daogou_catalog::CatalogIndex;
use daogou_eval::{
    demo_qrels, evaluate, EvalInputs, EvalSettings, Method, MethodSettings, RANDOM, REQUESTS,
};
use daogou_guide::PassageEmbedder;

#[test]
fn demo_judgements_parse_and_name_catalog_products() {
    let qrels = demo_qrels().expect("demo_qrels.tsv parses");
    let ids: BTreeSet<String> = demo_catalog().products.into_iter().map(|p| p.id).collect();
    let queries: Vec<&str> = qrels.queries().collect();
    assert_eq!(queries.len(), REQUESTS.len());
    for request in REQUESTS {
        let judged = qrels.judgements(request).expect("every request is judged");
        assert!(
            judged.values().any(|&g| g >= 3.0),
            "{request}: no exact match"
        );
        for (id, &grade) in judged {
            assert!(ids.contains(id), "{request}: unknown product {id}");
            assert!(
                (0.0..=3.0).contains(&grade),
                "{request} {id}: grade {grade}"
            );
        }
    }
}

/// A configuration small enough for a test: three golden requests, two short sentences,
/// one review cut to 64 tokens, fewer samples.
fn tiny() -> EvalSettings {
    let small = MethodSettings {
        lime_samples: 100,
        ig_steps: 8,
        ..MethodSettings::default()
    };
    EvalSettings {
        requests: 3,
        sentences: 2,
        sentence_words: (5, 6),
        sst_train: Some(300),
        sst_test: Some(50),
        plausibility_docs: 1,
        eraser_accuracy_docs: Some(8),
        doc_tokens: Some(64),
        seeds: 3,
        methods: small.clone(),
        document_methods: small,
        ..EvalSettings::standard()
    }
}

#[test]
fn tiny_evaluation_runs_end_to_end_and_beats_random() {
    let encoder = support::encoder();
    let catalog =
        CatalogIndex::embed(demo_catalog().products, &PassageEmbedder(&encoder)).expect("catalog");
    let inputs = EvalInputs {
        sst_dir: Some(common::data_path("sst")),
        eraser_dir: Some(common::data_path("eraser-movies")),
        qrels: Some((demo_qrels().expect("qrels"), "demo".into())),
        head: None,
        ranker: None,
        zh_reviews: Some(common::data_path(
            "chinese-shopping-reviews/online_shopping_10_cats.csv",
        )),
    };
    let mut stages = Vec::new();
    let report = evaluate(&encoder, &catalog, &inputs, &tiny(), &mut |p| {
        if let daogou_eval::Progress::Stage { name, .. } = p {
            stages.push(name.to_string());
        }
    })
    .expect("evaluation runs");
    assert!(report.notes.is_empty(), "{:?}", report.notes);
    assert!(stages.contains(&"recommendation".to_string()), "{stages:?}");

    // Recommendation task: every method and the random baseline, exact Shapley ahead.
    let rec = report.recommendation.as_ref().expect("recommendation task");
    assert_eq!(rec.instances.len(), 3);
    assert_eq!(rec.instances[0].text, REQUESTS[0]);
    let names: Vec<&str> = rec.faithfulness.iter().map(|f| f.method.as_str()).collect();
    let expected: Vec<&str> = Method::EVALUATED
        .iter()
        .map(|m| m.name())
        .chain([RANDOM])
        .collect();
    assert_eq!(names, expected);
    let aopc = |name: &str| {
        rec.faithfulness
            .iter()
            .find(|f| f.method == name)
            .expect("row")
            .comprehensiveness_aopc
            .mean
    };
    assert!(
        aopc("exact_shapley") > aopc(RANDOM),
        "exact {} vs random {}",
        aopc("exact_shapley"),
        aopc(RANDOM)
    );
    let exact = &rec.instances[0].methods[0];
    let sum: f64 = exact.values.iter().sum();
    let gap = rec.instances[0].full_value - rec.instances[0].empty_value;
    assert!((sum - gap).abs() < 1e-6, "efficiency: {sum} vs {gap}");
    assert_eq!(exact.model_evals, 1 << rec.instances[0].words.len());
    assert_eq!(rec.agreement.len(), Method::EVALUATED.len() - 1);
    assert!(rec.stability.iter().all(|s| s.instances == 3));
    assert!(rec.sensitivity.iter().all(|s| s.instances == 3));
    assert_eq!(rec.cost.len(), Method::EVALUATED.len());

    // Sentiment and plausibility ran on the trained head.
    let head = report.head.as_ref().expect("head");
    assert!(head.sst_test.expect("SST accuracy").accuracy > 0.6);
    assert_eq!(
        report
            .sentiment
            .as_ref()
            .expect("sentiment")
            .instances
            .len(),
        2
    );
    let plausibility = report.plausibility.as_ref().expect("plausibility");
    assert_eq!(plausibility.accuracy.examples, 8);
    assert_eq!(plausibility.documents.len(), 1);
    assert!(plausibility.documents[0].words < plausibility.documents[0].document_words);
    assert_eq!(plausibility.methods.len(), Method::DOCUMENT.len() + 1);

    // Ranking quality of every ranker on the shipped judgements.
    let ranking = report.ranking.as_ref().expect("ranking");
    assert!(ranking.unknown_products.is_empty());
    let rankers: Vec<&str> = ranking.rankers.iter().map(|r| r.ranker.as_str()).collect();
    assert_eq!(rankers, ["hybrid", "bm25_only", "vector_only", "rrf"]);
    for r in &ranking.rankers {
        assert_eq!(r.report.queries, REQUESTS.len());
        assert!((0.0..=1.0).contains(&r.report.ndcg) && r.report.ndcg > 0.0);
    }

    // Chinese: every ranker on the Chinese judgements, scenes and aspects measured.
    let chinese = report.chinese.as_ref().expect("the Chinese part");
    assert_eq!(chinese.ranking.queries, 64);
    assert!(chinese.ranking.unknown_products.is_empty());
    assert_eq!(chinese.scenes.requests, 88);
    let per_label: usize = chinese.scenes.per_label.values().map(|(n, _)| n).sum();
    assert_eq!(per_label, 88);
    let aspects = chinese
        .aspects
        .as_ref()
        .expect("the reviews are in shared/data");
    assert_eq!(aspects.all.sentences, 200);
    assert_eq!(aspects.development.sentences + aspects.test.sentences, 200);
    let [all, ..] = aspects.scores;
    assert!(all.precision > 0.3 && all.recall > 0.1, "{all:?}");
    assert!(aspects.mined["手机"].1.iter().any(|a| a == "电池"));
    serde_json::to_string(&report).expect("the report serialises");
}
