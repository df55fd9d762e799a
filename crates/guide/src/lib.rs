//! The daogou shopping guide: shopping logic over a catalog ([`daogou_catalog`]) and an
//! encoder ([`daogou_model`]), every decision explained through [`daogou_attribute`].
//!
//! - [`request`]: turns a shopper's request into price / brand / category constraints plus
//!   free text, remembering which words produced each constraint;
//! - [`answer`]: what a recommendation answers, as data;
//! - [`recommend`]: hybrid retrieval, component scores and per-product explanations;
//! - [`rank`]: ranking features, the learned ranker and its TreeSHAP explanation;
//! - [`narrate`]: the sentence a shopper reads, built only from measured evidence;
//! - [`language`]: the shopper's language and the message tables;
//! - [`profile`]: shopper profiles from event histories, explained per event;
//! - [`scene`]: calibrated zero-shot scene recognition, explained per word;
//! - [`reviews`]: aspects, opinions and evidence mined from product reviews;
//! - [`embedder`]: the encoder as the catalog's embedder;
//! - [`app`]: the [`Guide`] that the CLI and the server share.

pub mod answer;
pub mod app;
pub mod embedder;
pub mod error;
pub mod language;
pub mod narrate;
pub mod profile;
pub mod rank;
pub mod recommend;
pub mod request;
pub mod reviews;
pub mod scene;
mod stored;

pub use answer::{Method, RecommendOptions, Recommendations};
pub use app::{Guide, GuideConfig};
pub use embedder::PassageEmbedder;
pub use error::{GuideError, Result};
pub use language::Language;
