//! The numeric kernels of the packed forward pass, over plain `f32` slices, single-threaded
//! (the pass runs blocks of sequences in parallel).
//!
//! The elementwise kernels are `#[inline(always)]` so that they are compiled inside the
//! pass's [`pulp::Arch::dispatch`], for the best instruction set the CPU has (AVX2 + FMA or
//! AVX-512, chosen at run time), and vectorise without `-C target-cpu`. For that they avoid
//! calls that stay scalar (`f32::exp`, libm's `erf`) and sum with eight accumulators.
//! Matrix products go to the `gemm` crate, which dispatches on its own.

/// Lanes of the accumulators in the sums below (one AVX2 register of `f32`).
const LANES: usize = 8;

/// `out = a · w` (or `out += a · w` with `accumulate`) for `a` of `m × k`, `w` of `k × n`
/// (a linear layer's transposed weight) and `out` of `m × n`, all row-major.
///
/// # Panics
/// If a slice's length is not a multiple of `k`, or `out` is not `m × n`.
pub(crate) fn matmul(a: &[f32], w: &[f32], out: &mut [f32], k: usize, accumulate: bool) {
    product(a, w, out, k, accumulate, false);
}

/// `out = a · wᵀ` (or `out += a · wᵀ`) for `a` of `m × n` and `w` of `k × n`: the input
/// gradient of a linear layer whose transposed weight is `w`.
///
/// # Panics
/// If a slice's length is not a multiple of `n`, or `out` is not `m × k`.
pub(crate) fn matmul_transposed(a: &[f32], w: &[f32], out: &mut [f32], n: usize, accumulate: bool) {
    product(a, w, out, n, accumulate, true);
}

