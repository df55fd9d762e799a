//! A bounded `eval ranking` on real Home Depot judgements: the judged products of a few
//! queries as the catalog, so that some metrics are known beforehand.

use crate::{common, support};

use daogou_catalog::{import_path, CatalogIndex, ColumnMapping};
use daogou_eval::{compare_rankers, read_judgements, split, Split};
use daogou_explain::metrics::Qrels;
use daogou_guide::PassageEmbedder;

/// The first `n` validation queries of the development judgements, gain = relevance − 1.
fn sample(n: usize) -> Qrels {
    let path = common::data_path("home-depot-dev").join("judgements.csv");
    let all = read_judgements(&path, 1.0).expect("the judgements read");
    let validation = split(&all, Split::Validation).expect("split");
    let mut sample = Qrels::new();
    for query in validation.queries().take(n) {
        for (product, &gain) in validation.judgements(query).into_iter().flatten() {
            sample.insert(query, product, gain).expect("judgement");
        }
    }
    sample
}

#[test]
fn ranking_metrics_on_a_judged_only_catalog_are_what_they_must_be() {
    let qrels = sample(12);
    let judged: std::collections::BTreeSet<&str> = qrels
        .queries()
        .flat_map(|q| {
            qrels
                .judgements(q)
                .into_iter()
                .flatten()
                .map(|(p, _)| p.as_str())
        })
        .collect();
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
    assert!(products.len() < 100, "the lists hold the whole catalog");
    let encoder = support::encoder();
    let catalog = CatalogIndex::embed(products, &PassageEmbedder(&encoder)).expect("embeds");
    let report = compare_rankers(&catalog, &encoder, &qrels, "sample", &mut |_| {}).expect("ranks");
    let names: Vec<&str> = report.rankers.iter().map(|r| r.ranker.as_str()).collect();
    assert_eq!(names, ["hybrid", "bm25_only", "vector_only", "rrf"]);
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
    assert_eq!(report.paired.len(), 3);
    assert!(report
        .paired
        .iter()
        .all(|p| (0.0..=1.0).contains(&p.ndcg.p_value)));
}
