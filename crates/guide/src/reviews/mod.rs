//! Review evidence: product aspects mined from review sentences, the opinion about each
//! ("battery: positive in 12 of 15 reviews"), and the sentences that support it, chosen by
//! word attributions of a sentiment head.
//!
//! **Aspects** follow Hu & Liu's frequent-feature idea without a part-of-speech tagger:
//! candidates are words and adjacent word pairs that are not stop words or opinion words,
//! that appear at least once in a noun position (after a determiner or possessive such as
//! "the", "my", "its"), and in at least `min_support` sentences; a word that almost only
//! occurs inside a kept pair ("life" in "battery life") is dropped as redundant. Chinese
//! sentences are cut into words by jieba, whose part-of-speech tags give the noun
//! positions (续航, 物流, 包装); Chinese words are not paired, and summaries and sentences
//! are in the aspect's language ("物流：12 条评价中 10 条好评").
//!
//! **Opinions** come from a sentiment [`ClassifierHead`] applied to each sentence that
//! mentions the aspect; a review counts as positive (negative) about the aspect when most
//! of its mentioning sentences are.
//!
//! **Evidence**: for the sentences that mention an aspect, occlusion attributions of every
//! word to the majority polarity's probability; a sentence's support is the attribution of
//! the words within `window` words of the mention, and the best supported sentences are
//! shown with their word attributions.
//!
//! **In recommendations**: a [`ReviewSummary`] is stored per catalog product
//! (`daogou_catalog::store::Store::put_review_summary`); a recommended product carries
//! [`ReviewSummary::evidence_for`] the request: at most [`EVIDENCE_ASPECTS`] aspects, those
//! the request [`mentions`] first, each with at most [`EVIDENCE_SENTENCES`] sentence.

mod aspects;

pub use aspects::{extract_aspects, without_product_words, AspectCandidate, AspectOptions};
pub use daogou_catalog::reviews::{
    mentions, AspectEvidence, AspectOpinion, ReviewEvidence, ReviewSummary, SentenceEvidence,
    EVIDENCE_ASPECTS, EVIDENCE_SENTENCES,
};

use std::collections::BTreeMap;

use anyhow::Context;

use crate::error::{GuideError, Result};
use daogou_attribute::{attribute, word_evaluator, Method, MethodParams, TextScoreModel};
use daogou_explain::{Mask, MaskingStrategy};
use daogou_model::{ClassifierHead, SentenceEncoder};
use serde::Serialize;

use aspects::tokens;

use crate::language::{fill, Language};
use crate::request::segment::request_features;

/// One sentence of a review, with the human aspect labels when the source has them.
#[derive(Debug, Clone, Serialize)]
pub struct ReviewSentence {
    /// The sentence.
    pub text: String,
    /// Labelled aspects and opinion strength (−3..3), e.g. `("battery", 2)`.
    pub gold: Vec<(String, i8)>,
}

/// One review.
#[derive(Debug, Clone, Serialize)]
pub struct Review {
    /// Its title, if any.
    pub title: String,
    /// Its sentences.
    pub sentences: Vec<ReviewSentence>,
}

/// The reviews of one product.
#[derive(Debug, Clone, Serialize)]
pub struct ReviewSet {
    /// The product.
    pub product: String,
    /// Its reviews.
    pub reviews: Vec<Review>,
}

impl ReviewSet {
    /// Every sentence, with the index of its review.
    pub fn sentences(&self) -> impl Iterator<Item = (usize, &ReviewSentence)> {
        self.reviews
            .iter()
            .enumerate()
            .flat_map(|(r, review)| review.sentences.iter().map(move |s| (r, s)))
    }

    /// The labelled aspects mentioned in at least `min_count` sentences.
    pub fn gold_aspects(&self, min_count: usize) -> Vec<String> {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for (_, s) in self.sentences() {
            for (aspect, _) in &s.gold {
                *counts.entry(aspect.clone()).or_default() += 1;
            }
        }
        counts
            .into_iter()
            .filter(|(_, c)| *c >= min_count)
            .map(|(a, _)| a)
            .collect()
    }
}

/// Summarises `set` ([`summarize`]) into the summary the catalog keeps, with its review
/// count and the model id.
pub fn review_summary(
    set: &ReviewSet,
    encoder: &SentenceEncoder,
    head: &ClassifierHead,
    options: &AspectOptions,
) -> Result<ReviewSummary> {
    Ok(ReviewSummary {
        model_id: encoder.model_id().to_string(),
        reviews: set.reviews.len(),
        aspects: summarize(set, encoder, head, options)?,
    })
}

