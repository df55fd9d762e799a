//! Recommendations: hybrid retrieval, a score that is a sum of named components, and the
//! explanation of every recommended product.
//!
//! **Score.** For a product p and the request's descriptive words q (the request without
//! its price, "cheap" and explicit-brand words, which act as filters), with a learned
//! ranker (see [`crate::rank`]):
//!
//! `score = trees(features(q, p)) + w_profile·affinity + w_price·price_fit`
//!
//! where the trees' prediction is shown as its TreeSHAP contributions by feature, and
//! without one (the weighted ranker):
//!
//! `score = w_semantic·cos(q, p) + w_keyword·b/(b + KEYWORD_HALF) + w_profile·affinity + w_price·price_fit`
//!
//! where `b` is the BM25 score of q in p's title, description, brand and category (a sum
//! over q's words), `affinity` the cosine similarity between the shopper's profile and p,
//! and `price_fit` 1 − p's price percentile among the candidates when the shopper asked for
//! something cheap, or closeness to the profile's price band otherwise. Components that do
//! not apply (no profile, no price preference) are left out, not counted as zero.
//!
//! **Retrieval.** The union of the `candidates` nearest products by embedding and the
//! `candidates` best by BM25, after the filters. When the filters leave nothing, the filters
//! are relaxed, the closest matches are shown and the answer says so.
//!
//! **Explanations.** The request words are the features of one mask-based model whose
//! targets are all top-k products (so one set of masked-request embeddings serves them all):
//! the word-dependent part of the score, the trees' prediction with every feature
//! recomputed from the coalition's words (or `w_semantic·cos + w_keyword·keyword`). Shapley values
//! are exact up to 12 words (Kernel SHAP beyond); LIME and occlusion reuse the cached
//! coalitions; Integrated Gradients explains the semantic part through the encoder's
//! gradients; attention shows the encoder's rollout from `[CLS]`.

use std::collections::{BTreeSet, HashMap};
use std::time::Instant;

use anyhow::Context;

use crate::error::{GuideError, Result};
use daogou_attribute::{
    attribute, word_attention, word_evaluator, MethodParams, TextScoreModel, TextSubject,
};
use daogou_explain::{dot, Auto, Evaluator, Explanation, Mask, MaskingStrategy, TextFeatures};
use daogou_model::SentenceEncoder;

use crate::answer::{
    AnswerStats, AttentionView, Component, ComponentName, Counterfactual, MatchField, Method,
    Narrative, ProductMatch, RecommendOptions, Recommendations, RecommendedItem, RequestWord,
    ScoreWeights,
};
use crate::language::{fill, Language};
use crate::narrate::narrate;
use crate::profile::Profile;
use crate::rank::{
    feature_row, FeatureRow, LearnedRanker, MatchStrength, ProductSide, RequestSide, FEATURES,
};
use crate::request::segment::request_features;
use crate::request::{parse_request, ConstraintRole, ParsedRequest};
use crate::reviews::ReviewEvidence;
use crate::scene::SceneRecognizer;
use daogou_catalog::keyword::{analyze, FieldScores};
use daogou_catalog::words::STOP_EN_REQUESTS;
use daogou_catalog::Span;
use daogou_catalog::QUERY;
use daogou_catalog::{has_cjk, Product};
use daogou_catalog::{CatalogError, CatalogIndex};

/// BM25 score at which the keyword component reaches one half.
pub const KEYWORD_HALF: f64 = 4.0;

/// Longest request (in words) given a counterfactual.
const COUNTERFACTUAL_MAX_FEATURES: usize = 16;

/// Most words a counterfactual removes once the request is too long to enumerate.
const COUNTERFACTUAL_MAX_REMOVED: usize = 2;

/// Recommends products of a catalog with a loaded encoder.
pub struct Recommender<'a> {
    catalog: &'a CatalogIndex,
    encoder: &'a SentenceEncoder,
    scenes: Option<&'a SceneRecognizer>,
    learned: Option<&'a LearnedRanker>,
}

/// The request's descriptive words and their BM25 contributions.
struct Query {
    features: TextFeatures,
    keyword: Vec<KeywordUnit>,
    embedding: Vec<f32>,
}

