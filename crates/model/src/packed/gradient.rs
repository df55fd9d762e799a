//! Input gradients of the packed pass: the gradient of several scalar outputs of the last
//! hidden state with respect to the word embeddings, for gradient attributions.
//!
//! Each block of sequences runs forward once, keeping what the backward pass reads (the
//! fused projections, the attention probabilities, the normalised rows of every layer
//! norm and the pre-activations), then backward once for all outputs together: the rows
//! of every output's gradient are stacked, so each layer's input gradient is one matrix
//! product with the layer's own weight, read transposed in place. The weights are frozen,
//! so no weight gradient is computed.

use super::attention::{attention_backward, attention_recorded};
use super::kernels::{
    add, gelu_erf, gelu_erf_derivative, gelu_tanh, gelu_tanh_derivative, layer_norm_backward,
    layer_norm_recorded, matmul, matmul_transposed,
};
use super::{block_spans, embed_row, Guards, LayerWeights, Weights};
use crate::bert::{Activation, BertModel};
use crate::error::{ModelError, Result};
use rayon::prelude::*;

/// Word embeddings of sequences laid end to end: the input of
/// [`BertModel::input_gradients_packed`].
#[derive(Debug, Clone, Copy)]
pub struct PackedEmbeddings<'a> {
    /// `[tokens, hidden]`, row-major: each token's word embedding.
    pub word: &'a [f32],
    /// Token type ids, one per token.
    pub type_ids: &'a [u32],
    /// Each sequence's number of tokens; they sum to the token count.
    pub lengths: &'a [usize],
}

/// Where the backward pass starts: given a block's last hidden state `[tokens, hidden]`
/// and its sequences' lengths, the gradient of each output with respect to it,
/// `[outputs, tokens, hidden]`.
pub type OutputGradient<'a> = dyn Fn(&[f32], &[usize]) -> Vec<f32> + Sync + 'a;

/// What [`BertModel::input_gradients_packed`] returns.
#[derive(Debug, Clone)]
pub struct InputGradients {
    /// The last hidden state, `[tokens, hidden]`.
    pub hidden: Vec<f32>,
    /// Per output, the gradient with respect to the word embeddings, `[tokens, hidden]`.
    pub gradients: Vec<Vec<f32>>,
}

impl BertModel {
    /// The last hidden state of packed sequences given their word embeddings, and the
    /// gradient of `outputs` scalar functions of it (their gradients given by
    /// `output_gradient`) with respect to those embeddings. The same numbers as the
    /// differentiable candle path (`forward_embeds` and `backward`), to within float
    /// rounding, in one forward and one backward pass per block.
    pub fn input_gradients_packed(
        &self,
        input: PackedEmbeddings<'_>,
        outputs: usize,
        output_gradient: &OutputGradient<'_>,
    ) -> Result<InputGradients> {
        let hidden = self.config.hidden_size;
        self.check_embeddings(input)?;
        if outputs == 0 {
            return Err(ModelError::InvalidInput(
                "no outputs to differentiate".into(),
            ));
        }
        let guards = Guards::lock(&self.packed_tensors());
        let slices = guards.slices()?;
        let weights = Weights::from_slices(&slices);
        let spans = block_spans(input.lengths, rayon::current_num_threads());
        let arch = pulp::Arch::new();
        let blocks: Vec<(Vec<f32>, Vec<f32>)> = spans
            .into_par_iter()
            .map(|span| {
                let tokens = span.tokens.start * hidden..span.tokens.end * hidden;
                arch.dispatch(GradientBlock {
                    model: self,
                    weights: &weights,
                    word: &input.word[tokens],
                    type_ids: &input.type_ids[span.tokens.clone()],
                    lengths: &input.lengths[span.sequences],
                    outputs,
                    output_gradient,
                })
            })
            .collect::<Result<_>>()?;
        let mut result = InputGradients {
            hidden: Vec::with_capacity(input.word.len()),
            gradients: vec![Vec::with_capacity(input.word.len()); outputs],
        };
        for (block_hidden, block_gradients) in blocks {
            let per_output = block_hidden.len();
            for (gradient, part) in result
                .gradients
                .iter_mut()
                .zip(block_gradients.chunks_exact(per_output))
            {
                gradient.extend_from_slice(part);
            }
            result.hidden.extend(block_hidden);
        }
        Ok(result)
    }

