//! Words as features: splitting, perturbed texts, token→word maps.

use serde::{Deserialize, Serialize};

use crate::error::ExplainError;
use crate::mask::Mask;

/// One word of a text, with its position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Word {
    /// The word itself.
    pub text: String,
    /// Byte offset of the first byte.
    pub byte_start: usize,
    /// Byte offset one past the last byte.
    pub byte_end: usize,
    /// Char offset of the first char.
    pub char_start: usize,
    /// Char offset one past the last char.
    pub char_end: usize,
}

/// How a removed word appears in the perturbed text.
///
/// Either way the pieces are joined by a single space where the original text had
/// whitespace between them, and by nothing where it had none (between the characters of
/// a Chinese run).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum MaskingStrategy {
    /// Drop it: the kept words in order; the empty coalition is the empty string.
    Delete,
    /// Put this token in its place (e.g. `"[MASK]"`).
    Replace(String),
}

/// A text whose words are the features.
///
/// Words are the maximal runs of non-whitespace characters (Unicode whitespace), except
/// that each character of a script written without spaces (Han, kana, Hangul) is a word
/// of its own: "防水夹克" has four features. For a text with single spaces between words
/// this is exactly the reference convention: players are the words split on single
/// spaces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextFeatures {
    text: String,
    words: Vec<Word>,
}

impl TextFeatures {
    /// Splits `text` into words on whitespace.
    pub fn new(text: &str) -> Self {
        let mut words = Vec::new();
        let mut current: Option<Word> = None;
        for (char_index, (byte_index, c)) in text.char_indices().enumerate() {
            if c.is_whitespace() {
                words.extend(current.take());
                continue;
            }
            if is_cjk(c) {
                words.extend(current.take());
                words.push(Word {
                    text: c.to_string(),
                    byte_start: byte_index,
                    byte_end: byte_index + c.len_utf8(),
                    char_start: char_index,
                    char_end: char_index + 1,
                });
                continue;
            }
            let word = current.get_or_insert_with(|| Word {
                text: String::new(),
                byte_start: byte_index,
                byte_end: byte_index,
                char_start: char_index,
                char_end: char_index,
            });
            word.text.push(c);
            word.byte_end = byte_index + c.len_utf8();
            word.char_end = char_index + 1;
        }
        words.extend(current);
        TextFeatures {
            text: text.to_string(),
            words,
        }
    }

    /// Words given as byte ranges of `text`, e.g. by a word segmenter: ranges in order,
    /// not overlapping, on character boundaries, and neither empty nor holding whitespace.
    pub fn from_spans(text: &str, spans: &[(usize, usize)]) -> Result<Self, ExplainError> {
        let mut words = Vec::with_capacity(spans.len());
        let mut last_end = 0;
        for &(start, end) in spans {
            let word = text
                .get(start..end)
                .filter(|w| start >= last_end && !w.is_empty())
                .filter(|w| !w.chars().any(char::is_whitespace))
                .ok_or_else(|| {
                    ExplainError::InvalidInput(format!(
                        "bytes {start}..{end} are not a word of the next place in {text:?}"
                    ))
                })?;
            let char_start = text[..start].chars().count();
            words.push(Word {
                text: word.to_string(),
                byte_start: start,
                byte_end: end,
                char_start,
                char_end: char_start + word.chars().count(),
            });
            last_end = end;
        }
        Ok(TextFeatures {
            text: text.to_string(),
            words,
        })
    }

    /// The original text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The words, in order.
    pub fn words(&self) -> &[Word] {
        &self.words
    }

    /// Number of words (features).
    pub fn num_features(&self) -> usize {
        self.words.len()
    }

    /// The words as feature names.
    pub fn feature_names(&self) -> Vec<String> {
        self.words.iter().map(|w| w.text.clone()).collect()
    }

    /// The perturbed text for `mask` under `strategy`.
    pub fn render(&self, mask: &Mask, strategy: &MaskingStrategy) -> Result<String, ExplainError> {
        if mask.num_features() != self.words.len() {
            return Err(ExplainError::InvalidInput(format!(
                "mask over {} features for a text of {} words",
                mask.num_features(),
                self.words.len()
            )));
        }
        let mut out = String::new();
        let mut previous: Option<usize> = None;
        for (i, w) in self.words.iter().enumerate() {
            let piece = match (mask.contains(i), strategy) {
                (true, _) => w.text.as_str(),
                (false, MaskingStrategy::Delete) => continue,
                (false, MaskingStrategy::Replace(token)) => token.as_str(),
            };
            if previous.is_some_and(|p| self.spaced(p, i)) {
                out.push(' ');
            }
            out.push_str(piece);
            previous = Some(i);
        }
        Ok(out)
    }

