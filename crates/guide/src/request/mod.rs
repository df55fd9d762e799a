//! Parsing a shopper's request into constraints and free text.
//!
//! [`parse_request`] finds price bounds, a "cheap" wish,
//! brands and categories of the catalog; every [`Constraint`] keeps the byte [`Span`] of the
//! words that produced it, so a UI can show `"under 100 dollars" → price ≤ $100.00`.
//! Price, "cheap" and explicit brand words (`brand X`, `by X`, `from X`, `X品牌`) are cut
//! from [`ParsedRequest::free_text`]; category words and bare brand mentions stay in it,
//! because they still help text retrieval. Category matches and bare brand mentions are
//! hints, explicit brands and prices are meant as filters.
//!
//! The parser never panics: any UTF-8 input, however long, gives a result.

mod price;
pub mod segment;

use std::fmt;

use daogou_catalog::vocabulary::{Folded, RequestVocabulary};
use daogou_catalog::Price;
use daogou_catalog::Span;
use serde::Serialize;

use crate::language::{fill, Language};

/// What a constraint asks for.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub enum ConstraintKind {
    /// Price at most this (inclusive).
    MaxPrice(Price),
    /// Price at least this (inclusive).
    MinPrice(Price),
    /// Price within `min..=max`.
    PriceRange {
        /// Lower bound.
        min: Price,
        /// Upper bound.
        max: Price,
    },
    /// The shopper wants something inexpensive; a preference, not a filter.
    Cheap,
    /// A brand of the catalog.
    Brand {
        /// The brand as the catalog writes it.
        brand: String,
        /// Introduced by a cue word (`brand X`, `by X`); bare mentions are only hints.
        explicit: bool,
    },
    /// A category (or category segment, or synonym) of the catalog.
    Category {
        /// The matched category name as the catalog writes it.
        name: String,
        /// Full category strings of the catalog this selects.
        categories: Vec<String>,
    },
}

/// How the guide uses a constraint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConstraintRole {
    /// Price bounds and explicit brands: products that fail are excluded.
    Filter,
    /// "cheap": scored, not excluded.
    Preference,
    /// Categories and bare brand mentions: their words stay in the text that is matched.
    Hint,
}

impl fmt::Display for ConstraintRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ConstraintRole::Filter => "filter",
            ConstraintRole::Preference => "preference",
            ConstraintRole::Hint => "hint",
        })
    }
}

/// One constraint and the request bytes that produced it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Constraint {
    /// What is asked.
    pub kind: ConstraintKind,
    /// The request words behind it.
    pub span: Span,
}

impl Constraint {
    /// Whether it bounds the price (at most, at least, or a range).
    pub fn is_price(&self) -> bool {
        matches!(
            self.kind,
            ConstraintKind::MaxPrice(_)
                | ConstraintKind::MinPrice(_)
                | ConstraintKind::PriceRange { .. }
        )
    }

    /// How the guide uses it.
    pub fn role(&self) -> ConstraintRole {
        match self.kind {
            ConstraintKind::MaxPrice(_)
            | ConstraintKind::MinPrice(_)
            | ConstraintKind::PriceRange { .. }
            | ConstraintKind::Brand { explicit: true, .. } => ConstraintRole::Filter,
            ConstraintKind::Cheap => ConstraintRole::Preference,
            ConstraintKind::Brand { .. } | ConstraintKind::Category { .. } => ConstraintRole::Hint,
        }
    }

    /// Human-readable form, e.g. `price ≤ $100.00` or `price ≤ ¥300.00 (≈ $42.00)`.
    pub fn describe(&self) -> String {
        self.describe_in(Language::English)
    }

    /// [`describe`](Self::describe) in `language` (`¥300 以内`).
    pub fn describe_in(&self, language: Language) -> String {
        let m = &language.messages().constraints;
        let price = |p: &Price| {
            let shown = language.price(p);
            if p.currency == daogou_catalog::Currency::Usd
                || (language == Language::Chinese && p.currency == daogou_catalog::Currency::Cny)
            {
                shown
            } else {
                let usd = format!("${:.2}", p.to_usd());
                fill(&m.in_usd, &[("price", &shown), ("usd", &usd)])
            }
        };
        match &self.kind {
            ConstraintKind::MaxPrice(p) => fill(&m.max_price, &[("price", &price(p))]),
            ConstraintKind::MinPrice(p) => fill(&m.min_price, &[("price", &price(p))]),
            ConstraintKind::PriceRange { min, max } => fill(
                &m.price_range,
                &[("min", &price(min)), ("max", &price(max))],
            ),
            ConstraintKind::Cheap => m.cheap.clone(),
            ConstraintKind::Brand {
                brand,
                explicit: true,
            } => fill(&m.brand, &[("brand", brand)]),
            ConstraintKind::Brand { brand, .. } => fill(&m.mentions_brand, &[("brand", brand)]),
            ConstraintKind::Category { name, .. } => fill(
                &m.category,
                &[("category", language.messages().category(name))],
            ),
        }
    }
}

