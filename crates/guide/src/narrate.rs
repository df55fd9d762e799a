//! The sentence a shopper reads, built only from evidence that clears a threshold, with
//! every claim pointing at the number behind it.
//!
//! Claims, in order:
//! 1. request words: the descriptive words whose attribution (the Shapley values, else the
//!    first other requested method; never attention, which is not a score attribution) is
//!    positive and at least
//!    [`WORD_SHARE`] of the positive attribution mass (and at least [`MIN_ATTRIBUTION`]);
//! 2. the learned ranker: its features with the largest positive TreeSHAP contributions
//!    (at least [`WORD_SHARE`] of the positive mass and [`MIN_ATTRIBUTION`]), in words
//!    ("ranked high mainly because its title covers all of your words");
//! 3. product evidence: product title (else description) words matching request words;
//! 4. filters the product satisfies (price bounds, explicit brand);
//! 5. reviews: for each review aspect the request mentions (the item's
//!    [`ReviewEvidence`](crate::reviews::ReviewEvidence) aspects flagged `asked`), the
//!    reviewers' majority opinion with its counts and the stored supporting sentence quoted
//!    verbatim, all read from the product's review summary; aspects the request does not
//!    mention stay in the structured field only;
//! 6. history: the profile event with the largest positive attribution to the profile
//!    component, when that attribution times the component weight is at least
//!    [`MIN_ATTRIBUTION`].
//!
//! When no request word clears the threshold, the sentence says that the match rests on
//! the request as a whole rather than naming any word.
//!
//! The sentence is written in the request's [`Language`] from its message table: the same
//! claims and evidence rules in every language.

use std::cmp::Ordering;

use crate::answer::{
    Claim, ComponentName, Evidence, MatchField, Method, Narrative, RecommendedItem, RequestWord,
    ScoreWeights,
};
use crate::language::{fill, Language, Messages};
use crate::request::ParsedRequest;
use crate::reviews::AspectEvidence;
use daogou_explain::is_cjk;

/// A word is named when its attribution is at least this share of all positive attribution.
pub const WORD_SHARE: f64 = 0.15;
/// No claim rests on an attribution smaller than this (score units).
pub const MIN_ATTRIBUTION: f64 = 0.01;
/// At most this many request words are named.
const MAX_WORDS: usize = 3;

/// Writes the narrative of one recommended item in `language`; `words` are the request's
/// words with their positions (to read adjacent single Chinese characters as one word).
pub fn narrate(
    item: &RecommendedItem,
    parsed: &ParsedRequest,
    words: &[RequestWord],
    weights: ScoreWeights,
    language: Language,
) -> Narrative {
    let m = language.messages();
    let mut claims = Vec::new();
    claims.push(word_claim(item, words, m));
    if let Some(claim) = ranker_claim(item, m) {
        claims.push(claim);
    }
    if let Some(claim) = match_claim(item, m) {
        claims.push(claim);
    }
    claims.extend(filter_claims(item, parsed, language));
    claims.extend(review_claims(item, m));
    if let Some(claim) = history_claim(item, weights, m) {
        claims.push(claim);
    }
    let clauses: Vec<&str> = claims.iter().map(|c| c.text.as_str()).collect();
    let clauses = clauses.join(&m.narration.clause_separator);
    let sentence = end_sentence(fill(&m.narration.sentence, &[("clauses", &clauses)]), m);
    Narrative { sentence, claims }
}

/// Adds the final full stop unless the text already ends a sentence inside a quote.
fn end_sentence(text: String, m: &Messages) -> String {
    let mut tail = text.chars().rev();
    match (tail.next(), tail.next()) {
        (Some('”'), Some('.' | '!' | '?' | '。' | '！' | '？')) => text,
        _ => text + &m.narration.full_stop,
    }
}

/// The request words that clear the thresholds in the Shapley explanation (else the first
/// other score attribution), largest first.
pub fn notable_words(item: &RecommendedItem) -> Vec<Evidence> {
    let shapley = item.explanations.iter().find(|e| e.method.is_shapley());
    let Some(e) = shapley.or_else(|| {
        item.explanations
            .iter()
            .find(|e| e.method != Method::Attention)
    }) else {
        return Vec::new();
    };
    let positive: f64 = e.values.iter().filter(|v| **v > 0.0).sum();
    let mut words: Vec<Evidence> = e
        .values
        .iter()
        .enumerate()
        .filter(|(_, &v)| v >= MIN_ATTRIBUTION && v >= WORD_SHARE * positive)
        .map(|(j, &v)| Evidence::RequestWord {
            word: e.feature_names[j].clone(),
            feature: j,
            attribution: v,
            method: e.method,
        })
        .collect();
    words.sort_by(|a, b| attribution(b).total_cmp(&attribution(a)));
    words.truncate(MAX_WORDS);
    words
}

