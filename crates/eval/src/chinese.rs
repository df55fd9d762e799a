//! Chinese quality: ranking on the Chinese judgements of the demo catalog, scene accuracy on
//! hand-labelled Chinese requests, and aspect extraction on hand-labelled sentences of real
//! Chinese shopping reviews.
//!
//! - [`DEMO_QRELS_ZH_TSV`]: 64 Chinese requests with graded judgements over the whole demo
//!   catalog (both languages);
//! - [`ZH_SCENES_TSV`]: 88 Chinese requests labelled with their scene (or `none`), none of
//!   them a scene example;
//! - [`ZH_REVIEW_ASPECTS_TSV`]: aspect terms of 200 review sentences of the shared
//!   `online_shopping_10_cats.csv`, referred to by row and sentence number (the reviews stay
//!   outside the repository). Aspects are mined per product category from all of that
//!   category's reviews, as `daogou reviews` mines one product's; a sentence's predicted
//!   aspects are the mined aspects among its words.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::{ensure, Context, Result};
use daogou_catalog::QUERY;
use daogou_guide::reviews::{
    extract_aspects, mentioned_aspects, without_product_words, AspectOptions,
};
use daogou_guide::scene::{SceneConfig, SceneRecognizer};
use daogou_guide::Language;
use daogou_model::SentenceEncoder;
use serde::Serialize;

use crate::hu_liu::PrecisionRecall;

/// Graded judgements of Chinese requests over the demo catalog.
pub const DEMO_QRELS_ZH_TSV: &str = include_str!("../data/demo_qrels_zh.tsv");
/// Chinese requests labelled with their scene.
pub const ZH_SCENES_TSV: &str = include_str!("../data/zh_scenes.tsv");
/// Aspect labels of Chinese review sentences (by row and sentence number).
pub const ZH_REVIEW_ASPECTS_TSV: &str = include_str!("../data/zh_review_aspects.tsv");

/// Scene accuracy on labelled requests.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SceneAccuracy {
    /// Labelled requests.
    pub requests: usize,
    /// Requests whose most probable scene (or none) is the label.
    pub correct: usize,
    /// `correct / requests`.
    pub accuracy: f64,
    /// Per label: (requests, correct).
    pub per_label: BTreeMap<String, (usize, usize)>,
    /// The requests recognised wrongly: (request, label, predicted).
    pub errors: Vec<(String, String, String)>,
}

/// The labelled requests of a `request<TAB>label` file (`#` comments skipped).
pub fn labelled_requests(tsv: &str) -> Result<Vec<(String, String)>> {
    tsv.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|line| {
            let (request, label) = line
                .split_once('\t')
                .with_context(|| format!("not request<TAB>label: {line:?}"))?;
            Ok((request.trim().to_string(), label.trim().to_string()))
        })
        .collect()
}

/// Accuracy of the built-in scenes on [`ZH_SCENES_TSV`].
pub fn scene_accuracy(encoder: &SentenceEncoder) -> Result<SceneAccuracy> {
    let recognizer = SceneRecognizer::new(SceneConfig::builtin()?, encoder)?;
    let labelled = labelled_requests(ZH_SCENES_TSV)?;
    let texts: Vec<&str> = labelled.iter().map(|(r, _)| r.as_str()).collect();
    let embeddings = encoder.embed_with_prompt(QUERY, &texts)?;
    let mut per_label: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut errors = Vec::new();
    for ((request, label), embedding) in labelled.iter().zip(&embeddings) {
        let result = recognizer.recognize_embedding(embedding, Language::Chinese);
        let predicted = result.scene.map_or("none".to_string(), |s| s.id);
        let entry = per_label.entry(label.clone()).or_default();
        entry.0 += 1;
        if &predicted == label {
            entry.1 += 1;
        } else {
            errors.push((request.clone(), label.clone(), predicted));
        }
    }
    let requests = labelled.len();
    let correct = requests - errors.len();
    Ok(SceneAccuracy {
        requests,
        correct,
        accuracy: correct as f64 / requests.max(1) as f64,
        per_label,
        errors,
    })
}

/// The categories whose labels guided the Chinese aspect rules (stop and opinion words,
/// product words); the other four are the test.
pub const ASPECT_DEVELOPMENT: [&str; 4] = ["平板", "手机", "水果", "洗发水"];

/// Mention-level counts and scores of aspect extraction on some labelled sentences.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct AspectCounts {
    /// Labelled sentences.
    pub sentences: usize,
    /// Labelled aspect mentions.
    pub labelled: usize,
    /// Predicted aspect mentions.
    pub predicted: usize,
    /// Predicted mentions that are labelled.
    pub hits: usize,
}

impl AspectCounts {
    fn add(&mut self, other: AspectCounts) {
        self.sentences += other.sentences;
        self.labelled += other.labelled;
        self.predicted += other.predicted;
        self.hits += other.hits;
    }

    /// Precision, recall and F1 of the mentions.
    pub fn scores(&self) -> PrecisionRecall {
        PrecisionRecall::from_counts(self.hits, self.predicted, self.labelled)
    }
}

