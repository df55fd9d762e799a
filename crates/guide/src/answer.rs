//! What a recommendation answers, as data: the options it was asked with, each recommended
//! product with its score components, explanations and sentence, and the answer's cost.
//! [`crate::narrate`] writes the sentences and [`crate::recommend`] fills in the rest; both
//! read these types, neither reads the other's.

use std::collections::BTreeSet;
use std::fmt;

use daogou_catalog::reviews::ReviewEvidence;
use daogou_catalog::{Product, Span};
use daogou_explain::Explanation;
use serde::{Deserialize, Serialize};

use crate::language::Language;
use crate::rank::MatchStrength;
use crate::request::ParsedRequest;
use crate::scene::SceneResult;
pub use daogou_attribute::Method;

/// Weights of the score components.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ScoreWeights {
    /// Weight of the embedding similarity (default 1.0).
    pub semantic: f64,
    /// Weight of the saturated BM25 score (default 0.35).
    pub keyword: f64,
    /// Weight of the profile affinity (default 0.25).
    pub profile: f64,
    /// Weight of the price fit (default 0.15).
    pub price: f64,
}

impl Default for ScoreWeights {
    fn default() -> Self {
        Self {
            semantic: 1.0,
            keyword: 0.35,
            profile: 0.25,
            price: 0.15,
        }
    }
}

/// Limits that keep one request cheap; over a limit is an error, not a slow answer.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(default)]
pub struct Limits {
    /// Longest request in characters (default 1000).
    pub max_request_chars: usize,
    /// Most products per answer (default 100).
    pub max_k: usize,
    /// Most model evaluations for the Shapley estimate, and LIME's sample count cap
    /// (default 4096).
    pub max_evals: usize,
    /// Most products a gradient method (Integrated Gradients, gradient × input) explains,
    /// the first ones (Integrated Gradients costs tens of encoder passes per product); the
    /// others keep the other methods' explanations, and the answer says so (default 20).
    pub max_gradient_items: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_request_chars: 1000,
            max_k: 100,
            max_evals: 4096,
            max_gradient_items: 20,
        }
    }
}

/// Options of one recommendation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecommendOptions {
    /// Products to return (default 10).
    pub k: usize,
    /// Candidates retrieved per retriever (default 200).
    pub candidates: usize,
    /// Component weights.
    pub weights: ScoreWeights,
    /// Methods explaining the request words; empty for none (default: Shapley).
    pub methods: BTreeSet<Method>,
    /// Seed of every sampled method.
    pub seed: u64,
    /// Limits.
    pub limits: Limits,
}

impl Default for RecommendOptions {
    fn default() -> Self {
        Self {
            k: 10,
            candidates: 200,
            weights: ScoreWeights::default(),
            methods: BTreeSet::from([Method::Shap]),
            seed: 0,
            limits: Limits::default(),
        }
    }
}

/// One word of the request and its role.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RequestWord {
    /// The word.
    pub text: String,
    /// Its bytes in the request.
    pub span: Span,
    /// Index of the feature it is in the word attributions, if it is descriptive.
    pub feature: Option<usize>,
    /// The filter it belongs to (`price ≤ $100.00`), if any.
    pub constraint: Option<String>,
}

/// The parts a score is made of: the weighted ranker's four components, or the learned
/// ranker's features (see [`crate::rank`]) with the profile and price components.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ComponentName {
    /// Embedding similarity of request and product.
    Semantic,
    /// Saturated BM25 score (weighted ranker).
    Keyword,
    /// BM25 of the request in the title.
    TitleBm25,
    /// Title BM25 as a share of the most any product's title scores for the request.
    TitleBm25Share,
    /// Whether the title holds the request's last term, usually the kind of product.
    HeadMatch,
    /// BM25 in the description.
    DescriptionBm25,
    /// BM25 in the brand.
    BrandBm25,
    /// BM25 in the category.
    CategoryBm25,
    /// Share of the request's terms the title holds.
    TitleCoverage,
    /// Whether the title holds the request's terms as one phrase.
    ExactPhrase,
    /// Numbers with units of the request ("1/2 in.") the title holds.
    NumbersMatched,
    /// Numbers with units of the request the title lacks.
    NumbersMissing,
    /// Whether the request names the product's brand.
    BrandMatch,
    /// Terms in the title.
    TitleLength,
    /// Distinct terms in the request.
    RequestLength,
    /// Affinity to the shopper's profile.
    Profile,
    /// How well the price fits the request and the profile.
    Price,
}

