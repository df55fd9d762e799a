//! What the explained score of a text is.

use daogou_explain::dot;
use daogou_model::ClassifierHead;

/// The explained score of a text, as a function of its embedding.
#[derive(Debug, Clone)]
pub enum TextTarget<'a> {
    /// Cosine similarity to a fixed unit vector (a product's or a second text's embedding).
    Similarity(Vec<f32>),
    /// Probability of `class` under a classification head.
    Class {
        /// The head.
        head: &'a ClassifierHead,
        /// The explained class.
        class: usize,
    },
}

impl TextTarget<'_> {
    /// The score of a text with this embedding.
    pub fn score(&self, embedding: &[f32]) -> f64 {
        match self {
            TextTarget::Similarity(t) => dot(embedding, t),
            TextTarget::Class { head, class } => head.predict_proba(embedding)[*class],
        }
    }

    /// The direction Integrated Gradients integrates along: the target itself, or the
    /// log-odds of the class against the most probable other class (with a note saying
    /// so).
    pub fn gradient_direction(&self, embedding: &[f32]) -> (Vec<f32>, Option<String>) {
        match self {
            TextTarget::Similarity(t) => (t.clone(), None),
            TextTarget::Class { head, class } => {
                let probs = head.predict_proba(embedding);
                let other = (0..probs.len())
                    .filter(|c| c != class)
                    .max_by(|a, b| probs[*a].total_cmp(&probs[*b]))
                    .unwrap_or(0);
                (
                    head.log_odds_direction(*class, other),
                    Some(format!(
                        "explains the log-odds of {} against {} (the bias cancels out)",
                        head.labels[*class], head.labels[other]
                    )),
                )
            }
        }
    }
}
