//! Bounds-checked parsing of the header, the vocabulary and the tensor directory.

use std::collections::HashSet;

use super::{Dtype, Hyper, SpecialTokens, TensorEntry, BLOCK, BLOCK_BYTES};

pub(super) fn read_hyper(c: &mut Cursor) -> std::result::Result<Hyper, String> {
    let hidden = c.count("the hidden size", 1 << 13)?;
    let layers = c.count("the number of layers", 256)?;
    let heads = c.count("the number of heads", 1 << 10)?;
    let intermediate = c.count("the intermediate size", 1 << 16)?;
    let vocab = c.count("the vocabulary size", 1 << 24)?;
    let max_positions = c.count("the number of positions", 1 << 20)?;
    let type_vocab = c.count("the number of token types", 1 << 10)?;
    let layer_norm_eps = c.f32("the layer-norm epsilon")?;
    let block = c.count("the block size", i32::MAX as usize)?;
    if block != BLOCK {
        return Err(format!("block size {block}, only {BLOCK} is supported"));
    }
    if hidden == 0 || heads == 0 || !hidden.is_multiple_of(heads) || !hidden.is_multiple_of(BLOCK) {
        return Err(format!(
            "hidden size {hidden} must be a positive multiple of {BLOCK} and of the {heads} heads"
        ));
    }
    if intermediate == 0 || !intermediate.is_multiple_of(BLOCK) {
        return Err(format!(
            "intermediate size {intermediate} must be a positive multiple of {BLOCK}"
        ));
    }
    if layers == 0 || vocab == 0 || max_positions == 0 || type_vocab == 0 {
        return Err("layers, vocabulary, positions and token types must be positive".into());
    }
    if !(layer_norm_eps.is_finite() && layer_norm_eps > 0.0) {
        return Err(format!(
            "layer-norm epsilon {layer_norm_eps} is not positive"
        ));
    }
    Ok(Hyper {
        hidden,
        layers,
        heads,
        intermediate,
        vocab,
        max_positions,
        type_vocab,
        layer_norm_eps,
    })
}

