//! Review evidence on Hu & Liu's annotated reviews: mined aspects against the human labels,
//! and aspect opinions with attributed evidence from an SST sentiment head.

use crate::support;

use daogou_eval::hu_liu::{aspect_scores, read_hu_liu, read_reviews};
use daogou_guide::reviews::{extract_aspects, summarize, AspectOptions};
use support::{hu_liu_file, hu_liu_files, sentiment_head};

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
    let head = sentiment_head(&encoder);
    let file = hu_liu_file("Nokia_6610.txt");
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

#[test]
fn empty_or_non_utf8_review_files_are_refused_with_the_reason() {
    let dir = tempfile::tempdir().expect("temp dir");
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).expect("write");
        path
    };
    let empty = write("empty.txt", b"");
    let blank = write("blank.txt", b"\n  \n\t\n");
    let latin1 = write("latin1.txt", b"great camera\nthe lens is tr\xe8s bien\n");
    let header_only = write("header.txt", b"* Product name: Canon G3\n[t]a title\n");
    for path in [&empty, &blank] {
        let err = read_reviews(path).expect_err("no reviews").to_string();
        assert!(err.contains("holds no reviews"), "{err}");
        assert!(err.contains(&path.display().to_string()), "{err}");
    }
    let err = read_reviews(&latin1).expect_err("not UTF-8").to_string();
    assert!(
        err.contains("not UTF-8") && err.contains("offset 27"),
        "{err}"
    );
    let err = read_hu_liu(&latin1).expect_err("not UTF-8").to_string();
    assert!(err.contains("not UTF-8"), "{err}");
    let err = read_hu_liu(&header_only)
        .expect_err("no sentences")
        .to_string();
    assert!(err.contains("no review sentences"), "{err}");

    // Plain text: one review per line, split into sentences; Hu & Liu files by their `##`.
    let plain = write(
        "My_Camera.txt",
        "Great zoom. The battery died!\n\nLove the lens 好\n".as_bytes(),
    );
    let set = read_reviews(&plain).expect("plain reviews");
    assert_eq!(set.product, "My Camera");
    assert_eq!(set.reviews.len(), 2);
    assert_eq!(set.reviews[0].sentences.len(), 2);
    let g3 = read_reviews(&hu_liu_file("Canon_G3.txt")).expect("Hu & Liu");
    assert_eq!(
        g3.sentences().count(),
        read_hu_liu(&hu_liu_file("Canon_G3.txt"))
            .expect("read")
            .sentences()
            .count()
    );
    assert!(g3.sentences().any(|(_, s)| !s.gold.is_empty()));
}
