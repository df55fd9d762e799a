//! Opt-in storage of shopper histories (personal data) in the catalog database, for
//! `daogou serve --store-histories`.
//!
//! Table `histories(user_id, seq, event_json)`, primary key `(user_id, seq)`: one row per
//! event, `seq` its position in the history, `event_json` the [`HistoryEvent`] as JSON. The
//! table is created only when a [`HistoryStore`] is opened, so a database never used with
//! the option holds no such table. Every write is one transaction: a replaced history is
//! either entirely the old or entirely the new one.
//!
//! Deleted histories do not linger in the file: the connection runs with SQLite's
//! `secure_delete` (freed pages are zeroed), and [`HistoryStore::delete_user`] checkpoints
//! and truncates the write-ahead log, so neither the database nor its log keeps the
//! deleted events (unless another connection is reading at that moment, which postpones
//! the checkpoint to the next one).
//!
//! [`HistoryStorage`] is what the server uses; [`PgHistoryStore`](crate::postgres::PgHistoryStore)
//! keeps the same rows in PostgreSQL next to a catalog stored there.

use std::path::Path;

use rusqlite::params;
use serde::Serialize;

use crate::history::HistoryEvent;
use crate::store::{Store, StoreError};

/// What [`HistoryStore::delete_user`] removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct UserDeletion {
    /// History events deleted.
    pub history_events: usize,
}

/// Stored shopper histories, whatever the database.
pub trait HistoryStorage {
    /// Replaces the user's history with `events` (an empty slice deletes it); returns the
    /// number of events stored.
    fn replace(&mut self, user_id: &str, events: &[HistoryEvent]) -> Result<usize, StoreError>;

    /// The user's history in its order; empty when nothing is stored.
    fn history(&mut self, user_id: &str) -> Result<Vec<HistoryEvent>, StoreError>;

    /// Deletes everything stored about the user, so that the database's files no longer
    /// hold it; says what it deleted.
    fn delete_user(&mut self, user_id: &str) -> Result<UserDeletion, StoreError>;
}

/// Each event as the JSON a history row keeps.
pub(crate) fn event_rows(events: &[HistoryEvent]) -> Result<Vec<String>, StoreError> {
    events
        .iter()
        .map(|e| serde_json::to_string(e).map_err(|e| StoreError::Corrupt(e.to_string())))
        .collect()
}

/// An event decoded from its row.
pub(crate) fn decode_event(json: &str) -> Result<HistoryEvent, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt(format!("history row: {e}")))
}

/// Shopper histories, keyed by user id, in a catalog database.
pub struct HistoryStore {
    store: Store,
}

impl HistoryStore {
    /// Opens (creating if needed) the database at `path` and its `histories` table.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let mut store = Store::open(path)?;
        store
            .connection()
            .execute_batch(
                "PRAGMA secure_delete = ON;
                 CREATE TABLE IF NOT EXISTS histories (
                     user_id TEXT NOT NULL,
                     seq INTEGER NOT NULL,
                     event_json TEXT NOT NULL,
                     PRIMARY KEY (user_id, seq)) WITHOUT ROWID;",
            )
            .map_err(|e| store.error(e))?;
        Ok(Self { store })
    }
}

impl HistoryStorage for HistoryStore {
    fn replace(&mut self, user_id: &str, events: &[HistoryEvent]) -> Result<usize, StoreError> {
        let rows = event_rows(events)?;
        let result = (|| {
            let tx = self.store.connection().transaction()?;
            tx.execute("DELETE FROM histories WHERE user_id = ?1", [user_id])?;
            {
                let mut insert = tx.prepare_cached(
                    "INSERT INTO histories (user_id, seq, event_json) VALUES (?1, ?2, ?3)",
                )?;
                for (seq, json) in rows.iter().enumerate() {
                    insert.execute(params![
                        user_id,
                        i64::try_from(seq).unwrap_or(i64::MAX),
                        json
                    ])?;
                }
            }
            tx.commit()
        })();
        result.map_err(|e| self.store.error(e))?;
        Ok(rows.len())
    }

    fn history(&mut self, user_id: &str) -> Result<Vec<HistoryEvent>, StoreError> {
        let rows: rusqlite::Result<Vec<String>> = (|| {
            let mut select = self.store.connection().prepare_cached(
                "SELECT event_json FROM histories WHERE user_id = ?1 ORDER BY seq",
            )?;
            let rows = select.query_map([user_id], |r| r.get::<_, String>(0))?;
            rows.collect()
        })();
        rows.map_err(|e| self.store.error(e))?
            .iter()
            .map(|json| decode_event(json))
            .collect()
    }

    /// Also wipes the deleted events from the write-ahead log.
    fn delete_user(&mut self, user_id: &str) -> Result<UserDeletion, StoreError> {
        let result = (|| {
            let tx = self.store.connection().transaction()?;
            let deleted = tx.execute("DELETE FROM histories WHERE user_id = ?1", [user_id])?;
            tx.commit()?;
            // (busy, log frames, checkpointed frames): busy only while another connection
            // reads; the next checkpoint then finishes the job.
            self.store
                .connection()
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
            Ok(deleted)
        })();
        let history_events = result.map_err(|e| self.store.error(e))?;
        Ok(UserDeletion { history_events })
    }
}
