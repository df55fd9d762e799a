//! Line charts, e.g. deletion and insertion curves.

use crate::color;
use crate::error::RenderError;
use crate::format::{format_value, Axis};
use crate::svg::{self, Svg, AXIS, GRID, LABEL_SIZE, MARGIN, MUTED, TICK_SIZE};
use crate::text::{self, Weight};
use crate::Render;

/// Size of the plot area.
const PLOT_WIDTH: f64 = 480.0;
const PLOT_HEIGHT: f64 = 300.0;
/// Series with at most this many points get a marker on each point.
const MAX_MARKED_POINTS: usize = 40;
/// Longest a legend entry may be drawn before it is truncated.
const MAX_LEGEND_WIDTH: f64 = 220.0;

/// One or more named series of `(x, y)` points on shared axes, with ticks, grid
/// lines, axis labels and a legend.
///
/// Lines break at non-finite points; the axes cover the finite ones.
#[derive(Debug, Clone, PartialEq)]
pub struct LineChart {
    /// Title drawn above the chart (may be empty).
    pub title: String,
    /// Label of the horizontal axis.
    pub x_label: String,
    /// Label of the vertical axis.
    pub y_label: String,
    /// `(name, points)`, drawn in order, each in its own colour.
    pub series: Vec<(String, Vec<(f64, f64)>)>,
}

impl LineChart {
    /// An empty chart with the given axis labels; add lines with [`LineChart::with_series`].
    pub fn new(x_label: impl Into<String>, y_label: impl Into<String>) -> Self {
        LineChart {
            title: String::new(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            series: Vec::new(),
        }
    }

    /// Sets the title.
    pub fn with_title(mut self, title: impl Into<String>) -> Self {
        self.title = title.into();
        self
    }

    /// Adds a series.
    pub fn with_series(mut self, name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        self.series.push((name.into(), points));
        self
    }

    fn finite_points(&self) -> impl Iterator<Item = (f64, f64)> + '_ {
        self.series
            .iter()
            .flat_map(|(_, points)| points.iter().copied())
            .filter(|(x, y)| x.is_finite() && y.is_finite())
    }
}

/// SVG path data for `points`, starting a new sub-path after each non-finite point.
fn path_data(points: &[(f64, f64)], map: impl Fn(f64, f64) -> (f64, f64)) -> String {
    let mut d = String::new();
    let mut pen_down = false;
    for &(x, y) in points {
        if !(x.is_finite() && y.is_finite()) {
            pen_down = false;
            continue;
        }
        let (px, py) = map(x, y);
        d.push(if pen_down { 'L' } else { 'M' });
        d.push_str(&format!("{} {} ", svg::num(px), svg::num(py)));
        pen_down = true;
    }
    d.trim_end().to_string()
}

