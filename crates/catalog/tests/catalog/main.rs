//! The catalog crate's integration tests, without a model (a hashing embedder stands in).

mod common;
mod history_store;
mod import_real;
mod import_synthetic;
mod keyword;
mod pg_cluster;
mod postgres;
mod store;
