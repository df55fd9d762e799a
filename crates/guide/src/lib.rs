//! The daogou shopping guide: catalog, retrieval, recommendation, shopper profile, scene
//! recognition and narration, each decision explained.
//!
//! Layers in this crate:
//! - [`catalog`]: the [`Product`] model, price parsing, CSV / JSON Lines importers and the
//!   built-in demo catalog;
//! - [`request`]: turns a shopper's request into price / brand / category constraints plus
//!   free text, remembering which words produced each constraint;
//! - [`store`]: SQLite persistence of products and their embeddings;
//! - [`history_store`]: opt-in storage of shopper histories in the same database;
//! - [`keyword`]: BM25 keyword retrieval (tantivy) with per-hit matched terms;
//! - [`embed`]: the [`TextEmbedder`] trait through which an embedding model plugs in;
//! - [`index`]: a catalog ready to search (products, embeddings, BM25, vocabulary);
//! - [`recommend`]: hybrid retrieval, component scores and per-product explanations;
//! - [`profile`]: shopper profiles from event histories, explained per event;
//! - [`scene`]: calibrated zero-shot scene recognition, explained per word;
//! - [`narrate`]: the sentence a shopper reads, built only from measured evidence;
//! - [`text_explain`]: word attributions of the similarity of any two texts;
//! - [`evaluation`]: faithfulness, agreement, stability, plausibility and cost of the
//!   explanations, and ranking quality, with numbers;
//! - [`app`]: the [`Guide`] that the CLI and the server share.

pub mod app;
pub mod catalog;
pub mod datasets;
pub mod embed;
pub mod evaluation;
pub mod history_store;
pub mod index;
pub mod keyword;
pub mod narrate;
pub mod profile;
pub mod recommend;
pub mod request;
pub mod reviews;
pub mod scene;
pub mod store;
mod text;
pub mod text_explain;

pub use app::{Guide, GuideConfig};
pub use catalog::{Currency, ParsedCatalog, Price, PriceError, Product, RowIssue};
pub use embed::TextEmbedder;
pub use index::CatalogIndex;
pub use recommend::{Method, RecommendOptions, Recommendations};
pub use text::Span;
