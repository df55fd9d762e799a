//! Servers on one PostgreSQL catalog (the three-node cluster of `scripts/pg-cluster`):
//! they answer alike, each sees the other's imports, and an import survives its primary
//! being killed midway.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use daogou_catalog::product::sha256_hex;
use daogou_catalog::Product;
use serde_json::{json, Value};
use tempfile::TempDir;

use crate::pg_cluster::fresh_postgres;
use crate::support::{key_file, Serve, BIN, KEY};

/// The cluster is shared: one test at a time kills nodes or leans on the failover.
static CLUSTER: Mutex<()> = Mutex::new(());

/// A recommendation's product ids.
fn ids(answer: &Value) -> Vec<String> {
    answer["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i["product"]["id"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// An answer without what differs between runs (timings).
fn comparable(mut answer: Value) -> Value {
    answer["stats"] = Value::Null;
    if let Some(items) = answer["items"].as_array_mut() {
        for item in items {
            if let Some(explanations) = item["explanations"].as_array_mut() {
                for e in explanations {
                    e["wall_time_ms"] = Value::Null;
                }
            }
        }
    }
    answer
}

fn serve_on(dsn: &str, dir: &Path) -> Serve {
    serve_on_with(dsn, dir, &[])
}

/// [`serve_on`] with more command-line arguments.
fn serve_on_with(dsn: &str, dir: &Path, more: &[&str]) -> Serve {
    let key = key_file(dir);
    let key = key.to_str().expect("UTF-8 path");
    let mut args = vec![
        "--catalog",
        dsn,
        "--api-key-file",
        key,
        "--catalog-poll",
        "0.5",
    ];
    args.extend_from_slice(more);
    Serve::start(dir, &args)
}

#[test]
fn two_servers_on_one_postgres_catalog_answer_alike_and_see_each_others_imports() {
    let _cluster = CLUSTER.lock().unwrap_or_else(PoisonError::into_inner);
    let dsn = fresh_postgres("serve_two");
    let (dir_a, dir_b) = (TempDir::new().unwrap(), TempDir::new().unwrap());
    // The first server finds the database empty and imports the demo catalog into it.
    let a = serve_on(&dsn, dir_a.path());
    let b = serve_on(&dsn, dir_b.path());
    let request = json!({ "request": "waterproof hiking jacket under 100 dollars", "k": 5 });
    let (from_a, from_b) = (
        a.send("POST", "/api/recommend", false, Some(&request)),
        b.send("POST", "/api/recommend", false, Some(&request)),
    );
    assert_eq!(from_a.status, 200, "{}", from_a.text);
    assert_eq!(comparable(from_a.json), comparable(from_b.json));

    let kite = json!({
        "id": "kite-1",
        "title": "Zephyrwind Quasar Stunt Kite",
        "description": "A dual-line stunt kite for the beach.",
        "price": 49
    });
    let imported = ureq::post(&format!("{}/api/catalog/import", a.base))
        .set("Content-Type", "application/x-ndjson")
        .set("X-Api-Key", KEY)
        .send_string(&format!("{kite}\n"))
        .expect("import through the first server");
    assert_eq!(imported.status(), 200);
    let start = Instant::now();
    let find = json!({ "request": "zephyrwind quasar stunt kite", "k": 3, "explain": [] });
    loop {
        let found = b.send("POST", "/api/recommend", false, Some(&find));
        if ids(&found.json).iter().any(|id| id == "kite-1") {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the second server never saw the import: {}",
            found.text
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    eprintln!(
        "the second server recommended the product imported through the first after {:?}",
        start.elapsed()
    );
}

/// `n` products as JSON Lines.
fn bulk(n: usize) -> String {
    (0..n)
        .map(|i| {
            json!({
                "id": format!("bulk-{i}"),
                "title": format!("Larkspur Field Notebook number {i}"),
                "description": format!("A squared notebook, item {i} of a bulk import."),
                "price": 4 + i % 30
            })
            .to_string()
                + "\n"
        })
        .collect()
}

/// Products in the database, read from the primary.
fn count(client: &mut postgres::Client) -> i64 {
    client
        .query_one("SELECT count(*) FROM products", &[])
        .map(|row| row.get(0))
        .unwrap_or(0)
}

fn cluster(command: &str) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/pg-cluster");
    let out = Command::new(script)
        .arg(command)
        .output()
        .expect("pg-cluster");
    assert!(
        out.status.success(),
        "pg-cluster {command}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn an_import_survives_the_primary_killed_midway() {
    const BULK: usize = 640;
    let _cluster = CLUSTER.lock().unwrap_or_else(PoisonError::into_inner);
    let dsn = fresh_postgres("import_failover");
    let dir = TempDir::new().unwrap();
    let file = dir.path().join("bulk.jsonl");
    std::fs::write(&file, bulk(BULK)).unwrap();
    // The import first brings the demo catalog into the empty database, then the file.
    let mut import = Command::new(BIN)
        .arg("--data-dir")
        .arg(dir.path())
        .args(["--catalog", &dsn, "catalog", "import"])
        .arg(&file)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("daogou catalog import");
    let primary = format!("{dsn}?target_session_attrs=read-write");
    let mut client = postgres::Client::connect(&primary, postgres::NoTls).expect("primary");
    let demo = daogou_catalog::demo_catalog().products.len() as i64;
    let start = Instant::now();
    while count(&mut client) < demo + 64 {
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "the import committed nothing of the file"
        );
        assert!(
            import.try_wait().unwrap().is_none(),
            "the import ended early"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(client);
    cluster("kill-primary");
    let out = import.wait_with_output().expect("the import ends");
    // Bring the killed node back as a replica for the tests that follow.
    cluster("up");
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the import failed after the failover: {log}"
    );

    // Every product once, each with the embedding of its current text.
    let mut client = postgres::Client::connect(&primary, postgres::NoTls).expect("primary");
    let rows = client
        .query(
            "SELECT p.json, e.text_hash FROM products p JOIN embeddings e ON e.product_id = p.id",
            &[],
        )
        .expect("products with vectors");
    assert_eq!(
        rows.len() as i64,
        demo + BULK as i64,
        "products with one vector each"
    );
    assert_eq!(count(&mut client), demo + BULK as i64);
    for row in rows {
        let product: Product = serde_json::from_str(row.get(0)).expect("product JSON");
        let text_hash: &str = row.get(1);
        assert_eq!(
            text_hash,
            sha256_hex(product.embedding_text().as_bytes()),
            "{}",
            product.id
        );
    }
    let bulk_ids: i64 = client
        .query_one("SELECT count(*) FROM products WHERE id LIKE 'bulk-%'", &[])
        .unwrap()
        .get(0);
    assert_eq!(bulk_ids, BULK as i64);
}

/// The roles `/api/health` reports for the catalog's hosts, in host order.
fn roles(server: &Serve) -> Vec<String> {
    let health = server.send("GET", "/api/health", false, None);
    health.json["catalog_hosts"]
        .as_array()
        .map(|hosts| {
            hosts
                .iter()
                .filter_map(|h| h["role"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_else(|| panic!("no catalog hosts in {}", health.text))
}

#[test]
fn a_replica_killed_during_a_recommend_load_fails_no_request_and_shows_in_health() {
    let _cluster = CLUSTER.lock().unwrap_or_else(PoisonError::into_inner);
    let dsn = fresh_postgres("replica_down");
    let dir = TempDir::new().unwrap();
    let server = serve_on(&dsn, dir.path());
    let mut before = roles(&server);
    before.sort();
    assert_eq!(before, ["primary", "replica", "replica"]);

    let words = [
        "tent",
        "jacket",
        "coffee",
        "headphones",
        "backpack",
        "lamp",
        "boots",
    ];
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let clients: Vec<_> = (0..2)
            .map(|c| {
                let server = &server;
                scope.spawn(move || {
                    (0..20)
                        .map(|i| {
                            let request = format!(
                                "{} for {} under {} dollars",
                                words[(i + c) % words.len()],
                                ["camping", "travel", "a gift"][i % 3],
                                40 + 10 * i
                            );
                            let body = json!({ "request": request, "k": 5 });
                            server
                                .send("POST", "/api/recommend", false, Some(&body))
                                .status
                        })
                        .collect::<Vec<u16>>()
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(500));
        cluster("kill-replica");
        clients
            .into_iter()
            .flat_map(|c| c.join().expect("client"))
            .collect()
    });
    let down = roles(&server);
    cluster("up");
    assert_eq!(statuses.len(), 40);
    assert!(statuses.iter().all(|&s| s == 200), "{statuses:?}");
    assert_eq!(down.iter().filter(|r| *r == "down").count(), 1, "{down:?}");
    assert_eq!(
        down.iter().filter(|r| *r == "primary").count(),
        1,
        "{down:?}"
    );
}

/// Thaws the cluster when dropped, so that a failed assertion does not leave it frozen.
struct Frozen;

impl Frozen {
    fn cut() -> Self {
        cluster("cut");
        Frozen
    }
}

impl Drop for Frozen {
    fn drop(&mut self) {
        cluster("mend");
    }
}

#[test]
fn a_cut_network_to_the_database_answers_503_quickly_and_nothing_hangs() {
    let _cluster = CLUSTER.lock().unwrap_or_else(PoisonError::into_inner);
    let dsn = fresh_postgres("network_cut");
    let dir = TempDir::new().unwrap();
    let server = serve_on_with(&dsn, dir.path(), &["--timeout", "6"]);
    let recommend = |i: usize| {
        let body = json!({ "request": format!("tent for {} people", i % 5 + 1), "k": 3 });
        let started = Instant::now();
        let reply = server.send("POST", "/api/recommend", false, Some(&body));
        (reply, started.elapsed())
    };
    assert_eq!(recommend(0).0.status, 200);

    // Frozen nodes keep their connections open and answer nothing: a cut network.
    let frozen = Frozen::cut();
    let during: Vec<_> = (1..=8).map(recommend).collect();
    drop(frozen);
    for (reply, took) in &during {
        assert_eq!(reply.status, 503, "{}", reply.text);
        assert!(reply.retry_after.is_some(), "{}", reply.text);
        assert!(*took < Duration::from_secs(7), "{took:?} past --timeout 6");
    }
    // Once the server has seen that the database is silent, it says so at once.
    let (last, took) = &during[during.len() - 1];
    assert!(*took < Duration::from_secs(1), "{took:?}: {}", last.text);
    assert!(last.text.contains("unreachable"), "{}", last.text);

    // Mended, it answers again.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut after = recommend(100).0;
    while after.status != 200 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(250));
        after = recommend(100).0;
    }
    assert_eq!(after.status, 200, "{}", after.text);
}