fn attribution(e: &Evidence) -> f64 {
    match e {
        Evidence::RequestWord { attribution, .. } | Evidence::History { attribution, .. } => {
            *attribution
        }
        _ => 0.0,
    }
}

fn word_claim(item: &RecommendedItem, request: &[RequestWord], m: &Messages) -> Claim {
    let words = notable_words(item);
    if words.is_empty() {
        let contribution = item
            .components
            .iter()
            .find(|c| c.name == ComponentName::Semantic)
            .map_or(0.0, |c| c.contribution);
        return Claim {
            text: m.narration.overall_match.clone(),
            evidence: vec![Evidence::OverallMatch { contribution }],
        };
    }
    let quoted: Vec<String> = phrases(&words, request)
        .iter()
        .map(|p| m.quote(p))
        .collect();
    Claim {
        text: fill(&m.narration.asked_for, &[("words", &m.list(&quoted))]),
        evidence: words,
    }
}

/// The notable words as the shopper wrote them, largest attribution first: Chinese
/// characters that are each notable and stand next to each other in the request read as
/// one word ("耳机" rather than "耳" and "机"); the evidence stays per character.
fn phrases(notable: &[Evidence], request: &[RequestWord]) -> Vec<String> {
    let mut found: Vec<(usize, &str, f64)> = notable
        .iter()
        .filter_map(|e| match e {
            Evidence::RequestWord {
                word,
                feature,
                attribution,
                ..
            } => Some((*feature, word.as_str(), *attribution)),
            _ => None,
        })
        .collect();
    found.sort_by_key(|f| f.0);
    let span = |j: usize| {
        request
            .iter()
            .find(|w| w.feature == Some(j))
            .map(|w| w.span)
    };
    // Only single characters the segmenter left alone join up: a word is already one.
    let char_of = |w: &str| {
        let mut chars = w.chars();
        chars.next().is_some_and(is_cjk) && chars.next().is_none()
    };
    let cjk = |w: &str| !w.is_empty() && w.chars().all(is_cjk);
    let mut runs: Vec<(usize, String, f64)> = Vec::new();
    for (j, word, attribution) in found {
        let joins = runs.last().is_some_and(|(last, text, _)| {
            *last + 1 == j
                && cjk(text)
                && char_of(word)
                && request
                    .iter()
                    .find(|w| w.feature == Some(*last))
                    .is_some_and(|w| char_of(&w.text))
                && matches!((span(*last), span(j)), (Some(a), Some(b)) if a.end == b.start)
        });
        match runs.last_mut() {
            Some(run) if joins => {
                run.0 = j;
                run.1.push_str(word);
                run.2 = run.2.max(attribution);
            }
            _ => runs.push((j, word.to_string(), attribution)),
        }
    }
    runs.sort_by(|a, b| b.2.total_cmp(&a.2));
    runs.into_iter().map(|(_, text, _)| text).collect()
}

/// At most this many ranker features are named.
const MAX_FEATURES: usize = 2;

/// The learned ranker's features that raised the score most, each said in words.
fn ranker_claim(item: &RecommendedItem, m: &Messages) -> Option<Claim> {
    let learned = item.components.iter().filter(|c| c.weight.is_none());
    let positive: f64 = learned
        .clone()
        .map(|c| c.contribution)
        .filter(|&v| v > 0.0)
        .sum();
    let mut top: Vec<_> = learned
        .filter(|c| c.contribution >= MIN_ATTRIBUTION && c.contribution >= WORD_SHARE * positive)
        .filter_map(|c| feature_phrase(c.name, c.value, m).map(|phrase| (c, phrase)))
        .collect();
    top.sort_by(|a, b| b.0.contribution.total_cmp(&a.0.contribution));
    top.truncate(MAX_FEATURES);
    if top.is_empty() {
        return None;
    }
    let phrases: Vec<String> = top.iter().map(|(_, p)| p.clone()).collect();
    Some(Claim {
        text: fill(&m.narration.ranked_high, &[("reasons", &m.list(&phrases))]),
        evidence: top
            .iter()
            .map(|(c, _)| Evidence::RankerFeature {
                feature: c.name,
                value: c.value,
                contribution: c.contribution,
            })
            .collect(),
    })
}