/// Aspect extraction measured on the labelled review sentences.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AspectLabelReport {
    /// All 200 sentences.
    pub all: AspectCounts,
    /// The development categories ([`ASPECT_DEVELOPMENT`]).
    pub development: AspectCounts,
    /// The other categories.
    pub test: AspectCounts,
    /// Precision, recall and F1 on all, development and test sentences.
    pub scores: [PrecisionRecall; 3],
    /// Per category: reviews mined and the aspects found, most frequent first.
    pub mined: BTreeMap<String, (usize, Vec<String>)>,
}

/// One labelled sentence: (category, row, sentence number, length in characters, aspects).
type LabelledSentence = (String, usize, usize, usize, Vec<String>);

fn aspect_labels() -> Result<Vec<LabelledSentence>> {
    ZH_REVIEW_ASPECTS_TSV
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            ensure!(fields.len() == 5, "not 5 fields: {line:?}");
            let number = |i: usize| -> Result<usize> {
                fields[i]
                    .parse()
                    .with_context(|| format!("field {i} of {line:?}"))
            };
            let aspects = fields[4]
                .split('|')
                .filter(|a| !a.is_empty())
                .map(str::to_string)
                .collect();
            Ok((
                fields[0].to_string(),
                number(1)?,
                number(2)?,
                number(3)?,
                aspects,
            ))
        })
        .collect()
}

/// The sentences of a review as the labels count them: split at 。！？!?；;～~… and line
/// breaks, trimmed, empty pieces dropped.
pub fn review_sentences(review: &str) -> Vec<&str> {
    review
        .trim_start_matches('\u{feff}')
        .split([
            '。', '！', '？', '!', '?', '；', ';', '\n', '\r', '～', '~', '…',
        ])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

/// Precision and recall of aspect extraction on [`ZH_REVIEW_ASPECTS_TSV`], reading the
/// reviews from `csv` (`online_shopping_10_cats.csv`: `cat,label,review`). Each category's
/// aspects are mined from all its reviews with `options`; the first `max_aspects` count.
pub fn aspect_precision_recall(csv: &Path, options: &AspectOptions) -> Result<AspectLabelReport> {
    let labels = aspect_labels()?;
    let mut reader =
        csv::Reader::from_path(csv).with_context(|| format!("opening {}", csv.display()))?;
    let mut rows: Vec<(String, String)> = Vec::new();
    for record in reader.records() {
        let record = record.with_context(|| format!("reading {}", csv.display()))?;
        rows.push((
            record.get(0).unwrap_or("").to_string(),
            record.get(2).unwrap_or("").to_string(),
        ));
    }
    let categories: BTreeSet<&str> = labels.iter().map(|l| l.0.as_str()).collect();
    let mut mined: BTreeMap<String, (usize, Vec<String>)> = BTreeMap::new();
    for category in categories {
        let reviews: Vec<&str> = rows
            .iter()
            .filter(|(c, _)| c == category)
            .map(|(_, r)| r.as_str())
            .collect();
        let sentences: Vec<&str> = reviews.iter().flat_map(|r| review_sentences(r)).collect();
        // The category stands for the product the reviews are about.
        let aspects: Vec<String> =
            without_product_words(extract_aspects(&sentences, options), category)
                .into_iter()
                .take(options.max_aspects)
                .map(|c| c.aspect)
                .collect();
        mined.insert(category.to_string(), (reviews.len(), aspects));
    }
    let mut development = AspectCounts::default();
    let mut test = AspectCounts::default();
    for (category, row, number, chars, gold) in &labels {
        let (_, review) = rows
            .get(*row)
            .with_context(|| format!("{} has no row {row}", csv.display()))?;
        let sentence = review_sentences(review)
            .get(*number)
            .copied()
            .with_context(|| format!("row {row} has no sentence {number}"))?;
        ensure!(
            sentence.chars().count() == *chars,
            "row {row} sentence {number} is not the labelled one: the CSV differs"
        );
        let aspects = mined.get(category).map_or(&[][..], |m| m.1.as_slice());
        let found = mentioned_aspects(sentence, aspects);
        let counts = AspectCounts {
            sentences: 1,
            labelled: gold.len(),
            predicted: found.len(),
            hits: found.iter().filter(|a| gold.contains(a)).count(),
        };
        if ASPECT_DEVELOPMENT.contains(&category.as_str()) {
            development.add(counts);
        } else {
            test.add(counts);
        }
    }
    let mut all = development;
    all.add(test);
    Ok(AspectLabelReport {
        all,
        development,
        test,
        scores: [all.scores(), development.scores(), test.scores()],
        mined,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_label_files_parse_and_sentences_split_as_the_labels_say() {
        assert!(labelled_requests(ZH_SCENES_TSV).expect("scenes").len() >= 60);
        let labels = aspect_labels().expect("aspects");
        assert_eq!(labels.len(), 200);
        assert_eq!(
            review_sentences("\u{feff}屏幕很好！电池一般；物流快～ "),
            ["屏幕很好", "电池一般", "物流快"]
        );
    }
}
