//! What a model must provide to be explained by the mask-based methods.

use crate::error::ExplainError;
use crate::mask::Mask;

/// A model seen through feature masks: maps a batch of coalitions to a batch of
/// scores, several targets at once.
///
/// "Targets" are the outputs explained in parallel from one set of model calls, e.g.
/// the masked shopper query scored against 10 products gives 10 targets.
pub trait MaskedModel: Sync {
    /// Number of features M of the instance being explained.
    fn num_features(&self) -> usize;

    /// Number of scores returned per mask.
    fn num_targets(&self) -> usize;

    /// Scores one row per mask, each row `num_targets()` long.
    fn evaluate(&self, masks: &[Mask]) -> Result<Vec<Vec<f64>>, ExplainError>;
}

/// Adapter turning a batch closure into a [`MaskedModel`].
///
/// ```
/// use daogou_explain::{FnModel, Mask, MaskedModel};
/// let model = FnModel::new(2, 1, |masks: &[Mask]| {
///     Ok(masks.iter().map(|m| vec![m.count() as f64]).collect())
/// });
/// assert_eq!(model.evaluate(&[Mask::full(2)]).unwrap(), vec![vec![2.0]]);
/// ```
pub struct FnModel<F> {
    num_features: usize,
    num_targets: usize,
    f: F,
}

impl<F> FnModel<F>
where
    F: Fn(&[Mask]) -> Result<Vec<Vec<f64>>, ExplainError> + Sync,
{
    /// Wraps `f`, which scores a batch of masks over `num_features` features
    /// with `num_targets` scores per mask.
    pub fn new(num_features: usize, num_targets: usize, f: F) -> Self {
        FnModel {
            num_features,
            num_targets,
            f,
        }
    }
}

impl<F> MaskedModel for FnModel<F>
where
    F: Fn(&[Mask]) -> Result<Vec<Vec<f64>>, ExplainError> + Sync,
{
    fn num_features(&self) -> usize {
        self.num_features
    }

    fn num_targets(&self) -> usize {
        self.num_targets
    }

    fn evaluate(&self, masks: &[Mask]) -> Result<Vec<Vec<f64>>, ExplainError> {
        (self.f)(masks)
    }
}
