//! Plausibility: agreement of token attributions with human rationales, as ERASER
//! scores it (DeYoung et al. 2020, §4.1; reference code `rationale_benchmark/metrics.py`).
//!
//! Scores are "higher = more evidence for the explained output" (pass |values| to rank
//! by magnitude). Hard metrics (token F1, IOU F1) first binarise the scores with a
//! [`Binarize`] rule; AUPRC uses them as they are.

use serde::{Deserialize, Serialize};

use super::rank::{importance_order, ImportanceOrder};
use super::{check_finite, check_same_len};
use crate::error::ExplainError;

/// ERASER's IOU threshold: a predicted span matches a gold span when IOU ≥ 0.5.
pub const ERASER_IOU_THRESHOLD: f64 = 0.5;

/// A half-open token range `start..end`, as ERASER's `start_token`/`end_token`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TokenSpan {
    /// First token.
    pub start: usize,
    /// One past the last token.
    pub end: usize,
}

impl TokenSpan {
    /// Number of tokens covered.
    pub fn len(&self) -> usize {
        self.end.saturating_sub(self.start)
    }

    /// Whether the span covers no token.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Intersection over union of the covered tokens; 0 when both are empty.
    pub fn iou(&self, other: &TokenSpan) -> f64 {
        let intersection = self
            .end
            .min(other.end)
            .saturating_sub(self.start.max(other.start));
        let union = self.len() + other.len() - intersection;
        if union == 0 {
            0.0
        } else {
            intersection as f64 / union as f64
        }
    }
}

/// The maximal runs of `true` in a token mask, as spans.
pub fn spans_of(mask: &[bool]) -> Vec<TokenSpan> {
    let mut spans = Vec::new();
    let mut start = None;
    for (i, &selected) in mask.iter().chain([&false]).enumerate() {
        match (selected, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                spans.push(TokenSpan { start: s, end: i });
                start = None;
            }
            _ => {}
        }
    }
    spans
}

/// How continuous scores become a hard rationale.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Binarize {
    /// The k highest-scoring tokens, k = the number of human rationale tokens (the usual
    /// choice when a method has no threshold of its own; ties by lower index).
    #[default]
    RationaleLength,
    /// The k highest-scoring tokens (ties by lower index; capped at the length).
    TopK(usize),
    /// Tokens with score strictly greater than the threshold (`Threshold(0.0)` keeps the
    /// tokens with positive evidence).
    Threshold(f64),
}

/// Selects tokens from `scores` by `rule`; `rationale_tokens` is the number of human
/// rationale tokens (used by [`Binarize::RationaleLength`]).
pub fn binarize(
    scores: &[f64],
    rule: Binarize,
    rationale_tokens: usize,
) -> Result<Vec<bool>, ExplainError> {
    check_finite("scores", scores)?;
    let top = |k: usize| {
        let mut selected = vec![false; scores.len()];
        for i in importance_order(scores, ImportanceOrder::Signed)
            .into_iter()
            .take(k)
        {
            selected[i] = true;
        }
        selected
    };
    Ok(match rule {
        Binarize::RationaleLength => top(rationale_tokens),
        Binarize::TopK(k) => top(k),
        Binarize::Threshold(t) if t.is_nan() => {
            return Err(ExplainError::invalid("threshold", "must not be NaN"))
        }
        Binarize::Threshold(t) => scores.iter().map(|&s| s > t).collect(),
    })
}

/// Precision, recall and their harmonic mean.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Prf {
    /// Precision.
    pub precision: f64,
    /// Recall.
    pub recall: f64,
    /// F1 = 2PR / (P + R); 0 when P or R is 0 (ERASER's `_f1`).
    pub f1: f64,
}

impl Prf {
    /// P, R and their F1.
    pub fn new(precision: f64, recall: f64) -> Prf {
        let f1 = if precision == 0.0 || recall == 0.0 {
            0.0
        } else {
            2.0 * precision * recall / (precision + recall)
        };
        Prf {
            precision,
            recall,
            f1,
        }
    }
}

/// Matches of one instance: tokens (token F1) or spans (IOU F1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchCounts {
    /// Predicted items that match gold (true positives).
    pub matched: usize,
    /// Predicted items.
    pub predicted: usize,
    /// Gold items.
    pub gold: usize,
}

impl MatchCounts {
    /// Instance P = matched / predicted, R = matched / gold (each 0 when its
    /// denominator is 0), and F1.
    pub fn prf(&self) -> Prf {
        Prf::new(
            ratio(self.matched, self.predicted),
            ratio(self.matched, self.gold),
        )
    }
}

