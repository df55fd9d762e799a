//! Signed feature attributions as a horizontal bar chart.

use crate::color;
use crate::error::RenderError;
use crate::format::format_signed;
use crate::hbars::{HBars, Row};
use crate::Render;

/// One bar per feature, growing right (red) for positive and left (blue) for
/// negative attributions from a zero line, with the value printed at its end.
///
/// Rows keep the given order; non-finite values get no bar and print `NaN`/`∞`.
#[derive(Debug, Clone, PartialEq)]
pub struct AttributionBars {
    /// Title drawn above the chart (may be empty).
    pub title: String,
    /// Feature names, top to bottom.
    pub labels: Vec<String>,
    /// One attribution per label.
    pub values: Vec<f64>,
    /// Legend text of positive bars.
    pub positive_label: String,
    /// Legend text of negative bars.
    pub negative_label: String,
}

impl AttributionBars {
    /// A chart with no title and legend texts "positive" / "negative".
    pub fn new<S: Into<String>>(labels: impl IntoIterator<Item = S>, values: Vec<f64>) -> Self {
        AttributionBars {
            title: String::new(),
            labels: labels.into_iter().map(Into::into).collect(),
            values,
            positive_label: "positive".to_string(),
            negative_label: "negative".to_string(),
        }
    }

    /// Sets the title.
    pub fn with_title(mut self, title: impl Into<String>) -> Self {
        self.title = title.into();
        self
    }

    /// Sets the legend texts, e.g. "raises the score" / "lowers the score".
    pub fn with_legend(mut self, positive: impl Into<String>, negative: impl Into<String>) -> Self {
        self.positive_label = positive.into();
        self.negative_label = negative.into();
        self
    }
}

impl Render for AttributionBars {
    /// Bars are `<rect class="bar pos|neg|zero">`; the zero line has class `zero`.
    fn to_svg(&self) -> Result<String, RenderError> {
        if self.labels.is_empty() {
            return Err(RenderError::Empty(
                "attribution bars need at least one label",
            ));
        }
        if self.labels.len() != self.values.len() {
            return Err(RenderError::Shape(format!(
                "attribution bars have {} labels but {} values",
                self.labels.len(),
                self.values.len()
            )));
        }
        let rows = self
            .labels
            .iter()
            .zip(&self.values)
            .map(|(label, &v)| Row {
                label: label.clone(),
                span: v.is_finite().then_some((0.0, v)),
                total: false,
                value_text: format_signed(v),
                tooltip: format!("{label}: {}", format_signed(v)),
            })
            .collect();
        Ok(HBars {
            title: &self.title,
            rows,
            legend: vec![
                (color::POSITIVE_FILL, &self.positive_label),
                (color::NEGATIVE_FILL, &self.negative_label),
            ],
            connectors: false,
        }
        .render())
    }
}
