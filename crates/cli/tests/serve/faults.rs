//! Faults an operator meets: a server killed during an import, data directories that
//! cannot be used, a corrupt model cache and a full disk. Each must end in a consistent
//! store and a clear message, never a panic or a silent half-state.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use daogou_catalog::store::Store;
use daogou_catalog::CatalogStore;
use serde_json::json;

use crate::support::{daogou, data_dir, key_file, stderr, Serve, BIN, CATALOG_DB, KEY};

/// Products committed per transaction by the store (`store::BATCH`).
const BATCH: usize = 64;

/// `n` products as JSON Lines, each with a distinctive title.
fn bulk_catalog(n: usize) -> String {
    (0..n)
        .map(|i| {
            json!({
                "id": format!("bulk-{i}"),
                "title": format!("Quillfeather Bulk Notebook number {i}"),
                "description": format!("A ruled notebook, item {i} of a bulk import."),
                "price": 3 + i % 40
            })
            .to_string()
                + "\n"
        })
        .collect()
}

fn products(db: &Path) -> usize {
    Store::open_read_only(db)
        .and_then(|store| store.len())
        .unwrap_or(0)
}

#[test]
fn a_server_killed_during_an_import_restarts_with_the_committed_products() {
    const TOTAL: usize = 4 * BATCH;
    let dir = data_dir();
    let db = dir.path().join(CATALOG_DB);
    let before = products(&db);
    let key = key_file(dir.path());
    let args = ["--api-key-file", key.to_str().expect("UTF-8 path")];
    let server = Serve::start(dir.path(), &args);

    let url = format!("{}/api/catalog/import", server.base);
    let upload = std::thread::spawn(move || {
        // The server dies mid-import: the client sees the connection close.
        ureq::post(&url)
            .set("Content-Type", "application/x-ndjson")
            .set("X-Api-Key", KEY)
            .timeout(Duration::from_secs(300))
            .send_string(&bulk_catalog(TOTAL))
            .map(|r| r.status())
            .map_err(|e| e.to_string())
    });
    let start = Instant::now();
    while products(&db) == before {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "nothing was committed"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    server.kill();
    let answer = upload.join().expect("client thread");
    assert!(
        answer.is_err(),
        "the import finished before the kill: {answer:?}"
    );

    // Every committed batch is whole: products with their embeddings, nothing torn.
    let store = Store::open(&db).expect("reopening the store");
    store.check_integrity().expect("a consistent store");
    let committed = store.len().expect("count") - before;
    drop(store);
    assert!(committed > 0 && committed < TOTAL, "{committed} of {TOTAL}");
    assert_eq!(committed % BATCH, 0, "a batch was half committed");

    let restarted = Serve::start(dir.path(), &args);
    let health = restarted.send("GET", "/api/health", false, None);
    assert_eq!(
        health.json["products"],
        before + committed,
        "{}",
        health.text
    );
    let found = restarted.send(
        "POST",
        "/api/recommend",
        false,
        Some(&json!({ "request": "quillfeather bulk notebook number 0", "k": 3, "explain": [] })),
    );
    let ids: Vec<&str> = found.json["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i["product"]["id"].as_str())
                .collect()
        })
        .unwrap_or_default();
    assert!(ids.contains(&"bulk-0"), "{}", found.text);

    // The same import again continues where the killed one stopped.
    let again = ureq::post(&format!("{}/api/catalog/import", restarted.base))
        .set("Content-Type", "application/x-ndjson")
        .set("X-Api-Key", KEY)
        .timeout(Duration::from_secs(300))
        .send_string(&bulk_catalog(TOTAL))
        .expect("the second import")
        .into_json::<serde_json::Value>()
        .expect("JSON");
    assert_eq!(again["unchanged"], committed, "{again}");
    assert_eq!(again["imported"], TOTAL - committed, "{again}");
    assert_eq!(again["products"], before + TOTAL, "{again}");
}

