//! Behavioural tests of daogou-explain (one test binary, several modules).

mod agreement;
mod attention;
mod common;
mod eraser;
mod evaluator;
mod explanation;
mod faithfulness;
mod gradients;
mod lime;
mod multi_target;
mod plausibility;
mod ranking;
mod robustness;
mod shapley;
mod text;
