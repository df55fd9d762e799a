//! Token × token heatmaps, e.g. the attention of one layer and head.

use crate::color;
use crate::error::RenderError;
use crate::format::{decimals_for, format_fixed, format_value};
use crate::svg::{self, Svg, AXIS, LABEL_SIZE, MARGIN, MUTED, TICK_SIZE};
use crate::text::{self, Weight};
use crate::Render;

/// Longest a row or column label may be drawn before it is truncated.
const MAX_LABEL_WIDTH: f64 = 150.0;
/// Number of colour steps in the legend bar.
const LEGEND_STEPS: usize = 64;
/// Width of the legend bar.
const LEGEND_WIDTH: f64 = 14.0;

/// A matrix of values with a label per row and per column (for attention: rows are
/// query tokens, columns key tokens), coloured on the sequential scale.
///
/// Non-finite values are drawn grey and do not affect the colour range.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenHeatmap {
    /// Title drawn above the grid (may be empty).
    pub title: String,
    /// One label per row, drawn left of the grid.
    pub row_labels: Vec<String>,
    /// One label per column, drawn rotated below the grid.
    pub col_labels: Vec<String>,
    /// `values[row][col]`.
    pub values: Vec<Vec<f32>>,
    /// Fixed colour range `(min, max)`; `None` uses the finite extremes of `values`.
    pub range: Option<(f32, f32)>,
    /// Print each value inside its cell when the cells are large enough.
    pub annotate: bool,
}

impl TokenHeatmap {
    /// A heatmap with no title, an automatic range and no annotations.
    pub fn new<R, C>(
        row_labels: impl IntoIterator<Item = R>,
        col_labels: impl IntoIterator<Item = C>,
        values: Vec<Vec<f32>>,
    ) -> Self
    where
        R: Into<String>,
        C: Into<String>,
    {
        TokenHeatmap {
            title: String::new(),
            row_labels: row_labels.into_iter().map(Into::into).collect(),
            col_labels: col_labels.into_iter().map(Into::into).collect(),
            values,
            range: None,
            annotate: false,
        }
    }

    /// Sets the title.
    pub fn with_title(mut self, title: impl Into<String>) -> Self {
        self.title = title.into();
        self
    }

    /// Fixes the colour range, e.g. `(0.0, 1.0)` for attention probabilities.
    pub fn with_range(mut self, min: f32, max: f32) -> Self {
        self.range = Some((min, max));
        self
    }

    /// Turns printing values inside cells on or off.
    pub fn with_annotations(mut self, annotate: bool) -> Self {
        self.annotate = annotate;
        self
    }

    fn check(&self) -> Result<(), RenderError> {
        if self.row_labels.is_empty() || self.col_labels.is_empty() {
            return Err(RenderError::Empty(
                "heatmap needs at least one row and one column",
            ));
        }
        if self.values.len() != self.row_labels.len() {
            return Err(RenderError::Shape(format!(
                "heatmap has {} row labels but {} rows of values",
                self.row_labels.len(),
                self.values.len()
            )));
        }
        if let Some((i, row)) = self
            .values
            .iter()
            .enumerate()
            .find(|(_, row)| row.len() != self.col_labels.len())
        {
            return Err(RenderError::Shape(format!(
                "heatmap row {i} has {} values but there are {} column labels",
                row.len(),
                self.col_labels.len()
            )));
        }
        Ok(())
    }

    /// The colour range: the fixed one (validated) or the finite extremes, `(0, 1)`
    /// when no value is finite.
    fn value_range(&self) -> Result<(f64, f64), RenderError> {
        if let Some((lo, hi)) = self.range {
            if !(lo.is_finite() && hi.is_finite() && lo <= hi) {
                return Err(RenderError::Invalid(format!(
                    "heatmap range must be finite with min <= max, got ({lo}, {hi})"
                )));
            }
            return Ok((f64::from(lo), f64::from(hi)));
        }
        let finite = self.values.iter().flatten().filter(|v| v.is_finite());
        let (lo, hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(f64::from(v)), hi.max(f64::from(v)))
        });
        Ok(if lo <= hi { (lo, hi) } else { (0.0, 1.0) })
    }
}

/// Where a value falls in `[lo, hi]`, as `t` in `[0, 1]` (0.5 for an empty range).
fn position(v: f64, (lo, hi): (f64, f64)) -> f64 {
    if hi > lo {
        ((v - lo) / (hi - lo)).clamp(0.0, 1.0)
    } else {
        0.5
    }
}

/// Sizes that depend on the number of labels.
struct Layout {
    cell: f64,
    label_size: f64,
    /// Column labels are vertical (dense grids) or at 45°.
    vertical: bool,
    grid_x: f64,
    grid_y: f64,
    width: f64,
    height: f64,
    legend_x: f64,
    legend_h: f64,
}

