//! A BERT-family encoder that, unlike candle-transformers' `BertModel`, returns the
//! attention probabilities of every layer, accepts word embeddings as input, and can run on
//! a path on which candle records gradients.
//!
//! Weight names follow Hugging Face's `BertModel` layout (`embeddings.*`, `encoder.layer.N.*`),
//! with or without the `bert.` prefix of task checkpoints.

use std::path::Path;

use candle_core::safetensors::{Load, MmapedSafetensors};
use candle_core::{DType, Device, Module, Tensor, D};
use candle_nn::Embedding;

use crate::compute_path::ComputePath;
use crate::config::BertConfig;
use crate::dense::Dense;
use crate::error::{ModelError, Result};

/// What a forward pass returns besides the last hidden state.
#[derive(Debug, Clone, Copy, Default)]
pub struct ForwardOptions {
    /// Keep the attention probabilities of every layer (`[batch, heads, seq, seq]` each).
    pub attentions: bool,
    /// Keep the hidden state after the embeddings and after every layer.
    pub hidden_states: bool,
    /// Which implementation of softmax and layer norm to use.
    pub path: ComputePath,
}

/// Outputs of one forward pass.
#[derive(Debug, Clone)]
pub struct BertOutput {
    /// `[batch, seq, hidden]`.
    pub last_hidden_state: Tensor,
    /// One `[batch, heads, seq, seq]` tensor per layer, when asked for.
    pub attentions: Vec<Tensor>,
    /// Embedding output then every layer's output, `[batch, seq, hidden]` each, when asked for.
    pub hidden_states: Vec<Tensor>,
}

/// The tensors of a safetensors file, mapped into memory and copied out one at a time, so
/// that loading needs no second copy of the whole file.
struct Weights<'a> {
    tensors: &'a MmapedSafetensors,
    prefix: &'static str,
    file: &'a Path,
    device: &'a Device,
}

impl Weights<'_> {
    fn get(&self, name: &str) -> Result<Tensor> {
        let full = format!("{}{name}", self.prefix);
        let malformed = |reason: String| ModelError::Malformed {
            path: self.file.to_path_buf(),
            reason,
        };
        self.tensors
            .get(&full)
            .map_err(|_| malformed(format!("tensor {full} is missing")))?
            .load(self.device)
            .map_err(|e| malformed(format!("tensor {full}: {e}")))
    }

    fn get_shaped(&self, name: &str, shape: &[usize]) -> Result<Tensor> {
        let t = self.get(name)?;
        if t.dims() != shape {
            return Err(ModelError::Malformed {
                path: self.file.to_path_buf(),
                reason: format!(
                    "tensor {}{name} has shape {:?}, config.json implies {shape:?}",
                    self.prefix,
                    t.dims()
                ),
            });
        }
        Ok(t.to_dtype(DType::F32)?)
    }

    fn dense(&self, name: &str, out_dim: usize, in_dim: usize) -> Result<Dense> {
        let w = self.get_shaped(&format!("{name}.weight"), &[out_dim, in_dim])?;
        let b = self.get_shaped(&format!("{name}.bias"), &[out_dim])?;
        Ok(Dense::new(&w, b)?)
    }

    fn norm(&self, name: &str, dim: usize, eps: f64) -> Result<LayerNorm> {
        Ok(LayerNorm {
            weight: self.get_shaped(&format!("{name}.weight"), &[dim])?,
            bias: self.get_shaped(&format!("{name}.bias"), &[dim])?,
            eps,
        })
    }
}

pub(crate) struct LayerNorm {
    pub(crate) weight: Tensor,
    pub(crate) bias: Tensor,
    pub(crate) eps: f64,
}

impl LayerNorm {
    fn forward(&self, x: &Tensor, path: ComputePath) -> Result<Tensor> {
        let eps = self.eps as f32;
        Ok(match path {
            ComputePath::Fast => candle_nn::ops::layer_norm(x, &self.weight, &self.bias, eps)?,
            ComputePath::Differentiable => {
                candle_nn::ops::layer_norm_slow(x, &self.weight, &self.bias, eps)?
            }
        })
    }
}

fn softmax_last_dim(x: &Tensor, path: ComputePath) -> Result<Tensor> {
    Ok(match path {
        ComputePath::Fast => candle_nn::ops::softmax_last_dim(x)?,
        ComputePath::Differentiable => candle_nn::ops::softmax(x, D::Minus1)?,
    })
}