impl ComponentName {
    /// Whether the word attributions explain it: every part but the profile and price
    /// components, which the request's descriptive words do not change.
    pub fn depends_on_words(self) -> bool {
        !matches!(self, ComponentName::Profile | ComponentName::Price)
    }
}

impl fmt::Display for ComponentName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ComponentName::Semantic => "semantic",
            ComponentName::Keyword => "keyword",
            ComponentName::TitleBm25 => "title_bm25",
            ComponentName::TitleBm25Share => "title_bm25_share",
            ComponentName::HeadMatch => "head_match",
            ComponentName::DescriptionBm25 => "description_bm25",
            ComponentName::BrandBm25 => "brand_bm25",
            ComponentName::CategoryBm25 => "category_bm25",
            ComponentName::TitleCoverage => "title_coverage",
            ComponentName::ExactPhrase => "exact_phrase",
            ComponentName::NumbersMatched => "numbers_matched",
            ComponentName::NumbersMissing => "numbers_missing",
            ComponentName::BrandMatch => "brand_match",
            ComponentName::TitleLength => "title_length",
            ComponentName::RequestLength => "request_length",
            ComponentName::Profile => "profile",
            ComponentName::Price => "price",
        })
    }
}

/// One named part of a score.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Component {
    /// Which part.
    pub name: ComponentName,
    /// The component's value: the feature's value for the learned ranker (null where the
    /// feature does not apply, e.g. the brand match of a product without a brand), the
    /// value before weighting otherwise.
    #[schema(value_type = Option<f64>)]
    pub value: f64,
    /// Its weight, for weighted components; absent for the learned ranker's features,
    /// whose contribution is their TreeSHAP value.
    pub weight: Option<f64>,
    /// Its share of the score: `weight × value`, or the feature's TreeSHAP value.
    pub contribution: f64,
}

/// The product fields request words are matched in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MatchField {
    /// The title.
    Title,
    /// The description.
    Description,
}

impl fmt::Display for MatchField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MatchField::Title => "title",
            MatchField::Description => "description",
        })
    }
}

/// A word of a product's text that matches a request word.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProductMatch {
    /// Where it is.
    pub field: MatchField,
    /// Bytes of the field.
    pub span: Span,
    /// The matching text.
    pub text: String,
}

/// One recommended product with everything that explains it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RecommendedItem {
    /// 1-based rank.
    pub rank: usize,
    /// The product.
    pub product: Product,
    /// Total score: `base` plus the components' contributions.
    pub score: f64,
    /// Where the contributions start from: 0 for the weighted ranker, the learned
    /// ranker's expected score otherwise.
    pub base: f64,
    /// The score's components.
    pub components: Vec<Component>,
    /// How well it matches, from the learned ranker's calibrated relevance.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub strength: Option<MatchStrength>,
    /// Attributions of the word-dependent score to the request's descriptive words, one
    /// per requested method (Shapley first).
    pub explanations: Vec<Explanation>,
    /// Product words matching request words.
    pub matches: Vec<ProductMatch>,
    /// Attribution of the profile affinity to history events.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub profile_explanation: Option<Explanation>,
    /// What the product's reviews say, when the catalog has a review summary for it: the
    /// aspects the request mentions first (see [`daogou_catalog::reviews::ReviewSummary::evidence_for`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub reviews: Option<ReviewEvidence>,
    /// The sentence for people, with the evidence behind each claim.
    pub narrative: Narrative,
}

/// The smallest change to the request that changes the top product.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Counterfactual {
    /// The change in words, in the request's language.
    pub sentence: String,
    /// Words whose removal changes the top product.
    pub removed: Vec<String>,
    /// The product that would then come first.
    pub new_top: String,
    /// Its title.
    pub new_top_title: String,
}

