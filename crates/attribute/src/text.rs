//! Explaining a score of any text word by word: its similarity to a second text, or a
//! classification head's probability (the classic LIME example, "This product is
//! amazing!"). The words of the text are the features.

use std::collections::BTreeSet;

use daogou_explain::{
    dot, EvalConfig, Evaluator, Explanation, Mask, MaskedModel, MaskingStrategy, TextFeatures,
};
use daogou_model::{ClassifierHead, SentenceEncoder};
use serde::{Deserialize, Serialize};

use crate::attention::AttentionStack;
use crate::dispatch::{attribute, Attributions, MethodParams, TextSubject};
use crate::score_model::TextScoreModel;
use crate::target::TextTarget;
use crate::AttributeError;
use daogou_explain::Method;

type Result<T> = std::result::Result<T, AttributeError>;

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
            methods: Method::OFFERED.into_iter().collect(),
            seed: 0,
            max_evals: 4096,
            masking: MaskingStrategy::Delete,
        }
    }
}

/// Explanations of cos(text, pair) over the words of `text`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
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
    pub attentions: Option<AttentionStack>,
}

/// Explains cos(embedding(text), embedding(pair)) over the words of `text`.
pub fn explain_pair(
    encoder: &SentenceEncoder,
    text: &str,
    pair: &str,
    options: &TextExplainOptions,
) -> Result<PairExplanation> {
    let target = embed_one(encoder, pair)?;
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
    pub attentions: Option<AttentionStack>,
}

/// Classifies `text` with `head` and explains the predicted class.
pub fn explain_class(
    encoder: &SentenceEncoder,
    head: &ClassifierHead,
    text: &str,
    options: &TextExplainOptions,
) -> Result<ClassExplanation> {
    if head.model_id != encoder.model_id() {
        return Err(AttributeError::HeadMismatch {
            head: head.model_id.clone(),
            model: encoder.model_id().to_string(),
        });
    }
    let embedding = embed_one(encoder, text)?;
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

/// Runs the requested methods on the words of `text` for `target`, through [`attribute`]:
/// one explanation per method, in method order, and the attention maps when asked for.
pub fn explain_text(
    encoder: &SentenceEncoder,
    text: &str,
    target: &TextTarget<'_>,
    options: &TextExplainOptions,
) -> Result<Attributions> {
    let features = TextFeatures::new(text);
    if features.num_features() == 0 {
        return Err(AttributeError::NoWords);
    }
    let score = |_: &Mask, e: &[f32]| vec![target.score(e)];
    let model =
        TextScoreModel::over_words(encoder, &features, &options.masking, 1, Box::new(score));
    let mut evaluator = word_evaluator(&model, &features)?;
    let (direction, note) = if options.methods.iter().any(|m| m.is_gradient()) {
        target.gradient_direction(&embed_one(encoder, text)?)
    } else {
        (Vec::new(), None)
    };
    let subject = TextSubject {
        encoder,
        features: &features,
        prompt: None,
        directions: vec![direction],
    };
    let params = MethodParams {
        seed: options.seed,
        max_evals: Some(options.max_evals),
        ..MethodParams::default()
    };
    let mut run = Attributions::default();
    for &method in &options.methods {
        let mut attributed = attribute(method, &params, &mut evaluator, Some(&subject))?;
        if method.is_gradient() {
            for e in &mut attributed.explanations {
                e.notes.extend(note.clone());
            }
        }
        if attributed.tokens.is_some() {
            run.tokens = attributed.tokens;
            run.attentions = attributed.attentions;
        }
        run.explanations
            .extend(attributed.explanations.into_iter().next());
    }
    Ok(run)
}

/// An evaluator over a model of the words of `features`, named by them, in batches of 256
/// texts on the calling thread (the encoder uses the cores).
pub fn word_evaluator<'m>(
    model: &'m dyn MaskedModel,
    features: &TextFeatures,
) -> Result<Evaluator<'m>> {
    let config = EvalConfig {
        batch_size: 256,
        parallel: false,
        ..EvalConfig::default()
    };
    Ok(Evaluator::new(model, config)?.with_feature_names(features.feature_names())?)
}

fn embed_one(encoder: &SentenceEncoder, text: &str) -> Result<Vec<f32>> {
    encoder.embed(&[text])?.pop().ok_or_else(|| {
        AttributeError::Model(daogou_model::ModelError::InvalidInput(
            "no embedding".into(),
        ))
    })
}
