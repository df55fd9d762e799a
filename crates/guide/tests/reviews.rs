//! Review evidence on Hu & Liu's annotated reviews: mined aspects against the human labels,
//! and aspect opinions with attributed evidence from an SST sentiment head.

mod support;

use std::path::PathBuf;

use daogou_guide::datasets::read_sst;
use daogou_guide::reviews::{
    aspect_scores, extract_aspects, read_hu_liu, summarize, AspectOptions,
};
use daogou_model::{ClassifierHead, TrainOptions};

fn hu_liu_files() -> Vec<PathBuf> {
    let root = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/hu-liu-reviews"
    ));
    let mut files: Vec<PathBuf> = ["product_reviews_1", "product_reviews_2"]
        .iter()
        .flat_map(|d| {
            std::fs::read_dir(root.join(d))
                .unwrap_or_else(|e| panic!("{} is required: {e}", root.display()))
        })
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "txt") && !p.ends_with("README.txt"))
        .collect();
    files.sort();
    files
}

#[test]
fn mined_aspects_match_the_human_labels() {
    let files = hu_liu_files();
    assert_eq!(files.len(), 14);
    let (mut precision, mut recall) = (0.0, 0.0);
    for file in &files {
        let set = read_hu_liu(file).expect("read");
        let texts: Vec<&str> = set.sentences().map(|(_, s)| s.text.as_str()).collect();
        let mined: Vec<String> = extract_aspects(&texts, &AspectOptions::default())
            .into_iter()
            .map(|c| c.aspect)
            .collect();
        // Frequent features, as Hu & Liu's method targets: labelled in at least 3 sentences.
        let gold = set.gold_aspects(3);
        let s = aspect_scores(&mined, &gold);
        println!(
            "{:<50} mined {:>3} gold {:>3} P {:.2} R {:.2}",
            set.product,
            mined.len(),
            gold.len(),
            s.precision,
            s.recall
        );
        precision += s.precision;
        recall += s.recall;
    }
    let n = files.len() as f64;
    println!(
        "mean precision {:.3}, mean recall {:.3}",
        precision / n,
        recall / n
    );
    assert!(
        precision / n > 0.4 && recall / n > 0.45,
        "P {} R {}",
        precision / n,
        recall / n
    );
}

#[test]
fn aspect_opinions_come_with_attributed_evidence() {
    let encoder = support::encoder();
    let sst = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/sst/train_official.txt"
    ));
    let train: Vec<_> = read_sst(&sst)
        .expect("SST is required")
        .examples
        .into_iter()
        .step_by(4)
        .collect();
    let texts: Vec<&str> = train.iter().map(|e| e.text.as_str()).collect();
    let x = encoder.embed(&texts).expect("embed");
    let y: Vec<usize> = train
        .iter()
        .map(|e| usize::from(e.label == "positive"))
        .collect();
    let head = ClassifierHead::train(
        &x,
        &y,
        vec!["negative".into(), "positive".into()],
        encoder.model_id(),
        TrainOptions::default(),
    )
    .expect("train");

    let file = hu_liu_files()
        .into_iter()
        .find(|f| f.ends_with("Nokia_6610.txt"))
        .expect("Nokia 6610");
    let set = read_hu_liu(&file).expect("read");
    let options = AspectOptions {
        max_aspects: 5,
        ..AspectOptions::default()
    };
    let opinions = summarize(&set, &encoder, &head, &options).expect("summary");
    assert_eq!(opinions.len(), 5);
    for o in &opinions {
        println!("{}", o.summary);
        assert!(o.positive + o.negative <= o.reviews && o.reviews > 0);
        assert!(o.summary.starts_with(&o.aspect));
        assert!(!o.evidence.is_empty() && o.evidence.len() <= 2);
        for e in &o.evidence {
            assert!(e
                .text
                .to_lowercase()
                .contains(o.aspect.split(' ').next().unwrap_or_default()));
            assert!(
                e.confidence >= 0.5,
                "evidence agrees with the majority: {e:?}"
            );
            println!("    {:+.3}  {}", e.support, e.text);
        }
        // Evidence is ordered by attributed support.
        assert!(o.evidence.windows(2).all(|w| w[0].support >= w[1].support));
    }
    // The phone's labelled opinions are mostly positive, and so is the summary of "phone".
    let phone = opinions
        .iter()
        .find(|o| o.aspect == "phone")
        .expect("phone is the top aspect");
    assert!(phone.positive > phone.negative, "{}", phone.summary);
}
