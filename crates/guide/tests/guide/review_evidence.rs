//! Review evidence in recommendations: a summary of Hu & Liu's Canon G3 reviews, made by
//! the real encoder and an SST sentiment head, attached to a camera of a small catalog in
//! a store, shown with the camera when it is recommended, asked-for aspects first, and
//! quoted in the narration only when the request mentions the aspect.

use crate::support;

use daogou_catalog::reviews::{mentions, AspectOpinion, ReviewSummary};
use daogou_catalog::store::{Store, StoreError};
use daogou_catalog::{CatalogIndex, CatalogStore};
use daogou_catalog::{Price, Product};
use daogou_eval::hu_liu::read_hu_liu;
use daogou_guide::answer::Evidence;
use daogou_guide::answer::RecommendedItem;
use daogou_guide::recommend::Recommender;
use daogou_guide::reviews::{review_summary, AspectOptions};
use daogou_guide::PassageEmbedder;
use daogou_guide::{Method, RecommendOptions};
use daogou_model::SentenceEncoder;
use support::{hu_liu_file, sentiment_head};

const CAMERA: &str = "cam-g3";

fn product(id: &str, title: &str, description: &str, category: &str, usd: f64) -> Product {
    Product {
        description: description.into(),
        category: Some(category.into()),
        price: Some(Price::usd(usd)),
        ..Product::new(id, title)
    }
}

fn products() -> Vec<Product> {
    vec![
        product(
            CAMERA,
            "Canon PowerShot G3 Digital Camera",
            "4-megapixel digital camera with 4x optical zoom, a flip-out LCD screen and a \
             rechargeable battery.",
            "Electronics",
            499.0,
        ),
        product(
            "cam-compact",
            "Pocket Compact Digital Camera",
            "Slim 12-megapixel point-and-shoot camera with 5x zoom and a rechargeable battery.",
            "Electronics",
            129.0,
        ),
        product(
            "phone-1",
            "Everyday Smartphone",
            "6.1-inch phone with a dual camera and an all-day battery.",
            "Electronics",
            299.0,
        ),
        product(
            "jacket-1",
            "Summit Shell Waterproof Hiking Jacket",
            "Lightweight waterproof jacket with taped seams.",
            "Outdoor",
            89.0,
        ),
    ]
}

fn words(request: &str) -> Vec<&str> {
    request.split_whitespace().collect()
}

/// An aspect with a clear majority and a supporting sentence that the request
/// `"<aspect> on a powershot"` mentions alone, the least frequent such one (so that being
/// asked must move it ahead of more frequent aspects).
fn pick_aspect(summary: &ReviewSummary) -> (&AspectOpinion, String) {
    summary
        .aspects
        .iter()
        .rev()
        .filter(|a| a.positive != a.negative && !a.evidence.is_empty())
        .map(|a| (a, format!("{} on a powershot", a.aspect)))
        .find(|(a, request)| {
            summary
                .aspects
                .iter()
                .filter(|b| mentions(&b.aspect, &words(request)))
                .all(|b| b.aspect == a.aspect)
        })
        .unwrap_or_else(|| panic!("no aspect to ask for in {:#?}", summary.aspects))
}

fn recommend(
    catalog: &CatalogIndex,
    encoder: &SentenceEncoder,
    request: &str,
) -> Vec<RecommendedItem> {
    let options = RecommendOptions {
        k: catalog.len(),
        methods: [Method::Shap].into(),
        ..RecommendOptions::default()
    };
    Recommender::new(catalog, encoder, None)
        .recommend(request, None, &options)
        .expect("answer")
        .items
}

fn review_claims(item: &RecommendedItem) -> Vec<&Evidence> {
    item.narrative
        .claims
        .iter()
        .flat_map(|c| &c.evidence)
        .filter(|e| matches!(e, Evidence::Review { .. }))
        .collect()
}

