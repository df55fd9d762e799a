//! The three-node PostgreSQL cluster of `scripts/pg-cluster` for tests: started on first
//! use, one fresh database per test. Shared by the catalog and guide tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// A fresh, empty database on the three-node test cluster (`scripts/pg-cluster`, started on
/// first use), and its connection string naming all three nodes.
pub fn fresh_postgres(name: &str) -> String {
    static CLUSTER: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let base = CLUSTER.get_or_init(|| {
        let script = PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../scripts/pg-cluster"
        ));
        let up = std::process::Command::new(&script)
            .arg("up")
            .output()
            .expect("scripts/pg-cluster runs");
        assert!(
            up.status.success(),
            "scripts/pg-cluster up failed: {}",
            String::from_utf8_lossy(&up.stderr)
        );
        let dsn = std::process::Command::new(&script)
            .arg("dsn")
            .output()
            .expect("scripts/pg-cluster dsn");
        String::from_utf8(dsn.stdout)
            .expect("utf-8")
            .trim()
            .to_string()
    });
    let admin = base.replace("/daogou", "/postgres") + "?target_session_attrs=read-write";
    let mut client = postgres::Client::connect(&admin, postgres::NoTls).expect("the primary");
    // One statement per call: neither may run inside the implicit transaction of a batch.
    for sql in [
        format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        format!("CREATE DATABASE {name}"),
    ] {
        client.batch_execute(&sql).expect("a fresh database");
    }
    base.replace("/daogou", &format!("/{name}"))
}
