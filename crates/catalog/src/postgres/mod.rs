//! The catalog in PostgreSQL with pgvector, for catalogs shared by many daogou servers.
//!
//! Schema (migrations in [`MIGRATIONS`], applied in order on connect and recorded in
//! `daogou_migrations`, under an advisory lock so that servers starting together apply
//! each once):
//! - `products(seq, id PRIMARY KEY, content_hash, json)`: `seq` keeps first-insertion order;
//! - `embeddings(product_id, model_id, dim, text_hash, vector)`: `vector` is pgvector's
//!   `vector`, so the values are the same `f32`s the SQLite store keeps;
//! - `review_summaries(product_id, model_id, reviews, aspects_json)`;
//! - `catalog_version(version)`: raised by a trigger on every statement that writes one of
//!   the tables above, so that servers notice a change by reading one row;
//! - what search reads (migration 3, see [`search`]): the filter columns `brand`,
//!   `brand_key`, `category` and `price_usd` of `products`, the keyword postings
//!   `keyword_terms(term, field, product_id, tf)`, the field lengths
//!   `keyword_lengths(product_id, field, tokens, scored_length)`, their totals
//!   `keyword_totals(field, docs, tokens)`, and an HNSW index per model on `embeddings`.
//!
//! The rows are the SQLite store's, so both backends load the same catalog. A connection
//! string may name several hosts (`postgres://user@h1:5432,h2:5432,h3:5432/daogou`): reads
//! and writes go to the one that accepts writes (`target_session_attrs=read-write`), so a
//! server reads what was just written; the replicas stand by. A batch whose connection breaks (the primary killed, a replica promoted)
//! is retried on a fresh connection for up to [`RETRY_FOR`]; every batch is one
//! transaction, so a retried batch is written once.

use std::collections::HashMap;
use std::str::FromStr;
use std::thread::sleep;
use std::time::{Duration, Instant};

use pgvector::Vector;
use postgres::config::{Host, TargetSessionAttrs};
use postgres::error::SqlState;
use postgres::{Client, Config, NoTls};
use r2d2::Pool;
use r2d2_postgres::PostgresConnectionManager;

use crate::backend::{
    decode_product, decode_review_summary, upsert, CatalogStore, Pending, UpsertTarget, Writes,
};
use crate::embed::TextEmbedder;
use crate::history::HistoryEvent;
use crate::history_store::{decode_event, event_rows, HistoryStorage, UserDeletion};
use crate::product::Product;
use crate::reviews::ReviewSummary;
use crate::store::{EmbeddingTable, StoreError, UpsertProgress, UpsertReport};

mod search;

pub use search::{Fetched, Retrieval, Retrieved};

type Manager = PostgresConnectionManager<NoTls>;

/// How long an operation keeps retrying while the database is unreachable or failing over.
pub const RETRY_FOR: Duration = Duration::from_secs(30);

/// How long a connection may go without an answer from its host before it counts as
/// broken (unless the connection string sets `tcp_user_timeout`).
const TCP_USER_TIMEOUT: Duration = Duration::from_secs(10);

/// Connections in the pool.
const POOL_SIZE: u32 = 4;