#[test]
fn recommended_camera_carries_its_review_evidence_and_quotes_the_asked_aspect() {
    let encoder = support::encoder();
    let head = sentiment_head(&encoder);
    let file = hu_liu_file("Canon_G3.txt");
    let set = read_hu_liu(&file).expect("Canon G3 reviews");
    let options = AspectOptions {
        max_aspects: 8,
        ..AspectOptions::default()
    };
    let summary = review_summary(&set, &encoder, &head, &options).expect("summary");
    assert_eq!(summary.reviews, set.reviews.len());
    assert_eq!(summary.model_id, encoder.model_id());
    for a in &summary.aspects {
        println!("{}", a.summary);
    }

    let mut store = Store::open_in_memory().expect("store");
    store
        .upsert(&products(), &PassageEmbedder(&encoder), &mut |_| {})
        .expect("import");
    store
        .put_review_summary(CAMERA, &summary)
        .expect("attach to the camera");
    let err = store
        .put_review_summary("cam-unknown", &summary)
        .expect_err("unknown product");
    assert!(matches!(err, StoreError::UnknownProduct(ref id) if id == "cam-unknown"));
    assert!(err.to_string().contains("\"cam-unknown\""), "{err}");
    let catalog = CatalogIndex::from_store(&mut store, &PassageEmbedder(&encoder), &mut |_| {})
        .expect("catalog");

    // Asked: the aspect comes first, flagged, with the stored counts and sentence.
    let (aspect, request) = pick_aspect(&summary);
    println!("request: {request}");
    let items = recommend(&catalog, &encoder, &request);
    assert_eq!(items.len(), products().len());
    let camera = items
        .iter()
        .find(|i| i.product.id == CAMERA)
        .expect("the camera is recommended");
    let evidence = camera.reviews.as_ref().expect("the camera has reviews");
    assert_eq!(evidence.reviews, set.reviews.len());
    assert_eq!(evidence.aspects.len(), summary.aspects.len().min(3));
    let first = &evidence.aspects[0];
    assert!(first.asked);
    assert!(evidence.aspects[1..].iter().all(|a| !a.asked));
    let shown = &first.opinion;
    assert_eq!(shown.aspect, aspect.aspect);
    assert_eq!(
        (
            shown.reviews,
            shown.positive,
            shown.negative,
            &shown.summary
        ),
        (
            aspect.reviews,
            aspect.positive,
            aspect.negative,
            &aspect.summary
        )
    );
    assert_eq!(shown.evidence.len(), 1);
    assert_eq!(shown.evidence[0], aspect.evidence[0]);
    // The unasked aspects follow in the summary's order (most frequent first).
    let rest: Vec<&str> = evidence.aspects[1..]
        .iter()
        .map(|a| a.opinion.aspect.as_str())
        .collect();
    let expected: Vec<&str> = summary
        .aspects
        .iter()
        .map(|a| a.aspect.as_str())
        .filter(|a| *a != aspect.aspect)
        .take(rest.len())
        .collect();
    assert_eq!(rest, expected);

    // The narration quotes the stored sentence verbatim, with the stored counts.
    let sentence = &shown.evidence[0].text;
    let file_text = std::fs::read_to_string(&file).expect("read");
    assert!(file_text.contains(sentence.as_str()), "{sentence}");
    let (polarity, majority) = if aspect.positive > aspect.negative {
        ("positive", aspect.positive)
    } else {
        ("negative", aspect.negative)
    };
    let clause = format!(
        "reviewers are {polarity} about {} ({majority} of {} reviews): “{sentence}”",
        aspect.aspect, aspect.reviews
    );
    println!("{}", camera.narrative.sentence);
    assert!(
        camera.narrative.sentence.contains(&clause),
        "{}",
        camera.narrative.sentence
    );
    assert_eq!(
        review_claims(camera),
        [&Evidence::Review {
            aspect: aspect.aspect.clone(),
            polarity: polarity.into(),
            positive: aspect.positive,
            negative: aspect.negative,
            reviews: aspect.reviews,
            sentence: Some(sentence.clone()),
        }]
    );
    let json = serde_json::to_value(camera).expect("json");
    assert_eq!(json["reviews"]["aspects"][0]["asked"], true);
    assert_eq!(
        json["reviews"]["aspects"][0]["aspect"],
        aspect.aspect.as_str()
    );

    // Products without a summary have no review evidence, and no such field in JSON.
    for item in items.iter().filter(|i| i.product.id != CAMERA) {
        assert!(item.reviews.is_none(), "{}", item.product.id);
        assert!(review_claims(item).is_empty());
        let json = serde_json::to_value(item).expect("json");
        assert!(json.get("reviews").is_none());
    }

    // Not asked: the evidence stays in the structured field, out of the sentence.
    let plain = [
        "compact digital camera",
        "a gift for a photographer",
        "something for holiday snapshots",
    ]
    .into_iter()
    .find(|r| {
        summary
            .aspects
            .iter()
            .all(|a| !mentions(&a.aspect, &words(r)))
    })
    .expect("a request that mentions no aspect");
    let items = recommend(&catalog, &encoder, plain);
    let camera = items
        .iter()
        .find(|i| i.product.id == CAMERA)
        .expect("camera");
    let evidence = camera.reviews.as_ref().expect("reviews");
    assert!(evidence.aspects.iter().all(|a| !a.asked));
    assert_eq!(
        evidence.aspects[0].opinion.aspect,
        summary.aspects[0].aspect
    );
    assert!(review_claims(camera).is_empty());
    assert!(!camera.narrative.sentence.contains("reviewers"));
}