impl TokenHeatmap {
    fn layout(&self, legend_labels: &[String], has_missing: bool) -> Layout {
        let n = self.row_labels.len().max(self.col_labels.len()) as f64;
        let cell = (560.0 / n).clamp(12.0, 40.0).floor();
        let label_size = (cell * 0.75).clamp(9.0, LABEL_SIZE);
        let vertical = cell < label_size * 1.7;
        let widest = |labels: &[String]| {
            labels
                .iter()
                .map(|l| text::width(l, label_size, Weight::Regular).min(MAX_LABEL_WIDTH))
                .fold(0.0, f64::max)
        };
        let (row_w, col_w) = (widest(&self.row_labels), widest(&self.col_labels));
        let (col_drop, col_left) = if vertical {
            (col_w + 8.0, 0.0)
        } else {
            let diag = col_w * std::f64::consts::FRAC_1_SQRT_2;
            (diag + label_size + 6.0, diag - cell / 2.0)
        };
        let grid_x = (MARGIN + (row_w + 8.0).max(col_left)).ceil();
        let grid_y = (MARGIN + svg::title_height(&self.title)).ceil();
        let grid_w = cell * self.col_labels.len() as f64;
        let grid_h = cell * self.row_labels.len() as f64;
        let legend_x = grid_x + grid_w + 24.0;
        let legend_h = grid_h.clamp(100.0, 320.0);
        let tick_w = legend_labels
            .iter()
            .map(|l| text::width(l, TICK_SIZE, Weight::Regular))
            .fold(text::width("NaN/inf", TICK_SIZE, Weight::Regular), f64::max);
        let legend_bottom = grid_y + legend_h + if has_missing { 30.0 } else { 0.0 };
        Layout {
            cell,
            label_size,
            vertical,
            grid_x,
            grid_y,
            width: (legend_x + LEGEND_WIDTH + 8.0 + tick_w + MARGIN)
                .max(svg::title_width(&self.title)),
            height: (grid_y + grid_h + col_drop).max(legend_bottom + 6.0) + MARGIN,
            legend_x,
            legend_h,
        }
    }
}

impl Render for TokenHeatmap {
    /// Cells are `<rect class="cell">` with a tooltip `row → column: value`.
    fn to_svg(&self) -> Result<String, RenderError> {
        self.check()?;
        let range = self.value_range()?;
        let legend_labels = if range.1 > range.0 {
            vec![
                format_value(range.1),
                format_value((range.0 + range.1) / 2.0),
                format_value(range.0),
            ]
        } else {
            vec![format_value(range.0)]
        };
        let has_missing = self.values.iter().flatten().any(|v| !v.is_finite());
        let l = self.layout(&legend_labels, has_missing);
        let mut svg = Svg::new(l.width, l.height, &self.title);

        svg.el("g").attr("shape-rendering", "crispEdges").open();
        for (r, (row, row_label)) in self.values.iter().zip(&self.row_labels).enumerate() {
            for (c, (&v, col_label)) in row.iter().zip(&self.col_labels).enumerate() {
                let v = f64::from(v);
                let fill = if v.is_finite() {
                    color::sequential(position(v, range))
                } else {
                    color::MISSING
                };
                svg.el("rect")
                    .attr("class", "cell")
                    .num("x", l.grid_x + c as f64 * l.cell)
                    .num("y", l.grid_y + r as f64 * l.cell)
                    .num("width", l.cell)
                    .num("height", l.cell)
                    .attr("fill", &fill.hex())
                    .tooltip(&format!("{row_label} → {col_label}: {}", format_value(v)));
            }
        }
        svg.close("g");
        if self.annotate {
            self.draw_annotations(&mut svg, &l, range);
        }
        self.draw_labels(&mut svg, &l);
        draw_legend(&mut svg, &l, &legend_labels, has_missing);
        Ok(svg.finish())
    }
}

impl TokenHeatmap {
    fn draw_annotations(&self, svg: &mut Svg, l: &Layout, range: (f64, f64)) {
        if l.cell < 28.0 {
            return;
        }
        let size = (l.cell * 0.3).min(TICK_SIZE);
        let decimals = decimals_for(range.0.abs().max(range.1.abs()));
        for (r, row) in self.values.iter().enumerate() {
            for (c, &v) in row.iter().enumerate() {
                let v = f64::from(v);
                let label = format_fixed(v, decimals);
                if text::width(&label, size, Weight::Regular) > l.cell - 4.0 {
                    continue;
                }
                let fill = if v.is_finite() {
                    color::sequential(position(v, range))
                } else {
                    color::MISSING
                };
                svg.text(
                    l.grid_x + (c as f64 + 0.5) * l.cell,
                    l.grid_y + (r as f64 + 0.5) * l.cell + size * 0.35,
                    size,
                )
                .attr("class", "annotation")
                .attr("text-anchor", "middle")
                .attr("fill", &fill.contrasting_text().hex())
                .text(&label);
            }
        }
    }

