//! Prices, currencies and price parsing.
//!
//! # Accepted formats
//!
//! A price is an optional currency marker, a number and an optional currency marker:
//! `"$399.00"`, `"399"`, `"1,299.99"`, `"399.00 gbp"`, `"15 USD"`, `"¥300"`, `"€20"`, `"£15"`,
//! `"300元"`. Surrounding whitespace is ignored; an empty string is "no price" (`Ok(None)`).
//!
//! Number separators:
//! - with both `,` and `.`, the **last** one is the decimal separator, the other groups
//!   thousands: `"1,299.99"` and `"$1.299,99"` are both 1299.99;
//! - with only `,`: groups of exactly three digits after each comma mean thousands
//!   (`"1,299"` = 1299), anything else is a decimal comma (`"20,5"` = 20.5, `"12,99"` = 12.99);
//! - with only `.`: one dot is a decimal point (`"1.299"` = 1.299), several dots between
//!   three-digit groups are thousands (`"1.299.000"` = 1299000).
//!
//! `¥`/`￥` mean Chinese yuan (this is a Chinese/English shopping guide); write `JPY`, `円` or
//! `JP¥` for Japanese yen. Negative amounts, words ("free", "call us") and conflicting
//! markers (`"$5 EUR"`) are errors.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Currencies the guide understands.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum Currency {
    /// US dollar.
    Usd,
    /// Chinese yuan (renminbi).
    Cny,
    /// Euro.
    Eur,
    /// Pound sterling.
    Gbp,
    /// Japanese yen.
    Jpy,
}

impl Currency {
    /// ISO 4217 code, e.g. `"USD"`.
    pub fn code(self) -> &'static str {
        match self {
            Currency::Usd => "USD",
            Currency::Cny => "CNY",
            Currency::Eur => "EUR",
            Currency::Gbp => "GBP",
            Currency::Jpy => "JPY",
        }
    }

    /// Display symbol, e.g. `"$"`.
    pub fn symbol(self) -> &'static str {
        match self {
            Currency::Usd => "$",
            Currency::Cny => "¥",
            Currency::Eur => "€",
            Currency::Gbp => "£",
            Currency::Jpy => "JP¥",
        }
    }

    /// US dollars per unit of this currency.
    ///
    /// A **fixed** table (rounded mid-2024 rates), used only to compare prices across
    /// currencies when filtering; never shown to the shopper as a quote.
    pub fn usd_rate(self) -> f64 {
        match self {
            Currency::Usd => 1.0,
            Currency::Cny => 0.14,
            Currency::Eur => 1.08,
            Currency::Gbp => 1.27,
            Currency::Jpy => 0.0067,
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// An amount of money in a currency.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Price {
    /// The amount in `currency` units (not cents).
    pub amount: f64,
    /// The currency of `amount`.
    pub currency: Currency,
}

impl Price {
    /// A price of `amount` US dollars.
    pub fn usd(amount: f64) -> Self {
        Price {
            amount,
            currency: Currency::Usd,
        }
    }

    /// The amount converted to US dollars with the fixed [`Currency::usd_rate`] table.
    pub fn to_usd(&self) -> f64 {
        self.amount * self.currency.usd_rate()
    }
}

impl fmt::Display for Price {
    /// `$399.00`, `¥300.00`, `JP¥500`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let decimals = if self.currency == Currency::Jpy { 0 } else { 2 };
        write!(f, "{}{:.*}", self.currency.symbol(), decimals, self.amount)
    }
}

/// Why a price string could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot parse price {input:?}: {reason}")]
pub struct PriceError {
    /// The offending input.
    pub input: String,
    /// What was wrong with it.
    pub reason: &'static str,
}

/// Parses a price, assuming US dollars when no currency is written. See the module docs.
pub fn parse_price(input: &str) -> Result<Option<Price>, PriceError> {
    parse_price_in(input, Currency::Usd)
}

/// Parses a price, assuming `default` when no currency is written. See the module docs.
pub fn parse_price_in(input: &str, default: Currency) -> Result<Option<Price>, PriceError> {
    let err = |reason| PriceError {
        input: input.to_string(),
        reason,
    };
    let s = input.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let (prefix, rest) = strip_prefix_marker(s);
    let rest = rest.trim_start();
    if rest.starts_with('-') {
        return Err(err("negative amount"));
    }
    let number_end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == ',' || c == '.'))
        .unwrap_or(rest.len());
    let (number, tail) = rest.split_at(number_end);
    if number.is_empty() {
        return Err(err("no number"));
    }
    let tail = tail.trim();
    let suffix = if tail.is_empty() {
        None
    } else {
        Some(suffix_marker(tail).ok_or_else(|| err("unexpected text after the number"))?)
    };
    let currency = match (prefix, suffix) {
        (Some(a), Some(b)) if a != b => return Err(err("conflicting currency markers")),
        (Some(c), _) | (None, Some(c)) => c,
        (None, None) => default,
    };
    let amount = parse_amount(number).ok_or_else(|| err("malformed number"))?;
    Ok(Some(Price { amount, currency }))
}

