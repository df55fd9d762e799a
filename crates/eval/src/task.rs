//! One explanation task (a list of texts, each with the score explained) run through
//! every method and every metric.

use std::time::Instant;

use anyhow::{Context, Result};
use daogou_explain::metrics::faithfulness::ERASER_BINS;
use daogou_explain::metrics::{summarize_costs, CostSummary, Faithfulness, FaithfulnessReport};
use daogou_explain::Explanation;
use daogou_model::SentenceEncoder;
use serde::Serialize;

use super::agreement::{self, InstanceAgreement, MethodAgreement, MethodCorrelation};
use super::faithfulness::{self, FaithfulnessScores, MethodFaithfulness, RANDOM};
use super::methods::{explain, new_evaluator};
use super::model::TextInstance;
use super::requests::{substitute_synonym, Substitution};
use super::settings::EvalSettings;
use super::Progress;
use daogou_attribute::{Method, TextTarget};

/// A text to explain and the score explained.
pub struct TaskInput<'a> {
    /// The text; its words are the features.
    pub text: String,
    /// What is explained, for people (`cos(request, out-001)`, `P(positive)`).
    pub explained: String,
    /// A remark for the report (`golden query`, `gold label: negative`).
    pub note: Option<String>,
    /// The score.
    pub target: TextTarget<'a>,
}

/// One method on one instance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MethodRecord {
    /// The method.
    pub method: Method,
    /// Attribution per word (seed 0).
    pub values: Vec<f64>,
    /// Distinct model evaluations of the explanation.
    pub model_evals: usize,
    /// Its wall time in milliseconds.
    pub wall_time_ms: f64,
    /// Its faithfulness.
    pub faithfulness: FaithfulnessScores,
    /// Agreement with exact Shapley values (not for exact Shapley itself).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agreement: Option<InstanceAgreement>,
    /// Mean pairwise Spearman ρ across seeds (sampled methods).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stability: Option<f64>,
    /// Spearman ρ with the attributions of the perturbed text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sensitivity: Option<f64>,
}

/// One instance: its words, scores and every method's results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InstanceRecord {
    /// The text.
    pub text: String,
    /// What is explained.
    pub explained: String,
    /// A remark.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The words (features).
    pub words: Vec<String>,
    /// f(x).
    pub full_value: f64,
    /// f(∅).
    pub empty_value: f64,
    /// The random baseline's mean faithfulness.
    pub random: FaithfulnessScores,
    /// The synonym substitution of the sensitivity test, if a word had one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub substitution: Option<Substitution>,
    /// Results per method, in [`Method::EVALUATED`] order.
    pub methods: Vec<MethodRecord>,
}

/// A task's results per instance and averaged per method.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaskReport {
    /// Short name (`recommendation`, `sentiment`).
    pub name: String,
    /// What was explained.
    pub description: String,
    /// Per instance.
    pub instances: Vec<InstanceRecord>,
    /// Per method, then the random baseline.
    pub faithfulness: Vec<MethodFaithfulness>,
    /// Per method other than exact Shapley.
    pub agreement: Vec<MethodAgreement>,
    /// Per sampled method: mean pairwise Spearman ρ across seeds.
    pub stability: Vec<MethodCorrelation>,
    /// Per method: Spearman ρ between attributions before and after a synonym swap.
    pub sensitivity: Vec<MethodCorrelation>,
    /// Cost of one explanation per method.
    pub cost: Vec<CostSummary>,
    /// Wall time of the task in seconds.
    pub wall_time_s: f64,
}