#[test]
fn unusable_data_directories_give_clear_errors() {
    let scratch = tempfile::tempdir().expect("temp dir");
    // A path under a regular file: ENOTDIR for everyone, root included (chmod does not
    // stop root, so it cannot stand for an unwritable directory in CI).
    let file = scratch.path().join("a-file");
    std::fs::write(&file, "not a directory").expect("file");
    let under_file = file.join("data");

    let out = daogou(&under_file, &["recommend", "tent"]);
    let message = stderr(&out);
    assert!(!out.status.success());
    assert!(
        message.contains("creating the data directory") && message.contains("a-file/data"),
        "{message}"
    );
    assert!(!message.contains("panicked"), "{message}");

    // The server listens first, then reports the failed load and exits.
    let out = daogou(&under_file, &["serve", "--addr", "127.0.0.1:0"]);
    let message = stderr(&out);
    assert!(!out.status.success());
    assert!(
        message.contains("loading the guide failed")
            && message.contains("creating the data directory"),
        "{message}"
    );

    // With --store-histories the store is opened before listening.
    let key = key_file(scratch.path());
    let key = key.to_str().expect("UTF-8 path");
    let serve = |dir: &Path, args: &[&str]| {
        daogou(dir, &[&["serve", "--addr", "127.0.0.1:0"], args].concat())
    };
    let out = serve(&under_file, &["--store-histories", "--api-key-file", key]);
    assert!(
        stderr(&out).contains("creating the data directory"),
        "{}",
        stderr(&out)
    );
    let out = serve(scratch.path(), &["--store-histories"]);
    assert!(
        stderr(&out).contains("needs an API key"),
        "{}",
        stderr(&out)
    );
    let out = serve(scratch.path(), &["--max-k", "0"]);
    assert!(
        stderr(&out).contains("max_k must be at least 1"),
        "{}",
        stderr(&out)
    );

    // A read-only directory, where permissions apply (not as root).
    let read_only = scratch.path().join("read-only");
    std::fs::create_dir(&read_only).expect("dir");
    set_mode(&read_only, 0o555);
    if std::fs::write(read_only.join("probe"), "x").is_ok() {
        eprintln!("note: permissions do not apply to this user (root?); read-only case skipped");
    } else {
        let out = daogou(&read_only, &["recommend", "tent"]);
        assert!(!out.status.success());
        assert!(stderr(&out).contains("read-only"), "{}", stderr(&out));
    }
    set_mode(&read_only, 0o755);
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

#[test]
fn a_corrupt_model_cache_is_detected_and_never_used() {
    let out = Command::new(BIN)
        .args(["model", "path"])
        .output()
        .expect("daogou model path");
    assert!(out.status.success(), "{}", stderr(&out));
    let cached = std::path::PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    let name = cached.file_name().expect("model directory name");
    let cache = tempfile::tempdir().expect("temp dir");
    let copy = cache.path().join(name);
    copy_dir(&cached, &copy);
    // Same size, different bytes in the middle of the weights.
    let weights = copy.join("model.safetensors");
    let mut bytes = std::fs::read(&weights).expect("weights");
    let middle = bytes.len() / 2;
    bytes[middle..middle + 64]
        .iter_mut()
        .for_each(|b| *b ^= 0x5a);
    std::fs::write(&weights, bytes).expect("corrupting");

    let data = tempfile::tempdir().expect("temp dir");
    for args in [&["recommend", "tent"][..], &["model", "verify"][..]] {
        let out = Command::new(BIN)
            .arg("--data-dir")
            .arg(data.path())
            .args(args)
            .env("DAOGOU_CACHE_DIR", cache.path())
            // No way to fetch a fresh copy: the hub is off and no python3 (pip) is on PATH.
            .env("DAOGOU_NO_HUB", "1")
            .env("PATH", data.path())
            .output()
            .expect("running daogou");
        let message = stderr(&out);
        assert!(!out.status.success(), "{args:?} used a corrupt model");
        assert!(
            message.contains("is unusable") && message.contains("model.safetensors does not match"),
            "{args:?}: {message}"
        );
        assert!(message.contains("could not fetch"), "{args:?}: {message}");
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("dir");
    for entry in std::fs::read_dir(from).expect("listing") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

/// `bash -c` that ignores SIGXFSZ and caps the size of files the command writes at
/// `kib` KiB (RLIMIT_FSIZE, which binds root too): writes past it fail with EFBIG, which
/// is what a full disk looks like to the program, without mounting anything.
fn file_size_limited(kib: u64) -> Command {
    let mut command = Command::new("bash");
    command
        .arg("-c")
        .arg(r#"trap '' XFSZ; ulimit -f "$1" || exit 97; shift; exec "$@""#)
        .arg("bash")
        .arg(kib.to_string())
        .arg(BIN);
    command
}

#[test]
fn a_full_disk_gives_clear_errors_and_keeps_committed_data() {
    // The first run's catalog import hits the limit.
    let fresh = tempfile::tempdir().expect("temp dir");
    let out = file_size_limited(192)
        .arg("--data-dir")
        .arg(fresh.path())
        .args(["recommend", "tent"])
        .output()
        .expect("running daogou");
    let message = stderr(&out);
    assert_ne!(out.status.code(), Some(97), "ulimit failed: {message}");
    assert!(!out.status.success());
    assert!(message.contains("the disk may be full"), "{message}");

    // A running server: uploads and stored histories past the limit get 507, the data
    // written before stays, and the server keeps serving.
    let dir = data_dir();
    let db_kib = std::fs::metadata(dir.path().join(CATALOG_DB))
        .expect("db")
        .len()
        / 1024;
    let key = key_file(dir.path());
    let args = [
        "--store-histories",
        "--api-key-file",
        key.to_str().expect("UTF-8 path"),
    ];
    let server = Serve::start_with(file_size_limited(db_kib + 256), dir.path(), &args);

    let upload = ureq::post(&format!("{}/api/catalog/import", server.base))
        .set("Content-Type", "application/x-ndjson")
        .set("X-Api-Key", KEY)
        .send_string(&bulk_catalog(20_000));
    let Err(ureq::Error::Status(status, response)) = upload else {
        panic!("an upload over the limit was accepted: {upload:?}");
    };
    let text = response.into_string().unwrap_or_default();
    assert_eq!(status, 507, "{text}");
    assert!(text.contains("no space"), "{text}");

    let query = "q".repeat(900);
    let history: Vec<_> = (0..200)
        .map(|i| json!({ "timestamp": i, "kind": "searched", "query": query }))
        .collect();
    let body = json!({ "history": history });
    let mut full = None;
    for user in 0..40 {
        let reply = server.send(
            "PUT",
            &format!("/api/users/u{user}/history"),
            true,
            Some(&body),
        );
        if reply.status != 200 {
            full = Some((user, reply));
            break;
        }
    }
    let (failed_user, reply) = full.expect("the limit was never reached");
    assert!(failed_user > 0, "nothing could be stored at all");
    assert_eq!(reply.status, 507, "{}", reply.text);
    assert!(
        reply.text.contains("the disk may be full"),
        "{}",
        reply.text
    );

    let kept = server.send("GET", "/api/users/u0/history", true, None);
    assert_eq!(kept.json["history"].as_array().map(Vec::len), Some(200));
    let lost = server.send(
        "GET",
        &format!("/api/users/u{failed_user}/history"),
        true,
        None,
    );
    assert_eq!(
        lost.json["history"].as_array().map(Vec::len),
        Some(0),
        "{}",
        lost.text
    );
    let health = server.send("GET", "/api/health", false, None);
    assert_eq!(health.json["status"], "ok");
}
