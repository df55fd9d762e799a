//! The one dispatcher from methods to explanations: every text explanation in daogou
//! (recommendations, scenes, review evidence, pair and class explanations, the evaluation
//! harness) runs its methods through [`attribute`].

use daogou_explain::{
    Auto, Evaluator, ExactShapley, Explainer, Explanation, GradientTimesInput, IntegratedGradients,
    KernelShap, Lime, Method, Occlusion, OwenValues, PermutationShap, TextFeatures,
};
use daogou_model::SentenceEncoder;

use crate::attention::{word_attention, AttentionStack};
use crate::gradient::{EmbeddingBaseline, EmbeddingSimilarity};
use crate::AttributeError;

/// Settings of the methods; `Default` is what a shopper-facing explanation uses.
#[derive(Debug, Clone, PartialEq)]
pub struct MethodParams {
    /// Seed of every sampled method.
    pub seed: u64,
    /// Model evaluations allowed for the Shapley estimate ([`Method::Shap`]); LIME's sample
    /// count is capped by it too (default 4096; `None`: [`Auto`]'s own choice).
    pub max_evals: Option<usize>,
    /// Largest M explained by [`Method::ExactShapley`] (default: its own default).
    pub exact_max_features: usize,
    /// Kernel SHAP's budget (default: its own default for M).
    pub kernel_evals: Option<usize>,
    /// Antithetic permutation pairs of [`Method::PermutationShap`] (default 32).
    pub permutation_pairs: usize,
    /// LIME's samples (default: LIME's default, capped by `max_evals`).
    pub lime_samples: Option<usize>,
    /// Integrated Gradients' steps (default: its own default).
    pub ig_steps: Option<usize>,
    /// Integrated Gradients' tokens per model call, divided into points of the text's length
    /// (default: its own points per call).
    pub ig_tokens_per_call: Option<usize>,
    /// Where Integrated Gradients starts.
    pub ig_baseline: EmbeddingBaseline,
}

impl Default for MethodParams {
    fn default() -> Self {
        Self {
            seed: 0,
            max_evals: Some(4096),
            exact_max_features: ExactShapley::default().max_features,
            kernel_evals: None,
            permutation_pairs: 32,
            lime_samples: None,
            ig_steps: None,
            ig_tokens_per_call: None,
            ig_baseline: EmbeddingBaseline::Pad,
        }
    }
}

/// The text behind a masked model, for the methods that read the encoder itself
/// (Integrated Gradients and attention).
pub struct TextSubject<'a> {
    /// The encoder.
    pub encoder: &'a SentenceEncoder,
    /// The explained text's words.
    pub features: &'a TextFeatures,
    /// The prompt kind the text is embedded as (`query`), if any.
    pub prompt: Option<&'a str>,
    /// The unit vectors whose similarity to the text Integrated Gradients explains, one
    /// per target of the masked model.
    pub directions: Vec<Vec<f32>>,
}

/// What [`attribute`] returns: one explanation per target (attention: one in all), and
/// for attention the tokens and maps it was read from.
#[derive(Debug, Default)]
pub struct Attributions {
    /// The explanations.
    pub explanations: Vec<Explanation>,
    /// Tokens of the text, for attention.
    pub tokens: Option<Vec<String>>,
    /// `[layer][head][query][key]` attention probabilities, for attention.
    pub attentions: Option<AttentionStack>,
}

