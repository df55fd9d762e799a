//! Tests of the e5q4 reader and converter on a tiny synthetic model written in the same
//! format, so they need no download.

use std::fs;

use serde_json::json;

use super::*;
use crate::SentenceEncoder;

const PIECES: [&str; 6] = ["<s>", "<pad>", "</s>", "<unk>", "\u{2581}a", "\u{2581}b"];

fn tiny_hyper() -> Hyper {
    Hyper {
        hidden: 32,
        layers: 1,
        heads: 2,
        intermediate: 64,
        vocab: 7,
        max_positions: 8,
        type_vocab: 2,
        layer_norm_eps: 1e-12,
    }
}

/// A deterministic byte stream.
struct Lcg(u64);

impl Lcg {
    fn byte(&mut self) -> u8 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 56) as u8
    }
}

/// Serialises a model in the E5S1 layout: tensors named in `plan`, linear weights and word
/// embeddings as Q4_0 (scale 1/16, f16 0x2c00), the rest f32.
fn tiny_file(h: &Hyper, pieces: &[&str]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    for v in [
        h.hidden,
        h.layers,
        h.heads,
        h.intermediate,
        h.vocab,
        h.max_positions,
        h.type_vocab,
    ] {
        out.extend_from_slice(&(v as i32).to_le_bytes());
    }
    out.extend_from_slice(&h.layer_norm_eps.to_le_bytes());
    out.extend_from_slice(&(BLOCK as i32).to_le_bytes());
    out.extend_from_slice(&(pieces.len() as i32).to_le_bytes());
    for id in [0i32, 2, 1, 3] {
        out.extend_from_slice(&id.to_le_bytes());
    }
    let blob: String = pieces.concat();
    out.extend_from_slice(&(blob.len() as u64).to_le_bytes());
    let mut offset = 0u32;
    out.extend_from_slice(&offset.to_le_bytes());
    for p in pieces {
        offset += p.len() as u32;
        out.extend_from_slice(&offset.to_le_bytes());
    }
    for i in 0..pieces.len() {
        out.extend_from_slice(&(-(i as f32)).to_le_bytes());
    }
    out.extend_from_slice(blob.as_bytes());
    out.extend_from_slice(&0i32.to_le_bytes()); // normaliser map: no entries
    out.extend_from_slice(&0u32.to_le_bytes());

    let mut rng = Lcg(7);
    let tensors: Vec<(String, Dtype, usize, Vec<u8>)> = plan(h)
        .into_iter()
        .map(|p| {
            let n: usize = p.shape.iter().product();
            let quantised =
                p.source.ends_with(".w") && !p.source.contains("ln") || p.source == "emb.word";
            if quantised {
                let mut data = Vec::new();
                for _ in 0..n / BLOCK {
                    data.extend_from_slice(&0x2c00u16.to_le_bytes());
                    data.extend((0..BLOCK / 2).map(|_| rng.byte()));
                }
                (p.source, Dtype::Q4, n, data)
            } else {
                let value = |rng: &mut Lcg| {
                    let base = if p.source.ends_with("ln.w") { 1.0 } else { 0.0 };
                    base + (f32::from(rng.byte()) - 128.0) / 1024.0
                };
                let data = (0..n).flat_map(|_| value(&mut rng).to_le_bytes()).collect();
                (p.source, Dtype::F32, n, data)
            }
        })
        .collect();
    let directory: usize = 4 + tensors
        .iter()
        .map(|(name, ..)| 2 + name.len() + 1 + 4 + 8 + 8)
        .sum::<usize>();
    let mut data_at = (out.len() + directory).next_multiple_of(32);
    out.extend_from_slice(&(tensors.len() as i32).to_le_bytes());
    for (name, dtype, n, data) in &tensors {
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.push(match dtype {
            Dtype::F32 => 0,
            Dtype::Q4 => 1,
        });
        out.extend_from_slice(&(*n as u32).to_le_bytes());
        out.extend_from_slice(&(data_at as u64).to_le_bytes());
        out.extend_from_slice(&(data.len() as u64).to_le_bytes());
        data_at = (data_at + data.len()).next_multiple_of(32);
    }
    for (_, _, _, data) in &tensors {
        out.resize(out.len().next_multiple_of(32), 0);
        out.extend_from_slice(data);
    }
    out
}

