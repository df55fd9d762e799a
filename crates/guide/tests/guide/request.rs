//! Request constraint parsing.

use daogou_catalog::RequestVocabulary;
use daogou_catalog::{demo_catalog, Product};
use daogou_catalog::{Currency, Price};
use daogou_guide::request::{parse_request, ConstraintKind, ParsedRequest};
use std::sync::LazyLock;

static VOCAB: LazyLock<RequestVocabulary> =
    LazyLock::new(|| RequestVocabulary::from_products(&demo_catalog().products));

fn parse(text: &str) -> ParsedRequest {
    parse_request(text, &VOCAB)
}

/// (source words, description) of every constraint.
fn described(r: &ParsedRequest) -> Vec<(String, String)> {
    r.constraints
        .iter()
        .map(|c| (r.source_of(c).to_string(), c.describe()))
        .collect()
}

fn prices(r: &ParsedRequest) -> Vec<(String, String)> {
    described(r)
        .into_iter()
        .filter(|(_, d)| d.contains("price"))
        .collect()
}

fn one(source: &str, description: &str) -> Vec<(String, String)> {
    vec![(source.to_string(), description.to_string())]
}

#[test]
fn english_price_phrasings() {
    let r = parse("waterproof hiking jacket under 100 dollars");
    assert_eq!(prices(&r), one("under 100 dollars", "price ≤ $100.00"));
    assert_eq!(r.free_text, "waterproof hiking jacket");
    assert_eq!(r.price_bounds_usd(), (None, Some(100.0)));

    assert_eq!(
        prices(&parse("a lamp below $50")),
        one("below $50", "price ≤ $50.00")
    );
    assert_eq!(
        prices(&parse("less than 30 usd please")),
        one("less than 30 usd", "price ≤ $30.00")
    );
    assert_eq!(
        prices(&parse("tents over $200")),
        one("over $200", "price ≥ $200.00")
    );
    assert_eq!(
        prices(&parse("between 20 and 50 dollars")),
        one("between 20 and 50 dollars", "$20.00 ≤ price ≤ $50.00")
    );
    assert_eq!(
        prices(&parse("mugs $20-$50")),
        one("$20-$50", "$20.00 ≤ price ≤ $50.00")
    );
    assert_eq!(
        prices(&parse("from $50 to $20")),
        one("from $50 to $20", "$20.00 ≤ price ≤ $50.00")
    );
    assert_eq!(
        prices(&parse("laptop under 1.5k")),
        one("under 1.5k", "price ≤ $1500.00")
    );
    assert_eq!(
        prices(&parse("scarf under €40")),
        one("under €40", "price ≤ €40.00 (≈ $43.20)")
    );
    assert_eq!(
        prices(&parse("speaker at least 1,000 dollars")),
        one("at least 1,000 dollars", "price ≥ $1000.00")
    );
    let both = parse("over $20 and under $50");
    assert_eq!(both.price_bounds_usd(), (Some(20.0), Some(50.0)));
}

#[test]
fn chinese_price_phrasings() {
    let r = parse("below ¥300");
    assert_eq!(
        r.constraints[0].kind,
        ConstraintKind::MaxPrice(Price {
            amount: 300.0,
            currency: Currency::Cny
        })
    );
    assert_eq!(prices(&r), one("below ¥300", "price ≤ ¥300.00 (≈ $42.00)"));
    let r = parse("300元以下的耳机");
    assert_eq!(prices(&r), one("300元以下", "price ≤ ¥300.00 (≈ $42.00)"));
    assert_eq!(r.free_text, "耳机");
    assert_eq!(
        prices(&parse("不超过300元的礼物")),
        one("不超过300元", "price ≤ ¥300.00 (≈ $42.00)")
    );
    assert_eq!(
        prices(&parse("预算500以内")),
        one("预算500以内", "price ≤ ¥500.00 (≈ $70.00)")
    );
    assert_eq!(
        prices(&parse("200到500元之间的包")),
        one(
            "200到500元之间",
            "¥200.00 (≈ $28.00) ≤ price ≤ ¥500.00 (≈ $70.00)"
        )
    );
    assert_eq!(
        prices(&parse("1000元以上的相机")),
        one("1000元以上", "price ≥ ¥1000.00 (≈ $140.00)")
    );
    // A bare number in a Chinese request is yuan.
    assert_eq!(
        parse("耳机 under 300").price_bounds_usd(),
        (None, Some(300.0 * 0.14))
    );
}

#[test]
fn quantities_are_not_prices() {
    for text in [
        "toys for kids over 3",
        "dumbbells under 5 pounds",
        "a pan under 30 cm",
        "battery over 5000 mAh",
        "tent for 2 people",
        "3岁以上的玩具",
        "ship within 2 days",
        "under 100x zoom",
        "from 2 to 4 players",
        "2-3 person tent",
    ] {
        let r = parse(text);
        assert!(prices(&r).is_empty(), "{text:?} gave {:?}", described(&r));
    }
    // ...but a currency makes it a price again.
    assert_eq!(
        prices(&parse("kids toys under $30")),
        one("under $30", "price ≤ $30.00")
    );
}