/// Word-level attention of the request (rollout from `[CLS]`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AttentionView {
    /// Tokens of the request as the encoder saw it.
    pub tokens: Vec<String>,
    /// `[layer][head][query][key]` attention probabilities.
    pub maps: Vec<Vec<Vec<Vec<f32>>>>,
    /// Rollout attention from `[CLS]` pooled to the descriptive words.
    pub explanation: Explanation,
}

/// Timing and cost of one answer.
#[derive(Debug, Clone, Serialize, Default, utoipa::ToSchema)]
pub struct AnswerStats {
    /// Products that passed the filters and were scored.
    pub candidates: usize,
    /// Distinct masked requests embedded for the word attributions.
    pub model_evals: usize,
    /// Wall time of retrieval and scoring, ms.
    pub retrieval_ms: f64,
    /// Wall time of all explanations, ms.
    pub explain_ms: f64,
}

/// The answer to one request.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Recommendations {
    /// The request as given.
    pub request: String,
    /// The language of the request, in which the sentences and notices are written.
    pub language: Language,
    /// Its constraints and free text.
    pub parsed: ParsedRequest,
    /// Its words with their roles.
    pub words: Vec<RequestWord>,
    /// The recognised scene.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub scene: Option<SceneResult>,
    /// The products, best first.
    pub items: Vec<RecommendedItem>,
    /// Things the shopper should know (relaxed filters, unknown history items, ...).
    pub notices: Vec<String>,
    /// Whether filters were relaxed because nothing matched them.
    pub relaxed: bool,
    /// The smallest request change that changes the top product, when found.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub counterfactual: Option<Counterfactual>,
    /// Attention of the request, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub attention: Option<AttentionView>,
    /// Cost.
    pub stats: AnswerStats,
}

/// What a claim rests on.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Evidence {
    /// A request word's attribution (from the explanation named by `method`).
    RequestWord {
        /// The word.
        word: String,
        /// Its feature index.
        feature: usize,
        /// Its attribution.
        attribution: f64,
        /// The method that measured it.
        method: Method,
    },
    /// Product words matching the request.
    ProductMatch {
        /// Where they are.
        field: MatchField,
        /// The matching words.
        words: Vec<String>,
    },
    /// A filter the product satisfies.
    Filter {
        /// The filter, e.g. `price ≤ $100.00`.
        filter: String,
    },
    /// A history event's attribution to the profile component.
    History {
        /// The event, e.g. `bought "Trail Runner 2"`.
        event: String,
        /// Its attribution to the profile affinity, times the profile weight.
        attribution: f64,
    },
    /// The reviewers' opinion about an aspect the request mentions, from the product's
    /// stored review summary.
    Review {
        /// The aspect, e.g. `battery life`.
        aspect: String,
        /// `positive`, `negative`, or `divided` when as many reviews are each way.
        polarity: String,
        /// Reviews positive about the aspect.
        positive: usize,
        /// Reviews negative about it.
        negative: usize,
        /// Reviews mentioning it.
        reviews: usize,
        /// The quoted supporting sentence, verbatim from the reviews.
        #[serde(skip_serializing_if = "Option::is_none")]
        sentence: Option<String>,
    },
    /// A feature of the learned ranker and its TreeSHAP contribution to the score.
    RankerFeature {
        /// The feature.
        feature: ComponentName,
        /// Its value for this request and product (null where it does not apply).
        #[schema(value_type = Option<f64>)]
        value: f64,
        /// Its contribution to the score.
        contribution: f64,
    },
    /// The overall semantic match, when no single word stands out.
    OverallMatch {
        /// The semantic component's contribution.
        contribution: f64,
    },
}

/// One claim of the sentence.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Claim {
    /// The clause as written in the sentence.
    pub text: String,
    /// The evidence behind it.
    pub evidence: Vec<Evidence>,
}

/// The explanation sentence and its claims.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Narrative {
    /// The sentence.
    pub sentence: String,
    /// The claims it is made of, in order.
    pub claims: Vec<Claim>,
}
