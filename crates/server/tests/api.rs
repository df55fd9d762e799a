//! The HTTP API over a real socket on 127.0.0.1 (ephemeral port), with the cached model
//! (fetched on first use) and the demo catalog in temporary data directories.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Barrier, OnceLock};
use std::time::Duration;

use daogou_catalog::history_store::{HistoryStorage, HistoryStore};
use daogou_catalog::store::Store;
use daogou_catalog::CatalogStore;
use daogou_guide::app::CATALOG_DB;
use daogou_guide::reviews::{AspectOpinion, ReviewSummary, SentenceEvidence};
use daogou_guide::{Guide, GuideConfig};
use daogou_server::routes::recommend::NO_STORED_HISTORY;
use daogou_server::{app, ApiKey, AppState, Histories, Limits, Loader, Settings};
use serde_json::{json, Value};
use tempfile::TempDir;

/// A guide over the demo catalog and its data directory, shared by the tests of this file
/// (embedding the demo catalog takes seconds).
fn shared() -> &'static (TempDir, Arc<Guide>) {
    static GUIDE: OnceLock<(TempDir, Arc<Guide>)> = OnceLock::new();
    GUIDE.get_or_init(|| {
        let dir = TempDir::new().expect("temp dir");
        let guide = open(dir.path()).expect("opening the guide");
        (dir, Arc::new(guide))
    })
}

fn guide() -> Arc<Guide> {
    Arc::clone(&shared().1)
}

fn open(dir: &Path) -> anyhow::Result<Guide> {
    let config = GuideConfig {
        data_dir: Some(dir.to_path_buf()),
        ..GuideConfig::default()
    };
    Ok(Guide::open(&config, &mut |_| {})?)
}

/// A data directory of its own holding a copy of the shared demo catalog (already
/// embedded, so opening it takes no embedding).
fn data_dir() -> TempDir {
    let dir = TempDir::new().expect("temp dir");
    std::fs::copy(
        shared().0.path().join(CATALOG_DB),
        dir.path().join(CATALOG_DB),
    )
    .expect("copying the catalog");
    dir
}

/// A loaded state whose loader opens the guide in `dir` (imports swap in fresh guides).
fn loaded(settings: Settings, dir: &Path) -> AppState {
    let dir = dir.to_path_buf();
    let loader: Loader = Arc::new(move || open(&dir));
    let state = AppState::new(settings, loader);
    state
        .spawn_load(|outcome| assert!(outcome.is_ok(), "{outcome:?}"))
        .join()
        .expect("load");
    state
}

const KEY: &str = "test-key-123";

fn with_key(settings: Settings) -> Settings {
    Settings {
        api_key: Some(ApiKey::new(KEY).expect("key")),
        ..settings
    }
}

/// A loader for states whose guide is installed directly.
fn no_loader() -> Loader {
    Arc::new(|| anyhow::bail!("this test installs its guide"))
}

fn settings(limits: Limits) -> Settings {
    Settings {
        limits,
        ..Settings::default()
    }
}

/// A ready state over the shared guide.
fn ready(settings: Settings) -> AppState {
    let state = AppState::new(settings, no_loader());
    state.install(guide());
    state
}

/// A server on an ephemeral port, stopped when dropped. Every JSON answer it gives is
/// checked against the OpenAPI document it serves.
struct Server {
    base: String,
    runtime: Option<tokio::runtime::Runtime>,
    document: Value,
}