#[test]
fn cheap_is_a_flag_not_a_filter() {
    let r = parse("cheap wireless headphones for running");
    assert!(r.wants_cheap());
    assert_eq!(r.price_bounds_usd(), (None, None));
    assert_eq!(r.free_text, "wireless headphones for running");
    assert_eq!(described(&r), one("cheap", "prefers inexpensive products"));
    assert!(parse("便宜的耳机").wants_cheap());
    // "cheaper than $40" is a ceiling, not a second "cheap".
    let r = parse("cheaper than $40");
    assert!(!r.wants_cheap());
    assert_eq!(r.price_bounds_usd(), (None, Some(40.0)));
}

#[test]
fn brands_with_and_without_cue_words() {
    let r = parse("headphones by Sonique under $100");
    assert_eq!(r.explicit_brands(), ["Sonique"]);
    assert_eq!(r.free_text, "headphones");
    let brand = r
        .constraints
        .iter()
        .find(|c| matches!(c.kind, ConstraintKind::Brand { .. }))
        .unwrap();
    assert_eq!(r.source_of(brand), "by Sonique");

    let r = parse("voltra brand charger");
    assert_eq!(r.explicit_brands(), ["Voltra"]);
    assert_eq!(r.free_text, "charger");

    let r = parse("sonique headphones");
    assert!(r.explicit_brands().is_empty());
    assert_eq!(described(&r), one("sonique", "mentions brand Sonique"));
    assert_eq!(r.free_text, "sonique headphones");

    // Unknown brands and brand names inside other words are not brands.
    assert!(parse("by Acme").constraints.is_empty());
    assert!(parse("sonique2000").constraints.is_empty());

    let r = parse("品牌山岚的冲锋衣");
    assert_eq!(r.explicit_brands(), ["山岚"]);
    assert_eq!(r.free_text, "冲锋衣");
}

#[test]
fn categories_and_synonyms_from_the_catalog() {
    let r = parse("ergonomic chair for home office");
    assert_eq!(described(&r), one("home office", "category: Home Office"));
    assert_eq!(r.free_text, "ergonomic chair for home office");
    let cats = |t: &str| -> Vec<String> {
        parse(t)
            .constraints
            .into_iter()
            .filter_map(|c| match c.kind {
                ConstraintKind::Category { categories, .. } => Some(categories.join("|")),
                _ => None,
            })
            .collect()
    };
    assert_eq!(cats("toys for toddlers"), ["Baby & Kids"]);
    assert_eq!(cats("a leash for my DOG"), ["Pets"]);
    assert_eq!(cats("送给女朋友的生日礼物"), ["Gifts"]);
    assert_eq!(cats("kitchen knives and pet toys"), ["Kitchen", "Pets"]);
    assert!(cats("carpets").is_empty(), "no match inside a word");

    // Hierarchical categories match by segment too.
    let mut p = Product::new("1", "Kirby cucumber");
    p.category = Some("produce > fresh vegetables".into());
    let vocab = RequestVocabulary::from_products(&[p]);
    let r = parse_request("Fresh Vegetable box", &vocab);
    match &r.constraints[..] {
        [c] => {
            assert_eq!(r.source_of(c), "Fresh Vegetable");
            assert_eq!(
                c.kind,
                ConstraintKind::Category {
                    name: "fresh vegetables".into(),
                    categories: vec!["produce > fresh vegetables".into()],
                }
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn spans_point_at_the_words_even_after_case_folding() {
    // 'İ' lower-cases to two characters; spans must still be valid for the original text.
    let r = parse("İİİ KITCHEN under $5 🎉");
    for c in &r.constraints {
        assert!(r.text.is_char_boundary(c.span.start) && r.text.is_char_boundary(c.span.end));
    }
    assert_eq!(
        described(&r),
        vec![
            ("KITCHEN".to_string(), "category: Kitchen".to_string()),
            ("under $5".to_string(), "price ≤ $5.00".to_string()),
        ]
    );
}

#[test]
fn never_panics() {
    let long = "under $100 waterproof 雨衣 🎒 ".repeat(2000); // ~50,000 characters
    let mut inputs: Vec<String> = vec![
        String::new(),
        " ".into(),
        "🎉🎉🎉 under 🎉$🎉100".into(),
        "مرحبا أريد حذاء تحت ١٠٠ دولار".into(), // Arabic, RTL, Arabic-Indic digits
        "שלום under $5".into(),
        "e\u{301}\u{302}\u{303} cafe\u{301} under 5\u{301}0 dollars".into(),
        "$$$ ¥¥ €€ 元元 -- ~~ between and under over".into(),
        "under 99999999999999999999999999 dollars".into(),
        "under 1,2,3,4 dollars between 1.2.3 and 4..5".into(),
        "\u{0}\u{feff}\u{200b}\u{202e}brand by from".into(),
        long.clone(),
        "9".repeat(50_000),
        "品牌".repeat(10_000),
    ];
    inputs
        .push(String::from_utf8_lossy(&(0..=255u8).cycle().take(5000).collect::<Vec<_>>()).into());
    for text in &inputs {
        let r = parse(text);
        for c in &r.constraints {
            assert!(
                c.span.slice(text).is_some(),
                "bad span in {:?}",
                &text[..text.len().min(40)]
            );
        }
    }
    let r = parse(&long);
    assert_eq!(r.price_bounds_usd(), (None, Some(100.0)));
    assert!(r.free_text.len() < long.len());
}
