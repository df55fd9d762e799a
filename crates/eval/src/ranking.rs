//! Recommendation quality: the hybrid ranking against BM25 alone (semantic weight 0)
//! and embeddings alone (keyword weight 0), scored on graded relevance judgements.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result};
use daogou_explain::metrics::{evaluate_run, Qrels, RankingReport};
use daogou_model::SentenceEncoder;
use serde::Serialize;

use daogou_catalog::CatalogIndex;
use daogou_guide::answer::{RecommendOptions, ScoreWeights};
use daogou_guide::recommend::Recommender;

use super::Progress;

/// Cut-off of nDCG, recall and precision.
pub const CUTOFF: usize = 10;

/// One ranker's scores.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RankerReport {
    /// `hybrid`, `bm25_only` or `vector_only`.
    pub ranker: String,
    /// The weights it ranks with.
    pub weights: ScoreWeights,
    /// nDCG@10, MRR, recall@10 and precision@10, averaged and per query.
    pub report: RankingReport,
}

/// The three rankers on one set of judgements.
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
    /// Hybrid, BM25 only, vector only.
    pub rankers: Vec<RankerReport>,
}

/// The rankers compared: name and weights.
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
/// all three) and scores the lists.
pub fn compare_rankers(
    catalog: &CatalogIndex,
    encoder: &SentenceEncoder,
    qrels: &Qrels,
    source: &str,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<RankingComparison> {
    let recommender = Recommender::new(catalog, encoder, None);
    let defaults = RecommendOptions::default();
    let list_length = catalog.len().clamp(1, defaults.limits.max_k);
    let queries: Vec<&str> = qrels.queries().collect();
    let known: BTreeSet<&str> = catalog.products().iter().map(|p| p.id.as_str()).collect();
    let unknown_products: BTreeSet<String> = queries
        .iter()
        .filter_map(|q| qrels.judgements(q))
        .flat_map(|j| j.keys())
        .filter(|id| !known.contains(id.as_str()))
        .cloned()
        .collect();
    let rankers = rankers();
    progress(Progress::Stage {
        name: "rankings",
        steps: rankers.len() * queries.len(),
    });
    let mut reports = Vec::new();
    for (name, weights) in rankers {
        let options = RecommendOptions {
            k: list_length,
            weights,
            methods: BTreeSet::new(),
            ..RecommendOptions::default()
        };
        let mut run = BTreeMap::new();
        for &query in &queries {
            let answer = recommender
                .recommend(query, None, &options)
                .with_context(|| format!("ranking {query:?} with {name}"))?;
            let ids = answer.items.into_iter().map(|i| i.product.id).collect();
            run.insert(query.to_string(), ids);
            progress(Progress::Step);
        }
        reports.push(RankerReport {
            ranker: name.to_string(),
            weights,
            report: evaluate_run(qrels, &run, CUTOFF)?,
        });
    }
    Ok(RankingComparison {
        qrels: source.to_string(),
        queries: qrels.num_queries(),
        judgements: qrels.len(),
        unknown_products: unknown_products.into_iter().collect(),
        list_length,
        rankers: reports,
    })
}
