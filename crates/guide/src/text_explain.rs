//! Explaining a score of any text word by word: its similarity to a second text, or a
//! classification head's probability (the classic LIME example, "This product is
//! amazing!"). The words of the text are the features.

use std::collections::BTreeSet;

use anyhow::{ensure, Context, Result};
use daogou_explain::{
    AttentionMaps, AttentionSource, Auto, EvalConfig, Evaluator, Explainer, Explanation,
    IntegratedGradients, Lime, Mask, MaskingStrategy, Occlusion, Pooling, TextFeatures,
    TokenWordMap,
};
use daogou_model::explainable::{dot, EmbeddingBaseline, EmbeddingSimilarity, TextScoreModel};
use daogou_model::{ClassifierHead, SentenceEncoder};
use serde::{Deserialize, Serialize};

use crate::recommend::Method;

/// Options of a text explanation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TextExplainOptions {
    /// Methods to run.
    pub methods: BTreeSet<Method>,
    /// Seed of every sampled method.
    pub seed: u64,
    /// Model evaluation budget of the Shapley estimate (default 4096).
    pub max_evals: usize,
    /// How removed words appear in perturbed texts (default: deleted).
    pub masking: MaskingStrategy,
}

impl Default for TextExplainOptions {
    fn default() -> Self {
        Self {
            methods: Method::ALL.into_iter().collect(),
            seed: 0,
            max_evals: 4096,
            masking: MaskingStrategy::Delete,
        }
    }
}

/// Explanations of cos(text, pair) over the words of `text`.
#[derive(Debug, Clone, Serialize)]
pub struct PairExplanation {
    /// The explained text.
    pub text: String,
    /// The fixed second text.
    pub pair: String,
    /// cos(text, pair).
    pub similarity: f64,
    /// One explanation per method.
    pub explanations: Vec<Explanation>,
    /// Tokens of `text` and their attention maps, when attention was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tokens: Option<Vec<String>>,
    /// `[layer][head][query][key]`, when attention was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attentions: Option<Vec<Vec<Vec<Vec<f32>>>>>,
}

/// Explains cos(embedding(text), embedding(pair)) over the words of `text`.
pub fn explain_pair(
    encoder: &SentenceEncoder,
    text: &str,
    pair: &str,
    options: &TextExplainOptions,
) -> Result<PairExplanation> {
    let target = encoder.embed(&[pair])?.pop().context("no embedding")?;
    let run = explain_text(
        encoder,
        text,
        &TextTarget::Similarity(target.clone()),
        options,
    )?;
    let similarity = dot(&encoder.embed(&[text])?[0], &target);
    Ok(PairExplanation {
        text: text.to_string(),
        pair: pair.to_string(),
        similarity,
        explanations: run.explanations,
        tokens: run.tokens,
        attentions: run.attentions,
    })
}

/// The predicted class of a text, its probabilities, and why.
#[derive(Debug, Clone, Serialize)]
pub struct ClassExplanation {
    /// The explained text.
    pub text: String,
    /// The predicted class.
    pub label: String,
    /// Probability of every class, in the head's label order.
    pub probabilities: Vec<(String, f64)>,
    /// One explanation per method, of the predicted class's probability (Integrated
    /// Gradients: of its log-odds against the runner-up class).
    pub explanations: Vec<Explanation>,
    /// Tokens of `text`, when attention was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tokens: Option<Vec<String>>,
    /// `[layer][head][query][key]`, when attention was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attentions: Option<Vec<Vec<Vec<Vec<f32>>>>>,
}

/// Classifies `text` with `head` and explains the predicted class.
pub fn explain_class(
    encoder: &SentenceEncoder,
    head: &ClassifierHead,
    text: &str,
    options: &TextExplainOptions,
) -> Result<ClassExplanation> {
    ensure!(
        head.model_id == encoder.model_id(),
        "the head was trained on {}, but the loaded model is {}",
        head.model_id,
        encoder.model_id()
    );
    let embedding = encoder.embed(&[text])?.pop().context("no embedding")?;
    let probabilities = head.predict_proba(&embedding);
    let class = head.predict(&embedding);
    let run = explain_text(encoder, text, &TextTarget::Class { head, class }, options)?;
    Ok(ClassExplanation {
        text: text.to_string(),
        label: head.labels[class].clone(),
        probabilities: head.labels.iter().cloned().zip(probabilities).collect(),
        explanations: run.explanations,
        tokens: run.tokens,
        attentions: run.attentions,
    })
}