    /// Whether whitespace separates word `p` from the later word `i`.
    fn spaced(&self, p: usize, i: usize) -> bool {
        self.text[self.words[p].byte_end..self.words[i].byte_start]
            .chars()
            .any(char::is_whitespace)
    }

    /// The words in `keep` only, with the text [`render`](Self::render) gives them under
    /// [`MaskingStrategy::Delete`]; each word stays the word it was.
    pub fn subset(&self, keep: &Mask) -> Result<TextFeatures, ExplainError> {
        let text = self.render(keep, &MaskingStrategy::Delete)?;
        let mut spans = Vec::new();
        let mut at = 0;
        let mut previous: Option<usize> = None;
        for (i, w) in self.words.iter().enumerate() {
            if !keep.contains(i) {
                continue;
            }
            if previous.is_some_and(|p| self.spaced(p, i)) {
                at += 1;
            }
            spans.push((at, at + w.text.len()));
            at += w.text.len();
            previous = Some(i);
        }
        TextFeatures::from_spans(&text, &spans)
    }
}

/// Whether `c` belongs to a script written without spaces between words (Han, kana,
/// Hangul), whose characters are therefore features of their own.
pub fn is_cjk(c: char) -> bool {
    matches!(
        u32::from(c),
        0x3040..=0x30FF      // Hiragana, Katakana
        | 0x3400..=0x4DBF    // CJK Extension A
        | 0x4E00..=0x9FFF    // CJK Unified Ideographs
        | 0xAC00..=0xD7AF    // Hangul syllables
        | 0xF900..=0xFAFF    // CJK compatibility ideographs
        | 0x20000..=0x2FA1F // CJK Extensions B..F and supplement
    )
}

/// How token scores are combined into a word score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Pooling {
    /// Sum over the word's tokens (additive quantities: attributions, attention received).
    Sum,
    /// Mean over the word's tokens (0 for a word without tokens).
    Mean,
}

/// Which word each token belongs to (`None` for special tokens such as `[CLS]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenWordMap {
    token_to_word: Vec<Option<usize>>,
    num_words: usize,
}

impl TokenWordMap {
    /// Validates that every word index is below `num_words`.
    pub fn new(token_to_word: Vec<Option<usize>>, num_words: usize) -> Result<Self, ExplainError> {
        if let Some(bad) = token_to_word.iter().flatten().find(|&&w| w >= num_words) {
            return Err(ExplainError::InvalidInput(format!(
                "token mapped to word {bad}, but there are {num_words} words"
            )));
        }
        Ok(TokenWordMap {
            token_to_word,
            num_words,
        })
    }

    /// Number of tokens.
    pub fn num_tokens(&self) -> usize {
        self.token_to_word.len()
    }

    /// Number of words.
    pub fn num_words(&self) -> usize {
        self.num_words
    }

    /// Word of token `t` (`None` for special or out-of-range tokens).
    pub fn word_of(&self, t: usize) -> Option<usize> {
        self.token_to_word.get(t).copied().flatten()
    }

    /// Pools one score per token into one score per word; unmapped tokens are dropped.
    pub fn pool(&self, token_scores: &[f64], pooling: Pooling) -> Result<Vec<f64>, ExplainError> {
        if token_scores.len() != self.num_tokens() {
            return Err(ExplainError::InvalidInput(format!(
                "{} token scores for {} tokens",
                token_scores.len(),
                self.num_tokens()
            )));
        }
        let mut sums = vec![0.0; self.num_words];
        let mut counts = vec![0usize; self.num_words];
        for (&score, word) in token_scores.iter().zip(&self.token_to_word) {
            if let Some(w) = *word {
                sums[w] += score;
                counts[w] += 1;
            }
        }
        if pooling == Pooling::Mean {
            for (s, &c) in sums.iter_mut().zip(&counts) {
                *s = if c == 0 { 0.0 } else { *s / c as f64 };
            }
        }
        Ok(sums)
    }
}
