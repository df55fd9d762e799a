//! Ranking quality of recommendation lists against graded judgements.
//!
//! A grade is a non-negative number (e.g. 0 = irrelevant … 3 = exact match); an item
//! is relevant when its grade is > 0, and unjudged items have grade 0. Ranked lists are
//! deduplicated (first occurrence kept) before they are cut at k.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{DataError, ExplainError};

/// DCG@k = Σ_{i=1}^{k} (2^{gᵢ} − 1) / log₂(i + 1) of the grades in ranked order
/// (Järvelin & Kekäläinen 2002, with the exponential gain of Burges et al. 2005).
pub fn dcg(ranked_grades: &[f64], k: usize) -> f64 {
    ranked_grades
        .iter()
        .take(k)
        .enumerate()
        .map(|(i, &g)| (g.exp2() - 1.0) / ((i + 2) as f64).log2())
        .sum()
}

/// nDCG@k = DCG@k / IDCG@k, where the ideal DCG ranks *all* judged grades of the query
/// (`judged_grades`) best first. `None` when the ideal DCG is 0 (nothing relevant).
pub fn ndcg(ranked_grades: &[f64], judged_grades: &[f64], k: usize) -> Option<f64> {
    let mut ideal = judged_grades.to_vec();
    ideal.sort_by(|a, b| b.total_cmp(a));
    let idcg = dcg(&ideal, k);
    (idcg > 0.0).then(|| dcg(ranked_grades, k) / idcg)
}

/// Reciprocal rank 1/r of the first item with grade > 0 in the whole list; 0 if none
/// (averaged over queries: MRR, Voorhees 1999).
pub fn reciprocal_rank(ranked_grades: &[f64]) -> f64 {
    ranked_grades
        .iter()
        .position(|&g| g > 0.0)
        .map_or(0.0, |r| 1.0 / (r + 1) as f64)
}

/// Relevant items in the top k / all relevant items of the query; `None` when the
/// query has no relevant item.
pub fn recall_at_k(ranked_grades: &[f64], num_relevant: usize, k: usize) -> Option<f64> {
    (num_relevant > 0).then(|| relevant_in_top(ranked_grades, k) as f64 / num_relevant as f64)
}

/// Relevant items in the top k / k (a list shorter than k is padded with irrelevant
/// items, as trec_eval's P@k). 0 when k = 0.
pub fn precision_at_k(ranked_grades: &[f64], k: usize) -> f64 {
    if k == 0 {
        0.0
    } else {
        relevant_in_top(ranked_grades, k) as f64 / k as f64
    }
}

fn relevant_in_top(ranked_grades: &[f64], k: usize) -> usize {
    ranked_grades.iter().take(k).filter(|&&g| g > 0.0).count()
}

/// Graded relevance judgements: query → product id → grade.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Qrels {
    judgements: BTreeMap<String, BTreeMap<String, f64>>,
}

impl Qrels {
    /// No judgements.
    pub fn new() -> Self {
        Qrels::default()
    }

    /// Largest grade accepted (keeps the gain 2^grade − 1 far from overflow).
    pub const MAX_GRADE: f64 = 64.0;

    /// Records a judgement, replacing an earlier one; errors unless 0 ≤ grade ≤
    /// [`Qrels::MAX_GRADE`].
    pub fn insert(
        &mut self,
        query: &str,
        product_id: &str,
        grade: f64,
    ) -> Result<(), ExplainError> {
        if !(0.0..=Self::MAX_GRADE).contains(&grade) {
            return Err(ExplainError::InvalidInput(format!(
                "grade {grade} of ({query}, {product_id}) must be in [0, {}]",
                Self::MAX_GRADE
            )));
        }
        self.judgements
            .entry(query.to_string())
            .or_default()
            .insert(product_id.to_string(), grade);
        Ok(())
    }

