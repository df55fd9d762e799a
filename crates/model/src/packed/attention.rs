//! Multi-head self-attention over packed sequences: each sequence attends to its own tokens
//! only, so no padding is computed and no mask is needed.

use super::kernels::softmax;

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