/// The schema, one migration per version, applied in order.
pub const MIGRATIONS: &[(i32, &str)] = &[
    (
        1,
        "CREATE EXTENSION IF NOT EXISTS vector;
     CREATE TABLE products (
         seq BIGSERIAL UNIQUE,
         id TEXT PRIMARY KEY,
         content_hash TEXT NOT NULL,
         json TEXT NOT NULL);
     CREATE TABLE embeddings (
         product_id TEXT NOT NULL REFERENCES products(id) ON DELETE CASCADE,
         model_id TEXT NOT NULL,
         dim INTEGER NOT NULL,
         text_hash TEXT NOT NULL,
         vector VECTOR NOT NULL,
         PRIMARY KEY (product_id, model_id));
     CREATE TABLE review_summaries (
         product_id TEXT PRIMARY KEY REFERENCES products(id) ON DELETE CASCADE,
         model_id TEXT NOT NULL,
         reviews INTEGER NOT NULL,
         aspects_json TEXT NOT NULL);",
    ),
    (
        2,
        "CREATE TABLE catalog_version (
             id BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (id),
             version BIGINT NOT NULL);
         INSERT INTO catalog_version (version) VALUES (0);
         CREATE FUNCTION daogou_catalog_changed() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
             UPDATE catalog_version SET version = version + 1;
             RETURN NULL;
         END $$;
         CREATE TRIGGER products_changed AFTER INSERT OR UPDATE OR DELETE ON products
             FOR EACH STATEMENT EXECUTE FUNCTION daogou_catalog_changed();
         CREATE TRIGGER embeddings_changed AFTER INSERT OR UPDATE OR DELETE ON embeddings
             FOR EACH STATEMENT EXECUTE FUNCTION daogou_catalog_changed();
         CREATE TRIGGER review_summaries_changed
             AFTER INSERT OR UPDATE OR DELETE ON review_summaries
             FOR EACH STATEMENT EXECUTE FUNCTION daogou_catalog_changed();",
    ),
    (3, search::MIGRATION),
];

/// Key of the advisory lock held while migrating ("daogou" in ASCII).
pub(crate) const MIGRATION_LOCK: i64 = 0x64616f676f75;

/// A catalog database in PostgreSQL (a handle on a connection pool: clones share it).
#[derive(Clone)]
pub struct PgStore {
    writes: Pool<Manager>,
}

impl PgStore {
    /// Connects to `dsn` (one host or several, see the module docs) and applies the
    /// migrations this build has that the database lacks.
    pub fn connect(dsn: &str) -> Result<Self, StoreError> {
        let mut config = Config::from_str(dsn).map_err(|e| StoreError::InvalidLocation {
            location: redact(dsn),
            reason: e.to_string(),
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(5));
        }
        // A host behind a cut network does not close the connection: without these, a
        // query on it would wait for ever. Data unacknowledged for this long, or an idle
        // connection whose probes go unanswered, breaks the connection (and the call is
        // retried elsewhere).
        if config.get_tcp_user_timeout().is_none() {
            config.tcp_user_timeout(TCP_USER_TIMEOUT);
        }
        config.keepalives(true);
        // Two hours is the library's default, i.e. the connection string left it unset.
        if config.get_keepalives_idle() == Duration::from_secs(2 * 60 * 60) {
            config.keepalives_idle(TCP_USER_TIMEOUT);
        }
        config.target_session_attrs(TargetSessionAttrs::ReadWrite);
        let writes = Pool::builder()
            .max_size(POOL_SIZE)
            .min_idle(Some(0))
            .connection_timeout(Duration::from_secs(5))
            .build_unchecked(Manager::new(config, NoTls));
        let store = PgStore { writes };
        store.migrate()?;
        store.make_searchable()?;
        Ok(store)
    }

    /// The newest schema version applied to the database.
    pub fn schema_version(&self) -> Result<i32, StoreError> {
        self.on_primary(|c| {
            let row = c.query_one("SELECT max(version) FROM daogou_migrations", &[])?;
            Ok(row.get::<_, Option<i32>>(0).unwrap_or(0))
        })
    }