/// One request word's BM25 contribution by product position (a Chinese word counts
/// through its search words, as the index holds them: 生日礼物 through 生日, 礼物 and
/// 生日礼物).
struct KeywordUnit {
    feature: usize,
    scores: HashMap<usize, FieldScores>,
    /// The most title BM25 the word gives any product.
    title_max: f64,
}

impl Query {
    /// BM25 by field of the `present` words.
    fn keyword_fields(&self, product: usize, present: impl Fn(usize) -> bool) -> FieldScores {
        let mut total = FieldScores::default();
        for unit in &self.keyword {
            if present(unit.feature) {
                if let Some(scores) = unit.scores.get(&product) {
                    total.add(scores);
                }
            }
        }
        total
    }

    /// The most title BM25 each `present` word gives any product, summed.
    fn title_max(&self, present: impl Fn(usize) -> bool) -> f64 {
        self.keyword
            .iter()
            .filter(|unit| present(unit.feature))
            .map(|unit| unit.title_max)
            .sum()
    }

    fn keyword_raw(&self, product: usize, present: impl Fn(usize) -> bool) -> f64 {
        f64::from(self.keyword_fields(product, present).total())
    }

    fn text(&self, mask: &Mask) -> String {
        self.features
            .render(mask, &MaskingStrategy::Delete)
            .unwrap_or_default()
    }
}

/// What retrieving a request's candidates from a store needs.
#[derive(Debug, Clone, PartialEq)]
pub struct RetrievalRequest {
    /// The descriptive words, each searched by keyword.
    pub words: Vec<String>,
    /// The embedding of the descriptive words.
    pub embedding: Vec<f32>,
    /// Lowest price asked for, in US dollars.
    pub min_usd: Option<f64>,
    /// Highest price asked for, in US dollars.
    pub max_usd: Option<f64>,
    /// Brands asked for by name.
    pub brands: Vec<String>,
}

/// `request` trimmed, or why it cannot be answered: empty, too long, or a `k` out of
/// range.
pub(crate) fn checked_request<'r>(request: &'r str, options: &RecommendOptions) -> Result<&'r str> {
    let request = request.trim();
    if request.is_empty() {
        return Err(GuideError::InvalidRequest(
            "the request is empty: describe what you are looking for".into(),
        ));
    }
    let chars = request.chars().count();
    if chars > options.limits.max_request_chars {
        return Err(GuideError::InvalidRequest(format!(
            "the request has {chars} characters, more than the limit of {}",
            options.limits.max_request_chars
        )));
    }
    if options.k == 0 || options.k > options.limits.max_k {
        return Err(GuideError::InvalidRequest(format!(
            "k must be between 1 and {}",
            options.limits.max_k
        )));
    }
    Ok(request)
}

fn saturate(bm25: f64) -> f64 {
    bm25 / (bm25 + KEYWORD_HALF)
}

impl<'a> Recommender<'a> {
    /// A recommender over `catalog`; with `scenes`, answers include the recognised scene.
    pub fn new(
        catalog: &'a CatalogIndex,
        encoder: &'a SentenceEncoder,
        scenes: Option<&'a SceneRecognizer>,
    ) -> Self {
        Self {
            catalog,
            encoder,
            scenes,
            learned: None,
        }
    }

    /// Ranks with `learned` trees instead of the weights' semantic and keyword parts.
    pub fn with_ranker(mut self, learned: Option<&'a LearnedRanker>) -> Self {
        self.learned = learned;
        self
    }

    /// The candidates of `request` (as [`recommend`](Self::recommend) retrieves them,
    /// filters applied) with their feature rows: what a ranker is fitted on.
    pub fn candidate_features(
        &self,
        request: &str,
        options: &RecommendOptions,
    ) -> Result<Vec<(usize, FeatureRow)>> {
        let parsed = parse_request(request.trim(), self.catalog.vocabulary());
        let (_, features) = self.split_words(&parsed)?;
        let query = self.query(features)?;
        let (candidates, _) =
            self.candidates(&parsed, &query, options, Language::English, &mut Vec::new());
        let rows = self.feature_rows(&candidates, &query);
        Ok(candidates.into_iter().zip(rows).collect())
    }

