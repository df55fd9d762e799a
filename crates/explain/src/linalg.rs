//! Small dense linear algebra: LU with partial pivoting and weighted Gram matrices.

use crate::error::ExplainError;

/// A square row-major matrix.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Matrix {
    pub(crate) n: usize,
    pub(crate) data: Vec<f64>,
}

impl Matrix {
    pub(crate) fn zeros(n: usize) -> Self {
        Matrix {
            n,
            data: vec![0.0; n * n],
        }
    }

    pub(crate) fn get(&self, i: usize, j: usize) -> f64 {
        self.data[i * self.n + j]
    }

    pub(crate) fn set(&mut self, i: usize, j: usize, v: f64) {
        self.data[i * self.n + j] = v;
    }

    pub(crate) fn add(&mut self, i: usize, j: usize, v: f64) {
        self.data[i * self.n + j] += v;
    }

    /// Adds `lambda` to the first `k` diagonal entries.
    pub(crate) fn add_to_diagonal(&mut self, k: usize, lambda: f64) {
        for i in 0..k.min(self.n) {
            self.add(i, i, lambda);
        }
    }

    /// Mean of the first `k` diagonal entries.
    pub(crate) fn mean_diagonal(&self, k: usize) -> f64 {
        let k = k.min(self.n);
        if k == 0 {
            return 0.0;
        }
        (0..k).map(|i| self.get(i, i)).sum::<f64>() / k as f64
    }
}

/// Accumulates Σ w·z·zᵀ over binary rows given by their present indices; only the
/// upper triangle is touched until [`GramBuilder::finish`] mirrors it.
pub(crate) struct GramBuilder {
    gram: Matrix,
}

impl GramBuilder {
    pub(crate) fn new(n: usize) -> Self {
        GramBuilder {
            gram: Matrix::zeros(n),
        }
    }

    /// Adds `w · z zᵀ` where `present` lists the ones of z in ascending order.
    pub(crate) fn add_row(&mut self, present: &[usize], w: f64) {
        let n = self.gram.n;
        for (a, &i) in present.iter().enumerate() {
            let row = &mut self.gram.data[i * n..(i + 1) * n];
            for &j in &present[a..] {
                row[j] += w;
            }
        }
    }

    pub(crate) fn finish(mut self) -> Matrix {
        let n = self.gram.n;
        for i in 0..n {
            for j in 0..i {
                let upper = self.gram.get(j, i);
                self.gram.set(i, j, upper);
            }
        }
        self.gram
    }
}

/// LU factorisation P·A = L·U with partial pivoting.
pub(crate) struct Lu {
    n: usize,
    lu: Vec<f64>,
    perm: Vec<usize>,
}

impl Lu {
    /// Factors `a`; `None` when a pivot is negligible relative to the largest entry
    /// (numerically singular).
    pub(crate) fn factor(a: Matrix) -> Option<Lu> {
        let n = a.n;
        let mut lu = a.data;
        let scale = lu.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        if !scale.is_finite() {
            return None;
        }
        let tiny = scale * 1e-12 * n.max(1) as f64;
        let mut perm: Vec<usize> = (0..n).collect();
        for k in 0..n {
            let pivot_row = (k..n)
                .max_by(|&a, &b| lu[a * n + k].abs().total_cmp(&lu[b * n + k].abs()))
                .unwrap_or(k);
            if lu[pivot_row * n + k].abs() <= tiny {
                return None;
            }
            if pivot_row != k {
                for j in 0..n {
                    lu.swap(k * n + j, pivot_row * n + j);
                }
                perm.swap(k, pivot_row);
            }
            let pivot = lu[k * n + k];
            let (upper, lower) = lu.split_at_mut((k + 1) * n);
            let pivot_tail = &upper[k * n + k + 1..(k + 1) * n];
            for row in lower.chunks_exact_mut(n) {
                let factor = row[k] / pivot;
                row[k] = factor;
                if factor != 0.0 {
                    for (x, &p) in row[k + 1..].iter_mut().zip(pivot_tail) {
                        *x -= factor * p;
                    }
                }
            }
        }
        Some(Lu { n, lu, perm })
    }

    /// Solves A·x = b.
    pub(crate) fn solve(&self, b: &[f64]) -> Vec<f64> {
        let n = self.n;
        let mut x: Vec<f64> = self.perm.iter().map(|&p| b[p]).collect();
        for i in 0..n {
            let row = &self.lu[i * n..i * n + i];
            let s: f64 = row.iter().zip(&x[..i]).map(|(l, v)| l * v).sum();
            x[i] -= s;
        }
        for i in (0..n).rev() {
            let row = &self.lu[i * n + i + 1..(i + 1) * n];
            let s: f64 = row.iter().zip(&x[i + 1..]).map(|(u, v)| u * v).sum();
            x[i] = (x[i] - s) / self.lu[i * n + i];
        }
        x
    }
}

/// Factors `a`; if singular, adds a tiny ridge (1e-8 × mean of the first `ridge_dims`
/// diagonal entries) to those entries and retries. Returns the ridge added, if any.
pub(crate) fn factor_with_ridge_fallback(
    a: Matrix,
    ridge_dims: usize,
) -> Result<(Lu, Option<f64>), ExplainError> {
    let mut regularised = a.clone();
    if let Some(lu) = Lu::factor(a) {
        return Ok((lu, None));
    }
    let lambda = 1e-8 * regularised.mean_diagonal(ridge_dims).abs().max(1e-300);
    regularised.add_to_diagonal(ridge_dims, lambda);
    Lu::factor(regularised)
        .map(|lu| (lu, Some(lambda)))
        .ok_or_else(|| ExplainError::Numerical("singular normal equations".to_string()))
}

/// Dot product accumulated in f64: the cosine similarity of unit vectors (embeddings).
pub fn dot(a: &[f32], b: &[f32]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| f64::from(*x) * f64::from(*y))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lu_solves_a_system_needing_pivoting() {
        // [[0, 2, 1], [1, 1, 0], [2, 0, 3]] x = b with x = (1, -2, 3).
        let a = Matrix {
            n: 3,
            data: vec![0.0, 2.0, 1.0, 1.0, 1.0, 0.0, 2.0, 0.0, 3.0],
        };
        let b = [-1.0, -1.0, 11.0];
        let x = Lu::factor(a).expect("nonsingular").solve(&b);
        for (got, want) in x.iter().zip([1.0, -2.0, 3.0]) {
            assert!((got - want).abs() < 1e-12, "{got} vs {want}");
        }
    }

    #[test]
    fn singular_is_detected_and_ridge_fallback_reported() {
        let a = Matrix {
            n: 2,
            data: vec![1.0, 1.0, 1.0, 1.0],
        };
        assert!(Lu::factor(a.clone()).is_none());
        let (_, ridge) = factor_with_ridge_fallback(a, 2).expect("ridge makes it solvable");
        assert!(ridge.is_some_and(|l| l > 0.0 && l < 1e-7));
    }

    #[test]
    fn gram_matches_dense_product() {
        let mut g = GramBuilder::new(3);
        g.add_row(&[0, 2], 2.0);
        g.add_row(&[1, 2], 0.5);
        let m = g.finish();
        let want = [2.0, 0.0, 2.0, 0.0, 0.5, 0.5, 2.0, 0.5, 2.5];
        assert_eq!(m.data, want);
    }
}
