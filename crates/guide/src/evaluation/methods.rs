//! The attribution methods under evaluation, run on one [`TextInstance`].

use std::time::Instant;

use anyhow::{Context, Result};
use daogou_explain::{
    EvalConfig, Evaluator, ExactShapley, Explainer, Explanation, IntegratedGradients, KernelShap,
    Lime, MaskedModel, Occlusion, PermutationShap,
};
use daogou_model::explainable::EmbeddingSimilarity;
use serde::{Deserialize, Serialize};

use super::model::TextInstance;
use super::settings::MethodSettings;
use crate::text_explain::word_attention;

/// An attribution method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvalMethod {
    /// Exact Shapley values (2^M evaluations).
    ExactShapley,
    /// Kernel SHAP with a reduced budget.
    KernelShap,
    /// Permutation-sampling Shapley values.
    PermutationShap,
    /// LIME.
    Lime,
    /// Leave-one-out.
    Occlusion,
    /// Integrated Gradients on the word embeddings.
    IntegratedGradients,
    /// Attention rollout from `[CLS]`, summed over each word's tokens.
    Attention,
}

impl EvalMethod {
    /// Every method, exact Shapley first.
    pub const ALL: [EvalMethod; 7] = [
        EvalMethod::ExactShapley,
        EvalMethod::KernelShap,
        EvalMethod::PermutationShap,
        EvalMethod::Lime,
        EvalMethod::Occlusion,
        EvalMethod::IntegratedGradients,
        EvalMethod::Attention,
    ];

    /// The methods whose result depends on a seed.
    pub const SAMPLED: [EvalMethod; 3] = [
        EvalMethod::KernelShap,
        EvalMethod::PermutationShap,
        EvalMethod::Lime,
    ];

    /// The methods scored against human rationales (exact and sampled Shapley values
    /// are out of reach for documents of hundreds of words).
    pub const DOCUMENT: [EvalMethod; 4] = [
        EvalMethod::IntegratedGradients,
        EvalMethod::Attention,
        EvalMethod::Lime,
        EvalMethod::Occlusion,
    ];

    /// The name [`Explanation::method`] carries.
    pub fn name(self) -> &'static str {
        match self {
            EvalMethod::ExactShapley => "exact_shapley",
            EvalMethod::KernelShap => "kernel_shap",
            EvalMethod::PermutationShap => "permutation_shap",
            EvalMethod::Lime => "lime",
            EvalMethod::Occlusion => "occlusion",
            EvalMethod::IntegratedGradients => "integrated_gradients",
            EvalMethod::Attention => "attention",
        }
    }
}

/// Mask-based methods evaluate in batches of this many perturbed texts.
const BATCH: usize = 256;
/// Integrated Gradients evaluates at most this many tokens per model call.
const IG_TOKENS_PER_CALL: usize = 4096;

/// Runs `method` (with `seed`, if sampled) on `instance`. Mask-based methods evaluate
/// through `evaluator`; `None` gives them a fresh evaluator over the uncached model, so
/// the explanation's cost and wall time are the method's own.
pub fn explain(
    instance: &TextInstance<'_>,
    method: EvalMethod,
    settings: &MethodSettings,
    seed: u64,
    evaluator: Option<&mut Evaluator<'_>>,
) -> Result<Explanation> {
    let m = instance.features.num_features();
    let explanation = match method {
        EvalMethod::IntegratedGradients => integrated_gradients(instance, settings)?,
        EvalMethod::Attention => attention(instance)?,
        _ => {
            let explainer: Box<dyn Explainer> = match method {
                EvalMethod::ExactShapley => Box::new(ExactShapley {
                    max_features: ExactShapley::HARD_MAX_FEATURES,
                }),
                EvalMethod::KernelShap => Box::new(KernelShap {
                    max_evals: Some(settings.kernel_budget(m)),
                    seed,
                    ..KernelShap::default()
                }),
                EvalMethod::PermutationShap => Box::new(PermutationShap {
                    n_permutations: settings.permutation_pairs,
                    max_evals: None,
                    seed,
                }),
                EvalMethod::Lime => Box::new(Lime {
                    num_samples: settings.lime_samples,
                    seed,
                    ..Lime::default()
                }),
                _ => Box::new(Occlusion::default()),
            };
            let mut explanations = match evaluator {
                Some(evaluator) => explainer.explain(evaluator)?,
                None => {
                    let model = instance.model(false);
                    let mut fresh = new_evaluator(instance, &model)?;
                    explainer.explain(&mut fresh)?
                }
            };
            explanations
                .pop()
                .with_context(|| format!("{} returned no explanation", method.name()))?
        }
    };
    Ok(explanation)
}

/// An evaluator over `model` (a model of `instance`) with the words as feature names.
pub fn new_evaluator<'m>(
    instance: &TextInstance<'_>,
    model: &'m dyn MaskedModel,
) -> Result<Evaluator<'m>> {
    let config = EvalConfig {
        batch_size: BATCH,
        parallel: false,
        ..EvalConfig::default()
    };
    Ok(Evaluator::new(model, config)?.with_feature_names(instance.features.feature_names())?)
}

/// Integrated Gradients from the masking's baseline embeddings to the text's.
fn integrated_gradients(
    instance: &TextInstance<'_>,
    settings: &MethodSettings,
) -> Result<Explanation> {
    let embedding = instance.embedding()?;
    let direction = instance.target.gradient_direction(&embedding);
    let model = EmbeddingSimilarity::new(instance.encoder, instance.features.text(), &direction)?;
    let groups = model.word_groups(&instance.features)?;
    let input = model.input()?;
    let baseline = model.baseline(instance.masking.ig_baseline())?;
    let ig = IntegratedGradients {
        n_steps: settings.ig_steps,
        internal_batch_size: (IG_TOKENS_PER_CALL / model.encoding().len().max(1)).max(1),
        ..IntegratedGradients::default()
    };
    Ok(ig.explain(&model, &input, &baseline, &groups)?)
}

/// Attention rollout from `[CLS]`, pooled to words; its one forward pass is its cost.
fn attention(instance: &TextInstance<'_>) -> Result<Explanation> {
    let started = Instant::now();
    let (mut e, _, _) = word_attention(instance.encoder, &instance.features)?;
    e.model_evals = 1;
    e.requested_evals = 1;
    e.wall_time_ms = started.elapsed().as_secs_f64() * 1e3;
    Ok(e)
}
