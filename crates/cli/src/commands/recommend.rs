//! `daogou recommend`: products for a request, each explained.

use std::collections::BTreeSet;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use daogou_catalog::{read_history, HistoryEvent};
use daogou_guide::answer::Recommendations;
use daogou_guide::reviews::ReviewEvidence;
use daogou_guide::{Method, RecommendOptions};

use crate::display::{attribution_table, coloured_words, colours};
use crate::runtime::{open_guide, Paths};

/// One `--explain` word: a method by its API name (`shap`, `exact_shapley`, `lime`,
/// `integrated_gradients` or `ig`, …, as [`Method`] spells it), `all` (the methods a
/// shopper is offered) or `none`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExplainChoice {
    /// One method.
    Method(Method),
    /// Every offered method.
    All,
    /// No word attributions.
    None,
}

impl std::str::FromStr for ExplainChoice {
    type Err = String;

    fn from_str(word: &str) -> Result<Self, String> {
        match word.trim() {
            "all" => Ok(ExplainChoice::All),
            "none" => Ok(ExplainChoice::None),
            name => serde_json::from_value(serde_json::Value::String(name.to_string()))
                .map(ExplainChoice::Method)
                .map_err(|_| {
                    let offered: Vec<&str> = Method::OFFERED.iter().map(|m| m.name()).collect();
                    format!(
                        "unknown method {name:?}; use {}, all or none",
                        offered.join(", ")
                    )
                }),
        }
    }
}

/// Turns `--explain` choices into methods.
pub fn methods(choices: &[ExplainChoice]) -> BTreeSet<Method> {
    let mut methods = BTreeSet::new();
    for c in choices {
        match c {
            ExplainChoice::Method(method) => drop(methods.insert(*method)),
            ExplainChoice::All => methods.extend(Method::OFFERED),
            ExplainChoice::None => methods.clear(),
        }
    }
    methods
}

#[derive(Debug, Args)]
pub struct RecommendArgs {
    /// What the shopper is looking for.
    request: String,
    /// Shopper history (JSON Lines of events) for personalisation.
    #[arg(long, value_name = "HISTORY.jsonl")]
    user: Option<PathBuf>,
    /// Explanation methods (comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "shap")]
    explain: Vec<ExplainChoice>,
    /// Number of products.
    #[arg(long, short, default_value_t = 10)]
    k: usize,
    /// Seed of every sampled explanation.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// Also write the charts (SVG and PNG) to this directory.
    #[arg(long, value_name = "DIR")]
    plot: Option<PathBuf>,
}

/// Reads a history file; skipped lines are reported on stderr.
pub fn load_history(path: &std::path::Path) -> Result<Vec<HistoryEvent>> {
    let file =
        std::fs::File::open(path).with_context(|| format!("opening history {}", path.display()))?;
    let (events, issues) = read_history(std::io::BufReader::new(file));
    for issue in &issues {
        eprintln!(
            "warning: {} line {}: {} (skipped)",
            path.display(),
            issue.line,
            issue.reason
        );
    }
    Ok(events)
}

pub fn run(args: RecommendArgs, paths: &Paths) -> Result<()> {
    let history = args.user.as_deref().map(load_history).transpose()?;
    let guide = open_guide(paths)?;
    let options = RecommendOptions {
        k: args.k,
        methods: methods(&args.explain),
        seed: args.seed,
        ..RecommendOptions::default()
    };
    let answer = guide.recommend(&args.request, history.as_deref(), &options)?;
    if let Some(dir) = &args.plot {
        let files = crate::plots::recommendations(dir, &answer)?;
        eprintln!("wrote {} charts to {}", files.len(), dir.display());
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&answer)?);
    } else {
        print_answer(&answer);
    }
    Ok(())
}

/// The review aspects of a product, asked-for first, each with its quoted evidence.
fn print_reviews(reviews: &ReviewEvidence) {
    for a in &reviews.aspects {
        let asked = if a.asked { "  (you asked)" } else { "" };
        println!("    reviews: {}{asked}", a.opinion.summary);
        for e in &a.opinion.evidence {
            println!("      “{}”", e.text);
        }
    }
}

fn print_answer(answer: &Recommendations) {
    let colour = colours();
    println!("Request: {}", answer.request);
    for c in &answer.parsed.constraints {
        println!(
            "  {}: {}  (\"{}\")",
            c.role(),
            c.describe(),
            answer.parsed.source_of(c)
        );
    }
    if let Some(scene) = &answer.scene {
        match &scene.scene {
            Some(s) => println!("  scene: {} ({:.0}%)", s.name, s.probability * 100.0),
            None => println!(
                "  scene: none of these ({:.0}%)",
                scene.none_probability * 100.0
            ),
        }
    }
    for notice in &answer.notices {
        println!("  note: {notice}");
    }
    for item in &answer.items {
        let p = &item.product;
        let price = p
            .price
            .as_ref()
            .map_or("no price".to_string(), |x| x.to_string());
        let strength = item
            .strength
            .map_or(String::new(), |s| format!("   {s} match"));
        println!(
            "\n{:>2}. {} — {} — {price}   score {:.3}{strength}",
            item.rank,
            p.title,
            p.brand.as_deref().unwrap_or("?"),
            item.score
        );
        let base = (item.base != 0.0).then(|| format!("base {:+.3}", item.base));
        let parts: Vec<String> = base
            .into_iter()
            .chain(
                item.components
                    .iter()
                    .filter(|c| c.contribution.abs() >= 0.0005)
                    .map(|c| format!("{} {:+.3}", c.name, c.contribution)),
            )
            .collect();
        println!("    components: {}", parts.join(" | "));
        for e in &item.explanations {
            println!("    {:<22} {}", e.method, coloured_words(e, colour));
        }
        println!("    {}", item.narrative.sentence);
        if let Some(reviews) = &item.reviews {
            print_reviews(reviews);
        }
    }
    if let Some(first) = answer.items.first().and_then(|i| i.explanations.first()) {
        println!(
            "\nWord attributions for #1 ({}):\n{}",
            first.method,
            attribution_table(first, "  ")
        );
    }
    if let Some(cf) = &answer.counterfactual {
        println!(
            "\nWithout {} the first product would be: {}",
            cf.removed
                .iter()
                .map(|w| format!("“{w}”"))
                .collect::<Vec<_>>()
                .join(" and "),
            cf.new_top_title
        );
    }
    println!(
        "\n{} candidates, {} model evaluations, retrieval {:.0} ms, explanations {:.0} ms",
        answer.stats.candidates,
        answer.stats.model_evals,
        answer.stats.retrieval_ms,
        answer.stats.explain_ms
    );
}
