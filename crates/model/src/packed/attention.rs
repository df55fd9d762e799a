//! Multi-head self-attention over packed sequences: each sequence attends to its own tokens
//! only, so no padding is computed and no mask is needed.

use super::kernels::{dot, softmax};

/// Writes the attention context `[tokens, hidden]` of every sequence from the fused
/// projections `qkv` `[tokens, 3 · hidden]` (queries, then keys, then values, each
/// `heads` blocks wide). `lengths` are the sequences' token counts, end to end.
#[inline(always)]
pub(crate) fn self_attention(
    qkv: &[f32],
    context: &mut [f32],
    lengths: &[usize],
    hidden: usize,
    heads: usize,
) {
    let (mut qkv, mut context) = (qkv, context);
    for &len in lengths {
        let (q, q_rest) = qkv.split_at(len * 3 * hidden);
        let (c, c_rest) = std::mem::take(&mut context).split_at_mut(len * hidden);
        attend(q, c, hidden, heads);
        (qkv, context) = (q_rest, c_rest);
    }
}

/// Columns per tile of the inner loops: two AVX2 registers, one AVX-512 register. Tiles
/// are `[f32; TILE]` locals, so the compiler keeps them in registers across the loop.
const TILE: usize = 16;

/// Queries computed together, so that each tile of keys or values loaded from memory
/// feeds four rows of multiply-adds.
const QUERIES: usize = 4;

/// Attention of one sequence. Keys are transposed per head (padded to whole tiles with
/// zeros), so that the scores of [`QUERIES`] queries and their weighted sums of values are
/// runs of multiply-adds into register tiles.
#[inline(always)]
fn attend(qkv: &[f32], context: &mut [f32], hidden: usize, heads: usize) {
    let len = context.len() / hidden;
    let dim = hidden / heads;
    let scale = 1.0 / (dim as f32).sqrt();
    let stride = 3 * hidden;
    let padded = len.next_multiple_of(TILE);
    let row = |i: usize, offset: usize| &qkv[i * stride + offset..i * stride + offset + dim];
    let mut keys = vec![0f32; dim * padded];
    // QUERIES rows of scaled queries, then of scores (rows past the sequence stay zero).
    let mut queries = vec![0f32; QUERIES * dim];
    let mut scores = vec![0f32; QUERIES * padded];
    for head in 0..heads {
        let (q_at, k_at, v_at) = (head * dim, hidden + head * dim, 2 * hidden + head * dim);
        for j in 0..len {
            for (c, &k) in row(j, k_at).iter().enumerate() {
                keys[c * padded + j] = k;
            }
        }
        for first in (0..len).step_by(QUERIES) {
            let count = QUERIES.min(len - first);
            queries.fill(0.0);
            for (r, q) in queries.chunks_exact_mut(dim).take(count).enumerate() {
                for (q, x) in q.iter_mut().zip(row(first + r, q_at)) {
                    *q = x * scale;
                }
            }
            query_scores(&queries, &keys, &mut scores, dim, padded);
            for p in scores.chunks_exact_mut(padded).take(count) {
                softmax(&mut p[..len]);
            }
            let out = &mut context[first * hidden..(first + count) * hidden];
            weighted_values(out, hidden, q_at, &scores, padded, len, |j| row(j, v_at));
        }
    }
}

/// `scores[r][j] = queries[r] · key j` for the [`QUERIES`] rows, keys transposed `[dim][padded]`.
#[inline(always)]
fn query_scores(queries: &[f32], keys: &[f32], scores: &mut [f32], dim: usize, padded: usize) {
    for j0 in (0..padded).step_by(TILE) {
        let mut acc = [[0f32; TILE]; QUERIES];
        for c in 0..dim {
            let k = &keys[c * padded + j0..c * padded + j0 + TILE];
            for (r, acc) in acc.iter_mut().enumerate() {
                let q = queries[r * dim + c];
                for (o, k) in acc.iter_mut().zip(k) {
                    *o = q.mul_add(*k, *o);
                }
            }
        }
        for (r, acc) in acc.iter().enumerate() {
            scores[r * padded + j0..r * padded + j0 + TILE].copy_from_slice(acc);
        }
    }
}

/// For each of up to [`QUERIES`] rows of `out` (`hidden` wide; this head's `dim` columns
/// from `at`): `Σ_j p[r][j] · value(j)`, in register tiles where the head width allows.
#[inline(always)]
fn weighted_values<'a>(
    out: &mut [f32],
    hidden: usize,
    at: usize,
    p: &[f32],
    padded: usize,
    len: usize,
    value: impl Fn(usize) -> &'a [f32],
) {
    let dim = value(0).len();
    let rows = out.len() / hidden;
    let whole = dim - dim % TILE;
    for t0 in (0..whole).step_by(TILE) {
        let mut acc = [[0f32; TILE]; QUERIES];
        for j in 0..len {
            let v = &value(j)[t0..t0 + TILE];
            for (r, acc) in acc.iter_mut().enumerate() {
                let pj = p[r * padded + j];
                for (o, v) in acc.iter_mut().zip(v) {
                    *o = pj.mul_add(*v, *o);
                }
            }
        }
        for (r, acc) in acc.iter().enumerate().take(rows) {
            out[r * hidden + at + t0..r * hidden + at + t0 + TILE].copy_from_slice(acc);
        }
    }
    for r in 0..rows {
        let rest = &mut out[r * hidden + at + whole..r * hidden + at + dim];
        rest.fill(0.0);
        for j in 0..len {
            let pj = p[r * padded + j];
            for (o, v) in rest.iter_mut().zip(&value(j)[whole..]) {
                *o = pj.mul_add(*v, *o);
            }
        }
    }
}

