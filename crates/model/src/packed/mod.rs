//! The encoder's inference pass over packed sequences, on the CPU, in plain `f32` slices.
//!
//! Sequences of any lengths are laid end to end, with no padding, and cut into blocks of
//! whole sequences (about [`BLOCK_TOKENS`] tokens). Each block goes through every layer on
//! one thread, so its activations stay in the core's cache from the embeddings to the last
//! layer, and blocks run in parallel on rayon's threads with no barrier between layers.
//! Within a block, residuals are accumulated by the matrix product itself, and each bias is
//! added in the same pass over a row as the layer norm or activation that follows it. The
//! weights are read in place from the candle tensors the other paths use, so the model is
//! held in memory once.
//!
//! This path returns the last hidden state only: attention maps and gradients come from
//! [`BertModel::forward`](crate::BertModel::forward), which agrees with it to within float
//! rounding (checked in the tests).

mod attention;
mod gradient;
mod kernels;

use std::cell::RefCell;
use std::ops::Range;

use candle_core::{CpuStorage, Storage, StorageRef, Tensor};

use crate::bert::{Activation, BertModel, LayerNorm};
use crate::dense::Dense;
use crate::error::{ModelError, Result};
use attention::self_attention;
use kernels::{add, gelu_erf, gelu_tanh, layer_norm, matmul};
use rayon::prelude::*;

pub use gradient::{InputGradients, OutputGradient, PackedEmbeddings};

/// Token sequences laid end to end: the input of [`BertModel::forward_packed`].
#[derive(Debug, Clone, Copy)]
pub struct PackedTokens<'a> {
    /// Token ids of every sequence, one after the other.
    pub ids: &'a [u32],
    /// Token type ids, aligned with `ids`.
    pub type_ids: &'a [u32],
    /// Each sequence's number of tokens; they sum to `ids.len()`.
    pub lengths: &'a [usize],
}

/// Read locks on the weights' storage, held for one forward pass.
struct Guards<'m>(Vec<(StorageRef<'m>, &'m candle_core::Layout)>);

impl<'m> Guards<'m> {
    fn lock(tensors: &[&'m Tensor]) -> Self {
        Self(tensors.iter().map(|&t| t.storage_and_layout()).collect())
    }

    /// The locked tensors' elements, in the order given to [`lock`](Self::lock).
    fn slices(&self) -> Result<Vec<&[f32]>> {
        self.0
            .iter()
            .map(
                |(storage, layout)| match (&**storage, layout.contiguous_offsets()) {
                    (Storage::Cpu(CpuStorage::F32(data)), Some((start, end))) => {
                        Ok(&data[start..end])
                    }
                    _ => Err(ModelError::InvalidInput(
                        "the packed forward pass needs contiguous f32 weights on the CPU".into(),
                    )),
                },
            )
            .collect()
    }
}

/// The tensors of one linear layer, for [`Guards::lock`].
fn dense_tensors(dense: &Dense) -> [&Tensor; 2] {
    [&dense.weight_t, &dense.bias]
}

/// The tensors of one layer norm, for [`Guards::lock`].
fn norm_tensors(norm: &LayerNorm) -> [&Tensor; 2] {
    [&norm.weight, &norm.bias]
}

/// One layer's weights as slices.
struct LayerWeights<'a> {
    qkv: (&'a [f32], &'a [f32]),
    attention_out: (&'a [f32], &'a [f32]),
    attention_norm: (&'a [f32], &'a [f32]),
    intermediate: (&'a [f32], &'a [f32]),
    output: (&'a [f32], &'a [f32]),
    output_norm: (&'a [f32], &'a [f32]),
}

/// Tensors per layer in the order [`LayerWeights::from_slices`] reads them.
const TENSORS_PER_LAYER: usize = 12;

impl<'a> LayerWeights<'a> {
    fn from_slices(s: &[&'a [f32]]) -> Self {
        Self {
            qkv: (s[0], s[1]),
            attention_out: (s[2], s[3]),
            attention_norm: (s[4], s[5]),
            intermediate: (s[6], s[7]),
            output: (s[8], s[9]),
            output_norm: (s[10], s[11]),
        }
    }
}

impl BertModel {
    /// Every tensor the packed pass reads: the embedding tables and norm, then
    /// [`TENSORS_PER_LAYER`] per layer.
    fn packed_tensors(&self) -> Vec<&Tensor> {
        let mut tensors = vec![
            self.word_embeddings.embeddings(),
            self.position_embeddings.embeddings(),
            self.token_type_embeddings.embeddings(),
            &self.embeddings_norm.weight,
            &self.embeddings_norm.bias,
        ];
        for layer in &self.layers {
            tensors.extend(dense_tensors(&layer.qkv));
            tensors.extend(dense_tensors(&layer.attention_out));
            tensors.extend(norm_tensors(&layer.attention_norm));
            tensors.extend(dense_tensors(&layer.intermediate));
            tensors.extend(dense_tensors(&layer.output));
            tensors.extend(norm_tensors(&layer.output_norm));
        }
        tensors
    }

