//! A sentence encoder: a BERT-family model, its tokenizer and its pooling, loaded from a
//! Hugging Face / sentence-transformers model directory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use candle_core::{Device, Tensor};
use serde::Deserialize;

use crate::bert::{BertModel, BertOutput, ForwardOptions};
use crate::cache::{CacheStats, EmbeddingCache};
use crate::compute_path::ComputePath;
use crate::config::BertConfig;
use crate::error::{ModelError, Result};
use crate::packed::PackedTokens;
use crate::pooling::{l2_normalize, l2_normalize_row, Pooling};
use crate::tokenize::{Batch, Encoding, TextTokenizer, TruncationPolicy};

/// Sequences per forward pass unless told otherwise.
pub const DEFAULT_BATCH_SIZE: usize = 64;

/// Most padded tokens per forward pass (64 sequences of 64 tokens): long texts go in
/// smaller batches, which bounds the attention maps' memory (it grows with the square of
/// the length) without slowing short texts.
pub const MAX_BATCH_TOKENS: usize = 64 * 64;

/// The files a model directory must hold.
pub const REQUIRED_FILES: &[&str] = &["config.json", "tokenizer.json", "model.safetensors"];

/// Checks that `dir` is a directory holding the files a model needs.
pub fn check_model_dir(dir: &Path) -> Result<()> {
    if !dir.is_dir() {
        return Err(ModelError::MissingDir(dir.to_path_buf()));
    }
    for file in REQUIRED_FILES {
        let path = dir.join(file);
        if !path.is_file() {
            return Err(ModelError::MissingFile(path));
        }
    }
    Ok(())
}

/// A loaded sentence encoder.
pub struct SentenceEncoder {
    model: BertModel,
    tokenizer: TextTokenizer,
    pooling: Pooling,
    normalize: bool,
    batch_size: usize,
    dir: PathBuf,
    model_id: String,
    prompts: BTreeMap<String, String>,
    cache: Option<EmbeddingCache>,
}

/// Everything the encoder computes for one text, for inspection and visualisation.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// The tokens and their offsets.
    pub encoding: Encoding,
    /// The pooled (and normalised) sentence embedding.
    pub embedding: Vec<f32>,
    /// `[seq][hidden]` last hidden state.
    pub last_hidden_state: Vec<Vec<f32>>,
    /// `[layer][head][query][key]` attention probabilities.
    pub attentions: Vec<Vec<Vec<Vec<f32>>>>,
}

#[derive(Deserialize)]
struct PoolingConfig {
    #[serde(default)]
    pooling_mode_cls_token: bool,
}

#[derive(Deserialize)]
struct SentenceTransformersConfig {
    #[serde(default)]
    prompts: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct SentenceBertConfig {
    max_seq_length: Option<usize>,
}

impl SentenceEncoder {
    /// Loads a model directory (config.json, tokenizer.json, model.safetensors, and the
    /// optional sentence-transformers files `1_Pooling/config.json`,
    /// `sentence_bert_config.json` and `config_sentence_transformers.json`).
    pub fn load(dir: &Path) -> Result<Self> {
        check_model_dir(dir)?;
        let config = BertConfig::from_file(&dir.join("config.json"))?;
        let pooling = match read_optional_json::<PoolingConfig>(&dir.join("1_Pooling/config.json"))?
        {
            Some(p) if p.pooling_mode_cls_token => Pooling::Cls,
            _ => Pooling::Mean,
        };
        let declared_len =
            read_optional_json::<SentenceBertConfig>(&dir.join("sentence_bert_config.json"))?
                .and_then(|c| c.max_seq_length);
        let max_len = declared_len
            .unwrap_or(512)
            .min(config.max_position_embeddings);
        let prompts = read_optional_json::<SentenceTransformersConfig>(
            &dir.join("config_sentence_transformers.json"),
        )?
        .map(|c| c.prompts)
        .unwrap_or_default();
        let tokenizer =
            TextTokenizer::from_file(&dir.join("tokenizer.json"), max_len, config.pad_token_id)?;
        let model = BertModel::load(config, &dir.join("model.safetensors"), &Device::Cpu)?;
        let mut encoder = Self {
            model,
            tokenizer,
            pooling,
            normalize: true,
            batch_size: DEFAULT_BATCH_SIZE,
            dir: dir.to_path_buf(),
            model_id: String::new(),
            prompts,
            cache: None,
        };
        encoder.refresh_model_id();
        Ok(encoder)
    }

