//! The ERASER reader on the real movies test split and on broken files.

use std::path::{Path, PathBuf};

use daogou_explain::eraser::{read_split, tokenize_document};
use daogou_explain::DataError;

const MOVIES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/eraser-movies"
);

fn movies_dir() -> &'static Path {
    let dir = Path::new(MOVIES);
    assert!(
        dir.join("test.jsonl").is_file() && dir.join("docs").is_dir(),
        "ERASER movies data not found at {MOVIES} (expected test.jsonl and docs/)"
    );
    dir
}

#[test]
fn movies_test_split_reads_as_published() {
    let examples = read_split(movies_dir(), "test").unwrap_or_else(|e| panic!("{e}"));
    // Counted independently with Python (json + str.split(' ') over stripped lines):
    // 200 annotations (100 POS, 100 NEG), 2727 evidence spans, 158946 tokens of which
    // 44832 lie in a rationale; every evidence `text` equals its token slice.
    assert_eq!(examples.len(), 200);
    assert_eq!(examples.iter().filter(|e| e.label == "POS").count(), 100);
    assert_eq!(examples.iter().filter(|e| e.label == "NEG").count(), 100);
    let sum = |f: fn(&daogou_explain::eraser::RationaleExample) -> usize| {
        examples.iter().map(f).sum::<usize>()
    };
    assert_eq!(sum(|e| e.evidences.len()), 2727);
    assert_eq!(sum(|e| e.tokens.len()), 158_946);
    assert_eq!(sum(|e| e.rationale.iter().filter(|&&r| r).count()), 44_832);

    let first = &examples[0];
    assert_eq!(first.annotation_id, "negR_900.txt");
    assert_eq!(first.doc_id, "negR_900.txt");
    assert_eq!((first.tokens.len(), first.evidences.len()), (616, 10));
    assert_eq!(first.rationale.iter().filter(|&&r| r).count(), 144);
    assert_eq!(
        first.evidences[0].text,
        "the gunfire and special effects are taken a bit too seriously ."
    );
    assert_eq!(
        (first.evidences[0].span.start, first.evidences[0].span.end),
        (407, 419)
    );

    for example in examples.iter().step_by(20) {
        assert_eq!(example.rationale.len(), example.tokens.len());
        for ev in &example.evidences {
            let slice = example.tokens[ev.span.start..ev.span.end].join(" ");
            assert_eq!(slice, ev.text, "{} {:?}", example.annotation_id, ev.span);
        }
    }
}

/// A scratch directory removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str, jsonl: &str, docs: &[(&str, &str)]) -> Self {
        let dir = std::env::temp_dir().join(format!("daogou-eraser-{name}-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("docs")).unwrap();
        std::fs::write(dir.join("test.jsonl"), jsonl).unwrap();
        for (id, text) in docs {
            std::fs::write(dir.join("docs").join(id), text).unwrap();
        }
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const GOOD: &str = r#"{"annotation_id": "d1", "classification": "POS", "evidences": [[{"docid": "d1", "start_token": 1, "end_token": 3, "text": "b c"}]]}"#;

#[test]
fn broken_lines_are_reported_with_their_number() {
    let docs = [("d1", "a  b\n\n c d \n")];
    assert_eq!(tokenize_document(docs[0].1), ["a", "b", "c", "d"]);

    let ok = Scratch::new("ok", &format!("{GOOD}\n\n"), &docs);
    let examples = read_split(&ok.0, "test").unwrap();
    assert_eq!(examples[0].rationale, [false, true, true, false]);

    let cases = [
        ("json", format!("{GOOD}\n{{\"annotation_id\": \n"), 2),
        (
            "range",
            format!(
                "\n{}\n",
                GOOD.replace("\"end_token\": 3", "\"end_token\": 9")
            ),
            2,
        ),
        (
            "multi",
            GOOD.replace(
                "[[{",
                "[[{\"docid\": \"d2\", \"start_token\": 0, \"end_token\": 1, \"text\": \"a\"}, {",
            ),
            1,
        ),
        (
            "path",
            GOOD.replace("\"docid\": \"d1\"", "\"docid\": \"../d1\""),
            1,
        ),
    ];
    for (name, jsonl, expected_line) in cases {
        let scratch = Scratch::new(name, &jsonl, &docs);
        match read_split(&scratch.0, "test") {
            Err(DataError::Parse { line, .. }) => assert_eq!(line, expected_line, "{name}"),
            other => panic!("{name}: expected a parse error, got {other:?}"),
        }
    }
    let missing_doc = Scratch::new("missing", GOOD, &[]);
    assert!(matches!(
        read_split(&missing_doc.0, "test"),
        Err(DataError::Io { .. })
    ));
    assert!(matches!(
        read_split(&ok.0, "train"),
        Err(DataError::Io { .. })
    ));
}