    fn migrate(&self) -> Result<(), StoreError> {
        let latest = MIGRATIONS.last().map_or(0, |m| m.0);
        let found = self.on_primary(|c| {
            let mut tx = c.transaction()?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
            tx.batch_execute(
                "CREATE TABLE IF NOT EXISTS daogou_migrations (
                     version INTEGER PRIMARY KEY,
                     applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
            )?;
            let found: i32 = tx
                .query_one("SELECT max(version) FROM daogou_migrations", &[])?
                .get::<_, Option<i32>>(0)
                .unwrap_or(0);
            for (version, sql) in MIGRATIONS.iter().filter(|m| m.0 > found) {
                tx.batch_execute(sql)?;
                tx.execute(
                    "INSERT INTO daogou_migrations (version) VALUES ($1)",
                    &[version],
                )?;
            }
            tx.commit()?;
            Ok(found)
        })?;
        if found > latest {
            return Err(StoreError::UnsupportedSchema {
                found: found.to_string(),
            });
        }
        Ok(())
    }

    /// Runs `job` on a connection to the primary, retrying while there is none. Reads go
    /// there too, so that a server reads what it (or any server) has just written.
    fn on_primary<T>(
        &self,
        job: impl FnMut(&mut Client) -> Result<T, postgres::Error>,
    ) -> Result<T, StoreError> {
        retry(&self.writes, job)
    }
}

/// What one host of a PostgreSQL catalog is doing, as [`probe_hosts`] found it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct HostState {
    /// `host:port`.
    pub host: String,
    /// Its role, or `down`.
    pub role: HostRole,
}

/// A host's role in the cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HostRole {
    /// Accepts writes.
    Primary,
    /// A read-only standby.
    Replica,
    /// Did not answer within a second.
    Down,
}

/// Asks every host `dsn` names whether it is up and which role it has (one connection
/// each, a second at most per host).
pub fn probe_hosts(dsn: &str) -> Result<Vec<HostState>, StoreError> {
    let config = Config::from_str(dsn).map_err(|e| StoreError::InvalidLocation {
        location: redact(dsn),
        reason: e.to_string(),
    })?;
    let ports = config.get_ports();
    Ok(config
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, host)| {
            // One port applies to every host; otherwise there is one per host.
            let port = ports.get(i).or(ports.first()).copied().unwrap_or(5432);
            let name = match host {
                Host::Tcp(name) => format!("{name}:{port}"),
                Host::Unix(path) => format!("{}:{port}", path.display()),
            };
            let mut single = Config::new();
            if let Some(user) = config.get_user() {
                single.user(user);
            }
            if let Some(password) = config.get_password() {
                single.password(password);
            }
            if let Some(dbname) = config.get_dbname() {
                single.dbname(dbname);
            }
            match host {
                Host::Tcp(name) => single.host(name),
                Host::Unix(path) => single.host_path(path),
            };
            single.port(port).connect_timeout(Duration::from_secs(1));
            HostState {
                host: name,
                role: role_of(&single),
            }
        })
        .collect())
}

/// The role of the one host `config` names.
fn role_of(config: &Config) -> HostRole {
    let recovering = config
        .connect(NoTls)
        .and_then(|mut client| client.query_one("SELECT pg_is_in_recovery()", &[]));
    match recovering.map(|row| row.get::<_, bool>(0)) {
        Ok(true) => HostRole::Replica,
        Ok(false) => HostRole::Primary,
        Err(_) => HostRole::Down,
    }
}

/// Runs `job` on a pooled connection until it succeeds, fails for a reason a retry cannot
/// mend, or [`RETRY_FOR`] has passed.
fn retry<T>(
    pool: &Pool<Manager>,
    mut job: impl FnMut(&mut Client) -> Result<T, postgres::Error>,
) -> Result<T, StoreError> {
    let start = Instant::now();
    let mut pause = Duration::from_millis(50);
    loop {
        let reason = match pool.get() {
            Ok(mut client) => match job(&mut client) {
                Ok(value) => return Ok(value),
                Err(e) if is_transient(&e) => e.to_string(),
                Err(e) => return Err(StoreError::Postgres(e)),
            },
            Err(e) => e.to_string(),
        };
        if start.elapsed() >= RETRY_FOR {
            return Err(StoreError::Unavailable {
                waited: start.elapsed(),
                reason,
            });
        }
        sleep(pause);
        pause = (pause * 2).min(Duration::from_secs(1));
    }
}

