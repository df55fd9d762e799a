//! SQLite persistence of products and their embeddings.
//!
//! Schema (version [`SCHEMA_VERSION`], recorded in the `meta` table):
//! - `products(seq, id UNIQUE, content_hash, json)`: one row per product, `seq` keeps
//!   first-insertion order, `content_hash` is [`Product::content_hash`];
//! - `embeddings(product_id, model_id, dim, text_hash, vector)`: one row per product and
//!   model; `vector` is `dim` little-endian `f32`s, `text_hash` the SHA-256 of the
//!   [`Product::embedding_text`] it was computed from;
//! - `review_summaries(product_id, model_id, reviews, aspects_json)`: at most one row per
//!   product, its [`ReviewSummary`] (the encoder's model id, the number of reviews read,
//!   the aspect opinions as JSON); deleted with the product.
//!
//! Tables are created on open (`CREATE TABLE IF NOT EXISTS`), so a database written before
//! a table existed gains it without a migration; the version changes only when an existing
//! table changes. A database opened read-only that predates a table reads it as empty.
//!
//! [`Store::upsert`] writes in batches; each batch (its products and their embeddings) is
//! one transaction, so a killed import leaves every product either entirely old or entirely
//! new, never a product without the embedding of its current text. Running the import
//! again continues where it stopped: only products whose embedding text changed (or that
//! have no vector for this model) are embedded again.

use crate::backend::{
    decode_product, decode_review_summary, upsert, CatalogStore, Pending, UpsertTarget, Writes,
};
use crate::embed::TextEmbedder;
use crate::product::Product;
use crate::reviews::ReviewSummary;
use rusqlite::{params, Connection, ErrorCode, OpenFlags, OptionalExtension};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Version of the schema this code writes and reads.
pub const SCHEMA_VERSION: i64 = 1;

/// Store errors.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The directory that should hold the database does not exist.
    #[error("directory {0:?} does not exist; create it first")]
    MissingDirectory(PathBuf),
    /// The database (or its directory) cannot be written.
    #[error("database {0:?} is read-only (check file and directory permissions)")]
    ReadOnly(PathBuf),
    /// SQLite could not open the file.
    #[error("cannot open database {path:?}: {source}")]
    CannotOpen {
        /// The database path.
        path: PathBuf,
        /// What SQLite said.
        source: rusqlite::Error,
    },
    /// The database was written by a newer (or unknown) schema.
    #[error(
        "database schema version {found} is not supported (this build reads {SCHEMA_VERSION})"
    )]
    UnsupportedSchema {
        /// The version found in `meta`.
        found: String,
    },
    /// The embedder failed.
    #[error("embedding failed: {0}")]
    Embedder(crate::embed::EmbedError),
    /// The embedder returned vectors of the wrong number or shape.
    #[error("embedder {model_id:?} returned {problem}")]
    BadEmbedding {
        /// The embedder.
        model_id: String,
        /// What was wrong.
        problem: String,
    },
    /// The same id appears twice in one upsert.
    #[error("product id {0:?} appears twice in the input")]
    DuplicateId(String),
    /// A product id that the catalog does not have.
    #[error("product id {0:?} is not in the catalog; import the product first")]
    UnknownProduct(String),
    /// Stored data cannot be decoded.
    #[error("corrupt store: {0}")]
    Corrupt(String),
    /// A write failed for lack of space or an I/O error.
    #[error(
        "cannot write database {path:?}: the disk may be full, a file size limit reached or \
         the disk failing; free some space and retry (committed data is intact)"
    )]
    WriteFailed {
        /// The database path.
        path: PathBuf,
        /// What SQLite said.
        source: rusqlite::Error,
    },
    /// Any other SQLite error.
    #[error("sqlite: {0}")]
    Sqlite(rusqlite::Error),
    /// A catalog location that cannot be parsed.
    #[error("invalid catalog location {location:?}: {reason}")]
    InvalidLocation {
        /// The location, without its password.
        location: String,
        /// What is wrong with it.
        reason: String,
    },
    /// PostgreSQL refused an operation.
    #[error("postgres: {0}")]
    Postgres(postgres::Error),
    /// No database host answered (or none accepted writes) for as long as we retried.
    #[error("the catalog database is unavailable (retried for {waited:?}): {reason}")]
    Unavailable {
        /// How long we retried.
        waited: std::time::Duration,
        /// The last failure.
        reason: String,
    },
}

