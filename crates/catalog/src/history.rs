//! Shopper histories as data: events and the JSON Lines reader that reports broken lines.

use std::io::BufRead;

use serde::{Deserialize, Serialize};

use crate::import::RowIssue;

/// What the shopper did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// Looked at a product page.
    Viewed,
    /// Put a product in the cart.
    Carted,
    /// Bought a product.
    Bought,
    /// Searched for something.
    Searched,
    /// Reviewed a product (with a 1–5 rating).
    Reviewed,
}

/// One event of a shopper's history (one JSON object per line in history files).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEvent {
    /// Seconds since 1970-01-01 UTC. In files: an integer or an ISO date
    /// (`2026-11-01` or `2026-11-01T10:00:00Z`).
    #[serde(deserialize_with = "timestamp::deserialize")]
    pub timestamp: i64,
    /// What happened.
    #[serde(alias = "event")]
    pub kind: EventKind,
    /// The product, for product events.
    #[serde(default)]
    pub product_id: Option<String>,
    /// The search text, for searches.
    #[serde(default)]
    pub query: Option<String>,
    /// 1–5 stars, for reviews.
    #[serde(default)]
    pub rating: Option<f64>,
}

/// Integer timestamps that are accepted: years -9999 to 9999, as for ISO dates.
pub const TIMESTAMP_RANGE: (i64, i64) = (-377_705_116_800, 253_402_300_799);

/// Reads a JSON Lines history; broken lines are reported with their numbers and skipped.
pub fn read_history(reader: impl BufRead) -> (Vec<HistoryEvent>, Vec<RowIssue>) {
    let mut events = Vec::new();
    let mut issues = Vec::new();
    for (i, line) in reader.split(b'\n').enumerate() {
        let line_no = i + 1;
        let bytes = match line {
            Ok(bytes) => bytes,
            Err(e) => {
                issues.push(RowIssue {
                    line: line_no,
                    reason: format!("unreadable: {e}"),
                });
                break;
            }
        };
        let Ok(text) = std::str::from_utf8(&bytes) else {
            issues.push(RowIssue {
                line: line_no,
                reason: "not valid UTF-8".into(),
            });
            continue;
        };
        if text.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<HistoryEvent>(text) {
            Ok(event) => match event.check() {
                Ok(()) => events.push(event),
                Err(reason) => issues.push(RowIssue {
                    line: line_no,
                    reason,
                }),
            },
            Err(e) => issues.push(RowIssue {
                line: line_no,
                reason: e.to_string(),
            }),
        }
    }
    (events, issues)
}

