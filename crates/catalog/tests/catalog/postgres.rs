//! The PostgreSQL store on the three-node test cluster: the same rows as the SQLite store,
//! change detection, deletion, review summaries, concurrent writers, migrations.

use std::collections::HashMap;

use crate::common::HashEmbedder;
use crate::pg_cluster::fresh_postgres;
use daogou_catalog::keyword::query_terms;
use daogou_catalog::reviews::ReviewSummary;
use daogou_catalog::store::{StoreError, UpsertProgress};
use daogou_catalog::{
    demo_catalog, CatalogIndex, CatalogStore, PgStore, Price, RequestVocabulary, Retrieval, Store,
    TextEmbedder,
};

fn quiet() -> impl FnMut(UpsertProgress) {
    |_| {}
}

fn summary(reviews: usize) -> ReviewSummary {
    ReviewSummary {
        model_id: "hash-32".into(),
        reviews,
        aspects: Vec::new(),
    }
}

#[test]
fn postgres_holds_the_same_catalog_as_sqlite() {
    let dsn = fresh_postgres("same_catalog");
    let products = demo_catalog().products;
    let embedder = HashEmbedder::new(32);
    let mut pg = PgStore::connect(&dsn).expect("connect");
    let mut sqlite = Store::open_in_memory().expect("sqlite");
    for store in [&mut pg as &mut dyn CatalogStore, &mut sqlite] {
        let report = store.upsert(&products, &embedder, &mut quiet()).unwrap();
        assert_eq!(report.inserted.len(), products.len());
        store
            .put_review_summary(&products[4].id, &summary(7))
            .unwrap();
    }
    assert_eq!(pg.products().unwrap(), sqlite.products().unwrap());
    assert_eq!(pg.products().unwrap(), products, "first-insertion order");
    let (a, b) = (
        pg.embeddings("hash-32").unwrap(),
        sqlite.embeddings("hash-32").unwrap(),
    );
    assert_eq!(a, b, "the same f32 values, in the same order");
    assert_eq!(
        pg.review_summaries().unwrap(),
        sqlite.review_summaries().unwrap()
    );

    // Both load into the same in-memory catalog.
    let from_pg = CatalogIndex::from_store(&mut pg, &embedder, &mut quiet()).unwrap();
    let from_sqlite = CatalogIndex::from_store(&mut sqlite, &embedder, &mut quiet()).unwrap();
    assert_eq!(from_pg.products(), from_sqlite.products());
    for i in 0..from_pg.len() {
        assert_eq!(from_pg.embedding(i), from_sqlite.embedding(i));
    }
    assert_eq!(from_pg.reviews(4), Some(&summary(7)));
}

#[test]
fn postgres_detects_changes_deletes_and_keeps_reviews_to_known_products() {
    let dsn = fresh_postgres("changes");
    let mut products = demo_catalog().products;
    let n = products.len();
    let embedder = HashEmbedder::new(16);
    PgStore::connect(&dsn)
        .unwrap()
        .upsert(&products, &embedder, &mut quiet())
        .unwrap();

    // A new connection sees the same catalog; nothing to redo.
    let mut store = PgStore::connect(&dsn).unwrap();
    assert_eq!(store.len().unwrap(), n);
    let calls = embedder.calls.get();
    assert_eq!(
        store
            .upsert(&products, &embedder, &mut quiet())
            .unwrap()
            .unchanged,
        n
    );
    assert_eq!(embedder.calls.get(), calls);

    products[3].price = Some(Price::usd(1.23));
    products[5].description.push_str(" Now with a carry bag.");
    let changed = store.upsert(&products, &embedder, &mut quiet()).unwrap();
    assert_eq!(
        changed.updated,
        [products[3].id.clone(), products[5].id.clone()]
    );
    assert_eq!(changed.embedded, [products[5].id.clone()]);
    assert_eq!(
        store.product(&products[3].id).unwrap(),
        Some(products[3].clone())
    );

    store
        .put_review_summary(&products[5].id, &summary(3))
        .unwrap();
    let err = store
        .put_review_summary("no-such-product", &summary(1))
        .unwrap_err();
    assert!(matches!(err, StoreError::UnknownProduct(_)), "{err}");

    // Deleting takes the product's vector and review summary with it.
    let gone = [products[5].id.as_str(), "no-such-product"];
    assert_eq!(store.delete(&gone).unwrap(), 1);
    assert_eq!(store.len().unwrap(), n - 1);
    assert_eq!(store.product(&products[5].id).unwrap(), None);
    assert!(store.review_summaries().unwrap().is_empty());
    assert_eq!(store.embeddings("hash-16").unwrap().ids.len(), n - 1);

    let err = store
        .upsert(
            &products,
            &HashEmbedder {
                id: "hash-16".into(),
                ..HashEmbedder::new(8)
            },
            &mut quiet(),
        )
        .unwrap_err();
    assert!(matches!(err, StoreError::BadEmbedding { .. }), "{err}");
}

