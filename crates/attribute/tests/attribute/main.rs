//! The bridge's integration tests on the real MiniLM: golden Shapley, Kernel SHAP, LIME and
//! IG values, and the gradient path.

#[path = "../../../model/tests/model/common.rs"]
mod common;
mod explain_minilm;
mod gradients;