fn tokenizer_json(pieces: &[&str]) -> String {
    let special = |id: usize| {
        json!({"id": id, "content": pieces[id], "single_word": false, "lstrip": false,
               "rstrip": false, "normalized": false, "special": true})
    };
    let frame = |seqs: &[&str]| {
        let mut items = vec![json!({"SpecialToken": {"id": "<s>", "type_id": 0}})];
        for s in seqs {
            items.push(json!({"Sequence": {"id": s, "type_id": 0}}));
            items.push(json!({"SpecialToken": {"id": "</s>", "type_id": 0}}));
        }
        items
    };
    let vocab: Vec<serde_json::Value> = pieces
        .iter()
        .enumerate()
        .map(|(i, p)| json!([p, if i < 4 { 0.0 } else { -(i as f64) }]))
        .collect();
    json!({
        "version": "1.0",
        "truncation": null,
        "padding": null,
        "added_tokens": (0..4).map(special).collect::<Vec<_>>(),
        "normalizer": null,
        "pre_tokenizer": {"type": "Metaspace", "replacement": "\u{2581}",
                          "prepend_scheme": "always", "split": true},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": frame(&["A"]),
            "pair": frame(&["A", "B"]),
            "special_tokens": {
                "<s>": {"id": "<s>", "ids": [0], "tokens": ["<s>"]},
                "</s>": {"id": "</s>", "ids": [2], "tokens": ["</s>"]},
            },
        },
        "decoder": null,
        "model": {"type": "Unigram", "unk_id": 3, "vocab": vocab, "byte_fallback": false},
    })
    .to_string()
}

fn parse_err(bytes: &[u8]) -> String {
    E5Q4::parse(bytes, Path::new("model.bin"))
        .expect_err("malformed")
        .to_string()
}

#[test]
fn half_floats_convert_exactly() {
    assert_eq!(f16_to_f32(0x3c00), 1.0);
    assert_eq!(f16_to_f32(0xc000), -2.0);
    assert_eq!(f16_to_f32(0x3555), 0.333_251_95);
    assert_eq!(f16_to_f32(0x7bff), 65504.0);
    assert_eq!(f16_to_f32(0x0001), 2f32.powi(-24));
    assert_eq!(f16_to_f32(0x83ff), -1023.0 * 2f32.powi(-24));
    assert_eq!(f16_to_f32(0x0000), 0.0);
    assert_eq!(f16_to_f32(0x7c00), f32::INFINITY);
    assert!(f16_to_f32(0x7e00).is_nan());
}

#[test]
fn parses_the_header_and_dequantises_nibbles_low_half_first() {
    let h = tiny_hyper();
    let bytes = tiny_file(&h, &PIECES);
    let model = E5Q4::parse(&bytes, Path::new("model.bin")).expect("parse");
    assert_eq!(model.hyper, h);
    assert_eq!(
        model.special,
        SpecialTokens {
            bos: 0,
            eos: 2,
            pad: 1,
            unk: 3
        }
    );
    assert_eq!(model.pieces(), PIECES);
    let word = model.tensor("emb.word").expect("word embeddings");
    assert_eq!((word.dtype, word.elements), (Dtype::Q4, 7 * 32));
    let values = model.values(word).expect("values");
    let first_block = &bytes[word.offset..word.offset + BLOCK_BYTES];
    for j in 0..16 {
        let byte = first_block[2 + j];
        assert_eq!(values[j], (f32::from(byte & 15) - 8.0) / 16.0);
        assert_eq!(values[j + 16], (f32::from(byte >> 4) - 8.0) / 16.0);
    }
    let bias = model.tensor("l0.q.b").expect("bias");
    assert_eq!(bias.dtype, Dtype::F32);
}

#[test]
fn every_truncation_is_an_error_not_a_panic() {
    let bytes = tiny_file(&tiny_hyper(), &PIECES);
    for len in 0..bytes.len() {
        let err = parse_err(&bytes[..len]);
        assert!(err.contains("truncated"), "at {len}: {err}");
    }
}