    /// What a store needs to retrieve the candidates of `request` (see
    /// [`PgStore::retrieve`](daogou_catalog::PgStore::retrieve)); the catalog only
    /// lends its request vocabulary.
    pub fn retrieval_request(
        &self,
        request: &str,
        options: &RecommendOptions,
    ) -> Result<RetrievalRequest> {
        let request = checked_request(request, options)?;
        let parsed = parse_request(request, self.catalog.vocabulary());
        let (_, features) = self.split_words(&parsed)?;
        let (min_usd, max_usd) = parsed.price_bounds_usd();
        Ok(RetrievalRequest {
            words: features.words().iter().map(|w| w.text.clone()).collect(),
            embedding: self.embed_query(&features)?,
            min_usd,
            max_usd,
            brands: parsed
                .explicit_brands()
                .into_iter()
                .map(str::to_string)
                .collect(),
        })
    }

    /// Recommends products for `request`, personalised by `profile` when given.
    pub fn recommend(
        &self,
        request: &str,
        profile: Option<&Profile>,
        options: &RecommendOptions,
    ) -> Result<Recommendations> {
        let started = Instant::now();
        let request = checked_request(request, options)?;
        if self.catalog.is_empty() {
            return Err(GuideError::EmptyCatalog);
        }
        let language = Language::of_text(request);
        let say = &language.messages().notices;
        let parsed = parse_request(request, self.catalog.vocabulary());
        let (words, features) = self.split_words(&parsed)?;
        let query = self.query(features)?;
        let mut notices = Vec::new();
        if query.features.num_features() == 0 {
            notices.push(say.filters_only.clone());
        } else if query.keyword.iter().all(|unit| unit.scores.is_empty()) {
            notices.push(say.no_word_matches.clone());
        }
        if let Some(p) = profile {
            if !p.unknown_products.is_empty() {
                let count = p.unknown_products.len().to_string();
                notices.push(fill(&say.unknown_history, &[("count", &count)]));
            }
        }

        let (candidate_set, relaxed) =
            self.candidates(&parsed, &query, options, language, &mut notices);
        let mut ranked = self.score(&candidate_set, &parsed, &query, profile, options.weights);
        let candidates = ranked.len();
        ranked.truncate(options.k);
        self.decompose_trees(&mut ranked);
        let mut stats = AnswerStats {
            candidates,
            retrieval_ms: started.elapsed().as_secs_f64() * 1e3,
            ..AnswerStats::default()
        };
        let scene = match self.scenes {
            // The scene reads the whole request, filters included; without filters that
            // is the text already embedded for ranking.
            Some(recognizer) if query.features.text() == request => {
                Some(recognizer.recognize_embedding(&query.embedding, language))
            }
            Some(recognizer) => {
                let full = self
                    .encoder
                    .embed_with_prompt(QUERY, &[request])?
                    .pop()
                    .context("no embedding")?;
                Some(recognizer.recognize_embedding(&full, language))
            }
            None => None,
        };

        let explain_started = Instant::now();
        let mut items: Vec<RecommendedItem> = ranked
            .into_iter()
            .enumerate()
            .map(|(r, scored)| RecommendedItem {
                rank: r + 1,
                product: self.catalog.product(scored.index).clone(),
                score: scored.total(),
                base: scored.base,
                strength: self.learned.and_then(|l| l.strength_of(scored.relevance())),
                components: scored.components,
                explanations: Vec::new(),
                matches: self.matches(scored.index, &query),
                profile_explanation: None,
                reviews: self.review_evidence(scored.index, &words),
                narrative: Narrative::default(),
            })
            .collect();
        let weak = |i: &RecommendedItem| i.strength == Some(MatchStrength::Weak);
        if !items.is_empty() && items.iter().all(weak) {
            notices.push(say.all_weak.clone());
        } else if let Some(first) = items.iter().find(|i| weak(i)) {
            let rank = first.rank.to_string();
            notices.push(fill(&say.weak_from, &[("rank", &rank)]));
        }
        let positions: Vec<usize> = items
            .iter()
            .filter_map(|i| self.catalog.position(&i.product.id))
            .collect();
        let mut counterfactual = None;
        // No method, no cost: nothing is masked or embedded beyond the request itself, and
        // the counterfactual, which needs the masked requests, is not searched for.
        if query.features.num_features() > 0 && !items.is_empty() && !options.methods.is_empty() {
            let word_part =
                self.explain_words(&query, &positions, options, language, &mut items)?;
            stats.model_evals = word_part.0;
            counterfactual = word_part.1;
            let most = options.limits.max_gradient_items;
            for method in options.methods.iter().filter(|m| m.is_gradient()) {
                if items.len() > most {
                    let values = [("method", method.name()), ("count", &most.to_string())];
                    notices.push(fill(&say.gradient_items, &values));
                }
            }
        }
        if let Some(p) = profile {
            let targets: Vec<(String, &[f32])> = positions
                .iter()
                .map(|&i| {
                    (
                        self.catalog.product(i).id.clone(),
                        self.catalog.embedding(i),
                    )
                })
                .collect();
            for (item, e) in items
                .iter_mut()
                .zip(p.explain_affinity(&targets, options.seed)?)
            {
                item.profile_explanation = Some(e);
            }
        }
        let attention =
            if options.methods.contains(&Method::Attention) && query.features.num_features() > 0 {
                Some(self.attention(&query)?)
            } else {
                None
            };
        for item in &mut items {
            item.narrative = narrate(item, &parsed, &words, options.weights, language);
        }
        stats.explain_ms = explain_started.elapsed().as_secs_f64() * 1e3;
        Ok(Recommendations {
            request: request.to_string(),
            language,
            parsed,
            words,
            scene,
            items,
            notices,
            relaxed,
            counterfactual,
            attention,
            stats,
        })
    }

