//! Shared drawing of horizontal bar rows, used by [`crate::AttributionBars`] and
//! [`crate::ComponentBars`]: a label column, bars spanning value intervals, a zero
//! line, a value axis with grid lines, value labels and a legend.

use crate::color::{self, Rgb};
use crate::format::Axis;
use crate::svg::{self, Svg, AXIS, GRID, LABEL_SIZE, MARGIN, MUTED, TICK_SIZE};
use crate::text::{self, Weight};

/// Longest a row label may be drawn before it is truncated.
const MAX_LABEL_WIDTH: f64 = 260.0;
/// Width of the value axis.
const PLOT_WIDTH: f64 = 380.0;
/// Height of one row.
const ROW_HEIGHT: f64 = 26.0;
/// Height of one bar.
const BAR_HEIGHT: f64 = 16.0;
/// Fill of total bars.
const TOTAL_FILL: Rgb = Rgb::new(0x55, 0x55, 0x55);
/// Fill of zero-length bars (invisible, kept so every finite value has a bar).
const ZERO_FILL: Rgb = Rgb::new(0x99, 0x99, 0x99);

/// One row of the chart.
pub(crate) struct Row {
    /// Label drawn left of the axis (truncated if long; the tooltip keeps it whole).
    pub label: String,
    /// The bar runs from `.0` to `.1` in value units; `None` for a missing value.
    pub span: Option<(f64, f64)>,
    /// Drawn as a total: dark bar, bold label.
    pub total: bool,
    /// Text next to the bar's far end.
    pub value_text: String,
    /// Tooltip of the bar.
    pub tooltip: String,
}

impl Row {
    fn goes_left(&self) -> bool {
        self.span.is_some_and(|(start, end)| end < start)
    }

    /// CSS class and fill of the bar.
    fn style(&self) -> (&'static str, Rgb) {
        match self.span {
            _ if self.total => ("bar total", TOTAL_FILL),
            Some((start, end)) if end > start => ("bar pos", color::POSITIVE_FILL),
            Some((start, end)) if end < start => ("bar neg", color::NEGATIVE_FILL),
            _ => ("bar zero", ZERO_FILL),
        }
    }
}

/// A chart of horizontal bar rows.
pub(crate) struct HBars<'a> {
    /// Title drawn above (may be empty).
    pub title: &'a str,
    /// Rows, top to bottom.
    pub rows: Vec<Row>,
    /// Legend entries: swatch colour and text.
    pub legend: Vec<(Rgb, &'a str)>,
    /// Draw dashed connectors from each bar's end to the next bar (waterfalls).
    pub connectors: bool,
}