impl Server {
    fn start(state: AppState) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("non-blocking");
        let addr: SocketAddr = listener.local_addr().expect("address");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        runtime.spawn(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            axum::serve(listener, app(state)).await.expect("serve");
        });
        let mut server = Self {
            base: format!("http://{addr}"),
            runtime: Some(runtime),
            document: Value::Null,
        };
        server.document = server.get("/api/openapi.json").json;
        assert!(
            server.document["paths"].is_object(),
            "the document is served"
        );
        server
    }

    /// Asserts that the document lists `status` for the operation `method path` (when it
    /// has that operation) and that `body` matches the schema it gives for that status.
    fn check_contract(&self, method: &str, path: &str, status: u16, body: &Value) {
        if self.document.is_null() {
            return;
        }
        let path = path.split('?').next().unwrap_or(path);
        let operation = self.document["paths"]
            .as_object()
            .expect("paths")
            .iter()
            .find(|(template, _)| instance_of(template, path))
            .and_then(|(template, item)| Some((template, item.get(method.to_lowercase())?)));
        let Some((template, operation)) = operation else {
            return;
        };
        let response = operation["responses"]
            .get(status.to_string())
            .unwrap_or_else(|| {
                panic!("{method} {template} answered {status}, which the document does not list")
            });
        let Some(schema) = response.pointer("/content/application~1json/schema") else {
            return;
        };
        let root = json!({ "allOf": [schema], "components": self.document["components"] });
        let validator = jsonschema::draft202012::new(&root).expect("the schema compiles");
        let errors: Vec<String> = validator
            .iter_errors(body)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{method} {path} answered {status} with a body the document does not allow: {errors:#?}"
        );
    }

    /// Sends a request; returns status, the response headers we look at, and the JSON body.
    fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Answer {
        let mut request = ureq::request(method, &format!("{}{path}", self.base))
            .timeout(Duration::from_secs(300));
        for (name, value) in headers {
            request = request.set(name, value);
        }
        let result = match body {
            Some(bytes) => request.send_bytes(bytes),
            None => request.call(),
        };
        let response = match result {
            Ok(response) | Err(ureq::Error::Status(_, response)) => response,
            Err(e) => panic!("{method} {path}: {e}"),
        };
        let status = response.status();
        let header = |name: &str| response.header(name).map(str::to_string);
        let (content_type, retry_after, www_authenticate, csp) = (
            header("content-type").unwrap_or_default(),
            header("retry-after"),
            header("www-authenticate"),
            header("content-security-policy"),
        );
        let nosniff = header("x-content-type-options").as_deref() == Some("nosniff");
        let text = response.into_string().expect("body");
        let json = if content_type.starts_with("application/json") {
            serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{path}: invalid JSON {e}: {text}"))
        } else {
            Value::Null
        };
        if content_type.starts_with("application/json") {
            self.check_contract(method, path, status, &json);
        }
        Answer {
            status,
            content_type,
            retry_after,
            www_authenticate,
            csp,
            nosniff,
            text,
            json,
        }
    }

    /// Sends a JSON body over a raw socket, ignoring write errors, and reads the status
    /// and the body of the answer.
    fn send_unread(&self, method: &str, path: &str, body: &str) -> (u16, String) {
        use std::io::{Read, Write};
        let addr = self.base.trim_start_matches("http://");
        let mut stream = std::net::TcpStream::connect(addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .expect("timeout");
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        let _ = stream.write_all(head.as_bytes());
        let _ = stream.write_all(body.as_bytes());
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        let answer = String::from_utf8_lossy(&answer).to_string();
        let status = answer
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no status line: {answer}"));
        let text = answer
            .split("\r\n\r\n")
            .nth(1)
            .unwrap_or_default()
            .to_string();
        (status, text)
    }

    fn get(&self, path: &str) -> Answer {
        self.send("GET", path, &[], None)
    }

    fn post(&self, path: &str, body: &Value) -> Answer {
        self.send(
            "POST",
            path,
            &[("Content-Type", "application/json")],
            Some(body.to_string().as_bytes()),
        )
    }
}

