//! What `daogou serve --store-histories` logs while shoppers use it: nothing personal.

use serde_json::json;

use crate::support::{data_dir, key_file, Serve};

/// Strings that stand for personal data in the requests below; none may reach the logs.
const USER: &str = "shopper-zq-4411";
const STORED_PRODUCT: &str = "sku-private-9931";
const STORED_QUERY: &str = "quokka-secret-query";
const INLINE_PRODUCT: &str = "sku-private-2207";
const INLINE_QUERY: &str = "wombat-secret-query";
const REQUEST: &str = "narwhal-secret-request";

#[test]
fn the_logs_hold_no_history_request_or_user_id() {
    let dir = data_dir();
    let key = key_file(dir.path());
    let key = key.to_str().expect("UTF-8 path");
    let server = Serve::start(dir.path(), &["--store-histories", "--api-key-file", key]);
    let stored = json!({ "history": [
        { "timestamp": "2026-01-01", "kind": "bought", "product_id": STORED_PRODUCT },
        { "timestamp": "2026-01-02", "kind": "searched", "query": STORED_QUERY },
        { "timestamp": "2026-01-03", "kind": "viewed", "product_id": "out-001" }
    ] });
    let inline = json!([
        { "timestamp": "2026-02-01", "kind": "carted", "product_id": INLINE_PRODUCT },
        { "timestamp": "2026-02-02", "kind": "searched", "query": INLINE_QUERY }
    ]);
    let history_path = format!("/api/users/{USER}/history");
    let request = format!("warm jacket {REQUEST}");

    let mut statuses = Vec::new();
    let mut call = |method: &str, path: &str, key: bool, body: Option<serde_json::Value>| {
        statuses.push(server.send(method, path, key, body.as_ref()).status);
    };
    call("PUT", &history_path, true, Some(stored.clone()));
    call("GET", &history_path, true, None);
    let by_user = json!({ "request": request, "k": 3, "user_id": USER });
    call("POST", "/api/recommend", true, Some(by_user.clone()));
    let with_history =
        json!({ "request": request, "k": 3, "explain": ["lime"], "history": inline });
    call("POST", "/api/recommend", false, Some(with_history));
    call(
        "POST",
        "/api/profile",
        false,
        Some(json!({ "history": inline })),
    );
    let pair = json!({ "text": request, "pair": INLINE_QUERY, "methods": ["occlusion"] });
    call("POST", "/api/explain", false, Some(pair));
    call(
        "POST",
        "/api/scene",
        false,
        Some(json!({ "request": request })),
    );
    assert!(statuses.iter().all(|&s| s == 200), "{statuses:?}");

    // Refused requests carry the same data and must not leak it either.
    let refused = [
        server.send("POST", "/api/recommend", false, Some(&by_user)).status,
        server
            .send(
                "PUT",
                &history_path,
                true,
                Some(&json!({ "history": [{ "timestamp": 1, "kind": "searched", "product_id": STORED_PRODUCT }] })),
            )
            .status,
        server
            .send("GET", &format!("/api/nothing/{USER}"), true, None)
            .status,
        server
            .send("POST", &history_path, true, Some(&json!({ "request": REQUEST })))
            .status,
        server
            .send("POST", "/api/recommend", false, Some(&json!({ "request": REQUEST, "k": 0 })))
            .status,
    ];
    assert_eq!(refused, [401, 422, 404, 405, 422]);
    let deleted = server.send("DELETE", &format!("/api/users/{USER}"), true, None);
    assert_eq!(
        deleted.json["deleted"]["history_events"], 3,
        "{}",
        deleted.text
    );

    let logs = server.stop();
    // The capture works: the server's own lines are there.
    assert!(logs.contains("daogou: listening on"), "{logs}");
    assert!(logs.contains("daogou: ready at"), "{logs}");
    for secret in [
        USER,
        STORED_PRODUCT,
        STORED_QUERY,
        INLINE_PRODUCT,
        INLINE_QUERY,
        REQUEST,
    ] {
        assert!(!logs.contains(secret), "the log holds {secret:?}:\n{logs}");
    }
}
