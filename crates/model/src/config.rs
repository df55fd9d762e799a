//! The parts of a Hugging Face `config.json` that a BERT-family encoder needs.

use std::path::Path;

use serde::Deserialize;

use crate::error::{ModelError, Result};

/// Hyper-parameters of a BERT-family encoder, read from `config.json`.
#[derive(Debug, Clone, Deserialize)]
pub struct BertConfig {
    /// Vocabulary size.
    pub vocab_size: usize,
    /// Width of every hidden state.
    pub hidden_size: usize,
    /// Number of transformer layers.
    pub num_hidden_layers: usize,
    /// Attention heads per layer.
    pub num_attention_heads: usize,
    /// Width of the feed-forward layer.
    pub intermediate_size: usize,
    /// Activation of the feed-forward layer (`gelu` is the exact erf form).
    #[serde(default = "default_act")]
    pub hidden_act: String,
    /// Number of learned positions: the hard limit on sequence length.
    pub max_position_embeddings: usize,
    /// Number of token types (segments).
    #[serde(default = "default_type_vocab")]
    pub type_vocab_size: usize,
    /// Epsilon of every layer norm.
    #[serde(default = "default_eps")]
    pub layer_norm_eps: f64,
    /// Padding token id.
    #[serde(default)]
    pub pad_token_id: u32,
    /// `model_type` as written by transformers (`bert`, ...).
    #[serde(default)]
    pub model_type: Option<String>,
    /// `architectures` as written by transformers.
    #[serde(default)]
    pub architectures: Vec<String>,
    /// Must be `absolute` when present.
    #[serde(default)]
    pub position_embedding_type: Option<String>,
}

fn default_act() -> String {
    "gelu".to_string()
}
fn default_type_vocab() -> usize {
    2
}
fn default_eps() -> f64 {
    1e-12
}

/// Model types whose weights follow the BERT layout this crate implements.
const SUPPORTED_TYPES: &[&str] = &["bert"];

impl BertConfig {
    /// Reads and validates `config.json`.
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => ModelError::MissingFile(path.to_path_buf()),
            _ => ModelError::io(path, e),
        })?;
        let config: BertConfig =
            serde_json::from_str(&text).map_err(|e| ModelError::Malformed {
                path: path.to_path_buf(),
                reason: e.to_string(),
            })?;
        config.validate(path)?;
        Ok(config)
    }

    fn validate(&self, path: &Path) -> Result<()> {
        let model_type = self.model_type.clone().unwrap_or_default();
        let is_bert_arch = self.architectures.iter().any(|a| a.starts_with("Bert"));
        if !SUPPORTED_TYPES.contains(&model_type.as_str()) && !is_bert_arch {
            let found = if model_type.is_empty() {
                self.architectures.join(",")
            } else {
                model_type
            };
            return Err(ModelError::UnsupportedArchitecture {
                path: path.to_path_buf(),
                found,
            });
        }
        if let Some(kind) = &self.position_embedding_type {
            if kind != "absolute" {
                return Err(ModelError::UnsupportedArchitecture {
                    path: path.to_path_buf(),
                    found: format!("position_embedding_type {kind}"),
                });
            }
        }
        if !matches!(self.hidden_act.as_str(), "gelu" | "gelu_new" | "relu") {
            return Err(ModelError::UnsupportedArchitecture {
                path: path.to_path_buf(),
                found: format!("hidden_act {}", self.hidden_act),
            });
        }
        if self.num_attention_heads == 0
            || !self.hidden_size.is_multiple_of(self.num_attention_heads)
        {
            return Err(ModelError::Malformed {
                path: path.to_path_buf(),
                reason: format!(
                    "hidden_size {} is not divisible by num_attention_heads {}",
                    self.hidden_size, self.num_attention_heads
                ),
            });
        }
        Ok(())
    }

    /// Width of one attention head.
    pub fn head_dim(&self) -> usize {
        self.hidden_size / self.num_attention_heads
    }
}
