//! Brands and categories of a catalog, and finding them in a request.

use crate::product::Product;
use crate::Span;
use aho_corasick::AhoCorasick;
use daogou_explain::is_cjk;
use std::collections::BTreeMap;

/// Category synonyms, applied only to categories (matched case-insensitively by full name
/// or last `>` segment) that the catalog actually has.
const SYNONYMS: &[(&str, &[&str])] = &[
    (
        "outdoor",
        &["outdoors", "camping", "hiking", "户外", "露营", "徒步"],
    ),
    (
        "electronics",
        &["electronic", "gadget", "gadgets", "tech", "电子", "数码"],
    ),
    ("home", &["home decor", "bedding", "家居"]),
    ("home office", &["office", "work from home", "wfh", "办公"]),
    (
        "beauty",
        &[
            "skincare",
            "skin care",
            "makeup",
            "cosmetics",
            "美妆",
            "护肤",
            "化妆品",
        ],
    ),
    (
        "baby & kids",
        &[
            "infant", "toddler", "toddlers", "children", "child", "婴儿", "宝宝", "儿童", "母婴",
        ],
    ),
    ("gifts", &["present", "presents", "礼物", "礼品"]),
    ("groceries", &["food", "snacks", "食品", "零食"]),
    ("sports", &["fitness", "gym", "workout", "运动", "健身"]),
    ("party", &["parties", "派对", "聚会"]),
    ("pets", &["dog", "dogs", "cat", "cats", "宠物"]),
    ("kitchen", &["cookware", "厨房", "厨具"]),
    (
        "fashion",
        &["clothing", "clothes", "apparel", "服装", "时尚", "衣服"],
    ),
];

/// Catalog words too generic to count as a category or brand mention.
const GENERIC: &[&str] = &[
    "other",
    "others",
    "missing",
    "misc",
    "miscellaneous",
    "more",
    "all",
    "general",
    "unknown",
    "n/a",
    "na",
    "none",
    "the",
    "and",
    "for",
    "new",
];

/// Brands and categories a request can refer to; build it once per catalog.
#[derive(Debug, Clone)]
pub struct RequestVocabulary {
    brands: Vec<String>,
    brand_matcher: Option<AhoCorasick>,
    /// Per category phrase: the name to show and the full categories it selects.
    category_targets: Vec<(String, Vec<String>)>,
    category_matcher: Option<AhoCorasick>,
}

/// A brand or category phrase found in a request.
#[derive(Debug, Clone, PartialEq)]
pub struct VocabMatch {
    /// Where in the request text.
    pub span: Span,
    /// Which brand or category.
    pub index: usize,
}

impl RequestVocabulary {
    /// Vocabulary of the brands and categories of `products`.
    pub fn from_products(products: &[Product]) -> Self {
        Self::new(
            products.iter().filter_map(|p| p.brand.clone()),
            products.iter().filter_map(|p| p.category.clone()),
        )
    }

    /// Vocabulary from explicit brand and category lists (duplicates are fine).
    pub fn new(
        brands: impl IntoIterator<Item = String>,
        categories: impl IntoIterator<Item = String>,
    ) -> Self {
        let mut brand_names: BTreeMap<String, String> = BTreeMap::new();
        for brand in brands {
            let key = brand.trim().to_lowercase();
            if usable(&key) {
                brand_names
                    .entry(key)
                    .or_insert_with(|| brand.trim().to_string());
            }
        }
        let (brand_phrases, brands): (Vec<String>, Vec<String>) = brand_names.into_iter().unzip();

        let mut full: BTreeMap<String, String> = BTreeMap::new();
        for category in categories {
            let key = category.trim().to_lowercase();
            if !key.is_empty() {
                full.entry(key)
                    .or_insert_with(|| category.trim().to_string());
            }
        }
        // phrase -> (display name, categories)
        let mut phrases: BTreeMap<String, (String, Vec<String>)> = BTreeMap::new();
        let mut add = |phrase: &str, name: &str, category: &str| {
            let phrase = phrase.trim().to_lowercase();
            if !usable(&phrase) {
                return;
            }
            let entry = phrases
                .entry(phrase)
                .or_insert_with(|| (name.to_string(), Vec::new()));
            if !entry.1.iter().any(|c| c == category) {
                entry.1.push(category.to_string());
            }
        };
        for (key, category) in &full {
            add(key, category, category);
            for (segment, display) in key.split('>').zip(category.split('>')) {
                for phrase in variants(segment) {
                    add(&phrase, display.trim(), category);
                }
                for part in segment
                    .split(['&', ',', '/'])
                    .flat_map(|p| p.split(" and "))
                {
                    for phrase in variants(part) {
                        add(&phrase, display.trim(), category);
                    }
                }
            }
            let last = key.rsplit('>').next().unwrap_or(key).trim();
            for (name, synonyms) in SYNONYMS {
                if *name == key.as_str() || *name == last {
                    for synonym in *synonyms {
                        add(synonym, category, category);
                    }
                }
            }
        }
        let (category_phrases, category_targets): (Vec<String>, Vec<(String, Vec<String>)>) =
            phrases.into_iter().unzip();
        RequestVocabulary {
            brands,
            brand_matcher: AhoCorasick::new(&brand_phrases).ok(),
            category_targets,
            category_matcher: AhoCorasick::new(&category_phrases).ok(),
        }
    }

