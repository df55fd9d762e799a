//! The common interface of the mask-based methods and their bookkeeping.

use std::time::Instant;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::error::ExplainError;
use crate::evaluator::{EvalStats, Evaluator};
use crate::explanation::Explanation;
use crate::Method;

/// A mask-based attribution method.
pub trait Explainer {
    /// Explains every target of the evaluator's model from one set of evaluations;
    /// returns one explanation per target, in target order.
    fn explain(&self, evaluator: &mut Evaluator<'_>) -> Result<Vec<Explanation>, ExplainError>;
}

/// Times a method run and charges it the evaluator's counter deltas.
pub(crate) struct Run {
    start: Instant,
    stats: EvalStats,
}

impl Run {
    /// Starts the clock; fails on an instance without features.
    pub(crate) fn start(evaluator: &Evaluator<'_>) -> Result<Self, ExplainError> {
        if evaluator.num_features() == 0 {
            return Err(ExplainError::NoFeatures);
        }
        Ok(Run {
            start: Instant::now(),
            stats: evaluator.stats(),
        })
    }

    /// One blank explanation per target, with names filled in.
    pub(crate) fn blanks(&self, evaluator: &Evaluator<'_>, method: Method) -> Vec<Explanation> {
        (0..evaluator.num_targets())
            .map(|t| {
                Explanation::blank(
                    method,
                    evaluator.feature_names().to_vec(),
                    t,
                    evaluator.target_name(t),
                )
            })
            .collect()
    }

    /// Stamps parameters, seed, evaluation counts and wall time; rejects non-finite
    /// results (they could not round-trip through JSON).
    pub(crate) fn finish(
        self,
        evaluator: &Evaluator<'_>,
        params: &impl Serialize,
        seed: Option<u64>,
        mut explanations: Vec<Explanation>,
    ) -> Result<Vec<Explanation>, ExplainError> {
        let now = evaluator.stats();
        let params = serde_json::to_value(params).unwrap_or(serde_json::Value::Null);
        let wall_time_ms = self.start.elapsed().as_secs_f64() * 1e3;
        for e in &mut explanations {
            check_finite(e)?;
            e.params = params.clone();
            e.seed = seed;
            e.model_evals = now.evaluated - self.stats.evaluated;
            e.requested_evals = now.requested - self.stats.requested;
            e.wall_time_ms = wall_time_ms;
        }
        Ok(explanations)
    }
}

/// Errors if any number of `e` is NaN or infinite.
pub(crate) fn check_finite(e: &Explanation) -> Result<(), ExplainError> {
    let scalars = [e.base_value, e.full_value, e.completeness_delta];
    let finite = e.values.iter().all(|v| v.is_finite())
        && e.std_errors.iter().flatten().all(|v| v.is_finite())
        && scalars.iter().flatten().all(|v| v.is_finite());
    if finite {
        Ok(())
    } else {
        Err(ExplainError::Numerical(format!(
            "{} produced non-finite attributions for target {}",
            e.method, e.target
        )))
    }
}

/// The deterministic generator every randomised method uses.
pub(crate) fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}
