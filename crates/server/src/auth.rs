//! The API key that guards write endpoints and personal data (stored histories).
//!
//! Clients present it as `Authorization: Bearer KEY` or `X-Api-Key: KEY`. The key is read
//! from `--api-key-file FILE` or `$DAOGOU_API_KEY`; without one, writes are refused with
//! `403`. The key is never printed: its `Debug` form is redacted and the server logs no
//! request headers.

use std::path::Path;
use std::sync::Arc;

use anyhow::{ensure, Context, Result};
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, StatusCode};

use crate::error::ApiError;

/// Environment variable holding the API key.
pub const API_KEY_ENV: &str = "DAOGOU_API_KEY";

/// Header carrying the key as an alternative to `Authorization: Bearer`.
pub const API_KEY_HEADER: &str = "x-api-key";

/// A secret API key.
#[derive(Clone)]
pub struct ApiKey(Arc<str>);

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

impl ApiKey {
    /// A key from its text (surrounding whitespace removed); it must not be empty.
    pub fn new(key: &str) -> Result<Self> {
        let key = key.trim();
        ensure!(!key.is_empty(), "the API key is empty");
        ensure!(
            key.bytes().all(|b| b.is_ascii_graphic()),
            "the API key must be printable ASCII without spaces"
        );
        Ok(Self(key.into()))
    }

    /// Reads the key from a file (its whole content, trimmed).
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the API key file {}", path.display()))?;
        Self::new(&text).with_context(|| format!("API key file {}", path.display()))
    }

    /// The key in `$DAOGOU_API_KEY`, if set and not empty.
    pub fn from_env() -> Result<Option<Self>> {
        match std::env::var(API_KEY_ENV) {
            Ok(value) if !value.trim().is_empty() => Self::new(&value)
                .with_context(|| format!("${API_KEY_ENV}"))
                .map(Some),
            Ok(_) | Err(std::env::VarError::NotPresent) => Ok(None),
            Err(std::env::VarError::NotUnicode(_)) => {
                anyhow::bail!("${API_KEY_ENV} is not valid Unicode")
            }
        }
    }

    /// Compares in time independent of where the first difference is.
    fn matches(&self, presented: &str) -> bool {
        let (a, b) = (self.0.as_bytes(), presented.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

/// Checks that `headers` carry the configured API key `key`: `403` when no key is
/// configured or the key is wrong, `401` when none is sent.
pub fn authorize(headers: &HeaderMap, key: Option<&ApiKey>) -> Result<(), ApiError> {
    let Some(key) = key else {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!(
                "writes and personal data are disabled: no API key is configured; start the \
                 server with --api-key-file FILE or set ${API_KEY_ENV}"
            ),
        ));
    };
    let bearer = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        });
    let header = headers
        .get(API_KEY_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim);
    match bearer.or(header) {
        None => Err(ApiError::unauthorized(
            "this endpoint needs the API key: send \"Authorization: Bearer KEY\" or \
             \"X-Api-Key: KEY\"",
        )),
        Some(presented) if key.matches(presented) => Ok(()),
        Some(_) => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "the API key is not valid",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_trimmed_compared_exactly_and_never_printed() {
        let key = ApiKey::new("  s3cret-key\n").expect("valid key");
        assert!(key.matches("s3cret-key"));
        assert!(!key.matches("s3cret-kez"));
        assert!(!key.matches("s3cret-key2"));
        assert!(!key.matches(""));
        assert!(!format!("{key:?}").contains("s3cret"));
        assert!(ApiKey::new(" \n").is_err());
        assert!(ApiKey::new("two words").is_err());
    }
}
