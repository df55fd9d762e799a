//! Price constraints in English and Chinese requests.
//!
//! Recognised (case-insensitive; `AMT` is an amount such as `100`, `$100`, `1.5k`,
//! `30 usd`, `¥300`, `300元`):
//! - ceilings: `under|below|less than|cheaper than|no more than|at most|up to|max|within|
//!   budget (of) AMT`, `< AMT`, `低于|少于|不超过|不高于|不到|最多|小于|预算|控制在 AMT`,
//!   `AMT 以下|以内|之内|内`;
//! - floors: `over|above|more than|at least|min|starting at AMT`, `from AMT` (with a
//!   currency), `> AMT`, `高于|超过|多于|大于|不低于|不少于|至少 AMT`, `AMT 以上|起`;
//! - ranges: `between AMT and AMT`, `from AMT to AMT` and `AMT-AMT` / `AMT to AMT` (these two
//!   need a currency on one side), `AMT 到|至 AMT (之间)`.
//!
//! Bounds are inclusive. Without a written currency, Chinese phrasing or a request
//! containing CJK text means CNY, anything else USD. An amount without a currency that is
//! followed by a unit (`5 pounds`, `3 years`, `10 kg`, `3岁`) or preceded by an age word
//! (`kids over 3`) is not a price. "Around $50" and Chinese numerals (三百) are not handled.

use super::{ConstraintKind, Span};
use daogou_catalog::price::currency_of_marker;
use daogou_catalog::{parse_amount, Currency, Price};
use regex::{Captures, Regex};
use std::sync::LazyLock;

const NUM: &str = r"[0-9]+(?:[.,][0-9]+)*";
const PRE: &str = r"us\$|\$|usd|cn¥|jp¥|¥|￥|rmb|cny|€|eur|£|gbp|jpy";
const POST: &str = r"(?:us\s+dollars?|dollars?|bucks|usd|euros?|eur|gbp|quid|yuan|rmb|cny|kuai|yen|jpy)\b|块钱|元|块|美元|美金|欧元|英镑|人民币|日元";

/// `AMT` with capture groups `pre{n}`, `num{n}`, `k{n}` and `post{n}`.
fn amount(n: usize) -> String {
    format!(
        r"(?:(?P<pre{n}>{PRE})\s*)?(?P<num{n}>{NUM})(?P<k{n}>\s?k\b)?(?:\s*(?P<post{n}>{POST}))?"
    )
}

#[derive(Clone, Copy, PartialEq)]
enum Shape {
    Max,
    Min,
    Range,
}

struct Pattern {
    regex: Regex,
    shape: Shape,
    /// Needs a currency marker on at least one amount.
    needs_currency: bool,
    /// Chinese phrasing: default currency CNY.
    chinese: bool,
}

static PATTERNS: LazyLock<Vec<Pattern>> = LazyLock::new(|| {
    let a1 = amount(1);
    let a2 = amount(2);
    let en_max = r"(?:\b(?:under|below|less\s+than|cheaper\s+than|no\s+more\s+than|not\s+more\s+than|at\s+most|up\s+to|max(?:imum)?|within|budget(?:\s+(?:of|is))?)|<=?|≤)";
    let en_min =
        r"(?:\b(?:over|above|more\s+than|at\s+least|min(?:imum)?|starting\s+(?:at|from))|>=?|≥)";
    let cn_max = r"(?:低于|少于|不超过|不高于|不到|不多于|最多|小于|控制在|预算|最高)";
    let cn_min = r"(?:高于|超过|多于|大于|不低于|不少于|至少|起码|最低)";
    let specs: Vec<(String, Shape, bool, bool)> = vec![
        (
            format!(r"\bbetween\s+{a1}\s+and\s+{a2}"),
            Shape::Range,
            false,
            false,
        ),
        (
            format!(r"\bfrom\s+{a1}\s+to\s+{a2}"),
            Shape::Range,
            true,
            false,
        ),
        (
            format!(r"{a1}\s*(?:-|–|—|~|～|\bto\b)\s*{a2}(?:\s*之间)?"),
            Shape::Range,
            true,
            false,
        ),
        (
            format!(r"(?:在\s*)?{a1}\s*(?:到|至)\s*{a2}(?:\s*之间)?"),
            Shape::Range,
            false,
            true,
        ),
        (format!(r"{en_max}\s*:?\s*{a1}"), Shape::Max, false, false),
        (format!(r"{en_min}\s*:?\s*{a1}"), Shape::Min, false, false),
        (format!(r"\bfrom\s+{a1}"), Shape::Min, true, false),
        (
            format!(r"{cn_max}\s*{a1}(?:\s*(?:以内|以下|之内|内))?"),
            Shape::Max,
            false,
            true,
        ),
        (
            format!(r"{a1}\s*(?:以下|以内|之内|之下|内)"),
            Shape::Max,
            false,
            true,
        ),
        (
            format!(r"{cn_min}\s*{a1}(?:\s*以上)?"),
            Shape::Min,
            false,
            true,
        ),
        (format!(r"{a1}\s*(?:以上|起)"), Shape::Min, false, true),
    ];
    specs
        .into_iter()
        .filter_map(|(pattern, shape, needs_currency, chinese)| {
            // The patterns are constants; a failure would be caught by the unit tests.
            Regex::new(&format!("(?i){pattern}"))
                .ok()
                .map(|regex| Pattern {
                    regex,
                    shape,
                    needs_currency,
                    chinese,
                })
        })
        .collect()
});

