//! The evaluation harness's integration tests on the real MiniLM and the shared data sets.

mod classify;
#[path = "../../../catalog/tests/catalog/common.rs"]
mod common;
mod evaluation;
mod home_depot;
#[path = "../../../guide/tests/guide/support.rs"]
mod support;