/// Explains every input with every method and computes every metric.
pub fn run_task(
    encoder: &SentenceEncoder,
    name: &str,
    description: &str,
    inputs: Vec<TaskInput<'_>>,
    settings: &EvalSettings,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<TaskReport> {
    let started = Instant::now();
    progress(Progress::Stage {
        name,
        steps: inputs.len(),
    });
    let mut instances = Vec::with_capacity(inputs.len());
    let mut calls = Vec::new();
    for input in inputs {
        let (record, explanations) =
            run_instance(encoder, input, settings).with_context(|| format!("{name} task"))?;
        calls.extend(explanations.into_iter().map(|e| vec![e]));
        instances.push(record);
        progress(Progress::Step);
    }
    Ok(TaskReport {
        name: name.to_string(),
        description: description.to_string(),
        faithfulness: average_faithfulness(&instances),
        agreement: Method::EVALUATED[1..]
            .iter()
            .map(|&m| {
                let values: Vec<&InstanceAgreement> = method_records(&instances, m)
                    .filter_map(|r| r.agreement.as_ref())
                    .collect();
                MethodAgreement::average(m.name(), &values)
            })
            .collect(),
        stability: Method::SAMPLED
            .iter()
            .map(|&m| {
                let values = method_records(&instances, m).map(|r| r.stability);
                MethodCorrelation::average(m.name(), values)
            })
            .collect(),
        sensitivity: Method::EVALUATED
            .iter()
            .map(|&m| {
                let values = method_records(&instances, m).map(|r| r.sensitivity);
                MethodCorrelation::average(m.name(), values)
            })
            .collect(),
        cost: summarize_costs(&calls),
        instances,
        wall_time_s: started.elapsed().as_secs_f64(),
    })
}

fn method_records(
    instances: &[InstanceRecord],
    method: Method,
) -> impl Iterator<Item = &MethodRecord> {
    instances
        .iter()
        .flat_map(move |i| i.methods.iter().filter(move |r| r.method == method))
}

fn average_faithfulness(instances: &[InstanceRecord]) -> Vec<MethodFaithfulness> {
    let mut rows: Vec<MethodFaithfulness> = Method::EVALUATED
        .iter()
        .filter_map(|&m| {
            let pairs: Vec<_> = instances
                .iter()
                .flat_map(|i| {
                    i.methods
                        .iter()
                        .filter(move |r| r.method == m)
                        .map(move |r| (&r.faithfulness, &i.random))
                })
                .collect();
            faithfulness::average(m.name(), &ERASER_BINS, &pairs)
        })
        .collect();
    let random: Vec<_> = instances.iter().map(|i| (&i.random, &i.random)).collect();
    rows.extend(faithfulness::average(RANDOM, &ERASER_BINS, &random));
    rows
}

/// Runs every method on one input: once on the uncached model (for the cost), then the
/// metrics, other seeds and the perturbed text on cached embeddings. Returns the record
/// and the cost-bearing explanations.
fn run_instance(
    encoder: &SentenceEncoder,
    input: TaskInput<'_>,
    settings: &EvalSettings,
) -> Result<(InstanceRecord, Vec<Explanation>)> {
    let instance = TextInstance::new(encoder, &input.text, input.target, settings.masking);
    let explanations = Method::EVALUATED
        .iter()
        .map(|&m| explain(&instance, m, &settings.methods, 0, None))
        .collect::<Result<Vec<_>>>()
        .with_context(|| format!("explaining {:?}", input.text))?;

    let model = instance.model(true);
    let mut evaluator = new_evaluator(&instance, &model)?;
    let faithfulness = Faithfulness {
        random_baselines: settings.random_baselines.max(1),
        ..Faithfulness::default()
    };
    let reports = explanations
        .iter()
        .map(|e| faithfulness.evaluate_explanation(&mut evaluator, e))
        .collect::<Result<Vec<FaithfulnessReport>, _>>()?;
    let first = reports.first().context("no faithfulness report")?;
    let random = first.random.as_ref().context("no random baseline")?;
    let agreements = agreement::with_exact(&explanations[0], &explanations[1..])?;

    let mut stabilities = Vec::new();
    for (i, &method) in Method::EVALUATED.iter().enumerate() {
        let mut stability = None;
        if Method::SAMPLED.contains(&method) && settings.seeds >= 2 {
            let mut runs = vec![explanations[i].clone()];
            for seed in 1..settings.seeds as u64 {
                runs.push(explain(
                    &instance,
                    method,
                    &settings.methods,
                    seed,
                    Some(&mut evaluator),
                )?);
            }
            stability = agreement::stability(&runs)?;
        }
        stabilities.push(stability);
    }

    let substitution = substitute_synonym(&input.text);
    let sensitivities = match &substitution {
        Some(s) => sensitivities(&instance, &s.text, &explanations, settings)?,
        None => vec![None; explanations.len()],
    };

    let methods = explanations
        .iter()
        .zip(&reports)
        .enumerate()
        .map(|(i, (e, report))| MethodRecord {
            method: Method::EVALUATED[i],
            values: e.values.clone(),
            model_evals: e.model_evals,
            wall_time_ms: e.wall_time_ms,
            faithfulness: FaithfulnessScores::of_method(report),
            agreement: i.checked_sub(1).map(|j| agreements[j].clone()),
            stability: stabilities[i],
            sensitivity: sensitivities[i],
        })
        .collect();
    let record = InstanceRecord {
        text: input.text,
        explained: input.explained,
        note: input.note,
        words: instance.features.feature_names(),
        full_value: first.full_value,
        empty_value: first.empty_value,
        random: FaithfulnessScores::of_random(random),
        substitution,
        methods,
    };
    Ok((record, explanations))
}

/// Spearman ρ per method between the attributions of the instance and of `perturbed`
/// (same number of words, same target).
fn sensitivities(
    instance: &TextInstance<'_>,
    perturbed: &str,
    explanations: &[Explanation],
    settings: &EvalSettings,
) -> Result<Vec<Option<f64>>> {
    let other = TextInstance::new(
        instance.encoder,
        perturbed,
        instance.target.clone(),
        instance.masking,
    );
    if other.features.num_features() != instance.features.num_features() {
        return Ok(vec![None; explanations.len()]);
    }
    let model = other.model(true);
    let mut evaluator = new_evaluator(&other, &model)?;
    Method::EVALUATED
        .iter()
        .zip(explanations)
        .map(|(&m, original)| {
            let e = explain(&other, m, &settings.methods, 0, Some(&mut evaluator))?;
            agreement::sensitivity(original, &e)
        })
        .collect()
}
