//! The guide crate's integration tests, on the real MiniLM (and e5) over the demo catalog.

mod demo;
mod multilingual;
mod profile_scene;
mod recommend;
mod request;
mod review_evidence;
mod reviews;
mod support;