    /// Reads `query, product_id, grade` lines from a TSV or CSV file (see [`Qrels::parse`]).
    pub fn read(path: impl AsRef<Path>) -> Result<Self, DataError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| DataError::io(path, e))?;
        Self::parse(&text, path)
    }

    /// Parses judgements, one `query, product_id, grade` per line. Fields are separated
    /// by tabs if the first data line has a tab, else by commas (no quoting; fields are
    /// trimmed). Blank lines and lines starting with `#` are skipped, and so is a first
    /// line whose grade is not a number (a header). Errors, naming `source` and the
    /// line, on a wrong field count, a bad grade or a repeated (query, product) pair.
    pub fn parse(text: &str, source: impl AsRef<Path>) -> Result<Self, DataError> {
        let source = source.as_ref();
        let mut qrels = Qrels::new();
        let mut delimiter = None;
        let mut first = true;
        for (n, line) in text.lines().enumerate() {
            let line_no = n + 1;
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let d = *delimiter.get_or_insert(if line.contains('\t') { '\t' } else { ',' });
            let fields: Vec<&str> = line.split(d).map(str::trim).collect();
            let is_first = std::mem::replace(&mut first, false);
            let [query, product, grade] = fields[..] else {
                return Err(DataError::parse(
                    source,
                    line_no,
                    format!(
                        "expected 3 fields (query, product_id, grade), got {}",
                        fields.len()
                    ),
                ));
            };
            let grade: f64 = match grade.parse() {
                Ok(g) => g,
                Err(_) if is_first => continue,
                Err(_) => {
                    return Err(DataError::parse(
                        source,
                        line_no,
                        format!("bad grade `{grade}`"),
                    ))
                }
            };
            if query.is_empty() || product.is_empty() {
                return Err(DataError::parse(
                    source,
                    line_no,
                    "empty query or product id",
                ));
            }
            if qrels.grade(query, product).is_some() {
                return Err(DataError::parse(
                    source,
                    line_no,
                    format!("repeated judgement of ({query}, {product})"),
                ));
            }
            qrels
                .insert(query, product, grade)
                .map_err(|e| DataError::parse(source, line_no, e.to_string()))?;
        }
        Ok(qrels)
    }

    /// Grade of `product_id` for `query`, if judged.
    pub fn grade(&self, query: &str, product_id: &str) -> Option<f64> {
        self.judgements.get(query)?.get(product_id).copied()
    }

    /// The judgements of `query` (product id → grade).
    pub fn judgements(&self, query: &str) -> Option<&BTreeMap<String, f64>> {
        self.judgements.get(query)
    }

    /// Judged queries, sorted.
    pub fn queries(&self) -> impl Iterator<Item = &str> {
        self.judgements.keys().map(String::as_str)
    }

    /// Every judged product id, over all queries, sorted.
    pub fn products(&self) -> std::collections::BTreeSet<&str> {
        self.judgements
            .values()
            .flat_map(|j| j.keys().map(String::as_str))
            .collect()
    }

    /// Number of judged queries.
    pub fn num_queries(&self) -> usize {
        self.judgements.len()
    }

    /// Number of judgements.
    pub fn len(&self) -> usize {
        self.judgements.values().map(BTreeMap::len).sum()
    }

    /// Whether there are no judgements.
    pub fn is_empty(&self) -> bool {
        self.judgements.is_empty()
    }
}

/// Metrics of one query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueryMetrics {
    /// The query.
    pub query: String,
    /// nDCG@k.
    pub ndcg: f64,
    /// Reciprocal rank of the first relevant item.
    pub reciprocal_rank: f64,
    /// Recall@k.
    pub recall: f64,
    /// Precision@k.
    pub precision: f64,
    /// Relevant (grade > 0) judged items.
    pub relevant: usize,
    /// Distinct items in the ranked list (0 if the run lacks the query).
    pub retrieved: usize,
}

/// Ranking quality of a run, averaged over queries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankingReport {
    /// Cut-off k.
    pub k: usize,
    /// Queries averaged: judged queries with at least one relevant item.
    pub queries: usize,
    /// Mean nDCG@k.
    pub ndcg: f64,
    /// Mean reciprocal rank.
    pub mrr: f64,
    /// Mean recall@k.
    pub recall: f64,
    /// Mean precision@k.
    pub precision: f64,
    /// Per-query metrics, by query.
    pub per_query: Vec<QueryMetrics>,
    /// Run queries without judgements (ignored).
    pub unjudged_queries: Vec<String>,
    /// Judged queries without a relevant item (ignored: nDCG and recall are undefined).
    pub queries_without_relevant: Vec<String>,
}

/// Scores a run (query → product ids, best first) against `qrels` at cut-off k.
///
/// Averages over the judged queries with at least one relevant item; a judged query
/// missing from the run scores 0 on every metric (trec_eval's `-c`). Errors when k = 0.
pub fn evaluate_run(
    qrels: &Qrels,
    run: &BTreeMap<String, Vec<String>>,
    k: usize,
) -> Result<RankingReport, ExplainError> {
    if k == 0 {
        return Err(ExplainError::invalid("k", "must be at least 1"));
    }
    let mut per_query = Vec::new();
    let mut queries_without_relevant = Vec::new();
    for (query, judged) in &qrels.judgements {
        let judged_grades: Vec<f64> = judged.values().copied().collect();
        let relevant = judged_grades.iter().filter(|&&g| g > 0.0).count();
        if relevant == 0 {
            queries_without_relevant.push(query.clone());
            continue;
        }
        let mut seen = HashSet::new();
        let ranked: Vec<f64> = run
            .get(query)
            .into_iter()
            .flatten()
            .filter(|id| seen.insert(id.as_str()))
            .map(|id| judged.get(id).copied().unwrap_or(0.0))
            .collect();
        per_query.push(QueryMetrics {
            query: query.clone(),
            ndcg: ndcg(&ranked, &judged_grades, k).unwrap_or(0.0),
            reciprocal_rank: reciprocal_rank(&ranked),
            recall: recall_at_k(&ranked, relevant, k).unwrap_or(0.0),
            precision: precision_at_k(&ranked, k),
            relevant,
            retrieved: ranked.len(),
        });
    }
    let mean = |f: fn(&QueryMetrics) -> f64| {
        if per_query.is_empty() {
            0.0
        } else {
            per_query.iter().map(f).sum::<f64>() / per_query.len() as f64
        }
    };
    Ok(RankingReport {
        k,
        queries: per_query.len(),
        ndcg: mean(|q| q.ndcg),
        mrr: mean(|q| q.reciprocal_rank),
        recall: mean(|q| q.recall),
        precision: mean(|q| q.precision),
        unjudged_queries: run
            .keys()
            .filter(|q| !qrels.judgements.contains_key(*q))
            .cloned()
            .collect(),
        queries_without_relevant,
        per_query,
    })
}