    fn draw_labels(&self, svg: &mut Svg, l: &Layout) {
        let size = l.label_size;
        for (r, label) in self.row_labels.iter().enumerate() {
            let shown = text::truncate(label, size, Weight::Regular, MAX_LABEL_WIDTH);
            svg.text(
                l.grid_x - 6.0,
                l.grid_y + (r as f64 + 0.5) * l.cell + size * 0.35,
                size,
            )
            .attr("class", "row-label")
            .attr("text-anchor", "end")
            .text(&shown);
        }
        let top = l.grid_y + l.cell * self.row_labels.len() as f64 + 6.0;
        let angle = if l.vertical { -90.0 } else { -45.0 };
        for (c, label) in self.col_labels.iter().enumerate() {
            let shown = text::truncate(label, size, Weight::Regular, MAX_LABEL_WIDTH);
            let x = l.grid_x + (c as f64 + 0.5) * l.cell + size * 0.35;
            svg.text(x, top, size)
                .attr("class", "col-label")
                .attr("text-anchor", "end")
                .attr(
                    "transform",
                    &format!("rotate({angle} {} {})", svg::num(x), svg::num(top)),
                )
                .text(&shown);
        }
    }
}

/// The colour bar: maximum at the top, with labelled ticks, plus a grey swatch
/// for missing values when there are any.
fn draw_legend(svg: &mut Svg, l: &Layout, labels: &[String], has_missing: bool) {
    let (x, y, h) = (l.legend_x, l.grid_y, l.legend_h);
    let step = h / LEGEND_STEPS as f64;
    svg.el("g").attr("class", "legend").open();
    for i in 0..LEGEND_STEPS {
        let t = 1.0 - (i as f64 + 0.5) / LEGEND_STEPS as f64;
        svg.el("rect")
            .num("x", x)
            .num("y", y + i as f64 * step)
            .num("width", LEGEND_WIDTH)
            .num("height", step + 0.6)
            .attr("fill", &color::sequential(t).hex())
            .end();
    }
    svg.el("rect")
        .num("x", x)
        .num("y", y)
        .num("width", LEGEND_WIDTH)
        .num("height", h)
        .attr("fill", "none")
        .attr("stroke", "#999999")
        .end();
    let last = labels.len().saturating_sub(1).max(1) as f64;
    for (i, label) in labels.iter().enumerate() {
        let ty = if labels.len() == 1 {
            y + h / 2.0
        } else {
            y + h * i as f64 / last
        };
        svg.line((x + LEGEND_WIDTH, ty), (x + LEGEND_WIDTH + 4.0, ty), AXIS);
        svg.text(x + LEGEND_WIDTH + 7.0, ty + TICK_SIZE * 0.35, TICK_SIZE)
            .attr("class", "legend-tick")
            .text(label);
    }
    if has_missing {
        let sy = y + h + 14.0;
        svg.el("rect")
            .num("x", x)
            .num("y", sy)
            .num("width", LEGEND_WIDTH)
            .num("height", 12.0)
            .attr("fill", &color::MISSING.hex())
            .end();
        svg.text(
            x + LEGEND_WIDTH + 7.0,
            sy + 6.0 + TICK_SIZE * 0.35,
            TICK_SIZE,
        )
        .attr("fill", MUTED)
        .text("NaN/inf");
    }
    svg.close("g");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(n: usize) -> TokenHeatmap {
        let labels: Vec<String> = (0..n).map(|i| format!("tok{i}")).collect();
        let values = (0..n)
            .map(|r| {
                (0..n)
                    .map(|c| ((r * n + c) as f32) / (n * n) as f32)
                    .collect()
            })
            .collect();
        TokenHeatmap::new(labels.clone(), labels, values)
    }

    #[test]
    fn cell_size_adapts_to_label_count() {
        let small = grid(9).layout(&[], false);
        let large = grid(64).layout(&[], false);
        assert!(small.cell > large.cell);
        assert!(large.cell >= 12.0 && small.cell <= 40.0);
        assert!(large.vertical && !small.vertical);
    }

    #[test]
    fn constant_values_sit_mid_scale() {
        assert_eq!(position(3.0, (3.0, 3.0)), 0.5);
        assert_eq!(position(2.0, (0.0, 4.0)), 0.5);
        assert_eq!(position(9.0, (0.0, 4.0)), 1.0);
    }

    #[test]
    fn missing_cells_are_grey() {
        let h = TokenHeatmap::new(["a"], ["x", "y"], vec![vec![f32::NAN, 1.0]]);
        let svg = h.to_svg().expect("renders");
        assert!(svg.contains(&format!(
            "fill=\"{}\"><title>a → x: NaN",
            color::MISSING.hex()
        )));
    }
}
