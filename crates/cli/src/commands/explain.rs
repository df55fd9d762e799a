//! `daogou explain`: word attributions of the similarity of a text to another text.

use anyhow::{bail, Result};
use clap::Args;
use daogou_guide::text_explain::TextExplainOptions;

use crate::commands::recommend::{methods, ExplainChoice};
use crate::display::{attribution_table, coloured_words, colours};
use crate::runtime::{open_guide, Paths};

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The text whose words are explained.
    #[arg(long)]
    text: String,
    /// The text it is compared with (e.g. a product description).
    #[arg(long)]
    pair: Option<String>,
    /// Methods (comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "all")]
    method: Vec<ExplainChoice>,
    /// Seed of every sampled method.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(args: ExplainArgs, paths: &Paths) -> Result<()> {
    let Some(pair) = args.pair else {
        bail!("give --pair TEXT: the text whose similarity to --text is explained");
    };
    let guide = open_guide(paths)?;
    let options = TextExplainOptions {
        methods: methods(&args.method),
        seed: args.seed,
        ..TextExplainOptions::default()
    };
    let result = guide.explain_pair(&args.text, &pair, &options)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&result)?);
        return Ok(());
    }
    println!("similarity {:.4}", result.similarity);
    for e in &result.explanations {
        println!(
            "\n{} ({} model evaluations, {:.0} ms): {}",
            e.method,
            e.model_evals,
            e.wall_time_ms,
            coloured_words(e, colours())
        );
        println!("{}", attribution_table(e, "  "));
    }
    Ok(())
}