/// Progress of [`Store::upsert`], reported after every committed batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpsertProgress {
    /// Products written so far in this call.
    pub written: usize,
    /// Products this call has to write (new or changed, or missing a vector).
    pub to_write: usize,
}

/// What [`Store::upsert`] changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpsertReport {
    /// Ids that were not in the store.
    pub inserted: Vec<String>,
    /// Ids whose content changed.
    pub updated: Vec<String>,
    /// Ids that got a new embedding (new, text changed, or none for this model yet).
    pub embedded: Vec<String>,
    /// Products left untouched.
    pub unchanged: usize,
}

/// All vectors of one model, in product order.
#[derive(Debug, Clone, PartialEq)]
pub struct EmbeddingTable {
    /// The model that produced them.
    pub model_id: String,
    /// Vector length.
    pub dim: usize,
    /// Product ids, one per vector.
    pub ids: Vec<String>,
    /// Row-major `ids.len() x dim` matrix.
    pub vectors: Vec<f32>,
}

impl EmbeddingTable {
    /// The vector of the `i`th product.
    pub fn vector(&self, i: usize) -> Option<&[f32]> {
        self.vectors.get(i * self.dim..(i + 1) * self.dim)
    }
}

/// A catalog database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed) the database at `path`; the directory must exist.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            if !dir.is_dir() {
                return Err(StoreError::MissingDirectory(dir.to_path_buf()));
            }
        }
        let conn = Connection::open(path).map_err(|e| open_error(path, e))?;
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
        };
        store.init()?;
        Ok(store)
    }

    /// Opens an existing database without write access; writes fail with
    /// [`StoreError::ReadOnly`].
    pub fn open_read_only(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(|e| open_error(path, e))?;
        let store = Store {
            conn,
            path: path.to_path_buf(),
        };
        store.check_version()?;
        Ok(store)
    }

    /// A private in-memory database (tests, one-off runs).
    pub fn open_in_memory() -> Result<Self, StoreError> {
        let conn = Connection::open_in_memory().map_err(StoreError::Sqlite)?;
        let mut store = Store {
            conn,
            path: PathBuf::from(":memory:"),
        };
        store.init()?;
        Ok(store)
    }

    fn init(&mut self) -> Result<(), StoreError> {
        let path = self.path.clone();
        let fail = |e| sql_error(&path, e);
        // WAL keeps readers working during an import; NORMAL sync is crash-safe in WAL mode.
        self.conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |_| Ok(()))
            .map_err(fail)?;
        self.conn
            .pragma_update(None, "synchronous", "NORMAL")
            .map_err(fail)?;
        self.conn
            .pragma_update(None, "foreign_keys", "ON")
            .map_err(fail)?;
        let tx = self.conn.transaction().map_err(fail)?;
        tx.execute_batch(
            "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS products (
                 seq INTEGER PRIMARY KEY AUTOINCREMENT,
                 id TEXT NOT NULL UNIQUE,
                 content_hash TEXT NOT NULL,
                 json TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS embeddings (
                 product_id TEXT NOT NULL REFERENCES products(id) ON DELETE CASCADE,
                 model_id TEXT NOT NULL,
                 dim INTEGER NOT NULL,
                 text_hash TEXT NOT NULL,
                 vector BLOB NOT NULL,
                 PRIMARY KEY (product_id, model_id));
             CREATE TABLE IF NOT EXISTS review_summaries (
                 product_id TEXT PRIMARY KEY REFERENCES products(id) ON DELETE CASCADE,
                 model_id TEXT NOT NULL,
                 reviews INTEGER NOT NULL,
                 aspects_json TEXT NOT NULL);
             INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', '1');
             INSERT OR IGNORE INTO meta (key, value) VALUES ('catalog_version', '0');",
        )
        .map_err(fail)?;
        tx.execute_batch(&version_triggers()).map_err(fail)?;
        tx.commit().map_err(fail)?;
        self.check_version()
    }

    fn check_version(&self) -> Result<(), StoreError> {
        let found: Option<String> = self
            .conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'schema_version'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| sql_error(&self.path, e))?;
        match found {
            Some(v) if v == SCHEMA_VERSION.to_string() => Ok(()),
            Some(found) => Err(StoreError::UnsupportedSchema { found }),
            None => Err(StoreError::UnsupportedSchema {
                found: "none".into(),
            }),
        }
    }

    /// The schema version recorded in the database.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        self.conn
            .query_row(
                "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'schema_version'",
                [],
                |r| r.get(0),
            )
            .map_err(|e| sql_error(&self.path, e))
    }

    /// Whether the database has a table of this name.
    fn has_table(&self, name: &str) -> Result<bool, StoreError> {
        self.conn
            .query_row(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
                [name],
                |_| Ok(()),
            )
            .optional()
            .map(|found| found.is_some())
            .map_err(|e| sql_error(&self.path, e))
    }

    /// Checks the database file (SQLite's `integrity_check`) and that every product has
    /// at least one embedding: what a crash or a kill must never break.
    pub fn check_integrity(&self) -> Result<(), StoreError> {
        let fail = |e| sql_error(&self.path, e);
        let verdict: String = self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .map_err(fail)?;
        if verdict != "ok" {
            return Err(StoreError::Corrupt(format!("integrity check: {verdict}")));
        }
        let unembedded: i64 = self
            .conn
            .query_row(
                "SELECT COUNT(*) FROM products p
                 WHERE NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.product_id = p.id)",
                [],
                |r| r.get(0),
            )
            .map_err(fail)?;
        if unembedded > 0 {
            return Err(StoreError::Corrupt(format!(
                "{unembedded} products have no embedding"
            )));
        }
        Ok(())
    }

    /// The connection, for tables other modules of this crate keep in the same database
    /// ([`crate::history_store`]).
    pub(crate) fn connection(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// An SQLite error of this database as a [`StoreError`].
    pub(crate) fn error(&self, e: rusqlite::Error) -> StoreError {
        sql_error(&self.path, e)
    }
}

