//! Integration rules along the straight path from baseline to input.

use serde::{Deserialize, Serialize};

use crate::error::ExplainError;

/// Quadrature rule over α ∈ [0, 1] (captum's `method` names in brackets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum IntegrationRule {
    /// α = k/n, k = 0..n−1 (`riemann_left`).
    RiemannLeft,
    /// α = k/n, k = 1..n (`riemann_right`).
    RiemannRight,
    /// α = (k + ½)/n (`riemann_middle`).
    RiemannMiddle,
    /// α = k/(n−1), k = 0..n−1, half weight at both ends; needs n ≥ 2
    /// (`riemann_trapezoid`).
    RiemannTrapezoid,
    /// Gauss–Legendre nodes mapped to [0, 1] (`gausslegendre`): exact for polynomial
    /// integrands up to degree 2n−1.
    GaussLegendre,
}

/// Points α and weights (summing to 1) of `rule` with `n` steps.
pub fn path_quadrature(
    rule: IntegrationRule,
    n: usize,
) -> Result<(Vec<f64>, Vec<f64>), ExplainError> {
    let min_steps = if rule == IntegrationRule::RiemannTrapezoid {
        2
    } else {
        1
    };
    if n < min_steps {
        return Err(ExplainError::invalid(
            "n_steps",
            format!("{rule:?} needs at least {min_steps} steps"),
        ));
    }
    let nf = n as f64;
    let uniform = |offset: f64| -> (Vec<f64>, Vec<f64>) {
        (
            (0..n).map(|k| (k as f64 + offset) / nf).collect(),
            vec![1.0 / nf; n],
        )
    };
    Ok(match rule {
        IntegrationRule::RiemannLeft => uniform(0.0),
        IntegrationRule::RiemannRight => uniform(1.0),
        IntegrationRule::RiemannMiddle => uniform(0.5),
        IntegrationRule::RiemannTrapezoid => {
            let h = 1.0 / (nf - 1.0);
            let mut weights = vec![h; n];
            weights[0] = h / 2.0;
            weights[n - 1] = h / 2.0;
            ((0..n).map(|k| k as f64 * h).collect(), weights)
        }
        IntegrationRule::GaussLegendre => {
            let (nodes, weights) = gauss_legendre(n);
            (
                nodes.iter().map(|x| (x + 1.0) / 2.0).collect(),
                weights.iter().map(|w| w / 2.0).collect(),
            )
        }
    })
}

/// Gauss–Legendre nodes (ascending, on [−1, 1]) and weights (summing to 2) for `n`
/// points, by Newton's method on the Legendre polynomial Pₙ.
pub fn gauss_legendre(n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut nodes = Vec::with_capacity(n);
    let mut weights = Vec::with_capacity(n);
    for i in 0..n {
        // Tricomi's initial guess for the i-th largest root.
        let mut x = (std::f64::consts::PI * (i as f64 + 0.75) / (n as f64 + 0.5)).cos();
        for _ in 0..100 {
            let (p, dp) = legendre(n, x);
            let step = p / dp;
            x -= step;
            if step.abs() <= 4.0 * f64::EPSILON {
                break;
            }
        }
        let (_, dp) = legendre(n, x);
        nodes.push(x);
        weights.push(2.0 / ((1.0 - x * x) * dp * dp));
    }
    nodes.reverse();
    weights.reverse();
    (nodes, weights)
}

/// Pₙ(x) and Pₙ'(x) by the three-term recurrence.
fn legendre(n: usize, x: f64) -> (f64, f64) {
    let (mut previous, mut current) = (1.0, x);
    for k in 2..=n {
        let k = k as f64;
        let next = ((2.0 * k - 1.0) * x * current - (k - 1.0) * previous) / k;
        previous = current;
        current = next;
    }
    if n == 0 {
        return (1.0, 0.0);
    }
    let derivative = n as f64 * (x * current - previous) / (x * x - 1.0);
    (current, derivative)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gauss_legendre_matches_tables_and_integrates_polynomials() {
        let (x, w) = gauss_legendre(2);
        let r = 1.0 / 3f64.sqrt();
        assert!((x[0] + r).abs() < 1e-15 && (x[1] - r).abs() < 1e-15);
        assert!((w[0] - 1.0).abs() < 1e-14 && (w[1] - 1.0).abs() < 1e-14);
        // 5 points integrate x^8 on [-1, 1] exactly: 2/9.
        let (x, w) = gauss_legendre(5);
        let integral: f64 = x.iter().zip(&w).map(|(x, w)| w * x.powi(8)).sum();
        assert!((integral - 2.0 / 9.0).abs() < 1e-14, "{integral}");
        for n in [1, 7, 64, 200] {
            let (_, w) = gauss_legendre(n);
            let total: f64 = w.iter().sum();
            assert!((total - 2.0).abs() < 1e-12, "n = {n}: {total}");
        }
    }

    #[test]
    fn riemann_rules_have_unit_weight_and_expected_points() {
        let (a, w) = path_quadrature(IntegrationRule::RiemannTrapezoid, 3).expect("n >= 2");
        assert_eq!(a, vec![0.0, 0.5, 1.0]);
        assert_eq!(w, vec![0.25, 0.5, 0.25]);
        let (a, _) = path_quadrature(IntegrationRule::RiemannRight, 4).expect("n >= 1");
        assert_eq!(a, vec![0.25, 0.5, 0.75, 1.0]);
        assert!(path_quadrature(IntegrationRule::RiemannTrapezoid, 1).is_err());
        assert!(path_quadrature(IntegrationRule::GaussLegendre, 0).is_err());
    }
}
