//! The learned ranker's features of one (request, product) pair.
//!
//! Every feature is a function of the request text and the product, so it can be
//! recomputed for any coalition of request words: the word attributions explain the
//! learned score itself, not a proxy of it. The request side ([`RequestSide`]) is computed
//! once per coalition, the product side ([`ProductSide`]) once per request.

use std::collections::{BTreeSet, HashSet};

use daogou_catalog::keyword::{analyze, FieldScores, KeywordField};
use daogou_catalog::Product;

use super::quantity::{quantities, Quantity};
use crate::answer::ComponentName;

/// The features of a row, in order.
pub const FEATURES: [ComponentName; 14] = [
    ComponentName::Semantic,
    ComponentName::TitleBm25,
    ComponentName::TitleBm25Share,
    ComponentName::HeadMatch,
    ComponentName::DescriptionBm25,
    ComponentName::BrandBm25,
    ComponentName::CategoryBm25,
    ComponentName::TitleCoverage,
    ComponentName::ExactPhrase,
    ComponentName::NumbersMatched,
    ComponentName::NumbersMissing,
    ComponentName::BrandMatch,
    ComponentName::TitleLength,
    ComponentName::RequestLength,
];

/// Number of features.
pub const NUM_FEATURES: usize = FEATURES.len();

/// One (request, product) pair's features, in [`FEATURES`] order; `NaN` where a feature
/// does not apply (brand match of a product without a brand).
pub type FeatureRow = [f64; NUM_FEATURES];

/// The request words of one coalition, analysed as the keyword index analyses them.
#[derive(Debug, Clone)]
pub struct RequestSide {
    terms: Vec<String>,
    distinct: BTreeSet<String>,
    quantities: Vec<Quantity>,
}

impl RequestSide {
    /// The request side of `text` (the coalition's words, joined).
    pub fn new(text: &str) -> Self {
        let terms: Vec<String> = analyze(text).into_iter().map(|t| t.term).collect();
        Self {
            distinct: terms.iter().cloned().collect(),
            terms,
            quantities: quantities(text),
        }
    }
}

/// What the features read of one product.
#[derive(Debug, Clone)]
pub struct ProductSide {
    title: Vec<String>,
    title_set: HashSet<String>,
    quantities: Vec<Quantity>,
    brand: Option<Vec<String>>,
}

impl ProductSide {
    /// The product side of `product`.
    pub fn new(product: &Product) -> Self {
        let title: Vec<String> = analyze(&product.title)
            .into_iter()
            .map(|t| t.term)
            .collect();
        let brand = product
            .brand
            .as_deref()
            .map(|b| analyze(b).into_iter().map(|t| t.term).collect::<Vec<_>>())
            .filter(|terms| !terms.is_empty());
        Self {
            title_set: title.iter().cloned().collect(),
            title,
            quantities: quantities(&product.title),
            brand,
        }
    }
}