/// `a` (`m × inner`) times `w` (`inner × cols`, or `cols × inner` read transposed) into
/// `out` (`m × cols`).
fn product(
    a: &[f32],
    w: &[f32],
    out: &mut [f32],
    inner: usize,
    accumulate: bool,
    transposed: bool,
) {
    assert!(
        inner > 0 && a.len().is_multiple_of(inner),
        "lhs is not a multiple of the inner dimension"
    );
    assert!(
        w.len().is_multiple_of(inner),
        "weight is not a multiple of the inner dimension"
    );
    let (m, cols) = (a.len() / inner, w.len() / inner);
    assert_eq!(out.len(), m * cols, "output has the wrong size");
    if m == 0 || cols == 0 {
        return;
    }
    // Strides of w as an inner × cols matrix: (row, column).
    let (w_rs, w_cs) = if transposed {
        (1, inner as isize)
    } else {
        (cols as isize, 1)
    };
    // SAFETY: the assertions above give `a` m×inner, `w` inner×cols (either layout) and
    // `out` m×cols elements, all row-major, so every index gemm computes from these
    // dimensions and strides lies inside its slice; `out` is borrowed mutably and so
    // aliases neither input.
    #[allow(unsafe_code)]
    unsafe {
        gemm::gemm(
            m,
            cols,
            inner,
            out.as_mut_ptr(),
            1,
            cols as isize,
            accumulate,
            a.as_ptr(),
            1,
            inner as isize,
            w.as_ptr(),
            w_cs,
            w_rs,
            1.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

/// `row += bias`.
#[inline(always)]
pub(crate) fn add(row: &mut [f32], bias: &[f32]) {
    for (x, b) in row.iter_mut().zip(bias) {
        *x += b;
    }
}

/// The sum of `v`, with [`LANES`] accumulators so that it vectorises.
#[inline(always)]
pub(crate) fn sum(v: &[f32]) -> f32 {
    let mut acc = [0f32; LANES];
    let chunks = v.chunks_exact(LANES);
    let tail: f32 = chunks.remainder().iter().sum();
    for c in chunks {
        for (a, x) in acc.iter_mut().zip(c) {
            *a += x;
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// The sum of squared deviations of `v` from `mean`, vectorised like [`sum`].
#[inline(always)]
fn squared_deviations(v: &[f32], mean: f32) -> f32 {
    let mut acc = [0f32; LANES];
    let chunks = v.chunks_exact(LANES);
    let tail: f32 = chunks
        .remainder()
        .iter()
        .map(|x| (x - mean) * (x - mean))
        .sum();
    for c in chunks {
        for (a, x) in acc.iter_mut().zip(c) {
            *a += (x - mean) * (x - mean);
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// Layer normalisation of one row in place: `(x − mean) / sqrt(var + eps) · weight + bias`,
/// with the biased variance, as PyTorch computes it.
#[inline(always)]
pub(crate) fn layer_norm(row: &mut [f32], weight: &[f32], bias: &[f32], eps: f32) {
    let n = row.len() as f32;
    let mean = sum(row) / n;
    let inv = 1.0 / (squared_deviations(row, mean) / n + eps).sqrt();
    for ((x, w), b) in row.iter_mut().zip(weight).zip(bias) {
        *x = ((*x - mean) * inv).mul_add(*w, *b);
    }
}

/// [`layer_norm`] that also writes the normalised row `x̂ = (x − mean) / σ` to
/// `normalized` and returns `1 / σ`: what [`layer_norm_backward`] needs.
#[inline(always)]
pub(crate) fn layer_norm_recorded(
    row: &mut [f32],
    (weight, bias): (&[f32], &[f32]),
    eps: f32,
    normalized: &mut [f32],
) -> f32 {
    let n = row.len() as f32;
    let mean = sum(row) / n;
    let inv = 1.0 / (squared_deviations(row, mean) / n + eps).sqrt();
    for (((x, w), b), h) in row.iter_mut().zip(weight).zip(bias).zip(normalized) {
        *h = (*x - mean) * inv;
        *x = h.mul_add(*w, *b);
    }
    inv
}

/// The gradient of a layer norm's input from its output's, in place:
/// `dx = (g − mean(g) − x̂ · mean(g ⊙ x̂)) / σ` with `g = dy ⊙ weight`.
#[inline(always)]
pub(crate) fn layer_norm_backward(grad: &mut [f32], normalized: &[f32], inv: f32, weight: &[f32]) {
    let n = grad.len() as f32;
    for (g, w) in grad.iter_mut().zip(weight) {
        *g *= w;
    }
    let mean = sum(grad) / n;
    let mean_x = dot(grad, normalized) / n;
    for (g, h) in grad.iter_mut().zip(normalized) {
        *g = inv * (*g - mean - h * mean_x);
    }
}

/// `a · b`, vectorised like [`sum`].
#[inline(always)]
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; LANES];
    let (ca, cb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for ((s, x), y) in acc.iter_mut().zip(x).zip(y) {
            *s = x.mul_add(*y, *s);
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// `c[0] + x·c[1] + x²·c[2] + …` by Horner's rule, in fused multiply-adds.
#[inline(always)]
fn horner(x: f32, coefficients: &[f32]) -> f32 {
    coefficients
        .iter()
        .rev()
        .fold(0.0, |acc, &c| acc.mul_add(x, c))
}

/// `e^x` to within 2 ulp for `x` in [−87, 88] (clamped outside), in plain arithmetic that
/// vectorises: `x = n·ln 2 + r`, a degree-6 polynomial for `e^r`, and `2^n` from the bits.
#[inline(always)]
pub(crate) fn exp(x: f32) -> f32 {
    const LOG2_E: f32 = std::f32::consts::LOG2_E;
    // ln 2 in two parts, so that n·LN2_HI is exact for the n that occur.
    const LN2_HI: f32 = 0.693_145_75;
    const LN2_LO: f32 = 1.428_606_8e-6;
    // Adding and subtracting 1.5·2^23 rounds to the nearest integer.
    const ROUND: f32 = 12_582_912.0;
    let x = x.clamp(-87.0, 88.0);
    let n = (x * LOG2_E + ROUND) - ROUND;
    let r = (-n).mul_add(LN2_LO, (-n).mul_add(LN2_HI, x));
    let p = horner(
        r,
        &[
            1.0,
            1.0,
            0.5,
            1.0 / 6.0,
            1.0 / 24.0,
            1.0 / 120.0,
            1.0 / 720.0,
        ],
    );
    let scale = f32::from_bits(((n as i32 + 127) as u32) << 23);
    p * scale
}

/// `erf(x)` within 1.5e-7 (Abramowitz and Stegun 7.1.26), built on [`exp`].
#[inline(always)]
fn erf(x: f32) -> f32 {
    let a = x.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * a);
    let poly = t * horner(
        t,
        &[
            0.254_829_6,
            -0.284_496_74,
            1.421_413_8,
            -1.453_152,
            1.061_405_4,
        ],
    );
    let y = (-poly).mul_add(exp(-a * a), 1.0);
    y.copysign(x)
}

/// GELU with the exact (erf) form, `x/2 · (1 + erf(x/√2))`.
#[inline(always)]
pub(crate) fn gelu_erf(x: f32) -> f32 {
    0.5 * x * (1.0 + erf(x * std::f32::consts::FRAC_1_SQRT_2))
}

/// The derivative of [`gelu_erf`]: `Φ(x) + x·φ(x)`.
#[inline(always)]
pub(crate) fn gelu_erf_derivative(x: f32) -> f32 {
    // 1 / √(2π)
    const INV_SQRT_2PI: f32 = 0.398_942_3;
    let cdf = 0.5 * (1.0 + erf(x * std::f32::consts::FRAC_1_SQRT_2));
    cdf + x * INV_SQRT_2PI * exp(-0.5 * x * x)
}

/// `tanh(0.797…·(x + 0.0447…·x³))`, the inner term of [`gelu_tanh`].
#[inline(always)]
fn gelu_tanh_inner(x: f32) -> f32 {
    let inner = 0.797_884_6 * (x + 0.044_715 * x * x * x);
    // tanh(u) = 1 − 2 / (e^{2u} + 1)
    1.0 - 2.0 / (exp(2.0 * inner) + 1.0)
}

/// GELU with the tanh approximation (`gelu_new`).
#[inline(always)]
pub(crate) fn gelu_tanh(x: f32) -> f32 {
    0.5 * x * (1.0 + gelu_tanh_inner(x))
}

/// The derivative of [`gelu_tanh`].
#[inline(always)]
pub(crate) fn gelu_tanh_derivative(x: f32) -> f32 {
    let tanh = gelu_tanh_inner(x);
    let inner_derivative = 0.797_884_6 * (1.0 + 3.0 * 0.044_715 * x * x);
    0.5 * (1.0 + tanh) + 0.5 * x * (1.0 - tanh * tanh) * inner_derivative
}

/// Softmax of one row in place.
#[inline(always)]
pub(crate) fn softmax(row: &mut [f32]) {
    let max = row.iter().fold(f32::NEG_INFINITY, |m, &x| m.max(x));
    for x in row.iter_mut() {
        *x = exp(*x - max);
    }
    let inv = 1.0 / sum(row);
    for x in row.iter_mut() {
        *x *= inv;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// erf in f64 by its Taylor series below 3 and the asymptotic series of erfc above:
    /// a reference independent of the approximation under test.
    fn reference_erf(x: f64) -> f64 {
        let a = x.abs();
        if a < 3.0 {
            let mut term = x;
            let mut total = x;
            for n in 1..200 {
                term *= -x * x / n as f64;
                total += term / (2 * n + 1) as f64;
            }
            total * 2.0 / std::f64::consts::PI.sqrt()
        } else {
            let z = 1.0 / (2.0 * a * a);
            let series = 1.0 - z + 3.0 * z * z - 15.0 * z * z * z + 105.0 * z.powi(4);
            let erfc = (-a * a).exp() / (a * std::f64::consts::PI.sqrt()) * series;
            (1.0 - erfc).copysign(x)
        }
    }

    #[test]
    fn exp_and_erf_agree_with_references() {
        let mut worst_exp = 0.0f64;
        let mut worst_erf = 0.0f64;
        for i in -8000..=8000 {
            let x = i as f32 / 100.0;
            let rel = ((exp(x) as f64) - (x as f64).exp()).abs() / (x as f64).exp();
            worst_exp = worst_exp.max(rel);
            let y = x / 10.0;
            worst_erf = worst_erf.max((erf(y) as f64 - reference_erf(y as f64)).abs());
        }
        assert!(worst_exp < 5e-7, "exp relative error {worst_exp}");
        assert!(worst_erf < 5e-7, "erf error {worst_erf}");
        assert!(
            exp(-1000.0) < 1e-37 && exp(1000.0) > 1e38,
            "clamped, not NaN"
        );
    }

    #[test]
    fn products_match_a_naive_loop() {
        let (m, k, n) = (70, 5, 3);
        let a: Vec<f32> = (0..m * k).map(|i| (i % 7) as f32 - 3.0).collect();
        let w: Vec<f32> = (0..n * k).map(|i| (i % 5) as f32 * 0.5).collect();
        let mut want = vec![1.0f32; m * n];
        for i in 0..m {
            for j in 0..n {
                want[i * n + j] += (0..k).map(|c| a[i * k + c] * w[c * n + j]).sum::<f32>();
            }
        }
        let mut got = vec![1.0f32; m * n];
        matmul(&a, &w, &mut got, k, true);
        assert_eq!(got, want);
        let mut fresh = vec![f32::NAN; m * n];
        matmul(&a, &w, &mut fresh, k, false);
        let shifted: Vec<f32> = want.iter().map(|x| x - 1.0).collect();
        assert_eq!(
            fresh, shifted,
            "without accumulate the output is overwritten"
        );
    }

    #[test]
    fn softmax_and_layer_norm_match_their_definitions() {
        let mut row: Vec<f32> = (0..19).map(|i| i as f32 * 0.37 - 2.0).collect();
        let total: f32 = row.iter().map(|x| x.exp()).sum();
        let want: Vec<f32> = row.iter().map(|x| x.exp() / total).collect();
        softmax(&mut row);
        for (g, w) in row.iter().zip(&want) {
            assert!((g - w).abs() < 1e-6, "{g} vs {w}");
        }
        let mut row: Vec<f32> = (0..21).map(|i| (i * i) as f32 * 0.1).collect();
        let mean = row.iter().sum::<f32>() / 21.0;
        let var = row.iter().map(|x| (x - mean).powi(2)).sum::<f32>() / 21.0;
        let want: Vec<f32> = row
            .iter()
            .map(|x| (x - mean) / (var + 1e-12).sqrt() * 2.0 + 1.0)
            .collect();
        layer_norm(&mut row, &[2.0; 21], &[1.0; 21], 1e-12);
        for (g, w) in row.iter().zip(&want) {
            assert!((g - w).abs() < 1e-5, "{g} vs {w}");
        }
    }

    #[test]
    fn transposed_products_match_a_naive_loop() {
        let (m, n, k) = (9, 5, 4);
        let a: Vec<f32> = (0..m * n).map(|i| (i % 7) as f32 - 3.0).collect();
        let w: Vec<f32> = (0..k * n).map(|i| (i % 5) as f32 * 0.5).collect();
        let mut want = vec![2.0f32; m * k];
        for i in 0..m {
            for j in 0..k {
                want[i * k + j] += (0..n).map(|c| a[i * n + c] * w[j * n + c]).sum::<f32>();
            }
        }
        let mut got = vec![2.0f32; m * k];
        matmul_transposed(&a, &w, &mut got, n, true);
        assert_eq!(got, want);
    }

    /// Central difference of `f` at `x`, in f64.
    fn derivative(f: impl Fn(f64) -> f64, x: f64) -> f64 {
        let h = 1e-4;
        (f(x + h) - f(x - h)) / (2.0 * h)
    }

    #[test]
    fn gelu_derivatives_match_finite_differences() {
        let erf_gelu = |x: f64| 0.5 * x * (1.0 + reference_erf(x / 2f64.sqrt()));
        let tanh_gelu = |x: f64| {
            let u = (2.0 / std::f64::consts::PI).sqrt() * (x + 0.044715 * x.powi(3));
            0.5 * x * (1.0 + u.tanh())
        };
        for i in -60..=60 {
            let x = i as f64 * 0.1;
            let (e, t) = (derivative(erf_gelu, x), derivative(tanh_gelu, x));
            assert!(
                (f64::from(gelu_erf_derivative(x as f32)) - e).abs() < 2e-6,
                "{x}"
            );
            assert!(
                (f64::from(gelu_tanh_derivative(x as f32)) - t).abs() < 2e-6,
                "{x}"
            );
        }
    }

    #[test]
    fn layer_norm_backward_matches_finite_differences() {
        let n = 13;
        let x: Vec<f64> = (0..n).map(|i| ((i * 7) % 11) as f64 * 0.3 - 1.0).collect();
        let weight: Vec<f32> = (0..n).map(|i| 0.5 + i as f32 * 0.1).collect();
        let upstream: Vec<f64> = (0..n).map(|i| (i as f64 * 0.9).sin()).collect();
        // loss(x) = upstream · LayerNorm(x), in f64.
        let loss = |x: &[f64]| {
            let mean = x.iter().sum::<f64>() / n as f64;
            let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64;
            x.iter()
                .zip(&weight)
                .zip(&upstream)
                .map(|((v, w), u)| u * (v - mean) / (var + 1e-12).sqrt() * f64::from(*w))
                .sum::<f64>()
        };
        let mut row: Vec<f32> = x.iter().map(|&v| v as f32).collect();
        let mut normalized = vec![0f32; n];
        let inv = layer_norm_recorded(&mut row, (&weight, &[0.0; 13]), 1e-12, &mut normalized);
        let mut grad: Vec<f32> = upstream.iter().map(|&u| u as f32).collect();
        layer_norm_backward(&mut grad, &normalized, inv, &weight);
        for i in 0..n {
            let want = derivative(
                |v| {
                    let mut moved = x.clone();
                    moved[i] = v;
                    loss(&moved)
                },
                x[i],
            );
            assert!(
                (f64::from(grad[i]) - want).abs() < 1e-4,
                "{i}: {} vs {want}",
                grad[i]
            );
        }
    }
}