/// Whether `path` is an instance of the document's path `template` (`{name}`: one segment).
fn instance_of(template: &str, path: &str) -> bool {
    let (t, p): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
    t.len() == p.len()
        && t.iter().zip(&p).all(|(want, got)| {
            want == got || (want.starts_with('{') && want.ends_with('}') && !got.is_empty())
        })
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

#[derive(Debug)]
struct Answer {
    status: u16,
    content_type: String,
    retry_after: Option<String>,
    www_authenticate: Option<String>,
    csp: Option<String>,
    nosniff: bool,
    text: String,
    json: Value,
}

impl Answer {
    /// Asserts the status and that the body is a JSON error with a message.
    fn error(&self, status: u16) -> &str {
        assert_eq!(self.status, status, "{}", self.text);
        assert!(
            self.content_type.starts_with("application/json"),
            "{self:?}"
        );
        let message = self.json["error"]
            .as_str()
            .unwrap_or_else(|| panic!("no error message: {self:?}"));
        assert!(!message.is_empty());
        message
    }
}

#[test]
fn answers_503_while_loading_and_health_says_when_ready() {
    let state = AppState::new(Settings::default(), no_loader());
    let server = Server::start(state.clone());
    let health = server.get("/api/health");
    assert_eq!(health.status, 200);
    assert_eq!(health.json["status"], "loading");
    for (path, body) in [
        ("/api/recommend", json!({ "request": "tent" })),
        ("/api/scene", json!({ "request": "tent" })),
        ("/api/explain", json!({ "text": "tent", "pair": "camping" })),
        ("/api/profile", json!({ "history": [] })),
    ] {
        let answer = server.post(path, &body);
        answer.error(503);
        assert_eq!(answer.json["status"], "loading");
        assert!(answer.retry_after.is_some());
    }

    state.install(guide());
    let health = server.get("/api/health");
    assert_eq!(health.status, 200);
    assert_eq!(health.json["status"], "ok");
    assert!(health.json["products"].as_u64().is_some_and(|n| n > 0));
    assert!(health.json["model"].is_string());
}

#[test]
fn a_failed_load_is_reported_by_health() {
    let state = AppState::new(
        Settings::default(),
        Arc::new(|| anyhow::bail!("no model here")),
    );
    let server = Server::start(state.clone());
    state.spawn_load(|_| {}).join().expect("loader thread");
    let health = server.get("/api/health");
    assert_eq!(health.status, 503);
    assert_eq!(health.json["status"], "failed");
    assert!(server
        .post("/api/recommend", &json!({ "request": "tent" }))
        .error(503)
        .contains("no model here"));
}

#[test]
fn recommend_returns_explained_items() {
    let server = Server::start(ready(Settings::default()));
    let answer = server.post(
        "/api/recommend",
        &json!({
            "request": "warm waterproof jacket for hiking under 200 dollars",
            "k": 3,
            "explain": ["shap", "lime", "attention"],
            "seed": 7
        }),
    );
    assert_eq!(answer.status, 200, "{}", answer.text);
    let items = answer.json["items"].as_array().expect("items");
    assert_eq!(items.len(), 3);
    let words = answer.json["words"].as_array().expect("words");
    let features = words.iter().filter(|w| w["feature"].is_u64()).count();
    assert!(
        words
            .iter()
            .any(|w| w["text"] == "200"
                && w["constraint"].as_str().is_some_and(|c| c.contains("200")))
    );
    for item in items {
        let explanations = item["explanations"].as_array().expect("explanations");
        assert_eq!(explanations.len(), 2, "shap and lime");
        for e in explanations {
            assert_eq!(e["values"].as_array().map(Vec::len), Some(features));
        }
        assert!(item["product"]["price"]["amount"]
            .as_f64()
            .is_some_and(|p| p <= 200.0));
        assert!(item["narrative"]["sentence"]
            .as_str()
            .is_some_and(|s| !s.is_empty()));
        assert!(item["components"].as_array().is_some_and(|c| c.len() >= 2));
    }
    let attention = &answer.json["attention"];
    assert!(attention["tokens"].as_array().is_some_and(|t| t.len() > 2));
    assert!(attention["maps"].as_array().is_some_and(|l| !l.is_empty()));
    assert!(answer.json["scene"]["ranking"].is_array());

    let personal = server.post(
        "/api/recommend",
        &json!({
            "request": "jacket",
            "k": 2,
            "explain": [],
            "history": [{ "timestamp": "2026-01-01", "kind": "bought", "product_id": "out-001" }]
        }),
    );
    assert_eq!(personal.status, 200, "{}", personal.text);
    let item = &personal.json["items"][0];
    assert!(item["components"]
        .as_array()
        .is_some_and(|c| c.iter().any(|c| c["name"] == "profile")));
    assert!(item["explanations"].as_array().is_some_and(Vec::is_empty));
}

#[test]
fn explain_scene_and_profile_answer() {
    let server = Server::start(ready(Settings::default()));
    let explained = server.post(
        "/api/explain",
        &json!({ "text": "red running shoes", "pair": "sneakers for jogging", "methods": ["shap", "occlusion"] }),
    );
    assert_eq!(explained.status, 200, "{}", explained.text);
    assert_eq!(
        explained.json["explanations"].as_array().map(Vec::len),
        Some(2)
    );
    assert!(explained.json["similarity"].is_f64());

    let scene = server.post(
        "/api/scene",
        &json!({ "request": "a birthday gift for my mom" }),
    );
    assert_eq!(scene.status, 200, "{}", scene.text);
    assert!(scene.json["ranking"]
        .as_array()
        .is_some_and(|r| !r.is_empty()));
    assert!(scene.json["explanation"]["values"].is_array());

    let profile = server.post(
        "/api/profile",
        &json!({ "history": [
            { "timestamp": "2026-01-01", "kind": "bought", "product_id": "out-001" },
            { "timestamp": "2026-01-02", "kind": "searched", "query": "tent" }
        ] }),
    );
    assert_eq!(profile.status, 200, "{}", profile.text);
    assert_eq!(profile.json["items"].as_array().map(Vec::len), Some(2));
}

#[test]
fn malformed_json_is_400_with_a_json_body() {
    let server = Server::start(ready(Settings::default()));
    for body in [&b"{\"request\": "[..], b"not json", b""] {
        let answer = server.send(
            "POST",
            "/api/recommend",
            &[("Content-Type", "application/json")],
            Some(body),
        );
        answer.error(400);
    }
}

#[test]
fn wrong_types_and_refused_values_are_4xx() {
    let server = Server::start(ready(Settings::default()));
    for body in [
        json!({ "request": 5 }),
        json!({ "request": "tent", "k": "ten" }),
        json!({ "request": "tent", "k": -1 }),
        json!({ "request": "tent", "explain": ["magic"] }),
        json!({ "request": "tent", "surprise": true }),
        json!([1, 2, 3]),
        json!({}),
    ] {
        server.post("/api/recommend", &body).error(422);
    }
    for (body, needle) in [
        (json!({ "request": "tent", "k": 101 }), "between 1 and 100"),
        (json!({ "request": "tent", "k": 0 }), "between 1 and 100"),
        (json!({ "request": "   " }), "empty"),
        (json!({ "request": "a".repeat(1001) }), "limit of 1000"),
        (
            json!({ "request": "tent", "history": [{ "timestamp": 1, "kind": "bought" }] }),
            "history[0]",
        ),
        (json!({ "request": "tent", "history": ["x"] }), "history[0]"),
    ] {
        let message = server.post("/api/recommend", &body).error(422).to_string();
        assert!(message.contains(needle), "{message}");
    }
    server
        .post("/api/explain", &json!({ "text": "tent" }))
        .error(422);
    server
        .post(
            "/api/explain",
            &json!({ "text": "tent", "pair": "camp", "methods": [] }),
        )
        .error(422);
    server
        .post(
            "/api/scene",
            &json!({ "request": "tent", "explain": "yes" }),
        )
        .error(422);
    server
        .post("/api/profile", &json!({ "history": {} }))
        .error(422);
    server
        .send(
            "POST",
            "/api/recommend",
            &[("Content-Type", "text/plain")],
            Some(b"{}"),
        )
        .error(415);
}

#[test]
fn oversized_bodies_are_413() {
    let limits = Limits {
        max_body_bytes: 4096,
        ..Limits::default()
    };
    let server = Server::start(ready(settings(limits)));
    let body = json!({ "request": "x".repeat(16 * 1024) });
    // The server answers before reading the body and may close the connection while a
    // client still writes it, so the request goes over a raw socket whose write errors are
    // ignored.
    let (status, text) = server.send_unread("POST", "/api/recommend", &body.to_string());
    assert_eq!(status, 413, "{text}");
    assert!(text.contains("4096"), "{text}");
}

#[test]
fn unknown_routes_and_methods_are_json_errors() {
    let server = Server::start(ready(Settings::default()));
    assert!(server
        .get("/api/nothing")
        .error(404)
        .contains("/api/nothing"));
    server.get("/favicon.ico").error(404);
    server.get("/api/recommend").error(405);
    server.post("/api/health", &json!({})).error(405);
    server.send("DELETE", "/", &[], None).error(405);
}

#[test]
fn catalog_import_requires_the_api_key() {
    const CATALOG: &str = concat!(
        r#"{"id": "test-1", "title": "Zephyr Kite for Beach Days", "description": "A stunt kite.", "price": 42}"#,
        "\n",
        r#"{"id": "test-2", "title": "Kite Line Spool", "price": "$9.50"}"#,
        "\n",
        "not json\n",
    );
    let jsonl = [("Content-Type", "application/x-ndjson")];

    // No key configured: writes are refused and the message says how to configure one.
    let server = Server::start(ready(Settings::default()));
    let message = server
        .send(
            "POST",
            "/api/catalog/import",
            &jsonl,
            Some(CATALOG.as_bytes()),
        )
        .error(403)
        .to_string();
    assert!(
        message.contains("--api-key-file") && message.contains("DAOGOU_API_KEY"),
        "{message}"
    );
    drop(server);

    let dir = data_dir();
    let server = Server::start(loaded(with_key(Settings::default()), dir.path()));
    let before = server.get("/api/health").json["products"]
        .as_u64()
        .expect("products");

    let missing = server.send(
        "POST",
        "/api/catalog/import",
        &jsonl,
        Some(CATALOG.as_bytes()),
    );
    missing.error(401);
    assert!(missing.www_authenticate.is_some());
    for wrong in [
        ("Authorization", "Bearer nope"),
        ("X-Api-Key", "test-key-12"),
        ("Authorization", "Bearer test-key-1234"),
    ] {
        let headers = [jsonl[0], wrong];
        server
            .send(
                "POST",
                "/api/catalog/import",
                &headers,
                Some(CATALOG.as_bytes()),
            )
            .error(403);
    }
    let csv = [
        ("Content-Type", "text/plain"),
        ("X-Api-Key", "test-key-123"),
    ];
    server
        .send(
            "POST",
            "/api/catalog/import",
            &csv,
            Some(CATALOG.as_bytes()),
        )
        .error(415);
    let key = [jsonl[0], ("Authorization", "Bearer test-key-123")];
    server
        .send("POST", "/api/catalog/import", &key, Some(b" \n"))
        .error(422);

    let imported = server.send(
        "POST",
        "/api/catalog/import",
        &key,
        Some(CATALOG.as_bytes()),
    );
    assert_eq!(imported.status, 200, "{}", imported.text);
    assert_eq!(imported.json["imported"], 2);
    assert_eq!(imported.json["skipped"][0]["line"], 3);
    assert_eq!(imported.json["products"].as_u64(), Some(before + 2));
    assert_eq!(
        server.get("/api/health").json["products"].as_u64(),
        Some(before + 2)
    );

    // The swapped-in guide knows the new products.
    let answer = server.post(
        "/api/recommend",
        &json!({ "request": "stunt kite for the beach", "k": 1 }),
    );
    assert_eq!(
        answer.json["items"][0]["product"]["id"], "test-1",
        "{}",
        answer.text
    );

    // Same catalog again with the other header: nothing changes.
    let again = [jsonl[0], ("X-Api-Key", "test-key-123")];
    let unchanged = server.send(
        "POST",
        "/api/catalog/import",
        &again,
        Some(CATALOG.as_bytes()),
    );
    assert_eq!(unchanged.status, 200, "{}", unchanged.text);
    assert_eq!(unchanged.json["unchanged"], 2);

    // CSV with an explicit column mapping.
    let csv_key = [("Content-Type", "text/csv"), ("X-Api-Key", "test-key-123")];
    let csv_body = b"sku,name,cost\ntest-3,Tiny Kite Keyring,3.00\n";
    let mapped = server.send(
        "POST",
        "/api/catalog/import?id=sku&title=name&price=cost",
        &csv_key,
        Some(csv_body),
    );
    assert_eq!(mapped.status, 200, "{}", mapped.text);
    assert_eq!(mapped.json["imported"], 1);
    server
        .send(
            "POST",
            "/api/catalog/import?colour=red",
            &csv_key,
            Some(csv_body),
        )
        .error(400);
}

#[test]
fn concurrent_requests_all_succeed() {
    let limits = Limits {
        max_concurrent: 2,
        queue_wait: Duration::from_secs(120),
        ..Limits::default()
    };
    let server = Arc::new(Server::start(ready(settings(limits))));
    let barrier = Arc::new(Barrier::new(8));
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let (server, barrier) = (Arc::clone(&server), Arc::clone(&barrier));
            std::thread::spawn(move || {
                barrier.wait();
                let request = [
                    "warm winter jacket",
                    "running shoes",
                    "coffee grinder",
                    "gift for dad",
                ][i % 4];
                server.post("/api/recommend", &json!({ "request": request, "k": 3 }))
            })
        })
        .collect();
    for thread in threads {
        let answer = thread.join().expect("client thread");
        assert_eq!(answer.status, 200, "{}", answer.text);
        assert_eq!(answer.json["items"].as_array().map(Vec::len), Some(3));
    }
    let metrics = server.get("/api/metrics");
    let recommend = metrics.json["endpoints"]
        .as_array()
        .and_then(|e| e.iter().find(|e| e["endpoint"] == "POST /api/recommend"))
        .expect("recommend metrics");
    assert_eq!(recommend["requests"], 8);
    assert_eq!(recommend["errors"], 0);
    assert!(recommend["latency_ms"]["p95"]
        .as_f64()
        .is_some_and(|p| p > 0.0));
    assert_eq!(metrics.json["jobs"]["limit"], 2);
}

