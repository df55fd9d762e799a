//! The evaluation harness's integration tests on the real MiniLM and the shared data sets.

#[path = "../../../catalog/tests/catalog/common.rs"]
mod common;
mod classify;
mod evaluation;
#[path = "../../../guide/tests/guide/support.rs"]
mod support;