    /// Recomputes [`model_id`](Self::model_id) after a setting that changes the vectors.
    fn refresh_model_id(&mut self) {
        let name = self
            .dir
            .file_name()
            .map_or_else(|| "model".to_string(), |n| n.to_string_lossy().into_owned());
        let norm = if self.normalize { "" } else { "/raw" };
        // Catalog vectors of models with prompts are embedded with the passage prompt.
        let prompts = if self.prompts.is_empty() {
            ""
        } else {
            "/prompts"
        };
        self.model_id = format!(
            "{name}/{:?}/{}{norm}{prompts}",
            self.pooling,
            self.tokenizer.max_len()
        )
        .to_lowercase();
    }

    /// Sets the number of sequences per forward pass (at least 1).
    pub fn with_batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size.max(1);
        self
    }

    /// Keeps the embeddings of up to `entries` texts that go through
    /// [`embed_cached`](Self::embed_cached), least recently used out first.
    pub fn with_cache(mut self, entries: usize) -> Self {
        self.cache = Some(EmbeddingCache::new(entries));
        self
    }

    /// Hits and misses of the cache, if there is one.
    pub fn cache_stats(&self) -> Option<CacheStats> {
        self.cache.as_ref().map(EmbeddingCache::stats)
    }

    /// [`embed_with_prompt`](Self::embed_with_prompt) (or [`embed`](Self::embed) without a
    /// kind), answering from the cache set by [`with_cache`](Self::with_cache) where it holds
    /// a text and keeping what it computes; without a cache, the same as those.
    pub fn embed_cached(&self, kind: Option<&str>, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        let Some(cache) = &self.cache else {
            return match kind {
                Some(kind) => self.embed_with_prompt(kind, texts),
                None => self.embed(texts),
            };
        };
        let prefix = kind.and_then(|k| self.prompt(k));
        let keys = prefixed(prefix, texts);
        let mut found = cache.lookup(&keys);
        let missing: Vec<usize> = (0..keys.len()).filter(|&i| found[i].is_none()).collect();
        let refs: Vec<&str> = missing.iter().map(|&i| keys[i].as_str()).collect();
        let fresh = self.embed(&refs)?;
        let mut kept = Vec::with_capacity(missing.len());
        for (&i, embedding) in missing.iter().zip(fresh) {
            let embedding: Arc<[f32]> = Arc::from(embedding);
            kept.push((keys[i].clone(), Arc::clone(&embedding)));
            found[i] = Some(embedding);
        }
        cache.insert(kept);
        Ok(found
            .into_iter()
            .map(|e| e.map(|e| e.to_vec()).unwrap_or_default())
            .collect())
    }

    /// Sets what happens to texts over the length limit.
    pub fn with_truncation(mut self, policy: TruncationPolicy) -> Self {
        self.tokenizer = self.tokenizer.with_policy(policy);
        self
    }

    /// Sets the pooling (the model directory's choice by default).
    pub fn with_pooling(mut self, pooling: Pooling) -> Self {
        self.pooling = pooling;
        self.refresh_model_id();
        self
    }

    /// Whether sentence embeddings are L2-normalised (true by default).
    pub fn with_normalize(mut self, normalize: bool) -> Self {
        self.normalize = normalize;
        self.refresh_model_id();
        self
    }

    /// A stable identifier of the model and its pooling and length settings, recorded
    /// next to stored embeddings (e.g. `all-minilm-l6-v2/mean/256`; models with prompts,
    /// such as e5, end in `/prompts`).
    pub fn model_id(&self) -> &str {
        &self.model_id
    }

    /// The directory the model was loaded from.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The underlying transformer.
    pub fn model(&self) -> &BertModel {
        &self.model
    }

    /// The tokenizer.
    pub fn tokenizer(&self) -> &TextTokenizer {
        &self.tokenizer
    }

    /// The pooling in use.
    pub fn pooling(&self) -> Pooling {
        self.pooling
    }

    /// Whether sentence embeddings are scaled to unit length.
    pub fn normalizes(&self) -> bool {
        self.normalize
    }

    /// Width of the sentence embedding.
    pub fn dim(&self) -> usize {
        self.model.config().hidden_size
    }

    /// The prefix the model expects before texts of a kind (`query`, `passage`), from the
    /// `prompts` of `config_sentence_transformers.json`: `Some("query: ")` for e5 models,
    /// `None` for models trained without prompts such as MiniLM.
    pub fn prompt(&self, name: &str) -> Option<&str> {
        self.prompts.get(name).map(String::as_str)
    }

