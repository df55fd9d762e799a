//! Linear layers on the differentiable path, with the weights held constant.
//!
//! Explanations differentiate with respect to the input embeddings only. candle's matmul
//! backward always computes the gradient of both operands, so a plain `Linear` would also
//! compute every weight gradient (as costly as the input gradient) and throw it away.
//! [`linear`] computes the same `x·Wᵀ + b` with a backward pass that returns only
//! `grad·W`.

use candle_core::{bail, CpuStorage, CustomOp1, Device, Layout, Module, Result, Shape, Tensor};
use candle_nn::Linear;

use crate::compute_path::ComputePath;

/// `layer(x)`: candle's `Linear` on the fast path; on the differentiable path a product
/// whose backward pass gives the input gradient only (CPU f32; other devices use `Linear`).
pub(crate) fn linear(layer: &Linear, x: &Tensor, path: ComputePath) -> Result<Tensor> {
    let frozen = path == ComputePath::Differentiable
        && matches!(x.device(), Device::Cpu)
        && x.dtype() == candle_core::DType::F32;
    if !frozen {
        return layer.forward(x);
    }
    let product = x.contiguous()?.apply_op1(FrozenProduct {
        weight: layer.weight().clone(),
    })?;
    match layer.bias() {
        Some(bias) => product.broadcast_add(bias),
        None => Ok(product),
    }
}

/// `x·Wᵀ` for `x` of shape `[..., in]` and `W` of shape `[out, in]`.
struct FrozenProduct {
    weight: Tensor,
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
        let y = x.broadcast_matmul(&self.weight.t()?)?;
        let shape = y.shape().clone();
        Ok((CpuStorage::F32(y.flatten_all()?.to_vec1::<f32>()?), shape))
    }

    fn bwd(&self, _arg: &Tensor, _res: &Tensor, grad_res: &Tensor) -> Result<Option<Tensor>> {
        Ok(Some(grad_res.broadcast_matmul(&self.weight)?))
    }
}

#[cfg(test)]
mod tests {
    use candle_core::Var;

    use super::*;

    #[test]
    fn same_values_and_input_gradient_as_candles_linear() -> Result<()> {
        let device = Device::Cpu;
        let weight = Tensor::randn(0f32, 1.0, (5, 3), &device)?;
        let bias = Tensor::randn(0f32, 1.0, 5, &device)?;
        let layer = Linear::new(weight, Some(bias));
        let x = Var::from_tensor(&Tensor::randn(0f32, 1.0, (2, 4, 3), &device)?)?;
        let gradient = |path: ComputePath| -> Result<(Vec<f32>, Vec<f32>)> {
            let y = linear(&layer, x.as_tensor(), path)?;
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
        let (y_fast, g_fast) = gradient(ComputePath::Fast)?;
        let (y_frozen, g_frozen) = gradient(ComputePath::Differentiable)?;
        let close = |a: &[f32], b: &[f32]| a.iter().zip(b).all(|(p, q)| (p - q).abs() < 1e-5);
        assert!(close(&y_fast, &y_frozen), "{y_fast:?} vs {y_frozen:?}");
        assert!(close(&g_fast, &g_frozen), "{g_fast:?} vs {g_frozen:?}");
        Ok(())
    }
}