pub(super) fn read_vocabulary<'a>(
    c: &mut Cursor<'a>,
    vocab: usize,
) -> std::result::Result<(SpecialTokens, Vec<&'a str>), String> {
    let n = c.count("the number of pieces", vocab)?;
    let mut id = |what: &str| -> std::result::Result<u32, String> {
        let id = c.count(what, n.saturating_sub(1))?;
        u32::try_from(id).map_err(|_| format!("{what} {id} is out of range"))
    };
    let special = SpecialTokens {
        bos: id("the id of <s>")?,
        eos: id("the id of </s>")?,
        pad: id("the id of <pad>")?,
        unk: id("the id of <unk>")?,
    };
    let blob_len = usize::try_from(c.u64("the length of the pieces")?)
        .map_err(|_| "the pieces are longer than memory".to_string())?;
    let offsets_bytes = c.take(
        n.checked_add(1)
            .and_then(|k| k.checked_mul(4))
            .ok_or("too many pieces")?,
        "the piece offsets",
    )?;
    let offsets: Vec<usize> = offsets_bytes
        .chunks_exact(4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
        .collect();
    c.take(n * 4, "the piece scores")?;
    let blob = c.take(blob_len, "the pieces")?;
    if offsets.first() != Some(&0) || offsets.last() != Some(&blob_len) {
        return Err("piece offsets do not span the piece bytes".into());
    }
    let pieces = offsets
        .windows(2)
        .enumerate()
        .map(|(i, w)| {
            let bytes = blob
                .get(w[0]..w[1])
                .ok_or_else(|| format!("piece {i} has offsets {}..{}", w[0], w[1]))?;
            std::str::from_utf8(bytes).map_err(|e| format!("piece {i} is not UTF-8: {e}"))
        })
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok((special, pieces))
}

pub(super) fn read_directory(
    c: &mut Cursor,
    file_len: usize,
) -> std::result::Result<Vec<TensorEntry>, String> {
    let count = c.count("the number of tensors", 1 << 16)?;
    let mut seen = HashSet::new();
    let mut tensors = Vec::with_capacity(count);
    for i in 0..count {
        let name_len = usize::from(c.u16("a tensor name length")?);
        let name = std::str::from_utf8(c.take(name_len, "a tensor name")?)
            .map_err(|_| format!("the name of tensor {i} is not UTF-8"))?
            .to_string();
        let dtype = match c.take(1, "a tensor type")?[0] {
            0 => Dtype::F32,
            1 => Dtype::Q4,
            other => return Err(format!("tensor {name} has unknown type {other}")),
        };
        let elements = c.u32("a tensor size")? as usize;
        let offset = c.u64("a tensor offset")?;
        let bytes = c.u64("a tensor length")?;
        let expected = match dtype {
            Dtype::F32 => elements * 4,
            Dtype::Q4 if elements.is_multiple_of(BLOCK) => elements / BLOCK * BLOCK_BYTES,
            Dtype::Q4 => {
                return Err(format!(
                    "4-bit tensor {name} has {elements} values, not whole blocks of {BLOCK}"
                ))
            }
        };
        if bytes != expected as u64 {
            return Err(format!(
                "tensor {name} has {bytes} bytes, {elements} values need {expected}"
            ));
        }
        let end = offset.saturating_add(bytes);
        if end > file_len as u64 {
            return Err(format!(
                "tensor {name} lies at bytes {offset}..{end}, past the end of the file \
                 ({file_len} bytes): the file is truncated"
            ));
        }
        if !seen.insert(name.clone()) {
            return Err(format!("tensor {name} is listed twice"));
        }
        tensors.push(TensorEntry {
            name,
            dtype,
            elements,
            offset: offset as usize,
            bytes: expected,
        });
    }
    Ok(tensors)
}

/// Bounds-checked little-endian reads.
pub(super) struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    /// Reads `data` from its start.
    pub(super) fn new(data: &'a [u8]) -> Self {
        Self { data, pos: 0 }
    }

    pub(super) fn take(&mut self, n: usize, what: &str) -> std::result::Result<&'a [u8], String> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&end| end <= self.data.len())
            .ok_or_else(|| {
                format!(
                    "the file ends inside {what} (byte {} of {}): it is truncated",
                    self.pos,
                    self.data.len()
                )
            })?;
        let bytes = &self.data[self.pos..end];
        self.pos = end;
        Ok(bytes)
    }

    fn array<const N: usize>(&mut self, what: &str) -> std::result::Result<[u8; N], String> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
    }

    fn u16(&mut self, what: &str) -> std::result::Result<u16, String> {
        Ok(u16::from_le_bytes(self.array(what)?))
    }

    pub(super) fn u32(&mut self, what: &str) -> std::result::Result<u32, String> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }

    fn u64(&mut self, what: &str) -> std::result::Result<u64, String> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }

    fn f32(&mut self, what: &str) -> std::result::Result<f32, String> {
        Ok(f32::from_le_bytes(self.array(what)?))
    }

    /// An i32 that must lie in `0..=max`.
    pub(super) fn count(&mut self, what: &str, max: usize) -> std::result::Result<usize, String> {
        let v = i32::from_le_bytes(self.array(what)?);
        usize::try_from(v)
            .ok()
            .filter(|&v| v <= max)
            .ok_or_else(|| format!("{what} is {v}, expected 0..={max}"))
    }
}

/// IEEE half precision to single precision (exact).
pub(super) fn f16_to_f32(bits: u16) -> f32 {
    let sign = if bits & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exponent = u32::from((bits >> 10) & 0x1f);
    let mantissa = u32::from(bits & 0x3ff);
    match exponent {
        // Zero and subnormals: mantissa · 2^-24, exact in f32.
        0 => sign * mantissa as f32 * f32::from_bits(0x3380_0000),
        31 if mantissa == 0 => sign * f32::INFINITY,
        31 => f32::NAN,
        _ => f32::from_bits(
            (u32::from(bits & 0x8000) << 16) | ((exponent + 112) << 23) | (mantissa << 13),
        ),
    }
}