impl CatalogStore for Store {
    fn len(&self) -> Result<usize, StoreError> {
        let n: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM products", [], |r| r.get(0))
            .map_err(|e| sql_error(&self.path, e))?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    fn products(&self) -> Result<Vec<Product>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT json FROM products ORDER BY seq")
            .map_err(|e| sql_error(&self.path, e))?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(|e| sql_error(&self.path, e))?;
        let mut out = Vec::new();
        for json in rows {
            let json = json.map_err(|e| sql_error(&self.path, e))?;
            out.push(decode_product(&json)?);
        }
        Ok(out)
    }

    fn product(&self, id: &str) -> Result<Option<Product>, StoreError> {
        let json: Option<String> = self
            .conn
            .query_row("SELECT json FROM products WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| sql_error(&self.path, e))?;
        json.map(|j| decode_product(&j)).transpose()
    }

    fn embeddings(&self, model_id: &str) -> Result<EmbeddingTable, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT e.product_id, e.dim, e.vector FROM embeddings e
                 JOIN products p ON p.id = e.product_id
                 WHERE e.model_id = ?1 ORDER BY p.seq",
            )
            .map_err(|e| sql_error(&self.path, e))?;
        let rows = stmt
            .query_map([model_id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, Vec<u8>>(2)?,
                ))
            })
            .map_err(|e| sql_error(&self.path, e))?;
        let mut table = EmbeddingTable {
            model_id: model_id.to_string(),
            dim: 0,
            ids: Vec::new(),
            vectors: Vec::new(),
        };
        for row in rows {
            let (id, dim, blob) = row.map_err(|e| sql_error(&self.path, e))?;
            let dim = usize::try_from(dim)
                .map_err(|_| StoreError::Corrupt(format!("negative dim for {id:?}")))?;
            if table.ids.is_empty() {
                table.dim = dim;
            }
            if dim != table.dim || blob.len() != dim * 4 {
                return Err(StoreError::Corrupt(format!(
                    "vector of {id:?} has {} bytes, dim {dim}, expected dim {}",
                    blob.len(),
                    table.dim
                )));
            }
            table.vectors.extend(
                blob.chunks_exact(4)
                    .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            );
            table.ids.push(id);
        }
        Ok(table)
    }

    fn put_review_summary(
        &mut self,
        product_id: &str,
        summary: &ReviewSummary,
    ) -> Result<(), StoreError> {
        let aspects = serde_json::to_string(&summary.aspects)
            .map_err(|e| StoreError::Corrupt(format!("review summary: {e}")))?;
        let reviews = i64::try_from(summary.reviews).unwrap_or(i64::MAX);
        let path = self.path.clone();
        let fail = |e| sql_error(&path, e);
        let tx = self.conn.transaction().map_err(fail)?;
        let known = tx
            .query_row("SELECT 1 FROM products WHERE id = ?1", [product_id], |_| {
                Ok(())
            })
            .optional()
            .map_err(fail)?;
        if known.is_none() {
            return Err(StoreError::UnknownProduct(product_id.to_string()));
        }
        tx.execute(
            "INSERT OR REPLACE INTO review_summaries (product_id, model_id, reviews, aspects_json)
             VALUES (?1, ?2, ?3, ?4)",
            params![product_id, summary.model_id, reviews, aspects],
        )
        .map_err(fail)?;
        tx.commit().map_err(fail)
    }

    fn review_summaries(&self) -> Result<HashMap<String, ReviewSummary>, StoreError> {
        let fail = |e| sql_error(&self.path, e);
        if !self.has_table("review_summaries")? {
            return Ok(HashMap::new());
        }
        let mut stmt = self
            .conn
            .prepare("SELECT product_id, model_id, reviews, aspects_json FROM review_summaries")
            .map_err(fail)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })
            .map_err(fail)?;
        let mut out = HashMap::new();
        for row in rows {
            let (id, model_id, reviews, json) = row.map_err(fail)?;
            let summary = decode_review_summary(&id, model_id, reviews, &json)?;
            out.insert(id, summary);
        }
        Ok(out)
    }

    fn upsert(
        &mut self,
        products: &[Product],
        embedder: &dyn TextEmbedder,
        progress: &mut dyn FnMut(UpsertProgress),
    ) -> Result<UpsertReport, StoreError> {
        upsert(
            self,
            products,
            embedder,
            progress,
            Writes::ProductsAndVectors,
        )
    }

    fn embed_missing(
        &mut self,
        products: &[Product],
        embedder: &dyn TextEmbedder,
        progress: &mut dyn FnMut(UpsertProgress),
    ) -> Result<UpsertReport, StoreError> {
        upsert(self, products, embedder, progress, Writes::VectorsOnly)
    }

    fn version(&self) -> Result<i64, StoreError> {
        let version: Option<i64> = self
            .conn
            .query_row(
                "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'catalog_version'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| sql_error(&self.path, e))?;
        // A read-only database written before the counter existed: it never changes here.
        Ok(version.unwrap_or(0))
    }

    fn delete(&mut self, ids: &[&str]) -> Result<usize, StoreError> {
        let path = self.path.clone();
        let fail = |e| sql_error(&path, e);
        let tx = self.conn.transaction().map_err(fail)?;
        let mut deleted = 0;
        for id in ids {
            deleted += tx
                .execute("DELETE FROM products WHERE id = ?1", [id])
                .map_err(fail)?;
        }
        tx.commit().map_err(fail)?;
        Ok(deleted)
    }
}