/// Summarises the reviews of a product into aspects, opinions and evidence. `head` must
/// have the labels `negative` and `positive` (as `daogou train` on SST gives).
pub fn summarize(
    set: &ReviewSet,
    encoder: &SentenceEncoder,
    head: &ClassifierHead,
    options: &AspectOptions,
) -> Result<Vec<AspectOpinion>> {
    let positive = head
        .labels
        .iter()
        .position(|l| l == "positive")
        .ok_or_else(|| {
            GuideError::InvalidConfig("the sentiment head has no \"positive\" label".into())
        })?;
    let sentences: Vec<(usize, &str)> =
        set.sentences().map(|(r, s)| (r, s.text.as_str())).collect();
    if sentences.is_empty() {
        return Err(GuideError::InvalidRequest(format!(
            "the reviews of {} have no sentences to summarise",
            set.product
        )));
    }
    let texts: Vec<&str> = sentences.iter().map(|(_, t)| *t).collect();
    let aspects = without_product_words(extract_aspects(&texts, options), &set.product);
    let embeddings = encoder.embed(&texts)?;
    let p_positive: Vec<f64> = embeddings
        .iter()
        .map(|e| head.predict_proba(e)[positive])
        .collect();
    let mut opinions = Vec::new();
    for candidate in aspects.iter().take(options.max_aspects) {
        let mentions: Vec<usize> = (0..texts.len())
            .filter(|&i| mention_at(&tokens(texts[i]), &candidate.aspect).is_some())
            .collect();
        let mut per_review: BTreeMap<usize, (usize, usize)> = BTreeMap::new();
        for &i in &mentions {
            let entry = per_review.entry(sentences[i].0).or_default();
            if p_positive[i] >= 0.5 {
                entry.0 += 1;
            } else {
                entry.1 += 1;
            }
        }
        let pos = per_review.values().filter(|(p, n)| p > n).count();
        let neg = per_review.values().filter(|(p, n)| n > p).count();
        let majority_positive = pos >= neg;
        let majority = if majority_positive { pos } else { neg };
        // Candidates: the most confident sentences in the majority direction.
        let mut ranked = mentions.clone();
        ranked.sort_by(|&a, &b| {
            let score = |i: usize| {
                if majority_positive {
                    p_positive[i]
                } else {
                    1.0 - p_positive[i]
                }
            };
            score(b).total_cmp(&score(a))
        });
        let mut evidence = Vec::new();
        for &i in ranked.iter().take(options.candidates_per_aspect) {
            evidence.push(sentence_evidence(
                encoder,
                head,
                texts[i],
                &candidate.aspect,
                majority_positive,
                positive,
                options.window,
            )?);
        }
        evidence.sort_by(|a, b| b.support.total_cmp(&a.support));
        evidence.truncate(options.evidence_per_aspect);
        opinions.push(AspectOpinion {
            aspect: candidate.aspect.clone(),
            reviews: per_review.len(),
            positive: pos,
            negative: neg,
            summary: summary_line(
                &candidate.aspect,
                majority_positive,
                majority,
                per_review.len(),
            ),
            evidence,
        });
    }
    Ok(opinions)
}

/// "battery: positive in 12 of 15 reviews", in the aspect's language.
fn summary_line(aspect: &str, positive: bool, count: usize, reviews: usize) -> String {
    let m = &Language::of_text(aspect).messages().reviews;
    let polarity = if positive { &m.positive } else { &m.negative };
    fill(
        &m.summary,
        &[
            ("aspect", aspect),
            ("polarity", polarity),
            ("count", &count.to_string()),
            ("reviews", &reviews.to_string()),
        ],
    )
}

/// The `aspects` that `sentence` mentions (as whole words), in `aspects` order.
pub fn mentioned_aspects(sentence: &str, aspects: &[String]) -> Vec<String> {
    let words = tokens(sentence);
    aspects
        .iter()
        .filter(|a| mention_at(&words, a).is_some())
        .cloned()
        .collect()
}

/// Index of the first token of `aspect` in `tokens`.
fn mention_at(tokens: &[String], aspect: &str) -> Option<usize> {
    let words: Vec<&str> = aspect.split(' ').collect();
    tokens
        .windows(words.len())
        .position(|w| w.iter().zip(&words).all(|(a, b)| a == b))
}

fn sentence_evidence(
    encoder: &SentenceEncoder,
    head: &ClassifierHead,
    text: &str,
    aspect: &str,
    majority_positive: bool,
    positive: usize,
    window: usize,
) -> Result<SentenceEvidence> {
    let features = request_features(text);
    let score = move |_: &Mask, e: &[f32]| {
        let p = head.predict_proba(e)[positive];
        vec![if majority_positive { p } else { 1.0 - p }]
    };
    let model = TextScoreModel::over_words(
        encoder,
        &features,
        &MaskingStrategy::Delete,
        1,
        Box::new(score),
    );
    let mut evaluator = word_evaluator(&model, &features)?;
    let e = attribute(
        Method::Occlusion,
        &MethodParams::default(),
        &mut evaluator,
        None,
    )?
    .explanations
    .pop()
    .context("no explanation")?;
    let word_tokens: Vec<Vec<String>> = features.words().iter().map(|w| tokens(&w.text)).collect();
    let first = aspect.split(' ').next().unwrap_or(aspect);
    let at = word_tokens
        .iter()
        .position(|t| t.iter().any(|x| x == first))
        .unwrap_or(0);
    let lo = at.saturating_sub(window);
    let hi = (at + window + 1).min(e.values.len());
    let support = e.values[lo..hi].iter().sum();
    let confidence = e.full_value.unwrap_or(0.5);
    Ok(SentenceEvidence {
        text: text.to_string(),
        polarity: if majority_positive {
            "positive"
        } else {
            "negative"
        }
        .to_string(),
        confidence,
        support,
        words: e.feature_names.into_iter().zip(e.values).collect(),
    })
}