    /// Brand display name of a match index.
    pub fn brand(&self, index: usize) -> Option<&str> {
        self.brands.get(index).map(String::as_str)
    }

    /// Category display name and selected categories of a match index.
    pub fn category(&self, index: usize) -> Option<&(String, Vec<String>)> {
        self.category_targets.get(index)
    }

    /// Brand mentions in `text` (overlapping, word-bounded).
    pub fn find_brands(&self, text: &str, folded: &Folded) -> Vec<VocabMatch> {
        find(self.brand_matcher.as_ref(), text, folded)
    }

    /// Category mentions in `text` (overlapping, word-bounded).
    pub fn find_categories(&self, text: &str, folded: &Folded) -> Vec<VocabMatch> {
        find(self.category_matcher.as_ref(), text, folded)
    }
}

/// The phrase and its simple singular / plural.
fn variants(phrase: &str) -> Vec<String> {
    let phrase = phrase.trim();
    let mut out = vec![phrase.to_string()];
    if phrase.chars().any(is_cjk) || phrase.is_empty() {
        return out;
    }
    if let Some(stem) = phrase.strip_suffix("ies") {
        out.push(format!("{stem}y"));
    } else if let Some(stem) = phrase.strip_suffix('s') {
        if !stem.ends_with('s') {
            out.push(stem.to_string());
        }
    } else if let Some(stem) = phrase.strip_suffix('y') {
        out.push(format!("{stem}ies"));
    } else {
        out.push(format!("{phrase}s"));
    }
    out
}

/// Long enough and not generic.
fn usable(phrase: &str) -> bool {
    let cjk = phrase.chars().any(is_cjk);
    let long_enough = if cjk {
        phrase.chars().count() >= 2
    } else {
        phrase.chars().filter(|c| c.is_alphanumeric()).count() >= 2
    };
    long_enough && !GENERIC.contains(&phrase)
}

/// Lower-cased text with, for each byte, the original character's byte range.
pub struct Folded {
    text: String,
    origin: Vec<(usize, usize)>,
}

impl Folded {
    /// Folds `text` (lower case, one space for any whitespace), keeping the way back.
    pub fn new(text: &str) -> Self {
        let mut folded = String::with_capacity(text.len());
        let mut origin = Vec::with_capacity(text.len());
        for (start, c) in text.char_indices() {
            let end = start + c.len_utf8();
            for lower in c.to_lowercase() {
                folded.push(lower);
                origin.extend(std::iter::repeat_n((start, end), lower.len_utf8()));
            }
        }
        Folded {
            text: folded,
            origin,
        }
    }

    /// Original span of the folded byte range `start..end` (`end > start`).
    fn original(&self, start: usize, end: usize) -> Option<Span> {
        let first = self.origin.get(start)?;
        let last = self.origin.get(end.checked_sub(1)?)?;
        Some(Span::new(first.0, last.1))
    }
}

fn find(matcher: Option<&AhoCorasick>, text: &str, folded: &Folded) -> Vec<VocabMatch> {
    let Some(matcher) = matcher else {
        return Vec::new();
    };
    matcher
        .find_overlapping_iter(folded.text.as_str())
        .filter_map(|m| {
            let span = folded.original(m.start(), m.end())?;
            word_bounded(text, span).then_some(VocabMatch {
                span,
                index: m.pattern().as_usize(),
            })
        })
        .collect()
}

/// No letter or digit glued to either end of a non-CJK edge.
fn word_bounded(text: &str, span: Span) -> bool {
    let Some(inner) = span.slice(text) else {
        return false;
    };
    let glued = |outer: Option<char>, edge: Option<char>| {
        matches!((outer, edge), (Some(o), Some(e))
            if o.is_alphanumeric() && !is_cjk(o) && e.is_alphanumeric() && !is_cjk(e))
    };
    let before = text.get(..span.start).and_then(|s| s.chars().next_back());
    let after = text.get(span.end..).and_then(|s| s.chars().next());
    !glued(before, inner.chars().next()) && !glued(after, inner.chars().next_back())
}
