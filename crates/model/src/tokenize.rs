//! Tokenisation with the Hugging Face `tokenizers` crate: ids for the model, and the map
//! from tokens back to character offsets and words that word-level explanations need.

use std::path::Path;
use std::sync::Arc;

use candle_core::{Device, Tensor};
use tokenizers::{PostProcessor, Tokenizer, TruncationDirection};

use crate::error::{ModelError, Result};

/// What to do with a text longer than the model's maximum sequence length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TruncationPolicy {
    /// Keep the first tokens that fit (as sentence-transformers does) and mark the
    /// encoding as truncated, so callers can warn.
    #[default]
    Truncate,
    /// Return [`ModelError::TooLong`].
    Refuse,
}

/// One tokenised text.
#[derive(Debug, Clone, PartialEq)]
pub struct Encoding {
    /// Token ids, special tokens included.
    pub ids: Vec<u32>,
    /// Token type (segment) ids.
    pub type_ids: Vec<u32>,
    /// Token strings (`[CLS]`, `water`, `##proof`, ...).
    pub tokens: Vec<String>,
    /// Byte offsets of each token in the original text; `(0, 0)` for special tokens.
    pub offsets: Vec<(usize, usize)>,
    /// Index of the pre-tokenizer word each token belongs to; `None` for special tokens.
    pub word_ids: Vec<Option<u32>>,
    /// True for `[CLS]`, `[SEP]` and other added special tokens.
    pub special: Vec<bool>,
    /// True when the text was cut to the maximum length.
    pub truncated: bool,
}

impl Encoding {
    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True when there are no tokens at all (never the case with special tokens added).
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// For each token, the index of the span in `spans` (byte ranges of the original
    /// text, e.g. whitespace-separated words) that contains it; `None` for special tokens
    /// and tokens outside every span.
    pub fn tokens_to_spans(&self, spans: &[(usize, usize)]) -> Vec<Option<usize>> {
        self.offsets
            .iter()
            .zip(&self.special)
            .map(|(&(start, end), &special)| {
                if special || start == end {
                    return None;
                }
                spans.iter().position(|&(s, e)| start >= s && end <= e)
            })
            .collect()
    }
}

/// A padded batch ready for the model: all tensors are `[batch, seq]`.
#[derive(Debug, Clone)]
pub struct Batch {
    /// Token ids (u32), padded with the pad id.
    pub input_ids: Tensor,
    /// Token type ids (u32).
    pub token_type_ids: Tensor,
    /// 1 for real tokens, 0 for padding (u32).
    pub attention_mask: Tensor,
}

/// A tokenizer bound to a model's length limit. Clones share the underlying tokenizer
/// (a large vocabulary such as XLM-R's 250k pieces takes a few hundred MB).
#[derive(Clone)]
pub struct TextTokenizer {
    tokenizer: Arc<Tokenizer>,
    /// Special tokens the post-processor adds to a single text (`[CLS]`, `[SEP]`).
    added: usize,
    max_len: usize,
    pad_id: u32,
    policy: TruncationPolicy,
}

impl TextTokenizer {
    /// Loads `tokenizer.json`; sequences are limited to `max_len` tokens.
    pub fn from_file(path: &Path, max_len: usize, pad_id: u32) -> Result<Self> {
        if !path.is_file() {
            return Err(ModelError::MissingFile(path.to_path_buf()));
        }
        let mut tokenizer = Tokenizer::from_file(path).map_err(|e| ModelError::Malformed {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        // Padding is done by `batch`, truncation by `encode_batch`.
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(None)
            .map_err(|e| ModelError::Tokenizer(e.to_string()))?;
        let added = tokenizer
            .get_post_processor()
            .map_or(0, |p| p.added_tokens(false));
        Ok(Self {
            tokenizer: Arc::new(tokenizer),
            added,
            max_len,
            pad_id,
            policy: TruncationPolicy::default(),
        })
    }

    /// Sets what happens to texts over the length limit.
    pub fn with_policy(mut self, policy: TruncationPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// The maximum number of tokens per sequence, special tokens included.
    pub fn max_len(&self) -> usize {
        self.max_len
    }

    /// The id that pads batches (`[PAD]` for BERT, `<pad>` for XLM-R models such as e5).
    pub fn pad_id(&self) -> u32 {
        self.pad_id
    }

    /// The id of a token of the vocabulary, such as `[MASK]`.
    pub fn token_id(&self, token: &str) -> Option<u32> {
        self.tokenizer.token_to_id(token)
    }

    /// Tokenises one text.
    pub fn encode(&self, text: &str) -> Result<Encoding> {
        Ok(self
            .encode_batch(&[text])?
            .pop()
            .expect("one encoding per text"))
    }

    /// Tokenises several texts (in parallel). Texts over the limit keep their first tokens
    /// and the special tokens, as `tokenizers`' own truncation does, or are refused.
    pub fn encode_batch(&self, texts: &[&str]) -> Result<Vec<Encoding>> {
        let tokenizer_error = |e: tokenizers::Error| ModelError::Tokenizer(e.to_string());
        let raw = self
            .tokenizer
            .encode_batch(texts.to_vec(), false)
            .map_err(tokenizer_error)?;
        let room = self.max_len.saturating_sub(self.added);
        raw.into_iter()
            .map(|mut enc| {
                let truncated = enc.len() > room;
                if truncated {
                    if self.policy == TruncationPolicy::Refuse {
                        return Err(ModelError::TooLong {
                            tokens: enc.len() + self.added,
                            limit: self.max_len,
                        });
                    }
                    enc.truncate(room, 0, TruncationDirection::Right);
                    enc.take_overflowing();
                }
                let enc = self
                    .tokenizer
                    .post_process(enc, None, true)
                    .map_err(tokenizer_error)?;
                Ok(Encoding {
                    ids: enc.get_ids().to_vec(),
                    type_ids: enc.get_type_ids().to_vec(),
                    tokens: enc.get_tokens().to_vec(),
                    offsets: enc.get_offsets().to_vec(),
                    word_ids: enc.get_word_ids().to_vec(),
                    special: enc
                        .get_special_tokens_mask()
                        .iter()
                        .map(|&s| s == 1)
                        .collect(),
                    truncated,
                })
            })
            .collect()
    }

    /// Pads encodings to the longest one and stacks them into tensors.
    pub fn batch(&self, encodings: &[&Encoding], device: &Device) -> Result<Batch> {
        let seq = encodings.iter().map(|e| e.len()).max().unwrap_or(0);
        let n = encodings.len();
        let mut ids = Vec::with_capacity(n * seq);
        let mut types = Vec::with_capacity(n * seq);
        let mut mask = Vec::with_capacity(n * seq);
        for enc in encodings {
            let pad = seq - enc.len();
            ids.extend_from_slice(&enc.ids);
            ids.extend(std::iter::repeat_n(self.pad_id, pad));
            types.extend_from_slice(&enc.type_ids);
            types.extend(std::iter::repeat_n(0u32, pad));
            mask.extend(std::iter::repeat_n(1u32, enc.len()));
            mask.extend(std::iter::repeat_n(0u32, pad));
        }
        Ok(Batch {
            input_ids: Tensor::from_vec(ids, (n, seq), device)?,
            token_type_ids: Tensor::from_vec(types, (n, seq), device)?,
            attention_mask: Tensor::from_vec(mask, (n, seq), device)?,
        })
    }
}