    /// Splits the request into words; words inside price, "cheap" or explicit-brand
    /// constraints are filters, Chinese function words (的, 了, 吗) are neither filters nor
    /// features (they mean nothing a product could match, and "without 的" is no change a
    /// shopper can make), and the others are the descriptive features.
    fn split_words(&self, parsed: &ParsedRequest) -> Result<(Vec<RequestWord>, TextFeatures)> {
        let all = request_features(&parsed.text);
        let language = Language::of_text(&parsed.text);
        let filter_spans: Vec<(Span, String)> = parsed
            .constraints
            .iter()
            .filter(|c| c.role() != ConstraintRole::Hint)
            .map(|c| (c.span, c.describe_in(language)))
            .collect();
        let mut words = Vec::new();
        let mut kept = Vec::new();
        for (i, w) in all.words().iter().enumerate() {
            let span = Span::new(w.byte_start, w.byte_end);
            let constraint = filter_spans
                .iter()
                .find(|(s, _)| s.overlaps(&span))
                .map(|(_, d)| d.clone());
            let function_word = has_cjk(&w.text) && STOP_EN_REQUESTS.contains(w.text.as_str());
            let feature = (constraint.is_none() && !function_word).then(|| {
                kept.push(i);
                kept.len() - 1
            });
            words.push(RequestWord {
                text: w.text.clone(),
                span,
                feature,
                constraint,
            });
        }
        let features = all.subset(&Mask::from_indices(all.num_features(), &kept)?)?;
        Ok((words, features))
    }

    fn query(&self, features: TextFeatures) -> Result<Query> {
        let index = self.catalog.keyword();
        let mut keyword = Vec::with_capacity(features.num_features());
        for (feature, word) in features.words().iter().enumerate() {
            let hits = index.field_scores(&word.text).map_err(CatalogError::from)?;
            let title_max = index.title_max(&word.text, &hits);
            keyword.push(KeywordUnit {
                feature,
                scores: hits.into_iter().collect(),
                title_max,
            });
        }
        let embedding = self.embed_query(&features)?;
        Ok(Query {
            features,
            keyword,
            embedding,
        })
    }

    fn embed_query(&self, features: &TextFeatures) -> Result<Vec<f32>> {
        Ok(self
            .encoder
            .embed_with_prompt(QUERY, &[features.text()])?
            .pop()
            .context("the encoder returned no embedding")?)
    }