impl Render for LineChart {
    /// Each series with a finite point is one `<path class="series">`.
    fn to_svg(&self) -> Result<String, RenderError> {
        if self.finite_points().next().is_none() {
            return Err(RenderError::Empty(
                "line chart needs at least one finite point",
            ));
        }
        let (x_lo, x_hi, y_lo, y_hi) = self.finite_points().fold(
            (
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::INFINITY,
                f64::NEG_INFINITY,
            ),
            |(a, b, c, d), (x, y)| (a.min(x), b.max(x), c.min(y), d.max(y)),
        );
        let (xa, ya) = (Axis::covering(x_lo, x_hi, 6), Axis::covering(y_lo, y_hi, 5));
        let (x_ticks, y_ticks) = (xa.ticks(), ya.ticks());
        let y_tick_w = y_ticks
            .iter()
            .map(|&t| text::width(&ya.label(t), TICK_SIZE, Weight::Regular))
            .fold(0.0, f64::max);
        let names: Vec<_> = self
            .series
            .iter()
            .map(|(name, _)| text::truncate(name, TICK_SIZE, Weight::Regular, MAX_LEGEND_WIDTH))
            .collect();
        let legend_w = names
            .iter()
            .map(|n| text::width(n, TICK_SIZE, Weight::Regular) + 30.0)
            .fold(0.0, f64::max);

        let x0 = (MARGIN + LABEL_SIZE + 8.0 + y_tick_w + 6.0).ceil();
        let y0 = MARGIN + svg::title_height(&self.title) + 6.0;
        let (x1, y1) = (x0 + PLOT_WIDTH, y0 + PLOT_HEIGHT);
        let width = (x1 + 20.0 + legend_w + MARGIN).max(svg::title_width(&self.title));
        let x_label_y = y1 + 6.0 + TICK_SIZE + 8.0 + LABEL_SIZE;
        let legend_bottom = y0 + 8.0 + 18.0 * self.series.len() as f64;
        let height = x_label_y.max(legend_bottom) + MARGIN;
        let map = |x: f64, y: f64| (xa.map(x, x0, x1), ya.map(y, y1, y0));

        let mut svg = Svg::new(width, height, &self.title);
        for &t in &y_ticks {
            let y = ya.map(t, y1, y0);
            svg.line((x0, y), (x1, y), GRID);
            svg.text(x0 - 6.0, y + TICK_SIZE * 0.35, TICK_SIZE)
                .attr("text-anchor", "end")
                .attr("fill", MUTED)
                .text(&ya.label(t));
        }
        for &t in &x_ticks {
            let x = xa.map(t, x0, x1);
            svg.line((x, y0), (x, y1), GRID);
            svg.text(x, y1 + 6.0 + TICK_SIZE, TICK_SIZE)
                .attr("text-anchor", "middle")
                .attr("fill", MUTED)
                .text(&xa.label(t));
        }
        svg.line((x0, y1), (x1, y1), AXIS);
        svg.line((x0, y0), (x0, y1), AXIS);
        svg.text((x0 + x1) / 2.0, x_label_y, LABEL_SIZE)
            .attr("text-anchor", "middle")
            .text(&self.x_label);
        let (yl_x, yl_y) = (MARGIN + LABEL_SIZE * 0.8, (y0 + y1) / 2.0);
        svg.text(yl_x, yl_y, LABEL_SIZE)
            .attr("text-anchor", "middle")
            .attr(
                "transform",
                &format!("rotate(-90 {} {})", svg::num(yl_x), svg::num(yl_y)),
            )
            .text(&self.y_label);

        let mut legend_y = y0 + 8.0;
        for (i, ((name, points), shown)) in self.series.iter().zip(&names).enumerate() {
            let stroke = color::categorical(i).hex();
            let dash = if i >= 10 { "6 3" } else { "none" };
            let d = path_data(points, map);
            if !d.is_empty() {
                svg.el("path")
                    .attr("class", "series")
                    .attr("d", &d)
                    .attr("fill", "none")
                    .attr("stroke", &stroke)
                    .num("stroke-width", 2.0)
                    .attr("stroke-dasharray", dash)
                    .attr("stroke-linejoin", "round")
                    .tooltip(name);
            }
            if points.len() <= MAX_MARKED_POINTS {
                for &(x, y) in points
                    .iter()
                    .filter(|(x, y)| x.is_finite() && y.is_finite())
                {
                    let (px, py) = map(x, y);
                    svg.el("circle")
                        .num("cx", px)
                        .num("cy", py)
                        .num("r", 2.5)
                        .attr("fill", &stroke)
                        .tooltip(&format!(
                            "{name}: ({}, {})",
                            format_value(x),
                            format_value(y)
                        ));
                }
            }
            let lx = x1 + 20.0;
            svg.el("line")
                .num("x1", lx)
                .num("y1", legend_y)
                .num("x2", lx + 22.0)
                .num("y2", legend_y)
                .attr("stroke", &stroke)
                .num("stroke-width", 2.0)
                .attr("stroke-dasharray", dash)
                .end();
            svg.text(lx + 28.0, legend_y + TICK_SIZE * 0.35, TICK_SIZE)
                .attr("class", "legend")
                .text(shown);
            legend_y += 18.0;
        }
        Ok(svg.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_breaks_at_non_finite_points() {
        let d = path_data(
            &[(0.0, 0.0), (1.0, 1.0), (2.0, f64::NAN), (3.0, 3.0)],
            |x, y| (x, y),
        );
        assert_eq!(d, "M0 0 L1 1 M3 3");
    }
}
