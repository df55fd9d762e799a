//! Stored shopper histories (`daogou serve --store-histories`): a handle on the
//! [`HistoryStore`] in the data directory's database, or on the [`PgHistoryStore`] beside a
//! catalog stored in PostgreSQL, used from async handlers.
//!
//! Histories are personal data: every endpoint that reads or writes them needs the API key,
//! nothing about them is ever logged (no user ids, events or queries; store errors are
//! logged by kind only), and without `--store-histories` there is no handle, so nothing can
//! be written.

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use anyhow::Context;
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode};
use daogou_catalog::history_store::{HistoryStorage, HistoryStore, UserDeletion};
use daogou_catalog::store::StoreError;
use daogou_catalog::{HistoryEvent, PgHistoryStore};
use daogou_guide::app::CATALOG_DB;

use crate::error::ApiError;

/// Longest user id, in characters.
pub const MAX_USER_ID_CHARS: usize = 128;

/// A shared handle on the history store (cheap to clone).
#[derive(Clone)]
pub struct Histories(Arc<Mutex<Box<dyn HistoryStorage + Send>>>);

impl std::fmt::Debug for Histories {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Histories(..)")
    }
}

impl Histories {
    /// Opens the store in the catalog database of `data_dir` (created if missing), with a
    /// clear error when the directory or the database cannot be written.
    pub fn open_in(data_dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("creating the data directory {}", data_dir.display()))?;
        Self::open(&data_dir.join(CATALOG_DB))
    }

    /// Opens the store in the database at `path`.
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        let store = HistoryStore::open(path)
            .with_context(|| format!("opening the history store in {}", path.display()))?;
        Ok(Self(Arc::new(Mutex::new(Box::new(store)))))
    }

    /// Opens the store in the PostgreSQL database `dsn` (the catalog's).
    pub fn open_postgres(dsn: &str) -> anyhow::Result<Self> {
        let store =
            PgHistoryStore::connect(dsn).context("opening the history store in PostgreSQL")?;
        Ok(Self(Arc::new(Mutex::new(Box::new(store)))))
    }

    /// Replaces a user's history; the number of events stored.
    pub async fn replace(
        &self,
        user: UserId,
        events: Vec<HistoryEvent>,
    ) -> Result<usize, ApiError> {
        self.with(move |store| store.replace(&user.0, &events))
            .await
    }

    /// A user's stored history (empty when nothing is stored).
    pub async fn history(&self, user: UserId) -> Result<Vec<HistoryEvent>, ApiError> {
        self.with(move |store| store.history(&user.0)).await
    }

    /// Deletes everything stored about a user.
    pub async fn delete_user(&self, user: UserId) -> Result<UserDeletion, ApiError> {
        self.with(move |store| store.delete_user(&user.0)).await
    }

    /// Runs `job` on the store on the blocking pool.
    async fn with<T: Send + 'static>(
        &self,
        job: impl FnOnce(&mut dyn HistoryStorage) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let store = Arc::clone(&self.0);
        let joined = tokio::task::spawn_blocking(move || {
            job(store
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .as_mut())
        })
        .await;
        match joined {
            Ok(result) => result.map_err(store_error),
            Err(_) => {
                eprintln!("daogou: a history store job failed");
                Err(ApiError::internal("using the history store"))
            }
        }
    }
}

/// A checked user id: 1 to [`MAX_USER_ID_CHARS`] characters, no control characters, not blank.
#[derive(Clone, PartialEq, Eq)]
pub struct UserId(String);

impl std::fmt::Debug for UserId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UserId(<redacted>)")
    }
}

impl UserId {
    /// Checks a user id (`422` naming the rule it breaks; the id itself is not repeated).
    pub fn new(raw: String) -> Result<Self, ApiError> {
        if raw.trim().is_empty() {
            return Err(ApiError::unprocessable("the user id is empty"));
        }
        let chars = raw.chars().count();
        if chars > MAX_USER_ID_CHARS {
            return Err(ApiError::unprocessable(format!(
                "the user id has {chars} characters, more than the limit of {MAX_USER_ID_CHARS}"
            )));
        }
        if raw.chars().any(char::is_control) {
            return Err(ApiError::unprocessable(
                "the user id contains control characters",
            ));
        }
        Ok(Self(raw))
    }
}

/// The answer to a store failure. Messages name the database and SQLite's reason, never
/// stored data; only the kind of failure is logged.
fn store_error(err: StoreError) -> ApiError {
    match err {
        StoreError::WriteFailed { .. } => {
            eprintln!("daogou: the history store cannot write: disk full or I/O error");
            ApiError::new(StatusCode::INSUFFICIENT_STORAGE, with_causes(&err))
        }
        StoreError::ReadOnly(_) => {
            eprintln!("daogou: the history store is read-only");
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, with_causes(&err))
        }
        StoreError::Corrupt(_) => {
            eprintln!("daogou: a stored history cannot be decoded");
            ApiError::internal("reading a stored history")
        }
        StoreError::Unavailable { .. } => {
            eprintln!("daogou: the history store's database is unreachable");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "the history store's database is unreachable; retry shortly",
            )
            .with_header(RETRY_AFTER, HeaderValue::from_static("5"))
        }
        // The databases' own messages name tables and columns, never values.
        StoreError::Sqlite(_) | StoreError::CannotOpen { .. } | StoreError::Postgres(_) => {
            eprintln!("daogou: the history store failed: {err}");
            ApiError::internal("using the history store")
        }
        _ => {
            eprintln!("daogou: the history store failed");
            ApiError::internal("using the history store")
        }
    }
}

/// An error and its causes, `: `-separated.
fn with_causes(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut cause = err.source();
    while let Some(next) = cause {
        text.push_str(": ");
        text.push_str(&next.to_string());
        cause = next.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_ids_are_checked_and_never_printed() {
        let id = UserId::new("shopper@example.com".into()).expect("valid id");
        assert!(!format!("{id:?}").contains("shopper"));
        assert!(UserId::new("  ".into()).is_err());
        assert!(UserId::new("a\nb".into()).is_err());
        assert!(UserId::new("x".repeat(MAX_USER_ID_CHARS + 1)).is_err());
        assert!(UserId::new("用户-42".into()).is_ok());
        assert!(
            UserId::new("用".repeat(MAX_USER_ID_CHARS)).is_ok(),
            "characters, not bytes"
        );
    }
}
