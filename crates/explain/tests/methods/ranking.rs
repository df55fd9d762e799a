//! Ranking metrics on a hand-computed 5-item example.

use std::collections::BTreeMap;

use daogou_explain::metrics::ranking::{dcg, ndcg, precision_at_k, recall_at_k, reciprocal_rank};
use daogou_explain::metrics::{evaluate_run, Qrels};
use daogou_explain::DataError;

const QRELS: &str = "query\tproduct_id\tgrade
# q1 has five judged products
q1\tA\t3
q1\tB\t2
q1\tC\t0
q1\tD\t1
q1\tE\t2

q2\tP\t1
q3\tZ\t0
";

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

fn run(entries: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
    entries
        .iter()
        .map(|(q, ids)| (q.to_string(), ids.iter().map(|s| s.to_string()).collect()))
        .collect()
}

#[test]
fn five_item_list_by_hand() {
    // Ranked C, A, X (unjudged), D, B: grades 0, 3, 0, 1, 2 → gains 0, 7, 0, 1, 3.
    let ranked = [0.0, 3.0, 0.0, 1.0, 2.0];
    let judged = [3.0, 2.0, 0.0, 1.0, 2.0];
    // DCG@5 = 7/log₂3 + 1/log₂5 + 3/log₂6.
    let dcg5 = 7.0 / 3f64.log2() + 1.0 / 5f64.log2() + 3.0 / 6f64.log2();
    assert!(close(dcg(&ranked, 5), dcg5));
    // Ideal from all judged grades 3, 2, 2, 1, 0: 7 + 3/log₂3 + 3/2 + 1/log₂5.
    let idcg5 = 7.0 + 3.0 / 3f64.log2() + 1.5 + 1.0 / 5f64.log2();
    assert!(close(ndcg(&ranked, &judged, 5).unwrap(), dcg5 / idcg5));
    assert!(close(dcg5 / idcg5, 0.5550664967545571));
    // @3: 7/log₂3 over 7 + 3/log₂3 + 3/2.
    assert!(close(
        ndcg(&ranked, &judged, 3).unwrap(),
        0.42495889834839423
    ));
    assert_eq!(ndcg(&ranked, &[0.0, 0.0], 5), None);
    assert_eq!(reciprocal_rank(&ranked), 0.5);
    assert_eq!(reciprocal_rank(&[0.0, 0.0]), 0.0);
    // Relevant: A, B, D, E (4); in the top 3 only A, in the top 5 A, D, B.
    assert_eq!(recall_at_k(&ranked, 4, 3), Some(0.25));
    assert_eq!(recall_at_k(&ranked, 4, 5), Some(0.75));
    assert_eq!(recall_at_k(&ranked, 0, 5), None);
    assert!(close(precision_at_k(&ranked, 3), 1.0 / 3.0));
    assert!(close(precision_at_k(&ranked, 5), 0.6));
    assert!(
        close(precision_at_k(&ranked, 10), 0.3),
        "short lists are padded"
    );
}

#[test]
fn qrels_file_and_run_average_over_queries() {
    let qrels = Qrels::parse(QRELS, "qrels.tsv").unwrap();
    assert_eq!((qrels.num_queries(), qrels.len()), (3, 7));
    assert_eq!(qrels.grade("q1", "A"), Some(3.0));
    assert_eq!(qrels.grade("q1", "X"), None);

    // A repeated A counts once; q9 is not judged; q3 has no relevant product.
    let lists = run(&[
        ("q1", &["C", "A", "A", "X", "D", "B"]),
        ("q2", &["P", "Q"]),
        ("q9", &["A"]),
    ]);
    let report = evaluate_run(&qrels, &lists, 5).unwrap();
    assert_eq!(report.queries, 2);
    assert_eq!(report.unjudged_queries, ["q9"]);
    assert_eq!(report.queries_without_relevant, ["q3"]);
    let q1 = &report.per_query[0];
    assert!(close(q1.ndcg, 0.5550664967545571));
    assert_eq!(
        (q1.reciprocal_rank, q1.recall, q1.retrieved),
        (0.5, 0.75, 5)
    );
    // q2: P at rank 1 → nDCG 1, RR 1, recall 1, precision 1/5.
    assert!(close(report.ndcg, (0.5550664967545571 + 1.0) / 2.0));
    assert!(close(report.mrr, 0.75));
    assert!(close(report.recall, 0.875));
    assert!(close(report.precision, (0.6 + 0.2) / 2.0));

    // A judged query missing from the run scores 0.
    let without_q2 = run(&[("q1", &["C", "A", "X", "D", "B"])]);
    let partial = evaluate_run(&qrels, &without_q2, 5).unwrap();
    assert_eq!((partial.queries, partial.per_query[1].ndcg), (2, 0.0));
    assert!(close(partial.mrr, 0.25));
    assert!(evaluate_run(&qrels, &lists, 0).is_err());
    assert!(serde_json::to_string(&report).is_ok());
}

#[test]
fn qrels_csv_and_broken_lines_are_reported_by_line() {
    let csv = Qrels::parse("q,p1,2\nq, p2 ,0\n", "j.csv").unwrap();
    assert_eq!(csv.grade("q", "p2"), Some(0.0));

    let line_of = |text: &str| match Qrels::parse(text, "j.tsv") {
        Err(DataError::Parse { line, .. }) => line,
        other => panic!("expected a parse error, got {other:?}"),
    };
    assert_eq!(line_of("q\ta\t1\nq\tb\thigh\n"), 2, "bad grade");
    assert_eq!(line_of("q\ta\t1\n\nq\tb\n"), 3, "two fields");
    assert_eq!(line_of("q\ta\t1\nq\ta\t2\n"), 2, "repeated pair");
    assert_eq!(line_of("q\ta\t-1\n"), 1, "negative grade");
    assert!(Qrels::read("/nonexistent/qrels.tsv").is_err());
}