    /// Rejects packed embeddings the pass cannot index safely.
    fn check_embeddings(&self, input: PackedEmbeddings<'_>) -> Result<()> {
        let config = &self.config;
        if input.lengths.contains(&0) {
            return Err(ModelError::InvalidInput(
                "a packed sequence has no tokens".into(),
            ));
        }
        let total: usize = input.lengths.iter().sum();
        if input.word.len() != total * config.hidden_size || input.type_ids.len() != total {
            return Err(ModelError::InvalidInput(format!(
                "{} embedding values and {} type ids for sequences of {total} tokens of width {}",
                input.word.len(),
                input.type_ids.len(),
                config.hidden_size
            )));
        }
        if let Some(&len) = input
            .lengths
            .iter()
            .find(|&&l| l > config.max_position_embeddings)
        {
            return Err(ModelError::TooLong {
                tokens: len,
                limit: config.max_position_embeddings,
            });
        }
        if let Some(t) = input
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

/// A layer norm's record: each row normalised (before its weight and bias) and 1 / σ.
struct NormRecord {
    normalized: Vec<f32>,
    inv: Vec<f32>,
}

impl NormRecord {
    /// `row ← LayerNorm(row + bias)` for every row of `x`, recorded.
    fn apply(x: &mut [f32], bias: Option<&[f32]>, norm: (&[f32], &[f32]), eps: f32) -> Self {
        let width = norm.0.len();
        let mut normalized = vec![0f32; x.len()];
        let mut inv = Vec::with_capacity(x.len() / width);
        for (row, out) in x
            .chunks_exact_mut(width)
            .zip(normalized.chunks_exact_mut(width))
        {
            if let Some(bias) = bias {
                add(row, bias);
            }
            inv.push(layer_norm_recorded(row, norm, eps, out));
        }
        Self { normalized, inv }
    }

    /// Turns the output gradient rows of `grad` (any number of outputs' rows, stacked)
    /// into input gradients, in place.
    fn backward(&self, grad: &mut [f32], weight: &[f32]) {
        let width = weight.len();
        let rows = self.inv.len();
        for (r, row) in grad.chunks_exact_mut(width).enumerate() {
            let i = r % rows;
            let normalized = &self.normalized[i * width..(i + 1) * width];
            layer_norm_backward(row, normalized, self.inv[i], weight);
        }
    }
}

/// What one layer's backward pass reads from its forward pass.
struct LayerRecord {
    qkv: Vec<f32>,
    probs: Vec<f32>,
    attention_norm: NormRecord,
    /// The activation's derivative at each of its inputs.
    slope: Vec<f32>,
    output_norm: NormRecord,
}

/// One block's forward and backward pass, as one dispatched unit.
struct GradientBlock<'a> {
    model: &'a BertModel,
    weights: &'a Weights<'a>,
    word: &'a [f32],
    type_ids: &'a [u32],
    lengths: &'a [usize],
    outputs: usize,
    output_gradient: &'a OutputGradient<'a>,
}

impl pulp::WithSimd for GradientBlock<'_> {
    /// The block's last hidden state and every output's input gradient, stacked.
    type Output = Result<(Vec<f32>, Vec<f32>)>;

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _: S) -> Self::Output {
        let config = &self.model.config;
        let (hidden, inner) = (config.hidden_size, config.intermediate_size);
        let eps = config.layer_norm_eps as f32;
        let w = self.weights;
        let count = self.type_ids.len();

        let mut x = vec![0f32; count * hidden];
        let mut at = 0;
        for &len in self.lengths {
            for pos in 0..len {
                let word = &self.word[at * hidden..(at + 1) * hidden];
                let row = &mut x[at * hidden..(at + 1) * hidden];
                embed_row(row, word, w, pos, self.type_ids[at] as usize);
                at += 1;
            }
        }
        let embeddings_norm = NormRecord::apply(&mut x, None, w.norm, eps);
        let mut context = vec![0f32; count * hidden];
        let mut activated = vec![0f32; count * inner];
        let mut records = Vec::with_capacity(w.layers.len());
        for layer in &w.layers {
            records.push(self.forward(layer, &mut x, &mut context, &mut activated));
        }

        let mut grad = (self.output_gradient)(&x, self.lengths);
        if grad.len() != self.outputs * x.len() {
            return Err(ModelError::InvalidInput(format!(
                "the output gradient has {} values, expected {} outputs x {} tokens x {hidden}",
                grad.len(),
                self.outputs,
                count
            )));
        }
        let rows = self.outputs * count;
        let mut inner_grad = vec![0f32; rows * inner];
        let mut context_grad = vec![0f32; rows * hidden];
        let mut qkv_grad = vec![0f32; rows * 3 * hidden];
        for (layer, record) in w.layers.iter().zip(&records).rev() {
            // x₂ = LN(g·W₂ + b₂ + x₁), g = act(x₁·W₁ + b₁): back to x₁ through both paths.
            record.output_norm.backward(&mut grad, layer.output_norm.0);
            matmul_transposed(&grad, layer.output.0, &mut inner_grad, hidden, false);
            for (r, row) in inner_grad.chunks_exact_mut(inner).enumerate() {
                let i = r % count;
                let slope = &record.slope[i * inner..(i + 1) * inner];
                for (g, s) in row.iter_mut().zip(slope) {
                    *g *= s;
                }
            }
            matmul_transposed(&inner_grad, layer.intermediate.0, &mut grad, inner, true);
            // x₁ = LN(attention(x₀)·W_o + b_o + x₀): back to x₀ through both paths.
            record
                .attention_norm
                .backward(&mut grad, layer.attention_norm.0);
            matmul_transposed(
                &grad,
                layer.attention_out.0,
                &mut context_grad,
                hidden,
                false,
            );
            let heads = config.num_attention_heads;
            for (dctx, dqkv) in context_grad
                .chunks_exact(count * hidden)
                .zip(qkv_grad.chunks_exact_mut(count * 3 * hidden))
            {
                attention_backward(dctx, &record.qkv, &record.probs, self.lengths, heads, dqkv);
            }
            matmul_transposed(&qkv_grad, layer.qkv.0, &mut grad, 3 * hidden, true);
        }
        // The word, position and type embeddings are summed, so each gets this gradient.
        embeddings_norm.backward(&mut grad, w.norm.0);
        Ok((x, grad))
    }
}

