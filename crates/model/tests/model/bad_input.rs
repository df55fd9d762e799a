//! Bad model directories and over-long texts give clear errors naming the file or the limit.

use crate::common;

use std::fs;

use daogou_model::{ModelError, SentenceEncoder, TruncationPolicy};

fn copy_model(to: &std::path::Path) {
    for file in ["config.json", "tokenizer.json", "model.safetensors"] {
        fs::copy(common::model_dir().join(file), to.join(file)).expect("copy");
    }
}

#[test]
fn missing_directory_is_named() {
    let err = SentenceEncoder::load(std::path::Path::new("/no/such/model"))
        .err()
        .expect("error");
    assert!(matches!(err, ModelError::MissingDir(_)));
    assert!(err.to_string().contains("/no/such/model"), "{err}");
}

#[test]
fn missing_file_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_model(dir.path());
    fs::remove_file(dir.path().join("tokenizer.json")).expect("remove");
    let err = SentenceEncoder::load(dir.path()).err().expect("error");
    assert!(err.to_string().contains("tokenizer.json"), "{err}");
}

#[test]
fn malformed_config_and_unsupported_architecture_are_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_model(dir.path());
    fs::write(dir.path().join("config.json"), "{ not json").expect("write");
    let err = SentenceEncoder::load(dir.path()).err().expect("error");
    assert!(matches!(err, ModelError::Malformed { .. }), "{err}");
    assert!(err.to_string().contains("config.json"), "{err}");

    let gpt2 = r#"{"model_type":"gpt2","architectures":["GPT2LMHeadModel"],"vocab_size":50257,
        "hidden_size":768,"num_hidden_layers":12,"num_attention_heads":12,
        "intermediate_size":3072,"max_position_embeddings":1024}"#;
    fs::write(dir.path().join("config.json"), gpt2).expect("write");
    let err = SentenceEncoder::load(dir.path()).err().expect("error");
    assert!(
        matches!(err, ModelError::UnsupportedArchitecture { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("gpt2"), "{err}");
}

#[test]
fn truncated_weights_are_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_model(dir.path());
    let weights = dir.path().join("model.safetensors");
    let bytes = fs::read(&weights).expect("read");
    fs::write(&weights, &bytes[..bytes.len() / 2]).expect("write");
    let err = SentenceEncoder::load(dir.path()).err().expect("error");
    assert!(err.to_string().contains("model.safetensors"), "{err}");
}

#[test]
fn long_texts_are_truncated_and_flagged_or_refused() {
    let long = "waterproof ".repeat(2_000);
    let enc = common::encoder().tokenizer().encode(&long).expect("encode");
    assert_eq!(
        enc.len(),
        256,
        "sentence_bert_config.json sets max_seq_length 256"
    );
    assert!(enc.truncated);
    assert_eq!(enc.tokens.last().map(String::as_str), Some("[SEP]"));
    let short = common::encoder()
        .tokenizer()
        .encode("waterproof")
        .expect("encode");
    assert!(!short.truncated);
    // Truncation keeps the embedding finite and normalised.
    let emb = &common::encoder().embed(&[&long]).expect("embed")[0];
    let norm: f32 = emb.iter().map(|x| x * x).sum::<f32>().sqrt();
    assert!((norm - 1.0).abs() < 1e-4);

    let refusing = common::encoder()
        .tokenizer()
        .clone()
        .with_policy(TruncationPolicy::Refuse);
    let err = refusing.encode(&long).expect_err("refused");
    assert!(
        matches!(
            err,
            ModelError::TooLong {
                tokens: 4002,
                limit: 256
            }
        ),
        "{err}"
    );
}

#[test]
fn words_map_back_to_tokens() {
    let text = "waterproof hiking jacket";
    let enc = common::encoder().tokenizer().encode(text).expect("encode");
    let spans = [(0, 10), (11, 17), (18, 24)];
    let map = enc.tokens_to_spans(&spans);
    // [CLS] water ##proof hiking jacket [SEP]
    assert_eq!(map, vec![None, Some(0), Some(0), Some(1), Some(2), None]);
    assert_eq!(&text[enc.offsets[2].0..enc.offsets[2].1], "proof");
}
