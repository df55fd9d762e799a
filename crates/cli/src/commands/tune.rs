//! `daogou tune`: fits the learned ranker on relevance judgements (their training
//! queries), calibrates its match-strength labels and reports it against every other
//! ranker on the validation queries, then writes it into the data directory.

use anyhow::Result;
use clap::Args;
use daogou_eval::{compare_rankers, split, tune_ranker, Split};
use daogou_guide::rank::FitSettings;

use super::eval::{ranking_text, with_stage_bars, JudgementArgs};
use crate::runtime::Paths;

#[derive(Debug, Args)]
pub struct TuneArgs {
    #[command(flatten)]
    input: JudgementArgs,
    /// perpetual's budgets to try (larger fits more trees); the one that ranks the
    /// validation queries best is kept.
    #[arg(long, value_delimiter = ',', default_values_t = [0.5, 1.0, 1.5])]
    budget: Vec<f32>,
    /// Fit and report, but do not write the ranker.
    #[arg(long)]
    dry_run: bool,
}

pub fn run(args: TuneArgs, paths: &Paths) -> Result<()> {
    let qrels = args.input.read()?;
    let train = split(&qrels, Split::Train)?;
    let validation = split(&qrels, Split::Validation)?;
    let mut guide = args.input.open_guide(paths)?;
    let settings: Vec<FitSettings> = args
        .budget
        .iter()
        .map(|&budget| FitSettings {
            budget,
            ..FitSettings::default()
        })
        .collect();
    let source = args.input.judgements.display().to_string();
    let tuned = with_stage_bars(|progress| {
        tune_ranker(
            guide.catalog()?,
            guide.encoder(),
            (&train, &validation),
            &settings,
            &source,
            progress,
        )
    })?;
    let ranker = tuned.ranker;
    let summary = ranker.fit_summary();
    println!(
        "{} rows of {} training queries; nDCG@10 of the candidates each fit ranks \
         ({} validation queries):",
        summary.rows,
        summary.queries,
        validation.num_queries()
    );
    for fit in &tuned.fits {
        let chosen = if fit.settings == summary.settings {
            "  <- kept"
        } else {
            ""
        };
        println!(
            "  budget {:.2}: {:>4} trees, train {:.4}, validation {:.4}{chosen}",
            fit.settings.budget, fit.trees, fit.train_ndcg, fit.validation_ndcg
        );
    }
    if let Some(strength) = ranker.strength() {
        println!(
            "match strength: strong from {:.3}, weak below {:.3} (predicted gain)",
            strength.strong, strength.weak
        );
        for label in &strength.precision {
            println!(
                "  {:<8} {:>5} validation top-10 results, precision ≥ {:.3} ({:.3} of the {} judged)",
                label.label.to_string(),
                label.support,
                label.precision,
                label.judged_precision,
                label.judged
            );
        }
    }
    let source = format!("{source} (validation queries)");
    let comparison = with_stage_bars(|progress| {
        compare_rankers(
            guide.catalog()?,
            guide.encoder(),
            Some(&ranker),
            &validation,
            &source,
            progress,
        )
    })?;
    print!("{}", ranking_text(&comparison));
    if !args.dry_run {
        guide.set_ranker(ranker)?;
        println!("ranker: {}", guide.summary().ranker);
    }
    Ok(())
}