/// A request split into constraints and remaining free text.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ParsedRequest {
    /// The request as given.
    pub text: String,
    /// Constraints in request order.
    pub constraints: Vec<Constraint>,
    /// The request without price, "cheap" and explicit brand words, whitespace collapsed.
    pub free_text: String,
}

impl ParsedRequest {
    /// Tightest `(min, max)` price bounds in USD (fixed conversion rates).
    pub fn price_bounds_usd(&self) -> (Option<f64>, Option<f64>) {
        let mut bounds = (None, None);
        let tighten_min = |b: &mut Option<f64>, v: f64| *b = Some(b.map_or(v, |x: f64| x.max(v)));
        let tighten_max = |b: &mut Option<f64>, v: f64| *b = Some(b.map_or(v, |x: f64| x.min(v)));
        for c in &self.constraints {
            match &c.kind {
                ConstraintKind::MaxPrice(p) => tighten_max(&mut bounds.1, p.to_usd()),
                ConstraintKind::MinPrice(p) => tighten_min(&mut bounds.0, p.to_usd()),
                ConstraintKind::PriceRange { min, max } => {
                    tighten_min(&mut bounds.0, min.to_usd());
                    tighten_max(&mut bounds.1, max.to_usd());
                }
                _ => {}
            }
        }
        bounds
    }

    /// Whether the shopper asked for something cheap.
    pub fn wants_cheap(&self) -> bool {
        self.constraints
            .iter()
            .any(|c| c.kind == ConstraintKind::Cheap)
    }

    /// Brands named with a cue word (`brand X`, `by X`).
    pub fn explicit_brands(&self) -> Vec<&str> {
        self.constraints
            .iter()
            .filter_map(|c| match &c.kind {
                ConstraintKind::Brand {
                    brand,
                    explicit: true,
                } => Some(brand.as_str()),
                _ => None,
            })
            .collect()
    }

    /// The request words of a constraint.
    pub fn source_of(&self, constraint: &Constraint) -> &str {
        constraint.span.slice(&self.text).unwrap_or("")
    }
}

/// Cue words that make a following brand explicit.
const CUES_BEFORE: &[&str] = &["made by", "brand", "by", "from", "品牌", "牌子", "品牌是"];
/// Cue words that make a preceding brand explicit.
const CUES_AFTER: &[&str] = &["brand", "品牌", "牌子", "牌"];

static CHEAP: std::sync::LazyLock<Option<regex::Regex>> = std::sync::LazyLock::new(|| {
    regex::Regex::new(
        r"(?i)\b(?:cheap(?:est|er)?|inexpensive|affordable|budget|low[- ]cost|low[- ]priced|bargain)\b|便宜|实惠|平价|性价比高?|不贵",
    )
    .ok()
});