    fn passes(&self, i: usize, parsed: &ParsedRequest, relaxed: bool) -> bool {
        if relaxed {
            return true;
        }
        let product = self.catalog.product(i);
        let (min, max) = parsed.price_bounds_usd();
        if min.is_some() || max.is_some() {
            let Some(price) = product.price.as_ref().map(|p| p.to_usd()) else {
                return false;
            };
            if min.is_some_and(|m| price < m - 1e-9) || max.is_some_and(|m| price > m + 1e-9) {
                return false;
            }
        }
        let brands = parsed.explicit_brands();
        brands.is_empty()
            || product
                .brand
                .as_deref()
                .is_some_and(|b| brands.iter().any(|w| w.eq_ignore_ascii_case(b)))
    }

    /// The products to score: the nearest by embedding and the best by BM25 that pass the
    /// filters, or, when none does, the filters relaxed (and a notice saying so).
    fn candidates(
        &self,
        parsed: &ParsedRequest,
        query: &Query,
        options: &RecommendOptions,
        language: Language,
        notices: &mut Vec<String>,
    ) -> (BTreeSet<usize>, bool) {
        for relaxed in [false, true] {
            let keep = |i: usize| self.passes(i, parsed, relaxed);
            let mut candidates: BTreeSet<usize> = self
                .catalog
                .nearest(&query.embedding, options.candidates, keep)
                .into_iter()
                .map(|(i, _)| i)
                .collect();
            let mut by_keyword: HashMap<usize, f64> = HashMap::new();
            for unit in &query.keyword {
                for (&i, s) in &unit.scores {
                    *by_keyword.entry(i).or_default() += f64::from(s.total());
                }
            }
            let mut keyword_ranked: Vec<(usize, f64)> =
                by_keyword.into_iter().filter(|&(i, _)| keep(i)).collect();
            keyword_ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            candidates.extend(keyword_ranked.iter().take(options.candidates).map(|p| p.0));
            if candidates.is_empty() {
                continue;
            }
            if relaxed {
                let filters: Vec<String> = parsed
                    .constraints
                    .iter()
                    .filter(|c| c.role() == ConstraintRole::Filter)
                    .map(|c| c.describe_in(language))
                    .collect();
                let m = language.messages();
                notices.push(fill(&m.notices.relaxed, &[("filters", &m.list(&filters))]));
            }
            return (candidates, relaxed);
        }
        (BTreeSet::new(), false)
    }

    /// The feature rows of `candidates` for the whole request, in candidate order.
    fn feature_rows(&self, candidates: &BTreeSet<usize>, query: &Query) -> Vec<FeatureRow> {
        let request = RequestSide::new(query.features.text());
        let title_max = query.title_max(|_| true);
        candidates
            .iter()
            .map(|&i| {
                feature_row(
                    &request,
                    &ProductSide::new(self.catalog.product(i)),
                    dot(&query.embedding, self.catalog.embedding(i)),
                    &query.keyword_fields(i, |_| true),
                    title_max,
                )
            })
            .collect()
    }

    /// Replaces the learned ranker's prediction of each product by its TreeSHAP
    /// decomposition: the base value and one component per feature.
    fn decompose_trees(&self, ranked: &mut [Scored]) {
        let Some(ranker) = self.learned else { return };
        let Some(rows) = ranked.iter().map(|s| s.row).collect::<Option<Vec<_>>>() else {
            return;
        };
        let contributions = ranker.contributions(&rows);
        for ((scored, row), (base, shap)) in ranked.iter_mut().zip(&rows).zip(contributions) {
            let features =
                FEATURES
                    .iter()
                    .zip(row.iter().zip(shap))
                    .map(|(&name, (&value, contribution))| Component {
                        name,
                        value,
                        weight: None,
                        contribution,
                    });
            scored.components.splice(0..0, features);
            scored.base = base;
        }
    }