/// Where a currency marker stands next to the amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// `$100`, `USD 100`.
    Before,
    /// `100 dollars`, `100元`.
    After,
    /// Either side: codes like `usd` and `€`.
    Either,
}

/// Every currency marker daogou reads in prices and requests, lower-case. Markers that may
/// stand before an amount come longest first, so `US$` wins over `$`.
const MARKERS: &[(&str, Currency, Place)] = &[
    ("us$", Currency::Usd, Place::Before),
    ("cn¥", Currency::Cny, Place::Before),
    ("jp¥", Currency::Jpy, Place::Before),
    ("usd", Currency::Usd, Place::Either),
    ("rmb", Currency::Cny, Place::Either),
    ("cny", Currency::Cny, Place::Either),
    ("eur", Currency::Eur, Place::Either),
    ("gbp", Currency::Gbp, Place::Either),
    ("jpy", Currency::Jpy, Place::Either),
    ("$", Currency::Usd, Place::Before),
    ("¥", Currency::Cny, Place::Before),
    ("￥", Currency::Cny, Place::Before),
    ("€", Currency::Eur, Place::Either),
    ("£", Currency::Gbp, Place::Before),
    ("dollar", Currency::Usd, Place::After),
    ("dollars", Currency::Usd, Place::After),
    ("bucks", Currency::Usd, Place::After),
    ("美元", Currency::Usd, Place::After),
    ("美金", Currency::Usd, Place::After),
    ("yuan", Currency::Cny, Place::After),
    ("kuai", Currency::Cny, Place::After),
    ("元", Currency::Cny, Place::After),
    ("块", Currency::Cny, Place::After),
    ("块钱", Currency::Cny, Place::After),
    ("人民币", Currency::Cny, Place::After),
    ("euro", Currency::Eur, Place::After),
    ("euros", Currency::Eur, Place::After),
    ("欧元", Currency::Eur, Place::After),
    ("quid", Currency::Gbp, Place::After),
    ("英镑", Currency::Gbp, Place::After),
    ("yen", Currency::Jpy, Place::After),
    ("円", Currency::Jpy, Place::After),
    ("日元", Currency::Jpy, Place::After),
];

/// The currency a marker names (`$`, `usd`, `元`, `欧元`, ...; any case), wherever it stands.
pub fn currency_of_marker(marker: &str) -> Option<Currency> {
    let marker = marker.trim();
    MARKERS
        .iter()
        .find(|(m, _, _)| marker.eq_ignore_ascii_case(m))
        .map(|(_, c, _)| *c)
}

fn strip_prefix_marker(s: &str) -> (Option<Currency>, &str) {
    let before = MARKERS
        .iter()
        .filter(|(_, _, place)| *place != Place::After);
    for (marker, currency, _) in before {
        if let Some(head) = s.get(..marker.len()) {
            if head.eq_ignore_ascii_case(marker) {
                return (Some(*currency), &s[marker.len()..]);
            }
        }
    }
    (None, s)
}

fn suffix_marker(tail: &str) -> Option<Currency> {
    MARKERS
        .iter()
        .filter(|(_, _, place)| *place != Place::Before)
        .find(|(marker, _, _)| tail.eq_ignore_ascii_case(marker))
        .map(|(_, c, _)| *c)
}

