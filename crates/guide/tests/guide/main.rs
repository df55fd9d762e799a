//! The guide crate's integration tests, on the real MiniLM (and e5) over the demo catalog.

mod backends;
mod demo;
mod multilingual;
#[path = "../../../catalog/tests/catalog/pg_cluster.rs"]
mod pg_cluster;
mod profile_scene;
mod recommend;
mod request;
mod review_evidence;
mod reviews;
mod support;