/// Whether a retry on a fresh connection may succeed: the connection broke, the server is
/// shutting down or starting, the host turned out to be a replica, or the transaction lost
/// a race.
fn is_transient(e: &postgres::Error) -> bool {
    let io = std::error::Error::source(e).is_some_and(|s| s.is::<std::io::Error>());
    if e.is_closed() || io {
        return true;
    }
    e.code().is_some_and(|code| {
        [
            SqlState::ADMIN_SHUTDOWN,
            SqlState::CRASH_SHUTDOWN,
            SqlState::CANNOT_CONNECT_NOW,
            SqlState::READ_ONLY_SQL_TRANSACTION,
            SqlState::T_R_SERIALIZATION_FAILURE,
            SqlState::T_R_DEADLOCK_DETECTED,
        ]
        .contains(code)
    })
}

/// `dsn` without its password (in the user part or as a `password=` parameter), for error
/// messages.
fn redact(dsn: &str) -> String {
    let (base, query) = dsn.split_once('?').unwrap_or((dsn, ""));
    let base = match (base.find("://"), base.find('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let user_info = &base[scheme + 3..at];
            let user = user_info.split(':').next().unwrap_or("");
            format!("{}{user}@{}", &base[..scheme + 3], &base[at + 1..])
        }
        _ => base.to_string(),
    };
    let params: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("password="))
        .collect();
    if params.is_empty() {
        base
    } else {
        format!("{base}?{}", params.join("&"))
    }
}