#[test]
fn a_saturated_server_answers_429_instead_of_queueing() {
    let limits = Limits {
        max_concurrent: 1,
        queue_wait: Duration::ZERO,
        ..Limits::default()
    };
    let server = Arc::new(Server::start(ready(settings(limits))));
    let barrier = Arc::new(Barrier::new(6));
    let threads: Vec<_> = (0..6)
        .map(|_| {
            let (server, barrier) = (Arc::clone(&server), Arc::clone(&barrier));
            std::thread::spawn(move || {
                barrier.wait();
                server.post(
                    "/api/recommend",
                    &json!({ "request": "warm waterproof jacket for hiking", "explain": ["shap", "lime"] }),
                )
            })
        })
        .collect();
    let answers: Vec<Answer> = threads
        .into_iter()
        .map(|t| t.join().expect("client"))
        .collect();
    let busy: Vec<&Answer> = answers.iter().filter(|a| a.status == 429).collect();
    assert!(!busy.is_empty(), "no request was refused");
    assert!(answers.iter().any(|a| a.status == 200));
    for answer in busy {
        answer.error(429);
        assert_eq!(answer.json["status"], "busy");
        assert!(answer.retry_after.is_some());
    }
}

#[test]
fn slow_requests_time_out_with_503() {
    let limits = Limits {
        request_timeout: Duration::from_millis(1),
        ..Limits::default()
    };
    let server = Server::start(ready(settings(limits)));
    let answer = server.post(
        "/api/recommend",
        &json!({ "request": "warm waterproof jacket" }),
    );
    answer.error(503);
    assert_eq!(answer.json["status"], "timeout");
}

