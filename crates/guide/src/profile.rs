//! Shopper profiles from histories of events, and how each event moves a recommendation.
//!
//! Every event gets a weight: its kind's weight (viewed 1, searched 1.5, carted 2,
//! bought 3, reviewed 2 scaled by `(rating − 3) / 2`, so a 1-star review pushes away)
//! times a recency decay `0.5^(age / half_life)` relative to the newest event. From the
//! weighted events the profile derives preferred categories and brands (shares of positive
//! weight), a price band (weighted 25th–75th percentile of product prices, USD) and a
//! profile embedding: the normalised weighted sum of the events' embeddings (products'
//! catalog embeddings, searches' query embeddings).
//!
//! A product's profile affinity is the cosine similarity between the profile embedding and
//! the product. [`Profile::explain_affinity`] attributes it to the events with Shapley
//! values, where a coalition of events builds its own profile (the empty one has
//! affinity 0).

use std::collections::BTreeMap;

use crate::error::Result;
use daogou_catalog::{EventKind, HistoryEvent};
use daogou_explain::dot;
use daogou_explain::{Auto, EvalConfig, Evaluator, Explainer, Explanation, FnModel, Mask};
use daogou_model::SentenceEncoder;
use serde::{Deserialize, Serialize};

use daogou_catalog::CatalogIndex;
use daogou_catalog::QUERY;

/// The weight of an event of a kind, before recency and rating.
fn kind_weight(kind: EventKind) -> f64 {
    match kind {
        EventKind::Viewed => 1.0,
        EventKind::Searched => 1.5,
        EventKind::Carted => 2.0,
        EventKind::Bought => 3.0,
        EventKind::Reviewed => 2.0,
    }
}

/// Settings of profile building.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct ProfileOptions {
    /// Days after which an event counts half (default 30).
    pub half_life_days: f64,
}

impl Default for ProfileOptions {
    fn default() -> Self {
        Self {
            half_life_days: 30.0,
        }
    }
}

/// An event that entered the profile.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProfileItem {
    /// Index of the event in the history.
    pub event: usize,
    /// What it was, for people: `bought "Summit Shell Waterproof Hiking Jacket"`.
    pub label: String,
    /// Its weight (kind × recency; negative for poor reviews).
    pub weight: f64,
    /// The product, for product events.
    pub product_id: Option<String>,
    #[serde(skip)]
    embedding: Vec<f32>,
}

/// A weighted share of something (a category or a brand).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Share {
    /// The category or brand.
    pub name: String,
    /// Share of the positive event weight, 0–1.
    pub share: f64,
}

/// Prices the shopper tends to pay, in USD.
#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
pub struct PriceBand {
    /// Weighted 25th percentile.
    pub low: f64,
    /// Weighted median.
    pub median: f64,
    /// Weighted 75th percentile.
    pub high: f64,
}

/// A shopper profile.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Profile {
    /// Events that entered the profile, in history order.
    pub items: Vec<ProfileItem>,
    /// Preferred categories, largest share first.
    pub categories: Vec<Share>,
    /// Preferred brands, largest share first.
    pub brands: Vec<Share>,
    /// Usual price band, if any priced product was involved.
    pub price_band: Option<PriceBand>,
    /// Product ids of the history that the catalog does not know (skipped).
    pub unknown_products: Vec<String>,
    /// Normalised profile embedding; `None` when no event could be embedded.
    #[serde(skip)]
    pub embedding: Option<Vec<f32>>,
}

