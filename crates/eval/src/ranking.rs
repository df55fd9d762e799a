//! Recommendation quality: the learned ranker and the weighted hybrid against BM25 alone
//! (semantic weight 0), embeddings alone (keyword weight 0) and the reciprocal-rank fusion
//! of those two, scored on graded relevance judgements.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result};
use daogou_explain::metrics::{
    bootstrap_interval, evaluate_run, paired_comparison, Interval, PairedComparison, Qrels,
    QueryMetrics, RankingReport,
};
use daogou_model::SentenceEncoder;
use serde::Serialize;

use daogou_catalog::CatalogIndex;
use daogou_guide::answer::{RecommendOptions, ScoreWeights};
use daogou_guide::rank::LearnedRanker;
use daogou_guide::recommend::Recommender;

use super::Progress;

/// Cut-off of nDCG, recall and precision.
pub const CUTOFF: usize = 10;

/// Depth of the recall that says whether the candidates hold the relevant products.
pub const RECALL_DEPTH: usize = 100;

/// The k of reciprocal-rank fusion, as search engines ship it.
pub const RRF_K: f64 = 60.0;

/// Bootstrap resamples and randomization rounds of the confidence intervals and tests.
pub const RESAMPLES: usize = 2000;

/// Seed of the resampling.
pub const RESAMPLING_SEED: u64 = 0;

/// One ranker's scores.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RankerReport {
    /// `learned`, `hybrid` (the weighted ranker), `bm25_only`, `vector_only` or `rrf`.
    pub ranker: String,
    /// The weights it ranks with; `None` for the learned ranker and the fusion.
    pub weights: Option<ScoreWeights>,
    /// nDCG@10, MRR, recall@10 and precision@10, averaged and per query.
    pub report: RankingReport,
    /// nDCG@10 with the unjudged products dropped from the list first, per query in the
    /// order of `report.per_query`.
    pub condensed_ndcg: Vec<f64>,
    /// Recall@100 per query, in the same order.
    pub recall_at_depth: Vec<f64>,
    /// Means with 95% bootstrap intervals over the queries.
    pub intervals: RankerIntervals,
}

/// A ranker's mean metrics with their 95% bootstrap intervals.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RankerIntervals {
    /// nDCG@10.
    pub ndcg: Interval,
    /// Condensed nDCG@10.
    pub condensed_ndcg: Interval,
    /// MRR.
    pub mrr: Interval,
    /// Recall@100.
    pub recall_at_depth: Interval,
}

/// The first ranker (the learned one when given, else the hybrid) against one baseline,
/// query by query.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairedReport {
    /// The baseline.
    pub baseline: String,
    /// nDCG@10 of first − baseline.
    pub ndcg: PairedComparison,
    /// Condensed nDCG@10 of first − baseline.
    pub condensed_ndcg: PairedComparison,
}

/// The rankers on one set of judgements.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RankingComparison {
    /// Where the judgements came from.
    pub qrels: String,
    /// Judged queries.
    pub queries: usize,
    /// Judgements.
    pub judgements: usize,
    /// Judged product ids the catalog does not have (they can never be retrieved).
    pub unknown_products: Vec<String>,
    /// Length of each ranked list (MRR looks at all of it).
    pub list_length: usize,
    /// The learned ranker (when given), hybrid, BM25 only, vector only, and the
    /// reciprocal-rank fusion of the last two.
    pub rankers: Vec<RankerReport>,
    /// The first against each other ranker.
    pub paired: Vec<PairedReport>,
    /// Bootstrap resamples (and randomization rounds) behind every interval and test.
    pub resamples: usize,
}