/// Parses a number made of ASCII digits, `,` and `.` following the separator rules in the
/// module docs. Returns `None` for anything else (including a leading or trailing separator).
pub fn parse_amount(number: &str) -> Option<f64> {
    let bytes = number.as_bytes();
    if !bytes.first()?.is_ascii_digit() || !bytes.last()?.is_ascii_digit() {
        return None;
    }
    if !bytes
        .iter()
        .all(|b| b.is_ascii_digit() || *b == b',' || *b == b'.')
    {
        return None;
    }
    let commas = number.matches(',').count();
    let dots = number.matches('.').count();
    let (integer, fraction) = match (commas, dots) {
        (0, 0) => (number.to_string(), ""),
        (_, 0) if commas == 1 && !is_thousands_grouped(number, ',') => split_decimal(number, ',')?,
        (_, 0) => (ungroup(number, ',')?, ""),
        (0, 1) => split_decimal(number, '.')?,
        (0, _) => (ungroup(number, '.')?, ""),
        _ => {
            let comma_last = number.rfind(',') > number.rfind('.');
            let (decimal, group) = if comma_last { (',', '.') } else { ('.', ',') };
            if number.matches(decimal).count() != 1 {
                return None;
            }
            let (int_part, frac_part) = number.split_once(decimal)?;
            (ungroup(int_part, group)?, frac_part)
        }
    };
    let value: f64 = if fraction.is_empty() {
        integer.parse().ok()?
    } else {
        format!("{integer}.{fraction}").parse().ok()?
    };
    value.is_finite().then_some(value)
}

/// `1,299` or `12,345,678`: first group 1-3 digits, then groups of exactly 3.
fn is_thousands_grouped(number: &str, sep: char) -> bool {
    let mut groups = number.split(sep);
    let first_ok = groups
        .next()
        .is_some_and(|g| (1..=3).contains(&g.len()) && g.bytes().all(|b| b.is_ascii_digit()));
    first_ok && groups.all(|g| g.len() == 3 && g.bytes().all(|b| b.is_ascii_digit()))
}

fn ungroup(number: &str, sep: char) -> Option<String> {
    is_thousands_grouped(number, sep).then(|| number.replace(sep, ""))
}

fn split_decimal(number: &str, sep: char) -> Option<(String, &str)> {
    let (int_part, frac_part) = number.split_once(sep)?;
    if int_part.is_empty() || frac_part.is_empty() {
        return None;
    }
    Some((int_part.to_string(), frac_part))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Option<Price> {
        parse_price(s).expect(s)
    }

    #[test]
    fn formats_from_the_brief() {
        assert_eq!(p("$399.00"), Some(Price::usd(399.0)));
        assert_eq!(p("399"), Some(Price::usd(399.0)));
        assert_eq!(p("1,299.99"), Some(Price::usd(1299.99)));
        assert_eq!(p("$1.299,99"), Some(Price::usd(1299.99)));
        assert_eq!(p("$2,499.00"), Some(Price::usd(2499.0)));
        let cny = p("¥300").unwrap();
        assert_eq!((cny.amount, cny.currency), (300.0, Currency::Cny));
        assert_eq!(p("€20").unwrap().currency, Currency::Eur);
        assert_eq!(p("£15").unwrap().currency, Currency::Gbp);
        assert_eq!(p("15 USD"), Some(Price::usd(15.0)));
        assert_eq!(p("  "), None);
        assert_eq!(p(""), None);
        let gbp = p("69.71 gbp").unwrap();
        assert_eq!((gbp.amount, gbp.currency), (69.71, Currency::Gbp));
        assert_eq!(p("300元").unwrap().currency, Currency::Cny);
        assert_eq!(p("JPY 500").unwrap().currency, Currency::Jpy);
    }

    #[test]
    fn separators() {
        assert_eq!(parse_amount("1,299"), Some(1299.0));
        assert_eq!(parse_amount("12,345,678"), Some(12_345_678.0));
        assert_eq!(parse_amount("20,5"), Some(20.5));
        assert_eq!(parse_amount("12,99"), Some(12.99));
        assert_eq!(parse_amount("1.299"), Some(1.299));
        assert_eq!(parse_amount("1.299.000"), Some(1_299_000.0));
        assert_eq!(parse_amount("1.299.000,5"), Some(1_299_000.5));
        assert_eq!(parse_amount("1,2,3"), None);
        assert_eq!(parse_amount("1.2.3"), None);
        assert_eq!(parse_amount("1,299.99.5"), None);
        assert_eq!(parse_amount(".99"), None);
        assert_eq!(parse_amount("99."), None);
    }

    #[test]
    fn garbage_is_an_error() {
        for bad in [
            "free",
            "$",
            "abc",
            "-5",
            "$-5",
            "12 apples",
            "$5 EUR",
            "1,2,3",
            "Call us",
            "∞",
            "5..0",
        ] {
            assert!(parse_price(bad).is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn display_and_conversion() {
        assert_eq!(Price::usd(5.0).to_string(), "$5.00");
        let cny = Price {
            amount: 100.0,
            currency: Currency::Cny,
        };
        assert_eq!(cny.to_string(), "¥100.00");
        assert!((cny.to_usd() - 14.0).abs() < 1e-9);
    }
}
