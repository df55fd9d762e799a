//! The standalone HTML report: a table per section, deletion and insertion curves of
//! every method beside the random baseline, and bars of the headline numbers.

use anyhow::Result;
use daogou_eval::{EvalReport, EvalSettings, TaskReport, CUTOFF, RANDOM, TOP_K};
use daogou_render::{AttributionBars, HtmlPage, LineChart, Section};

use super::tables;

/// The report as one self-contained page.
pub fn page(report: &EvalReport) -> Result<HtmlPage> {
    let mut page = HtmlPage::new("daogou: evaluation of the explanations")
        .paragraph(format!(
            "Model {}. Removal operator: {}. Total wall time {:.0} s.",
            report.model, report.removal, report.wall_time_s
        ))
        .paragraph(settings_text(&report.settings));
    for task in [&report.recommendation, &report.sentiment]
        .into_iter()
        .flatten()
    {
        page = page
            .section(faithfulness_section(task)?)
            .section(agreement_section(task, &report.settings))
            .section(
                Section::new(format!("Cost: {} task", task.name))
                    .paragraph(
                        "Model evaluations and wall time of one explanation, each method run \
                         on its own without cached embeddings (attention: one forward pass; \
                         Integrated Gradients: gradient evaluations).",
                    )
                    .table(tables::cost(&task.cost)),
            )
            .section(
                Section::new(format!("Per instance: {} task", task.name))
                    .paragraph("Comprehensiveness AOPC of every method on every text.")
                    .table(tables::instances(task)),
            );
    }
    if report.head.is_some() {
        let source = report.head.as_ref().map_or("", |h| h.source.as_str());
        page = page.section(
            Section::new("Sentiment head")
                .paragraph(format!(
                    "Logistic regression on sentence embeddings, {source}. Accuracy on the \
                     binary SST test split (an evenly spread subset unless --full) and on the \
                     ERASER movie reviews, cut like the plausibility reviews."
                ))
                .table(tables::head(report)),
        );
    }
    if let Some(p) = &report.plausibility {
        page = page.section(plausibility_section(p)?);
    }
    if let Some(r) = &report.ranking {
        page = page.section(ranking_section(r)?);
    }
    if let Some(c) = &report.chinese {
        page = page.section(chinese_section(c)?);
    }
    if !report.notes.is_empty() {
        let mut notes = Section::new("Notes");
        for note in &report.notes {
            notes = notes.paragraph(note.clone());
        }
        page = page.section(notes);
    }
    Ok(page)
}

fn settings_text(s: &EvalSettings) -> String {
    format!(
        "{} requests, {} SST sentences of {}–{} words, {} ERASER reviews; {} seeds per \
         sampled method, {} random orders in the baseline. Kernel SHAP budget: \
         2 + min(2M, 2^M − 2) + {}M evaluations; permutation Shapley: {} antithetic pairs; \
         LIME: {} samples ({} on reviews); Integrated Gradients: {} steps ({} on reviews).",
        s.requests,
        s.sentences,
        s.sentence_words.0,
        s.sentence_words.1,
        s.plausibility_docs,
        s.seeds,
        s.random_baselines,
        s.methods.kernel_evals_per_feature,
        s.methods.permutation_pairs,
        s.methods.lime_samples,
        s.document_methods.lime_samples,
        s.methods.ig_steps,
        s.document_methods.ig_steps,
    )
}

fn faithfulness_section(task: &TaskReport) -> Result<Section> {
    let mut section = Section::new(format!("Faithfulness: {} task", task.name))
        .paragraph(format!(
            "{} texts; explained: {}. Comprehensiveness = f(x) − f(x without the top k% \
             words), sufficiency = f(x) − f(only the top k% words), AOPC = their mean over \
             k = 1, 5, 10, 20, 50% (ERASER). Deletion and insertion: areas under the score \
             as the top words are removed or added one by one. τ-b: rank correlation with \
             the leave-one-out effects (1 for occlusion by construction). The random row is \
             the mean over random word orders on the same texts; mean ± std over texts.",
            task.instances.len(),
            task.description
        ))
        .table(tables::faithfulness(task, true))
        .table(tables::bins(task));
    let labels: Vec<String> = task.faithfulness.iter().map(|f| f.method.clone()).collect();
    let aopc: Vec<f64> = task
        .faithfulness
        .iter()
        .map(|f| f.comprehensiveness_aopc.mean)
        .collect();
    let bars = AttributionBars::new(labels, aopc)
        .with_title(format!("Comprehensiveness AOPC, {} task", task.name))
        .with_legend("above zero", "below zero");
    section = section.chart(&bars, "Higher is more faithful; compare with random.")?;
    let Some(random) = task.faithfulness.iter().find(|f| f.method == RANDOM) else {
        return Ok(section);
    };
    for f in task.faithfulness.iter().filter(|f| f.method != RANDOM) {
        let points = |curve: &[[f64; 2]]| curve.iter().map(|p| (p[0], p[1])).collect();
        let chart = LineChart::new(
            "fraction of words removed (deletion) or kept (insertion)",
            "score",
        )
        .with_title(format!("{} vs random, {} task", f.method, task.name))
        .with_series(format!("deletion: {}", f.method), points(&f.deletion_curve))
        .with_series("deletion: random", points(&random.deletion_curve))
        .with_series(
            format!("insertion: {}", f.method),
            points(&f.insertion_curve),
        )
        .with_series("insertion: random", points(&random.insertion_curve));
        section = section.chart(
            &chart,
            format!(
                "Mean over texts, each curve interpolated at every 5% of its words. \
                 Deletion AUC {:.3} (random {:.3}, lower is more faithful); insertion AUC \
                 {:.3} (random {:.3}, higher is more faithful).",
                f.deletion_auc.mean,
                random.deletion_auc.mean,
                f.insertion_auc.mean,
                random.insertion_auc.mean
            ),
        )?;
    }
    Ok(section)
}

