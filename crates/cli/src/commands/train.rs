//! `daogou train`: a classification head (logistic regression) on sentence embeddings.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use daogou_eval::datasets::{read_sst, read_table, split, Dataset, Labelled};
use daogou_model::{ClassifierHead, SentenceEncoder, TrainOptions};

use crate::runtime::{load_encoder, progress_bar};

/// Format of a labelled data file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Stanford Sentiment Treebank trees (binary: neutral sentences left out).
    Sst,
    /// Comma-separated with a header.
    Csv,
    /// Tab-separated with a header.
    Tsv,
}

#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Training data.
    #[arg(long)]
    data: PathBuf,
    /// Its format (default: from the extension; .txt means SST).
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Text column (CSV/TSV).
    #[arg(long, default_value = "text")]
    text_col: String,
    /// Label column (CSV/TSV).
    #[arg(long, default_value = "label")]
    label_col: String,
    /// Held-out data; default: a deterministic 20% of --data.
    #[arg(long)]
    test: Option<PathBuf>,
    /// Use at most this many training examples (evenly spread over the file).
    #[arg(long)]
    max_train: Option<usize>,
    /// Where to write the head (JSON).
    #[arg(long, short)]
    out: PathBuf,
    /// Full-batch training epochs.
    #[arg(long, default_value_t = TrainOptions::default().epochs)]
    epochs: usize,
}

fn read(
    path: &std::path::Path,
    format: Option<Format>,
    text: &str,
    label: &str,
) -> Result<Dataset> {
    let format = format.unwrap_or_else(|| match path.extension().and_then(|e| e.to_str()) {
        Some("tsv") => Format::Tsv,
        Some("csv") => Format::Csv,
        _ => Format::Sst,
    });
    let data = match format {
        Format::Sst => read_sst(path)?,
        Format::Csv => read_table(path, b',', text, label)?,
        Format::Tsv => read_table(path, b'\t', text, label)?,
    };
    for issue in data.skipped.iter().take(5) {
        eprintln!(
            "skipped {} line {}: {}",
            path.display(),
            issue.line,
            issue.reason
        );
    }
    if data.skipped.len() > 5 {
        eprintln!("... {} rows skipped in all", data.skipped.len());
    }
    Ok(data)
}

fn thin(examples: Vec<Labelled>, max: Option<usize>) -> Vec<Labelled> {
    match max {
        Some(max) if max < examples.len() && max > 0 => {
            let step = examples.len() as f64 / max as f64;
            (0..max)
                .map(|i| examples[(i as f64 * step) as usize].clone())
                .collect()
        }
        _ => examples,
    }
}

fn embed(encoder: &SentenceEncoder, examples: &[Labelled], what: &str) -> Result<Vec<Vec<f32>>> {
    let bar = progress_bar(examples.len() as u64, what);
    let mut out = Vec::with_capacity(examples.len());
    for chunk in examples.chunks(256) {
        let texts: Vec<&str> = chunk.iter().map(|e| e.text.as_str()).collect();
        out.extend(encoder.embed(&texts)?);
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    Ok(out)
}

pub fn run(args: TrainArgs, model: Option<&std::path::Path>) -> Result<()> {
    let data = read(&args.data, args.format, &args.text_col, &args.label_col)?;
    let (train, test) = match &args.test {
        Some(path) => (
            data.examples,
            read(path, args.format, &args.text_col, &args.label_col)?.examples,
        ),
        None => split(data.examples, 0.2),
    };
    let train = thin(train, args.max_train);
    let mut labels: Vec<String> = train.iter().map(|e| e.label.clone()).collect();
    labels.sort();
    labels.dedup();
    if labels.len() < 2 {
        bail!(
            "the training data has {} distinct label(s); a classifier needs two or more",
            labels.len()
        );
    }
    let index = |l: &str| labels.iter().position(|x| x == l);
    let test: Vec<Labelled> = test
        .into_iter()
        .filter(|e| index(&e.label).is_some())
        .collect();
    let encoder = load_encoder(model)?;
    let train_x = embed(&encoder, &train, "train")?;
    let test_x = embed(&encoder, &test, "test")?;
    let train_y: Vec<usize> = train.iter().filter_map(|e| index(&e.label)).collect();
    let test_y: Vec<usize> = test.iter().filter_map(|e| index(&e.label)).collect();
    let options = TrainOptions {
        epochs: args.epochs,
        ..TrainOptions::default()
    };
    let mut head = ClassifierHead::train(&train_x, &train_y, labels, encoder.model_id(), options)?;
    let train_metrics = head.evaluate(&train_x, &train_y);
    let test_metrics = head.evaluate(&test_x, &test_y);
    head.test_metrics = Some(test_metrics);
    head.save(&args.out)
        .with_context(|| format!("writing {}", args.out.display()))?;
    println!(
        "{} classes ({}); train {} examples: accuracy {:.3}; test {} examples: accuracy {:.3}, macro F1 {:.3}; saved to {}",
        head.labels.len(),
        head.labels.join(", "),
        train_metrics.examples,
        train_metrics.accuracy,
        test_metrics.examples,
        test_metrics.accuracy,
        test_metrics.macro_f1,
        args.out.display()
    );
    Ok(())
}
