//! daogou's catalog: everything about products that needs no model.
//!
//! - [`product`]: the [`Product`] model, [`price`] parsing, CSV / JSON Lines
//!   [`import`]ers with their column [`mapping`], and the built-in [`demo`] catalog;
//! - [`backend`]: the [`CatalogStore`] trait the two stores implement: [`store`] (SQLite,
//!   the embedded default) and [`postgres`] (PostgreSQL + pgvector, replicated);
//! - [`store`]: SQLite persistence of products, embeddings and review summaries;
//! - [`history`] and [`history_store`]: shopper histories as data, and their opt-in
//!   storage in the same database;
//! - [`keyword`]: BM25 keyword retrieval (tantivy) with per-hit matched terms;
//! - [`vocabulary`]: the catalog's brands and categories, found in request text;
//! - [`reviews`]: review summaries and the evidence a recommendation shows;
//! - [`embed`]: the [`TextEmbedder`] trait through which an embedding model plugs in;
//! - [`index`]: a catalog ready to search (products, embeddings, BM25, vocabulary);
//! - [`segment`]: Chinese word segmentation (jieba);
//! - [`words`]: word lists kept as data files.
//!
//! Nothing here depends on an ML framework: vectors come in through [`TextEmbedder`].

pub mod backend;
pub mod demo;
pub mod embed;
pub mod error;
pub mod history;
pub mod history_store;
pub mod import;
pub mod index;
pub mod json;
pub mod keyword;
pub mod mapping;
pub mod postgres;
pub mod price;
pub mod product;
pub mod reviews;
pub mod schema;
pub mod segment;
pub mod span;
pub mod store;
pub mod vocabulary;
pub mod words;

pub use backend::{CatalogLocation, CatalogStore};
pub use demo::{demo_catalog, DEMO_CATALOG_JSONL, DEMO_CATALOG_ZH_JSONL};
pub use embed::{EmbedError, TextEmbedder, PASSAGE, QUERY};
pub use error::CatalogError;
pub use history::{read_history, EventKind, HistoryEvent};
pub use import::{
    import_csv, import_instacart, import_jsonl, import_path, ImportError, ImportReport,
    ParsedCatalog, RowIssue,
};
pub use index::CatalogIndex;
pub use mapping::{ColumnMapping, Role};
pub use postgres::{
    probe_hosts, Fetched, HostRole, HostState, PgHistoryStore, PgStore, Retrieval, Retrieved,
};
pub use price::{parse_amount, parse_price, parse_price_in, Currency, Price, PriceError};
pub use product::Product;
pub use span::{has_cjk, Span};
pub use store::{Store, StoreError, UpsertProgress};
pub use vocabulary::RequestVocabulary;
