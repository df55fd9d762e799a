//! Explaining the similarity of any two texts word by word (the classic LIME example,
//! generalised): the words of `text` are the features, `pair` is fixed.

use std::collections::BTreeSet;

use anyhow::{ensure, Context, Result};
use daogou_explain::{
    AttentionMaps, AttentionSource, Auto, EvalConfig, Evaluator, Explainer, Explanation,
    IntegratedGradients, Lime, Mask, MaskingStrategy, Occlusion, Pooling, TextFeatures,
    TokenWordMap,
};
use daogou_model::explainable::{EmbeddingBaseline, EmbeddingSimilarity, TextScoreModel};
use daogou_model::SentenceEncoder;
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
    let features = TextFeatures::new(text);
    ensure!(
        features.num_features() > 0,
        "the text to explain has no words"
    );
    let target = encoder.embed(&[pair])?.pop().context("no embedding")?;
    let perturb_features = features.clone();
    let masking = options.masking.clone();
    let perturb = move |mask: &Mask| perturb_features.render(mask, &masking).unwrap_or_default();
    let model = TextScoreModel::similarity(
        encoder,
        features.num_features(),
        Box::new(perturb),
        vec![target.clone()],
    );
    let config = EvalConfig {
        batch_size: 256,
        parallel: false,
        ..EvalConfig::default()
    };
    let mut evaluator =
        Evaluator::new(&model, config)?.with_feature_names(features.feature_names())?;
    let mut explanations = Vec::new();
    let mut similarity = None;
    let (mut tokens, mut attentions) = (None, None);
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
                ..Lime::default()
            }
            .explain(&mut evaluator)?
            .pop(),
            Method::Occlusion => Occlusion::default().explain(&mut evaluator)?.pop(),
            Method::Ig => {
                let gradient_model = EmbeddingSimilarity::new(encoder, text, &target)?;
                let groups = gradient_model.word_groups(&features)?;
                let input = gradient_model.input()?;
                let baseline = gradient_model.baseline(EmbeddingBaseline::Pad)?;
                Some(IntegratedGradients::default().explain(
                    &gradient_model,
                    &input,
                    &baseline,
                    &groups,
                )?)
            }
            Method::Attention => {
                let analysis = encoder.analyze(text)?;
                let maps = AttentionMaps::from_nested(&analysis.attentions)?;
                let spans: Vec<(usize, usize)> = features
                    .words()
                    .iter()
                    .map(|w| (w.byte_start, w.byte_end))
                    .collect();
                let map =
                    TokenWordMap::new(analysis.encoding.tokens_to_spans(&spans), spans.len())?;
                let e = daogou_explain::attention_explanation(
                    &maps.rollout()?,
                    AttentionSource::FromToken(0),
                    Some((&map, Pooling::Sum)),
                    Some(features.feature_names()),
                )?;
                tokens = Some(analysis.encoding.tokens);
                attentions = Some(analysis.attentions);
                Some(e)
            }
        };
        if let Some(e) = explanation {
            similarity = similarity.or(e.full_value);
            explanations.push(e);
        }
    }
    let similarity = match similarity {
        Some(s) => s,
        None => daogou_model::explainable::dot(&encoder.embed(&[text])?[0], &target),
    };
    Ok(PairExplanation {
        text: text.to_string(),
        pair: pair.to_string(),
        similarity,
        explanations,
        tokens,
        attentions,
    })
}