/// Micro- and macro-averaged precision, recall and F1 over instances.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AveragedPrf {
    /// From summed counts: Σ matched / Σ predicted, Σ matched / Σ gold.
    pub micro: Prf,
    /// Averaged per instance (see the function that made it for ERASER's two rules).
    #[serde(rename = "macro")]
    pub macro_avg: Prf,
}

/// Token-level matches: selected tokens that are rationale tokens. Errors when the
/// lengths differ.
pub fn token_matches(predicted: &[bool], gold: &[bool]) -> Result<MatchCounts, ExplainError> {
    check_same_len("token_matches", predicted.len(), gold.len())?;
    Ok(MatchCounts {
        matched: predicted.iter().zip(gold).filter(|(&p, &g)| p && g).count(),
        predicted: predicted.iter().filter(|&&p| p).count(),
        gold: gold.iter().filter(|&&g| g).count(),
    })
}

/// ERASER's partial-match rule: a predicted span is a true positive when its best IOU
/// with any gold span is ≥ `threshold` (0.5 in ERASER). Duplicate spans count once.
/// As in ERASER, recall's numerator is the number of matched *predicted* spans.
pub fn iou_matches(predicted: &[TokenSpan], gold: &[TokenSpan], threshold: f64) -> MatchCounts {
    let predicted = dedup(predicted);
    let gold = dedup(gold);
    let matched = predicted
        .iter()
        .filter(|p| gold.iter().map(|g| p.iou(g)).fold(0.0, f64::max) >= threshold)
        .count();
    MatchCounts {
        matched,
        predicted: predicted.len(),
        gold: gold.len(),
    }
}

/// Token F1 over instances, as ERASER's `score_hard_rationale_predictions`: micro from
/// summed counts; macro P, R and F1 each the mean of the instance values, over the
/// instances with any predicted or gold token.
pub fn average_token_prf(instances: &[MatchCounts]) -> AveragedPrf {
    let scored: Vec<Prf> = instances
        .iter()
        .filter(|c| c.predicted > 0 || c.gold > 0)
        .map(MatchCounts::prf)
        .collect();
    let mean = |f: fn(&Prf) -> f64| mean_or_zero(scored.iter().map(f));
    AveragedPrf {
        micro: micro(instances),
        macro_avg: Prf {
            precision: mean(|p| p.precision),
            recall: mean(|p| p.recall),
            f1: mean(|p| p.f1),
        },
    }
}

/// IOU F1 over instances, as ERASER's `partial_match_score`: micro from summed counts;
/// macro recall the mean over instances with gold spans, macro precision the mean over
/// instances with predicted spans, and macro F1 the F1 of those two means.
pub fn average_iou_prf(instances: &[MatchCounts]) -> AveragedPrf {
    let recall = mean_or_zero(
        instances
            .iter()
            .filter(|c| c.gold > 0)
            .map(|c| ratio(c.matched, c.gold)),
    );
    let precision = mean_or_zero(
        instances
            .iter()
            .filter(|c| c.predicted > 0)
            .map(|c| ratio(c.matched, c.predicted)),
    );
    AveragedPrf {
        micro: micro(instances),
        macro_avg: Prf::new(precision, recall),
    }
}

/// Average precision of `scores` against the binary `gold` mask: Σₙ (Rₙ − Rₙ₋₁) Pₙ
/// over the thresholds at each distinct score, highest first; tied scores enter
/// together, so the result does not depend on token order (sklearn's
/// `average_precision_score`, which ERASER reports as `average_precision`; its `auprc`
/// entry is a trapezoid interpolation of the same curve). `None` when `gold` has no
/// rationale token. Errors when lengths differ or a score is not finite.
pub fn average_precision(scores: &[f64], gold: &[bool]) -> Result<Option<f64>, ExplainError> {
    check_same_len("average_precision", scores.len(), gold.len())?;
    check_finite("scores", scores)?;
    let positives = gold.iter().filter(|&&g| g).count();
    if positives == 0 {
        return Ok(None);
    }
    let order = importance_order(scores, ImportanceOrder::Signed);
    let (mut tp, mut seen, mut ap, mut last_recall) = (0usize, 0usize, 0.0, 0.0);
    for (n, &i) in order.iter().enumerate() {
        tp += usize::from(gold[i]);
        seen += 1;
        let group_ends = order
            .get(n + 1)
            .is_none_or(|&next| scores[next] != scores[i]);
        if group_ends {
            let recall = tp as f64 / positives as f64;
            ap += (recall - last_recall) * (tp as f64 / seen as f64);
            last_recall = recall;
        }
    }
    Ok(Some(ap))
}

