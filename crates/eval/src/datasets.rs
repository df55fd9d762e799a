//! Labelled text data sets for training and evaluating classification heads: Stanford
//! Sentiment Treebank trees and delimited tables (Amazon Alexa reviews, Chinese shopping
//! reviews, any CSV/TSV with a text and a label column).

use std::path::Path;

use anyhow::{bail, Context, Result};

use daogou_catalog::RowIssue;

/// One labelled text.
#[derive(Debug, Clone, PartialEq)]
pub struct Labelled {
    /// The text.
    pub text: String,
    /// Its label as written in the source (`"0"`, `"1"`, `"positive"`, ...).
    pub label: String,
}

/// A data set and the rows that could not be read.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    /// The examples, in file order.
    pub examples: Vec<Labelled>,
    /// Rows skipped, with line numbers.
    pub skipped: Vec<RowIssue>,
}

/// Reads an SST file of PTB trees (one sentence per line, `(3 (2 It) (4 works))`) as binary
/// sentiment, the usual SST-2 convention: root labels 0–1 are `negative`, 3–4 `positive`,
/// neutral (2) sentences are left out. Words are the leaves joined by spaces, with the
/// treebank's `-LRB-`/`-RRB-` turned back into brackets.
pub fn read_sst(path: &Path) -> Result<Dataset> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut data = Dataset::default();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        match parse_tree(line) {
            Some((root, words)) => {
                let label = match root {
                    0 | 1 => "negative",
                    3 | 4 => "positive",
                    _ => continue,
                };
                data.examples.push(Labelled {
                    text: words.join(" "),
                    label: label.to_string(),
                });
            }
            None => data.skipped.push(RowIssue {
                line: i + 1,
                reason: "not a sentiment tree".into(),
            }),
        }
    }
    Ok(data)
}

/// Root label and leaf words of one PTB tree.
fn parse_tree(line: &str) -> Option<(u8, Vec<String>)> {
    let root = line.strip_prefix('(')?.chars().next()?.to_digit(10)? as u8;
    let mut words = Vec::new();
    // A leaf is "(digit word)": a token that directly follows a label and ends with ')'.
    for piece in line.split('(').skip(1) {
        let mut parts = piece.splitn(2, ' ');
        let (_, rest) = (parts.next()?, parts.next()?);
        if let Some(end) = rest.find(')') {
            let word = rest[..end].trim();
            if !word.is_empty() && !rest[..end].contains(' ') {
                words.push(match word {
                    "-LRB-" => "(".to_string(),
                    "-RRB-" => ")".to_string(),
                    w => w.to_string(),
                });
            }
        }
    }
    (!words.is_empty()).then_some((root, words))
}

/// Reads a delimited table with a header, taking the text and label from the named
/// columns. Rows with a wrong field count or an empty text are reported and skipped.
pub fn read_table(
    path: &Path,
    delimiter: u8,
    text_column: &str,
    label_column: &str,
) -> Result<Dataset> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .quoting(delimiter != b'\t')
        .from_path(path)
        .with_context(|| format!("opening {}", path.display()))?;
    let headers: Vec<String> = reader
        .headers()?
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
        .collect();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h.eq_ignore_ascii_case(name))
            .with_context(|| {
                format!(
                    "{} has no column {name:?} (columns: {})",
                    path.display(),
                    headers.join(", ")
                )
            })
    };
    let (text_at, label_at) = (column(text_column)?, column(label_column)?);
    let mut data = Dataset::default();
    for (i, record) in reader.byte_records().enumerate() {
        let line = i + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                data.skipped.push(RowIssue {
                    line,
                    reason: e.to_string(),
                });
                continue;
            }
        };
        if record.len() != headers.len() {
            data.skipped.push(RowIssue {
                line,
                reason: format!("{} fields, the header has {}", record.len(), headers.len()),
            });
            continue;
        }
        let field = |at: usize| {
            String::from_utf8_lossy(record.get(at).unwrap_or_default())
                .trim()
                .to_string()
        };
        let text = field(text_at).trim_start_matches('\u{feff}').to_string();
        if text.is_empty() {
            data.skipped.push(RowIssue {
                line,
                reason: "empty text".into(),
            });
            continue;
        }
        data.examples.push(Labelled {
            text,
            label: field(label_at),
        });
    }
    if data.examples.is_empty() {
        bail!("{} has no usable rows", path.display());
    }
    Ok(data)
}

/// Splits examples deterministically into train and test: every `k`-th example (by a hash
/// of its text) goes to test, so the split is stable across runs and file orders.
pub fn split(examples: Vec<Labelled>, test_share: f64) -> (Vec<Labelled>, Vec<Labelled>) {
    examples
        .into_iter()
        .partition(|e| !in_share(&e.text, test_share))
}

/// Whether `text` falls in the first `share` of a stable hash of texts: the same answer on
/// every machine and run.
pub fn in_share(text: &str, share: f64) -> bool {
    let threshold = (share.clamp(0.0, 1.0) * f64::from(u16::MAX)) as u64;
    // FNV-1a over the bytes: stable, no dependency.
    let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    hash % u64::from(u16::MAX) < threshold
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trees_give_root_label_and_leaves() {
        let (root, words) =
            parse_tree("(3 (2 (2 The) (2 Rock)) (4 (3 rocks) (2 -LRB-really-RRB-)))")
                .expect("tree");
        assert_eq!(root, 3);
        assert_eq!(words, ["The", "Rock", "rocks", "-LRB-really-RRB-"]);
        let (_, words) = parse_tree("(1 (2 -LRB-) (1 bad) (2 -RRB-))").expect("tree");
        assert_eq!(words, ["(", "bad", ")"]);
        assert!(parse_tree("not a tree").is_none());
    }

    #[test]
    fn split_is_deterministic_and_roughly_proportional() {
        let examples: Vec<Labelled> = (0..2000)
            .map(|i| Labelled {
                text: format!("example {i}"),
                label: "x".into(),
            })
            .collect();
        let (train, test) = split(examples.clone(), 0.2);
        let (train2, _) = split(examples, 0.2);
        assert_eq!(train, train2);
        assert!((300..500).contains(&test.len()), "{}", test.len());
    }
}
