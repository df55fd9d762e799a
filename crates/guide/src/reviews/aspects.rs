//! Frequent-aspect mining from review sentences (see the [module docs](super)).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::LazyLock;

use daogou_catalog::words::{parse_word_list, STOP_EN, STOP_EN_REQUESTS};
use daogou_catalog::{has_cjk, segment};
use daogou_explain::is_cjk;
use serde::Serialize;

/// Settings of aspect mining and evidence.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct AspectOptions {
    /// Least number of sentences an aspect appears in (default: 3, or 2% of the
    /// sentences if more: on Hu & Liu's 14 products 2% gave the best F1 against their
    /// frequent labelled features, precision 0.44 and recall 0.52, where 1% gave 0.26/0.71).
    pub min_support: Option<usize>,
    /// Aspects summarised, most frequent first (default 10).
    pub max_aspects: usize,
    /// Supporting sentences shown per aspect (default 2).
    pub evidence_per_aspect: usize,
    /// Candidate sentences scored by attribution per aspect (default 4).
    pub candidates_per_aspect: usize,
    /// Words on each side of a mention that count as its context (default 4).
    pub window: usize,
}

impl Default for AspectOptions {
    fn default() -> Self {
        Self {
            min_support: None,
            max_aspects: 10,
            evidence_per_aspect: 2,
            candidates_per_aspect: 4,
            window: 4,
        }
    }
}

/// A mined aspect and the number of sentences it appears in.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AspectCandidate {
    /// The aspect (one or two words).
    pub aspect: String,
    /// Sentences mentioning it.
    pub support: usize,
}

/// Function words that are never aspects, beyond [`STOP_EN`].
static STOP_REVIEWS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    parse_word_list(include_str!("../../data/words/stop_en_reviews.txt")).collect()
});

/// Opinion words ("good", "great"): never aspects.
static OPINION: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| parse_word_list(include_str!("../../data/words/opinion_en.txt")).collect());

/// Determiners and possessives: the word after one is in a noun position.
static DETERMINERS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    parse_word_list(include_str!("../../data/words/determiners_en.txt")).collect()
});

/// Chinese words that are never aspects.
static STOP_ZH_REVIEWS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    parse_word_list(include_str!("../../data/words/stop_zh_reviews.txt")).collect()
});

/// Chinese opinion and verdict words: never aspects.
static OPINION_ZH: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| parse_word_list(include_str!("../../data/words/opinion_zh.txt")).collect());

/// A word of a sentence; a Chinese word knows whether it stands where an aspect does.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Token {
    pub(super) text: String,
    /// A Chinese word jieba tags as a noun (`n`, `nz`, `ng`, `vn`), or a verb (or a word
    /// mistaken for a name, `nr`) followed by an adverb or adjective: the topic of a comment
    /// (做工 精细, 搭建 方便, 续航 很 长); always false for other scripts.
    noun: bool,
}

/// The words of a sentence: letters, digits, `'` and `-` runs, lower-cased, and Chinese
/// runs cut into dictionary words (with their part of speech).
pub(super) fn tagged_tokens(sentence: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut rest = sentence;
    while !rest.is_empty() {
        let cjk_run = rest.starts_with(is_cjk);
        let end = rest
            .find(|c: char| is_cjk(c) != cjk_run)
            .unwrap_or(rest.len());
        let (chunk, tail) = rest.split_at(end);
        if cjk_run {
            let tagged = segment::tagged_words(chunk);
            let comment = |i: usize| {
                tagged
                    .get(i)
                    .is_some_and(|(_, tag)| matches!(tag.as_str(), "d" | "a" | "ad" | "an"))
            };
            out.extend(tagged.iter().enumerate().map(|(i, (range, tag))| Token {
                text: chunk[range.clone()].to_string(),
                noun: matches!(tag.as_str(), "n" | "nz" | "ng" | "vn")
                    || (matches!(tag.as_str(), "v" | "nr") && comment(i + 1)),
            }));
        } else {
            out.extend(
                chunk
                    .split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '-'))
                    .map(|t| t.trim_matches(['\'', '-']).to_lowercase())
                    .filter(|t| !t.is_empty())
                    .map(|text| Token { text, noun: false }),
            );
        }
        rest = tail;
    }
    out
}

/// The words of a sentence ([`tagged_tokens`] without the tags).
pub(super) fn tokens(sentence: &str) -> Vec<String> {
    tagged_tokens(sentence)
        .into_iter()
        .map(|t| t.text)
        .collect()
}

fn eligible(token: &str) -> bool {
    if has_cjk(token) {
        return token.chars().count() >= 2
            && token.chars().all(is_cjk)
            && !STOP_ZH_REVIEWS.contains(token)
            && !OPINION_ZH.contains(token)
            && !STOP_EN_REQUESTS.contains(token);
    }
    token.chars().count() >= 3
        && !token.chars().all(|c| c.is_ascii_digit())
        && !STOP_EN.contains(token)
        && !STOP_REVIEWS.contains(token)
        && !OPINION.contains(token)
}

