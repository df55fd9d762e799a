//! Stored shopper histories: replace, read back in order, delete, persist; the table exists
//! only where a history store was opened.

use daogou_catalog::history_store::{HistoryStorage, HistoryStore, UserDeletion};
use daogou_catalog::store::Store;
use daogou_catalog::{EventKind, HistoryEvent};

fn event(
    timestamp: i64,
    kind: EventKind,
    product: Option<&str>,
    query: Option<&str>,
) -> HistoryEvent {
    HistoryEvent {
        timestamp,
        kind,
        product_id: product.map(str::to_string),
        query: query.map(str::to_string),
        rating: None,
    }
}

fn has_table(path: &std::path::Path) -> bool {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.query_row(
        "SELECT COUNT(*) FROM sqlite_master WHERE name = 'histories'",
        [],
        |r| r.get::<_, i64>(0),
    )
    .unwrap()
        == 1
}

#[test]
fn histories_are_replaced_read_in_order_deleted_and_persisted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalog.sqlite");
    drop(Store::open(&path).unwrap());
    assert!(
        !has_table(&path),
        "the catalog store alone must not create it"
    );

    let first = vec![
        event(3, EventKind::Bought, Some("out-001"), None),
        event(1, EventKind::Searched, None, Some("tent")),
        event(2, EventKind::Viewed, Some("out-002"), None),
    ];
    {
        let mut store = HistoryStore::open(&path).unwrap();
        assert!(store.history("ann").unwrap().is_empty());
        assert_eq!(store.replace("ann", &first).unwrap(), 3);
        assert_eq!(store.replace("bob", &first[..1]).unwrap(), 1);
        // Stored as sent, not re-sorted.
        assert_eq!(store.history("ann").unwrap(), first);
    }
    assert!(has_table(&path));

    let mut store = HistoryStore::open(&path).unwrap();
    assert_eq!(store.history("ann").unwrap(), first, "persisted");
    let second = vec![event(9, EventKind::Carted, Some("out-003"), None)];
    assert_eq!(store.replace("ann", &second).unwrap(), 1);
    assert_eq!(
        store.history("ann").unwrap(),
        second,
        "replaced, not appended"
    );

    assert_eq!(
        store.delete_user("ann").unwrap(),
        UserDeletion { history_events: 1 }
    );
    assert!(store.history("ann").unwrap().is_empty());
    assert_eq!(store.delete_user("ann").unwrap().history_events, 0);
    assert_eq!(
        store.history("bob").unwrap().len(),
        1,
        "other users untouched"
    );
    assert_eq!(store.replace("bob", &[]).unwrap(), 0);
    assert!(store.history("bob").unwrap().is_empty());

    // The catalog beside the histories is intact.
    Store::open(&path).unwrap().check_integrity().unwrap();
}

#[test]
fn a_deleted_history_leaves_no_trace_in_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalog.sqlite");
    let mut store = HistoryStore::open(&path).unwrap();
    let searches = |marker: &str| -> Vec<HistoryEvent> {
        (0..3)
            .map(|i| event(i, EventKind::Searched, None, Some(&format!("{marker} {i}"))))
            .collect()
    };
    // Small histories share a database page: deleting one must scrub it from the page.
    store.replace("ann", &searches("zebra-marker-ann")).unwrap();
    store.replace("bob", &searches("zebra-marker-bob")).unwrap();
    let on_disk = |marker: &str| {
        std::fs::read_dir(dir.path()).unwrap().any(|entry| {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            bytes.windows(marker.len()).any(|w| w == marker.as_bytes())
        })
    };
    assert!(on_disk("zebra-marker-ann"), "the history was never written");

    assert_eq!(store.delete_user("ann").unwrap().history_events, 3);
    assert!(
        !on_disk("zebra-marker-ann"),
        "ann's events are still in the files"
    );
    assert!(on_disk("zebra-marker-bob"), "bob's events must stay");
}