impl UpsertTarget for Store {
    fn check_dim(&self, model_id: &str, dim: usize) -> Result<(), StoreError> {
        let stored: Option<i64> = self
            .conn
            .query_row(
                "SELECT dim FROM embeddings WHERE model_id = ?1 AND dim != ?2 LIMIT 1",
                params![model_id, i64::try_from(dim).unwrap_or(i64::MAX)],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| sql_error(&self.path, e))?;
        match stored {
            Some(old) => Err(StoreError::BadEmbedding {
                model_id: model_id.to_string(),
                problem: format!("dim {dim}, but the store holds its vectors with dim {old}"),
            }),
            None => Ok(()),
        }
    }

    fn existing(
        &self,
        model_id: &str,
    ) -> Result<HashMap<String, (String, Option<String>)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT p.id, p.content_hash, e.text_hash FROM products p
                 LEFT JOIN embeddings e ON e.product_id = p.id AND e.model_id = ?1",
            )
            .map_err(|e| sql_error(&self.path, e))?;
        let rows = stmt
            .query_map([model_id], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))
            .map_err(|e| sql_error(&self.path, e))?;
        rows.collect::<Result<_, _>>()
            .map_err(|e| sql_error(&self.path, e))
    }

    fn write_batch(
        &mut self,
        batch: &[Pending<'_>],
        vectors: &[Vec<f32>],
        model_id: &str,
        dim: usize,
    ) -> Result<(), StoreError> {
        let path = self.path.clone();
        let fail = |e| sql_error(&path, e);
        let tx = self.conn.transaction().map_err(fail)?;
        {
            let mut put_product = tx
                .prepare_cached(
                    "INSERT INTO products (id, content_hash, json) VALUES (?1, ?2, ?3)
                     ON CONFLICT(id) DO UPDATE SET
                        content_hash = excluded.content_hash, json = excluded.json",
                )
                .map_err(fail)?;
            let mut put_vector = tx
                .prepare_cached(
                    // Only while the product has the content the vector was computed for.
                    "INSERT OR REPLACE INTO embeddings
                        (product_id, model_id, dim, text_hash, vector)
                     SELECT ?1, ?2, ?3, ?4, ?5 FROM products WHERE id = ?1 AND content_hash = ?6",
                )
                .map_err(fail)?;
            let mut vectors = vectors.iter();
            for pending in batch {
                let json = serde_json::to_string(pending.product)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                if pending.write_product {
                    put_product
                        .execute(params![pending.product.id, pending.content_hash, json])
                        .map_err(fail)?;
                }
                if pending.needs_vector {
                    let vector = vectors.next().ok_or_else(|| StoreError::BadEmbedding {
                        model_id: model_id.to_string(),
                        problem: "too few vectors".into(),
                    })?;
                    let blob: Vec<u8> = vector.iter().flat_map(|x| x.to_le_bytes()).collect();
                    put_vector
                        .execute(params![
                            pending.product.id,
                            model_id,
                            i64::try_from(dim).unwrap_or(i64::MAX),
                            pending.text_hash,
                            blob,
                            pending.content_hash
                        ])
                        .map_err(fail)?;
                }
            }
        }
        tx.commit().map_err(fail)
    }
}

