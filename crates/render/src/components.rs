//! Score components of a recommendation as a waterfall.

use crate::color;
use crate::error::RenderError;
use crate::format::{format_signed, format_value};
use crate::hbars::{HBars, Row};
use crate::Render;

/// Named contributions that add up to a score, drawn as a horizontal waterfall:
/// each bar starts where the previous one ended, and a dark total bar from zero
/// closes the chart.
///
/// Non-finite contributions are shown as missing and left out of the total.
#[derive(Debug, Clone, PartialEq)]
pub struct ComponentBars {
    /// Title drawn above the chart (may be empty).
    pub title: String,
    /// `(name, contribution)` in the order they are added up.
    pub components: Vec<(String, f64)>,
    /// Label of the total row.
    pub total_label: String,
}

impl ComponentBars {
    /// A waterfall with no title and a total row labelled "total".
    pub fn new<S: Into<String>>(components: impl IntoIterator<Item = (S, f64)>) -> Self {
        ComponentBars {
            title: String::new(),
            components: components
                .into_iter()
                .map(|(name, v)| (name.into(), v))
                .collect(),
            total_label: "total".to_string(),
        }
    }

    /// Sets the title.
    pub fn with_title(mut self, title: impl Into<String>) -> Self {
        self.title = title.into();
        self
    }

    /// Sets the label of the total row.
    pub fn with_total_label(mut self, label: impl Into<String>) -> Self {
        self.total_label = label.into();
        self
    }

    /// Sum of the finite contributions.
    pub fn total(&self) -> f64 {
        self.components
            .iter()
            .map(|&(_, v)| v)
            .filter(|v| v.is_finite())
            .sum()
    }
}

impl Render for ComponentBars {
    /// Component bars are `<rect class="bar pos|neg|zero">`, the total
    /// `<rect class="bar total">`.
    fn to_svg(&self) -> Result<String, RenderError> {
        if self.components.is_empty() {
            return Err(RenderError::Empty(
                "component bars need at least one component",
            ));
        }
        let mut running = 0.0;
        let mut rows: Vec<Row> = Vec::with_capacity(self.components.len() + 1);
        for (name, v) in &self.components {
            let span = v.is_finite().then(|| {
                let span = (running, running + v);
                running += v;
                span
            });
            rows.push(Row {
                label: name.clone(),
                span,
                total: false,
                value_text: format_signed(*v),
                tooltip: format!("{name}: {}", format_signed(*v)),
            });
        }
        rows.push(Row {
            label: self.total_label.clone(),
            span: Some((0.0, running)),
            total: true,
            value_text: format_value(running),
            tooltip: format!("{}: {}", self.total_label, format_value(running)),
        });
        Ok(HBars {
            title: &self.title,
            rows,
            legend: vec![
                (color::POSITIVE_FILL, "increase"),
                (color::NEGATIVE_FILL, "decrease"),
            ],
            connectors: true,
        }
        .render())
    }
}
