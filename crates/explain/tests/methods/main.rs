//! Behavioural tests of daogou-explain (one test binary, several modules).

mod attention;
mod common;
mod evaluator;
mod explanation;
mod gradients;
mod lime;
mod multi_target;
mod robustness;
mod shapley;
mod text;
