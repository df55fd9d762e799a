//! Which implementation a forward pass uses: the fast one, or one candle differentiates.

/// How a forward pass computes its normalisations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ComputePath {
    /// Candle's fused softmax and layer norm: fastest, but they record no gradient.
    #[default]
    Fast,
    /// Softmax and layer norm composed from basic ops, so `backward()` reaches the inputs.
    Differentiable,
}
