//! `daogou serve`: an HTTP API and a web page over one shared [`Guide`](daogou_guide::Guide).
//!
//! **Endpoints** (all JSON; the full contract is served at `GET /api/openapi.json`):
//! `POST /api/recommend`, `POST /api/explain`, `POST /api/scene`, `POST /api/profile`,
//! `POST /api/catalog/import` (API key), `GET /api/health`, `GET /api/metrics`,
//! `GET /api/openapi.json`, the page at `GET /`, and with `--store-histories` (API key)
//! `PUT`/`GET /api/users/{id}/history` and `DELETE /api/users/{id}` ([`histories`]).
//!
//! **Lifecycle.** The server listens at once and loads the guide on a background thread;
//! until it is ready the guide endpoints answer `503` with `{"error", "status": "loading"}`
//! and `GET /api/health` reports `"loading"` ([`state`]).
//!
//! **Concurrency.** One loaded guide is shared by every request through an `Arc`. Guide
//! work is CPU-bound, so it runs on tokio's blocking pool, and at most
//! [`Limits::max_concurrent`] jobs run at once: a request that cannot get a slot within
//! [`Limits::queue_wait`] is answered `429` instead of queueing forever.
//!
//! **Imports** rebuild and swap: an import opens a fresh guide from the same configuration
//! (the store on disk), imports into it and swaps it in, so requests never wait for an
//! import; requests already running finish on the guide they started with. One import runs
//! at a time (`409` otherwise).
//!
//! **Personal data.** Shopper histories are kept only with `--store-histories` (off by
//! default), in the data directory's database, and read or written only with the API key.
//! The server logs no request bodies, paths, user ids or headers: its log lines are the
//! listening address, readiness, and failures by kind.
//!
//! **Errors** are always `{"error": "..."}` with a 4xx/5xx status ([`error`]); the server
//! never panics on input (and a panic anywhere becomes a JSON `500`).

pub mod auth;
mod database;
pub mod error;
pub mod extract;
pub mod histories;
pub mod limits;
pub mod metrics;
pub mod openapi;
pub mod routes;
mod server;
pub mod state;
mod watch;

pub use auth::ApiKey;
pub use extract::parse_body;
pub use histories::Histories;
pub use limits::Limits;
pub use routes::app;
pub use server::{run, serve, ServerConfig};
pub use state::{AppState, Loader, Settings};
