//! Ranking: the features of a (request, product) pair, the learned ranker that scores
//! them, its TreeSHAP explanation, and the match-strength labels of its scores.
//!
//! - [`quantity`]: numbers with units, compared by value;
//! - [`features`]: the feature row of a request coalition and a product;
//! - [`learned`]: gradient-boosted trees over the features, kept in a versioned file;
//! - [`forest`]: those trees in flat arrays, with prediction and exact TreeSHAP;
//! - [`strength`]: strong / partial / weak labels calibrated on held-out judgements.

pub mod features;
pub mod forest;
pub mod learned;
pub mod quantity;
pub mod strength;

pub use features::{feature_row, FeatureRow, ProductSide, RequestSide, FEATURES, NUM_FEATURES};
pub use learned::{FitSettings, LearnedRanker, RANKER_FILE};
pub use strength::{MatchStrength, StrengthThresholds};
