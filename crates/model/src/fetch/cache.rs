//! The model cache: where it is, the manifest of every fetched copy, and the checks that
//! a cached copy is complete and unchanged.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::specs::ModelSpec;
use crate::encoder::check_model_dir;
use crate::error::{ModelError, Result};

/// Name of the manifest written into every fetched model directory.
pub const MANIFEST: &str = "daogou-manifest.json";

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
pub(super) struct Manifest {
    model: String,
    source: String,
    files: Vec<FileRecord>,
}

#[derive(Debug, Serialize, Deserialize)]
pub(super) struct FileRecord {
    path: String,
    size: u64,
    mtime_ns: u128,
    sha256: String,
}

/// Checks a cached copy against its manifest; the error says what is wrong.
pub(super) fn verify_cached(dir: &Path, spec: &ModelSpec) -> std::result::Result<(), String> {
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
pub(super) fn build_manifest(
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

pub(super) fn copy_into(from: &Path, to: &Path) -> Result<()> {
    if let Some(parent) = to.parent() {
        fs::create_dir_all(parent).map_err(|e| ModelError::io(parent, e))?;
    }
    fs::copy(from, to).map_err(|e| ModelError::io(to, e))?;
    Ok(())
}
