//! Running the real `daogou` binary: a demo data directory built once, servers on
//! 127.0.0.1 with their output captured to files, and HTTP calls to them.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_daogou");

/// The API key of the servers these tests start.
pub const KEY: &str = "serve-test-key-5150";

/// Name of the catalog database in a data directory.
pub const CATALOG_DB: &str = daogou_guide::app::CATALOG_DB;

/// A data directory holding the embedded demo catalog, built once per run (embedding the
/// demo catalog takes seconds) under Cargo's scratch directory for tests.
fn template() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("serve-template");
        // A fresh copy every run: the catalog or the model may have changed.
        if dir.exists() {
            std::fs::remove_dir_all(&dir).expect("removing the old template");
        }
        let out = daogou(&dir, &["recommend", "tent", "-k", "1", "--explain", "none"]);
        assert!(out.status.success(), "{}", stderr(&out));
        dir
    })
}

/// A new data directory with a copy of the demo catalog.
pub fn data_dir() -> TempDir {
    let dir = TempDir::new().expect("temp dir");
    std::fs::copy(template().join(CATALOG_DB), dir.path().join(CATALOG_DB))
        .expect("copying the demo catalog");
    dir
}

/// Runs `daogou --data-dir DIR ARGS...` to completion.
pub fn daogou(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("running daogou")
}

/// Standard error of a finished command, as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A file holding the API key, inside `dir`.
pub fn key_file(dir: &Path) -> PathBuf {
    let path = dir.join("api-key");
    std::fs::write(&path, KEY).expect("writing the key file");
    path
}

/// A `daogou serve` process on 127.0.0.1 with stdout and stderr captured to files; killed
/// when dropped.
pub struct Serve {
    child: Child,
    logs: TempDir,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
}

impl Serve {
    /// Starts `daogou --data-dir DIR serve --addr 127.0.0.1:0 ARGS...` and waits until
    /// it has loaded the guide.
    pub fn start(data_dir: &Path, args: &[&str]) -> Self {
        Self::start_with(Command::new(BIN), data_dir, args)
    }

    /// [`Serve::start`] through `command` (a wrapper such as `bash -c 'ulimit ...'`).
    pub fn start_with(mut command: Command, data_dir: &Path, args: &[&str]) -> Self {
        let logs = TempDir::new().expect("log dir");
        let file = |name: &str| File::create(logs.path().join(name)).expect("log file");
        let child = command
            .arg("--data-dir")
            .arg(data_dir)
            .args(["serve", "--addr", "127.0.0.1:0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(file("stdout"))
            .stderr(file("stderr"))
            .spawn()
            .expect("starting daogou serve");
        let mut server = Self {
            child,
            logs,
            base: String::new(),
        };
        let addr = server.wait_for(Duration::from_secs(60), |logs| {
            logs.lines()
                .find_map(|l| l.strip_prefix("daogou: listening on "))
                .and_then(|rest| rest.split(';').next())
                .map(str::to_string)
        });
        server.base = format!("http://{addr}");
        server.wait_for(Duration::from_secs(180), |logs| {
            logs.contains("daogou: ready at").then_some(())
        });
        server
    }

    /// Polls the logs until `found` returns something; panics with the logs when the
    /// server exits or `limit` passes first.
    fn wait_for<T>(&mut self, limit: Duration, found: impl Fn(&str) -> Option<T>) -> T {
        let start = Instant::now();
        loop {
            let logs = self.logs();
            if let Some(value) = found(&logs) {
                return value;
            }
            let exited = self.child.try_wait().ok().flatten();
            assert!(
                exited.is_none() && start.elapsed() < limit,
                "daogou serve did not get there ({exited:?}):\n{logs}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Everything the server wrote so far, stdout then stderr.
    pub fn logs(&self) -> String {
        ["stdout", "stderr"]
            .iter()
            .map(|name| std::fs::read_to_string(self.logs.path().join(name)).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Stops the server with SIGTERM (graceful shutdown) and returns all it logged.
    pub fn stop(mut self) -> String {
        let term = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .expect("kill -TERM");
        assert!(term.success());
        let start = Instant::now();
        while self.child.try_wait().ok().flatten().is_none() {
            assert!(start.elapsed() < Duration::from_secs(30), "no shutdown");
            std::thread::sleep(Duration::from_millis(50));
        }
        self.logs()
    }

    /// Kills the server with SIGKILL and waits for it to be gone.
    pub fn kill(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaping the server");
    }

    /// Sends a request; returns the status and the JSON body (`Null` when not JSON).
    pub fn send(&self, method: &str, path: &str, key: bool, body: Option<&Value>) -> Reply {
        let mut request = ureq::request(method, &format!("{}{path}", self.base))
            .timeout(Duration::from_secs(300));
        if key {
            request = request.set("X-Api-Key", KEY);
        }
        let result = match body {
            Some(body) => request
                .set("Content-Type", "application/json")
                .send_string(&body.to_string()),
            None => request.call(),
        };
        let response = match result {
            Ok(response) | Err(ureq::Error::Status(_, response)) => response,
            Err(e) => panic!("{method} {path}: {e}"),
        };
        let status = response.status();
        let retry_after = response.header("Retry-After").map(str::to_string);
        let text = response.into_string().expect("body");
        Reply {
            status,
            json: serde_json::from_str(&text).unwrap_or(Value::Null),
            text,
            retry_after,
        }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            // Already gone is fine: nothing else to clean up.
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A server's answer.
#[derive(Debug)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// The body parsed as JSON, or `Null`.
    pub json: Value,
    /// The body.
    pub text: String,
    /// The `Retry-After` header, if any.
    pub retry_after: Option<String>,
}
