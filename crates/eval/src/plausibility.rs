//! Plausibility: attributions of the sentiment head on ERASER movie reviews against the
//! human rationales, and the head's accuracy on those reviews.
//!
//! Reviews run to ~700 words, more than the encoder reads (256 tokens for MiniLM), so
//! each is cut to its leading words whose tokens all fit, and plausibility is scored
//! over those words only: rationale tokens and evidence spans beyond them are dropped.
//! The explained score is the probability of the gold label (Integrated Gradients: its
//! log-odds), since the rationales justify that label.

use std::path::Path;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use daogou_explain::eraser::{self, RationaleExample};
use daogou_explain::metrics::{
    summarize_costs, CostSummary, InstancePlausibility, MeanStd, Plausibility, PlausibilitySummary,
    TokenSpan,
};
use daogou_explain::TextFeatures;
use daogou_model::{ClassifierHead, HeadMetrics, SentenceEncoder};
use serde::Serialize;

use super::faithfulness::RANDOM;
use super::methods::explain;
use super::model::TextInstance;
use super::sentiment::{embed_all, spread};
use super::settings::EvalSettings;
use super::Progress;
use daogou_attribute::{Method, TextTarget};

/// Reviews embedded per progress step.
const REVIEW_CHUNK: usize = 8;

/// One evaluated review.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DocumentRecord {
    /// ERASER's annotation id.
    pub annotation_id: String,
    /// Gold label.
    pub label: String,
    /// Words of the review.
    pub document_words: usize,
    /// Leading words that fit the encoder (the evaluated words).
    pub words: usize,
    /// Rationale words among them.
    pub rationale_words: usize,
    /// The head's probability of the gold label.
    pub gold_probability: f64,
}

/// Plausibility of one method over the reviews.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MethodPlausibility {
    /// Method name, or `random` (uniform random scores).
    pub method: String,
    /// Token F1, IOU F1 (IOU ≥ 0.5) and AUPRC, with ERASER's averaging.
    pub summary: PlausibilitySummary,
}

/// Plausibility against ERASER rationales and the head's accuracy on the reviews.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlausibilityReport {
    /// Tokens each review was cut to, special tokens included.
    pub max_tokens: usize,
    /// The head's accuracy on the (cut) test reviews.
    pub accuracy: HeadMetrics,
    /// Evaluated words per review.
    pub words: Option<MeanStd>,
    /// The reviews scored for plausibility.
    pub documents: Vec<DocumentRecord>,
    /// Per method, then the random baseline.
    pub methods: Vec<MethodPlausibility>,
    /// Cost of one explanation per method.
    pub cost: Vec<CostSummary>,
    /// Wall time in seconds.
    pub wall_time_s: f64,
}

/// A review cut to the words that fit.
#[derive(Clone)]
struct Review<'e> {
    example: &'e RationaleExample,
    class: usize,
    words: usize,
}

impl Review<'_> {
    fn text(&self) -> String {
        self.example.tokens[..self.words].join(" ")
    }

    fn gold(&self) -> &[bool] {
        &self.example.rationale[..self.words]
    }

    fn spans(&self) -> Vec<TokenSpan> {
        self.example
            .evidence_spans()
            .into_iter()
            .filter(|s| s.start < self.words)
            .map(|s| TokenSpan {
                start: s.start,
                end: s.end.min(self.words),
            })
            .collect()
    }
}

