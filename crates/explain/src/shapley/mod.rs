//! Shapley-value estimators over feature coalitions.

pub mod exact;
pub mod kernel;
pub mod owen;
pub mod permutation;

/// Binomial coefficient C(n, k) in floating point (`inf` when it overflows).
pub(crate) fn binomial(n: usize, k: usize) -> f64 {
    if k > n {
        return 0.0;
    }
    let k = k.min(n - k);
    (0..k).fold(1.0, |acc, i| acc * (n - i) as f64 / (i + 1) as f64)
}

#[cfg(test)]
mod tests {
    use super::binomial;

    #[test]
    fn binomials() {
        assert_eq!(binomial(5, 2), 10.0);
        assert_eq!(binomial(14, 7), 3432.0);
        assert_eq!(binomial(3, 4), 0.0);
        assert_eq!(binomial(0, 0), 1.0);
    }
}
