//! Parity with PyTorch: ids, embeddings, last hidden state and attentions of all-MiniLM-L6-v2
//! agree with `../shared/golden/minilm.json` within 1e-4.

use crate::common;

use common::{encoder, floats, golden, max_abs_diff};

const TOL: f32 = 1e-4;

#[test]
fn input_ids_and_embeddings_match_pytorch_for_every_golden_sentence() {
    let golden = golden();
    let sentences = golden["sentences"].as_array().expect("sentences");
    assert!(sentences.len() >= 7, "golden file lists its sentences");
    let texts: Vec<&str> = sentences
        .iter()
        .map(|s| s["text"].as_str().expect("text"))
        .collect();
    assert!(texts.contains(&""), "the empty string is covered");
    // One padded batch with all sentences: padding must not change any embedding.
    let batched = encoder().embed(&texts).expect("embed");
    for (s, got) in sentences.iter().zip(&batched) {
        let text = s["text"].as_str().expect("text");
        let ids: Vec<u32> = s["input_ids"]
            .as_array()
            .expect("ids")
            .iter()
            .map(|v| v.as_u64().expect("id") as u32)
            .collect();
        let enc = encoder().tokenizer().encode(text).expect("encode");
        assert_eq!(enc.ids, ids, "input ids of {text:?}");
        let want = floats(&s["embedding"]);
        let diff = max_abs_diff(got, &want);
        assert!(diff < TOL, "embedding of {text:?} differs by {diff}");
        let alone = &encoder().embed(&[text]).expect("embed one")[0];
        let diff = max_abs_diff(alone, &want);
        assert!(
            diff < TOL,
            "unbatched embedding of {text:?} differs by {diff}"
        );
    }
}

#[test]
fn last_hidden_state_and_attentions_match_pytorch() {
    let golden = golden();
    let detail = &golden["detail"];
    let text = detail["text"].as_str().expect("text");
    let analysis = encoder().analyze(text).expect("analyze");
    let tokens: Vec<&str> = detail["tokens"]
        .as_array()
        .expect("tokens")
        .iter()
        .map(|t| t.as_str().expect("token"))
        .collect();
    assert_eq!(analysis.encoding.tokens, tokens);

    let want_hidden = detail["last_hidden_state"].as_array().expect("hidden");
    assert_eq!(analysis.last_hidden_state.len(), want_hidden.len());
    for (got, want) in analysis.last_hidden_state.iter().zip(want_hidden) {
        let diff = max_abs_diff(got, &floats(want));
        assert!(diff < TOL, "hidden state differs by {diff}");
    }

    let want_att = detail["attentions"].as_array().expect("attentions");
    assert_eq!(analysis.attentions.len(), want_att.len(), "layers");
    let mut worst = 0.0f32;
    for (layer, want_layer) in analysis.attentions.iter().zip(want_att) {
        let want_layer = want_layer.as_array().expect("layer");
        assert_eq!(layer.len(), want_layer.len(), "heads");
        for (head, want_head) in layer.iter().zip(want_layer) {
            let want_head = want_head.as_array().expect("head");
            assert_eq!(head.len(), want_head.len(), "queries");
            for (row, want_row) in head.iter().zip(want_head) {
                let sum: f32 = row.iter().sum();
                assert!((sum - 1.0).abs() < 1e-5, "attention row sums to {sum}");
                worst = worst.max(max_abs_diff(row, &floats(want_row)));
            }
        }
    }
    assert!(worst < TOL, "attentions differ by up to {worst}");
}