/// Triggers that raise `meta.catalog_version` on every write to a catalog table.
fn version_triggers() -> String {
    let mut sql = String::new();
    for table in ["products", "embeddings", "review_summaries"] {
        for event in ["INSERT", "UPDATE", "DELETE"] {
            sql.push_str(&format!(
                "CREATE TRIGGER IF NOT EXISTS {table}_{event}_version AFTER {event} ON {table}
                 BEGIN
                     UPDATE meta SET value = CAST(value AS INTEGER) + 1
                     WHERE key = 'catalog_version';
                 END;\n",
                event = event.to_lowercase()
            ));
        }
    }
    sql
}

fn is_read_only(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.code == ErrorCode::ReadOnly)
}

/// Out of space (`SQLITE_FULL`), or an I/O error while writing, syncing or growing a file
/// (what `EFBIG` from a file size limit and `ENOSPC` in the middle of a write become).
fn is_write_failure(e: &rusqlite::Error) -> bool {
    use rusqlite::ffi;
    let rusqlite::Error::SqliteFailure(f, _) = e else {
        return false;
    };
    f.code == ErrorCode::DiskFull
        || [
            ffi::SQLITE_IOERR_WRITE,
            ffi::SQLITE_IOERR_FSYNC,
            ffi::SQLITE_IOERR_DIR_FSYNC,
            ffi::SQLITE_IOERR_TRUNCATE,
            ffi::SQLITE_IOERR_SHMSIZE,
        ]
        .contains(&f.extended_code)
}

fn sql_error(path: &Path, e: rusqlite::Error) -> StoreError {
    if is_read_only(&e) {
        StoreError::ReadOnly(path.to_path_buf())
    } else if is_write_failure(&e) {
        StoreError::WriteFailed {
            path: path.to_path_buf(),
            source: e,
        }
    } else if matches!(&e, rusqlite::Error::SqliteFailure(f, _) if f.code == ErrorCode::CannotOpen)
    {
        open_error(path, e)
    } else {
        StoreError::Sqlite(e)
    }
}

fn open_error(path: &Path, e: rusqlite::Error) -> StoreError {
    let dir_read_only = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .and_then(|d| std::fs::metadata(d).ok())
        .is_some_and(|m| m.permissions().readonly());
    if is_read_only(&e) || dir_read_only {
        return StoreError::ReadOnly(path.to_path_buf());
    }
    StoreError::CannotOpen {
        path: path.to_path_buf(),
        source: e,
    }
}
