//! The packed forward pass (what `embed` runs on the CPU) against the padded candle pass
//! that also returns attentions: same hidden states, whatever the mix of lengths; and the
//! encoder's embedding cache.

use daogou_model::{ForwardOptions, PackedTokens, SentenceEncoder};

use crate::common::{e5, encoder, max_abs_diff};

const TEXTS: &[&str] = &[
    "",
    "waterproof hiking boots for women",
    "a",
    "cordless drill with two batteries and a charger, under $150, for a birthday present",
    "送女朋友的生日礼物",
];

/// Largest difference between the packed hidden states and the padded pass's real tokens.
fn packed_vs_padded(encoder: &SentenceEncoder) -> f32 {
    let tokenizer = encoder.tokenizer();
    let encodings: Vec<_> = TEXTS
        .iter()
        .map(|t| tokenizer.encode(t).expect("encode"))
        .collect();
    let ids: Vec<u32> = encodings.iter().flat_map(|e| e.ids.clone()).collect();
    let type_ids: Vec<u32> = encodings.iter().flat_map(|e| e.type_ids.clone()).collect();
    let lengths: Vec<usize> = encodings.iter().map(|e| e.len()).collect();
    let packed = encoder
        .model()
        .forward_packed(PackedTokens {
            ids: &ids,
            type_ids: &type_ids,
            lengths: &lengths,
        })
        .expect("packed pass");
    let dim = encoder.dim();
    assert_eq!(packed.len(), ids.len() * dim);
    let refs: Vec<_> = encodings.iter().collect();
    let batch = tokenizer
        .batch(&refs, encoder.model().device())
        .expect("batch");
    let padded = encoder
        .model()
        .forward(
            &batch.input_ids,
            &batch.token_type_ids,
            &batch.attention_mask,
            ForwardOptions::default(),
        )
        .expect("padded pass")
        .last_hidden_state
        .to_vec3::<f32>()
        .expect("to_vec3");
    let mut rows = packed.chunks_exact(dim);
    let mut worst = 0.0f32;
    for (sequence, &len) in padded.iter().zip(&lengths) {
        for token in sequence.iter().take(len) {
            let got = rows.next().expect("a packed row per real token");
            worst = worst.max(max_abs_diff(got, token));
        }
    }
    worst
}

#[test]
fn packed_hidden_states_match_the_padded_pass() {
    let worst = packed_vs_padded(encoder());
    assert!(worst < 1e-4, "MiniLM differs by {worst}");
    let worst = packed_vs_padded(e5());
    assert!(worst < 1e-4, "e5 differs by {worst}");
}

#[test]
fn packed_input_that_does_not_add_up_is_an_error() {
    let model = encoder().model();
    let mismatch = model.forward_packed(PackedTokens {
        ids: &[101, 102],
        type_ids: &[0, 0],
        lengths: &[3],
    });
    assert!(mismatch.is_err(), "lengths sum to 3, 2 ids given");
    let out_of_vocabulary = model.forward_packed(PackedTokens {
        ids: &[101, u32::MAX],
        type_ids: &[0, 0],
        lengths: &[2],
    });
    assert!(out_of_vocabulary.is_err());
    let empty = model
        .forward_packed(PackedTokens {
            ids: &[],
            type_ids: &[],
            lengths: &[],
        })
        .expect("nothing to do is fine");
    assert!(empty.is_empty());
}

#[test]
fn cached_embeddings_are_the_embeddings_and_are_counted() {
    let cached = daogou_model::SentenceEncoder::load(encoder().dir())
        .expect("load")
        .with_cache(8);
    let texts = ["waterproof boots", "", "boots"];
    let fresh = cached.embed(&texts).expect("embed");
    let first = cached.embed_cached(None, &texts).expect("cached");
    let again = cached
        .embed_cached(None, &texts[..2])
        .expect("cached again");
    for (a, b) in fresh.iter().zip(&first) {
        assert!(max_abs_diff(a, b) < 1e-6);
    }
    assert_eq!(again[..], first[..2], "answered from the cache");
    let stats = cached.cache_stats().expect("a cache");
    assert_eq!((stats.hits, stats.misses, stats.entries), (2, 3, 3));
    assert!(encoder().cache_stats().is_none(), "no cache unless asked");
}
