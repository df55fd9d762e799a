//! The attribution methods under evaluation, run on one [`TextInstance`].

use std::time::Instant;

use anyhow::{Context, Result};
use daogou_attribute::{attribute, word_evaluator, Method, MethodParams, TextSubject};
use daogou_explain::{Evaluator, ExactShapley, Explanation, MaskedModel};

use super::model::TextInstance;
use super::settings::MethodSettings;

/// Integrated Gradients evaluates at most this many tokens per model call.
const IG_TOKENS_PER_CALL: usize = 4096;

/// Runs `method` (with `seed`, if sampled) on `instance` through the one dispatcher.
/// Mask-based methods evaluate through `evaluator`; `None` gives them a fresh evaluator
/// over the uncached model, so the explanation's cost and wall time are the method's own.
pub fn explain(
    instance: &TextInstance<'_>,
    method: Method,
    settings: &MethodSettings,
    seed: u64,
    evaluator: Option<&mut Evaluator<'_>>,
) -> Result<Explanation> {
    let m = instance.features.num_features();
    let started = Instant::now();
    let directions = if method.is_gradient() {
        vec![instance.target.gradient_direction(&instance.embedding()?).0]
    } else {
        Vec::new()
    };
    let subject = TextSubject {
        encoder: instance.encoder,
        features: &instance.features,
        prompt: None,
        directions,
    };
    let params = MethodParams {
        seed,
        exact_max_features: ExactShapley::HARD_MAX_FEATURES,
        kernel_evals: Some(settings.kernel_budget(m)),
        permutation_pairs: settings.permutation_pairs,
        lime_samples: Some(settings.lime_samples),
        ig_steps: Some(settings.ig_steps),
        ig_tokens_per_call: Some(IG_TOKENS_PER_CALL),
        ig_baseline: instance.masking.ig_baseline(),
        ..MethodParams::default()
    };
    let run = |evaluator: &mut Evaluator<'_>| attribute(method, &params, evaluator, Some(&subject));
    let mut explanation = match evaluator {
        Some(evaluator) => run(evaluator)?,
        None => {
            let model = instance.model(false);
            run(&mut new_evaluator(instance, &model)?)?
        }
    }
    .explanations
    .pop()
    .with_context(|| format!("{} returned no explanation", method.name()))?;
    if method == Method::Attention {
        // Its one forward pass is its cost.
        explanation.model_evals = 1;
        explanation.requested_evals = 1;
        explanation.wall_time_ms = started.elapsed().as_secs_f64() * 1e3;
    }
    Ok(explanation)
}

/// An evaluator over `model` (a model of `instance`) with the words as feature names.
pub fn new_evaluator<'m>(
    instance: &TextInstance<'_>,
    model: &'m dyn MaskedModel,
) -> Result<Evaluator<'m>> {
    Ok(word_evaluator(model, &instance.features)?)
}