impl HistoryEvent {
    /// Why the event cannot be used, if it cannot.
    pub fn check(&self) -> std::result::Result<(), String> {
        let blank = |text: &Option<String>| text.as_deref().is_none_or(|t| t.trim().is_empty());
        let (first, last) = TIMESTAMP_RANGE;
        if !(first..=last).contains(&self.timestamp) {
            return Err(format!(
                "timestamp {} is outside the years -9999 to 9999",
                self.timestamp
            ));
        }
        if self.rating.is_some_and(|r| !(1.0..=5.0).contains(&r)) {
            return Err("rating must be between 1 and 5".into());
        }
        match self.kind {
            EventKind::Searched if blank(&self.query) => {
                Err("a search event needs a non-empty \"query\"".into())
            }
            EventKind::Searched => Ok(()),
            _ if blank(&self.product_id) => Err(format!(
                "a {:?} event needs a non-empty \"product_id\"",
                self.kind
            )
            .to_lowercase()),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::read_history;

    fn reasons(lines: &str) -> Vec<String> {
        read_history(lines.as_bytes())
            .1
            .into_iter()
            .map(|issue| format!("{}: {}", issue.line, issue.reason))
            .collect()
    }

    #[test]
    fn events_are_checked_as_the_openapi_document_says() {
        let good = r#"{"timestamp": 1.7e9, "kind": "bought", "product_id": "p1"}
{"timestamp": "2026-11-01", "kind": "searched", "query": "tea", "product_id": ""}
{"timestamp": 0, "kind": "reviewed", "product_id": "p1", "rating": 5}"#;
        assert_eq!(reasons(good), Vec::<String>::new());
        let bad = r#"{"timestamp": 1, "kind": "bought"}
{"timestamp": 1, "kind": "viewed", "product_id": "  "}
{"timestamp": 1, "kind": "searched", "query": ""}
{"timestamp": 1, "kind": "viewed", "product_id": "p1", "rating": 0}
{"timestamp": 1.5, "kind": "viewed", "product_id": "p1"}
{"timestamp": 253402300800, "kind": "viewed", "product_id": "p1"}"#;
        let found = reasons(bad);
        assert_eq!(found.len(), 6, "{found:#?}");
        assert!(
            found[0].contains("needs a non-empty \"product_id\""),
            "{found:?}"
        );
        assert!(found[1].contains("product_id"), "{found:?}");
        assert!(found[2].contains("query"), "{found:?}");
        assert!(found[3].contains("rating"), "{found:?}");
        assert!(found[4].contains("whole seconds"), "{found:?}");
        assert!(found[5].contains("9999"), "{found:?}");
    }
}

mod timestamp {
    //! Integer seconds, or ISO 8601 / RFC 3339 text parsed by jiff: a date
    //! (`2026-11-01`, midnight UTC), a date-time without offset (read as UTC), or a
    //! date-time with `Z` or an offset (`2026-11-01T10:00:00+08:00` is 02:00 UTC).
    //! Impossible dates (`2026-02-31`) are rejected.

    use serde::{de, Deserialize, Deserializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Seconds(serde_json::Number),
        Text(String),
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        match Raw::deserialize(d)? {
            Raw::Seconds(n) => crate::json::integral(&n)
                .and_then(|s| i64::try_from(s).ok())
                .ok_or_else(|| de::Error::custom(format!("timestamp {n} is not whole seconds"))),
            Raw::Text(t) => parse(&t).map_err(de::Error::custom),
        }
    }

    /// Seconds since 1970-01-01 UTC of an ISO date or date-time.
    pub fn parse(text: &str) -> Result<i64, String> {
        let text = text.trim();
        if let Ok(instant) = text.parse::<jiff::Timestamp>() {
            return Ok(instant.as_second());
        }
        let civil = match text.parse::<jiff::civil::DateTime>() {
            Ok(datetime) => Ok(datetime),
            Err(_) => text
                .parse::<jiff::civil::Date>()
                .map(|date| date.to_datetime(jiff::civil::Time::midnight())),
        };
        civil
            .and_then(|datetime| datetime.to_zoned(jiff::tz::TimeZone::UTC))
            .map(|zoned| zoned.timestamp().as_second())
            .map_err(|e| format!("bad timestamp {text:?}: {e}"))
    }

    #[cfg(test)]
    mod tests {
        use super::parse;

        #[test]
        fn iso_dates_parse_to_unix_seconds() {
            assert_eq!(parse("1970-01-01"), Ok(0));
            assert_eq!(parse("2000-03-01T00:00:00Z"), Ok(951_868_800));
            assert_eq!(parse("2026-11-29T02:43:49Z"), Ok(1_795_920_229));
            assert_eq!(parse("2026-11-29T02:43:49"), Ok(1_795_920_229));
            assert!(parse("2026-13-01").is_err());
            assert!(parse("yesterday").is_err());
        }

        #[test]
        fn offsets_are_honoured_and_impossible_dates_rejected() {
            assert_eq!(
                parse("2026-11-01T10:00:00+08:00"),
                parse("2026-11-01T02:00:00Z")
            );
            assert_eq!(
                parse("2026-11-01T10:00:00-05:00"),
                parse("2026-11-01T15:00:00Z")
            );
            let err = parse("2026-02-31").unwrap_err();
            assert!(err.contains("2026-02-31"), "{err}");
            assert!(parse("2026-02-29").is_err(), "2026 is not a leap year");
            assert!(parse("2024-02-29").is_ok());
        }
    }
}