#[test]
fn inconsistent_headers_are_named() {
    let h = tiny_hyper();
    let good = tiny_file(&h, &PIECES);
    let mut bad = good.clone();
    bad[..4].copy_from_slice(b"GGUF");
    assert!(parse_err(&bad).contains("E5S1"));
    let mut bad = good.clone();
    bad[4] = 2;
    assert!(parse_err(&bad).contains("version 2"));
    let mut bad = good.clone();
    bad[40..44].copy_from_slice(&16i32.to_le_bytes());
    assert!(parse_err(&bad).contains("block size 16"));
    let mut bad = good.clone();
    bad[8..12].copy_from_slice(&(-1i32).to_le_bytes());
    assert!(parse_err(&bad).contains("hidden size is -1"));

    // A header that promises more rows than the tensor holds.
    let bigger = Hyper { vocab: 8, ..h };
    let mut bad = tiny_file(&bigger, &PIECES);
    bad[24..28].copy_from_slice(&9i32.to_le_bytes());
    let err = parse_err(&bad);
    assert!(
        err.contains("emb.word") && err.contains("header implies"),
        "{err}"
    );

    // A tensor under another name is reported missing.
    let mut bad = good;
    let at = bad
        .windows(6)
        .position(|w| w == b"l0.k.b")
        .expect("tensor name");
    bad[at..at + 6].copy_from_slice(b"l0.K.b");
    assert!(parse_err(&bad).contains("tensor l0.k.b is missing"));
}

#[test]
fn converts_to_a_directory_the_encoder_loads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let h = tiny_hyper();
    let (weights, tokenizer) = (
        dir.path().join(WEIGHTS_FILE),
        dir.path().join(TOKENIZER_FILE),
    );
    fs::write(&weights, tiny_file(&h, &PIECES)).expect("write");
    fs::write(&tokenizer, tokenizer_json(&PIECES)).expect("write");
    let dest = dir.path().join("model");
    convert_inputs(dir.path(), &dest).expect("convert");

    let loaded =
        candle_core::safetensors::load(dest.join("model.safetensors"), &candle_core::Device::Cpu)
            .expect("safetensors");
    assert_eq!(loaded.len(), 5 + 16 * h.layers);
    let bytes = fs::read(&weights).expect("read");
    let model = E5Q4::parse(&bytes, &weights).expect("parse");
    for (source, target) in [
        ("emb.word", "embeddings.word_embeddings.weight"),
        ("l0.fo.w", "encoder.layer.0.output.dense.weight"),
        ("l0.oln.b", "encoder.layer.0.output.LayerNorm.bias"),
    ] {
        let want = model
            .values(model.tensor(source).expect(source))
            .expect("values");
        let got = loaded[target]
            .flatten_all()
            .and_then(|t| t.to_vec1::<f32>());
        assert_eq!(got.expect("f32"), want, "{target}");
    }
    assert_eq!(
        loaded["encoder.layer.0.output.dense.weight"].dims(),
        [32, 64]
    );

    let encoder = SentenceEncoder::load(&dest).expect("load");
    assert_eq!(encoder.prompt("query"), Some("query: "));
    assert_eq!(encoder.pooling(), crate::Pooling::Mean);
    let enc = encoder.tokenizer().encode("a b").expect("encode");
    assert_eq!(enc.ids, [0, 4, 5, 2]);
    let embedding = &encoder
        .embed_with_prompt("passage", &["a b"])
        .expect("embed")[0];
    let norm: f32 = embedding.iter().map(|x| x * x).sum::<f32>().sqrt();
    assert!((norm - 1.0).abs() < 1e-5, "{norm}");
}

#[test]
fn a_tokenizer_with_another_vocabulary_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let h = tiny_hyper();
    let (weights, tokenizer) = (
        dir.path().join(WEIGHTS_FILE),
        dir.path().join(TOKENIZER_FILE),
    );
    fs::write(&weights, tiny_file(&h, &PIECES)).expect("write");
    let mut other = PIECES;
    other.swap(4, 5);
    fs::write(&tokenizer, tokenizer_json(&other)).expect("write");
    let err = convert(&weights, &tokenizer, &dir.path().join("model")).expect_err("mismatch");
    let text = err.to_string();
    assert!(
        text.contains("tokenizer.json") && text.contains("token 4"),
        "{text}"
    );
}
