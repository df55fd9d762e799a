//! Review summaries as the catalog keeps them: the aspects of a product's reviews, the
//! opinion about each ("battery: positive in 12 of 15 reviews") and the supporting
//! sentences, and the evidence a recommendation shows for a request.

use serde::{Deserialize, Serialize};

/// A sentence shown as evidence, with its word attributions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SentenceEvidence {
    /// The sentence.
    pub text: String,
    /// Its predicted polarity.
    pub polarity: String,
    /// Probability of that polarity.
    pub confidence: f64,
    /// Attribution of the words around the mention to the aspect's majority polarity.
    pub support: f64,
    /// Every word and its occlusion attribution.
    pub words: Vec<(String, f64)>,
}

/// The opinion about one aspect.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AspectOpinion {
    /// The aspect.
    pub aspect: String,
    /// Reviews mentioning it.
    pub reviews: usize,
    /// Reviews positive about it.
    pub positive: usize,
    /// Reviews negative about it.
    pub negative: usize,
    /// "battery: positive in 12 of 15 reviews".
    pub summary: String,
    /// The best supporting sentences.
    pub evidence: Vec<SentenceEvidence>,
}

/// The review summary of one product as the catalog keeps it: what review mining
/// (`daogou_guide::reviews::summarize`) found, how many reviews it read, and which encoder
/// embedded them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewSummary {
    /// The encoder's model id (the sentiment head was trained on its embeddings).
    pub model_id: String,
    /// Reviews summarised.
    pub reviews: usize,
    /// The aspects, most frequent first.
    pub aspects: Vec<AspectOpinion>,
}

impl ReviewSummary {
    /// The evidence shown with a recommendation for a request made of `words`: at most
    /// [`EVIDENCE_ASPECTS`] aspects, those the request mentions ([`mentions`]) first and
    /// flagged `asked`, each in the summary's order (most frequent first) and with at most
    /// [`EVIDENCE_SENTENCES`] supporting sentence. `None` when the summary has no aspect.
    pub fn evidence_for<S: AsRef<str>>(&self, words: &[S]) -> Option<ReviewEvidence> {
        let (asked, rest): (Vec<&AspectOpinion>, Vec<&AspectOpinion>) = self
            .aspects
            .iter()
            .partition(|a| mentions(&a.aspect, words));
        let aspects: Vec<AspectEvidence> = asked
            .iter()
            .map(|a| (true, *a))
            .chain(rest.iter().map(|a| (false, *a)))
            .take(EVIDENCE_ASPECTS)
            .map(|(asked, a)| AspectEvidence::new(a, asked))
            .collect();
        (!aspects.is_empty()).then(|| ReviewEvidence {
            model_id: self.model_id.clone(),
            reviews: self.reviews,
            aspects,
        })
    }
}

/// Most aspects shown with a recommended product.
pub const EVIDENCE_ASPECTS: usize = 3;
/// Most supporting sentences shown per aspect with a recommended product.
pub const EVIDENCE_SENTENCES: usize = 1;

/// The review evidence of a recommended product (see [`ReviewSummary::evidence_for`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReviewEvidence {
    /// The encoder that embedded the reviews.
    pub model_id: String,
    /// Reviews summarised.
    pub reviews: usize,
    /// The aspects shown, asked-for first.
    pub aspects: Vec<AspectEvidence>,
}

/// One aspect's opinion as shown with a recommendation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AspectEvidence {
    /// Whether the request mentions this aspect.
    pub asked: bool,
    /// The stored opinion, with at most [`EVIDENCE_SENTENCES`] evidence sentences.
    #[serde(flatten)]
    pub opinion: AspectOpinion,
}

impl AspectEvidence {
    fn new(opinion: &AspectOpinion, asked: bool) -> Self {
        let mut opinion = opinion.clone();
        opinion.evidence.truncate(EVIDENCE_SENTENCES);
        Self { asked, opinion }
    }
}

/// Whether a request made of `words` mentions `aspect`: some request word, lower-cased,
/// equals a word of the aspect or is its singular or plural by the regular English endings
/// (`-s`, `-es`, `-y`/`-ies`): "batteries" mentions "battery life", "lens" mentions
/// "lenses". Nothing else (no stemming, synonyms or translation).
pub fn mentions<S: AsRef<str>>(aspect: &str, words: &[S]) -> bool {
    aspect.split_whitespace().any(|a| {
        let a = a.to_lowercase();
        words.iter().any(|w| {
            let w = w.as_ref().trim().to_lowercase();
            !w.is_empty() && (w == a || is_plural_of(&w, &a) || is_plural_of(&a, &w))
        })
    })
}

/// Whether `plural` is `singular` + `s`, + `es`, or `singular` with its final `y` as `ies`.
fn is_plural_of(plural: &str, singular: &str) -> bool {
    let Some(stem) = plural.strip_prefix(singular) else {
        return singular
            .strip_suffix('y')
            .is_some_and(|s| plural.strip_prefix(s) == Some("ies"));
    };
    stem == "s" || stem == "es"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_words_mention_aspects_by_word_singular_or_plural() {
        assert!(mentions("battery life", &["camera", "Batteries"]));
        assert!(mentions("battery life", &["life"]));
        assert!(mentions("lenses", &["lens"]));
        assert!(mentions("lens", &["lenses"]));
        assert!(mentions("picture quality", &["pictures"]));
        assert!(!mentions("battery life", &["bat", "lifestyle", ""]));
        assert!(!mentions("picture", &["pictured", "pic"]));
        assert!(!mentions("zoom", &[] as &[&str]));
    }

    fn opinion(aspect: &str, reviews: usize, evidence: usize) -> AspectOpinion {
        AspectOpinion {
            aspect: aspect.into(),
            reviews,
            positive: reviews,
            negative: 0,
            summary: format!("{aspect}: positive in {reviews} of {reviews} reviews"),
            evidence: (0..evidence)
                .map(|i| SentenceEvidence {
                    text: format!("{aspect} sentence {i}"),
                    polarity: "positive".into(),
                    confidence: 0.9,
                    support: 1.0 - i as f64 * 0.1,
                    words: Vec::new(),
                })
                .collect(),
        }
    }

    #[test]
    fn evidence_puts_asked_aspects_first_and_keeps_three() {
        let summary = ReviewSummary {
            model_id: "m".into(),
            reviews: 9,
            aspects: ["camera", "picture", "zoom", "lens", "battery life"]
                .iter()
                .enumerate()
                .map(|(i, a)| opinion(a, 9 - i, 2))
                .collect(),
        };
        let shown = summary
            .evidence_for(&["long", "battery", "Lenses"])
            .expect("evidence");
        let names: Vec<(&str, bool)> = shown
            .aspects
            .iter()
            .map(|a| (a.opinion.aspect.as_str(), a.asked))
            .collect();
        assert_eq!(
            names,
            [("lens", true), ("battery life", true), ("camera", false)]
        );
        assert!(shown.aspects.iter().all(|a| a.opinion.evidence.len() == 1));
        assert_eq!(shown.aspects[0].opinion.evidence[0].text, "lens sentence 0");
        let unasked = summary.evidence_for(&["tripod"]).expect("evidence");
        assert!(unasked.aspects.iter().all(|a| !a.asked));
        assert_eq!(unasked.aspects[0].opinion.aspect, "camera");
        let empty = ReviewSummary {
            aspects: Vec::new(),
            ..summary
        };
        assert!(empty.evidence_for(&["camera"]).is_none());
    }
}