/// Mines frequent aspects from sentences (see the module docs). A Chinese word counts as
/// in a noun position where jieba tags it a noun, and Chinese words are not paired (a
/// Chinese compound is one dictionary word already).
pub fn extract_aspects(sentences: &[&str], options: &AspectOptions) -> Vec<AspectCandidate> {
    let min_support = options
        .min_support
        .unwrap_or_else(|| (sentences.len() / 50).max(3));
    let mut support: HashMap<String, BTreeSet<usize>> = HashMap::new();
    let mut noun_position: HashMap<String, usize> = HashMap::new();
    for (i, sentence) in sentences.iter().enumerate() {
        let tagged = tagged_tokens(sentence);
        let t: Vec<&str> = tagged.iter().map(|x| x.text.as_str()).collect();
        for j in 0..t.len() {
            if !eligible(t[j]) {
                continue;
            }
            let in_noun_position = tagged[j].noun || (j > 0 && DETERMINERS.contains(t[j - 1]));
            let mut add = |candidate: String, det: bool| {
                if det {
                    *noun_position.entry(candidate.clone()).or_default() += 1;
                }
                support.entry(candidate).or_default().insert(i);
            };
            add(t[j].to_string(), in_noun_position);
            let pairs = !has_cjk(t[j]) && j + 1 < t.len() && !has_cjk(t[j + 1]);
            if pairs && eligible(t[j + 1]) {
                add(format!("{} {}", t[j], t[j + 1]), in_noun_position);
            }
        }
    }
    let mut kept: Vec<AspectCandidate> = support
        .iter()
        .filter(|(c, s)| s.len() >= min_support && noun_position.get(*c).is_some_and(|&n| n > 0))
        .map(|(c, s)| AspectCandidate {
            aspect: c.clone(),
            support: s.len(),
        })
        .collect();
    // Redundancy pruning: a word whose sentences are almost all inside kept pairs goes.
    let pairs: Vec<(String, BTreeSet<usize>)> = kept
        .iter()
        .filter(|c| c.aspect.contains(' '))
        .map(|c| (c.aspect.clone(), support[&c.aspect].clone()))
        .collect();
    kept.retain(|c| {
        if c.aspect.contains(' ') {
            return true;
        }
        let covered: BTreeSet<usize> = pairs
            .iter()
            .filter(|(p, _)| p.split(' ').any(|w| w == c.aspect))
            .flat_map(|(_, s)| s.iter().copied())
            .collect();
        support[&c.aspect].difference(&covered).count() >= min_support
    });
    kept.sort_by(|a, b| {
        b.support
            .cmp(&a.support)
            .then_with(|| a.aspect.cmp(&b.aspect))
    });
    kept
}

/// `candidates` without the Chinese words of the product's own name (手机 is not an aspect
/// of a 手机): a Chinese reviewer names the product in most reviews, so it is always
/// frequent. Give the name of the kind of product (a category), not a listing's title,
/// whose words include features (防水, 降噪). English names are left alone (Hu & Liu
/// label words such as "player").
pub fn without_product_words(
    candidates: Vec<AspectCandidate>,
    product: &str,
) -> Vec<AspectCandidate> {
    let own: HashSet<String> = tokens(product).into_iter().filter(|t| has_cjk(t)).collect();
    candidates
        .into_iter()
        .filter(|c| !own.contains(&c.aspect))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frequent_nouns_and_pairs_are_mined_and_redundant_words_pruned() {
        let sentences = [
            "the battery life is great",
            "my battery life was short",
            "the battery life could be longer",
            "the screen is sharp and the screen is big",
            "this screen scratches",
            "the screen looks good",
            "really great and amazing and great",
            "the life of the party",
        ];
        let mined = extract_aspects(
            &sentences,
            &AspectOptions {
                min_support: Some(3),
                ..AspectOptions::default()
            },
        );
        let names: Vec<&str> = mined.iter().map(|c| c.aspect.as_str()).collect();
        assert_eq!(names, ["battery life", "screen"]);
        assert_eq!(mined[1].support, 3);
    }

    #[test]
    fn chinese_aspects_are_frequent_nouns_not_opinions_or_the_product_itself() {
        let sentences = [
            "电池续航很好",
            "续航一般，电池有点小",
            "物流很快，电池耐用",
            "东西不错，物流也快",
            "很满意，东西很好",
            "东西收到了，物流给力",
        ];
        let mined = extract_aspects(
            &sentences,
            &AspectOptions {
                min_support: Some(3),
                ..AspectOptions::default()
            },
        );
        let names: Vec<&str> = mined.iter().map(|c| c.aspect.as_str()).collect();
        assert_eq!(names, ["物流", "电池"]);
        let words = tokens("iPhone 15 手机壳，电池续航");
        assert_eq!(words, ["iphone", "15", "手机", "壳", "电池", "续航"]);
    }
}