    fn score(
        &self,
        candidates: &BTreeSet<usize>,
        parsed: &ParsedRequest,
        query: &Query,
        profile: Option<&Profile>,
        w: ScoreWeights,
    ) -> Vec<Scored> {
        let price_fit = PriceFit::new(candidates, self.catalog, parsed, profile);
        let rows = match self.learned {
            Some(_) => self.feature_rows(candidates, query),
            None => Vec::new(),
        };
        let predicted = self.learned.map(|l| l.predict(&rows)).unwrap_or_default();
        let mut scored: Vec<Scored> = candidates
            .iter()
            .enumerate()
            .map(|(c, &i)| {
                let e = self.catalog.embedding(i);
                let mut scored = Scored {
                    index: i,
                    base: predicted.get(c).copied().unwrap_or(0.0),
                    components: Vec::new(),
                    row: rows.get(c).copied(),
                };
                if self.learned.is_none() {
                    scored.components = vec![
                        component(
                            ComponentName::Semantic,
                            dot(&query.embedding, e),
                            w.semantic,
                        ),
                        component(
                            ComponentName::Keyword,
                            saturate(query.keyword_raw(i, |_| true)),
                            w.keyword,
                        ),
                    ];
                }
                if let Some(p) = profile.filter(|p| p.embedding.is_some()) {
                    let profile = component(ComponentName::Profile, p.affinity(e), w.profile);
                    scored.components.push(profile);
                }
                if let Some(fit) = price_fit.fit(self.catalog.product(i)) {
                    let price = component(ComponentName::Price, fit, w.price);
                    scored.components.push(price);
                }
                scored
            })
            .collect();
        scored.sort_by(|a, b| {
            b.total().total_cmp(&a.total()).then_with(|| {
                self.catalog
                    .product(a.index)
                    .id
                    .cmp(&self.catalog.product(b.index).id)
            })
        });
        scored
    }

    /// Runs the word-attribution methods for all items at once; returns the number of
    /// distinct model evaluations and the counterfactual.
    fn explain_words(
        &self,
        query: &Query,
        positions: &[usize],
        options: &RecommendOptions,
        language: Language,
        items: &mut [RecommendedItem],
    ) -> Result<(usize, Option<Counterfactual>)> {
        let w = options.weights;
        let m = query.features.num_features();
        let targets: Vec<(usize, Vec<f32>)> = positions
            .iter()
            .map(|&i| (i, self.catalog.embedding(i).to_vec()))
            .collect();
        let perturb = |mask: &Mask| query.text(mask);
        let learned = self.learned;
        let products: Vec<ProductSide> = match learned {
            Some(_) => positions
                .iter()
                .map(|&i| ProductSide::new(self.catalog.product(i)))
                .collect(),
            None => Vec::new(),
        };
        let score = |mask: &Mask, e: &[f32]| -> Vec<f64> {
            let present = |j: usize| mask.contains(j);
            match learned {
                // Every feature recomputed from the coalition's words, then the trees.
                Some(ranker) => {
                    let request = RequestSide::new(&query.text(mask));
                    let title_max = query.title_max(present);
                    let rows: Vec<FeatureRow> = targets
                        .iter()
                        .zip(&products)
                        .map(|((i, t), product)| {
                            let fields = query.keyword_fields(*i, present);
                            feature_row(&request, product, dot(e, t), &fields, title_max)
                        })
                        .collect();
                    ranker.predict(&rows)
                }
                None => targets
                    .iter()
                    .map(|(i, t)| {
                        w.semantic * dot(e, t)
                            + w.keyword * saturate(query.keyword_raw(*i, present))
                    })
                    .collect(),
            }
        };
        let model = TextScoreModel::new(
            self.encoder,
            m,
            targets.len(),
            Box::new(perturb),
            Box::new(score),
        )
        .with_prompt(QUERY);
        let names: Vec<String> = items.iter().map(|i| i.product.id.clone()).collect();
        let mut evaluator = word_evaluator(&model, &query.features)?.with_target_names(names)?;
        let params = MethodParams {
            seed: options.seed,
            max_evals: Some(options.limits.max_evals),
            ..MethodParams::default()
        };
        let subject = TextSubject {
            encoder: self.encoder,
            features: &query.features,
            prompt: Some(QUERY),
            directions: targets
                .iter()
                .take(options.limits.max_gradient_items)
                .map(|(_, t)| t.clone())
                .collect(),
        };
        for &method in &options.methods {
            if method == Method::Attention {
                // Shown as the attention view of the request, not per product.
                continue;
            }
            let mut explanations =
                attribute(method, &params, &mut evaluator, Some(&subject))?.explanations;
            if method.is_gradient() {
                for (e, (i, _)) in explanations.iter_mut().zip(&targets) {
                    e.target_name = Some(self.catalog.product(*i).id.clone());
                    if self.learned.is_some() {
                        e.notes.push(
                            "explains the cosine similarity the learned ranker reads, not its \
                             score (trees have no gradient)"
                                .into(),
                        );
                    } else {
                        // Report on the same scale as the score: the semantic weight.
                        scale(e, w.semantic);
                        e.notes.push(
                            "explains the semantic component only (keyword matching has no \
                             gradient)"
                                .into(),
                        );
                    }
                }
            }
            for (item, e) in items.iter_mut().zip(explanations) {
                item.explanations.push(e);
            }
        }
        let counterfactual = if m <= COUNTERFACTUAL_MAX_FEATURES {
            self.counterfactual(query, items, language, &mut evaluator)?
        } else {
            None
        };
        Ok((evaluator.stats().evaluated, counterfactual))
    }

