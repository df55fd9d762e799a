//! Shopper profiles (from a history file and from real Instacart orders) and scene
//! recognition, with their explanations.

use crate::support;
use daogou_guide::answer::ComponentName;

use std::io::Cursor;

use daogou_catalog::read_history;
use daogou_eval::instacart::instacart_histories;
use daogou_guide::{Method, RecommendOptions};
use support::guide;

const HISTORY: &str = r#"{"timestamp": "2026-10-01", "kind": "bought", "product_id": "bab-006"}
{"timestamp": "2026-10-20T09:30:00Z", "kind": "viewed", "product_id": "bab-012"}
{"timestamp": 1793000000, "event": "searched", "query": "baby bath"}
not json at all
{"timestamp": "2026-11-01", "kind": "reviewed", "product_id": "bab-018", "rating": 5}
{"timestamp": "2026-11-02", "kind": "bought", "product_id": "no-such-product"}
{"timestamp": "2026-11-03", "kind": "carted"}
{"timestamp": "2026-11-04", "kind": "reviewed", "product_id": "out-001", "rating": 1}
"#;

#[test]
fn history_builds_a_profile_and_reports_broken_lines() {
    let (events, issues) = read_history(Cursor::new(HISTORY));
    assert_eq!(events.len(), 6);
    let lines: Vec<usize> = issues.iter().map(|i| i.line).collect();
    assert_eq!(lines, [4, 7], "{issues:?}");
    assert!(issues[1].reason.contains("product_id"));

    let profile = guide().profile(&events).expect("profile");
    assert_eq!(profile.unknown_products, ["no-such-product"]);
    assert_eq!(profile.items.len(), 5);
    assert_eq!(profile.categories[0].name, "Baby & Kids");
    assert!((profile.categories.iter().map(|c| c.share).sum::<f64>() - 1.0).abs() < 1e-9);
    // The 1-star review pushes away: negative weight.
    let review = profile
        .items
        .iter()
        .find(|i| i.product_id.as_deref() == Some("out-001"))
        .expect("review");
    assert!(review.weight < 0.0);
    let band = profile.price_band.expect("band");
    assert!(band.low <= band.median && band.median <= band.high);
}

#[test]
fn profile_personalises_and_its_effect_is_explained_per_event() {
    let (events, _) = read_history(Cursor::new(HISTORY));
    let options = RecommendOptions {
        k: 20,
        methods: [Method::Shap].into_iter().collect(),
        ..RecommendOptions::default()
    };
    let request = "something for bath time";
    let plain = guide().recommend(request, None, &options).expect("plain");
    let personal = guide()
        .recommend(request, Some(&events), &options)
        .expect("personal");
    let baby = |r: &daogou_guide::Recommendations| {
        r.items
            .iter()
            .filter(|i| i.product.category.as_deref() == Some("Baby & Kids"))
            .count()
    };
    assert!(
        baby(&personal) > baby(&plain),
        "the baby-product history lifts baby products"
    );
    assert!(personal.notices.iter().any(|n| n.contains("does not have")));
    let profile = guide().profile(&events).expect("profile");
    for item in &personal.items {
        let component = item
            .components
            .iter()
            .find(|c| c.name == ComponentName::Profile)
            .expect("profile component");
        let e = item
            .profile_explanation
            .as_ref()
            .expect("history attribution");
        assert_eq!(e.values.len(), profile.items.len());
        // Exact Shapley over events: they sum to the affinity (the empty profile scores 0).
        let sum: f64 = e.values.iter().sum();
        assert!(
            (sum - component.value).abs() < 1e-6,
            "{sum} vs {}",
            component.value
        );
    }
}

#[test]
fn instacart_orders_become_histories() {
    let dir = std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/instacart"
    ));
    let orders = std::fs::File::open(dir.join("orders.csv"))
        .expect("shared/data/instacart/orders.csv is required");
    let lines = std::fs::File::open(dir.join("order_products__prior.csv"))
        .expect("order_products__prior.csv");
    let histories = instacart_histories(orders, lines).expect("histories");
    // The sample has 3,220 orders of 3,159 users and 32,290 prior order lines, of which
    // 30,121 belong to orders in orders.csv (counted with Python's csv module).
    assert!(histories.len() > 100, "{} users", histories.len());
    let total: usize = histories.values().map(Vec::len).sum();
    assert_eq!(total, 30_121, "one event per order line of a known order");
    for events in histories.values() {
        assert!(events.windows(2).all(|w| w[0].timestamp <= w[1].timestamp));
    }
}

#[test]
fn scenes_are_recognised_calibrated_and_explained() {
    let cases = [
        ("a birthday present for my sister", Some("gift")),
        (
            "tent and sleeping bag for the mountains",
            Some("outdoor_travel"),
        ),
        (
            "monitor and keyboard for working from home",
            Some("home_office"),
        ),
        ("formula and nappies for my newborn", Some("baby_kids")),
        ("usb c cable", None),
    ];
    for (request, expected) in cases {
        let result = guide().scene(request, false, 0).expect(request);
        assert_eq!(
            result.scene.as_ref().map(|s| s.id.as_str()),
            expected,
            "{request}: {result:?}"
        );
        let total: f64 =
            result.ranking.iter().map(|s| s.probability).sum::<f64>() + result.none_probability;
        assert!((total - 1.0).abs() < 1e-9);
    }
    let explained = guide()
        .scene("a birthday present for my sister", true, 0)
        .expect("explained");
    let e = explained.explanation.expect("explanation");
    let best = e.sorted_indices()[0];
    assert!(
        ["birthday", "present"].contains(&e.feature_names[best].as_str()),
        "{e:?}"
    );
    assert!(e.efficiency_gap().expect("gap") < 1e-9);

    // The shipped calibration is the one `calibrate` fits, and it is useful.
    let report = guide()
        .scenes()
        .calibrate(guide().encoder())
        .expect("calibrate");
    let config = guide().scenes().config();
    let shipped = config.calibration_by_model[guide().encoder().model_id()];
    assert!((report.calibration.temperature - shipped.temperature).abs() < 0.011);
    assert!((report.calibration.none_score - shipped.none_score).abs() < 0.021);
    // MiniLM reads English only: its accuracy on the English examples is what counts.
    let english = report
        .by_language
        .iter()
        .find(|l| l.language == daogou_guide::Language::English)
        .expect("English examples");
    assert!(
        english.accuracy > 0.65,
        "leave-one-out accuracy {} on {} English examples",
        english.accuracy,
        english.examples
    );
}
