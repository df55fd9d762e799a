//! The report's numbers as tables, shared by the terminal summary and the HTML page.

use daogou_eval::chinese::{AspectLabelReport, SceneAccuracy, ASPECT_DEVELOPMENT};
use daogou_eval::{
    EvalReport, Method, PlausibilityReport, RankingComparison, TaskReport, CUTOFF, RANDOM,
    RECALL_DEPTH, TOP_K,
};
use daogou_explain::metrics::{CostSummary, Interval, MeanStd};
use daogou_model::HeadMetrics;
use daogou_render::Table;

/// Three decimals.
pub fn num(v: f64) -> String {
    format!("{v:.3}")
}

fn opt(v: Option<f64>) -> String {
    v.map_or_else(|| "–".to_string(), num)
}

/// Mean, with the standard deviation when `detailed`.
fn stat(m: Option<&MeanStd>, detailed: bool) -> String {
    match m {
        Some(m) if detailed => format!("{:.3}\u{a0}±\u{a0}{:.3}", m.mean, m.std),
        Some(m) => num(m.mean),
        None => "–".to_string(),
    }
}

/// Faithfulness per method, the random baseline last.
pub fn faithfulness(task: &TaskReport, detailed: bool) -> Table {
    let mut table = Table::new([
        "method",
        "compr. AOPC ↑",
        "suff. AOPC ↓",
        "deletion AUC ↓",
        "insertion AUC ↑",
        "τ-b vs LOO ↑",
        "compr. > random",
    ]);
    for f in &task.faithfulness {
        let beats = if f.method == RANDOM {
            "–".to_string()
        } else {
            format!("{}/{}", f.beats_random, f.instances)
        };
        table = table.row([
            f.method.clone(),
            stat(Some(&f.comprehensiveness_aopc), detailed),
            stat(Some(&f.sufficiency_aopc), detailed),
            stat(Some(&f.deletion_auc), detailed),
            stat(Some(&f.insertion_auc), detailed),
            stat(f.loo_kendall_tau_b.as_ref(), detailed),
            beats,
        ]);
    }
    table
}

/// Comprehensiveness and sufficiency per ERASER bin.
pub fn bins(task: &TaskReport) -> Table {
    let percents = task
        .faithfulness
        .first()
        .map(|f| f.bins_percent.clone())
        .unwrap_or_default();
    let headers = std::iter::once("method".to_string())
        .chain(percents.iter().map(|p| format!("compr. {p}%")))
        .chain(percents.iter().map(|p| format!("suff. {p}%")));
    let mut table = Table::new(headers);
    for f in &task.faithfulness {
        let cells = std::iter::once(f.method.clone())
            .chain(f.comprehensiveness.iter().map(|&v| num(v)))
            .chain(f.sufficiency.iter().map(|&v| num(v)));
        table = table.row(cells);
    }
    table
}

/// Agreement with exact Shapley values, stability across seeds and sensitivity to a
/// synonym, per method.
pub fn agreement(task: &TaskReport, detailed: bool) -> Table {
    let mut table = Table::new([
        "method".to_string(),
        "ρ vs exact".to_string(),
        "τ-b vs exact".to_string(),
        format!("top-{TOP_K} overlap"),
        "stability ρ (seeds)".to_string(),
        "synonym ρ".to_string(),
    ]);
    for method in Method::EVALUATED {
        let name = method.name();
        let agreement = task.agreement.iter().find(|a| a.method == name);
        let stability = task.stability.iter().find(|s| s.method == name);
        let sensitivity = task.sensitivity.iter().find(|s| s.method == name);
        table = table.row([
            name.to_string(),
            stat(agreement.and_then(|a| a.spearman.as_ref()), detailed),
            stat(agreement.and_then(|a| a.kendall_tau_b.as_ref()), detailed),
            stat(agreement.and_then(|a| a.top_k_overlap.as_ref()), detailed),
            stat(stability.and_then(|s| s.spearman.as_ref()), detailed),
            stat(sensitivity.and_then(|s| s.spearman.as_ref()), detailed),
        ]);
    }
    table
}

/// Model evaluations and wall time of one explanation, per method.
pub fn cost(costs: &[CostSummary]) -> Table {
    let mut table = Table::new([
        "method",
        "evaluations / explanation",
        "ms / explanation",
        "max ms",
        "explanations",
    ]);
    for c in costs {
        table = table.row([
            c.method.clone(),
            format!("{:.1}", c.model_evals_per_explanation),
            format!("{:.1}", c.wall_time_ms_per_explanation),
            format!("{:.1}", c.wall_time_ms.max),
            c.explanations.to_string(),
        ]);
    }
    table
}

/// Comprehensiveness AOPC of every method on every instance.
pub fn instances(task: &TaskReport) -> Table {
    let headers = ["text", "explained", "words", "f(x)"]
        .into_iter()
        .map(str::to_string)
        .chain(Method::EVALUATED.iter().map(|m| m.name().to_string()))
        .chain([RANDOM.to_string()]);
    let mut table = Table::new(headers);
    for i in &task.instances {
        let cells = [
            i.text.clone(),
            i.explained.clone(),
            i.words.len().to_string(),
            num(i.full_value),
        ]
        .into_iter()
        .chain(
            i.methods
                .iter()
                .map(|m| num(m.faithfulness.comprehensiveness_aopc)),
        )
        .chain([num(i.random.comprehensiveness_aopc)]);
        table = table.row(cells);
    }
    table
}

