//! `daogou eval ranking`: the ranking quality of every ranker on any judgement file, over
//! the catalog in the data directory (or one imported first with `--products`).

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use daogou_eval::{compare_rankers, read_judgements, split, Split};
use daogou_explain::metrics::Qrels;
use daogou_guide::Guide;

use super::html::ranking_page;
use super::summary::ranking_text;
use super::with_stage_bars;
use crate::runtime::{open_guide_over, Paths};

/// Which judged queries to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SplitChoice {
    /// Every query.
    All,
    /// The training queries (fit rankers on these).
    Train,
    /// The validation queries (judge choices on these).
    Validation,
}

/// The judgements and the catalog a ranking is measured (or fitted) on.
#[derive(Debug, Args)]
pub struct JudgementArgs {
    /// Judgements: CSV with a header naming query, product_id and relevance, or TSV
    /// `query<TAB>product_id<TAB>grade`.
    #[arg(long, value_name = "FILE")]
    pub judgements: PathBuf,
    /// Import this catalog (CSV or JSON Lines) into the data directory first; its vectors
    /// are stored there and reused by later runs.
    #[arg(long, value_name = "FILE")]
    pub products: Option<PathBuf>,
    /// Subtracted from every relevance to give its gain (1 for Home Depot's 1–3 scale).
    #[arg(long, default_value_t = 0.0)]
    pub gain_offset: f64,
}

impl JudgementArgs {
    /// The judgements, regraded by the gain offset.
    pub fn read(&self) -> Result<Qrels> {
        read_judgements(&self.judgements, self.gain_offset)
    }

    /// The guide over the catalog to rank: `--products` imported, or the data directory's.
    pub fn open_guide(&self, paths: &Paths) -> Result<Guide> {
        open_guide_over(paths, self.products.as_deref())
    }
}

#[derive(Debug, Args)]
pub struct RankingArgs {
    #[command(flatten)]
    input: JudgementArgs,
    /// Which queries.
    #[arg(long, value_enum, default_value = "all")]
    split: SplitChoice,
    /// Write the report as JSON to this file.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Write the report's tables and charts as a standalone HTML page to this file.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Print the report as JSON instead of the tables.
    #[arg(long)]
    json: bool,
}

pub fn run(args: RankingArgs, paths: &Paths) -> Result<()> {
    let qrels = args.input.read()?;
    let chosen = match args.split {
        SplitChoice::All => Split::All,
        SplitChoice::Train => Split::Train,
        SplitChoice::Validation => Split::Validation,
    };
    let qrels = split(&qrels, chosen)?;
    let guide = args.input.open_guide(paths)?;
    let source =
        format!("{} ({:?} queries)", args.input.judgements.display(), chosen).to_lowercase();
    let comparison = with_stage_bars(|progress| {
        compare_rankers(
            guide.catalog()?,
            guide.encoder(),
            guide.ranker(),
            &qrels,
            &source,
            progress,
        )
    })?;
    let json = serde_json::to_string_pretty(&comparison)?;
    if let Some(out) = &args.out {
        std::fs::write(out, &json).with_context(|| format!("writing {}", out.display()))?;
        eprintln!("wrote {}", out.display());
    }
    if let Some(page) = &args.html {
        ranking_page(&comparison)?
            .write(page)
            .with_context(|| format!("writing {}", page.display()))?;
        eprintln!("wrote {}", page.display());
    }
    if args.json {
        println!("{json}");
    } else {
        println!(
            "{} queries, {} judgements, {} products; {} judged products not in the catalog",
            comparison.queries,
            comparison.judgements,
            guide.products(),
            comparison.unknown_products.len()
        );
        print!("{}", ranking_text(&comparison));
    }
    Ok(())
}
