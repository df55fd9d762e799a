//! BM25 keyword retrieval.

use std::collections::HashMap;

use daogou_catalog::keyword::{
    product_terms, query_terms, FieldScores, KeywordField, KeywordIndex,
};
use daogou_catalog::{demo_catalog, Product};

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

#[test]
fn an_index_over_part_of_a_catalog_scores_with_the_whole_catalogs_statistics() {
    let whole = demo_catalog().products;
    let full = KeywordIndex::build(&whole).unwrap();
    let part: Vec<Product> = whole.iter().step_by(2).cloned().collect();
    for query in [
        "waterproof hiking jacket",
        "coffee",
        "生日礼物",
        "wireless headphones",
    ] {
        let terms = query_terms(query);
        let mut stats = full.stats(&terms).unwrap();
        let hits = full.field_scores(query).unwrap();
        stats
            .title_max
            .insert(query.to_string(), full.title_max(query, &hits));
        let own = KeywordIndex::build(&part).unwrap();
        let scored = KeywordIndex::part_of(&part, stats).unwrap();
        let by_id = |index: &KeywordIndex, products: &[Product]| {
            let hits = index.field_scores(query).unwrap();
            let title_max = index.title_max(query, &hits);
            let scores: HashMap<String, FieldScores> = hits
                .into_iter()
                .map(|(i, s)| (products[i].id.clone(), s))
                .collect();
            (scores, title_max)
        };
        let (whole_scores, whole_max) = by_id(&full, &whole);
        let (part_scores, part_max) = by_id(&scored, &part);
        assert!(!part_scores.is_empty(), "{query}: the part has hits");
        for (id, scores) in &part_scores {
            assert_eq!(Some(scores), whole_scores.get(id), "{query}: {id}");
        }
        assert_eq!(
            part_max, whole_max,
            "{query}: the whole catalog's best title"
        );
        // Scored with its own statistics instead, the same products score differently.
        let (own_scores, _) = by_id(&own, &part);
        assert_ne!(own_scores, part_scores, "{query}");
        // A term the statistics do not cover is an error, not a silent local score.
        assert!(scored.field_scores("teapot").is_err());
    }
}

#[test]
fn stored_postings_give_the_index_statistics() {
    let products = demo_catalog().products;
    let index = KeywordIndex::build(&products).unwrap();
    let terms = query_terms("waterproof jacket 礼物 coffee");
    let stats = index.stats(&terms).unwrap();
    let mut tokens = [0u64; 4];
    let mut doc_freq: HashMap<(KeywordField, String), u64> = HashMap::new();
    for product in &products {
        for field in product_terms(product) {
            tokens[field.field as usize] += u64::from(field.tokens);
            for (term, _) in &field.terms {
                *doc_freq.entry((field.field, term.clone())).or_default() += 1;
            }
        }
    }
    assert_eq!(stats.docs, products.len() as u64);
    assert_eq!(stats.tokens, tokens);
    for ((field, term), df) in &stats.doc_freq {
        let counted = doc_freq.get(&(*field, term.clone())).copied().unwrap_or(0);
        assert_eq!(*df, counted, "{field:?} {term}");
    }
    assert!(stats.doc_freq.values().any(|&df| df > 0));
}