#[derive(Clone, Copy)]
pub(crate) enum Activation {
    Gelu,
    GeluTanh,
    Relu,
}

impl Activation {
    fn apply(self, x: &Tensor) -> Result<Tensor> {
        Ok(match self {
            Activation::Gelu => x.gelu_erf()?,
            Activation::GeluTanh => x.gelu()?,
            Activation::Relu => x.relu()?,
        })
    }
}

pub(crate) struct Layer {
    /// Query, key and value projections in one `[3 · hidden, hidden]` weight.
    pub(crate) qkv: Dense,
    pub(crate) attention_out: Dense,
    pub(crate) attention_norm: LayerNorm,
    pub(crate) intermediate: Dense,
    pub(crate) output: Dense,
    pub(crate) output_norm: LayerNorm,
}

/// A loaded BERT-family encoder.
pub struct BertModel {
    pub(crate) config: BertConfig,
    pub(crate) word_embeddings: Embedding,
    pub(crate) position_embeddings: Embedding,
    pub(crate) token_type_embeddings: Embedding,
    pub(crate) embeddings_norm: LayerNorm,
    pub(crate) layers: Vec<Layer>,
    pub(crate) activation: Activation,
    device: Device,
}

impl BertModel {
    /// Loads the weights in `weights_file` (safetensors) for `config`.
    pub fn load(config: BertConfig, weights_file: &Path, device: &Device) -> Result<Self> {
        if !weights_file.is_file() {
            return Err(ModelError::MissingFile(weights_file.to_path_buf()));
        }
        // SAFETY: the file is only read, and model directories are not modified while a
        // model is loading (the cache installs new copies by renaming a directory).
        #[allow(unsafe_code)]
        let tensors =
            unsafe { MmapedSafetensors::new(weights_file) }.map_err(|e| ModelError::Malformed {
                path: weights_file.to_path_buf(),
                reason: e.to_string(),
            })?;
        let prefix = if tensors.get("embeddings.word_embeddings.weight").is_ok() {
            ""
        } else {
            "bert."
        };
        let w = Weights {
            tensors: &tensors,
            prefix,
            file: weights_file,
            device,
        };
        let h = config.hidden_size;
        let eps = config.layer_norm_eps;
        let embedding = |name: &str, rows: usize| -> Result<Embedding> {
            Ok(Embedding::new(
                w.get_shaped(&format!("embeddings.{name}.weight"), &[rows, h])?,
                h,
            ))
        };
        let word_embeddings = embedding("word_embeddings", config.vocab_size)?;
        let position_embeddings = embedding("position_embeddings", config.max_position_embeddings)?;
        let token_type_embeddings = embedding("token_type_embeddings", config.type_vocab_size)?;
        let embeddings_norm = w.norm("embeddings.LayerNorm", h, eps)?;
        let layers = (0..config.num_hidden_layers)
            .map(|i| {
                let p = format!("encoder.layer.{i}");
                let projections = ["query", "key", "value"]
                    .map(|name| w.dense(&format!("{p}.attention.self.{name}"), h, h));
                let [q, k, v] = projections;
                Ok(Layer {
                    qkv: Dense::fuse(&[q?, k?, v?])?,
                    attention_out: w.dense(&format!("{p}.attention.output.dense"), h, h)?,
                    attention_norm: w.norm(&format!("{p}.attention.output.LayerNorm"), h, eps)?,
                    intermediate: w.dense(
                        &format!("{p}.intermediate.dense"),
                        config.intermediate_size,
                        h,
                    )?,
                    output: w.dense(&format!("{p}.output.dense"), h, config.intermediate_size)?,
                    output_norm: w.norm(&format!("{p}.output.LayerNorm"), h, eps)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let activation = match config.hidden_act.as_str() {
            "gelu_new" => Activation::GeluTanh,
            "relu" => Activation::Relu,
            _ => Activation::Gelu,
        };
        Ok(Self {
            config,
            word_embeddings,
            position_embeddings,
            token_type_embeddings,
            embeddings_norm,
            layers,
            activation,
            device: device.clone(),
        })
    }

    /// The model's hyper-parameters.
    pub fn config(&self) -> &BertConfig {
        &self.config
    }

    /// The device the weights live on.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// Looks up the word embeddings of `input_ids` (`[batch, seq]` u32): the input that
    /// gradient methods perturb. Position and token-type embeddings are added later.
    pub fn word_embeddings(&self, input_ids: &Tensor) -> Result<Tensor> {
        Ok(self.word_embeddings.forward(input_ids)?)
    }

    /// Runs the encoder on token ids.
    pub fn forward(
        &self,
        input_ids: &Tensor,
        token_type_ids: &Tensor,
        attention_mask: &Tensor,
        options: ForwardOptions,
    ) -> Result<BertOutput> {
        let embeds = self.word_embeddings(input_ids)?;
        self.forward_embeds(&embeds, token_type_ids, attention_mask, options)
    }

    /// Runs the encoder on word embeddings `[batch, seq, hidden]` instead of token ids.
    /// With [`ComputePath::Differentiable`], gradients flow back to `word_embeds`.
    pub fn forward_embeds(
        &self,
        word_embeds: &Tensor,
        token_type_ids: &Tensor,
        attention_mask: &Tensor,
        options: ForwardOptions,
    ) -> Result<BertOutput> {
        let (batch, seq, hidden) = word_embeds.dims3()?;
        if hidden != self.config.hidden_size {
            return Err(ModelError::InvalidInput(format!(
                "embeddings have width {hidden}, the model expects {}",
                self.config.hidden_size
            )));
        }
        if seq > self.config.max_position_embeddings {
            return Err(ModelError::TooLong {
                tokens: seq,
                limit: self.config.max_position_embeddings,
            });
        }
        if token_type_ids.dims() != [batch, seq] || attention_mask.dims() != [batch, seq] {
            return Err(ModelError::InvalidInput(format!(
                "token types {:?} and attention mask {:?} must both be [{batch}, {seq}]",
                token_type_ids.dims(),
                attention_mask.dims()
            )));
        }
        let path = options.path;
        let positions = Tensor::arange(0u32, seq as u32, &self.device)?;
        let x = word_embeds
            .broadcast_add(&self.position_embeddings.forward(&positions)?)?
            .add(&self.token_type_embeddings.forward(token_type_ids)?)?;
        let mut x = self.embeddings_norm.forward(&x, path)?;

        // 0 where a key may be attended to, a large negative number where it is padding.
        let mask_bias = ((attention_mask.to_dtype(DType::F32)? - 1.0)? * f32::MAX as f64)?
            .reshape((batch, 1, 1, seq))?;
        let mut out = BertOutput {
            last_hidden_state: x.clone(),
            attentions: Vec::new(),
            hidden_states: Vec::new(),
        };
        if options.hidden_states {
            out.hidden_states.push(x.clone());
        }
        for layer in &self.layers {
            let (next, probs) = self.layer_forward(layer, &x, &mask_bias, path)?;
            x = next;
            if options.attentions {
                out.attentions.push(probs);
            }
            if options.hidden_states {
                out.hidden_states.push(x.clone());
            }
        }
        out.last_hidden_state = x;
        Ok(out)
    }

    fn layer_forward(
        &self,
        layer: &Layer,
        x: &Tensor,
        mask_bias: &Tensor,
        path: ComputePath,
    ) -> Result<(Tensor, Tensor)> {
        let (batch, seq, hidden) = x.dims3()?;
        let heads = self.config.num_attention_heads;
        let head_dim = self.config.head_dim();
        let split_heads = |t: Tensor| -> Result<Tensor> {
            Ok(t.reshape((batch, seq, heads, head_dim))?
                .transpose(1, 2)?
                .contiguous()?)
        };
        let qkv = layer.qkv.forward(x, path)?;
        let q = split_heads(qkv.narrow(2, 0, hidden)?)?;
        let k = split_heads(qkv.narrow(2, hidden, hidden)?)?;
        let v = split_heads(qkv.narrow(2, 2 * hidden, hidden)?)?;
        let scores = (q.matmul(&k.t()?)? / (head_dim as f64).sqrt())?;
        let scores = scores.broadcast_add(mask_bias)?;
        let probs = softmax_last_dim(&scores, path)?;
        let context = probs
            .matmul(&v)?
            .transpose(1, 2)?
            .contiguous()?
            .reshape((batch, seq, hidden))?;
        let attended = layer
            .attention_norm
            .forward(&(layer.attention_out.forward(&context, path)? + x)?, path)?;
        let inner = self
            .activation
            .apply(&layer.intermediate.forward(&attended, path)?)?;
        let out = layer
            .output_norm
            .forward(&(layer.output.forward(&inner, path)? + &attended)?, path)?;
        Ok((out, probs))
    }
}