/// The sequences' positions in packed buffers: (first token, first probability) of each,
/// with the probabilities of a sequence of `len` tokens taking `heads · len²` values.
fn sequence_offsets(
    lengths: &[usize],
    heads: usize,
) -> impl Iterator<Item = (usize, usize, usize)> + '_ {
    lengths.iter().scan((0, 0), move |(token, prob), &len| {
        let at = (len, *token, *prob);
        *token += len;
        *prob += heads * len * len;
        Some(at)
    })
}

/// [`self_attention`] in plain loops that keeps the attention probabilities, `[heads,
/// len, len]` per sequence, end to end: what [`attention_backward`] reads.
#[inline(always)]
pub(crate) fn attention_recorded(
    qkv: &[f32],
    context: &mut [f32],
    lengths: &[usize],
    heads: usize,
) -> Vec<f32> {
    let hidden = context.len() / lengths.iter().sum::<usize>().max(1);
    let (dim, stride) = (hidden / heads, 3 * hidden);
    let scale = 1.0 / (dim as f32).sqrt();
    let total: usize = lengths.iter().map(|l| heads * l * l).sum();
    let mut probs = vec![0f32; total];
    for (len, token, prob) in sequence_offsets(lengths, heads) {
        let row = |i: usize, offset: usize| {
            let at = (token + i) * stride + offset;
            &qkv[at..at + dim]
        };
        for head in 0..heads {
            let p = &mut probs[prob + head * len * len..prob + (head + 1) * len * len];
            let (q_at, k_at, v_at) = (head * dim, hidden + head * dim, 2 * hidden + head * dim);
            for (i, weights) in p.chunks_exact_mut(len).enumerate() {
                let q = row(i, q_at);
                for (j, w) in weights.iter_mut().enumerate() {
                    *w = scale * dot(q, row(j, k_at));
                }
                softmax(weights);
                let at = (token + i) * hidden + head * dim;
                let out = &mut context[at..at + dim];
                out.fill(0.0);
                for (j, &w) in weights.iter().enumerate() {
                    for (o, v) in out.iter_mut().zip(row(j, v_at)) {
                        *o = w.mul_add(*v, *o);
                    }
                }
            }
        }
    }
    probs
}

/// The gradient of the fused projections `qkv` `[tokens, 3 · hidden]` from that of the
/// attention context `[tokens, hidden]`, for one output: with P = softmax(s·QKᵀ) and
/// C = PV, dV = Pᵀ·dC, dS = P ⊙ (dC·Vᵀ − rowsum(P ⊙ dC·Vᵀ)), dQ = s·dS·K, dK = s·dSᵀ·Q.
#[inline(always)]
pub(crate) fn attention_backward(
    context_grad: &[f32],
    qkv: &[f32],
    probs: &[f32],
    lengths: &[usize],
    heads: usize,
    qkv_grad: &mut [f32],
) {
    let hidden = context_grad.len() / lengths.iter().sum::<usize>().max(1);
    let (dim, stride) = (hidden / heads, 3 * hidden);
    let scale = 1.0 / (dim as f32).sqrt();
    qkv_grad.fill(0.0);
    let mut score_grad = Vec::new();
    for (len, token, prob) in sequence_offsets(lengths, heads) {
        let at = |i: usize, offset: usize| (token + i) * stride + offset;
        score_grad.resize(len * len, 0.0);
        for head in 0..heads {
            let p = &probs[prob + head * len * len..prob + (head + 1) * len * len];
            let (q_at, k_at, v_at) = (head * dim, hidden + head * dim, 2 * hidden + head * dim);
            let dc = |i: usize| {
                let at = (token + i) * hidden + head * dim;
                &context_grad[at..at + dim]
            };
            for (i, (ds, p)) in score_grad
                .chunks_exact_mut(len)
                .zip(p.chunks_exact(len))
                .enumerate()
            {
                for (j, d) in ds.iter_mut().enumerate() {
                    *d = dot(dc(i), &qkv[at(j, v_at)..at(j, v_at) + dim]);
                }
                let mean = dot(p, ds);
                for (d, &w) in ds.iter_mut().zip(p) {
                    *d = w * (*d - mean) * scale;
                }
            }
            for i in 0..len {
                for j in 0..len {
                    let (s, w) = (score_grad[i * len + j], p[i * len + j]);
                    let (qi, kj, vj) = (at(i, q_at), at(j, k_at), at(j, v_at));
                    axpy(s, &qkv[kj..kj + dim], &mut qkv_grad[qi..qi + dim]);
                    axpy(s, &qkv[qi..qi + dim], &mut qkv_grad[kj..kj + dim]);
                    axpy(w, dc(i), &mut qkv_grad[vj..vj + dim]);
                }
            }
        }
    }
}

/// `y += a · x`.
#[inline(always)]
fn axpy(a: f32, x: &[f32], y: &mut [f32]) {
    for (y, x) in y.iter_mut().zip(x) {
        *y = a.mul_add(*x, *y);
    }
}
