//! The compact summary printed to stdout.

use std::fmt::Write;

use daogou_eval::{EvalReport, RankingComparison, TaskReport};
use daogou_render::Table;

use super::tables;

/// Every section's main table as aligned text.
pub fn text(report: &EvalReport) -> String {
    let mut out = format!(
        "daogou eval: {}; {}; {:.0} s\n",
        report.model, report.removal, report.wall_time_s
    );
    for task in [&report.recommendation, &report.sentiment]
        .into_iter()
        .flatten()
    {
        task_text(&mut out, task);
    }
    if let Some(head) = &report.head {
        section(&mut out, &format!("Sentiment head: {}", head.source));
        out.push_str(&render(&tables::head(report)));
    }
    if let Some(p) = &report.plausibility {
        let words = p.words.map_or(0.0, |w| w.mean);
        section(
            &mut out,
            &format!(
                "Plausibility vs ERASER rationales: {} reviews cut to {} tokens \
                 ({words:.0} words on average)",
                p.documents.len(),
                p.max_tokens
            ),
        );
        out.push_str(&render(&tables::plausibility(p)));
        section(&mut out, "Cost per document explanation");
        out.push_str(&render(&tables::cost(&p.cost)));
    }
    if let Some(r) = &report.ranking {
        section(
            &mut out,
            &format!("Ranking quality: {} queries, {}", r.queries, r.qrels),
        );
        out.push_str(&ranking_text(r));
    }
    if let Some(c) = &report.chinese {
        section(
            &mut out,
            &format!(
                "Chinese ranking: {} queries, {}",
                c.ranking.queries, c.ranking.qrels
            ),
        );
        out.push_str(&ranking_text(&c.ranking));
        section(
            &mut out,
            &format!("Chinese scenes: {} labelled requests", c.scenes.requests),
        );
        out.push_str(&render(&tables::scenes(&c.scenes)));
        if let Some(a) = &c.aspects {
            section(&mut out, "Chinese review aspects: labelled sentences");
            out.push_str(&render(&tables::aspects(a)));
        }
    }
    for note in &report.notes {
        let _ = writeln!(out, "note: {note}");
    }
    out
}

/// The rankers' table and hybrid's paired comparisons with the others.
pub fn ranking_text(r: &RankingComparison) -> String {
    let mut out = render(&tables::ranking(r));
    out.push('\n');
    out.push_str(&render(&tables::ranking_paired(r)));
    out
}

fn task_text(out: &mut String, task: &TaskReport) {
    section(
        out,
        &format!(
            "Faithfulness, {} task: {} texts, {} ({:.0} s)",
            task.name,
            task.instances.len(),
            task.description,
            task.wall_time_s
        ),
    );
    out.push_str(&render(&tables::faithfulness(task, false)));
    section(
        out,
        &format!("Agreement, stability, sensitivity, {} task", task.name),
    );
    out.push_str(&render(&tables::agreement(task, false)));
    section(out, &format!("Cost per explanation, {} task", task.name));
    out.push_str(&render(&tables::cost(&task.cost)));
}

fn section(out: &mut String, title: &str) {
    let _ = writeln!(out, "\n{title}");
}

/// Columns padded to their widest cell; the first left-aligned, the rest right-aligned.
fn render(table: &Table) -> String {
    let columns = table.headers.len();
    let cell = |row: &[String], c: usize| row.get(c).cloned().unwrap_or_default();
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            std::iter::once(&table.headers)
                .chain(&table.rows)
                .map(|row| cell(row, c).chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |row: &[String]| {
        let cells: Vec<String> = widths
            .iter()
            .enumerate()
            .map(|(c, &w)| {
                let text = cell(row, c);
                let pad = " ".repeat(w.saturating_sub(text.chars().count()));
                if c == 0 {
                    format!("{text}{pad}")
                } else {
                    format!("{pad}{text}")
                }
            })
            .collect();
        format!("  {}\n", cells.join("  ").trim_end())
    };
    std::iter::once(&table.headers)
        .chain(&table.rows)
        .map(|row| line(row))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_aligned() {
        let table = Table::new(["method", "value"])
            .row(["exact", "0.5"])
            .row(["random_long", "12.25"]);
        assert_eq!(
            render(&table),
            "  method       value\n  exact          0.5\n  random_long  12.25\n"
        );
    }
}