/// How to score plausibility of one instance.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Plausibility {
    /// Binarisation for token and IOU F1 (default [`Binarize::RationaleLength`]).
    pub binarize: Binarize,
    /// IOU threshold for a span match (default [`ERASER_IOU_THRESHOLD`]).
    pub iou_threshold: f64,
}

impl Default for Plausibility {
    fn default() -> Self {
        Plausibility {
            binarize: Binarize::RationaleLength,
            iou_threshold: ERASER_IOU_THRESHOLD,
        }
    }
}

/// Plausibility metrics of one instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstancePlausibility {
    /// Number of tokens.
    pub tokens: usize,
    /// Number of selected tokens.
    pub selected: usize,
    /// Token matches.
    pub token: MatchCounts,
    /// Token precision, recall, F1.
    pub token_prf: Prf,
    /// Span matches (predicted spans: runs of selected tokens).
    pub iou: MatchCounts,
    /// IOU precision, recall, F1.
    pub iou_prf: Prf,
    /// Average precision of the continuous scores (`None` without rationale tokens).
    pub average_precision: Option<f64>,
}

/// Plausibility over a data set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlausibilitySummary {
    /// Number of instances.
    pub instances: usize,
    /// Token F1, ERASER's averaging ([`average_token_prf`]).
    pub token_f1: AveragedPrf,
    /// IOU F1, ERASER's averaging ([`average_iou_prf`]).
    pub iou_f1: AveragedPrf,
    /// Mean average precision over instances with both rationale and non-rationale
    /// tokens (ERASER discards single-class instances); `None` if there are none.
    pub auprc: Option<f64>,
    /// Instances in that mean.
    pub auprc_instances: usize,
}

impl Plausibility {
    /// Scores one instance: `scores` and `gold` per token, `gold_spans` the human
    /// rationale spans (ERASER's evidences; [`spans_of`]`(gold)` without them).
    pub fn evaluate(
        &self,
        scores: &[f64],
        gold: &[bool],
        gold_spans: &[TokenSpan],
    ) -> Result<InstancePlausibility, ExplainError> {
        check_same_len("plausibility scores vs gold", scores.len(), gold.len())?;
        if let Some(span) = gold_spans
            .iter()
            .find(|s| s.end > gold.len() || s.start > s.end)
        {
            return Err(ExplainError::InvalidInput(format!(
                "gold span {}..{} does not fit {} tokens",
                span.start,
                span.end,
                gold.len()
            )));
        }
        let gold_tokens = gold.iter().filter(|&&g| g).count();
        let selected = binarize(scores, self.binarize, gold_tokens)?;
        let token = token_matches(&selected, gold)?;
        let iou = iou_matches(&spans_of(&selected), gold_spans, self.iou_threshold);
        Ok(InstancePlausibility {
            tokens: gold.len(),
            selected: token.predicted,
            token_prf: token.prf(),
            token,
            iou_prf: iou.prf(),
            iou,
            average_precision: average_precision(scores, gold)?,
        })
    }

    /// Aggregates instances with ERASER's averaging rules.
    pub fn summarize(instances: &[InstancePlausibility]) -> PlausibilitySummary {
        let tokens: Vec<MatchCounts> = instances.iter().map(|i| i.token).collect();
        let spans: Vec<MatchCounts> = instances.iter().map(|i| i.iou).collect();
        let aps: Vec<f64> = instances
            .iter()
            .filter(|i| i.token.gold > 0 && i.token.gold < i.tokens)
            .filter_map(|i| i.average_precision)
            .collect();
        PlausibilitySummary {
            instances: instances.len(),
            token_f1: average_token_prf(&tokens),
            iou_f1: average_iou_prf(&spans),
            auprc: (!aps.is_empty()).then(|| aps.iter().sum::<f64>() / aps.len() as f64),
            auprc_instances: aps.len(),
        }
    }
}

fn micro(instances: &[MatchCounts]) -> Prf {
    let sum = |f: fn(&MatchCounts) -> usize| instances.iter().map(f).sum::<usize>();
    MatchCounts {
        matched: sum(|c| c.matched),
        predicted: sum(|c| c.predicted),
        gold: sum(|c| c.gold),
    }
    .prf()
}

fn ratio(numerator: usize, denominator: usize) -> f64 {
    if denominator == 0 {
        0.0
    } else {
        numerator as f64 / denominator as f64
    }
}

fn mean_or_zero(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    if n == 0 {
        0.0
    } else {
        sum / n as f64
    }
}

fn dedup(spans: &[TokenSpan]) -> Vec<TokenSpan> {
    let mut spans = spans.to_vec();
    spans.sort_unstable();
    spans.dedup();
    spans
}
