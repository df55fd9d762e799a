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
    assert!(
        k > 0 && a.len().is_multiple_of(k),
        "lhs is not a multiple of k"
    );
    assert!(w.len().is_multiple_of(k), "weight is not a multiple of k");
    let (m, n) = (a.len() / k, w.len() / k);
    assert_eq!(out.len(), m * n, "output has the wrong size");
    if m == 0 || n == 0 {
        return;
    }
    // SAFETY: the assertions above give `a` m×k, `w` k×n and `out` m×n elements, all
    // row-major, so every index gemm computes from these dimensions and strides lies
    // inside its slice; `out` is borrowed mutably and so aliases neither input.
    #[allow(unsafe_code)]
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            out.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            a.as_ptr(),
            1,
            k as isize,
            w.as_ptr(),
            1,
            n as isize,
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

/// GELU with the tanh approximation (`gelu_new`).
#[inline(always)]
pub(crate) fn gelu_tanh(x: f32) -> f32 {
    let inner = 0.797_884_6 * (x + 0.044_715 * x * x * x);
    // tanh(u) = 1 − 2 / (e^{2u} + 1)
    let tanh = 1.0 - 2.0 / (exp(2.0 * inner) + 1.0);
    0.5 * x * (1.0 + tanh)
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
}