    /// The last hidden state `[tokens, hidden]` (row-major) of packed sequences, on the
    /// CPU. The same numbers as [`forward`](Self::forward) on a padded batch, to within float
    /// rounding, without computing padding.
    pub fn forward_packed(&self, tokens: PackedTokens<'_>) -> Result<Vec<f32>> {
        self.check_packed(tokens)?;
        let guards = Guards::lock(&self.packed_tensors());
        let slices = guards.slices()?;
        let weights = Weights::from_slices(&slices);
        let spans = block_spans(tokens.lengths, rayon::current_num_threads());
        let arch = pulp::Arch::new();
        let outputs: Vec<Vec<f32>> = spans
            .into_par_iter()
            .map(|span| {
                let block = PackedTokens {
                    ids: &tokens.ids[span.tokens.clone()],
                    type_ids: &tokens.type_ids[span.tokens],
                    lengths: &tokens.lengths[span.sequences],
                };
                arch.dispatch(Block {
                    model: self,
                    weights: &weights,
                    tokens: block,
                })
            })
            .collect();
        Ok(outputs.concat())
    }

    /// Rejects packed input the pass cannot index safely.
    fn check_packed(&self, tokens: PackedTokens<'_>) -> Result<()> {
        let config = &self.config;
        let total: usize = tokens.lengths.iter().sum();
        if tokens.ids.len() != total || tokens.type_ids.len() != total {
            return Err(ModelError::InvalidInput(format!(
                "{} ids and {} type ids for sequences of {total} tokens in all",
                tokens.ids.len(),
                tokens.type_ids.len()
            )));
        }
        if let Some(&len) = tokens
            .lengths
            .iter()
            .find(|&&l| l > config.max_position_embeddings)
        {
            return Err(ModelError::TooLong {
                tokens: len,
                limit: config.max_position_embeddings,
            });
        }
        if let Some(id) = tokens
            .ids
            .iter()
            .find(|&&id| id as usize >= config.vocab_size)
        {
            return Err(ModelError::InvalidInput(format!(
                "token id {id} is outside the vocabulary of {}",
                config.vocab_size
            )));
        }
        if let Some(t) = tokens
            .type_ids
            .iter()
            .find(|&&t| t as usize >= config.type_vocab_size)
        {
            return Err(ModelError::InvalidInput(format!(
                "token type {t} is outside the {} types",
                config.type_vocab_size
            )));
        }
        Ok(())
    }
}

/// Every weight of the model as slices.
struct Weights<'a> {
    word: &'a [f32],
    position: &'a [f32],
    token_type: &'a [f32],
    norm: (&'a [f32], &'a [f32]),
    layers: Vec<LayerWeights<'a>>,
}

impl<'a> Weights<'a> {
    /// The weights from the slices of [`BertModel::packed_tensors`], in that order.
    fn from_slices(slices: &[&'a [f32]]) -> Self {
        Weights {
            word: slices[0],
            position: slices[1],
            token_type: slices[2],
            norm: (slices[3], slices[4]),
            layers: slices[5..]
                .chunks_exact(TENSORS_PER_LAYER)
                .map(LayerWeights::from_slices)
                .collect(),
        }
    }
}

/// `row ← word + position + token type`: a token's summed embeddings, before their norm.
#[inline(always)]
fn embed_row(row: &mut [f32], word: &[f32], w: &Weights<'_>, position: usize, kind: usize) {
    let hidden = row.len();
    let position = &w.position[position * hidden..(position + 1) * hidden];
    let token_type = &w.token_type[kind * hidden..(kind + 1) * hidden];
    for (((x, a), b), c) in row.iter_mut().zip(word).zip(position).zip(token_type) {
        *x = a + b + c;
    }
}

/// Tokens per block unless there are too few to keep every thread busy.
const BLOCK_TOKENS: usize = 256;

/// One block of whole sequences: which sequences, and which tokens.
#[derive(Debug, Clone, PartialEq)]
struct BlockSpan {
    sequences: Range<usize>,
    tokens: Range<usize>,
}

/// Cuts sequences of `lengths` into consecutive blocks of whole sequences of about
/// [`BLOCK_TOKENS`] tokens, smaller where that leaves a thread idle.
fn block_spans(lengths: &[usize], threads: usize) -> Vec<BlockSpan> {
    let total: usize = lengths.iter().sum();
    let target = total.div_ceil(threads.max(1)).clamp(1, BLOCK_TOKENS);
    let mut spans = Vec::new();
    let (mut first_seq, mut first_token, mut size) = (0, 0, 0);
    for (i, &len) in lengths.iter().enumerate() {
        size += len;
        if size >= target || i + 1 == lengths.len() {
            let end = first_token + size;
            spans.push(BlockSpan {
                sequences: first_seq..i + 1,
                tokens: first_token..end,
            });
            (first_seq, first_token, size) = (i + 1, end, 0);
        }
    }
    spans
}

/// One block's pass through the embeddings and every layer, as one dispatched unit.
struct Block<'a> {
    model: &'a BertModel,
    weights: &'a Weights<'a>,
    tokens: PackedTokens<'a>,
}

