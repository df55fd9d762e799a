//! Review data sets: Hu & Liu's annotated product reviews and plain review files, and
//! the precision and recall of mined aspects against their labels.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{bail, ensure, Context, Result};
use daogou_guide::reviews::{Review, ReviewSentence, ReviewSet};
use serde::Serialize;

/// Reads a Hu & Liu annotated review file (`[t]` starts a review, `tags##sentence` lines,
/// tags like `battery life[+2][u]`). Header lines before the first `[t]` or `##` are skipped.
/// The file must be UTF-8 and hold at least one `##` sentence.
pub fn read_hu_liu(path: &Path) -> Result<ReviewSet> {
    let text = read_utf8(path)?;
    let set = parse_hu_liu(&product_name(path), &text);
    ensure!(
        set.sentences().next().is_some(),
        "{} holds no review sentences (a Hu & Liu file has `tags##sentence` lines)",
        path.display()
    );
    Ok(set)
}

/// Reads a review file of either kind: a Hu & Liu annotated file when it has a `##`
/// sentence, else plain text with one review per line ([`read_plain`]). An empty file, or
/// one that is not UTF-8, is an error that says so.
pub fn read_reviews(path: &Path) -> Result<ReviewSet> {
    let text = read_utf8(path)?;
    let set = if text.contains("##") {
        parse_hu_liu(&product_name(path), &text)
    } else {
        read_plain(&product_name(path), &text)
    };
    ensure!(
        set.sentences().next().is_some(),
        "{} holds no reviews: expected plain text with one review per line, or a Hu & Liu \
         annotated file",
        path.display()
    );
    Ok(set)
}

/// The file as UTF-8 text, or an error naming the file and the first invalid byte.
fn read_utf8(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    match String::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(e) => bail!(
            "{} is not UTF-8 text (invalid byte at offset {}); convert it first, e.g. \
             `iconv -f latin1 -t utf-8`",
            path.display(),
            e.utf8_error().valid_up_to()
        ),
    }
}

/// The product name a review file stands for: its name without extension, `_` as spaces.
fn product_name(path: &Path) -> String {
    path.file_stem().map_or_else(
        || "product".to_string(),
        |s| s.to_string_lossy().replace('_', " "),
    )
}

/// Parses the text of a Hu & Liu annotated file (see [`read_hu_liu`]).
fn parse_hu_liu(product: &str, text: &str) -> ReviewSet {
    let mut reviews: Vec<Review> = Vec::new();
    for line in text.lines() {
        if let Some(title) = line.strip_prefix("[t]") {
            reviews.push(Review {
                title: title.trim().to_string(),
                sentences: Vec::new(),
            });
            continue;
        }
        let Some((tags, sentence)) = line.split_once("##") else {
            continue;
        };
        if reviews.is_empty() {
            reviews.push(Review {
                title: String::new(),
                sentences: Vec::new(),
            });
        }
        if let Some(review) = reviews.last_mut() {
            review.sentences.push(ReviewSentence {
                text: sentence.trim().to_string(),
                gold: parse_tags(tags),
            });
        }
    }
    ReviewSet {
        product: product.to_string(),
        reviews,
    }
}

/// Reviews from plain text: one review per line, sentences split at `.`, `!` and `?`.
pub fn read_plain(product: &str, text: &str) -> ReviewSet {
    let reviews = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| Review {
            title: String::new(),
            sentences: line
                .split_inclusive(['.', '!', '?', '。', '！', '？'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| ReviewSentence {
                    text: s.to_string(),
                    gold: Vec::new(),
                })
                .collect(),
        })
        .collect();
    ReviewSet {
        product: product.to_string(),
        reviews,
    }
}

fn parse_tags(tags: &str) -> Vec<(String, i8)> {
    let mut out = Vec::new();
    for part in tags.split(',') {
        let Some(open) = part.find('[') else { continue };
        let name = part[..open].trim().to_lowercase();
        let strength = part[open..]
            .split(['[', ']'])
            .find_map(|t| t.parse::<i8>().ok().filter(|_| t.starts_with(['+', '-'])));
        if let (false, Some(s)) = (name.is_empty(), strength) {
            out.push((name, s));
        }
    }
    out
}

/// Precision and recall of a set of mined aspects against labelled ones (plural `s`
/// ignored).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PrecisionRecall {
    /// Share of mined aspects that are labelled aspects.
    pub precision: f64,
    /// Share of labelled aspects that were mined.
    pub recall: f64,
    /// Their harmonic mean.
    pub f1: f64,
}

impl PrecisionRecall {
    /// The scores of `hits` correct out of `predicted` found and `labelled` expected (0
    /// where a denominator is 0).
    pub fn from_counts(hits: usize, predicted: usize, labelled: usize) -> Self {
        let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        let (precision, recall) = (ratio(hits, predicted), ratio(hits, labelled));
        let f1 = if precision + recall == 0.0 {
            0.0
        } else {
            2.0 * precision * recall / (precision + recall)
        };
        PrecisionRecall {
            precision,
            recall,
            f1,
        }
    }
}

/// Compares mined aspects with labelled ones.
pub fn aspect_scores(mined: &[String], gold: &[String]) -> PrecisionRecall {
    let norm = |a: &str| {
        a.split(' ')
            .map(|w| w.trim_end_matches('s'))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let gold: BTreeSet<String> = gold.iter().map(|g| norm(g)).collect();
    let mined: BTreeSet<String> = mined.iter().map(|m| norm(m)).collect();
    let hits = mined.intersection(&gold).count();
    PrecisionRecall::from_counts(hits, mined.len(), gold.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_parse_with_strength_and_markers() {
        assert_eq!(
            parse_tags("size[+1][u], sturdy[+2],battery life[-3]"),
            vec![
                ("size".to_string(), 1),
                ("sturdy".to_string(), 2),
                ("battery life".to_string(), -3)
            ]
        );
        assert!(parse_tags("").is_empty());
        assert!(parse_tags("[s]").is_empty());
    }

    #[test]
    fn mined_aspects_are_scored_against_labels_ignoring_plurals() {
        let scores = aspect_scores(
            &["screens".into(), "battery life".into(), "zoom".into()],
            &["screen".into(), "battery life".into()],
        );
        assert!((scores.precision - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(scores.recall, 1.0);
    }
}
