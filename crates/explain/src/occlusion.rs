//! Occlusion (leave-one-out) attributions.

use crate::Method;
use serde::{Deserialize, Serialize};

use crate::error::ExplainError;
use crate::evaluator::Evaluator;
use crate::explainer::{Explainer, Run};
use crate::explanation::Explanation;
use crate::mask::Mask;

/// Leave-one-out: valueᵢ = f(x) − f(x without feature i).
///
/// Cost: M + 1 model evaluations. Not a Shapley estimate: interactions are counted
/// once per participant (or not at all), so values need not sum to f(x) − f(∅);
/// `base_value` is therefore `None` (∅ is never evaluated).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Occlusion {}

impl Explainer for Occlusion {
    fn explain(&self, evaluator: &mut Evaluator<'_>) -> Result<Vec<Explanation>, ExplainError> {
        let run = Run::start(evaluator)?;
        let m = evaluator.num_features();
        let full = Mask::full(m);
        let mut masks = Vec::with_capacity(m + 1);
        masks.push(full.clone());
        masks.extend((0..m).map(|i| {
            let mut without = full.clone();
            without.set(i, false);
            without
        }));
        let scores = evaluator.evaluate(&masks)?;
        let mut explanations = run.blanks(evaluator, Method::Occlusion);
        for e in &mut explanations {
            let fx = scores.get(0, e.target);
            for (i, v) in e.values.iter_mut().enumerate() {
                *v = fx - scores.get(i + 1, e.target);
            }
            e.full_value = Some(fx);
        }
        run.finish(evaluator, self, None, explanations)
    }
}
