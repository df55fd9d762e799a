//! The bridge between daogou's encoder ([`daogou_model`]) and its model-agnostic
//! explanations ([`daogou_explain`]).
//!
//! - [`TextScoreModel`]: perturbed texts embedded and scored, the model of every
//!   mask-based method;
//! - [`EmbeddingSimilarity`]: the embedding path with gradients, for Integrated Gradients;
//! - [`word_attention`]: attention rollout pooled to words;
//! - [`Method`]: the one method enum, and [`attribute`], the one dispatcher every text
//!   explanation runs through;
//! - [`TextTarget`] and [`explain_text`]: the words of any text explained against a
//!   similarity or a class probability ([`explain_pair`], [`explain_class`]).

mod attention;
mod dispatch;
mod error;
mod gradient;
mod score_model;
mod target;
mod text;

pub use attention::{word_attention, AttentionStack};
pub use daogou_explain::Method;
pub use dispatch::{attribute, Attributions, MethodParams, TextSubject};
pub use error::AttributeError;
pub use gradient::{EmbeddingBaseline, EmbeddingSimilarity};
pub use score_model::{Perturb, Score, TextScoreModel};
pub use target::TextTarget;
pub use text::{
    explain_class, explain_pair, explain_text, word_evaluator, ClassExplanation, PairExplanation,
    TextExplainOptions,
};
