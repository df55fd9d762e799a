//! `daogou bench explain`: the explanation methods on one request against ten products.
//!
//! The explained score is cos(request′, product) where request′ is the request with some of
//! its words deleted (the convention of the golden values in `shared/golden/minilm.json`:
//! words split on spaces, kept words joined by single spaces). The products are the ten
//! demo-catalog products closest to the full request. Every mask-based method runs on a
//! fresh [`Evaluator`], so no method profits from another's cached evaluations; the
//! "shared" row then runs them all on one evaluator, as `daogou recommend` does. One
//! untimed exact Shapley run comes first (warm-up).

use std::time::Instant;

use anyhow::{Context, Result};
use clap::Args;
use daogou_attribute::{EmbeddingBaseline, EmbeddingSimilarity, TextScoreModel};
use daogou_catalog::demo_catalog;
use daogou_explain::dot;
use daogou_explain::metrics::spearman;
use daogou_explain::{
    EvalConfig, EvalStats, Evaluator, ExactShapley, Explainer, Explanation, IntegratedGradients,
    KernelShap, Lime, Mask, MaskedModel, MaskingStrategy, TextFeatures,
};
use daogou_model::SentenceEncoder;
use serde::Serialize;

use super::median;

/// The explained request: six words, all of them features.
pub const REQUEST: &str = "waterproof hiking jacket under 100 dollars";

/// Products explained (the closest to the request).
pub const TOP_PRODUCTS: usize = 10;

/// Timed runs per method unless told otherwise.
const DEFAULT_REPEATS: usize = 3;

/// LIME sample counts compared.
const LIME_SAMPLES: [usize; 2] = [1000, 5000];

/// The evaluator settings `daogou recommend` uses: big batches, no rayon (the encoder
/// already uses every core).
const EVAL_CONFIG: EvalConfig = EvalConfig {
    batch_size: 256,
    parallel: false,
    max_cache_bytes: 512 << 20,
};

/// Options of `bench explain`.
#[derive(Debug, Clone, Args)]
pub struct Options {
    /// Timed runs per method (the median is reported).
    #[arg(long, default_value_t = DEFAULT_REPEATS)]
    repeats: usize,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            repeats: DEFAULT_REPEATS,
        }
    }
}

/// One explained product.
#[derive(Debug, Serialize)]
pub struct ProductRow {
    /// Catalog id.
    id: String,
    /// Title.
    title: String,
    /// The text that was embedded (`Product::embedding_text`).
    text: String,
    /// cos(request, product).
    cosine: f64,
}

/// One method's cost and error.
#[derive(Debug, Serialize)]
pub struct MethodRow {
    /// Stable key (`exact_shapley`, `kernel_shap`, `lime_1000`, `lime_5000`,
    /// `integrated_gradients`).
    key: String,
    /// What was run, for people.
    label: String,
    /// Median wall time of explaining all products, s.
    seconds: f64,
    /// Distinct texts embedded (gradient points for Integrated Gradients).
    model_evals: usize,
    /// Evaluations the method asked for before deduplication.
    requested_evals: usize,
    /// Mean over products of max over words of |φ − φ_exact|.
    max_abs_error: f64,
    /// Mean over products of Spearman's ρ between φ and φ_exact.
    spearman: f64,
    /// φ per product (rows) and word (columns).
    values: Vec<Vec<f64>>,
}

/// All mask-based methods on one evaluator.
#[derive(Debug, Serialize)]
pub struct SharedRow {
    /// Methods run, in order.
    methods: Vec<String>,
    /// Median wall time of the whole sequence, s.
    seconds: f64,
    /// Distinct texts embedded.
    model_evals: usize,
    /// Evaluations asked for by all methods together.
    requested_evals: usize,
}

/// What `bench explain` measured.
#[derive(Debug, Serialize)]
pub struct Report {
    /// The explained request.
    request: String,
    /// Its words (the features).
    words: Vec<String>,
    /// The explained products, closest first.
    products: Vec<ProductRow>,
    /// Timed runs per method.
    repeats: usize,
    /// One row per method, exact Shapley first.
    methods: Vec<MethodRow>,
    /// The mask-based methods on one shared evaluator.
    shared: SharedRow,
}

