//! `daogou scene`: the shopping scene of a request, explained; or the scenes' calibration.

use anyhow::{bail, Result};
use clap::Args;

use crate::display::{attribution_table, coloured_words, colours};
use crate::runtime::{open_guide, Paths};

#[derive(Debug, Args)]
pub struct SceneArgs {
    /// The request.
    request: Option<String>,
    /// Refit temperature and none-score on the scenes' examples and report accuracy.
    #[arg(long)]
    calibrate: bool,
    /// Seed of the word attributions.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(args: SceneArgs, paths: &Paths) -> Result<()> {
    let guide = open_guide(paths)?;
    if args.calibrate {
        let report = guide.scenes().calibrate(guide.encoder())?;
        if args.json {
            println!("{}", serde_json::to_string_pretty(&report)?);
        } else {
            println!(
                "{}: temperature {:.3}, none score {:.3}: leave-one-out accuracy {:.1}% on {} requests, NLL {:.3}, ECE {:.3}",
                report.model_id,
                report.calibration.temperature,
                report.calibration.none_score,
                report.accuracy * 100.0,
                report.examples,
                report.nll,
                report.ece
            );
            for l in &report.by_language {
                println!(
                    "  {}: {:.1}% of {} examples",
                    l.language.tag(),
                    l.accuracy * 100.0,
                    l.examples
                );
            }
        }
        return Ok(());
    }
    let Some(request) = args.request else {
        bail!("give a request, or --calibrate");
    };
    let result = guide.scene(&request, true, args.seed)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&result)?);
        return Ok(());
    }
    match &result.scene {
        Some(s) => println!("{} ({:.0}%)", s.name, s.probability * 100.0),
        None => println!("none of these ({:.0}%)", result.none_probability * 100.0),
    }
    for s in result.ranking.iter().take(4) {
        println!(
            "  {:<24} {:>5.1}%  similarity {:.3}",
            s.name,
            s.probability * 100.0,
            s.similarity
        );
    }
    if let Some(e) = &result.explanation {
        println!(
            "\nwhich words decided it ({}):  {}",
            e.method,
            coloured_words(e, colours())
        );
        println!("{}", attribution_table(e, "  "));
    }
    Ok(())
}