    /// Embeds texts of one kind (`query`, `passage`): each is prefixed with the model's
    /// [`prompt`](Self::prompt) for that kind, if it has one, and embedded as is otherwise,
    /// so callers need not know which models use prompts.
    pub fn embed_with_prompt(&self, name: &str, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        match self.prompt(name) {
            Some(prefix) => {
                let texts = prefixed(Some(prefix), texts);
                let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
                self.embed(&refs)
            }
            None => self.embed(texts),
        }
    }

    /// Embeds texts. Texts are sorted by length into batches (at most the batch size, and
    /// at most [`MAX_BATCH_TOKENS`] padded tokens) so that little padding is computed; the
    /// output keeps the input order.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        let encodings = self.tokenizer.encode_batch(texts)?;
        self.embed_encodings(&encodings)
    }

    /// Embeds already tokenised texts, in the order given. On the CPU the texts go through
    /// [`BertModel::forward_packed`] in groups of at most [`MAX_BATCH_TOKENS`] tokens (and
    /// the batch size in texts), with no padding; elsewhere through padded batches.
    pub fn embed_encodings(&self, encodings: &[Encoding]) -> Result<Vec<Vec<f32>>> {
        let mut order: Vec<usize> = (0..encodings.len()).collect();
        order.sort_by_key(|&i| encodings[i].len());
        let mut out = vec![Vec::new(); encodings.len()];
        if self.model.device().is_cpu() {
            for chunk in token_batches(&order, |i| encodings[i].len(), self.batch_size) {
                let batch: Vec<&Encoding> = chunk.iter().map(|&i| &encodings[i]).collect();
                for (row, &i) in self.embed_packed(&batch)?.into_iter().zip(chunk) {
                    out[i] = row;
                }
            }
            return Ok(out);
        }
        for chunk in length_batches(&order, |i| encodings[i].len(), self.batch_size) {
            let batch: Vec<&Encoding> = chunk.iter().map(|&i| &encodings[i]).collect();
            let tensors = self.tokenizer.batch(&batch, self.model.device())?;
            let pooled = self.pooled(&tensors, ForwardOptions::default())?.0;
            for (row, &i) in pooled.to_vec2::<f32>()?.into_iter().zip(chunk) {
                out[i] = row;
            }
        }
        Ok(out)
    }

    /// Sentence embeddings of `batch` from one packed forward pass.
    fn embed_packed(&self, batch: &[&Encoding]) -> Result<Vec<Vec<f32>>> {
        let ids: Vec<u32> = batch.iter().flat_map(|e| e.ids.iter().copied()).collect();
        let type_ids: Vec<u32> = batch
            .iter()
            .flat_map(|e| e.type_ids.iter().copied())
            .collect();
        let lengths: Vec<usize> = batch.iter().map(|e| e.len()).collect();
        let hidden = self.model.forward_packed(PackedTokens {
            ids: &ids,
            type_ids: &type_ids,
            lengths: &lengths,
        })?;
        let dim = self.dim();
        let mut rows = hidden.chunks_exact(dim);
        let mut pooled = Vec::with_capacity(batch.len());
        for &len in &lengths {
            let tokens: Vec<&[f32]> = rows.by_ref().take(len).collect();
            let mut v = self.pooling.pool_rows(&tokens, dim);
            if self.normalize {
                l2_normalize_row(&mut v);
            }
            pooled.push(v);
        }
        Ok(pooled)
    }

    /// Pools (and normalises) a forward pass over `batch`; returns `[batch, dim]` and the
    /// full model output.
    pub fn pooled(&self, batch: &Batch, options: ForwardOptions) -> Result<(Tensor, BertOutput)> {
        let out = self.model.forward(
            &batch.input_ids,
            &batch.token_type_ids,
            &batch.attention_mask,
            options,
        )?;
        let pooled = self.finish(&out.last_hidden_state, &batch.attention_mask)?;
        Ok((pooled, out))
    }

    /// Pools and normalises hidden states `[batch, seq, dim]` as `embed` does. Differentiable.
    pub fn finish(&self, hidden: &Tensor, attention_mask: &Tensor) -> Result<Tensor> {
        let pooled = self.pooling.pool(hidden, attention_mask)?;
        if self.normalize {
            l2_normalize(&pooled)
        } else {
            Ok(pooled)
        }
    }

    /// Sentence embeddings computed from word embeddings `[batch, seq, hidden]` on the
    /// differentiable path: the building block of gradient attributions.
    pub fn embed_from_word_embeddings(
        &self,
        word_embeds: &Tensor,
        token_type_ids: &Tensor,
        attention_mask: &Tensor,
    ) -> Result<Tensor> {
        let options = ForwardOptions {
            path: ComputePath::Differentiable,
            ..Default::default()
        };
        let out =
            self.model
                .forward_embeds(word_embeds, token_type_ids, attention_mask, options)?;
        self.finish(&out.last_hidden_state, attention_mask)
    }

    /// Runs one text and keeps tokens, last hidden state and every attention map.
    pub fn analyze(&self, text: &str) -> Result<Analysis> {
        let encoding = self.tokenizer.encode(text)?;
        let batch = self.tokenizer.batch(&[&encoding], self.model.device())?;
        let options = ForwardOptions {
            attentions: true,
            ..Default::default()
        };
        let (pooled, out) = self.pooled(&batch, options)?;
        let embedding = pooled.squeeze(0)?.to_vec1::<f32>()?;
        let last_hidden_state = out.last_hidden_state.squeeze(0)?.to_vec2::<f32>()?;
        let attentions = out
            .attentions
            .iter()
            .map(|a| a.squeeze(0)?.to_vec3::<f32>())
            .collect::<candle_core::Result<Vec<_>>>()?;
        Ok(Analysis {
            encoding,
            embedding,
            last_hidden_state,
            attentions,
        })
    }
}