/// The weighted rankers compared: name and weights.
pub fn rankers() -> [(&'static str, ScoreWeights); 3] {
    let hybrid = ScoreWeights::default();
    [
        ("hybrid", hybrid),
        (
            "bm25_only",
            ScoreWeights {
                semantic: 0.0,
                ..hybrid
            },
        ),
        (
            "vector_only",
            ScoreWeights {
                keyword: 0.0,
                ..hybrid
            },
        ),
    ]
}

/// Ranks every judged query with each ranker (no profile; request filters apply to
/// all of them), fuses the BM25 and vector lists, and scores every list.
pub fn compare_rankers(
    catalog: &CatalogIndex,
    encoder: &SentenceEncoder,
    learned: Option<&LearnedRanker>,
    qrels: &Qrels,
    source: &str,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<RankingComparison> {
    let defaults = RecommendOptions::default();
    let list_length = catalog.len().clamp(1, defaults.limits.max_k);
    let queries: Vec<&str> = qrels.queries().collect();
    let known: BTreeSet<&str> = catalog.products().iter().map(|p| p.id.as_str()).collect();
    let unknown_products: BTreeSet<String> = qrels
        .products()
        .into_iter()
        .filter(|id| !known.contains(id))
        .map(str::to_string)
        .collect();
    let rankers: Vec<(&str, Option<ScoreWeights>)> = learned
        .map(|_| ("learned", None))
        .into_iter()
        .chain(rankers().map(|(name, w)| (name, Some(w))))
        .collect();
    progress(Progress::Stage {
        name: "rankings",
        steps: rankers.len() * queries.len(),
    });
    let mut runs: Vec<(String, Option<ScoreWeights>, Run)> = Vec::new();
    for (name, weights) in rankers {
        let recommender = Recommender::new(catalog, encoder, None)
            .with_ranker(if weights.is_none() { learned } else { None });
        let options = RecommendOptions {
            k: list_length,
            weights: weights.unwrap_or_default(),
            methods: BTreeSet::new(),
            ..RecommendOptions::default()
        };
        let mut run = Run::new();
        for &query in &queries {
            let answer = recommender
                .recommend(query, None, &options)
                .with_context(|| format!("ranking {query:?} with {name}"))?;
            let ids = answer.items.into_iter().map(|i| i.product.id).collect();
            run.insert(query.to_string(), ids);
            progress(Progress::Step);
        }
        runs.push((name.to_string(), weights, run));
    }
    let lists = |name: &str| runs.iter().find(|(n, _, _)| n == name).map(|(_, _, r)| r);
    if let (Some(bm25), Some(vector)) = (lists("bm25_only"), lists("vector_only")) {
        let fused = reciprocal_rank_fusion(&[bm25, vector], list_length);
        runs.push(("rrf".to_string(), None, fused));
    }
    let mut reports = Vec::new();
    for (ranker, weights, run) in &runs {
        reports.push(score_run(qrels, ranker, *weights, run)?);
    }
    let paired = paired_reports(&reports)?;
    Ok(RankingComparison {
        qrels: source.to_string(),
        queries: qrels.num_queries(),
        judgements: qrels.len(),
        unknown_products: unknown_products.into_iter().collect(),
        list_length,
        rankers: reports,
        paired,
        resamples: RESAMPLES,
    })
}

/// Query → product ids, best first.
type Run = BTreeMap<String, Vec<String>>;

/// Reciprocal-rank fusion: each product scores Σ 1/(k + rank) over the lists holding it.
pub fn reciprocal_rank_fusion(runs: &[&Run], length: usize) -> Run {
    let queries: BTreeSet<&String> = runs.iter().flat_map(|r| r.keys()).collect();
    queries
        .into_iter()
        .map(|query| {
            let mut scores: BTreeMap<&str, f64> = BTreeMap::new();
            for run in runs {
                for (rank, id) in run.get(query).into_iter().flatten().enumerate() {
                    *scores.entry(id).or_default() += 1.0 / (RRF_K + rank as f64 + 1.0);
                }
            }
            let mut fused: Vec<(&str, f64)> = scores.into_iter().collect();
            // Ties keep the product-id order, so the fusion is deterministic.
            fused.sort_by(|a, b| b.1.total_cmp(&a.1));
            let ids = fused.into_iter().take(length).map(|(id, _)| id.to_string());
            (query.clone(), ids.collect())
        })
        .collect()
}

/// Every metric of one run, with intervals.
fn score_run(
    qrels: &Qrels,
    ranker: &str,
    weights: Option<ScoreWeights>,
    run: &Run,
) -> Result<RankerReport> {
    let report = evaluate_run(qrels, run, CUTOFF)?;
    let condensed: Run = run
        .iter()
        .map(|(query, ids)| {
            let judged = ids.iter().filter(|id| qrels.grade(query, id).is_some());
            (query.clone(), judged.cloned().collect())
        })
        .collect();
    let condensed_ndcg: Vec<f64> = evaluate_run(qrels, &condensed, CUTOFF)?
        .per_query
        .iter()
        .map(|m| m.ndcg)
        .collect();
    let recall_at_depth: Vec<f64> = evaluate_run(qrels, run, RECALL_DEPTH)?
        .per_query
        .iter()
        .map(|m| m.recall)
        .collect();
    let per_query =
        |f: fn(&QueryMetrics) -> f64| report.per_query.iter().map(f).collect::<Vec<_>>();
    let interval = |values: &[f64]| bootstrap_interval(values, RESAMPLES, RESAMPLING_SEED);
    let intervals = RankerIntervals {
        ndcg: interval(&per_query(|m| m.ndcg))?,
        condensed_ndcg: interval(&condensed_ndcg)?,
        mrr: interval(&per_query(|m| m.reciprocal_rank))?,
        recall_at_depth: interval(&recall_at_depth)?,
    };
    Ok(RankerReport {
        ranker: ranker.to_string(),
        weights,
        report,
        condensed_ndcg,
        recall_at_depth,
        intervals,
    })
}

/// The first ranker against each of the others.
fn paired_reports(reports: &[RankerReport]) -> Result<Vec<PairedReport>> {
    let Some((hybrid, baselines)) = reports.split_first() else {
        return Ok(Vec::new());
    };
    let ndcg = |r: &RankerReport| {
        r.report
            .per_query
            .iter()
            .map(|m| m.ndcg)
            .collect::<Vec<_>>()
    };
    baselines
        .iter()
        .map(|baseline| {
            Ok(PairedReport {
                baseline: baseline.ranker.clone(),
                ndcg: paired_comparison(
                    &ndcg(hybrid),
                    &ndcg(baseline),
                    RESAMPLES,
                    RESAMPLING_SEED,
                )?,
                condensed_ndcg: paired_comparison(
                    &hybrid.condensed_ndcg,
                    &baseline.condensed_ndcg,
                    RESAMPLES,
                    RESAMPLING_SEED,
                )?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(lists: &[(&str, &[&str])]) -> Run {
        lists
            .iter()
            .map(|(q, ids)| (q.to_string(), ids.iter().map(|i| i.to_string()).collect()))
            .collect()
    }

    #[test]
    fn fusion_adds_reciprocal_ranks() {
        let bm25 = run(&[("q", &["a", "b", "c"])]);
        let vector = run(&[("q", &["c", "d", "a"])]);
        let fused = reciprocal_rank_fusion(&[&bm25, &vector], 3);
        // a: 1/61 + 1/63, c: 1/63 + 1/61 (a tie, broken by id), b: 1/62, d: 1/62.
        assert_eq!(fused["q"], ["a", "c", "b"]);
    }

    #[test]
    fn condensed_ndcg_drops_unjudged_products_and_recall_looks_deep() {
        let mut qrels = Qrels::new();
        qrels.insert("q", "good", 2.0).expect("judgement");
        qrels.insert("q", "bad", 0.0).expect("judgement");
        let list: Vec<String> = (0..11).map(|i| format!("unjudged{i}")).collect();
        let mut ids: Vec<&str> = list.iter().map(String::as_str).collect();
        ids.push("good");
        let report = score_run(&qrels, "test", None, &run(&[("q", &ids)])).expect("scores");
        // "good" is 12th: out of the top 10, so nDCG@10 is 0 and RR 1/12.
        assert_eq!(report.report.per_query[0].ndcg, 0.0);
        assert!((report.report.per_query[0].reciprocal_rank - 1.0 / 12.0).abs() < 1e-12);
        // Without the unjudged products it comes first: condensed nDCG@10 is 1.
        assert_eq!(report.condensed_ndcg, [1.0]);
        assert_eq!(report.recall_at_depth, [1.0]);
        assert_eq!(report.intervals.condensed_ndcg.mean, 1.0);
    }
}