#[test]
fn concurrent_writers_lose_nothing() {
    let dsn = fresh_postgres("concurrent");
    let products = demo_catalog().products;
    let (left, right) = products.split_at(products.len() / 2);
    // Two writers at once (as two servers importing would), each its own connection.
    std::thread::scope(|scope| {
        for part in [left, right] {
            let dsn = dsn.clone();
            scope.spawn(move || {
                let embedder = HashEmbedder::new(8);
                PgStore::connect(&dsn)
                    .unwrap()
                    .upsert(part, &embedder, &mut quiet())
                    .unwrap();
            });
        }
    });
    let store = PgStore::connect(&dsn).unwrap();
    let mut stored: Vec<String> = store
        .products()
        .unwrap()
        .into_iter()
        .map(|p| p.id)
        .collect();
    let mut expected: Vec<String> = products.iter().map(|p| p.id.clone()).collect();
    stored.sort();
    expected.sort();
    assert_eq!(stored, expected, "every product exactly once");
    assert_eq!(
        store.embeddings("hash-8").unwrap().ids.len(),
        products.len()
    );
}

#[test]
fn migrations_are_recorded_and_applied_once() {
    let dsn = fresh_postgres("migrations");
    // Servers starting together each apply the schema once between them.
    std::thread::scope(|scope| {
        for _ in 0..3 {
            let dsn = dsn.clone();
            scope.spawn(move || PgStore::connect(&dsn).unwrap());
        }
    });
    let store = PgStore::connect(&dsn).unwrap();
    let latest = daogou_catalog::postgres::MIGRATIONS.last().unwrap().0;
    assert_eq!(store.schema_version().unwrap(), latest);

    let err = PgStore::connect("postgres://nobody@[::1:bad")
        .err()
        .expect("a bad location");
    assert!(matches!(err, StoreError::InvalidLocation { .. }), "{err}");
}

/// Whether the `histories` table file of the node at `port` holds `marker`, after a
/// checkpoint (a restartpoint on a replica) has written its pages out; `None` while the node
/// has not replayed the table yet.
fn table_file_holds(port: u16, marker: &str) -> Option<bool> {
    let dsn = format!("postgres://postgres@127.0.0.1:{port}/histories");
    let mut client = postgres::Client::connect(&dsn, postgres::NoTls).ok()?;
    client.batch_execute("CHECKPOINT").ok()?;
    let relative: String = client
        .query_one("SELECT pg_relation_filepath('histories')", &[])
        .ok()?
        .get(0);
    let node = port - 55432;
    let path = std::path::Path::new("/tmp/daogou-pg")
        .join(format!("node{node}"))
        .join(relative);
    let bytes = std::fs::read(&path).ok()?;
    Some(bytes.windows(marker.len()).any(|w| w == marker.as_bytes()))
}