/// Runs every method `options.repeats` times on fresh evaluators and once more all
/// together on a shared one.
pub fn measure(encoder: &SentenceEncoder, options: &Options) -> Result<Report> {
    let repeats = options.repeats.max(1);
    let features = TextFeatures::new(REQUEST);
    let (products, targets) = top_products(encoder)?;
    let perturb = {
        let features = features.clone();
        move |mask: &Mask| {
            features
                .render(mask, &MaskingStrategy::Delete)
                .unwrap_or_default()
        }
    };
    let model = TextScoreModel::similarity(
        encoder,
        features.num_features(),
        Box::new(perturb),
        targets.clone(),
    );

    let masked = mask_methods();
    // One untimed run first, so that no method pays for first-use allocations.
    ExactShapley::default().explain(&mut Evaluator::new(&model, EVAL_CONFIG)?)?;
    let mut runs = Vec::new();
    for (key, label, method) in &masked {
        let run = time_mask_method(&model, method.as_ref(), repeats)?;
        runs.push((key.clone(), label.clone(), run));
    }
    let ig = time_integrated_gradients(encoder, &features, &targets, repeats)?;
    runs.push((
        "integrated_gradients".to_string(),
        "IG, 50 steps, Gauss-Legendre, [PAD] baseline (all ten products in the same passes)"
            .to_string(),
        ig,
    ));

    let exact = runs
        .first()
        .map(|(_, _, run)| run.values.clone())
        .context("no exact Shapley run")?;
    let methods = runs
        .into_iter()
        .map(|(key, label, run)| {
            let (max_abs_error, spearman) = errors(&run.values, &exact);
            MethodRow {
                key,
                label,
                seconds: run.seconds,
                model_evals: run.model_evals,
                requested_evals: run.requested_evals,
                max_abs_error,
                spearman,
                values: run.values,
            }
        })
        .collect();
    let shared = time_shared(&model, &masked, repeats)?;
    Ok(Report {
        request: REQUEST.to_string(),
        words: features.feature_names(),
        products,
        repeats,
        methods,
        shared,
    })
}

/// The demo products closest to [`REQUEST`] and their embeddings.
fn top_products(encoder: &SentenceEncoder) -> Result<(Vec<ProductRow>, Vec<Vec<f32>>)> {
    let catalog = demo_catalog().products;
    let texts: Vec<String> = catalog.iter().map(|p| p.embedding_text()).collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let vectors = encoder.embed(&refs)?;
    let request = encoder
        .embed(&[REQUEST])?
        .pop()
        .context("the encoder returned no embedding")?;
    let mut ranked: Vec<(usize, f64)> = vectors
        .iter()
        .enumerate()
        .map(|(i, v)| (i, dot(&request, v)))
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    ranked.truncate(TOP_PRODUCTS);
    let rows = ranked
        .iter()
        .map(|&(i, cosine)| ProductRow {
            id: catalog[i].id.clone(),
            title: catalog[i].title.clone(),
            text: texts[i].clone(),
            cosine,
        })
        .collect();
    let targets = ranked.iter().map(|&(i, _)| vectors[i].clone()).collect();
    Ok((rows, targets))
}

/// The mask-based methods, exact Shapley first: key, label, method.
fn mask_methods() -> Vec<(String, String, Box<dyn Explainer>)> {
    let mut methods: Vec<(String, String, Box<dyn Explainer>)> = vec![
        (
            "exact_shapley".to_string(),
            "exact Shapley (all 2^M coalitions)".to_string(),
            Box::new(ExactShapley::default()),
        ),
        (
            "kernel_shap".to_string(),
            "Kernel SHAP, default budget 2M + 2048".to_string(),
            Box::new(KernelShap::default()),
        ),
    ];
    for samples in LIME_SAMPLES {
        methods.push((
            format!("lime_{samples}"),
            format!("LIME, {samples} samples"),
            Box::new(Lime {
                num_samples: samples,
                ..Lime::default()
            }),
        ));
    }
    methods
}

/// The outcome of timing one method.
struct Timed {
    seconds: f64,
    model_evals: usize,
    requested_evals: usize,
    values: Vec<Vec<f64>>,
}

impl Timed {
    fn new(times: &mut [f64], stats: EvalStats, explanations: &[Explanation]) -> Self {
        Self {
            seconds: median(times),
            model_evals: stats.evaluated,
            requested_evals: stats.requested,
            values: explanations.iter().map(|e| e.values.clone()).collect(),
        }
    }
}