/// Runs `method` on the masked model behind `evaluator` (mask-based methods share its
/// cache), or on `subject`'s encoder (Integrated Gradients, attention).
pub fn attribute(
    method: Method,
    params: &MethodParams,
    evaluator: &mut Evaluator<'_>,
    subject: Option<&TextSubject<'_>>,
) -> Result<Attributions, AttributeError> {
    let m = evaluator.num_features();
    let explainer: Box<dyn Explainer> = match method {
        Method::Shap => Box::new(Auto {
            seed: params.seed,
            max_evals: params.max_evals,
            ..Auto::default()
        }),
        Method::ExactShapley => Box::new(ExactShapley {
            max_features: params.exact_max_features,
        }),
        Method::KernelShap => Box::new(KernelShap {
            max_evals: Some(params.kernel_evals.unwrap_or(KernelShap::default_budget(m))),
            seed: params.seed,
            ..KernelShap::default()
        }),
        Method::OwenValues => Box::new(OwenValues::default()),
        Method::PermutationShap => Box::new(PermutationShap {
            n_permutations: params.permutation_pairs,
            max_evals: None,
            seed: params.seed,
        }),
        Method::Lime => Box::new(Lime {
            seed: params.seed,
            num_samples: params.lime_samples.unwrap_or_else(|| {
                let default = Lime::default().num_samples;
                params
                    .max_evals
                    .map_or(default, |budget| budget.min(default))
            }),
            ..Lime::default()
        }),
        Method::Occlusion => Box::new(Occlusion::default()),
        Method::IntegratedGradients => {
            let subject = subject.ok_or(AttributeError::NeedsText(method))?;
            return Ok(Attributions {
                explanations: integrated_gradients(subject, params)?,
                ..Attributions::default()
            });
        }
        Method::GradientXInput => {
            let subject = subject.ok_or(AttributeError::NeedsText(method))?;
            return Ok(Attributions {
                explanations: gradient_x_input(subject)?,
                ..Attributions::default()
            });
        }
        Method::Attention => {
            let subject = subject.ok_or(AttributeError::NeedsText(method))?;
            let (explanation, tokens, maps) = word_attention(subject.encoder, subject.features)?;
            return Ok(Attributions {
                explanations: vec![explanation],
                tokens: Some(tokens),
                attentions: Some(maps),
            });
        }
    };
    Ok(Attributions {
        explanations: explainer.explain(evaluator)?,
        ..Attributions::default()
    })
}

/// Integrated Gradients of the text's similarity to every direction, in shared passes.
fn integrated_gradients(
    subject: &TextSubject<'_>,
    params: &MethodParams,
) -> Result<Vec<Explanation>, AttributeError> {
    let directions: Vec<&[f32]> = subject.directions.iter().map(Vec::as_slice).collect();
    let model = similarity(subject, &directions)?;
    let groups = model.word_groups(subject.features)?;
    let input = model.input()?;
    let baseline = model.baseline(params.ig_baseline)?;
    let defaults = IntegratedGradients::default();
    let ig = IntegratedGradients {
        n_steps: params.ig_steps.unwrap_or(defaults.n_steps),
        internal_batch_size: params
            .ig_tokens_per_call
            .map_or(defaults.internal_batch_size, |tokens| {
                (tokens / model.encoding().len().max(1)).max(1)
            }),
        ..defaults
    };
    Ok(ig.explain_targets(&model, &input, &baseline, &groups)?)
}

/// Gradient × input of the text's similarity to each direction (one pass each).
fn gradient_x_input(subject: &TextSubject<'_>) -> Result<Vec<Explanation>, AttributeError> {
    let mut explanations = Vec::with_capacity(subject.directions.len());
    for direction in &subject.directions {
        let model = similarity(subject, &[direction.as_slice()])?;
        let groups = model.word_groups(subject.features)?;
        let mut e = GradientTimesInput {}.explain(&model, &model.input()?, &groups)?;
        e.target = explanations.len();
        explanations.push(e);
    }
    Ok(explanations)
}

/// The similarity of the subject's text (with its prompt) to `directions`, differentiable.
fn similarity<'a>(
    subject: &TextSubject<'a>,
    directions: &[&[f32]],
) -> Result<EmbeddingSimilarity<'a>, AttributeError> {
    let text = subject.features.text();
    Ok(match subject.prompt {
        Some(kind) => EmbeddingSimilarity::with_targets_as(subject.encoder, kind, text, directions),
        None => EmbeddingSimilarity::with_targets(subject.encoder, text, directions),
    }?)
}