/// `texts` with `prefix` (a model's prompt) in front, if any: what the encoder embeds.
fn prefixed(prefix: Option<&str>, texts: &[&str]) -> Vec<String> {
    let prefix = prefix.unwrap_or("");
    texts.iter().map(|t| format!("{prefix}{t}")).collect()
}

fn read_optional_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Option<T>> {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| ModelError::Malformed {
                path: path.to_path_buf(),
                reason: e.to_string(),
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(ModelError::io(path, e)),
    }
}

/// Splits `order` into consecutive groups of at most `batch_size` items and
/// [`MAX_BATCH_TOKENS`] tokens in all (an item longer than that goes alone): the groups of
/// the packed pass, which computes no padding.
fn token_batches(
    order: &[usize],
    len: impl Fn(usize) -> usize,
    batch_size: usize,
) -> Vec<&[usize]> {
    let mut batches = Vec::new();
    let (mut start, mut tokens) = (0, 0);
    for (end, &i) in order.iter().enumerate() {
        let next = len(i);
        if end > start && (end - start == batch_size || tokens + next > MAX_BATCH_TOKENS) {
            batches.push(&order[start..end]);
            (start, tokens) = (end, 0);
        }
        tokens += next;
    }
    if start < order.len() {
        batches.push(&order[start..]);
    }
    batches
}

/// Splits `order` (indices sorted by ascending length) into consecutive batches of at most
/// `batch_size` items whose padded size (count × longest length) stays within
/// [`MAX_BATCH_TOKENS`]; an item longer than that goes alone.
fn length_batches(
    order: &[usize],
    len: impl Fn(usize) -> usize,
    batch_size: usize,
) -> Vec<&[usize]> {
    let mut batches = Vec::new();
    let mut start = 0;
    for end in 1..=order.len() {
        let count = end - start;
        let fits = |n: usize| n * len(order[start + n - 1]).max(1) <= MAX_BATCH_TOKENS;
        let next_fits = end < order.len() && count < batch_size && fits(count + 1);
        if !next_fits {
            batches.push(&order[start..end]);
            start = end;
        }
    }
    batches
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_respect_the_size_and_the_token_budget() {
        let lens = [3, 10, 10, 64, 64, 100, 300, 5000];
        let order: Vec<usize> = (0..lens.len()).collect();
        let batches = length_batches(&order, |i| lens[i], 4);
        let sizes: Vec<Vec<usize>> = batches.iter().map(|b| b.to_vec()).collect();
        assert_eq!(sizes.concat(), order, "every index once, in order");
        for b in &batches {
            let longest = b.iter().map(|&i| lens[i]).max().unwrap_or(0);
            assert!(b.len() <= 4);
            assert!(b.len() == 1 || b.len() * longest <= MAX_BATCH_TOKENS);
        }
        assert_eq!(sizes[0], [0, 1, 2, 3]);
        assert_eq!(
            sizes.last().map(Vec::as_slice),
            Some(&[7][..]),
            "too long: alone"
        );
        let short = [16; 200];
        let order: Vec<usize> = (0..200).collect();
        let batches = length_batches(&order, |i| short[i], DEFAULT_BATCH_SIZE);
        assert_eq!(
            batches.iter().map(|b| b.len()).collect::<Vec<_>>(),
            [64, 64, 64, 8]
        );
    }
}