/// Runs `method` on a fresh evaluator `repeats` times.
fn time_mask_method(
    model: &dyn MaskedModel,
    method: &dyn Explainer,
    repeats: usize,
) -> Result<Timed> {
    let mut times = Vec::with_capacity(repeats);
    let mut last = None;
    for _ in 0..repeats {
        let start = Instant::now();
        let mut evaluator = Evaluator::new(model, EVAL_CONFIG)?;
        let explanations = method.explain(&mut evaluator)?;
        times.push(start.elapsed().as_secs_f64());
        last = Some((evaluator.stats(), explanations));
    }
    let (stats, explanations) = last.context("no run")?;
    Ok(Timed::new(&mut times, stats, &explanations))
}

/// Runs Integrated Gradients for all products (one set of batched passes), `repeats`
/// times.
fn time_integrated_gradients(
    encoder: &SentenceEncoder,
    features: &TextFeatures,
    targets: &[Vec<f32>],
    repeats: usize,
) -> Result<Timed> {
    let ig = IntegratedGradients::default();
    let mut times = Vec::with_capacity(repeats);
    let mut explanations = Vec::new();
    for _ in 0..repeats {
        let start = Instant::now();
        let vectors: Vec<&[f32]> = targets.iter().map(Vec::as_slice).collect();
        let model = EmbeddingSimilarity::with_targets(encoder, features.text(), &vectors)?;
        let groups = model.word_groups(features)?;
        let input = model.input()?;
        let baseline = model.baseline(EmbeddingBaseline::Pad)?;
        explanations = ig.explain_targets(&model, &input, &baseline, &groups)?;
        times.push(start.elapsed().as_secs_f64());
    }
    Ok(Timed {
        seconds: median(&mut times),
        model_evals: explanations.iter().map(|e| e.model_evals).sum(),
        requested_evals: explanations.iter().map(|e| e.requested_evals).sum(),
        values: explanations.iter().map(|e| e.values.clone()).collect(),
    })
}

/// Runs all mask-based methods in order on one evaluator, `repeats` times.
fn time_shared(
    model: &dyn MaskedModel,
    methods: &[(String, String, Box<dyn Explainer>)],
    repeats: usize,
) -> Result<SharedRow> {
    let mut times = Vec::with_capacity(repeats);
    let mut stats = EvalStats::default();
    for _ in 0..repeats {
        let start = Instant::now();
        let mut evaluator = Evaluator::new(model, EVAL_CONFIG)?;
        for (_, _, method) in methods {
            method.explain(&mut evaluator)?;
        }
        times.push(start.elapsed().as_secs_f64());
        stats = evaluator.stats();
    }
    Ok(SharedRow {
        methods: methods.iter().map(|(key, _, _)| key.clone()).collect(),
        seconds: median(&mut times),
        model_evals: stats.evaluated,
        requested_evals: stats.requested,
    })
}

/// Mean over products of max |φ − φ_exact| and of Spearman's ρ.
fn errors(values: &[Vec<f64>], exact: &[Vec<f64>]) -> (f64, f64) {
    let n = values.len().min(exact.len()).max(1) as f64;
    let (mut max_abs, mut rho) = (0.0, 0.0);
    for (v, e) in values.iter().zip(exact) {
        max_abs += v
            .iter()
            .zip(e)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        // Constant attributions have no rank order: they count as uncorrelated.
        rho += spearman(v, e).ok().flatten().unwrap_or(0.0);
    }
    (max_abs / n, rho / n)
}

/// Prints the method table.
pub fn print(report: &Report) {
    println!(
        "explanations of cos(request′, product) for \"{}\" ({} words, deleted when absent), \
         top {} demo products by cosine; median of {} runs, a fresh evaluator per method",
        report.request,
        report.words.len(),
        report.products.len(),
        report.repeats
    );
    println!(
        "{:<68} {:>10} {:>8} {:>10} {:>12} {:>9}",
        "method", "time ms", "evals", "requested", "max|Δφ| mean", "Spearman"
    );
    for m in &report.methods {
        println!(
            "{:<68} {:>10.1} {:>8} {:>10} {:>12.2e} {:>9.3}",
            m.label,
            m.seconds * 1e3,
            m.model_evals,
            m.requested_evals,
            m.max_abs_error,
            m.spearman
        );
    }
    println!(
        "{:<68} {:>10.1} {:>8} {:>10}",
        format!("shared evaluator: {}", report.shared.methods.join(" + ")),
        report.shared.seconds * 1e3,
        report.shared.model_evals,
        report.shared.requested_evals
    );
    println!(
        "evals: distinct texts embedded (IG: forward + backward points); error: mean over \
         products of max over words of |φ − φ_exact|, and mean Spearman ρ against exact Shapley"
    );
}
