//! `daogou recommend`: products for a request, each explained.

use std::collections::BTreeSet;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use daogou_catalog::{read_history, HistoryEvent};
use daogou_guide::answer::Recommendations;
use daogou_guide::language::fill;
use daogou_guide::rank::MatchStrength;
use daogou_guide::request::ConstraintRole;
use daogou_guide::reviews::ReviewEvidence;
use daogou_guide::{Language, Method, RecommendOptions};

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
        print_answer(&answer)?;
    }
    Ok(())
}

/// The CLI's section of the message table of the answer's language.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct CliMessages {
    request: String,
    constraint: String,
    role_filter: String,
    role_preference: String,
    role_hint: String,
    scene: String,
    scene_none: String,
    notice: String,
    no_price: String,
    no_brand: String,
    item: String,
    strength_strong: String,
    strength_partial: String,
    strength_weak: String,
    components: String,
    reviews: String,
    you_asked: String,
    word_attributions: String,
    stats: String,
}

impl CliMessages {
    fn of(language: Language) -> Result<Self> {
        #[derive(serde::Deserialize)]
        struct Table {
            cli: CliMessages,
        }
        let table: Table = serde_json::from_str(language.table_json())
            .with_context(|| format!("the {} message table", language.tag()))?;
        Ok(table.cli)
    }

    fn role(&self, role: ConstraintRole) -> &str {
        match role {
            ConstraintRole::Filter => &self.role_filter,
            ConstraintRole::Preference => &self.role_preference,
            ConstraintRole::Hint => &self.role_hint,
        }
    }

    fn strength(&self, strength: MatchStrength) -> &str {
        match strength {
            MatchStrength::Strong => &self.strength_strong,
            MatchStrength::Partial => &self.strength_partial,
            MatchStrength::Weak => &self.strength_weak,
        }
    }
}

/// The review aspects of a product, asked-for first, each with its quoted evidence.
fn print_reviews(reviews: &ReviewEvidence, say: &CliMessages) {
    for a in &reviews.aspects {
        let asked = if a.asked { say.you_asked.as_str() } else { "" };
        let line = fill(
            &say.reviews,
            &[("summary", &a.opinion.summary), ("asked", asked)],
        );
        println!("{line}");
        for e in &a.opinion.evidence {
            println!("      “{}”", e.text);
        }
    }
}

fn print_answer(answer: &Recommendations) -> Result<()> {
    let colour = colours();
    let language = answer.language;
    let say = CliMessages::of(language)?;
    println!("{}", fill(&say.request, &[("request", &answer.request)]));
    for c in &answer.parsed.constraints {
        let line = fill(
            &say.constraint,
            &[
                ("role", say.role(c.role())),
                ("constraint", &c.describe_in(language)),
                ("source", answer.parsed.source_of(c)),
            ],
        );
        println!("{line}");
    }
    if let Some(scene) = &answer.scene {
        let line = match &scene.scene {
            Some(s) => fill(
                &say.scene,
                &[("name", &s.name), ("percent", &percent(s.probability))],
            ),
            None => fill(
                &say.scene_none,
                &[("percent", &percent(scene.none_probability))],
            ),
        };
        println!("{line}");
    }
    for notice in &answer.notices {
        println!("{}", fill(&say.notice, &[("notice", notice)]));
    }
    for item in &answer.items {
        let p = &item.product;
        let price = p
            .price
            .as_ref()
            .map_or(say.no_price.clone(), |x| language.price(x));
        let line = fill(
            &say.item,
            &[
                ("rank", &format!("{:>2}", item.rank)),
                ("title", &p.title),
                ("brand", p.brand.as_deref().unwrap_or(&say.no_brand)),
                ("price", &price),
                ("score", &format!("{:.3}", item.score)),
                ("strength", item.strength.map_or("", |s| say.strength(s))),
            ],
        );
        println!("\n{line}");
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
        println!(
            "{}",
            fill(&say.components, &[("parts", &parts.join(" | "))])
        );
        for e in &item.explanations {
            println!("    {:<22} {}", e.method, coloured_words(e, colour));
        }
        println!("    {}", item.narrative.sentence);
        if let Some(reviews) = &item.reviews {
            print_reviews(reviews, &say);
        }
    }
    if let Some(first) = answer.items.first().and_then(|i| i.explanations.first()) {
        let heading = fill(
            &say.word_attributions,
            &[("method", &first.method.to_string())],
        );
        println!("\n{heading}\n{}", attribution_table(first, "  "));
    }
    if let Some(cf) = &answer.counterfactual {
        println!("\n{}", cf.sentence);
    }
    let stats = &answer.stats;
    let line = fill(
        &say.stats,
        &[
            ("candidates", &stats.candidates.to_string()),
            ("evals", &stats.model_evals.to_string()),
            ("retrieval", &format!("{:.0}", stats.retrieval_ms)),
            ("explain", &format!("{:.0}", stats.explain_ms)),
        ],
    );
    println!("\n{line}");
    Ok(())
}

fn percent(p: f64) -> String {
    format!("{:.0}", p * 100.0)
}