fn agreement_section(task: &TaskReport, settings: &EvalSettings) -> Section {
    let perturbed = task
        .instances
        .iter()
        .filter(|i| i.substitution.is_some())
        .count();
    Section::new(format!(
        "Agreement, stability and sensitivity: {} task",
        task.name
    ))
    .paragraph(format!(
        "Agreement: Spearman ρ, Kendall τ-b and top-{TOP_K} overlap (signed values) of each \
         method with exact Shapley values. Stability: mean pairwise Spearman ρ of each \
         sampled method over {} seeds. Sensitivity: one word swapped for a synonym from a \
         built-in table ({perturbed} of {} texts had one), attributions compared \
         position-wise with Spearman ρ against the original's. Mean ± std over texts.",
        settings.seeds,
        task.instances.len()
    ))
    .table(tables::agreement(task, true))
}

fn plausibility_section(p: &daogou_eval::PlausibilityReport) -> Result<Section> {
    let words = p.words.map_or(0.0, |w| w.mean);
    let labels: Vec<String> = p.methods.iter().map(|m| m.method.clone()).collect();
    let auprc: Vec<f64> = p
        .methods
        .iter()
        .map(|m| m.summary.auprc.unwrap_or(f64::NAN))
        .collect();
    let bars = AttributionBars::new(labels, auprc)
        .with_title("AUPRC against human rationales")
        .with_legend("above zero", "below zero");
    Ok(Section::new("Plausibility against ERASER rationales")
        .paragraph(format!(
            "Reviews scored: {} ERASER movie test reviews, evenly spread over those with a \
             rationale in the evaluated words. Each review is cut to its leading words whose \
             tokens fit in {} tokens ({words:.0} words on average) and plausibility is scored \
             over those words only. The explained score is the probability of the gold \
             label (Integrated Gradients: its log-odds). Token and IOU F1 select as many \
             top-scoring words as the rationale has; IOU F1 counts a predicted span as \
             correct at IOU ≥ 0.5. Random: uniform random scores.",
            p.documents.len(),
            p.max_tokens
        ))
        .table(tables::plausibility(p))
        .chart(&bars, "Higher means the scores rank rationale words first.")?
        .paragraph("Cost of one review explanation:")
        .table(tables::cost(&p.cost)))
}

fn chinese_section(c: &daogou_eval::ChineseReport) -> Result<Section> {
    let mut section = Section::new("Chinese")
        .paragraph(format!(
            "Ranking: {} Chinese requests judged over the whole demo catalog ({} \
             judgements, {}), every ranker as above.",
            c.ranking.queries, c.ranking.judgements, c.ranking.qrels
        ))
        .table(tables::ranking(&c.ranking))
        .table(tables::ranking_paired(&c.ranking))
        .paragraph(format!(
            "Scenes: {} hand-labelled Chinese requests, none of them a scene example; a \
             request is right when its most probable scene (or none) is the label.",
            c.scenes.requests
        ))
        .table(tables::scenes(&c.scenes));
    if let Some(a) = &c.aspects {
        let mined: Vec<String> = a
            .mined
            .iter()
            .map(|(category, (reviews, aspects))| {
                format!("{category} ({reviews} reviews): {}", aspects.join(", "))
            })
            .collect();
        section = section
            .paragraph(
                "Review aspects: aspect terms of hand-labelled sentences of real Chinese \
                 shopping reviews, against the aspects mined from all reviews of the \
                 sentence's category (a sentence's predicted aspects are the mined ones among \
                 its words).",
            )
            .table(tables::aspects(a))
            .paragraph(format!("Mined: {}", mined.join("; ")));
    }
    Ok(section)
}

/// The ranking comparison alone as a page (`daogou eval ranking --html`).
pub fn ranking_page(r: &daogou_eval::RankingComparison) -> Result<HtmlPage> {
    Ok(HtmlPage::new("daogou: ranking quality").section(ranking_section(r)?))
}

fn ranking_section(r: &daogou_eval::RankingComparison) -> Result<Section> {
    let labels: Vec<String> = r.rankers.iter().map(|k| k.ranker.clone()).collect();
    let ndcg: Vec<f64> = r.rankers.iter().map(|k| k.report.ndcg).collect();
    let bars = AttributionBars::new(labels, ndcg)
        .with_title(format!("nDCG@{CUTOFF}"))
        .with_legend("above zero", "below zero");
    let mut section = Section::new("Ranking quality")
        .paragraph(format!(
            "{} judged queries, {} judgements ({}). Learned: the gradient-boosted ranker \
             (daogou tune); hybrid: the default weights; bm25_only: semantic weight 0; vector_only: keyword weight 0; rrf: reciprocal-rank fusion \
             (k = 60) of the last two; request filters apply to all of them. MRR looks at the \
             whole list of {} products. Intervals: 95% bootstrap over queries ({} resamples); \
             p: paired randomization test.",
            r.queries, r.judgements, r.qrels, r.list_length, r.resamples
        ))
        .table(tables::ranking(r))
        .table(tables::ranking_paired(r))
        .chart(&bars, "")?
        .table(tables::ranking_per_query(r));
    if !r.unknown_products.is_empty() {
        section = section.paragraph(format!(
            "Judged products missing from the catalog: {}",
            r.unknown_products.join(", ")
        ));
    }
    Ok(section)
}