/// Words after a bare number that make it a quantity, not a price.
const UNITS: &[&str] = &[
    "year", "years", "yr", "yrs", "yo", "month", "months", "mo", "mos", "week", "weeks", "day",
    "days", "hour", "hours", "hr", "hrs", "minute", "minutes", "min", "mins", "second", "seconds",
    "kg", "kgs", "g", "gram", "grams", "lb", "lbs", "pound", "pounds", "oz", "ounce", "ounces",
    "ml", "l", "liter", "liters", "litre", "litres", "cm", "mm", "m", "meter", "meters", "metre",
    "metres", "inch", "inches", "in", "ft", "feet", "foot", "w", "watt", "watts", "v", "volt",
    "volts", "mah", "gb", "tb", "mb", "hz", "mph", "km", "mile", "miles", "people", "person",
    "persons", "guests", "players", "pcs", "pieces", "piece", "pack", "degrees", "times", "x",
];
const CJK_UNITS: &[&str] = &[
    "岁", "个月", "公斤", "千克", "克", "斤", "厘米", "毫米", "米", "寸", "人", "件", "个", "天",
    "小时", "分钟", "度",
];
const AGE_WORDS: &[&str] = &[
    "kid", "kids", "child", "children", "toddler", "toddlers", "boys", "girls", "age", "ages",
    "aged",
];

/// All price constraints found in `text`, possibly overlapping: (span, kind, is_range).
pub(super) fn candidates(text: &str) -> Vec<(Span, ConstraintKind, bool)> {
    let default = if daogou_catalog::has_cjk(text) {
        Currency::Cny
    } else {
        Currency::Usd
    };
    let mut found = Vec::new();
    for pattern in PATTERNS.iter() {
        for caps in pattern.regex.captures_iter(text) {
            let Some(whole) = caps.get(0) else { continue };
            let span = Span::new(whole.start(), whole.end());
            let default = if pattern.chinese {
                Currency::Cny
            } else {
                default
            };
            if let Some(kind) = interpret(text, span, &caps, pattern, default) {
                found.push((span, kind, pattern.shape == Shape::Range));
            }
        }
    }
    found
}

fn interpret(
    text: &str,
    span: Span,
    caps: &Captures<'_>,
    pattern: &Pattern,
    default: Currency,
) -> Option<ConstraintKind> {
    // "under 100x": the number runs into a word.
    if text
        .get(span.end..)
        .and_then(|rest| rest.chars().next())
        .is_some_and(|c| c.is_ascii_alphanumeric())
    {
        return None;
    }
    let first = amount_at(caps, 1)?;
    let second = if pattern.shape == Shape::Range {
        Some(amount_at(caps, 2)?)
    } else {
        None
    };
    let written = first.1.or(second.and_then(|s| s.1));
    if written.is_none() && (pattern.needs_currency || is_quantity(text, span)) {
        return None;
    }
    let currency_of = |own: Option<Currency>| own.or(written).unwrap_or(default);
    let first_price = Price {
        amount: first.0,
        currency: currency_of(first.1),
    };
    Some(match (pattern.shape, second) {
        (Shape::Max, _) => ConstraintKind::MaxPrice(first_price),
        (Shape::Min, _) => ConstraintKind::MinPrice(first_price),
        (Shape::Range, Some((amount, own))) => {
            let second_price = Price {
                amount,
                currency: currency_of(own),
            };
            let (min, max) = if first_price.to_usd() <= second_price.to_usd() {
                (first_price, second_price)
            } else {
                (second_price, first_price)
            };
            ConstraintKind::PriceRange { min, max }
        }
        (Shape::Range, None) => return None,
    })
}

/// The amount of the `n`th `AMT` group and its written currency, if any.
fn amount_at(caps: &Captures<'_>, n: usize) -> Option<(f64, Option<Currency>)> {
    let number = caps.name(&format!("num{n}"))?.as_str();
    let mut value = parse_amount(number)?;
    if caps.name(&format!("k{n}")).is_some() {
        value *= 1000.0;
    }
    if !(value.is_finite() && value < 1e12) {
        return None;
    }
    let marker = caps
        .name(&format!("pre{n}"))
        .or_else(|| caps.name(&format!("post{n}")));
    let currency = match marker {
        Some(m) => Some(marker_currency(m.as_str())?),
        None => None,
    };
    Some((value, currency))
}

/// Currency of a marker matched by `PRE` or `POST` (`us` followed by anything is dollars).
fn marker_currency(marker: &str) -> Option<Currency> {
    let m = marker.trim().to_lowercase();
    currency_of_marker(&m).or_else(|| m.starts_with("us").then_some(Currency::Usd))
}

/// A bare number that is followed by a unit or preceded by an age word.
fn is_quantity(text: &str, span: Span) -> bool {
    let after = text.get(span.end..).unwrap_or("").trim_start();
    let next_word: String = after
        .chars()
        .take_while(|c| c.is_alphabetic() && !daogou_explain::is_cjk(*c))
        .flat_map(char::to_lowercase)
        .collect();
    if UNITS.contains(&next_word.as_str())
        || after.starts_with(['"', '%', '°', '\''])
        || CJK_UNITS.iter().any(|u| after.starts_with(u))
    {
        return true;
    }
    let before = text.get(..span.start).unwrap_or("").trim_end();
    let previous_word: String = before
        .chars()
        .rev()
        .take_while(|c| c.is_alphabetic())
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .flat_map(char::to_lowercase)
        .collect();
    AGE_WORDS.contains(&previous_word.as_str())
}