#[test]
fn openapi_document_parses_and_lists_every_route() {
    let server = Server::start(ready(Settings::default()));
    let doc = server.get("/api/openapi.json");
    assert_eq!(doc.status, 200);
    assert!(doc.json["openapi"]
        .as_str()
        .is_some_and(|v| v.starts_with("3.")));
    let paths = doc.json["paths"].as_object().expect("paths");
    let mut operations = Vec::new();
    for (path, item) in paths {
        for (method, operation) in item.as_object().expect("path item") {
            assert!(operation["responses"]["200"].is_object(), "{method} {path}");
            operations.push(format!("{} {path}", method.to_uppercase()));
            if method == "get" && !path.contains('{') {
                assert_eq!(server.get(path).status, 200, "GET {path}");
            }
        }
    }
    for expected in [
        "POST /api/recommend",
        "POST /api/catalog/import",
        "PUT /api/users/{id}/history",
        "DELETE /api/users/{id}",
        "GET /",
    ] {
        assert!(
            operations.iter().any(|o| o == expected),
            "{expected} is missing"
        );
    }
    let metrics = server.get("/api/metrics");
    let mut endpoints: Vec<&str> = metrics.json["endpoints"]
        .as_array()
        .expect("endpoints")
        .iter()
        .filter_map(|e| e["endpoint"].as_str())
        .collect();
    assert_eq!(endpoints.pop(), Some("other"), "other comes last");
    endpoints.sort_unstable();
    operations.sort_unstable();
    assert_eq!(endpoints, operations, "one metrics series per operation");
}

#[test]
fn the_page_and_its_assets_are_served() {
    let server = Server::start(AppState::new(Settings::default(), no_loader()));
    let page = server.get("/");
    assert_eq!(page.status, 200);
    assert!(page.content_type.starts_with("text/html"));
    assert!(page.text.contains("/static/app.js"));
    assert!(page
        .csp
        .as_deref()
        .is_some_and(|c| c.contains("script-src 'self'")));
    let script = server.get("/static/app.js");
    assert!(script.content_type.starts_with("text/javascript"));
    assert!(
        !script.text.contains(".innerHTML"),
        "data must never go through innerHTML"
    );
    assert!(server
        .get("/static/app.css")
        .content_type
        .starts_with("text/css"));
}

