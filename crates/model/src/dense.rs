//! Linear layers with their weights stored transposed, `[in, out]`, and a differentiable
//! path that holds the weights constant.
//!
//! The transposed layout is what the `gemm` crate multiplies fastest when few rows come in
//! (65–87 GFLOP/s on one AVX2 core at 8–16 rows against 23–36 for `[out, in]`, and the same
//! from 96 rows up), which is the shape of explanation coalitions. Both the candle paths
//! and the packed pass read these tensors, so the model is held once.
//!
//! Explanations differentiate with respect to the input embeddings only. candle's matmul
//! backward always computes the gradient of both operands, so a plain product would also
//! compute every weight gradient (as costly as the input gradient) and throw it away.
//! [`Dense::forward`] on the differentiable path computes the same `x·Wᵀ + b` with a
//! backward pass that returns only `grad·W`.

use candle_core::{bail, CpuStorage, CustomOp1, Device, Layout, Result, Shape, Tensor};

use crate::compute_path::ComputePath;

/// A linear layer `x ↦ x·Wᵀ + b`, holding `Wᵀ`.
pub(crate) struct Dense {
    /// `Wᵀ`, contiguous `[in, out]`.
    pub(crate) weight_t: Tensor,
    /// `[out]`.
    pub(crate) bias: Tensor,
}

impl Dense {
    /// A layer from a Hugging Face weight `[out, in]` and bias `[out]`.
    pub(crate) fn new(weight: &Tensor, bias: Tensor) -> Result<Self> {
        Ok(Self {
            weight_t: weight.t()?.contiguous()?,
            bias,
        })
    }

    /// One layer computing `layers`' outputs side by side.
    pub(crate) fn fuse(layers: &[Dense]) -> Result<Self> {
        let weights: Vec<&Tensor> = layers.iter().map(|l| &l.weight_t).collect();
        let biases: Vec<&Tensor> = layers.iter().map(|l| &l.bias).collect();
        Ok(Self {
            weight_t: Tensor::cat(&weights, 1)?,
            bias: Tensor::cat(&biases, 0)?,
        })
    }

    /// `x·Wᵀ + b` for `x` of shape `[..., in]`. On the differentiable path (CPU, f32) the
    /// product's backward pass gives the input gradient only.
    pub(crate) fn forward(&self, x: &Tensor, path: ComputePath) -> Result<Tensor> {
        let frozen = path == ComputePath::Differentiable
            && matches!(x.device(), Device::Cpu)
            && x.dtype() == candle_core::DType::F32;
        let product = if frozen {
            x.contiguous()?.apply_op1(FrozenProduct {
                weight_t: self.weight_t.clone(),
            })?
        } else {
            x.broadcast_matmul(&self.weight_t)?
        };
        product.broadcast_add(&self.bias)
    }
}

/// `x·Wᵀ` for `x` of shape `[..., in]` and `Wᵀ` of shape `[in, out]`.
struct FrozenProduct {
    weight_t: Tensor,
}

impl CustomOp1 for FrozenProduct {
    fn name(&self) -> &'static str {
        "frozen-linear"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let (CpuStorage::F32(data), Some((start, end))) = (storage, layout.contiguous_offsets())
        else {
            bail!("frozen-linear takes a contiguous f32 tensor")
        };
        let x = Tensor::from_slice(&data[start..end], layout.shape(), &Device::Cpu)?;
        let y = x.broadcast_matmul(&self.weight_t)?;
        let shape = y.shape().clone();
        Ok((CpuStorage::F32(y.flatten_all()?.to_vec1::<f32>()?), shape))
    }

    fn bwd(&self, _arg: &Tensor, _res: &Tensor, grad_res: &Tensor) -> Result<Option<Tensor>> {
        Ok(Some(grad_res.broadcast_matmul(&self.weight_t.t()?)?))
    }
}

#[cfg(test)]
mod tests {
    use candle_core::{Module, Var};
    use candle_nn::Linear;

    use super::*;

    #[test]
    fn same_values_and_input_gradient_as_candles_linear() -> Result<()> {
        let device = Device::Cpu;
        let weight = Tensor::randn(0f32, 1.0, (5, 3), &device)?;
        let bias = Tensor::randn(0f32, 1.0, 5, &device)?;
        let reference = Linear::new(weight.clone(), Some(bias.clone()));
        let dense = Dense::new(&weight, bias)?;
        let x = Var::from_tensor(&Tensor::randn(0f32, 1.0, (2, 4, 3), &device)?)?;
        let gradient = |y: Tensor| -> Result<(Vec<f32>, Vec<f32>)> {
            // A non-uniform function of y, so every output gets its own gradient.
            let loss = (y.sqr()? * 0.5)?.sum_all()?;
            let grads = loss.backward()?;
            let Some(g) = grads.get(x.as_tensor()) else {
                bail!("no gradient for x")
            };
            Ok((
                y.flatten_all()?.to_vec1::<f32>()?,
                g.flatten_all()?.to_vec1::<f32>()?,
            ))
        };
        let (y_ref, g_ref) = gradient(reference.forward(x.as_tensor())?)?;
        for path in [ComputePath::Fast, ComputePath::Differentiable] {
            let (y, g) = gradient(dense.forward(x.as_tensor(), path)?)?;
            let close = |a: &[f32], b: &[f32]| a.iter().zip(b).all(|(p, q)| (p - q).abs() < 1e-5);
            assert!(close(&y_ref, &y), "{path:?}: {y_ref:?} vs {y:?}");
            assert!(close(&g_ref, &g), "{path:?}: {g_ref:?} vs {g:?}");
        }
        Ok(())
    }

    #[test]
    fn fused_layers_compute_their_outputs_side_by_side() -> Result<()> {
        let device = Device::Cpu;
        let make = |out: usize| -> Result<Dense> {
            Dense::new(
                &Tensor::randn(0f32, 1.0, (out, 3), &device)?,
                Tensor::randn(0f32, 1.0, out, &device)?,
            )
        };
        let (a, b) = (make(2)?, make(4)?);
        let x = Tensor::randn(0f32, 1.0, (5, 3), &device)?;
        let apart = Tensor::cat(
            &[
                a.forward(&x, ComputePath::Fast)?,
                b.forward(&x, ComputePath::Fast)?,
            ],
            1,
        )?;
        let fused = Dense::fuse(&[a, b])?.forward(&x, ComputePath::Fast)?;
        let diff = (apart - fused)?.abs()?.max_all()?.to_scalar::<f32>()?;
        assert!(diff < 1e-6, "differs by {diff}");
        Ok(())
    }
}
