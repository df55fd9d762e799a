//! `daogou explain`: word attributions of the similarity of a text to another text.

use anyhow::{bail, Result};
use clap::Args;
use daogou_attribute::{explain_class, explain_pair, TextExplainOptions};
use daogou_model::ClassifierHead;

use crate::commands::recommend::{methods, ExplainChoice};
use crate::display::{attribution_table, coloured_words, colours};
use crate::runtime::{load_encoder, Paths};

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The text whose words are explained.
    #[arg(long)]
    text: String,
    /// The text it is compared with (e.g. a product description).
    #[arg(long, conflicts_with = "classifier")]
    pair: Option<String>,
    /// A classification head (from `daogou train`): explain its predicted class instead.
    #[arg(long, value_name = "HEAD.json")]
    classifier: Option<std::path::PathBuf>,
    /// Methods (comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "all")]
    method: Vec<ExplainChoice>,
    /// Seed of every sampled method.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// Also write the charts (SVG and PNG) to this directory.
    #[arg(long, value_name = "DIR")]
    plot: Option<std::path::PathBuf>,
}

pub fn run(args: ExplainArgs, paths: &Paths) -> Result<()> {
    let options = TextExplainOptions {
        methods: methods(&args.method),
        seed: args.seed,
        ..TextExplainOptions::default()
    };
    let encoder = load_encoder(paths.model.as_deref())?;
    let (json, headline, explanations, tokens, attentions) = match (&args.pair, &args.classifier) {
        (Some(pair), _) => {
            let r = explain_pair(&encoder, &args.text, pair, &options)?;
            let headline = format!("similarity {:.4}", r.similarity);
            (serde_json::to_string_pretty(&r)?, headline, r.explanations, r.tokens, r.attentions)
        }
        (None, Some(path)) => {
            let head = ClassifierHead::load(path)?;
            let r = explain_class(&encoder, &head, &args.text, &options)?;
            let probs: Vec<String> = r
                .probabilities
                .iter()
                .map(|(l, p)| format!("{l} {:.1}%", p * 100.0))
                .collect();
            let headline = format!("predicted: {} ({})", r.label, probs.join(", "));
            (serde_json::to_string_pretty(&r)?, headline, r.explanations, r.tokens, r.attentions)
        }
        (None, None) => bail!(
            "give --pair TEXT (explain a similarity) or --classifier HEAD.json (explain a prediction)"
        ),
    };
    if let Some(dir) = &args.plot {
        std::fs::create_dir_all(dir)?;
        let mut files = crate::plots::explanations(dir, "", &explanations)?;
        if let (Some(tokens), Some(maps)) = (&tokens, &attentions) {
            files.extend(crate::plots::attention(dir, "", tokens, maps)?);
        }
        eprintln!("wrote {} charts to {}", files.len(), dir.display());
    }
    if args.json {
        println!("{json}");
        return Ok(());
    }
    println!("{headline}");
    for e in &explanations {
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