#[test]
fn the_page_strings_come_in_the_language_asked_for_or_the_browsers() {
    let server = Server::start(AppState::new(Settings::default(), no_loader()));
    let english = server.get("/api/messages");
    assert_eq!(english.status, 200);
    assert_eq!(english.json["language"], "en");
    assert_eq!(english.json["page"]["recommend"], "Recommend");
    let chinese = server.get("/api/messages?lang=zh-CN");
    assert_eq!(chinese.json["language"], "zh-CN");
    assert_eq!(chinese.json["page"]["recommend"], "推荐");
    assert_eq!(chinese.json["categories"]["Gifts"], "礼品");
    let browser = server.send(
        "GET",
        "/api/messages",
        &[("Accept-Language", "fr-FR, zh-CN;q=0.8, en;q=0.5")],
        None,
    );
    assert_eq!(browser.json["language"], "zh-CN");
    // Both tables have the same keys, so the page never shows a key for a string.
    let keys = |answer: &Answer| -> Vec<String> {
        let mut keys: Vec<String> = answer.json["page"]
            .as_object()
            .expect("page")
            .keys()
            .cloned()
            .collect();
        keys.sort();
        keys
    };
    assert_eq!(keys(&english), keys(&chinese));
    for bad in [
        "/api/messages?lang=fr",
        "/api/messages?lang=zh",
        "/api/messages?language=zh-CN",
    ] {
        let answer = server.get(bad);
        assert_eq!(answer.status, 400, "{bad}");
        assert!(answer.json["error"].is_string(), "{bad}");
    }
}

/// Headers of a JSON request with the API key.
const KEYED_JSON: [(&str, &str); 2] = [("Content-Type", "application/json"), ("X-Api-Key", KEY)];
const JSON_ONLY: [(&str, &str); 1] = [("Content-Type", "application/json")];

fn history_events() -> Value {
    json!([
        { "timestamp": "2026-01-01", "kind": "bought", "product_id": "out-001" },
        { "timestamp": "2026-01-02", "kind": "searched", "query": "trail running shoes" }
    ])
}

fn bytes(value: &Value) -> Vec<u8> {
    value.to_string().into_bytes()
}

/// Product ids of a recommendation, in rank order.
fn ranked(answer: &Answer) -> Vec<String> {
    answer.json["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|i| i["product"]["id"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn without_store_histories_user_endpoints_refuse_and_nothing_is_written() {
    let server = Server::start(ready(with_key(Settings::default())));
    let put = bytes(&json!({ "history": history_events() }));
    for (method, path, body) in [
        ("PUT", "/api/users/u1/history", Some(put.as_slice())),
        ("GET", "/api/users/u1/history", None),
        ("DELETE", "/api/users/u1", None),
    ] {
        let message = server
            .send(method, path, &KEYED_JSON, body)
            .error(404)
            .to_string();
        assert!(
            message.contains("--store-histories"),
            "{method} {path}: {message}"
        );
    }
    let by_user = bytes(&json!({ "request": "jacket", "user_id": "u1" }));
    let message = server
        .send("POST", "/api/recommend", &KEYED_JSON, Some(&by_user))
        .error(409)
        .to_string();
    assert!(message.contains("--store-histories"), "{message}");
    assert_eq!(server.get("/api/health").json["history_storage"], false);

    // Histories sent with a request still personalise, and are not kept.
    let inline = json!({ "request": "jacket", "k": 2, "explain": [], "history": history_events() });
    assert_eq!(server.post("/api/recommend", &inline).status, 200);
    assert_eq!(
        server
            .post("/api/profile", &json!({ "history": history_events() }))
            .status,
        200
    );
    let db = rusqlite::Connection::open(shared().0.path().join(CATALOG_DB)).expect("catalog db");
    let tables: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE name = 'histories'",
            [],
            |r| r.get(0),
        )
        .expect("query");
    assert_eq!(
        tables, 0,
        "a server without --store-histories created the table"
    );
}

