//! The words of a request: split on whitespace, with runs of Chinese characters cut into
//! dictionary words ([`segment::words`]), and every other script kept whole
//! ("iPhone 15 手机壳" gives iPhone / 15 / 手机 / 壳).

use daogou_catalog::segment;
use daogou_explain::{is_cjk, TextFeatures};

/// The request's words as explanation features.
pub fn request_features(text: &str) -> TextFeatures {
    let characters = TextFeatures::new(text);
    let words = characters.words();
    let cjk = |j: usize| words[j].text.chars().all(is_cjk);
    let mut spans = Vec::with_capacity(words.len());
    let mut j = 0;
    while j < words.len() {
        if !cjk(j) {
            spans.push((words[j].byte_start, words[j].byte_end));
            j += 1;
            continue;
        }
        let start = j;
        while j + 1 < words.len() && cjk(j + 1) && words[j].byte_end == words[j + 1].byte_start {
            j += 1;
        }
        let offset = words[start].byte_start;
        let run = &text[offset..words[j].byte_end];
        spans.extend(
            segment::words(run)
                .into_iter()
                .map(|w| (offset + w.start, offset + w.end)),
        );
        j += 1;
    }
    // jieba returns a run's words in order and covering it, so this holds; the
    // characters are the fallback should it ever not.
    TextFeatures::from_spans(text, &spans).unwrap_or(characters)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        request_features(text).feature_names()
    }

    #[test]
    fn chinese_runs_become_words_and_other_scripts_stay_whole() {
        assert_eq!(words("降噪耳机"), ["降噪", "耳机"]);
        assert_eq!(words("防水冲锋衣"), ["防水", "冲锋衣"]);
        assert_eq!(
            words("送女朋友的生日礼物"),
            ["送", "女朋友", "的", "生日礼物"]
        );
        assert_eq!(words("iPhone 15 手机壳"), ["iPhone", "15", "手机", "壳"]);
        assert_eq!(
            words("waterproof hiking jacket"),
            ["waterproof", "hiking", "jacket"]
        );
        // A word's bytes are exactly its place in the request.
        let f = request_features("红色 降噪耳机");
        for w in f.words() {
            assert_eq!(&f.text()[w.byte_start..w.byte_end], w.text);
        }
    }
}