impl Profile {
    /// Builds a profile from `events` against the products of `catalog`.
    pub fn build(
        events: &[HistoryEvent],
        catalog: &CatalogIndex,
        encoder: &SentenceEncoder,
        options: ProfileOptions,
    ) -> Result<Self> {
        let newest = events.iter().map(|e| e.timestamp).max().unwrap_or(0);
        let half_life = options.half_life_days.max(1e-6) * 86_400.0;
        let searches: Vec<&str> = events.iter().filter_map(|e| e.query.as_deref()).collect();
        let mut search_vectors = encoder.embed_with_prompt(QUERY, &searches)?.into_iter();

        let mut items = Vec::new();
        let mut unknown_products = Vec::new();
        let mut categories: BTreeMap<String, f64> = BTreeMap::new();
        let mut brands: BTreeMap<String, f64> = BTreeMap::new();
        let mut prices: Vec<(f64, f64)> = Vec::new();
        for (i, event) in events.iter().enumerate() {
            let recency = 0.5f64.powf((newest - event.timestamp).max(0) as f64 / half_life);
            let mut weight = kind_weight(event.kind) * recency;
            if event.kind == EventKind::Reviewed {
                weight *= event.rating.map_or(1.0, |r| (r - 3.0) / 2.0);
            }
            if let Some(query) = &event.query {
                if let Some(embedding) = search_vectors.next() {
                    items.push(ProfileItem {
                        event: i,
                        label: format!("searched \"{query}\""),
                        weight,
                        product_id: None,
                        embedding,
                    });
                }
                continue;
            }
            let Some(id) = &event.product_id else {
                continue;
            };
            let Some(p) = catalog.position(id) else {
                unknown_products.push(id.clone());
                continue;
            };
            let product = catalog.product(p);
            if weight > 0.0 {
                if let Some(c) = &product.category {
                    *categories.entry(c.clone()).or_default() += weight;
                }
                if let Some(b) = &product.brand {
                    *brands.entry(b.clone()).or_default() += weight;
                }
                if let Some(price) = &product.price {
                    prices.push((price.to_usd(), weight));
                }
            }
            let verb = format!("{:?}", event.kind).to_lowercase();
            items.push(ProfileItem {
                event: i,
                label: format!("{verb} \"{}\"", product.title),
                weight,
                product_id: Some(id.clone()),
                embedding: catalog.embedding(p).to_vec(),
            });
        }
        let all: Vec<usize> = (0..items.len()).collect();
        let embedding = profile_embedding(&items, &all);
        Ok(Profile {
            categories: shares(categories),
            brands: shares(brands),
            price_band: price_band(&mut prices),
            unknown_products,
            embedding,
            items,
        })
    }

    /// Cosine similarity between the profile and a product embedding (0 without a profile).
    pub fn affinity(&self, product: &[f32]) -> f64 {
        self.embedding.as_deref().map_or(0.0, |p| dot(p, product))
    }

    /// Attributes each target's affinity to the profile's events (Shapley values; exact
    /// for up to 12 events, Kernel SHAP beyond). One explanation per target.
    pub fn explain_affinity(
        &self,
        targets: &[(String, &[f32])],
        seed: u64,
    ) -> Result<Vec<Explanation>> {
        if self.items.is_empty() || targets.is_empty() {
            return Ok(Vec::new());
        }
        let model = FnModel::new(self.items.len(), targets.len(), |masks: &[Mask]| {
            Ok(masks
                .iter()
                .map(|mask| {
                    let kept: Vec<usize> = mask.present().collect();
                    let profile = profile_embedding(&self.items, &kept);
                    targets
                        .iter()
                        .map(|(_, t)| profile.as_deref().map_or(0.0, |p| dot(p, t)))
                        .collect()
                })
                .collect())
        });
        let names = self.items.iter().map(|i| i.label.clone()).collect();
        let target_names = targets.iter().map(|(name, _)| name.clone()).collect();
        let mut evaluator = Evaluator::new(&model, EvalConfig::default())?
            .with_feature_names(names)?
            .with_target_names(target_names)?;
        Ok(Auto {
            seed,
            ..Auto::default()
        }
        .explain(&mut evaluator)?)
    }
}

fn profile_embedding(items: &[ProfileItem], kept: &[usize]) -> Option<Vec<f32>> {
    let dim = items.first()?.embedding.len();
    let mut sum = vec![0f64; dim];
    for &i in kept {
        for (s, &x) in sum.iter_mut().zip(&items[i].embedding) {
            *s += items[i].weight * f64::from(x);
        }
    }
    let norm = sum.iter().map(|x| x * x).sum::<f64>().sqrt();
    (norm > 1e-12).then(|| sum.iter().map(|x| (x / norm) as f32).collect())
}

fn shares(weights: BTreeMap<String, f64>) -> Vec<Share> {
    let total: f64 = weights.values().sum();
    let mut shares: Vec<Share> = weights
        .into_iter()
        .map(|(name, w)| Share {
            name,
            share: w / total,
        })
        .collect();
    shares.sort_by(|a, b| {
        b.share
            .total_cmp(&a.share)
            .then_with(|| a.name.cmp(&b.name))
    });
    shares
}

fn price_band(prices: &mut [(f64, f64)]) -> Option<PriceBand> {
    if prices.is_empty() {
        return None;
    }
    prices.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f64 = prices.iter().map(|p| p.1).sum();
    let quantile = |q: f64| {
        let mut acc = 0.0;
        for &(price, w) in prices.iter() {
            acc += w;
            if acc >= q * total {
                return price;
            }
        }
        prices[prices.len() - 1].0
    };
    Some(PriceBand {
        low: quantile(0.25),
        median: quantile(0.5),
        high: quantile(0.75),
    })
}