/// A feature's value in words; `None` for features that say nothing to a shopper.
fn feature_phrase(feature: ComponentName, value: f64, m: &Messages) -> Option<String> {
    let n = &m.narration;
    Some(match feature {
        ComponentName::Semantic => n.feature_semantic.clone(),
        ComponentName::TitleBm25 | ComponentName::TitleBm25Share => n.feature_title_words.clone(),
        ComponentName::HeadMatch if value > 0.0 => n.feature_head_match.clone(),
        ComponentName::DescriptionBm25 => n.feature_description_words.clone(),
        ComponentName::BrandBm25 => n.feature_brand_words.clone(),
        ComponentName::CategoryBm25 => n.feature_category_words.clone(),
        ComponentName::TitleCoverage if value >= 1.0 => n.feature_title_covers_all.clone(),
        ComponentName::TitleCoverage if value > 0.0 => {
            let percent = format!("{:.0}", (value * 100.0).floor());
            fill(&n.feature_title_covers_share, &[("percent", &percent)])
        }
        ComponentName::ExactPhrase if value > 0.0 => n.feature_exact_phrase.clone(),
        ComponentName::NumbersMatched if value == 1.0 => n.feature_number_matched.clone(),
        ComponentName::NumbersMatched if value > 1.0 => {
            fill(&n.feature_numbers_matched, &[("count", &value.to_string())])
        }
        ComponentName::BrandMatch if value > 0.0 => n.feature_brand_match.clone(),
        _ => return None,
    })
}

fn match_claim(item: &RecommendedItem, m: &Messages) -> Option<Claim> {
    for field in [MatchField::Title, MatchField::Description] {
        let mut words: Vec<String> = Vec::new();
        for matched in item.matches.iter().filter(|x| x.field == field) {
            if !words.iter().any(|w| w.eq_ignore_ascii_case(&matched.text)) {
                words.push(matched.text.clone());
            }
        }
        if !words.is_empty() {
            words.truncate(4);
            let quoted: Vec<String> = words.iter().map(|w| m.quote(w)).collect();
            let name = match field {
                MatchField::Title => &m.narration.field_title,
                MatchField::Description => &m.narration.field_description,
            };
            return Some(Claim {
                text: fill(
                    &m.narration.mentions,
                    &[("field", name), ("words", &m.list(&quoted))],
                ),
                evidence: vec![Evidence::ProductMatch { field, words }],
            });
        }
    }
    None
}

fn filter_claims(item: &RecommendedItem, parsed: &ParsedRequest, language: Language) -> Vec<Claim> {
    let m = language.messages();
    let mut claims = Vec::new();
    let (min, max) = parsed.price_bounds_usd();
    let price = item.product.price.as_ref();
    if let (Some(price), true) = (price, min.is_some() || max.is_some()) {
        let usd = price.to_usd();
        let within = min.is_none_or(|m| usd >= m - 1e-9) && max.is_none_or(|m| usd <= m + 1e-9);
        if within {
            let filter = parsed
                .constraints
                .iter()
                .filter(|c| c.is_price())
                .map(|c| c.describe_in(language))
                .collect::<Vec<_>>()
                .join(&m.narration.list_separator);
            claims.push(Claim {
                text: fill(
                    &m.narration.within_budget,
                    &[("price", &language.price(price)), ("filter", &filter)],
                ),
                evidence: vec![Evidence::Filter { filter }],
            });
        }
    }
    for brand in parsed.explicit_brands() {
        if item
            .product
            .brand
            .as_deref()
            .is_some_and(|b| b.eq_ignore_ascii_case(brand))
        {
            claims.push(Claim {
                text: fill(&m.narration.made_by, &[("brand", brand)]),
                evidence: vec![Evidence::Filter {
                    filter: format!("brand = {brand}"),
                }],
            });
        }
    }
    claims
}

