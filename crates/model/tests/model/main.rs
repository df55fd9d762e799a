//! The model crate's integration tests: PyTorch parity, bad input, e5.

mod bad_input;
mod common;
mod e5_chinese_sentiment;
mod e5_multilingual;
mod golden_parity;
mod packed_forward;
mod packed_gradient;