/// The sentiment head's accuracy.
pub fn head(report: &EvalReport) -> Table {
    let sst = report.head.as_ref().and_then(|h| h.sst_test.as_ref());
    let eraser = report.plausibility.as_ref().map(|p| &p.accuracy);
    let rows: [(&str, Option<&HeadMetrics>); 2] = [
        ("SST test (binary)", sst),
        ("ERASER movies test (cut reviews)", eraser),
    ];
    let mut table = Table::new(["data", "examples", "accuracy", "macro F1"]);
    for (name, m) in rows {
        if let Some(m) = m {
            table = table.row([
                name.to_string(),
                m.examples.to_string(),
                num(m.accuracy),
                num(m.macro_f1),
            ]);
        }
    }
    table
}

/// Token F1, IOU F1 and AUPRC per method.
pub fn plausibility(p: &PlausibilityReport) -> Table {
    let mut table = Table::new([
        "method",
        "token F1 (macro)",
        "token F1 (micro)",
        "IOU F1 (macro)",
        "AUPRC",
    ]);
    for m in &p.methods {
        let s = &m.summary;
        table = table.row([
            m.method.clone(),
            num(s.token_f1.macro_avg.f1),
            num(s.token_f1.micro.f1),
            num(s.iou_f1.macro_avg.f1),
            opt(s.auprc),
        ]);
    }
    table
}

/// A mean and its 95% interval.
fn interval(i: &Interval) -> String {
    format!("{:.3} [{:.3}, {:.3}]", i.mean, i.low, i.high)
}

/// nDCG, condensed nDCG, MRR, recall and precision per ranker, with 95% intervals.
pub fn ranking(r: &RankingComparison) -> Table {
    let mut table = Table::new([
        "ranker".to_string(),
        format!("nDCG@{CUTOFF}"),
        format!("condensed nDCG@{CUTOFF}"),
        "MRR".to_string(),
        format!("recall@{RECALL_DEPTH}"),
        format!("P@{CUTOFF}"),
        "queries".to_string(),
    ]);
    for ranker in &r.rankers {
        let (m, i) = (&ranker.report, &ranker.intervals);
        table = table.row([
            ranker.ranker.clone(),
            interval(&i.ndcg),
            interval(&i.condensed_ndcg),
            interval(&i.mrr),
            interval(&i.recall_at_depth),
            num(m.precision),
            m.queries.to_string(),
        ]);
    }
    table
}

/// The first ranker minus each baseline, query by query: mean difference, 95% interval,
/// p-value.
pub fn ranking_paired(r: &RankingComparison) -> Table {
    let first = r.rankers.first().map_or("first", |k| k.ranker.as_str());
    let mut table = Table::new([
        format!("{first} vs"),
        format!("Δ nDCG@{CUTOFF}"),
        "p".to_string(),
        format!("Δ condensed nDCG@{CUTOFF}"),
        "p".to_string(),
    ]);
    for p in &r.paired {
        table = table.row([
            p.baseline.clone(),
            interval(&p.ndcg.difference),
            format!("{:.4}", p.ndcg.p_value),
            interval(&p.condensed_ndcg.difference),
            format!("{:.4}", p.condensed_ndcg.p_value),
        ]);
    }
    table
}

/// nDCG of every query under every ranker.
pub fn ranking_per_query(r: &RankingComparison) -> Table {
    let headers = std::iter::once("query".to_string()).chain(
        r.rankers
            .iter()
            .map(|k| format!("{} nDCG@{CUTOFF}", k.ranker)),
    );
    let mut table = Table::new(headers);
    let Some(first) = r.rankers.first() else {
        return table;
    };
    for q in &first.report.per_query {
        let cells = std::iter::once(q.query.clone()).chain(r.rankers.iter().map(|k| {
            let metrics = k.report.per_query.iter().find(|m| m.query == q.query);
            opt(metrics.map(|m| m.ndcg))
        }));
        table = table.row(cells);
    }
    table
}

/// Scene accuracy on the labelled Chinese requests, overall and per label.
pub fn scenes(a: &SceneAccuracy) -> Table {
    let mut table = Table::new(["label", "requests", "correct", "accuracy"]);
    let rows = a
        .per_label
        .iter()
        .map(|(label, &(n, correct))| (label.as_str(), n, correct))
        .chain(std::iter::once(("all", a.requests, a.correct)));
    for (label, n, correct) in rows {
        table = table.row([
            label.to_string(),
            n.to_string(),
            correct.to_string(),
            num(correct as f64 / n.max(1) as f64),
        ]);
    }
    table
}

/// Aspect extraction on the labelled Chinese review sentences.
pub fn aspects(a: &AspectLabelReport) -> Table {
    let mut table = Table::new([
        "sentences",
        "labelled",
        "predicted",
        "correct",
        "precision",
        "recall",
        "F1",
    ]);
    let development = format!("development ({})", ASPECT_DEVELOPMENT.join(" "));
    for (name, counts, scores) in [
        ("all", &a.all, &a.scores[0]),
        (development.as_str(), &a.development, &a.scores[1]),
        ("test (the other categories)", &a.test, &a.scores[2]),
    ] {
        table = table.row([
            format!("{} {name}", counts.sentences),
            counts.labelled.to_string(),
            counts.predicted.to_string(),
            counts.hits.to_string(),
            num(scores.precision),
            num(scores.recall),
            num(scores.f1),
        ]);
    }
    table
}
