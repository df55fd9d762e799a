//! A bounded `eval ranking` on real Home Depot judgements: the judged products of a few
//! queries as the catalog, so that some metrics are known beforehand.

use crate::{common, support};

use daogou_catalog::{import_path, CatalogIndex, ColumnMapping};
use daogou_eval::{
    compare_rankers, first_queries, read_judgements, split, training_set, Split, TrainingSet,
};
use daogou_explain::metrics::Qrels;
use daogou_guide::rank::{FitSettings, LearnedRanker};
use daogou_guide::PassageEmbedder;
use daogou_model::SentenceEncoder;

/// The first `n` queries of a split of the development judgements, gain = relevance − 1.
fn sample(part: Split, n: usize) -> Qrels {
    let path = common::data_path("home-depot-dev").join("judgements.csv");
    let all = read_judgements(&path, 1.0).expect("the judgements read");
    first_queries(&split(&all, part).expect("split"), n).expect("sample")
}

/// The judged products of `qrels` as a catalog, embedded.
fn judged_catalog(qrels: &Qrels, encoder: &SentenceEncoder) -> CatalogIndex {
    let judged = qrels.products();
    let products = import_path(
        &common::data_path("home-depot-dev").join("products.csv"),
        &ColumnMapping::default(),
    )
    .expect("the products read")
    .products
    .into_iter()
    .filter(|p| judged.contains(p.id.as_str()))
    .collect::<Vec<_>>();
    assert_eq!(
        products.len(),
        judged.len(),
        "every judged product has a title"
    );
    CatalogIndex::embed(products, &PassageEmbedder(encoder)).expect("embeds")
}

#[test]
fn ranking_metrics_on_a_judged_only_catalog_are_what_they_must_be() {
    let qrels = sample(Split::Validation, 12);
    let encoder = support::encoder();
    let catalog = judged_catalog(&qrels, &encoder);
    assert!(catalog.len() < 100, "the lists hold the whole catalog");
    let (_, learned) = fitted_on_training_queries(&encoder);
    let report = compare_rankers(
        &catalog,
        &encoder,
        Some(&learned),
        &qrels,
        "sample",
        &mut |_| {},
    )
    .expect("ranks");
    let names: Vec<&str> = report.rankers.iter().map(|r| r.ranker.as_str()).collect();
    assert_eq!(
        names,
        ["learned", "hybrid", "bm25_only", "vector_only", "rrf"]
    );
    assert!(report.unknown_products.is_empty());
    for ranker in &report.rankers {
        let per_query = &ranker.report.per_query;
        assert!(!per_query.is_empty());
        // Dropping a query's unjudged products (gain 0) only moves its judged ones up,
        // so condensed nDCG is never lower; and every list holds the whole catalog, so
        // recall@100 is 1.
        for (metrics, condensed) in per_query.iter().zip(&ranker.condensed_ndcg) {
            assert!(metrics.ndcg <= condensed + 1e-12, "{}", ranker.ranker);
        }
        assert!(
            ranker.recall_at_depth.iter().all(|&r| r == 1.0),
            "{}",
            ranker.ranker
        );
        let i = &ranker.intervals.ndcg;
        assert!(
            i.low <= i.mean && i.mean <= i.high && i.high <= 1.0,
            "{i:?}"
        );
    }
    assert_eq!(report.paired.len(), 4);
    assert!(report
        .paired
        .iter()
        .all(|p| (0.0..=1.0).contains(&p.ndcg.p_value)));
}

/// A ranker fitted on 60 training queries over their judged products, and its rows.
fn fitted_on_training_queries(encoder: &SentenceEncoder) -> (TrainingSet, LearnedRanker) {
    let qrels = sample(Split::Train, 60);
    let catalog = judged_catalog(&qrels, encoder);
    let set = training_set(&catalog, encoder, &qrels, None, &mut |_| {}).expect("rows");
    let ranker = LearnedRanker::fit(
        &set.rows,
        &set.gains,
        None,
        FitSettings::default(),
        encoder.model_id(),
        "sample",
        set.queries.len(),
    )
    .expect("fits");
    (set, ranker)
}

#[test]
fn a_ranker_fitted_on_training_queries_learns_their_gains() {
    let encoder = support::encoder();
    let (set, ranker) = fitted_on_training_queries(&encoder);
    let qrels = sample(Split::Train, 60);
    assert_eq!(set.queries.len(), qrels.num_queries());
    assert_eq!(set.rows.len(), set.gains.len());
    // Every judged product the candidates hold carries its judged gain; others gain 0.
    let mut judged = 0;
    for ((row_query, gain), is_judged) in set.query_of.iter().zip(&set.gains).zip(&set.judged) {
        if *is_judged {
            judged += 1;
        } else {
            assert_eq!(*gain, 0.0);
        }
        assert!(*row_query < set.queries.len());
    }
    assert_eq!(
        judged,
        qrels.len(),
        "a judged-only catalog retrieves every judgement"
    );
    let predicted = ranker.predict(&set.rows);
    // It predicts more gain for the relevant rows (gain ≥ 1) than for the rest.
    let mean = |keep: &dyn Fn(f64) -> bool| {
        let chosen: Vec<f64> = predicted
            .iter()
            .zip(&set.gains)
            .filter(|(_, &g)| keep(g))
            .map(|(&p, _)| p)
            .collect();
        chosen.iter().sum::<f64>() / chosen.len().max(1) as f64
    };
    let (relevant, other) = (mean(&|g| g >= 1.0), mean(&|g| g < 1.0));
    assert!(
        relevant > other + 0.1,
        "mean prediction {relevant} for relevant rows, {other} for the others"
    );
}