/// What the explained score of a text is.
pub enum TextTarget<'a> {
    /// Cosine similarity to a fixed unit vector.
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
    fn score(&self, embedding: &[f32]) -> f64 {
        match self {
            TextTarget::Similarity(t) => dot(embedding, t),
            TextTarget::Class { head, class } => head.predict_proba(embedding)[*class],
        }
    }

    /// The direction Integrated Gradients integrates along: the target itself, or the
    /// log-odds of the class against the runner-up.
    fn gradient_direction(&self, embedding: &[f32]) -> (Vec<f32>, Option<String>) {
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

/// The explanations of one text and, for attention, its tokens and maps.
pub struct TextRun {
    /// One explanation per method, in method order.
    pub explanations: Vec<Explanation>,
    /// Tokens, when attention was asked for.
    pub tokens: Option<Vec<String>>,
    /// Attention maps, when attention was asked for.
    pub attentions: Option<Vec<Vec<Vec<Vec<f32>>>>>,
}

/// Runs the requested methods on the words of `text` for `target`.
pub fn explain_text(
    encoder: &SentenceEncoder,
    text: &str,
    target: &TextTarget<'_>,
    options: &TextExplainOptions,
) -> Result<TextRun> {
    let features = TextFeatures::new(text);
    ensure!(
        features.num_features() > 0,
        "the text to explain has no words"
    );
    let perturb_features = features.clone();
    let masking = options.masking.clone();
    let perturb = move |mask: &Mask| perturb_features.render(mask, &masking).unwrap_or_default();
    let score = |_: &Mask, e: &[f32]| vec![target.score(e)];
    let model = TextScoreModel::new(
        encoder,
        features.num_features(),
        1,
        Box::new(perturb),
        Box::new(score),
    );
    let config = EvalConfig {
        batch_size: 256,
        parallel: false,
        ..EvalConfig::default()
    };
    let mut evaluator =
        Evaluator::new(&model, config)?.with_feature_names(features.feature_names())?;
    let mut run = TextRun {
        explanations: Vec::new(),
        tokens: None,
        attentions: None,
    };
    for method in &options.methods {
        let explanation = match method {
            Method::Shap => Auto {
                seed: options.seed,
                max_evals: Some(options.max_evals),
                ..Auto::default()
            }
            .explain(&mut evaluator)?
            .pop(),
            Method::Lime => Lime {
                seed: options.seed,
                num_samples: options.max_evals.min(Lime::default().num_samples),
                ..Lime::default()
            }
            .explain(&mut evaluator)?
            .pop(),
            Method::Occlusion => Occlusion::default().explain(&mut evaluator)?.pop(),
            Method::Ig => {
                let embedding = encoder.embed(&[text])?.pop().context("no embedding")?;
                let (direction, note) = target.gradient_direction(&embedding);
                let gradient_model = EmbeddingSimilarity::new(encoder, text, &direction)?;
                let groups = gradient_model.word_groups(&features)?;
                let input = gradient_model.input()?;
                let baseline = gradient_model.baseline(EmbeddingBaseline::Pad)?;
                let mut e = IntegratedGradients::default().explain(
                    &gradient_model,
                    &input,
                    &baseline,
                    &groups,
                )?;
                e.notes.extend(note);
                Some(e)
            }
            Method::Attention => {
                let (e, tokens, maps) = word_attention(encoder, &features)?;
                run.tokens = Some(tokens);
                run.attentions = Some(maps);
                Some(e)
            }
        };
        run.explanations.extend(explanation);
    }
    Ok(run)
}

/// Attention probabilities of every layer and head: `[layer][head][query][key]`.
pub type AttentionStack = Vec<Vec<Vec<Vec<f32>>>>;

/// Attention rollout from `[CLS]` pooled (summed) to the words of `features`, with the
/// tokens and the raw `[layer][head][query][key]` maps it came from.
pub fn word_attention(
    encoder: &SentenceEncoder,
    features: &TextFeatures,
) -> Result<(Explanation, Vec<String>, AttentionStack)> {
    let analysis = encoder.analyze(features.text())?;
    let maps = AttentionMaps::from_nested(&analysis.attentions)?;
    let spans: Vec<(usize, usize)> = features
        .words()
        .iter()
        .map(|w| (w.byte_start, w.byte_end))
        .collect();
    let map = TokenWordMap::new(analysis.encoding.tokens_to_spans(&spans), spans.len())?;
    let explanation = daogou_explain::attention_explanation(
        &maps.rollout()?,
        AttentionSource::FromToken(0),
        Some((&map, Pooling::Sum)),
        Some(features.feature_names()),
    )?;
    Ok((explanation, analysis.encoding.tokens, analysis.attentions))
}
