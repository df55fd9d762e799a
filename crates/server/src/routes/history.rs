//! Shopper histories in request bodies, checked exactly like history files.

use daogou_catalog::{read_history, HistoryEvent};
use serde_json::Value;

use crate::error::ApiError;
use crate::limits::Limits;

/// Turns the `history` array of a request into events, refusing the whole request (`422`)
/// when any event is invalid, with its index and the reason.
pub fn events(history: &[Value], limits: &Limits) -> Result<Vec<HistoryEvent>, ApiError> {
    if history.len() > limits.max_history_events {
        return Err(ApiError::unprocessable(format!(
            "\"history\" has {} events, more than the limit of {}; send the most recent ones",
            history.len(),
            limits.max_history_events
        )));
    }
    // One JSON object per line: the history-file reader checks each event as it would
    // check a line of a file (search events need a query, product events a product, ...).
    let lines: Vec<String> = history.iter().map(Value::to_string).collect();
    let (events, issues) = read_history(lines.join("\n").as_bytes());
    if let Some(issue) = issues.first() {
        return Err(ApiError::unprocessable(format!(
            "history[{}]: {}",
            issue.line - 1,
            issue.reason
        )));
    }
    for (i, event) in events.iter().enumerate() {
        if let Some(query) = &event.query {
            limits.text(&format!("history[{i}].query"), query)?;
        }
    }
    Ok(events)
}
