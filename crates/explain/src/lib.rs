//! Model-agnostic explanations of a scalar model output over M features.
//!
//! A model is anything implementing [`MaskedModel`]: it scores a batch of feature
//! [`Mask`]s (coalitions of present features), several targets at once, so one set of
//! perturbed evaluations explains many outputs (a masked query scored against 10
//! products gives 10 explanations). Every mask-based method evaluates through one
//! [`Evaluator`], which deduplicates masks, caches results across methods, batches
//! (in parallel with rayon when allowed), counts evaluations and rejects NaN/inf.
//!
//! Methods ([`Explainer`] implementations, each a config struct with the usual
//! parameters and documented cost):
//! - [`ExactShapley`] enumerates all 2^M coalitions (M ≤ 14 by default);
//! - [`KernelShap`] solves the Shapley-kernel weighted least squares with exact efficiency;
//! - [`OwenValues`] are exact Shapley values of the game of feature groups (phrases),
//!   shared inside each group, for requests too long to enumerate;
//! - [`PermutationShap`] samples antithetic permutations and reports standard errors;
//! - [`Lime`] uses lime's text sampler and kernel with a weighted ridge surrogate;
//! - [`Occlusion`] is leave-one-out;
//! - [`Auto`] picks exact, Owen, Kernel SHAP, or a documented fallback by M and budget.
//!
//! Gradient methods work on a [`DifferentiableModel`]: [`IntegratedGradients`] and
//! [`GradientTimesInput`], with [`FeatureGroups`] mapping input dimensions (embedding
//! dims, tokens) to features. [`AttentionMaps`] gives raw, head-averaged and rollout
//! attention; [`TextFeatures`] turns a query into word features and perturbed texts.
//! All methods return [`Explanation`]s (JSON-serialisable).
//!
//! [`metrics`] grades explanations (faithfulness against a random baseline, agreement
//! and stability, plausibility against human rationales) and recommendation rankings
//! (nDCG, MRR, recall, precision); [`eraser`] reads ERASER rationale data sets.
//!
//! Randomised methods take a `seed` and use ChaCha, so results do not depend on the
//! number of threads.
//!
//! # Example
//!
//! ```
//! use daogou_explain::{
//!     EvalConfig, Evaluator, ExactShapley, Explainer, FnModel, Lime, Mask, MaskingStrategy,
//!     TextFeatures,
//! };
//!
//! let query = TextFeatures::new("red running shoes");
//! // Toy relevance scores for two products: the text decides, words are the features.
//! let model = FnModel::new(query.num_features(), 2, |masks: &[Mask]| {
//!     masks
//!         .iter()
//!         .map(|mask| {
//!             let text = query.render(mask, &MaskingStrategy::Delete)?;
//!             let has = |w: &str| if text.contains(w) { 1.0 } else { 0.0 };
//!             Ok(vec![has("shoes") + 0.5 * has("red"), has("running")])
//!         })
//!         .collect()
//! });
//! let mut evaluator = Evaluator::new(&model, EvalConfig::default())?
//!     .with_feature_names(query.feature_names())?;
//!
//! let shapley = ExactShapley::default().explain(&mut evaluator)?;
//! assert_eq!(shapley.len(), 2); // one explanation per product
//! assert!((shapley[0].values[2] - 1.0).abs() < 1e-12); // "shoes"
//! assert!(shapley[0].efficiency_gap().unwrap() < 1e-12);
//! assert_eq!(shapley[0].top_k(1)[0].name, "shoes");
//!
//! // LIME on the same instance reuses the 8 cached coalitions.
//! let lime = Lime::default().explain(&mut evaluator)?;
//! assert_eq!(lime[1].model_evals, 0);
//! println!("{}", serde_json::to_string(&lime[1]).unwrap());
//! # Ok::<(), daogou_explain::ExplainError>(())
//! ```

#![warn(missing_docs)]

mod attention;
mod auto;
pub mod eraser;
mod error;
mod evaluator;
mod explainer;
mod explanation;
mod gradients;
mod lime;
mod linalg;
mod mask;
mod method;
pub mod metrics;
mod model;
mod occlusion;
mod shapley;
mod text;

pub use attention::{attention_explanation, AttentionMaps, AttentionSource, TokenMatrix};
pub use auto::{Auto, AutoChoice, AutoPlan};
pub use error::{DataError, ExplainError};
pub use evaluator::{EvalConfig, EvalStats, Evaluator, Scores};
pub use explainer::Explainer;
pub use explanation::{Explanation, FeatureValue, LocalModel};
pub use gradients::groups::FeatureGroups;
pub use gradients::quadrature::{gauss_legendre, path_quadrature, IntegrationRule};
pub use gradients::{
    zero_baseline, DifferentiableModel, GradientTimesInput, IntegratedGradients, TargetOutputs,
};
pub use lime::Lime;
pub use linalg::dot;
pub use mask::Mask;
pub use method::Method;
pub use model::{FnModel, MaskedModel};
pub use occlusion::Occlusion;
pub use shapley::exact::ExactShapley;
pub use shapley::kernel::KernelShap;
pub use shapley::owen::OwenValues;
pub use shapley::permutation::PermutationShap;
pub use text::{is_cjk, MaskingStrategy, Pooling, TextFeatures, TokenWordMap, Word};