impl pulp::WithSimd for Block<'_> {
    type Output = Vec<f32>;

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _: S) -> Vec<f32> {
        let config = &self.model.config;
        let (hidden, inner) = (config.hidden_size, config.intermediate_size);
        let eps = config.layer_norm_eps as f32;
        let (w, tokens) = (self.weights, self.tokens);
        let count = tokens.ids.len();

        let mut x = vec![0f32; count * hidden];
        let mut rows = x.chunks_exact_mut(hidden);
        let mut at = 0;
        for &len in tokens.lengths {
            for (pos, row) in rows.by_ref().take(len).enumerate() {
                let (id, kind) = (tokens.ids[at] as usize, tokens.type_ids[at] as usize);
                let word = &w.word[id * hidden..(id + 1) * hidden];
                embed_row(row, word, w, pos, kind);
                layer_norm(row, w.norm.0, w.norm.1, eps);
                at += 1;
            }
        }

        // Taken out of the thread-local and put back, so that the layers run here, inside
        // the dispatch, rather than in a closure.
        let mut scratch = SCRATCH.with(RefCell::take);
        scratch.qkv.resize(count * 3 * hidden, 0.0);
        scratch.context.resize(count * hidden, 0.0);
        scratch.intermediate.resize(count * inner, 0.0);
        layers(self.model, w, tokens, &mut x, &mut scratch);
        SCRATCH.with(|s| s.replace(scratch));
        x
    }
}

/// Buffers of the activations a thread's blocks go through, kept between blocks: a
/// long-running server then allocates them once per thread rather than per block, and its
/// memory does not fragment (they grow to the largest block seen, a few MiB).
#[derive(Default)]
struct Scratch {
    qkv: Vec<f32>,
    context: Vec<f32>,
    intermediate: Vec<f32>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Every layer on one block, `x` holding the embeddings on entry and the last hidden state
/// on return; the scratch buffers are sized for the block.
#[inline(always)]
fn layers(
    model: &BertModel,
    w: &Weights<'_>,
    tokens: PackedTokens<'_>,
    x: &mut [f32],
    scratch: &mut Scratch,
) {
    let config = &model.config;
    let (hidden, inner) = (config.hidden_size, config.intermediate_size);
    let eps = config.layer_norm_eps as f32;
    let Scratch {
        qkv,
        context,
        intermediate,
    } = scratch;
    for layer in &w.layers {
        matmul(x, layer.qkv.0, qkv, hidden, false);
        for row in qkv.chunks_exact_mut(3 * hidden) {
            add(row, layer.qkv.1);
        }
        let heads = config.num_attention_heads;
        self_attention(qkv, context, tokens.lengths, hidden, heads);
        // x ← LayerNorm(x + context·Wᵀ + b): the product accumulates onto the residual.
        matmul(context, layer.attention_out.0, x, hidden, true);
        bias_and_norm(x, layer.attention_out.1, layer.attention_norm, eps);
        matmul(x, layer.intermediate.0, intermediate, hidden, false);
        bias_and_activation(intermediate, layer.intermediate.1, model.activation);
        matmul(intermediate, layer.output.0, x, inner, true);
        bias_and_norm(x, layer.output.1, layer.output_norm, eps);
    }
}

/// `row ← LayerNorm(row + bias)` for every row.
#[inline(always)]
fn bias_and_norm(x: &mut [f32], bias: &[f32], (weight, beta): (&[f32], &[f32]), eps: f32) {
    for row in x.chunks_exact_mut(bias.len()) {
        add(row, bias);
        layer_norm(row, weight, beta, eps);
    }
}

/// `row ← activation(row + bias)` for every row.
#[inline(always)]
fn bias_and_activation(x: &mut [f32], bias: &[f32], activation: Activation) {
    let rows = x.chunks_exact_mut(bias.len());
    match activation {
        Activation::Gelu => rows.for_each(|row| {
            for (v, b) in row.iter_mut().zip(bias) {
                *v = gelu_erf(*v + b);
            }
        }),
        Activation::GeluTanh => rows.for_each(|row| {
            for (v, b) in row.iter_mut().zip(bias) {
                *v = gelu_tanh(*v + b);
            }
        }),
        Activation::Relu => rows.for_each(|row| {
            for (v, b) in row.iter_mut().zip(bias) {
                *v = (*v + b).max(0.0);
            }
        }),
    }
}