/// Scores the head's accuracy on the ERASER test reviews and the plausibility of the
/// document methods on `settings.plausibility_docs` of them.
pub fn evaluate_plausibility(
    encoder: &SentenceEncoder,
    head: &ClassifierHead,
    eraser_dir: &Path,
    settings: &EvalSettings,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<PlausibilityReport> {
    let started = Instant::now();
    let examples = eraser::read_split(eraser_dir, "test")?;
    let max_tokens = settings
        .doc_tokens
        .unwrap_or(usize::MAX)
        .min(encoder.tokenizer().max_len());
    let reviews = examples
        .iter()
        .map(|e| cut(encoder, head, e, max_tokens))
        .collect::<Result<Vec<_>>>()?;

    let scored = spread(&reviews, settings.eraser_accuracy_docs);
    let texts: Vec<String> = scored.iter().map(|r| r.text()).collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let embeddings = embed_all(encoder, &refs, REVIEW_CHUNK, "ERASER test", progress)?;
    let classes: Vec<usize> = scored.iter().map(|r| r.class).collect();
    let accuracy = head.evaluate(&embeddings, &classes);

    let with_rationale: Vec<&Review> = reviews
        .iter()
        .filter(|r| r.gold().iter().any(|&g| g))
        .collect();
    let chosen = spread(&with_rationale, Some(settings.plausibility_docs));
    progress(Progress::Stage {
        name: "plausibility",
        steps: chosen.len() * Method::DOCUMENT.len(),
    });
    let scorer = Plausibility::default();
    let mut per_method: Vec<Vec<InstancePlausibility>> =
        vec![Vec::new(); Method::DOCUMENT.len() + 1];
    let mut calls = Vec::new();
    let mut documents = Vec::new();
    for (d, review) in chosen.iter().enumerate() {
        let target = TextTarget::Class {
            head,
            class: review.class,
        };
        let instance = TextInstance::new(encoder, &review.text(), target, settings.masking);
        let (gold, spans) = (review.gold(), review.spans());
        for (m, &method) in Method::DOCUMENT.iter().enumerate() {
            let e = explain(&instance, method, &settings.document_methods, 0, None)?;
            per_method[m].push(scorer.evaluate(&e.values, gold, &spans)?);
            calls.push(vec![e]);
            progress(Progress::Step);
        }
        for r in 0..settings.random_baselines.max(1) {
            let seed = (d * 1000 + r) as u64;
            let scores = random_scores(gold.len(), seed);
            per_method[Method::DOCUMENT.len()].push(scorer.evaluate(&scores, gold, &spans)?);
        }
        documents.push(DocumentRecord {
            annotation_id: review.example.annotation_id.clone(),
            label: review.example.label.clone(),
            document_words: review.example.tokens.len(),
            words: review.words,
            rationale_words: gold.iter().filter(|&&g| g).count(),
            gold_probability: head.predict_proba(&instance.embedding()?)[review.class],
        });
    }
    let names = Method::DOCUMENT.iter().map(|m| m.name()).chain([RANDOM]);
    let words: Vec<f64> = documents.iter().map(|d| d.words as f64).collect();
    Ok(PlausibilityReport {
        max_tokens,
        accuracy,
        words: MeanStd::of(&words),
        documents,
        methods: names
            .zip(&per_method)
            .map(|(method, instances)| MethodPlausibility {
                method: method.to_string(),
                summary: Plausibility::summarize(instances),
            })
            .collect(),
        cost: summarize_costs(&calls),
        wall_time_s: started.elapsed().as_secs_f64(),
    })
}

/// The review cut to its leading words whose tokens fit in `max_tokens`.
fn cut<'e>(
    encoder: &SentenceEncoder,
    head: &ClassifierHead,
    example: &'e RationaleExample,
    max_tokens: usize,
) -> Result<Review<'e>> {
    let features = TextFeatures::new(&example.tokens.join(" "));
    if features.num_features() != example.tokens.len() {
        bail!(
            "{}: {} ERASER tokens but {} words",
            example.annotation_id,
            example.tokens.len(),
            features.num_features()
        );
    }
    Ok(Review {
        example,
        class: label_class(head, &example.label)?,
        words: words_that_fit(encoder, &features, max_tokens)?,
    })
}

/// The head's class for an ERASER label (`NEG` → `negative`): the class whose name
/// starts with the label's first three letters, case-insensitively.
fn label_class(head: &ClassifierHead, label: &str) -> Result<usize> {
    let prefix: String = label.to_lowercase().chars().take(3).collect();
    head.labels
        .iter()
        .position(|l| l.to_lowercase().starts_with(&prefix))
        .with_context(|| {
            format!(
                "the head's classes ({}) do not match the ERASER label {label}",
                head.labels.join(", ")
            )
        })
}

/// Number of leading words of `features` whose tokens all fit in `max_tokens` tokens,
/// special tokens included.
fn words_that_fit(
    encoder: &SentenceEncoder,
    features: &TextFeatures,
    max_tokens: usize,
) -> Result<usize> {
    let encoding = encoder.tokenizer().encode(features.text())?;
    let spans: Vec<(usize, usize)> = features
        .words()
        .iter()
        .map(|w| (w.byte_start, w.byte_end))
        .collect();
    let word_of: Vec<Option<usize>> = encoding
        .tokens_to_spans(&spans)
        .into_iter()
        .zip(&encoding.special)
        .filter(|(_, &special)| !special)
        .map(|(w, _)| w)
        .collect();
    let specials = encoding.special.iter().filter(|&&s| s).count();
    let room = max_tokens.saturating_sub(specials);
    let last_seen = |tokens: &[Option<usize>]| tokens.iter().rev().find_map(|w| *w).unwrap_or(0);
    Ok(if word_of.len() > room {
        // Words before the one the first dropped token belongs to fit entirely.
        word_of[room].unwrap_or_else(|| last_seen(&word_of[..room]))
    } else if encoding.truncated {
        // The encoder cut the text: its last word may be incomplete.
        last_seen(&word_of)
    } else {
        features.num_features()
    })
}

/// Uniform random scores in [0, 1) (SplitMix64), one per token.
fn random_scores(n: usize, seed: u64) -> Vec<f64> {
    let mut state = seed;
    (0..n)
        .map(|_| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            (z >> 11) as f64 / (1u64 << 53) as f64
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_scores_are_uniform_and_seeded() {
        let a = random_scores(2000, 7);
        assert_eq!(a, random_scores(2000, 7));
        assert_ne!(a, random_scores(2000, 8));
        assert!(a.iter().all(|v| (0.0..1.0).contains(v)));
        let mean = a.iter().sum::<f64>() / a.len() as f64;
        assert!((mean - 0.5).abs() < 0.03, "{mean}");
    }
}
