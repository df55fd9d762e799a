//! Attention rollout pooled to the words of a text.

use daogou_explain::{
    attention_explanation, AttentionMaps, AttentionSource, Explanation, Pooling, TextFeatures,
    TokenWordMap,
};
use daogou_model::SentenceEncoder;

use crate::AttributeError;

/// Attention probabilities of every layer and head: `[layer][head][query][key]`.
pub type AttentionStack = Vec<Vec<Vec<Vec<f32>>>>;

/// Attention rollout from `[CLS]` pooled (summed) to the words of `features`, with the
/// tokens and the raw `[layer][head][query][key]` maps it came from.
pub fn word_attention(
    encoder: &SentenceEncoder,
    features: &TextFeatures,
) -> Result<(Explanation, Vec<String>, AttentionStack), AttributeError> {
    let analysis = encoder.analyze(features.text())?;
    let maps = AttentionMaps::from_nested(&analysis.attentions)?;
    let spans: Vec<(usize, usize)> = features
        .words()
        .iter()
        .map(|w| (w.byte_start, w.byte_end))
        .collect();
    let map = TokenWordMap::new(analysis.encoding.tokens_to_spans(&spans), spans.len())?;
    let explanation = attention_explanation(
        &maps.rollout()?,
        AttentionSource::FromToken(0),
        Some((&map, Pooling::Sum)),
        Some(features.feature_names()),
    )?;
    Ok((explanation, analysis.encoding.tokens, analysis.attentions))
}
