//! Numbers with units in request and product text ("1/2 in.", "10 ft", "60 amp", "2x4"),
//! compared by value so that "1/2 inch" matches "1/2 in." and "10'" matches "10 ft.".

use std::sync::LazyLock;

use regex::Regex;

/// A number and its unit (`None` when the text gives none).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quantity {
    /// The value: "1-1/2" is 1.5.
    pub value: f64,
    /// The canonical unit, e.g. `in` for in., inch, inches and `"`.
    pub unit: Option<&'static str>,
}

impl Quantity {
    /// Whether `self`, as asked for, is met by `offered`: the same value, and the same unit
    /// when both name one.
    pub fn matches(&self, offered: &Quantity) -> bool {
        (self.value - offered.value).abs() < 1e-9
            && match (self.unit, offered.unit) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            }
    }
}

/// Spellings of each unit, lower case, longest first within a unit.
const UNITS: &[(&str, &[&str])] = &[
    ("in", &["inches", "inch", "in.", "in", "\"", "''"]),
    ("ft", &["feet", "foot", "ft.", "ft", "'"]),
    ("sq_ft", &["sq. ft.", "sq ft", "sqft"]),
    ("cu_ft", &["cu. ft.", "cu ft"]),
    ("v", &["volts", "volt", "v"]),
    ("w", &["watts", "watt", "w"]),
    ("a", &["amps", "amp", "a"]),
    ("gal", &["gallons", "gallon", "gal.", "gal"]),
    ("lb", &["pounds", "pound", "lbs.", "lbs", "lb.", "lb"]),
    ("oz", &["ounces", "ounce", "oz.", "oz"]),
    ("mm", &["mm"]),
    ("cm", &["cm"]),
    ("gauge", &["gauge", "ga.", "ga", "awg"]),
    ("btu", &["btu"]),
    (
        "piece",
        &["pieces", "piece", "pack", "pk.", "pk", "pc.", "pc"],
    ),
    ("gang", &["gang"]),
    ("degree", &["degrees", "degree", "deg"]),
    ("mil", &["mil"]),
];

static NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    // A whole number with an optional fraction ("1-1/2", "1 1/2"), a fraction, or a decimal.
    Regex::new(r"(\d+)[- ](\d+)/(\d+)|(\d+)/(\d+)|(\d*\.\d+|\d+)").expect("a valid pattern")
});

/// The quantities in `text`, in order.
pub fn quantities(text: &str) -> Vec<Quantity> {
    let lower = text.to_lowercase();
    let mut found = Vec::new();
    for caps in NUMBER.captures_iter(&lower) {
        let Some(whole) = caps.get(0) else { continue };
        // A number glued to letters on its left is part of a model number ("GE123"),
        // except after the "x" of a dimension ("2x4").
        let mut before = lower[..whole.start()].chars().rev();
        let glued = match (before.next(), before.next()) {
            (Some('x'), None) => false,
            (Some('x'), Some(c)) => c.is_alphabetic(),
            (Some(c), _) => c.is_alphabetic(),
            (None, _) => false,
        };
        if glued {
            continue;
        }
        let int = |i: usize| caps.get(i).and_then(|m| m.as_str().parse::<f64>().ok());
        let value = match (int(1), int(2), int(3), int(4), int(5), int(6)) {
            (Some(w), Some(n), Some(d), ..) if d > 0.0 => w + n / d,
            (_, _, _, Some(n), Some(d), _) if d > 0.0 => n / d,
            (.., Some(v)) => v,
            _ => continue,
        };
        found.push(Quantity {
            value,
            unit: unit_at(&lower[whole.end()..]),
        });
    }
    found
}

/// The unit spelled at the start of `rest` (after optional spaces), ending at a word
/// boundary.
fn unit_at(rest: &str) -> Option<&'static str> {
    let rest = rest.trim_start_matches(' ');
    UNITS.iter().find_map(|(unit, spellings)| {
        spellings.iter().find_map(|s| {
            let after = rest.strip_prefix(s)?;
            let ends_word = !s.ends_with(|c: char| c.is_alphanumeric())
                || !after.starts_with(|c: char| c.is_alphanumeric());
            ends_word.then_some(*unit)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(value: f64, unit: Option<&'static str>) -> Quantity {
        Quantity { value, unit }
    }

    #[test]
    fn fractions_decimals_and_unit_spellings_are_read() {
        assert_eq!(quantities("1/2 inch pvc"), [q(0.5, Some("in"))]);
        assert_eq!(
            quantities("Everbilt 1-1/2 in. x 10 ft. Pipe"),
            [q(1.5, Some("in")), q(10.0, Some("ft"))]
        );
        assert_eq!(quantities("60 amp breaker"), [q(60.0, Some("a"))]);
        assert_eq!(quantities("2x4 stud"), [q(2.0, None), q(4.0, None)]);
        assert_eq!(quantities("10' ladder"), [q(10.0, Some("ft"))]);
        assert_eq!(quantities("0.75 gal."), [q(0.75, Some("gal"))]);
        // "a" only counts as amps as a word of its own; model numbers are no quantities.
        assert_eq!(quantities("3 and GE123"), [q(3.0, None)]);
    }

    #[test]
    fn units_must_agree_only_when_both_are_given() {
        assert!(q(0.5, Some("in")).matches(&q(0.5, Some("in"))));
        assert!(q(0.5, None).matches(&q(0.5, Some("in"))));
        assert!(!q(0.5, Some("in")).matches(&q(0.5, Some("ft"))));
        assert!(!q(0.5, Some("in")).matches(&q(0.75, Some("in"))));
    }
}
