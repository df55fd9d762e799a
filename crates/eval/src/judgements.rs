//! Relevance judgements from files: CSV with a header naming `query`, `product_id` and
//! `relevance` (quoted fields allowed, as in the Home Depot judgements), or the TSV
//! `query<TAB>product_id<TAB>grade` of [`Qrels::parse`]; and the train/validation split
//! of their queries.

use std::path::Path;

use anyhow::{bail, Context, Result};
use daogou_explain::metrics::Qrels;

use crate::datasets::in_share;

/// Reads judgements; grades become `relevance − gain_offset` (so Home Depot's 1–3 scale
/// with offset 1 gains 0 for "irrelevant"), floored at 0.
pub fn read_judgements(path: &Path, gain_offset: f64) -> Result<Qrels> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| anyhow::anyhow!("{} is not valid UTF-8", path.display()))?;
    let first = text.lines().next().unwrap_or_default().to_ascii_lowercase();
    let qrels = if first.contains(',') && first.contains("query") {
        read_csv(&text, path)?
    } else {
        Qrels::parse(&text, path)?
    };
    regrade(&qrels, |grade| (grade - gain_offset).max(0.0))
}

fn read_csv(text: &str, path: &Path) -> Result<Qrels> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .with_context(|| format!("reading the header of {}", path.display()))?
        .clone();
    let column = |names: &[&str]| {
        headers
            .iter()
            .position(|h| names.iter().any(|n| h.trim().eq_ignore_ascii_case(n)))
    };
    let (Some(query), Some(product), Some(grade)) = (
        column(&["query", "search_term"]),
        column(&["product_id", "product_uid", "id"]),
        column(&["relevance", "grade", "label"]),
    ) else {
        bail!(
            "{}: the header must name the columns query, product_id and relevance",
            path.display()
        );
    };
    let mut qrels = Qrels::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = record.with_context(|| format!("{}: line {line}", path.display()))?;
        let field = |c: usize| record.get(c).map(str::trim).unwrap_or_default();
        let value: f64 = field(grade)
            .parse()
            .with_context(|| format!("{}: line {line}: bad relevance", path.display()))?;
        if field(query).is_empty() || field(product).is_empty() {
            bail!("{}: line {line}: empty query or product id", path.display());
        }
        if qrels.grade(field(query), field(product)).is_some() {
            bail!(
                "{}: line {line}: repeated judgement of ({}, {})",
                path.display(),
                field(query),
                field(product)
            );
        }
        qrels
            .insert(field(query), field(product), value)
            .with_context(|| format!("{}: line {line}", path.display()))?;
    }
    Ok(qrels)
}

fn regrade(qrels: &Qrels, grade: impl Fn(f64) -> f64) -> Result<Qrels> {
    select(qrels, |_| true, grade)
}

fn select(qrels: &Qrels, keep: impl Fn(&str) -> bool, grade: impl Fn(f64) -> f64) -> Result<Qrels> {
    let mut out = Qrels::new();
    for query in qrels.queries().filter(|q| keep(q)) {
        for (product, &g) in qrels.judgements(query).into_iter().flatten() {
            out.insert(query, product, grade(g))?;
        }
    }
    Ok(out)
}

/// The judgements of the first `n` queries (in query order), for bounded runs.
pub fn first_queries(qrels: &Qrels, n: usize) -> Result<Qrels> {
    let kept: std::collections::BTreeSet<&str> = qrels.queries().take(n).collect();
    select(qrels, |query| kept.contains(query), |g| g)
}

/// Which judged queries an evaluation uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Split {
    /// Every query.
    All,
    /// The queries a ranker may be fitted on.
    Train,
    /// The queries choices are judged on (a stable hash of the query text puts
    /// [`VALIDATION_SHARE`] of them here).
    Validation,
}

/// Share of the queries in the validation split.
pub const VALIDATION_SHARE: f64 = 0.3;

/// The judgements of the queries in `split`.
pub fn split(qrels: &Qrels, split: Split) -> Result<Qrels> {
    select(
        qrels,
        |query| match split {
            Split::All => true,
            Split::Validation => in_share(query, VALIDATION_SHARE),
            Split::Train => !in_share(query, VALIDATION_SHARE),
        },
        |g| g,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_csv_is_read_and_regraded_and_splits_partition_the_queries() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("judgements.csv");
        let mut csv = String::from("query,product_id,relevance\n");
        csv.push_str("\"1/2 in., pvc\",p1,3\n\"say \"\"hi\"\"\",p2,1\n");
        for i in 0..200 {
            csv.push_str(&format!("query {i},p{i},2.5\n"));
        }
        std::fs::write(&path, csv).expect("write");
        let qrels = read_judgements(&path, 1.0).expect("reads");
        assert_eq!(qrels.grade("1/2 in., pvc", "p1"), Some(2.0));
        assert_eq!(qrels.grade("say \"hi\"", "p2"), Some(0.0));
        assert_eq!(qrels.grade("query 7", "p7"), Some(1.5));
        let train = split(&qrels, Split::Train).expect("train");
        let validation = split(&qrels, Split::Validation).expect("validation");
        assert_eq!(
            train.num_queries() + validation.num_queries(),
            qrels.num_queries()
        );
        assert!(
            (40..85).contains(&validation.num_queries()),
            "{}",
            validation.num_queries()
        );
        assert!(train.queries().all(|q| validation.judgements(q).is_none()));

        std::fs::write(&path, "query,product_id,relevance\nq,p,high\n").expect("write");
        let err = read_judgements(&path, 0.0).unwrap_err();
        assert!(format!("{err:#}").contains("line 2"), "{err:#}");
        std::fs::write(&path, "query,item,score\nq,p,1\n").expect("write");
        assert!(read_judgements(&path, 0.0).is_err());
    }
}