fn review_claims(item: &RecommendedItem, m: &Messages) -> Vec<Claim> {
    item.reviews
        .iter()
        .flat_map(|r| r.aspects.iter().filter(|a| a.asked))
        .filter_map(|a| review_claim(a, m))
        .collect()
}

/// The claim about one asked-for aspect: the majority opinion and its count out of the
/// reviews mentioning the aspect, and a supporting sentence of that polarity, quoted.
fn review_claim(aspect: &AspectEvidence, m: &Messages) -> Option<Claim> {
    let o = &aspect.opinion;
    let n = &m.narration;
    let (positive, negative, reviews) = (
        o.positive.to_string(),
        o.negative.to_string(),
        o.reviews.to_string(),
    );
    let aspect_name = o.aspect.as_str();
    let (polarity, text) = match o.positive.cmp(&o.negative) {
        Ordering::Greater => (
            "positive",
            fill(
                &n.review_positive,
                &[
                    ("aspect", aspect_name),
                    ("count", &positive),
                    ("reviews", &reviews),
                ],
            ),
        ),
        Ordering::Less => (
            "negative",
            fill(
                &n.review_negative,
                &[
                    ("aspect", aspect_name),
                    ("count", &negative),
                    ("reviews", &reviews),
                ],
            ),
        ),
        Ordering::Equal if o.positive > 0 => (
            "divided",
            fill(
                &n.review_divided,
                &[
                    ("aspect", aspect_name),
                    ("positive", &positive),
                    ("negative", &negative),
                    ("reviews", &reviews),
                ],
            ),
        ),
        Ordering::Equal => return None,
    };
    let sentence = o
        .evidence
        .iter()
        .find(|e| e.polarity == polarity)
        .map(|e| e.text.clone());
    let quote = sentence
        .as_ref()
        .map_or_else(String::new, |s| fill(&n.review_quote, &[("sentence", s)]));
    Some(Claim {
        text: text + &quote,
        evidence: vec![Evidence::Review {
            aspect: o.aspect.clone(),
            polarity: polarity.to_string(),
            positive: o.positive,
            negative: o.negative,
            reviews: o.reviews,
            sentence,
        }],
    })
}

fn history_claim(item: &RecommendedItem, weights: ScoreWeights, m: &Messages) -> Option<Claim> {
    let e = item.profile_explanation.as_ref()?;
    let (j, &value) = e
        .values
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))?;
    let weighted = value * weights.profile;
    if weighted < MIN_ATTRIBUTION {
        return None;
    }
    let event = e.feature_names.get(j)?.clone();
    Some(Claim {
        text: fill(&m.narration.history, &[("event", &event)]),
        evidence: vec![Evidence::History {
            event,
            attribution: weighted,
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use daogou_catalog::Span;

    /// The request "红色 降噪耳机": 红 色 | 降 噪 耳 机, features 0..6 in order.
    fn request() -> Vec<RequestWord> {
        let text = "红色 降噪耳机";
        text.char_indices()
            .filter(|(_, c)| !c.is_whitespace())
            .enumerate()
            .map(|(j, (start, c))| RequestWord {
                text: c.to_string(),
                span: Span::new(start, start + c.len_utf8()),
                feature: Some(j),
                constraint: None,
            })
            .collect()
    }

    fn notable(features: &[(usize, f64)]) -> Vec<Evidence> {
        let words = request();
        features
            .iter()
            .map(|&(j, attribution)| Evidence::RequestWord {
                word: words[j].text.clone(),
                feature: j,
                attribution,
                method: Method::ExactShapley,
            })
            .collect()
    }

    #[test]
    fn adjacent_notable_chinese_characters_read_as_one_word() {
        // 耳 and 机 are notable and adjacent: one word. 噪 is not notable, so 降 stays
        // alone; 色 and 降 are consecutive features but a space apart.
        let some = phrases(
            &notable(&[(5, 0.2), (1, 0.05), (4, 0.1), (2, 0.04)]),
            &request(),
        );
        assert_eq!(some, ["耳机", "色", "降"]);
        // All of 降噪耳机 notable: one word, ranked by its largest attribution.
        let all = phrases(
            &notable(&[(3, 0.01), (2, 0.3), (4, 0.02), (5, 0.02), (0, 0.1)]),
            &request(),
        );
        assert_eq!(all, ["降噪耳机", "红"]);
    }
}