impl HBars<'_> {
    /// The chart as SVG. Rows must not be empty (callers check).
    pub(crate) fn render(&self) -> String {
        let (lo, hi) = self
            .rows
            .iter()
            .filter_map(|r| r.span)
            .fold((0.0f64, 0.0f64), |(lo, hi), (a, b)| {
                (lo.min(a).min(b), hi.max(a).max(b))
            });
        let axis = Axis::covering(lo, hi, 5);

        let value_w = |left: bool| {
            self.rows
                .iter()
                .filter(|r| r.goes_left() == left)
                .map(|r| text::width(&r.value_text, TICK_SIZE, weight(r)))
                .fold(0.0, f64::max)
        };
        let (left_w, right_w) = (value_w(true), value_w(false));
        let label_w = self
            .rows
            .iter()
            .map(|r| text::width(&r.label, LABEL_SIZE, weight(r)).min(MAX_LABEL_WIDTH))
            .fold(0.0, f64::max);
        let tick_labels: Vec<String> = axis.ticks().iter().map(|&t| axis.label(t)).collect();
        let tick_overhang = tick_labels
            .iter()
            .map(|t| text::width(t, TICK_SIZE, Weight::Regular) / 2.0)
            .fold(0.0, f64::max);
        let label_x = MARGIN + label_w;
        let x0 = (label_x + 12.0 + (left_w + 6.0).max(tick_overhang)).ceil();
        let x1 = x0 + PLOT_WIDTH;
        let legend_y = MARGIN + svg::title_height(self.title);
        let top = legend_y + if self.legend.is_empty() { 0.0 } else { 24.0 };
        let bottom = top + ROW_HEIGHT * self.rows.len() as f64;
        let legend_w: f64 = self
            .legend
            .iter()
            .map(|(_, t)| text::width(t, TICK_SIZE, Weight::Regular) + 34.0)
            .sum();
        let width = (x1 + (right_w + 6.0).max(tick_overhang) + MARGIN)
            .max(svg::title_width(self.title))
            .max(MARGIN * 2.0 + legend_w);
        let height = bottom + 8.0 + TICK_SIZE + MARGIN;
        let x = |v: f64| axis.map(v, x0, x1);

        let mut svg = Svg::new(width, height, self.title);
        self.draw_legend(&mut svg, legend_y);
        for (t, label) in axis.ticks().into_iter().zip(&tick_labels) {
            svg.line((x(t), top), (x(t), bottom), GRID);
            svg.text(x(t), bottom + 4.0 + TICK_SIZE, TICK_SIZE)
                .attr("class", "tick")
                .attr("text-anchor", "middle")
                .attr("fill", MUTED)
                .text(label);
        }
        for (i, row) in self.rows.iter().enumerate() {
            let cy = top + (i as f64 + 0.5) * ROW_HEIGHT;
            svg.text(label_x, cy + LABEL_SIZE * 0.35, LABEL_SIZE)
                .attr("class", "label")
                .attr("text-anchor", "end")
                .attr("font-weight", if row.total { "bold" } else { "normal" })
                .text(&text::truncate(
                    &row.label,
                    LABEL_SIZE,
                    weight(row),
                    MAX_LABEL_WIDTH,
                ));
            self.draw_bar(&mut svg, row, cy, &x);
            if self.connectors {
                if let (Some((_, end)), Some(next)) = (row.span, self.rows.get(i + 1)) {
                    if next.span.is_some() {
                        svg.el("line")
                            .num("x1", x(end))
                            .num("y1", cy + BAR_HEIGHT / 2.0)
                            .num("x2", x(end))
                            .num("y2", cy + ROW_HEIGHT - BAR_HEIGHT / 2.0)
                            .attr("stroke", AXIS)
                            .attr("stroke-dasharray", "2 2")
                            .end();
                    }
                }
            }
        }
        svg.el("line")
            .attr("class", "zero")
            .num("x1", x(0.0))
            .num("y1", top - 4.0)
            .num("x2", x(0.0))
            .num("y2", bottom + 2.0)
            .attr("stroke", AXIS)
            .end();
        svg.finish()
    }

    fn draw_bar(&self, svg: &mut Svg, row: &Row, cy: f64, x: &impl Fn(f64) -> f64) {
        let Some((start, end)) = row.span else {
            svg.text(x(0.0) + 4.0, cy + TICK_SIZE * 0.35, TICK_SIZE)
                .attr("class", "value missing")
                .attr("fill", MUTED)
                .text(&row.value_text);
            return;
        };
        let (class, fill) = row.style();
        let (a, b) = (x(start.min(end)), x(start.max(end)));
        svg.el("rect")
            .attr("class", class)
            .num("x", a)
            .num("y", cy - BAR_HEIGHT / 2.0)
            .num("width", b - a)
            .num("height", BAR_HEIGHT)
            .attr("fill", &fill.hex())
            .tooltip(&row.tooltip);
        let left = row.goes_left();
        svg.text(
            if left { a - 4.0 } else { b + 4.0 },
            cy + TICK_SIZE * 0.35,
            TICK_SIZE,
        )
        .attr("class", "value")
        .attr("text-anchor", if left { "end" } else { "start" })
        .attr("font-weight", if row.total { "bold" } else { "normal" })
        .text(&row.value_text);
    }

    fn draw_legend(&self, svg: &mut Svg, y: f64) {
        let mut x = MARGIN;
        for (fill, label) in &self.legend {
            svg.el("rect")
                .num("x", x)
                .num("y", y + 2.0)
                .num("width", 12.0)
                .num("height", 12.0)
                .attr("fill", &fill.hex())
                .end();
            svg.text(x + 17.0, y + 8.0 + TICK_SIZE * 0.35, TICK_SIZE)
                .attr("class", "legend")
                .text(label);
            x += text::width(label, TICK_SIZE, Weight::Regular) + 34.0;
        }
    }
}

fn weight(row: &Row) -> Weight {
    if row.total {
        Weight::Bold
    } else {
        Weight::Regular
    }
}
