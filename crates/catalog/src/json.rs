//! JSON values read as JSON Schema defines them, so that an OpenAPI document of what the
//! readers accept can be exact: integers may be written `3.0`, and text must not be blank.

use serde::{de, Deserialize, Deserializer};

/// The characters of Unicode `White_Space`, which Rust's `str::trim` removes, as the body
/// of a regular-expression class.
macro_rules! white_space {
    () => {
        r"\u0009-\u000d\u0020\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
    };
}

/// The characters Rust's `char::is_control` finds (Unicode `Cc`), as a class body.
macro_rules! control {
    () => {
        r"\u0000-\u001f\u007f-\u009f"
    };
}

/// A regular expression (ECMA-262 and Python alike) that text matches when it is not blank
/// as Rust's `str::trim` sees it: it holds a character outside Unicode `White_Space`.
pub const NOT_BLANK: &str = concat!("[^", white_space!(), "]");

/// A regular expression that whole text matches when it is not blank and holds no control
/// character.
pub const NOT_BLANK_NOR_CONTROL: &str = concat!(
    "^[^",
    control!(),
    "]*[^",
    control!(),
    white_space!(),
    "][^",
    control!(),
    "]*$"
);

/// The integer a JSON number is, as JSON Schema counts integers: `3` and `3.0` alike.
pub fn integral(number: &serde_json::Number) -> Option<i128> {
    if let Some(n) = number.as_i64() {
        return Some(n.into());
    }
    if let Some(n) = number.as_u64() {
        return Some(n.into());
    }
    let x = number.as_f64()?;
    // Every f64 of magnitude below 2^127 that has no fraction is an exact i128.
    (x.fract() == 0.0 && x.abs() < 2f64.powi(127)).then_some(x as i128)
}

/// Deserializes an integer field the way JSON Schema reads integers ([`integral`]):
/// `#[serde(deserialize_with = "integer")]`.
pub fn integer<'de, D: Deserializer<'de>, T: TryFrom<i128>>(d: D) -> Result<T, D::Error> {
    let number = serde_json::Number::deserialize(d)?;
    integral(&number)
        .and_then(|n| T::try_from(n).ok())
        .ok_or_else(|| de::Error::custom(format!("{number} is not an integer in range")))
}

/// [`integer`] for an optional field (`null` is `None`).
pub fn optional_integer<'de, D: Deserializer<'de>, T: TryFrom<i128>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    #[derive(Deserialize)]
    struct Wrapped<T: TryFrom<i128>>(#[serde(deserialize_with = "integer")] T);
    Ok(Option::<Wrapped<T>>::deserialize(d)?.map(|Wrapped(n)| n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Body {
        #[serde(default, deserialize_with = "optional_integer")]
        k: Option<u8>,
    }

    fn k(json: &str) -> Result<Option<u8>, String> {
        serde_json::from_str::<Body>(json)
            .map(|b| b.k)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn integers_are_read_as_json_schema_counts_them() {
        assert_eq!(k(r#"{"k": 3}"#), Ok(Some(3)));
        assert_eq!(k(r#"{"k": 3.0}"#), Ok(Some(3)));
        assert_eq!(k(r#"{"k": null}"#), Ok(None));
        assert_eq!(k("{}"), Ok(None));
        assert!(k(r#"{"k": 3.5}"#).is_err());
        assert!(k(r#"{"k": 300}"#).is_err());
        assert!(k(r#"{"k": -1}"#).is_err());
        assert!(k(r#"{"k": "3"}"#).is_err());
    }

    /// The `\\uXXXX` escape at the start of `text`, and the rest.
    fn escape(text: &str) -> Option<(u32, &str)> {
        let hex = text.strip_prefix("\\u")?.get(..4)?;
        Some((u32::from_str_radix(hex, 16).ok()?, &text[6..]))
    }

    #[test]
    fn not_blank_excludes_exactly_what_trim_removes() {
        let mut class = NOT_BLANK
            .strip_prefix("[^")
            .and_then(|c| c.strip_suffix(']'))
            .expect("a negated class");
        let mut ranges = Vec::new();
        while let Some((low, rest)) = escape(class) {
            let (high, rest) = match rest.strip_prefix('-') {
                Some(rest) => escape(rest).expect("a range's end"),
                None => (low, rest),
            };
            ranges.push(low..=high);
            class = rest;
        }
        assert!(class.is_empty(), "unparsed: {class}");
        for c in (0..=0x10ffff).filter_map(char::from_u32) {
            let excluded = ranges.iter().any(|r| r.contains(&(c as u32)));
            assert_eq!(excluded, c.is_whitespace(), "{c:?}");
        }
    }
}