/// Waits (up to 20 s) until every node's table file answers `holds` for `marker`.
fn every_node(marker: &str, holds: bool) -> bool {
    let start = std::time::Instant::now();
    while start.elapsed() < std::time::Duration::from_secs(20) {
        if [55432u16, 55433, 55434]
            .iter()
            .all(|&p| table_file_holds(p, marker) == Some(holds))
        {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    false
}

#[test]
fn a_deleted_history_leaves_no_trace_in_any_nodes_table_file() {
    use daogou_catalog::history_store::HistoryStorage;
    use daogou_catalog::{EventKind, HistoryEvent, PgHistoryStore};

    let dsn = fresh_postgres("histories");
    let mut store = PgHistoryStore::connect(&dsn).unwrap();
    let searches = |marker: &str| -> Vec<HistoryEvent> {
        (0..3)
            .map(|i| HistoryEvent {
                timestamp: i,
                kind: EventKind::Searched,
                product_id: None,
                query: Some(format!("{marker} {i}")),
                rating: None,
            })
            .collect()
    };
    assert_eq!(
        store.replace("ann", &searches("zebra-marker-ann")).unwrap(),
        3
    );
    assert_eq!(
        store.replace("bob", &searches("zebra-marker-bob")).unwrap(),
        3
    );
    assert_eq!(store.history("ann").unwrap(), searches("zebra-marker-ann"));
    assert!(
        every_node("zebra-marker-ann", true),
        "the history never reached every node's table file"
    );

    assert_eq!(store.delete_user("ann").unwrap().history_events, 3);
    assert!(store.history("ann").unwrap().is_empty());
    assert_eq!(store.history("bob").unwrap().len(), 3);
    // The replicas replay the rewrite of the table.
    assert!(
        every_node("zebra-marker-ann", false),
        "ann's events are still in a node's table file"
    );
    assert!(every_node("zebra-marker-bob", true));
}

/// The in-memory keyword score of every product `words` match: summed BM25.
fn keyword_scores(index: &CatalogIndex, words: &[String]) -> HashMap<String, f64> {
    let mut totals: HashMap<String, f64> = HashMap::new();
    for word in words {
        for (i, scores) in index.keyword().field_scores(word).unwrap() {
            *totals.entry(index.product(i).id.clone()).or_default() += f64::from(scores.total());
        }
    }
    totals
}

/// Asserts that `found` is a best-first list as good as `expected` by `score`: rank for
/// rank the same score (so products that tie may trade places).
fn assert_same_ranking(found: &[String], expected: &[String], score: impl Fn(&str) -> f64) {
    assert_eq!(found.len(), expected.len(), "{found:?} vs {expected:?}");
    for (a, b) in found.iter().zip(expected) {
        let (x, y) = (score(a), score(b));
        assert!(
            (x - y).abs() <= 1e-5 * y.abs().max(1.0),
            "{a} {x} vs {b} {y}"
        );
    }
}

#[test]
fn postgres_retrieves_the_candidates_the_in_memory_index_finds() {
    let dsn = fresh_postgres("retrieval");
    let products = demo_catalog().products;
    let embedder = HashEmbedder::new(32);
    let mut pg = PgStore::connect(&dsn).expect("connect");
    pg.upsert(&products, &embedder, &mut quiet()).unwrap();
    let index = CatalogIndex::from_store(&mut pg, &embedder, &mut quiet()).unwrap();
    let names = |v: &RequestVocabulary| {
        let brands: Vec<String> = (0..)
            .map_while(|i| v.brand(i).map(str::to_string))
            .collect();
        let categories: Vec<(String, Vec<String>)> =
            (0..).map_while(|i| v.category(i).cloned()).collect();
        (brands, categories)
    };
    let vocabulary = names(&pg.vocabulary().unwrap());
    assert!(!vocabulary.0.is_empty() && !vocabulary.1.is_empty());
    assert_eq!(vocabulary, names(index.vocabulary()));

    for (request, limit, max_usd) in [
        ("waterproof hiking jacket", 20, None),
        ("coffee grinder", 5, Some(50.0)),
        ("送女朋友的 生日礼物", 10, None),
        ("wireless headphones", 200, Some(100.0)),
    ] {
        let words: Vec<String> = request.split(' ').map(str::to_string).collect();
        let query = embedder.embed(&[request]).unwrap().remove(0);
        let retrieval = Retrieval {
            model_id: "hash-32",
            embedding: &query,
            words: &words,
            limit,
            min_usd: None,
            max_usd,
            brands: &[],
            exact: true,
        };
        let found = pg.retrieve(&retrieval).unwrap();
        let passes = |i: usize| {
            max_usd.is_none_or(|m| {
                index
                    .product(i)
                    .price
                    .as_ref()
                    .is_some_and(|p| p.to_usd() <= m + 1e-9)
            })
        };
        let expected: Vec<String> = index
            .nearest(&query, limit, passes)
            .into_iter()
            .map(|(i, _)| index.product(i).id.clone())
            .collect();
        let cosine = |id: &str| {
            let e = index.embedding(index.position(id).unwrap());
            e.iter()
                .zip(&query)
                .map(|(a, b)| f64::from(a * b))
                .sum::<f64>()
        };
        assert_same_ranking(&found.nearest, &expected, cosine);
        let scores = keyword_scores(&index, &words);
        let mut keyword: Vec<(String, f64)> = scores
            .iter()
            .filter(|(id, _)| passes(index.position(id).unwrap()))
            .map(|(id, s)| (id.clone(), *s))
            .collect();
        keyword.sort_by(|a, b| b.1.total_cmp(&a.1));
        keyword.truncate(limit);
        assert!(!keyword.is_empty(), "{request}");
        let keyword: Vec<String> = keyword.into_iter().map(|(id, _)| id).collect();
        assert_same_ranking(&found.by_keyword, &keyword, |id| scores[id]);

        // The statistics are the in-memory index's for every searched term.
        let terms: Vec<String> = words.iter().flat_map(|w| query_terms(w)).collect();
        let expected = index.keyword().stats(&terms).unwrap();
        assert_eq!(found.stats.docs, expected.docs);
        assert_eq!(found.stats.tokens, expected.tokens);
        assert_eq!(found.stats.doc_freq, expected.doc_freq);
        for word in &words {
            let hits = index.keyword().field_scores(word).unwrap();
            let best = index.keyword().title_max(word, &hits);
            let stored = found.stats.title_max[word];
            assert!(
                (stored - best).abs() <= 1e-5 * best.max(1.0),
                "{word}: {stored} vs {best}"
            );
        }
        // And the fetched candidates carry the stored vectors, in catalog order.
        let fetched = pg.fetch(&found.ids(), "hash-32").unwrap();
        let positions: Vec<usize> = fetched
            .products
            .iter()
            .map(|p| index.position(&p.id).unwrap())
            .collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(&fetched.vectors[..32], index.embedding(positions[0]));
    }

    // Deleting products takes them out of the statistics too.
    let ids: Vec<&str> = products.iter().take(10).map(|p| p.id.as_str()).collect();
    pg.delete(&ids).unwrap();
    let rest = CatalogIndex::from_store(&mut pg, &embedder, &mut quiet()).unwrap();
    let words = ["jacket".to_string()];
    let query = embedder.embed(&["jacket"]).unwrap().remove(0);
    let found = pg
        .retrieve(&Retrieval {
            model_id: "hash-32",
            embedding: &query,
            words: &words,
            limit: 5,
            min_usd: None,
            max_usd: None,
            brands: &[],
            exact: false,
        })
        .unwrap();
    let expected = rest.keyword().stats(&query_terms("jacket")).unwrap();
    assert_eq!(found.stats.docs, expected.docs);
    assert_eq!(found.stats.tokens, expected.tokens);
    assert_eq!(found.nearest.len(), 5);
}

#[test]
fn products_stored_before_the_search_tables_are_made_searchable() {
    let dsn = fresh_postgres("backfill");
    let products = demo_catalog().products;
    let embedder = HashEmbedder::new(32);
    let mut pg = PgStore::connect(&dsn).expect("connect");
    pg.upsert(&products[..40], &embedder, &mut quiet()).unwrap();
    let primary = format!("{dsn}?target_session_attrs=read-write");
    let mut client = postgres::Client::connect(&primary, postgres::NoTls).unwrap();
    client
        .batch_execute("UPDATE products SET searchable = FALSE; DELETE FROM keyword_lengths")
        .unwrap();
    drop(PgStore::connect(&dsn).expect("reconnect"));
    let left: i64 = client
        .query_one("SELECT count(*) FROM products WHERE NOT searchable", &[])
        .unwrap()
        .get(0);
    assert_eq!(left, 0);
    let docs: i64 = client
        .query_one("SELECT docs FROM keyword_totals WHERE field = 0", &[])
        .unwrap()
        .get(0);
    assert_eq!(docs, 40);
}