    fn attention(&self, query: &Query) -> Result<AttentionView> {
        let (explanation, tokens, maps) = word_attention(self.encoder, &query.features)?;
        Ok(AttentionView {
            tokens,
            maps,
            explanation,
        })
    }

    /// The fewest request words whose removal puts another of the shown products first:
    /// read from the coalitions exact Shapley already evaluated when it enumerated them all,
    /// and searched among removals of at most [`COUNTERFACTUAL_MAX_REMOVED`] words past that
    /// (M + M(M−1)/2 coalitions, some already evaluated by the Owen values).
    fn counterfactual(
        &self,
        query: &Query,
        items: &[RecommendedItem],
        language: Language,
        evaluator: &mut Evaluator<'_>,
    ) -> Result<Option<Counterfactual>> {
        let m = query.features.num_features();
        if items.len() < 2 {
            return Ok(None);
        }
        // Parts of each score that do not depend on the request words.
        let fixed: Vec<f64> = items
            .iter()
            .map(|item| {
                item.components
                    .iter()
                    .filter(|c| !c.name.depends_on_words())
                    .map(|c| c.contribution)
                    .sum()
            })
            .collect();
        let max_removed = if m <= Auto::default().exact_max_features {
            m
        } else {
            COUNTERFACTUAL_MAX_REMOVED
        };
        let mut masks: Vec<Mask> = (0..(1usize << m) - 1)
            .filter(|bits: &usize| m - (bits.count_ones() as usize) <= max_removed)
            .map(|bits| {
                let present: Vec<bool> = (0..m).map(|j| bits >> j & 1 == 1).collect();
                Mask::from_bools(&present)
            })
            .filter(|mask| mask.count() > 0)
            .collect();
        masks.sort_by_key(|mask| std::cmp::Reverse(mask.count()));
        let scores = evaluator.evaluate(&masks)?;
        for (r, mask) in masks.iter().enumerate() {
            let row = scores.row(r);
            let best = (0..items.len())
                .max_by(|&a, &b| (row[a] + fixed[a]).total_cmp(&(row[b] + fixed[b])))
                .unwrap_or(0);
            if best != 0 {
                let names = query.features.feature_names();
                let removed: Vec<String> = (0..m)
                    .filter(|&j| !mask.contains(j))
                    .map(|j| names[j].clone())
                    .collect();
                let messages = language.messages();
                let quoted: Vec<String> = removed.iter().map(|w| messages.quote(w)).collect();
                let title = &items[best].product.title;
                let sentence = fill(
                    &messages.narration.counterfactual,
                    &[("words", &messages.list(&quoted)), ("title", title)],
                );
                return Ok(Some(Counterfactual {
                    sentence,
                    removed,
                    new_top: items[best].product.id.clone(),
                    new_top_title: items[best].product.title.clone(),
                }));
            }
        }
        Ok(None)
    }

    /// The review evidence of product `i` for a request made of `words`, if it has reviews.
    fn review_evidence(&self, i: usize, words: &[RequestWord]) -> Option<ReviewEvidence> {
        let words: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
        self.catalog.reviews(i)?.evidence_for(&words)
    }

