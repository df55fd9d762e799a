//! Number formatting for labels and "nice" axis ticks.

/// The typographic minus sign used in labels.
const MINUS: char = '\u{2212}';

/// Formats a value for a label: three significant digits (whole numbers from 1000
/// on are shown in full), scientific notation outside `[0.001, 100000)`, and `NaN`,
/// `∞`, `−∞` for non-finite values. Negative values use the minus sign U+2212.
pub fn format_value(v: f64) -> String {
    if v.is_nan() {
        return "NaN".to_string();
    }
    let body = magnitude(v.abs());
    if v < 0.0 && body != "0" {
        format!("{MINUS}{body}")
    } else {
        body
    }
}

/// Like [`format_value`] with an explicit `+` on positive values.
pub fn format_signed(v: f64) -> String {
    let s = format_value(v);
    if v > 0.0 && s != "0" {
        format!("+{s}")
    } else {
        s
    }
}

/// `v` with exactly `decimals` decimals (minus sign U+2212, no negative zero);
/// non-finite values as in [`format_value`].
pub(crate) fn format_fixed(v: f64, decimals: usize) -> String {
    if !v.is_finite() {
        return format_value(v);
    }
    let s = format!("{:.decimals$}", v.abs());
    if v < 0.0 && s.bytes().any(|b| matches!(b, b'1'..=b'9')) {
        format!("{MINUS}{s}")
    } else {
        s
    }
}

/// Decimals that show values up to `max_abs` with three significant digits.
pub(crate) fn decimals_for(max_abs: f64) -> usize {
    if max_abs > 0.0 && max_abs.is_finite() {
        (2 - max_abs.log10().floor() as i32).clamp(0, 4) as usize
    } else {
        0
    }
}

fn magnitude(a: f64) -> String {
    if a.is_infinite() {
        return "∞".to_string();
    }
    if a == 0.0 {
        return "0".to_string();
    }
    if !(1e-3..1e5).contains(&a) {
        let s = format!("{a:.2e}");
        return match s.split_once('e') {
            Some((mantissa, exp)) => format!("{}e{exp}", trim_zeros(mantissa)),
            None => s,
        };
    }
    let decimals = (2 - a.log10().floor() as i32).clamp(0, 6) as usize;
    trim_zeros(&format!("{a:.decimals$}")).to_string()
}

fn trim_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// An axis: its extent, rounded out to whole steps, and the tick positions.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Axis {
    /// Lower end of the axis.
    pub lo: f64,
    /// Upper end of the axis.
    pub hi: f64,
    /// Distance between ticks: 1, 2 or 5 times a power of ten.
    pub step: f64,
}

impl Axis {
    /// An axis covering `[lo, hi]` with about `target` ticks; a degenerate or
    /// non-finite range is widened so that the axis always has positive length.
    pub(crate) fn covering(lo: f64, hi: f64, target: usize) -> Axis {
        let (mut lo, mut hi) = if lo.is_finite() && hi.is_finite() {
            (lo.min(hi), lo.max(hi))
        } else {
            (0.0, 1.0)
        };
        if hi - lo <= f64::EPSILON * hi.abs().max(1.0) {
            let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
            (lo, hi) = (lo - pad, hi + pad);
        }
        let raw = (hi - lo) / target.max(1) as f64;
        let mag = 10f64.powf(raw.log10().floor());
        let norm = raw / mag;
        let step = mag
            * if norm < 1.5 {
                1.0
            } else if norm < 3.0 {
                2.0
            } else if norm < 7.0 {
                5.0
            } else {
                10.0
            };
        Axis {
            lo: (lo / step + 1e-9).floor() * step,
            hi: (hi / step - 1e-9).ceil() * step,
            step,
        }
    }

    /// Tick values from `lo` to `hi`, snapped to the step's precision.
    pub(crate) fn ticks(&self) -> Vec<f64> {
        let n = ((self.hi - self.lo) / self.step).round();
        // A nice step gives a handful of ticks; the cap only guards against
        // floating-point pathologies at extreme magnitudes.
        let n = if n.is_finite() {
            n.min(100.0) as usize
        } else {
            0
        };
        (0..=n)
            .map(|i| {
                let v = self.lo + i as f64 * self.step;
                let snapped = (v / self.step).round() * self.step;
                if snapped == 0.0 {
                    0.0
                } else {
                    snapped
                }
            })
            .collect()
    }

    /// Maps `v` to a position between `from` (at `lo`) and `to` (at `hi`).
    pub(crate) fn map(&self, v: f64, from: f64, to: f64) -> f64 {
        from + (v - self.lo) / (self.hi - self.lo) * (to - from)
    }

    /// A tick label with as many decimals as the step needs.
    pub(crate) fn label(&self, v: f64) -> String {
        if v.abs() >= 1e6 || self.step < 1e-4 {
            return format_value(v);
        }
        format_fixed(v, (-self.step.log10().floor()).max(0.0) as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_have_three_significant_digits() {
        assert_eq!(format_value(0.0), "0");
        assert_eq!(format_value(0.123456), "0.123");
        assert_eq!(format_value(12.345), "12.3");
        assert_eq!(format_value(1234.6), "1235");
        assert_eq!(format_value(0.5), "0.5");
        assert_eq!(format_value(-0.25), "−0.25");
        assert_eq!(format_value(0.00012), "1.2e-4");
        assert_eq!(format_value(123456.0), "1.23e5");
        assert_eq!(format_value(f64::NAN), "NaN");
        assert_eq!(format_value(f64::INFINITY), "∞");
        assert_eq!(format_value(f64::NEG_INFINITY), "−∞");
        assert_eq!(format_signed(0.5), "+0.5");
        assert_eq!(format_signed(-0.5), "−0.5");
        assert_eq!(format_signed(0.0), "0");
        assert_eq!(format_fixed(-0.0004, 3), "0.000");
        assert_eq!(format_fixed(-0.25, 3), "−0.250");
        assert_eq!(
            (decimals_for(0.647), decimals_for(12.0), decimals_for(0.0)),
            (3, 1, 0)
        );
    }

    #[test]
    fn axis_rounds_out_to_nice_steps() {
        let a = Axis::covering(0.03, 0.97, 5);
        assert_eq!((a.lo, a.hi, a.step), (0.0, 1.0, 0.2));
        let t = a.ticks();
        assert_eq!(t.len(), 6);
        assert_eq!(a.label(t[3]), "0.6");
        let b = Axis::covering(-3.2, 41.0, 5);
        assert_eq!((b.lo, b.hi, b.step), (-10.0, 50.0, 10.0));
        assert_eq!(b.label(-10.0), "−10");
    }

    #[test]
    fn axis_survives_degenerate_ranges() {
        for (lo, hi) in [
            (0.0, 0.0),
            (5.0, 5.0),
            (f64::NAN, 1.0),
            (2.0, 1.0),
            (1e15, 1e15 + 1.0),
        ] {
            let a = Axis::covering(lo, hi, 5);
            assert!(a.hi > a.lo && a.step > 0.0, "{lo} {hi}: {a:?}");
            assert!(
                (2..=12).contains(&a.ticks().len()),
                "{lo} {hi}: {:?}",
                a.ticks()
            );
        }
        // Spans that overflow do not panic or allocate absurdly.
        assert!(Axis::covering(-1e308, 1e308, 5).ticks().len() <= 101);
    }
}
