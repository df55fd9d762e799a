//! Fitting the learned ranker on relevance judgements: every candidate the recommender
//! retrieves for a training query becomes a feature row labelled with its judged gain
//! (unjudged candidates gain 0, as nDCG counts them), and the match-strength thresholds
//! are calibrated on the validation queries' top results.
//!
//! Unjudged candidates outnumber judged ones fifty to one on Home Depot, so the fit sees a
//! stable hash sample of [`UNJUDGED_PER_QUERY`] of them per query on average, each weighted
//! by the inverse of its sampling share: the loss is the same in expectation, the trees
//! are smaller.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use daogou_explain::metrics::{evaluate_run, Qrels};
use daogou_model::SentenceEncoder;
use serde::Serialize;

use daogou_catalog::CatalogIndex;
use daogou_guide::answer::RecommendOptions;
use daogou_guide::rank::{FeatureRow, FitSettings, LearnedRanker, StrengthThresholds};
use daogou_guide::recommend::Recommender;

use super::datasets::in_share;
use super::ranking::CUTOFF;
use super::Progress;

/// Unjudged candidates per training query kept on average.
pub const UNJUDGED_PER_QUERY: usize = 60;

/// Feature rows of judged queries' candidates, with their gains.
#[derive(Debug, Clone, Default)]
pub struct TrainingSet {
    /// One row per (query, candidate).
    pub rows: Vec<FeatureRow>,
    /// The judged gain of each row; 0 for unjudged candidates.
    pub gains: Vec<f64>,
    /// The weight of each row: 1, or the inverse sampling share of an unjudged one.
    pub weights: Vec<f64>,
    /// Whether each row's product is judged for its query.
    pub judged: Vec<bool>,
    /// Each row's product (catalog position).
    pub products: Vec<usize>,
    /// Index of each row's query.
    pub query_of: Vec<usize>,
    /// Queries, in order.
    pub queries: Vec<String>,
}

/// The candidates of every query of `qrels` with their features and gains; with
/// `unjudged_per_query`, a weighted sample of the unjudged ones of that size on average.
pub fn training_set(
    catalog: &CatalogIndex,
    encoder: &SentenceEncoder,
    qrels: &Qrels,
    unjudged_per_query: Option<usize>,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<TrainingSet> {
    let recommender = Recommender::new(catalog, encoder, None);
    let options = RecommendOptions::default();
    let queries: Vec<&str> = qrels.queries().collect();
    progress(Progress::Stage {
        name: "features",
        steps: queries.len(),
    });
    let mut set = TrainingSet::default();
    for (q, &query) in queries.iter().enumerate() {
        let candidates = recommender
            .candidate_features(query, &options)
            .with_context(|| format!("the candidates of {query:?}"))?;
        let unjudged = candidates
            .iter()
            .filter(|(p, _)| qrels.grade(query, &catalog.product(*p).id).is_none())
            .count();
        let share =
            unjudged_per_query.map_or(1.0, |n| (n as f64 / unjudged.max(1) as f64).min(1.0));
        for (position, row) in candidates {
            let id = &catalog.product(position).id;
            let grade = qrels.grade(query, id);
            if grade.is_none() && share < 1.0 && !in_share(&format!("{query}\u{1f}{id}"), share) {
                continue;
            }
            set.rows.push(row);
            set.gains.push(grade.unwrap_or(0.0));
            set.weights
                .push(if grade.is_some() { 1.0 } else { 1.0 / share });
            set.judged.push(grade.is_some());
            set.products.push(position);
            set.query_of.push(q);
        }
        set.queries.push(query.to_string());
        progress(Progress::Step);
    }
    Ok(set)
}

/// One fit: its settings and how it ranks the candidates of the queries it was fitted
/// and validated on.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Fit {
    /// The settings.
    pub settings: FitSettings,
    /// Trees grown.
    pub trees: usize,
    /// nDCG@10 of the training queries' sampled candidates ranked by it.
    pub train_ndcg: f64,
    /// nDCG@10 of the validation queries' candidates ranked by it.
    pub validation_ndcg: f64,
}