    /// Title and description words of product `i` that share a term with the request.
    /// The product's title and description words that are request terms: a word inside a
    /// longer matched word (朋友 in 女朋友) is dropped, and matches that touch or overlap
    /// (防水 and 冲锋衣 in 防水冲锋衣) read as one.
    fn matches(&self, i: usize, query: &Query) -> Vec<ProductMatch> {
        let terms: BTreeSet<String> = analyze(query.features.text())
            .into_iter()
            .map(|t| t.term)
            .collect();
        let product = self.catalog.product(i);
        let mut found = Vec::new();
        for (field, text) in [
            (MatchField::Title, &product.title),
            (MatchField::Description, &product.description),
        ] {
            let spans: Vec<Span> = analyze(text)
                .into_iter()
                .filter(|t| terms.contains(&t.term))
                .map(|t| t.span)
                .collect();
            let mut outer: Vec<Span> = spans
                .iter()
                .filter(|s| {
                    !spans
                        .iter()
                        .any(|o| o != *s && o.start <= s.start && s.end <= o.end)
                })
                .copied()
                .collect();
            outer.sort_by_key(|s| (s.start, s.end));
            outer.dedup();
            let mut merged: Vec<Span> = Vec::new();
            for span in outer {
                match merged.last_mut() {
                    Some(last) if span.start <= last.end => last.end = last.end.max(span.end),
                    _ => merged.push(span),
                }
            }
            found.extend(merged.into_iter().filter_map(|span| {
                span.slice(text).map(|slice| ProductMatch {
                    field,
                    span,
                    text: slice.to_string(),
                })
            }));
        }
        found
    }
}

fn scale(e: &mut Explanation, factor: f64) {
    e.values.iter_mut().for_each(|v| *v *= factor);
    e.base_value = e.base_value.map(|v| v * factor);
    e.full_value = e.full_value.map(|v| v * factor);
    e.completeness_delta = e.completeness_delta.map(|v| v * factor);
}

fn component(name: ComponentName, value: f64, weight: f64) -> Component {
    Component {
        name,
        value,
        weight: Some(weight),
        contribution: value * weight,
    }
}

/// A scored candidate: `base` plus its components. With a learned ranker, `base` holds the
/// trees' prediction until [`Recommender::decompose_trees`] splits it into features.
struct Scored {
    index: usize,
    base: f64,
    components: Vec<Component>,
    row: Option<FeatureRow>,
}

impl Scored {
    fn total(&self) -> f64 {
        self.base + self.components.iter().map(|c| c.contribution).sum::<f64>()
    }

    /// The learned relevance: the score without the profile and price components.
    fn relevance(&self) -> f64 {
        self.base
            + self
                .components
                .iter()
                .filter(|c| c.name.depends_on_words())
                .map(|c| c.contribution)
                .sum::<f64>()
    }
}

/// How well a price suits the shopper: cheapness among the candidates when asked for,
/// else closeness to the profile's price band.
enum PriceFit {
    Cheap(Vec<f64>),
    Band { low: f64, high: f64 },
    None,
}

impl PriceFit {
    fn new(
        candidates: &BTreeSet<usize>,
        catalog: &CatalogIndex,
        parsed: &ParsedRequest,
        profile: Option<&Profile>,
    ) -> Self {
        if parsed.wants_cheap() {
            let mut prices: Vec<f64> = candidates
                .iter()
                .filter_map(|&i| catalog.product(i).price.as_ref().map(|p| p.to_usd()))
                .collect();
            prices.sort_by(f64::total_cmp);
            return PriceFit::Cheap(prices);
        }
        match profile.and_then(|p| p.price_band) {
            Some(band) => PriceFit::Band {
                low: band.low,
                high: band.high,
            },
            None => PriceFit::None,
        }
    }

    fn fit(&self, product: &Product) -> Option<f64> {
        let price = product.price.as_ref().map(|p| p.to_usd());
        match self {
            PriceFit::None => None,
            PriceFit::Cheap(prices) => Some(match price {
                Some(p) if !prices.is_empty() => {
                    1.0 - prices.partition_point(|&x| x < p) as f64 / prices.len() as f64
                }
                _ => 0.5,
            }),
            PriceFit::Band { low, high } => Some(match price {
                Some(p) if p >= *low && p <= *high => 1.0,
                Some(p) if p > 0.0 && *low > 0.0 => {
                    let bound = if p < *low { *low } else { *high };
                    (-(p / bound).ln().abs()).exp()
                }
                _ => 0.5,
            }),
        }
    }
}
