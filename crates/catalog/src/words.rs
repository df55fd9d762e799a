//! Word lists kept as data files (`data/words/*.txt`: one word a line, `#` comments).

use std::collections::HashSet;
use std::sync::LazyLock;

/// The words of a word-list file: one a line, blank lines and `#` comments skipped.
pub fn parse_word_list(text: &'static str) -> impl Iterator<Item = &'static str> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
}

/// English stop words shared by the keyword index and review mining.
pub static STOP_EN: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| parse_word_list(include_str!("../data/words/stop_en.txt")).collect());

/// Words that carry no product meaning in requests or descriptions, beyond [`STOP_EN`].
pub static STOP_EN_REQUESTS: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| parse_word_list(include_str!("../data/words/stop_en_requests.txt")).collect());

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_parse_without_comments_or_repeats() {
        let text = include_str!("../data/words/stop_en.txt");
        let words: Vec<&str> = parse_word_list(text).collect();
        assert!(words.contains(&"the"));
        assert!(words
            .iter()
            .all(|w| !w.starts_with('#') && !w.contains(' ')));
        assert_eq!(words.len(), STOP_EN.len(), "a stop word is listed twice");
        assert!(STOP_EN.is_disjoint(&STOP_EN_REQUESTS));
    }
}
