//! Chinese word segmentation: jieba-rs (MIT) with its built-in dictionary, and its HMM for
//! words the dictionary lacks (characters stay the fallback where neither finds a word).
//!
//! One dictionary is loaded per process, on first use (about 0.2 s).

use std::ops::Range;
use std::sync::LazyLock;

use jieba_rs::Jieba;

static JIEBA: LazyLock<Jieba> = LazyLock::new(Jieba::new);

/// The words of `text` as byte ranges, in order and covering it ("送女朋友的生日礼物":
/// 送 / 女朋友 / 的 / 生日礼物): what a shopper reads as words.
pub fn words(text: &str) -> Vec<Range<usize>> {
    JIEBA
        .cut(text, true)
        .into_iter()
        .map(|t| t.byte_start..t.byte_end)
        .collect()
}

/// The words of `text` and the dictionary words inside its longer words (生日礼物 gives
/// 生日, 礼物 and 生日礼物), as byte ranges: the keyword index's terms, so that a request
/// for 礼物 finds a 生日礼物 and a request for 生日礼物 prefers it.
pub fn search_words(text: &str) -> Vec<Range<usize>> {
    JIEBA
        .cut_for_search(text, true)
        .into_iter()
        .map(|t| t.byte_start..t.byte_end)
        .collect()
}

/// The words of `text` with their part-of-speech tags (`n` noun, `vn` verbal noun, `v`
/// verb, `a` adjective, … as in jieba's dictionary), in order and covering it.
pub fn tagged_words(text: &str) -> Vec<(Range<usize>, String)> {
    JIEBA
        .tag(text, true)
        .into_iter()
        .map(|t| (t.byte_start..t.byte_end, t.tag.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cut(text: &str, f: fn(&str) -> Vec<Range<usize>>) -> Vec<&str> {
        f(text).into_iter().map(|r| &text[r]).collect()
    }

    #[test]
    fn words_cover_the_text_and_search_words_add_the_parts() {
        assert_eq!(cut("降噪耳机", words), ["降噪", "耳机"]);
        assert_eq!(
            cut("送女朋友的生日礼物", words),
            ["送", "女朋友", "的", "生日礼物"]
        );
        let search = cut("生日礼物", search_words);
        for part in ["生日", "礼物", "生日礼物"] {
            assert!(search.contains(&part), "{search:?} lacks {part}");
        }
        let tags = tagged_words("电池续航很好");
        assert_eq!(&"电池续航很好"[tags[0].0.clone()], "电池");
        assert_eq!(tags[0].1, "n");
    }
}
