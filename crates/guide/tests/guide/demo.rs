//! The built-in demo catalog: shape, and that typical requests find sensible candidates.

use daogou_catalog::demo_catalog;
use daogou_catalog::keyword::KeywordIndex;
use daogou_catalog::Product;
use daogou_catalog::RequestVocabulary;
use daogou_guide::request::parse_request;
use std::collections::HashSet;

const CATEGORIES: [&str; 13] = [
    "Outdoor",
    "Electronics",
    "Home",
    "Home Office",
    "Beauty",
    "Baby & Kids",
    "Gifts",
    "Groceries",
    "Sports",
    "Party",
    "Pets",
    "Kitchen",
    "Fashion",
];

#[test]
fn demo_catalog_is_complete_and_clean() {
    let demo = demo_catalog();
    assert!(demo.skipped.is_empty(), "{:?}", demo.skipped);
    assert!(demo.warnings.is_empty(), "{:?}", demo.warnings);
    let products = &demo.products;
    assert!(products.len() >= 500, "only {} products", products.len());
    let ids: HashSet<&str> = products.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids.len(), products.len(), "ids must be unique");
    let categories: HashSet<&str> = products
        .iter()
        .filter_map(|p| p.category.as_deref())
        .collect();
    assert_eq!(categories, CATEGORIES.into_iter().collect());
    for p in products {
        let price = p.price.unwrap_or_else(|| panic!("{} has no price", p.id));
        assert!(
            price.amount > 0.0 && price.to_usd() < 1000.0,
            "{}: {price}",
            p.id
        );
        assert!(p.brand.is_some() && !p.description.is_empty() && !p.attributes.is_empty());
    }
    let chinese = products
        .iter()
        .filter(|p| {
            p.title
                .chars()
                .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
        })
        .count();
    assert!(chinese >= 250, "only {chinese} Chinese titles");
    let usd: Vec<f64> = products
        .iter()
        .filter_map(|p| p.price)
        .map(|p| p.to_usd())
        .collect();
    let min = usd.iter().copied().fold(f64::INFINITY, f64::min);
    let max = usd.iter().copied().fold(0.0, f64::max);
    assert!(min < 6.0 && max > 800.0, "price spread {min}..{max}");
}

/// Keyword candidates for a request, filtered by its hard price bounds.
fn candidates<'a>(
    products: &'a [Product],
    index: &KeywordIndex,
    request: &str,
) -> Vec<&'a Product> {
    let vocab = RequestVocabulary::from_products(products);
    let parsed = parse_request(request, &vocab);
    let (min, max) = parsed.price_bounds_usd();
    index
        .search(&parsed.free_text, 10)
        .unwrap()
        .into_iter()
        .map(|h| &products[h.index])
        .filter(|p| {
            let usd = p.price.map_or(0.0, |p| p.to_usd());
            min.is_none_or(|m| usd >= m) && max.is_none_or(|m| usd <= m)
        })
        .collect()
}

fn count(found: &[&Product], word: &str) -> usize {
    found
        .iter()
        .filter(|p| p.title.to_lowercase().contains(word))
        .count()
}

#[test]
fn typical_requests_find_several_sensible_candidates() {
    let products = demo_catalog().products;
    let index = KeywordIndex::build(&products).unwrap();
    let found = |request| candidates(&products, &index, request);

    let jackets = found("waterproof hiking jacket under 100 dollars");
    assert!(count(&jackets, "jacket") >= 3, "{jackets:#?}");
    assert!(jackets.iter().all(|p| p.price.unwrap().to_usd() <= 100.0));

    let garden = found("a gift for my mother who loves gardening");
    assert!(count(&garden, "garden") >= 3, "{garden:#?}");

    let headphones = found("cheap wireless headphones for running");
    assert!(count(&headphones, "headphones") + count(&headphones, "earbuds") >= 4);

    let bottles = found("baby bottle BPA-free");
    assert!(count(&bottles[..3], "baby bottle") == 3, "{bottles:#?}");

    let chairs = found("ergonomic chair for home office");
    assert!(count(&chairs[..4], "chair") == 4, "{chairs:#?}");

    let gifts = found("送给女朋友的生日礼物");
    let gift_boxes = gifts[..5]
        .iter()
        .filter(|p| p.category.as_deref() == Some("Gifts"))
        .count();
    assert_eq!(gift_boxes, 5, "{gifts:#?}");
}

#[test]
fn a_new_store_opened_without_the_demo_stays_empty() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = daogou_guide::GuideConfig {
        data_dir: Some(dir.path().to_path_buf()),
        without_demo: true,
        ..Default::default()
    };
    let mut demo_imported = false;
    let guide = daogou_guide::Guide::open(&config, &mut |event| {
        demo_imported |= matches!(event, daogou_guide::app::OpenEvent::ImportingDemo);
    })
    .expect("opens");
    assert!(!demo_imported);
    assert_eq!(guide.products(), 0);
    let err = guide
        .recommend("a tent", None, &Default::default())
        .expect_err("nothing to recommend");
    assert!(
        matches!(err, daogou_guide::GuideError::EmptyCatalog),
        "{err}"
    );
}