#[test]
fn stored_histories_need_the_key_personalise_and_are_deleted_on_request() {
    let dir = TempDir::new().expect("temp dir");
    let db = dir.path().join(CATALOG_DB);
    let settings = Settings {
        histories: Some(Histories::open(&db).expect("history store")),
        ..with_key(Settings::default())
    };
    let server = Server::start(ready(settings));
    assert_eq!(server.get("/api/health").json["history_storage"], true);
    let path = "/api/users/shopper-7/history";
    let key = [("X-Api-Key", KEY)];
    let put = bytes(&json!({ "history": history_events() }));

    // Personal data needs the key, for reads as much as for writes.
    server.send("PUT", path, &JSON_ONLY, Some(&put)).error(401);
    let wrong = [JSON_ONLY[0], ("Authorization", "Bearer nope")];
    server.send("PUT", path, &wrong, Some(&put)).error(403);
    server.send("GET", path, &[], None).error(401);
    server
        .send("DELETE", "/api/users/shopper-7", &[], None)
        .error(401);

    // Histories are checked like a request's.
    let invalid = bytes(&json!({ "history": [{ "timestamp": 1, "kind": "bought" }] }));
    let message = server
        .send("PUT", path, &KEYED_JSON, Some(&invalid))
        .error(422)
        .to_string();
    assert!(message.contains("history[0]"), "{message}");
    let many: Vec<Value> = (0..201)
        .map(|i| json!({ "timestamp": i, "kind": "viewed", "product_id": "out-001" }))
        .collect();
    let message = server
        .send(
            "PUT",
            path,
            &KEYED_JSON,
            Some(&bytes(&json!({ "history": many }))),
        )
        .error(422)
        .to_string();
    assert!(message.contains("limit of 200"), "{message}");
    server
        .send("PUT", "/api/users/a%0Ab/history", &KEYED_JSON, Some(&put))
        .error(422);
    assert!(server.send("GET", path, &key, None).json["history"]
        .as_array()
        .is_some_and(Vec::is_empty));

    let stored = server.send("PUT", path, &KEYED_JSON, Some(&put));
    assert_eq!(stored.status, 200, "{}", stored.text);
    assert_eq!(stored.json["events"], 2);
    let got = server.send("GET", path, &key, None);
    assert_eq!(got.status, 200, "{}", got.text);
    assert_eq!(got.json["history"][0]["product_id"], "out-001");
    assert_eq!(got.json["history"][1]["query"], "trail running shoes");

    // user_id personalises exactly like the same history sent with the request.
    let by_user =
        bytes(&json!({ "request": "jacket", "k": 3, "explain": [], "user_id": "shopper-7" }));
    server
        .send("POST", "/api/recommend", &JSON_ONLY, Some(&by_user))
        .error(401);
    let personal = server.send("POST", "/api/recommend", &KEYED_JSON, Some(&by_user));
    assert_eq!(personal.status, 200, "{}", personal.text);
    assert!(personal.json["items"][0]["components"]
        .as_array()
        .is_some_and(|c| c.iter().any(|c| c["name"] == "profile")));
    let inline = server.post(
        "/api/recommend",
        &json!({ "request": "jacket", "k": 3, "explain": [], "history": history_events() }),
    );
    assert_eq!(ranked(&personal), ranked(&inline));
    let both = bytes(&json!({ "request": "jacket", "user_id": "shopper-7", "history": [] }));
    server
        .send("POST", "/api/recommend", &KEYED_JSON, Some(&both))
        .error(422);
    let stranger = bytes(&json!({ "request": "jacket", "k": 1, "user_id": "nobody" }));
    let unknown = server.send("POST", "/api/recommend", &KEYED_JSON, Some(&stranger));
    assert_eq!(unknown.status, 200, "{}", unknown.text);
    assert!(unknown.json["notices"]
        .as_array()
        .is_some_and(|n| n.iter().any(|n| n == NO_STORED_HISTORY)));

    // PUT replaces; the history survives a new connection (it is on disk).
    let one = bytes(&json!({ "history": [history_events()[1].clone()] }));
    assert_eq!(
        server.send("PUT", path, &KEYED_JSON, Some(&one)).json["events"],
        1
    );
    let reopened = HistoryStore::open(&db)
        .and_then(|mut store| store.history("shopper-7"))
        .expect("reading the store");
    assert_eq!(reopened.len(), 1);
    assert_eq!(reopened[0].query.as_deref(), Some("trail running shoes"));

    // Metrics count the route, never the user.
    assert!(!server.get("/api/metrics").text.contains("shopper-7"));
    assert!(server
        .send("POST", path, &KEYED_JSON, Some(&one))
        .error(405)
        .contains("GET or PUT"));

    let deleted = server.send("DELETE", "/api/users/shopper-7", &key, None);
    assert_eq!(deleted.status, 200, "{}", deleted.text);
    assert_eq!(deleted.json["deleted"]["history_events"], 1);
    assert!(server.send("GET", path, &key, None).json["history"]
        .as_array()
        .is_some_and(Vec::is_empty));
    let again = server.send("DELETE", "/api/users/shopper-7", &key, None);
    assert_eq!(again.json["deleted"]["history_events"], 0);
}

#[test]
fn markup_in_product_text_comes_back_as_the_same_json_strings() {
    const TITLE: &str = "Zorbex Lantern <script>alert(1)</script>";
    const DESCRIPTION: &str =
        "A bright camping lantern <img src=x onerror=alert(1)> & \"quotes\" </p><!--";
    let dir = data_dir();
    let server = Server::start(loaded(with_key(Settings::default()), dir.path()));
    let product = json!({ "id": "xss-1", "title": TITLE, "description": DESCRIPTION, "price": 19 });
    let headers = [("Content-Type", "application/x-ndjson"), ("X-Api-Key", KEY)];
    let imported = server.send(
        "POST",
        "/api/catalog/import",
        &headers,
        Some(product.to_string().as_bytes()),
    );
    assert_eq!(imported.status, 200, "{}", imported.text);
    assert_eq!(imported.json["imported"], 1);

    let answer = server.post(
        "/api/recommend",
        &json!({ "request": "zorbex camping lantern", "k": 1 }),
    );
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert!(answer.content_type.starts_with("application/json") && answer.nosniff);
    let found = &answer.json["items"][0]["product"];
    assert_eq!(found["id"], "xss-1", "{}", answer.text);
    assert_eq!(found["title"], TITLE);
    assert_eq!(found["description"], DESCRIPTION);
}

