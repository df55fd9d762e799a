//! `daogou eval`: faithfulness, agreement, stability, plausibility and cost of every
//! explanation method, and the ranking quality of the three rankers, with numbers.

mod html;
mod ranking;
mod summary;
pub(crate) use ranking::JudgementArgs;
pub(crate) use summary::ranking_text;
mod tables;

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use daogou_catalog::demo_catalog;
use daogou_catalog::CatalogIndex;
use daogou_eval::{demo_qrels, evaluate, EvalInputs, EvalSettings, Masking, Progress};
use daogou_explain::metrics::Qrels;
use daogou_guide::app::{default_data_dir, load_ranker};
use daogou_guide::PassageEmbedder;
use daogou_model::ClassifierHead;
use indicatif::ProgressBar;

use crate::runtime::{load_encoder, progress_bar, Paths};

/// How removed words appear in perturbed texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MaskingChoice {
    /// Drop the word.
    Delete,
    /// Replace it by `[MASK]`.
    Mask,
}

/// A part of the evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Part {
    /// Explanations of the recommendation scores.
    Recommendation,
    /// Explanations of the sentiment head.
    Sentiment,
    /// Plausibility against ERASER rationales.
    Plausibility,
    /// Ranking quality of the three rankers.
    Ranking,
    /// Chinese ranking, scene accuracy and review aspects.
    Chinese,
}

/// A focused evaluation.
#[derive(Debug, Subcommand)]
pub enum EvalCommand {
    /// Ranking quality of every ranker on a judgement file, with intervals and paired
    /// tests, over the catalog in the data directory.
    Ranking(ranking::RankingArgs),
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct EvalArgs {
    #[command(subcommand)]
    command: Option<EvalCommand>,
    /// About a minute on two cores: 6 requests, 6 sentences, 1 review cut to 128 tokens.
    #[arg(long, conflicts_with = "full")]
    quick: bool,
    /// Larger: 100 sentences of up to 12 words, 20 reviews, the whole SST training set,
    /// the methods' usual sample counts (tens of minutes).
    #[arg(long)]
    full: bool,
    /// How removed words appear in perturbed texts (the removal operator of every
    /// mask-based method and metric).
    #[arg(long, value_enum, default_value = "delete")]
    masking: MaskingChoice,
    /// Relevance judgements, TSV `query<TAB>product_id<TAB>grade` (`#` comments allowed);
    /// default: the built-in judgements of the demo catalog.
    #[arg(long, value_name = "FILE")]
    qrels: Option<PathBuf>,
    /// Stanford Sentiment Treebank directory (train_official.txt, test.txt).
    #[arg(long, value_name = "DIR", default_value = "../shared/data/sst")]
    sst: PathBuf,
    /// ERASER movies directory (test.jsonl, docs/).
    #[arg(
        long,
        value_name = "DIR",
        default_value = "../shared/data/eraser-movies"
    )]
    eraser: PathBuf,
    /// Chinese shopping reviews (the CSV the aspect labels refer to).
    #[arg(
        long,
        value_name = "CSV",
        default_value = "../shared/data/chinese-shopping-reviews/online_shopping_10_cats.csv"
    )]
    zh_reviews: PathBuf,
    /// A sentiment head (from `daogou train`) instead of training one on SST.
    #[arg(long, value_name = "HEAD.json")]
    head: Option<PathBuf>,
    /// Parts to leave out (comma-separated).
    #[arg(long, value_enum, value_delimiter = ',')]
    skip: Vec<Part>,
    /// Write report.json and report.html to this directory.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Print the report as JSON instead of the summary.
    #[arg(long)]
    json: bool,
}

impl EvalArgs {
    fn settings(&self) -> EvalSettings {
        let mut settings = if self.quick {
            EvalSettings::quick()
        } else if self.full {
            EvalSettings::full()
        } else {
            EvalSettings::standard()
        };
        settings.masking = match self.masking {
            MaskingChoice::Delete => Masking::Delete,
            MaskingChoice::Mask => Masking::Mask,
        };
        for part in &self.skip {
            match part {
                Part::Recommendation => settings.requests = 0,
                Part::Sentiment => settings.sentences = 0,
                Part::Plausibility => settings.plausibility_docs = 0,
                Part::Ranking => settings.ranking = false,
                Part::Chinese => settings.chinese = false,
            }
        }
        settings
    }

    fn inputs(&self) -> Result<EvalInputs> {
        let qrels = match &self.qrels {
            Some(path) => (Qrels::read(path)?, path.display().to_string()),
            None => (demo_qrels()?, "built-in demo_qrels.tsv".to_string()),
        };
        let head = match &self.head {
            Some(path) => Some((
                ClassifierHead::load(path)?,
                format!("loaded from {}", path.display()),
            )),
            None => None,
        };
        Ok(EvalInputs {
            sst_dir: Some(self.sst.clone()),
            eraser_dir: Some(self.eraser.clone()),
            qrels: Some(qrels),
            head,
            ranker: None,
            zh_reviews: Some(self.zh_reviews.clone()),
        })
    }
}

/// Runs `job`, drawing a progress bar for each of its stages on stderr.
pub(crate) fn with_stage_bars<T>(job: impl FnOnce(&mut dyn FnMut(Progress<'_>)) -> T) -> T {
    let mut bar: Option<ProgressBar> = None;
    let result = job(&mut |p| match p {
        Progress::Stage { name, steps } => {
            if let Some(done) = bar.replace(progress_bar(steps as u64, name)) {
                done.finish_and_clear();
            }
        }
        Progress::Step => {
            if let Some(b) = &bar {
                b.inc(1);
            }
        }
    });
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    result
}

pub fn run(args: EvalArgs, paths: &Paths) -> Result<()> {
    if let Some(EvalCommand::Ranking(ranking)) = args.command {
        return ranking::run(ranking, paths);
    }
    let model = paths.model.as_deref();
    let settings = args.settings();
    let mut inputs = args.inputs()?;
    let encoder = load_encoder(model)?;
    let data_dir = paths.data_dir.clone().unwrap_or_else(default_data_dir);
    let (ranker, ranker_source) = load_ranker(&data_dir, &encoder)?;
    eprintln!("daogou: ranker: {ranker_source}");
    inputs.ranker = ranker;
    eprintln!("daogou: embedding the demo catalog");
    let catalog = CatalogIndex::embed(demo_catalog().products, &PassageEmbedder(&encoder))
        .context("embedding the demo catalog")?;

    let report =
        with_stage_bars(|progress| evaluate(&encoder, &catalog, &inputs, &settings, progress))?;

    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let json = dir.join("report.json");
        std::fs::write(&json, serde_json::to_string_pretty(&report)?)
            .with_context(|| format!("writing {}", json.display()))?;
        let page = dir.join("report.html");
        html::page(&report)?
            .write(&page)
            .with_context(|| format!("writing {}", page.display()))?;
        eprintln!("wrote {} and {}", json.display(), page.display());
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", summary::text(&report));
    }
    Ok(())
}
