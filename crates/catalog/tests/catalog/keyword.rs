//! BM25 keyword retrieval.

use daogou_catalog::keyword::{KeywordField, KeywordIndex};
use daogou_catalog::Product;

fn product(id: &str, title: &str, description: &str, brand: &str, category: &str) -> Product {
    let mut p = Product::new(id, title);
    p.description = description.into();
    p.brand = Some(brand.into());
    p.category = Some(category.into());
    p
}

fn catalog() -> Vec<Product> {
    vec![
        product(
            "j1",
            "Waterproof Hiking Jacket",
            "Taped seams, hood.",
            "Ridgeline",
            "Outdoor",
        ),
        product(
            "j2",
            "Rain Jacket",
            "Packable and waterproof.",
            "Trailwren",
            "Outdoor",
        ),
        product(
            "h1",
            "Wireless Headphones",
            "Bluetooth, 30 h battery.",
            "Sonique",
            "Electronics",
        ),
        product("c1", "防水冲锋衣", "户外徒步防水外套", "山岚", "Outdoor"),
        product(
            "c2",
            "香薰蜡烛礼盒",
            "送女朋友的生日礼物",
            "云朵家",
            "Gifts",
        ),
    ]
}

#[test]
fn bm25_ranks_and_reports_matched_terms_with_query_spans() {
    let products = catalog();
    let index = KeywordIndex::build(&products).unwrap();
    assert_eq!(index.len(), 5);
    let query = "waterproof jackets for HIKING";
    let hits = index.search(query, 10).unwrap();
    let ids: Vec<&str> = hits.iter().map(|h| h.id.as_str()).collect();
    assert_eq!(ids, ["j1", "j2"]);
    assert!(hits[0].score > hits[1].score);
    assert_eq!(hits[0].index, 0);
    let j1: Vec<(&str, Vec<&str>, Vec<KeywordField>)> = hits[0]
        .matched
        .iter()
        .map(|m| {
            let words = m
                .query_spans
                .iter()
                .map(|s| s.slice(query).unwrap())
                .collect();
            (m.term.as_str(), words, m.fields.clone())
        })
        .collect();
    assert_eq!(
        j1,
        [
            ("waterproof", vec!["waterproof"], vec![KeywordField::Title]),
            ("jacket", vec!["jackets"], vec![KeywordField::Title]),
            ("hike", vec!["HIKING"], vec![KeywordField::Title]),
        ]
    );
    let j2_fields: Vec<_> = hits[1]
        .matched
        .iter()
        .map(|m| (m.term.as_str(), m.fields.clone()))
        .collect();
    assert_eq!(
        j2_fields,
        [
            ("waterproof", vec![KeywordField::Description]),
            ("jacket", vec![KeywordField::Title]),
        ]
    );
    // Brand and category are searched too.
    assert_eq!(index.search("sonique", 5).unwrap()[0].id, "h1");
    assert_eq!(index.search("electronics", 5).unwrap()[0].id, "h1");
    assert_eq!(index.search("jacket", 1).unwrap().len(), 1);
    assert!(index.search("jacket", 0).unwrap().is_empty());
}

#[test]
fn chinese_requests_match_chinese_products() {
    let index = KeywordIndex::build(&catalog()).unwrap();
    let hits = index.search("送给女朋友的生日礼物", 3).unwrap();
    assert_eq!(hits[0].id, "c2");
    let terms: Vec<&str> = hits[0].matched.iter().map(|m| m.term.as_str()).collect();
    assert!(
        terms.contains(&"女朋友") && terms.contains(&"礼物"),
        "{terms:?}"
    );
    assert_eq!(index.search("防水外套", 3).unwrap()[0].id, "c1");
    // Mixed scripts: "waterproof" and 防水 both count.
    let mixed = index.search("防水 waterproof", 5).unwrap();
    assert!(mixed.iter().any(|h| h.id == "c1") && mixed.iter().any(|h| h.id == "j1"));
}

#[test]
fn special_characters_never_reach_a_query_parser() {
    let index = KeywordIndex::build(&catalog()).unwrap();
    for query in [
        "",
        "   ",
        "\"unbalanced",
        "title:jacket AND (",
        "*?~^+-!{}[]:\\/",
        "jacket~2^5",
        "🎉🎉",
        "NOT OR AND",
        "the for a",
    ] {
        let result = index.search(query, 5);
        assert!(result.is_ok(), "{query:?}: {result:?}");
    }
    assert_eq!(index.search("title:jacket AND (", 5).unwrap().len(), 2);
    assert!(
        index.search("the for a", 5).unwrap().is_empty(),
        "stop words only"
    );
    let long = "jacket ".repeat(10_000) + &"词".repeat(10_000);
    let ids: Vec<String> = index
        .search(&long, 5)
        .unwrap()
        .into_iter()
        .map(|h| h.id)
        .collect();
    assert_eq!(
        ids,
        ["j2", "j1"],
        "shorter title first under BM25 length normalisation"
    );
}

#[test]
fn an_empty_catalog_searches_fine() {
    let index = KeywordIndex::build(&[]).unwrap();
    assert!(index.is_empty());
    assert!(index.search("jacket", 5).unwrap().is_empty());
}