impl CatalogStore for PgStore {
    fn len(&self) -> Result<usize, StoreError> {
        let n: i64 =
            self.on_primary(|c| Ok(c.query_one("SELECT count(*) FROM products", &[])?.get(0)))?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    fn products(&self) -> Result<Vec<Product>, StoreError> {
        let rows = self.on_primary(|c| c.query("SELECT json FROM products ORDER BY seq", &[]))?;
        rows.iter()
            .map(|r| decode_product(r.get::<_, &str>(0)))
            .collect()
    }

    fn product(&self, id: &str) -> Result<Option<Product>, StoreError> {
        let row =
            self.on_primary(|c| c.query_opt("SELECT json FROM products WHERE id = $1", &[&id]))?;
        row.map(|r| decode_product(r.get::<_, &str>(0))).transpose()
    }

    fn embeddings(&self, model_id: &str) -> Result<EmbeddingTable, StoreError> {
        let rows = self.on_primary(|c| {
            c.query(
                "SELECT e.product_id, e.dim, e.vector FROM embeddings e
                 JOIN products p ON p.id = e.product_id
                 WHERE e.model_id = $1 ORDER BY p.seq",
                &[&model_id],
            )
        })?;
        let count = rows.len();
        let mut table = EmbeddingTable {
            model_id: model_id.to_string(),
            dim: 0,
            ids: Vec::with_capacity(count),
            vectors: Vec::new(),
        };
        for row in rows {
            let id: String = row.get(0);
            let dim = usize::try_from(row.get::<_, i32>(1))
                .map_err(|_| StoreError::Corrupt(format!("negative dim for {id:?}")))?;
            let vector: Vector = row.get(2);
            let values = vector.as_slice();
            if table.ids.is_empty() {
                table.dim = dim;
                table.vectors.reserve(dim * count);
            }
            if dim != table.dim || values.len() != dim {
                return Err(StoreError::Corrupt(format!(
                    "vector of {id:?} has {} values, dim {dim}, expected dim {}",
                    values.len(),
                    table.dim
                )));
            }
            table.vectors.extend_from_slice(values);
            table.ids.push(id);
        }
        Ok(table)
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

    fn delete(&mut self, ids: &[&str]) -> Result<usize, StoreError> {
        let n =
            self.on_primary(|c| c.execute("DELETE FROM products WHERE id = ANY($1)", &[&ids]))?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    fn put_review_summary(
        &mut self,
        product_id: &str,
        summary: &ReviewSummary,
    ) -> Result<(), StoreError> {
        let aspects = serde_json::to_string(&summary.aspects)
            .map_err(|e| StoreError::Corrupt(format!("review summary: {e}")))?;
        let reviews = i32::try_from(summary.reviews).unwrap_or(i32::MAX);
        let written = self.on_primary(|c| {
            c.execute(
                "INSERT INTO review_summaries (product_id, model_id, reviews, aspects_json)
                 SELECT id, $2, $3, $4 FROM products WHERE id = $1
                 ON CONFLICT (product_id) DO UPDATE SET model_id = excluded.model_id,
                     reviews = excluded.reviews, aspects_json = excluded.aspects_json",
                &[&product_id, &summary.model_id, &reviews, &aspects],
            )
        })?;
        if written == 0 {
            return Err(StoreError::UnknownProduct(product_id.to_string()));
        }
        Ok(())
    }

    fn version(&self) -> Result<i64, StoreError> {
        self.on_primary(|c| {
            Ok(c.query_one("SELECT version FROM catalog_version", &[])?
                .get(0))
        })
    }

    fn review_summaries(&self) -> Result<HashMap<String, ReviewSummary>, StoreError> {
        let rows = self.on_primary(|c| {
            c.query(
                "SELECT product_id, model_id, reviews, aspects_json FROM review_summaries",
                &[],
            )
        })?;
        rows.iter()
            .map(|r| {
                let id: String = r.get(0);
                let summary =
                    decode_review_summary(&id, r.get(1), i64::from(r.get::<_, i32>(2)), r.get(3))?;
                Ok((id, summary))
            })
            .collect()
    }
}

impl UpsertTarget for PgStore {
    fn check_dim(&self, model_id: &str, dim: usize) -> Result<(), StoreError> {
        let dim_i32 = i32::try_from(dim).unwrap_or(i32::MAX);
        let stored = self.on_primary(|c| {
            c.query_opt(
                "SELECT dim FROM embeddings WHERE model_id = $1 AND dim != $2 LIMIT 1",
                &[&model_id, &dim_i32],
            )
        })?;
        match stored {
            Some(row) => Err(StoreError::BadEmbedding {
                model_id: model_id.to_string(),
                problem: format!(
                    "dim {dim}, but the store holds its vectors with dim {}",
                    row.get::<_, i32>(0)
                ),
            }),
            None => Ok(()),
        }
    }

    fn finish(&mut self, model_id: &str, dim: usize) -> Result<(), StoreError> {
        self.index_vectors(model_id, dim)
    }

    fn existing(
        &self,
        model_id: &str,
    ) -> Result<HashMap<String, (String, Option<String>)>, StoreError> {
        let rows = self.on_primary(|c| {
            c.query(
                "SELECT p.id, p.content_hash, e.text_hash FROM products p
                 LEFT JOIN embeddings e ON e.product_id = p.id AND e.model_id = $1",
                &[&model_id],
            )
        })?;
        Ok(rows
            .iter()
            .map(|r| (r.get(0), (r.get(1), r.get(2))))
            .collect())
    }

    fn write_batch(
        &mut self,
        batch: &[Pending<'_>],
        vectors: &[Vec<f32>],
        model_id: &str,
        dim: usize,
    ) -> Result<(), StoreError> {
        let mut rows = Vec::with_capacity(batch.len());
        let mut vectors = vectors.iter();
        for pending in batch {
            let json = serde_json::to_string(pending.product)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let vector = if pending.needs_vector {
                let v = vectors.next().ok_or_else(|| StoreError::BadEmbedding {
                    model_id: model_id.to_string(),
                    problem: "too few vectors".into(),
                })?;
                Some(Vector::from(v.clone()))
            } else {
                None
            };
            rows.push((pending, json, vector));
        }
        let dim = i32::try_from(dim).unwrap_or(i32::MAX);
        let written: Vec<&Product> = rows
            .iter()
            .filter(|(p, _, _)| p.write_product)
            .map(|(p, _, _)| p.product)
            .collect();
        let (mut ids, mut hashes, mut jsons) = (vec![], vec![], vec![]);
        for (pending, json, _) in rows.iter().filter(|(p, _, _)| p.write_product) {
            ids.push(pending.product.id.as_str());
            hashes.push(pending.content_hash.as_str());
            jsons.push(json.as_str());
        }
        let (mut v_ids, mut v_text_hashes, mut v_vectors, mut v_hashes) =
            (vec![], vec![], vec![], vec![]);
        for (pending, _, vector) in &rows {
            if let Some(vector) = vector {
                v_ids.push(pending.product.id.as_str());
                v_text_hashes.push(pending.text_hash.as_str());
                v_vectors.push(vector.clone());
                v_hashes.push(pending.content_hash.as_str());
            }
        }
        self.on_primary(|c| {
            let mut tx = c.transaction()?;
            // One statement each for the batch's products and vectors (none when empty: a
            // statement raises the catalog's version); products keep the batch's order
            // (their `seq`).
            if !ids.is_empty() {
                tx.execute(
                    "INSERT INTO products (id, content_hash, json)
                 SELECT id, content_hash, json
                 FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY
                     AS u(id, content_hash, json, n)
                 ORDER BY n
                 ON CONFLICT (id) DO UPDATE SET
                     content_hash = excluded.content_hash, json = excluded.json",
                    &[&ids, &hashes, &jsons],
                )?;
            }
            // Only while the product still has the content the vector was computed for:
            // another server may have changed it since this one read it.
            if !v_ids.is_empty() {
                tx.execute(
                    "INSERT INTO embeddings (product_id, model_id, dim, text_hash, vector)
                 SELECT u.id, $5, $6, u.text_hash, u.vector
                 FROM unnest($1::text[], $2::text[], $3::vector[], $4::text[])
                     AS u(id, text_hash, vector, content_hash)
                 JOIN products p ON p.id = u.id AND p.content_hash = u.content_hash
                 ON CONFLICT (product_id, model_id) DO UPDATE SET dim = excluded.dim,
                     text_hash = excluded.text_hash, vector = excluded.vector",
                    &[
                        &v_ids,
                        &v_text_hashes,
                        &v_vectors,
                        &v_hashes,
                        &model_id,
                        &dim,
                    ],
                )?;
            }
            search::write_search_rows(&mut tx, &written)?;
            tx.commit()
        })
    }
}

/// Shopper histories in PostgreSQL, next to a catalog stored there: the rows of the SQLite
/// [`HistoryStore`](crate::history_store::HistoryStore) (table `histories(user_id, seq,
/// event_json)`, created when first opened, so a database never used for histories has no
/// such table).
///
/// [`delete_user`](HistoryStorage::delete_user) deletes the rows, waits (up to [`RETRY_FOR`])
/// until no older snapshot can still see them, and then rewrites the table (`VACUUM FULL`,
/// replayed by the replicas), so no table file of any node keeps the deleted events. What still holds them until it is recycled: the write-ahead log (segments are
/// reused after checkpoints, within `max_wal_size`), WAL archives and base backups if the
/// operator keeps any, and freed disk blocks below the file system.
pub struct PgHistoryStore {
    store: PgStore,
}

impl PgHistoryStore {
    /// Connects like [`PgStore::connect`] and creates the table if missing.
    pub fn connect(dsn: &str) -> Result<Self, StoreError> {
        let store = PgStore::connect(dsn)?;
        store.on_primary(|c| {
            c.batch_execute(
                "CREATE TABLE IF NOT EXISTS histories (
                     user_id TEXT NOT NULL,
                     seq INTEGER NOT NULL,
                     event_json TEXT NOT NULL,
                     PRIMARY KEY (user_id, seq))",
            )
        })?;
        Ok(Self { store })
    }
}

impl HistoryStorage for PgHistoryStore {
    fn replace(&mut self, user_id: &str, events: &[HistoryEvent]) -> Result<usize, StoreError> {
        let rows = event_rows(events)?;
        self.store.on_primary(|c| {
            let mut tx = c.transaction()?;
            tx.execute("DELETE FROM histories WHERE user_id = $1", &[&user_id])?;
            let insert =
                tx.prepare("INSERT INTO histories (user_id, seq, event_json) VALUES ($1, $2, $3)")?;
            for (seq, json) in rows.iter().enumerate() {
                let seq = i32::try_from(seq).unwrap_or(i32::MAX);
                tx.execute(&insert, &[&user_id, &seq, json])?;
            }
            tx.commit()
        })?;
        Ok(rows.len())
    }

    fn history(&mut self, user_id: &str) -> Result<Vec<HistoryEvent>, StoreError> {
        // From the primary: a shopper reads back what was just written.
        let rows = self.store.on_primary(|c| {
            c.query(
                "SELECT event_json FROM histories WHERE user_id = $1 ORDER BY seq",
                &[&user_id],
            )
        })?;
        rows.iter().map(|r| decode_event(r.get(0))).collect()
    }

    fn delete_user(&mut self, user_id: &str) -> Result<UserDeletion, StoreError> {
        let (deleted, xid) = self.store.on_primary(|c| {
            let mut tx = c.transaction()?;
            let deleted = tx.execute("DELETE FROM histories WHERE user_id = $1", &[&user_id])?;
            let xid: String = tx
                .query_one("SELECT pg_current_xact_id()::xid::text", &[])?
                .get(0);
            tx.commit()?;
            Ok((deleted, xid))
        })?;
        if deleted == 0 {
            return Ok(UserDeletion::default());
        }
        // A snapshot older than the deletion still sees the rows, and VACUUM keeps them for
        // it: wait (boundedly) until none is left, then rewrite the table without them.
        let start = Instant::now();
        while self.store.on_primary(|c| older_snapshots(c, &xid))? && start.elapsed() < RETRY_FOR {
            sleep(Duration::from_millis(100));
        }
        self.store
            .on_primary(|c| c.batch_execute("VACUUM FULL histories"))?;
        Ok(UserDeletion {
            history_events: usize::try_from(deleted).unwrap_or(usize::MAX),
        })
    }
}

/// Whether another session, a replication slot or a prepared transaction still holds a
/// snapshot (or transaction) as old as transaction `xid`.
fn older_snapshots(client: &mut Client, xid: &str) -> Result<bool, postgres::Error> {
    let row = client.query_one(
        "SELECT EXISTS (
             SELECT 1 FROM pg_stat_activity WHERE pid <> pg_backend_pid()
                 AND (age(backend_xmin) >= age($1::text::xid)
                      OR age(backend_xid) >= age($1::text::xid))
             UNION ALL
             SELECT 1 FROM pg_replication_slots WHERE age(xmin) >= age($1::text::xid)
             UNION ALL
             SELECT 1 FROM pg_prepared_xacts WHERE age(transaction) >= age($1::text::xid))",
        &[&xid],
    )?;
    Ok(row.get(0))
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_are_not_repeated_in_errors() {
        assert_eq!(
            redact("postgres://shop:secret@db1:5432,db2:5432/daogou"),
            "postgres://shop@db1:5432,db2:5432/daogou"
        );
        assert_eq!(redact("postgres://db/daogou"), "postgres://db/daogou");
        assert_eq!(
            redact("postgres://db/daogou?password=secret&sslmode=disable"),
            "postgres://db/daogou?sslmode=disable"
        );
    }
}