/// The chosen ranker and every fit tried.
#[derive(Debug, Clone)]
pub struct Tuned {
    /// The fit with the best validation nDCG@10, its labels calibrated.
    pub ranker: LearnedRanker,
    /// Every fit, in the order tried.
    pub fits: Vec<Fit>,
}

/// Fits a ranker on the `train` judgements with each of `settings`, keeps the one that
/// ranks the `validation` queries' candidates best, and calibrates its match-strength
/// labels on their top results.
pub fn tune_ranker(
    catalog: &CatalogIndex,
    encoder: &SentenceEncoder,
    (train, validation): (&Qrels, &Qrels),
    settings: &[FitSettings],
    source: &str,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<Tuned> {
    let set = training_set(catalog, encoder, train, Some(UNJUDGED_PER_QUERY), progress)?;
    let held_out = training_set(catalog, encoder, validation, None, progress)?;
    progress(Progress::Stage {
        name: "fitting",
        steps: settings.len(),
    });
    let mut best: Option<(f64, LearnedRanker)> = None;
    let mut fits = Vec::new();
    for &s in settings {
        let ranker = LearnedRanker::fit(
            &set.rows,
            &set.gains,
            Some(&set.weights),
            s,
            encoder.model_id(),
            source,
            set.queries.len(),
        )?;
        let fit = Fit {
            settings: s,
            trees: ranker.fit_summary().trees,
            train_ndcg: candidate_ndcg(&ranker, &set, catalog, train)?,
            validation_ndcg: candidate_ndcg(&ranker, &held_out, catalog, validation)?,
        };
        fits.push(fit);
        if best.as_ref().is_none_or(|(b, _)| fit.validation_ndcg > *b) {
            best = Some((fit.validation_ndcg, ranker));
        }
        progress(Progress::Step);
    }
    let (_, mut ranker) = best.context("no fit settings given")?;
    ranker.set_strength(StrengthThresholds::calibrate(&top_results(
        &ranker, &held_out,
    )));
    Ok(Tuned { ranker, fits })
}

/// Each query's rows (a set holds them query by query), best `predicted` first.
fn ranked(predicted: &[f64], set: &TrainingSet) -> Vec<(usize, Vec<usize>)> {
    let mut start = 0;
    set.query_of
        .chunk_by(|a, b| a == b)
        .map(|rows| {
            let mut order: Vec<usize> = (start..start + rows.len()).collect();
            start += rows.len();
            order.sort_by(|&a, &b| predicted[b].total_cmp(&predicted[a]));
            (rows[0], order)
        })
        .collect()
}

/// nDCG@10 of each query's candidates in the set ranked by the ranker.
fn candidate_ndcg(
    ranker: &LearnedRanker,
    set: &TrainingSet,
    catalog: &CatalogIndex,
    qrels: &Qrels,
) -> Result<f64> {
    let run: BTreeMap<String, Vec<String>> = ranked(&ranker.predict(&set.rows), set)
        .into_iter()
        .map(|(query, order)| {
            let ids = order
                .iter()
                .map(|&r| catalog.product(set.products[r]).id.clone());
            (set.queries[query].clone(), ids.collect())
        })
        .collect();
    Ok(evaluate_run(qrels, &run, CUTOFF)?.ndcg)
}

/// (predicted gain, judged gain or `None`) of each query's top [`CUTOFF`] products by the
/// ranker: the results the labels are shown on.
pub fn top_results(ranker: &LearnedRanker, set: &TrainingSet) -> Vec<(f64, Option<f64>)> {
    let predicted = ranker.predict(&set.rows);
    ranked(&predicted, set)
        .into_iter()
        .flat_map(|(_, order)| order.into_iter().take(CUTOFF))
        .map(|r| (predicted[r], set.judged[r].then_some(set.gains[r])))
        .collect()
}