/// The features of a request coalition and a product, given the coalition's cosine
/// similarity to the product, its BM25 scores by field, and the most title BM25 any
/// product of the catalog gets from each of the coalition's terms, summed.
pub fn feature_row(
    request: &RequestSide,
    product: &ProductSide,
    cosine: f64,
    bm25: &FieldScores,
    title_bm25_max: f64,
) -> FeatureRow {
    let covered = request
        .distinct
        .iter()
        .filter(|t| product.title_set.contains(*t))
        .count();
    let coverage = if request.distinct.is_empty() {
        0.0
    } else {
        covered as f64 / request.distinct.len() as f64
    };
    let phrase = request.terms.len() >= 2
        && product
            .title
            .windows(request.terms.len())
            .any(|w| w == request.terms.as_slice());
    let matched = request
        .quantities
        .iter()
        .filter(|q| product.quantities.iter().any(|o| q.matches(o)))
        .count();
    let brand = product.brand.as_ref().map_or(f64::NAN, |terms| {
        f64::from(u8::from(terms.iter().all(|t| request.distinct.contains(t))))
    });
    let field = |f: KeywordField| f64::from(bm25.get(f));
    let share = if title_bm25_max > 0.0 {
        field(KeywordField::Title) / title_bm25_max
    } else {
        0.0
    };
    let head = request
        .terms
        .last()
        .is_some_and(|t| product.title_set.contains(t));
    [
        cosine,
        field(KeywordField::Title),
        share,
        f64::from(u8::from(head)),
        field(KeywordField::Description),
        field(KeywordField::Brand),
        field(KeywordField::Category),
        coverage,
        f64::from(u8::from(phrase)),
        matched as f64,
        (request.quantities.len() - matched) as f64,
        brand,
        product.title.len() as f64,
        request.distinct.len() as f64,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(request: &str, title: &str, brand: Option<&str>) -> FeatureRow {
        let mut product = Product::new("p", title);
        product.brand = brand.map(str::to_string);
        feature_row(
            &RequestSide::new(request),
            &ProductSide::new(&product),
            0.5,
            &FieldScores([1.0, 2.0, 3.0, 4.0]),
            4.0,
        )
    }

    fn get(row: &FeatureRow, name: ComponentName) -> f64 {
        row[FEATURES.iter().position(|&f| f == name).expect("a feature")]
    }

    #[test]
    fn coverage_phrase_numbers_and_brand_are_measured_on_analysed_terms() {
        let r = row(
            "1/2 in. copper pipes",
            "Everbilt 1/2 in. x 10 ft. Copper Pipe",
            Some("Everbilt"),
        );
        // Terms: 1, 2, copper, pipe ("in" is a stop word): all in the title; the request
        // is no phrase of it (the title has "x 10 ft" between).
        assert_eq!(get(&r, ComponentName::TitleCoverage), 1.0);
        assert_eq!(get(&r, ComponentName::ExactPhrase), 0.0);
        assert_eq!(get(&r, ComponentName::NumbersMatched), 1.0);
        assert_eq!(get(&r, ComponentName::NumbersMissing), 0.0);
        assert_eq!(get(&r, ComponentName::BrandMatch), 0.0);
        assert_eq!(get(&r, ComponentName::RequestLength), 4.0);
        assert_eq!(get(&r, ComponentName::Semantic), 0.5);
        assert_eq!(get(&r, ComponentName::BrandBm25), 3.0);
        assert_eq!(get(&r, ComponentName::TitleBm25Share), 0.25);
        assert_eq!(get(&r, ComponentName::HeadMatch), 1.0);

        let r = row(
            "everbilt copper pipe",
            "Everbilt Copper Pipe",
            Some("Everbilt"),
        );
        assert_eq!(get(&r, ComponentName::ExactPhrase), 1.0);
        assert_eq!(get(&r, ComponentName::BrandMatch), 1.0);

        let r = row("3/4 in. pipe", "Copper Pipe 1/2 in.", None);
        // Terms 3, 4, pipe: only "pipe" is in the title.
        assert_eq!(get(&r, ComponentName::TitleCoverage), 1.0 / 3.0);
        assert_eq!(get(&r, ComponentName::NumbersMissing), 1.0);
        assert!(get(&r, ComponentName::BrandMatch).is_nan());
        assert_eq!(get(&r, ComponentName::HeadMatch), 1.0);
        let r = row("pipe wrench", "Copper Pipe 1/2 in.", None);
        assert_eq!(get(&r, ComponentName::HeadMatch), 0.0);
    }

    #[test]
    fn an_empty_coalition_has_no_matches() {
        let r = row("", "Copper Pipe", None);
        assert_eq!(get(&r, ComponentName::TitleCoverage), 0.0);
        assert_eq!(get(&r, ComponentName::RequestLength), 0.0);
        assert_eq!(get(&r, ComponentName::NumbersMatched), 0.0);
    }
}
