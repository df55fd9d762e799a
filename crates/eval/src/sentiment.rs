//! The sentiment head (trained here on SST, or given) and the SST test sentences it
//! explains.

use std::path::Path;

use anyhow::{ensure, Context, Result};
use daogou_explain::TextFeatures;
use daogou_model::{ClassifierHead, HeadMetrics, SentenceEncoder, TrainOptions};
use serde::Serialize;

use crate::datasets::{read_sst, Labelled};

use super::Progress;

/// Sentences embedded per progress step.
const SENTENCE_CHUNK: usize = 256;

/// Where the sentiment head came from and how well it does.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HeadSummary {
    /// `trained on N SST sentences` or the file it was loaded from.
    pub source: String,
    /// Its classes.
    pub labels: Vec<String>,
    /// Accuracy on (a deterministic, evenly spread subset of) the binary SST test split.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sst_test: Option<HeadMetrics>,
}

/// `count` items spread evenly over `items`, each from the middle of its share (all of
/// them when `count` is `None` or larger), in order.
pub fn spread<T: Clone>(items: &[T], count: Option<usize>) -> Vec<T> {
    match count {
        Some(n) if n < items.len() => (0..n)
            .map(|i| items[(2 * i + 1) * items.len() / (2 * n)].clone())
            .collect(),
        _ => items.to_vec(),
    }
}

/// Embeds texts `chunk` at a time, one progress step per chunk.
pub fn embed_all(
    encoder: &SentenceEncoder,
    texts: &[&str],
    chunk: usize,
    stage: &str,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<Vec<Vec<f32>>> {
    let chunk = chunk.max(1);
    progress(Progress::Stage {
        name: stage,
        steps: texts.len().div_ceil(chunk),
    });
    let mut out = Vec::with_capacity(texts.len());
    for chunk in texts.chunks(chunk) {
        out.extend(encoder.embed(chunk)?);
        progress(Progress::Step);
    }
    Ok(out)
}

/// Class indices of `examples` under `labels` (examples with other labels dropped).
fn indexed<'e>(examples: &'e [Labelled], labels: &[String]) -> (Vec<&'e str>, Vec<usize>) {
    examples
        .iter()
        .filter_map(|e| {
            let class = labels.iter().position(|l| *l == e.label)?;
            Some((e.text.as_str(), class))
        })
        .unzip()
}

/// Trains a head on `max_train` SST training sentences (evenly spread; all when `None`)
/// with the project's logistic regression.
pub fn train_head(
    encoder: &SentenceEncoder,
    sst_dir: &Path,
    max_train: Option<usize>,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<(ClassifierHead, String)> {
    let train = read_sst(&sst_dir.join("train_official.txt"))?;
    let train = spread(&train.examples, max_train);
    let labels = vec!["negative".to_string(), "positive".to_string()];
    let (texts, targets) = indexed(&train, &labels);
    ensure!(!texts.is_empty(), "no SST training sentences were read");
    let embeddings = embed_all(encoder, &texts, SENTENCE_CHUNK, "SST train", progress)?;
    let head = ClassifierHead::train(
        &embeddings,
        &targets,
        labels,
        encoder.model_id(),
        TrainOptions::default(),
    )?;
    Ok((head, format!("trained on {} SST sentences", texts.len())))
}

/// Accuracy of `head` on `count` binary SST test sentences (evenly spread).
pub fn sst_accuracy(
    encoder: &SentenceEncoder,
    head: &ClassifierHead,
    sst_dir: &Path,
    count: Option<usize>,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<HeadMetrics> {
    let test = read_sst(&sst_dir.join("test.txt"))?;
    let test = spread(&test.examples, count);
    let (texts, targets) = indexed(&test, &head.labels);
    let embeddings = embed_all(encoder, &texts, SENTENCE_CHUNK, "SST test", progress)?;
    Ok(head.evaluate(&embeddings, &targets))
}

/// `count` binary SST test sentences of `words.0..=words.1` words, evenly spread over
/// the file (which lists positive sentences before negative ones).
pub fn sentences(sst_dir: &Path, count: usize, words: (usize, usize)) -> Result<Vec<Labelled>> {
    let path = sst_dir.join("test.txt");
    let test = read_sst(&path).with_context(|| format!("reading {}", path.display()))?;
    let eligible: Vec<Labelled> = test
        .examples
        .into_iter()
        .filter(|e| {
            let n = TextFeatures::new(&e.text).num_features();
            n >= words.0 && n <= words.1
        })
        .collect();
    Ok(spread(&eligible, Some(count)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_keeps_order_and_covers_the_whole_range() {
        let items: Vec<usize> = (0..10).collect();
        assert_eq!(spread(&items, Some(3)), [1, 5, 8]);
        assert_eq!(spread(&items, Some(5)), [1, 3, 5, 7, 9]);
        assert_eq!(spread(&items, Some(2)), [2, 7]);
        assert_eq!(spread(&items, None), items);
        assert_eq!(spread(&items, Some(20)), items);
    }
}