impl GradientBlock<'_> {
    /// One layer forward on `x`, in place, keeping what its backward pass reads.
    #[inline(always)]
    fn forward(
        &self,
        layer: &LayerWeights<'_>,
        x: &mut [f32],
        context: &mut [f32],
        activated: &mut [f32],
    ) -> LayerRecord {
        let config = &self.model.config;
        let (hidden, inner) = (config.hidden_size, config.intermediate_size);
        let eps = config.layer_norm_eps as f32;
        let count = self.type_ids.len();
        let mut qkv = vec![0f32; count * 3 * hidden];
        matmul(x, layer.qkv.0, &mut qkv, hidden, false);
        for row in qkv.chunks_exact_mut(3 * hidden) {
            add(row, layer.qkv.1);
        }
        let probs = attention_recorded(&qkv, context, self.lengths, config.num_attention_heads);
        matmul(context, layer.attention_out.0, x, hidden, true);
        let attention_norm =
            NormRecord::apply(x, Some(layer.attention_out.1), layer.attention_norm, eps);
        // The pre-activation goes into `activated` and is replaced there by the activation.
        matmul(x, layer.intermediate.0, activated, hidden, false);
        let mut slope = vec![0f32; count * inner];
        for (row, slope) in activated
            .chunks_exact_mut(inner)
            .zip(slope.chunks_exact_mut(inner))
        {
            add(row, layer.intermediate.1);
            activate(self.model.activation, row, slope);
        }
        matmul(activated, layer.output.0, x, inner, true);
        let output_norm = NormRecord::apply(x, Some(layer.output.1), layer.output_norm, eps);
        LayerRecord {
            qkv,
            probs,
            attention_norm,
            slope,
            output_norm,
        }
    }
}

/// `row ← activation(row)`, with the activation's derivative at each input in `slope`.
#[inline(always)]
fn activate(activation: Activation, row: &mut [f32], slope: &mut [f32]) {
    // Plain loops, not closures, so that the dispatch's instruction set reaches them.
    let values = row.iter_mut().zip(slope);
    match activation {
        Activation::Gelu => {
            for (x, s) in values {
                *s = gelu_erf_derivative(*x);
                *x = gelu_erf(*x);
            }
        }
        Activation::GeluTanh => {
            for (x, s) in values {
                *s = gelu_tanh_derivative(*x);
                *x = gelu_tanh(*x);
            }
        }
        Activation::Relu => {
            for (x, s) in values {
                *s = if *x > 0.0 { 1.0 } else { 0.0 };
                *x = x.max(0.0);
            }
        }
    }
}