/// Parses `text` against the brands and categories in `vocab`. Never panics.
///
/// Price phrasings (inclusive bounds, case-insensitive):
/// ceilings `under / below / less than / cheaper than / no more than / at most / up to /
/// max / within / budget (of) AMT`, `< AMT`, `低于 / 少于 / 不超过 / 不高于 / 不到 / 最多 /
/// 预算 / 控制在 AMT`, `AMT 以下 / 以内 / 之内`; floors `over / above / more than / at least /
/// min / starting at AMT`, `from AMT` (with a currency), `> AMT`, `高于 / 超过 / 不低于 /
/// 至少 AMT`, `AMT 以上 / 起`; ranges `between AMT and AMT`, `from AMT to AMT` and
/// `AMT-AMT` (these two need a currency), `AMT 到 / 至 AMT (之间)`. `AMT` is a number with
/// an optional `k` and currency (`$`, `¥`, `€`, `£`, `usd`, `dollars`, `元`, `块`, ...).
/// Without a currency, Chinese phrasing or a request containing CJK text means CNY, else
/// USD. A bare number followed by a unit (`5 pounds`, `3 years`, `3岁`) or after an age
/// word (`kids over 3`) is not a price. "Around $50" and Chinese numerals are not handled.
pub fn parse_request(text: &str, vocab: &RequestVocabulary) -> ParsedRequest {
    let mut chosen: Vec<Constraint> = Vec::new();
    let mut removable: Vec<Span> = Vec::new();

    // 1. Prices: ranges first, then longer matches, then earlier ones.
    let mut prices = price::candidates(text);
    prices.sort_by_key(|(span, _, range)| {
        (!range, std::cmp::Reverse(span.end - span.start), span.start)
    });
    for (span, kind, _) in prices {
        if take(&mut chosen, span, kind) {
            removable.push(span);
        }
    }

    // 2. "cheap" and friends.
    if let Some(cheap) = CHEAP.as_ref() {
        for m in cheap.find_iter(text) {
            let span = Span::new(m.start(), m.end());
            if take(&mut chosen, span, ConstraintKind::Cheap) {
                removable.push(span);
            }
        }
    }

    // 3. Brands with a cue word, 4. categories, 5. bare brand mentions.
    let folded = Folded::new(text);
    let mut brands = vocab.find_brands(text, &folded);
    brands.sort_by_key(|m| (std::cmp::Reverse(m.span.end - m.span.start), m.span.start));
    let mut bare = Vec::new();
    for m in brands {
        let Some(brand) = vocab.brand(m.index) else {
            continue;
        };
        match cue_span(text, m.span) {
            Some(span) => {
                let kind = ConstraintKind::Brand {
                    brand: brand.to_string(),
                    explicit: true,
                };
                if take(&mut chosen, span, kind) {
                    removable.push(span);
                }
            }
            None => bare.push((m.span, brand.to_string())),
        }
    }
    let mut categories = vocab.find_categories(text, &folded);
    categories.sort_by_key(|m| (std::cmp::Reverse(m.span.end - m.span.start), m.span.start));
    for m in categories {
        if let Some((name, selected)) = vocab.category(m.index) {
            let kind = ConstraintKind::Category {
                name: name.clone(),
                categories: selected.clone(),
            };
            take(&mut chosen, m.span, kind);
        }
    }
    for (span, brand) in bare {
        let kind = ConstraintKind::Brand {
            brand,
            explicit: false,
        };
        take(&mut chosen, span, kind);
    }

    chosen.sort_by_key(|c| c.span);
    ParsedRequest {
        text: text.to_string(),
        free_text: remove_spans(text, &mut removable),
        constraints: chosen,
    }
}

/// Adds the constraint unless its span overlaps one already chosen.
fn take(chosen: &mut Vec<Constraint>, span: Span, kind: ConstraintKind) -> bool {
    if chosen.iter().any(|c| c.span.overlaps(&span)) {
        return false;
    }
    chosen.push(Constraint { kind, span });
    true
}

/// The brand span widened to its cue word, if it has one.
fn cue_span(text: &str, brand: Span) -> Option<Span> {
    let before = text.get(..brand.start)?.trim_end_matches([' ', ':', '：']);
    for cue in CUES_BEFORE {
        let Some(start) = before.len().checked_sub(cue.len()) else {
            continue;
        };
        let Some(tail) = before.get(start..) else {
            continue;
        };
        let separated = before[..start]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric() || daogou_explain::is_cjk(c));
        if tail.eq_ignore_ascii_case(cue) && separated {
            return Some(Span::new(start, brand.end));
        }
    }
    let after = text.get(brand.end..)?;
    let trimmed = after.trim_start_matches(' ');
    for cue in CUES_AFTER {
        let Some(head) = trimmed.get(..cue.len()) else {
            continue;
        };
        let separated = trimmed[cue.len()..]
            .chars()
            .next()
            .is_none_or(|c| !c.is_alphanumeric() || daogou_explain::is_cjk(c));
        if head.eq_ignore_ascii_case(cue) && separated {
            let end = brand.end + (after.len() - trimmed.len()) + cue.len();
            return Some(Span::new(brand.start, end));
        }
    }
    None
}

/// `text` without the spans, whitespace collapsed, dangling punctuation and 的 trimmed.
fn remove_spans(text: &str, spans: &mut [Span]) -> String {
    spans.sort();
    let mut kept = String::with_capacity(text.len());
    let mut cursor = 0;
    for span in spans.iter() {
        if span.start >= cursor {
            kept.push_str(text.get(cursor..span.start).unwrap_or(""));
            kept.push(' ');
            cursor = span.end;
        }
    }
    kept.push_str(text.get(cursor..).unwrap_or(""));
    kept.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .trim_matches(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '，' | '、' | '的'))
        .to_string()
}