#[test]
fn an_explanation_over_its_budget_falls_back_and_says_so() {
    let limits = Limits {
        max_evals: 10,
        ..Limits::default()
    };
    let server = Server::start(ready(settings(limits)));
    // Six or seven descriptive words: exact Shapley needs 2^M and Kernel SHAP 2M + 2
    // evaluations, both over 10, so SHAP falls back to occlusion (M + 1).
    let request = "warm waterproof breathable hiking jacket with hood";
    let answer = server.post(
        "/api/recommend",
        &json!({ "request": request, "k": 2, "explain": ["shap"] }),
    );
    assert_eq!(answer.status, 200, "{}", answer.text);
    for item in answer.json["items"].as_array().expect("items") {
        let explanation = &item["explanations"][0];
        assert_eq!(explanation["method"], "occlusion", "{explanation}");
        assert!(explanation["fallback"]
            .as_str()
            .is_some_and(|f| f.contains("fell back")));
        assert!(explanation["model_evals"].as_u64().is_some_and(|n| n <= 10));
    }
    let explained = server.post(
        "/api/explain",
        &json!({ "text": request, "pair": "rain coat", "methods": ["shap"] }),
    );
    assert_eq!(explained.status, 200, "{}", explained.text);
    assert!(explained.json["explanations"][0]["fallback"].is_string());

    // More words than evaluations: refused at once with the budget named, not a slow death.
    let long =
        "warm waterproof breathable light packable hiking trekking rain jacket hood pockets zip";
    let message = server
        .post(
            "/api/recommend",
            &json!({ "request": long, "explain": ["shap"] }),
        )
        .error(422)
        .to_string();
    assert!(message.contains("budget"), "{message}");
}

/// A review summary as `daogou reviews --attach` stores it (the counts and sentences here
/// are test input; the guide's tests summarise real reviews).
fn watch_reviews() -> ReviewSummary {
    let opinion = |aspect: &str, positive: usize, negative: usize, sentence: &str| AspectOpinion {
        aspect: aspect.into(),
        reviews: positive + negative + 1,
        positive,
        negative,
        summary: format!(
            "{aspect}: {} in {} of {} reviews",
            if positive >= negative {
                "positive"
            } else {
                "negative"
            },
            positive.max(negative),
            positive + negative + 1
        ),
        evidence: vec![SentenceEvidence {
            text: sentence.into(),
            polarity: if positive >= negative {
                "positive"
            } else {
                "negative"
            }
            .into(),
            confidence: 0.9,
            support: 0.2,
            words: vec![("<b>".into(), 0.1)],
        }],
    };
    ReviewSummary {
        model_id: "test".into(),
        reviews: 20,
        aspects: vec![
            opinion("watch", 14, 2, "Best <b>watch</b> I have owned."),
            opinion("screen", 3, 8, "The screen is hard to read indoors."),
            opinion("strap", 6, 1, "The strap is comfy."),
            opinion(
                "battery life",
                12,
                2,
                "The battery lasts two weeks, easily.",
            ),
        ],
    }
}

#[test]
fn attached_reviews_come_with_the_product_asked_aspects_first() {
    let dir = data_dir();
    Store::open(&dir.path().join(CATALOG_DB))
        .expect("store")
        .put_review_summary("ele-014", &watch_reviews())
        .expect("attach");
    let server = Server::start(loaded(Settings::default(), dir.path()));
    let answer = server.post(
        "/api/recommend",
        &json!({ "request": "gps running watch with long battery", "k": 5, "explain": ["shap"] }),
    );
    assert_eq!(answer.status, 200, "{}", answer.text);
    let items = answer.json["items"].as_array().expect("items");
    let watch = items
        .iter()
        .find(|i| i["product"]["id"] == "ele-014")
        .expect("the GPS watch is recommended");
    let aspects = watch["reviews"]["aspects"].as_array().expect("aspects");
    let shown: Vec<(&str, bool)> = aspects
        .iter()
        .map(|a| (a["aspect"].as_str().unwrap_or(""), a["asked"] == true))
        .collect();
    assert_eq!(
        shown,
        [("watch", true), ("battery life", true), ("screen", false)]
    );
    assert_eq!(watch["reviews"]["reviews"], 20);
    assert_eq!(aspects[1]["positive"], 12);
    assert_eq!(
        aspects[0]["evidence"][0]["text"],
        "Best <b>watch</b> I have owned."
    );
    let sentence = watch["narrative"]["sentence"].as_str().expect("sentence");
    assert!(
        sentence.contains(
            "reviewers are positive about battery life (12 of 15 reviews): \
             “The battery lasts two weeks, easily.”"
        ),
        "{sentence}"
    );
    assert!(!sentence.contains("screen"), "{sentence}");
    for item in items.iter().filter(|i| i["product"]["id"] != "ele-014") {
        assert!(item.get("reviews").is_none(), "{}", item["product"]["id"]);
    }
    let doc = server.get("/api/openapi.json");
    let schemas = &doc.json["components"]["schemas"];
    assert_eq!(
        schemas["RecommendedItem"]["properties"]["reviews"]["$ref"],
        "#/components/schemas/ReviewEvidence"
    );
    for name in ["ReviewEvidence", "AspectEvidence", "SentenceEvidence"] {
        // AspectEvidence flattens the stored opinion: its properties come through allOf.
        let described = schemas[name]["properties"].is_object()
            || schemas[name]["allOf"]
                .as_array()
                .is_some_and(|parts| parts.iter().any(|p| p["properties"].is_object()));
        assert!(described, "{name}");
    }
}
