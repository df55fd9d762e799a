//! Reader for ERASER rationale data sets (DeYoung et al. 2020), e.g. eraser-movies.
//!
//! Layout: `<dir>/<split>.jsonl`, one annotation per line with `annotation_id`,
//! `classification` (the label), `evidences` (groups of `{docid, start_token,
//! end_token, text, …}`, tokens half-open) and an optional `docids`; and
//! `<dir>/docs/<docid>`, the tokenised document, one sentence per line, tokens
//! separated by spaces. Token indices count over the whole document, as in ERASER's
//! `load_flattened_documents`.
//!
//! Examples read with a single document each (movies, and most ERASER sets); the
//! rationale is the union of all evidence spans.
//!
//! ```no_run
//! use daogou_explain::eraser;
//! use daogou_explain::metrics::Plausibility;
//!
//! let examples = eraser::read_split("data/eraser-movies", "test")?;
//! let ex = &examples[0];
//! let scores = vec![0.0; ex.tokens.len()]; // an attribution per token
//! let p = Plausibility::default().evaluate(&scores, &ex.rationale, &ex.evidence_spans())?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::DataError;
use crate::metrics::plausibility::TokenSpan;

/// One human-annotated example.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RationaleExample {
    /// ERASER's `annotation_id`.
    pub annotation_id: String,
    /// The label (`classification`), e.g. `POS` or `NEG`.
    pub label: String,
    /// The document the rationale marks.
    pub doc_id: String,
    /// The document's tokens.
    pub tokens: Vec<String>,
    /// Per token: inside any evidence span.
    pub rationale: Vec<bool>,
    /// The evidence spans, in file order (groups flattened).
    pub evidences: Vec<Evidence>,
}

/// One evidence span with its annotated text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// Token range.
    pub span: TokenSpan,
    /// The `text` field: the span's tokens joined by single spaces.
    pub text: String,
}

impl RationaleExample {
    /// The evidence spans (gold spans for IOU F1).
    pub fn evidence_spans(&self) -> Vec<TokenSpan> {
        self.evidences.iter().map(|e| e.span).collect()
    }
}

/// Splits a document as ERASER does: lines trimmed, empty lines dropped, each line split
/// on single spaces with empty pieces dropped; tokens concatenated over lines.
pub fn tokenize_document(text: &str) -> Vec<String> {
    text.lines()
        .flat_map(|line| line.trim().split(' '))
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

/// Reads `<dir>/<split>.jsonl` and the documents it references.
///
/// Blank lines are skipped. A malformed line, an unknown or multi-document reference or
/// an evidence span outside its document is an error naming the line (1-based).
pub fn read_split(dir: impl AsRef<Path>, split: &str) -> Result<Vec<RationaleExample>, DataError> {
    let dir = dir.as_ref();
    let path = dir.join(format!("{split}.jsonl"));
    let text = std::fs::read_to_string(&path).map_err(|e| DataError::io(&path, e))?;
    let mut documents: HashMap<String, Vec<String>> = HashMap::new();
    let mut examples = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let line_no = n + 1;
        let fail = |message: String| DataError::parse(&path, line_no, message);
        let raw: RawAnnotation =
            serde_json::from_str(line).map_err(|e| fail(format!("invalid annotation: {e}")))?;
        let doc_id = raw.doc_id().map_err(fail)?;
        let tokens = match documents.entry(doc_id.clone()) {
            Entry::Occupied(cached) => cached.get().clone(),
            Entry::Vacant(slot) => {
                let doc_path = document_path(dir, &doc_id).map_err(fail)?;
                let doc =
                    std::fs::read_to_string(&doc_path).map_err(|e| DataError::io(&doc_path, e))?;
                slot.insert(tokenize_document(&doc)).clone()
            }
        };
        let mut rationale = vec![false; tokens.len()];
        let mut evidences = Vec::new();
        for ev in raw.evidences.into_iter().flatten() {
            if !(ev.start_token < ev.end_token && ev.end_token <= tokens.len()) {
                return Err(fail(format!(
                    "evidence {}..{} does not fit the {} tokens of {doc_id}",
                    ev.start_token,
                    ev.end_token,
                    tokens.len()
                )));
            }
            rationale[ev.start_token..ev.end_token].fill(true);
            evidences.push(Evidence {
                span: TokenSpan {
                    start: ev.start_token,
                    end: ev.end_token,
                },
                text: ev.text,
            });
        }
        examples.push(RationaleExample {
            annotation_id: raw.annotation_id,
            label: raw.classification,
            doc_id,
            tokens,
            rationale,
            evidences,
        });
    }
    Ok(examples)
}

/// `<dir>/docs/<doc_id>`; rejects ids that are not plain file names.
fn document_path(dir: &Path, doc_id: &str) -> Result<PathBuf, String> {
    let plain = Path::new(doc_id).file_name().and_then(|f| f.to_str()) == Some(doc_id);
    if plain {
        Ok(dir.join("docs").join(doc_id))
    } else {
        Err(format!("document id `{doc_id}` is not a plain file name"))
    }
}

#[derive(Deserialize)]
struct RawAnnotation {
    annotation_id: String,
    classification: String,
    #[serde(default)]
    evidences: Vec<Vec<RawEvidence>>,
    #[serde(default)]
    docids: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct RawEvidence {
    docid: String,
    start_token: usize,
    end_token: usize,
    text: String,
}

impl RawAnnotation {
    /// The single document of the example: `docids`, else the evidences' documents,
    /// else the annotation id (ERASER's convention for movies).
    fn doc_id(&self) -> Result<String, String> {
        let mut ids: Vec<&str> = match &self.docids {
            Some(ids) if !ids.is_empty() => ids.iter().map(String::as_str).collect(),
            _ => self
                .evidences
                .iter()
                .flatten()
                .map(|e| e.docid.as_str())
                .collect(),
        };
        ids.sort_unstable();
        ids.dedup();
        let in_evidence = |id: &str| self.evidences.iter().flatten().all(|e| e.docid == id);
        match ids[..] {
            [] => Ok(self.annotation_id.clone()),
            [id] if in_evidence(id) => Ok(id.to_string()),
            [id] => Err(format!("evidence refers to a document other than `{id}`")),
            _ => Err(format!(
                "{} documents ({}); only single-document examples are supported",
                ids.len(),
                ids.join(", ")
            )),
        }
    }
}
