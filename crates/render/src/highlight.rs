//! Text whose words are coloured by their attribution.

use std::ops::Range;

use crate::color::{self, Rgb};
use crate::error::RenderError;
use crate::format::format_signed;
use crate::html::HtmlFragment;
use crate::svg::{self, escape, Svg, MARGIN, MUTED, TICK_SIZE};
use crate::text::{self, Weight};
use crate::Render;

/// Font size of the highlighted text.
const FONT_SIZE: f64 = 15.0;
/// Distance between lines.
const LINE_HEIGHT: f64 = 28.0;
/// Lines wrap at this width.
const WRAP_WIDTH: f64 = 640.0;
/// Opacity of the strongest highlight (text stays readable on it).
const MAX_ALPHA: f64 = 0.8;
/// How far a word's background reaches beyond its glyphs.
const WORD_PAD: f64 = 1.5;
/// Width of the legend's colour bar.
const LEGEND_BAR: f64 = 180.0;

/// Text with each scored word's background coloured on a diverging scale: red for
/// positive, blue for negative attribution, opacity proportional to |value| / max |value|.
///
/// Available as SVG (via [`Render`]) and as an HTML fragment with a tooltip per word
/// ([`HighlightedText::to_html`]); both keep the text's spacing and line breaks.
#[derive(Debug, Clone, PartialEq)]
pub struct HighlightedText {
    /// Title drawn above the text (may be empty).
    pub title: String,
    /// The text in reading order: `Some(value)` for scored words, `None` for
    /// unscored text such as the whitespace between words.
    pub segments: Vec<(String, Option<f64>)>,
}

impl HighlightedText {
    /// Words and their attributions, separated by one space unless a word already
    /// starts or ends with whitespace (so tokens like `" shoes"` keep their own).
    /// Whitespace at a word's ends is not highlighted.
    pub fn from_words<S: AsRef<str>>(words: impl IntoIterator<Item = (S, f64)>) -> Self {
        let mut segments: Vec<(String, Option<f64>)> = Vec::new();
        for (word, value) in words {
            let word = word.as_ref();
            let core = word.trim();
            let (lead, trail) = word.split_at(word.len() - word.trim_start().len());
            let trail = &trail[core.len()..];
            let after_space = segments
                .last()
                .is_none_or(|(s, _)| s.ends_with(char::is_whitespace));
            if !after_space && lead.is_empty() {
                segments.push((" ".to_string(), None));
            }
            for (piece, v) in [(lead, None), (core, Some(value)), (trail, None)] {
                if !piece.is_empty() {
                    segments.push((piece.to_string(), v));
                }
            }
        }
        HighlightedText {
            title: String::new(),
            segments,
        }
    }

    /// `text` with the byte ranges in `spans` scored (e.g. the words of a tokenizer,
    /// by their byte offsets); the text between spans is kept verbatim.
    ///
    /// Spans must be in order, not overlap, and lie on character boundaries.
    pub fn from_spans(text: &str, spans: &[(Range<usize>, f64)]) -> Result<Self, RenderError> {
        let mut segments = Vec::with_capacity(2 * spans.len() + 1);
        let mut at = 0;
        for (range, value) in spans {
            let (gap, word) = match (text.get(at..range.start), text.get(range.clone())) {
                (Some(gap), Some(word)) if range.start <= range.end => (gap, word),
                _ => {
                    return Err(RenderError::Invalid(format!(
                        "span {range:?} is out of order, overlaps, or is not on character \
                         boundaries of a {}-byte text",
                        text.len()
                    )))
                }
            };
            if !gap.is_empty() {
                segments.push((gap.to_string(), None));
            }
            segments.push((word.to_string(), Some(*value)));
            at = range.end;
        }
        if at < text.len() {
            segments.push((text[at..].to_string(), None));
        }
        Ok(HighlightedText {
            title: String::new(),
            segments,
        })
    }

    /// Sets the title.
    pub fn with_title(mut self, title: impl Into<String>) -> Self {
        self.title = title.into();
        self
    }

    fn check(&self) -> Result<(), RenderError> {
        if self
            .segments
            .iter()
            .any(|(s, v)| v.is_some() && !s.is_empty())
        {
            Ok(())
        } else {
            Err(RenderError::Empty(
                "highlighted text needs at least one scored word",
            ))
        }
    }

    /// Largest finite |value|, 1 when there is none or it is zero.
    fn max_abs(&self) -> f64 {
        let m = self
            .segments
            .iter()
            .filter_map(|&(_, v)| v)
            .filter(|v| v.is_finite())
            .fold(0.0, |m: f64, v| m.max(v.abs()));
        if m > 0.0 {
            m
        } else {
            1.0
        }
    }

    /// The text as an HTML fragment: one `<span>` with a tooltip (`title`) per scored
    /// word, original whitespace preserved, and a legend. Styles are inline, so the
    /// fragment looks the same in any page.
    pub fn to_html(&self) -> Result<HtmlFragment, RenderError> {
        self.check()?;
        let max = self.max_abs();
        let mut h = format!(
            "<div class=\"dg-highlight\" style=\"font-family:{};font-size:15px;line-height:1.9;color:#222\">\n",
            svg::FONT_FAMILY
        );
        if !self.title.is_empty() {
            h += &format!(
                "<div style=\"font-weight:bold;margin-bottom:4px\">{}</div>\n",
                escape(&self.title)
            );
        }
        h += "<div style=\"white-space:pre-wrap;overflow-wrap:anywhere\">";
        for (s, value) in &self.segments {
            match value {
                None => h += &escape(s),
                Some(v) => {
                    let (fill, alpha) = highlight(*v, max);
                    h += &format!(
                        "<span style=\"background-color:{};border-radius:3px;padding:1px 1px\" title=\"{}\" data-value=\"{v}\">{}</span>",
                        fill.rgba(alpha),
                        escape(&tooltip(s, *v)),
                        escape(s)
                    );
                }
            }
        }
        h += "</div>\n";
        let (neg, pos) = (color::NEGATIVE_FILL, color::POSITIVE_FILL);
        h += &format!(
            "<div class=\"dg-legend\" style=\"font-size:12px;color:{MUTED};margin-top:4px\">\
             {} <span style=\"display:inline-block;vertical-align:middle;width:{LEGEND_BAR}px;height:10px;\
             border:1px solid #ccc;background:linear-gradient(to right,{},{} 50%,{} 50%,{})\"></span> {} \
             <span style=\"margin-left:8px\">blue lowers · red raises</span></div>\n</div>\n",
            escape(&format_signed(-max)),
            neg.rgba(MAX_ALPHA),
            neg.rgba(0.0),
            pos.rgba(0.0),
            pos.rgba(MAX_ALPHA),
            escape(&format_signed(max)),
        );
        Ok(HtmlFragment::trusted(h))
    }
}

/// Fill colour and opacity of a word's background.
fn highlight(v: f64, max: f64) -> (Rgb, f64) {
    if !v.is_finite() {
        (color::MISSING, 0.6)
    } else if v >= 0.0 {
        (color::POSITIVE_FILL, MAX_ALPHA * (v / max).min(1.0))
    } else {
        (color::NEGATIVE_FILL, MAX_ALPHA * (-v / max).min(1.0))
    }
}

fn tooltip(word: &str, v: f64) -> String {
    format!("{}: {}", word.trim(), format_signed(v))
}

/// A run of text placed on a line.
struct Placed<'a> {
    text: &'a str,
    value: Option<f64>,
    x: f64,
    line: usize,
    width: f64,
    /// Whitespace: drawn only as (highlighted) background.
    space: bool,
}

/// Lays the segments out in lines of at most [`WRAP_WIDTH`].
fn layout(segments: &[(String, Option<f64>)]) -> Vec<Placed<'_>> {
    let measure = |s: &str| text::width(s, FONT_SIZE, Weight::Regular);
    let mut placed = Vec::new();
    let (mut x, mut line) = (0.0, 0usize);
    for (s, value) in segments {
        for run in runs(s) {
            if run == "\n" {
                (x, line) = (0.0, line + 1);
                continue;
            }
            if run.starts_with(char::is_whitespace) {
                let width = run
                    .chars()
                    .map(|c| if c == '\t' { 4.0 } else { 1.0 })
                    .sum::<f64>()
                    * measure(" ");
                if x > 0.0 {
                    let (text, value, space) = (run, *value, true);
                    placed.push(Placed {
                        text,
                        value,
                        x,
                        line,
                        width,
                        space,
                    });
                    x += width;
                }
                continue;
            }
            for piece in text::split_to_width(run, FONT_SIZE, Weight::Regular, WRAP_WIDTH) {
                let width = measure(piece);
                if x > 0.0 && x + width > WRAP_WIDTH {
                    (x, line) = (0.0, line + 1);
                }
                let (text, value, space) = (piece, *value, false);
                placed.push(Placed {
                    text,
                    value,
                    x,
                    line,
                    width,
                    space,
                });
                x += width;
            }
        }
    }
    placed
}

/// Splits `s` into newlines, runs of other whitespace, and runs of non-whitespace.
fn runs(s: &str) -> Vec<&str> {
    let class = |c: char| match c {
        '\n' => 0,
        c if c.is_whitespace() => 1,
        _ => 2,
    };
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let next_differs = chars
            .peek()
            .is_none_or(|&(_, n)| class(n) != class(c) || c == '\n');
        if next_differs {
            out.push(&s[start..i + c.len_utf8()]);
            start = i + c.len_utf8();
        }
    }
    out
}

impl Render for HighlightedText {
    /// Scored words are `<g class="word">` groups (background rect, text, tooltip).
    fn to_svg(&self) -> Result<String, RenderError> {
        self.check()?;
        let max = self.max_abs();
        let placed = layout(&self.segments);
        let lines = placed.iter().map(|p| p.line + 1).max().unwrap_or(1);
        let text_w = placed.iter().map(|p| p.x + p.width).fold(0.0, f64::max);
        let (lo, hi) = (format_signed(-max), format_signed(max));
        let lo_w = text::width(&lo, TICK_SIZE, Weight::Regular);
        let legend_w = lo_w + LEGEND_BAR + 12.0 + text::width(&hi, TICK_SIZE, Weight::Regular);
        let top = MARGIN + svg::title_height(&self.title);
        let legend_y = top + lines as f64 * LINE_HEIGHT + 12.0;
        let width = (MARGIN * 2.0 + text_w.max(legend_w) + 2.0).max(svg::title_width(&self.title));
        let height = legend_y + 26.0 + MARGIN;

        let mut svg = Svg::new(width, height, &self.title);
        for p in &placed {
            let x = MARGIN + p.x;
            let line_top = top + p.line as f64 * LINE_HEIGHT;
            let scored = p.value.map(|v| (v, highlight(v, max)));
            if let Some((v, _)) = scored.filter(|_| !p.space) {
                svg.el("g").attr("class", "word").open();
                svg.el("title").text(&tooltip(p.text, v));
            }
            if let Some((_, (fill, alpha))) = scored.filter(|(_, (_, a))| *a > 0.0) {
                // Words reach WORD_PAD beyond their glyphs; a highlighted space
                // fills only the gap between its neighbours so nothing overlaps.
                let pad = if p.space { -WORD_PAD } else { WORD_PAD };
                svg.el("rect")
                    .num("x", x - pad)
                    .num("y", line_top + 3.0)
                    .num("width", (p.width + 2.0 * pad).max(0.0))
                    .num("height", LINE_HEIGHT - 6.0)
                    .num("rx", if p.space { 0.0 } else { 3.0 })
                    .attr("fill", &fill.hex())
                    .num("fill-opacity", (alpha * 1000.0).round() / 1000.0)
                    .end();
            }
            if !p.space {
                svg.text(x, line_top + 19.0, FONT_SIZE).text(p.text);
            }
            if scored.is_some() && !p.space {
                svg.close("g");
            }
        }
        draw_legend(&mut svg, legend_y, (&lo, &hi), lo_w);
        Ok(svg.finish())
    }
}

/// The legend: `−max [blue … clear … red] +max`.
fn draw_legend(svg: &mut Svg, y: f64, (lo, hi): (&str, &str), lo_w: f64) {
    const STEPS: usize = 30;
    let bar_x = MARGIN + lo_w + 6.0;
    let baseline = y + 5.0 + TICK_SIZE * 0.35;
    svg.text(MARGIN, baseline, TICK_SIZE)
        .attr("fill", MUTED)
        .text(lo);
    let step = LEGEND_BAR / STEPS as f64;
    for i in 0..STEPS {
        let t = (i as f64 + 0.5) / STEPS as f64 * 2.0 - 1.0;
        let (fill, alpha) = highlight(t, 1.0);
        svg.el("rect")
            .num("x", bar_x + i as f64 * step)
            .num("y", y)
            .num("width", step + 0.3)
            .num("height", 10.0)
            .attr("fill", &fill.hex())
            .num("fill-opacity", (alpha * 1000.0).round() / 1000.0)
            .end();
    }
    svg.el("rect")
        .num("x", bar_x)
        .num("y", y)
        .num("width", LEGEND_BAR)
        .num("height", 10.0)
        .attr("fill", "none")
        .attr("stroke", "#cccccc")
        .end();
    svg.text(bar_x + LEGEND_BAR + 6.0, baseline, TICK_SIZE)
        .attr("fill", MUTED)
        .text(hi);
    svg.text(bar_x + LEGEND_BAR / 2.0, y + 22.0, TICK_SIZE - 1.0)
        .attr("text-anchor", "middle")
        .attr("fill", MUTED)
        .text("0");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_split_whitespace_and_newlines() {
        assert_eq!(runs("ab  c\n\nd"), vec!["ab", "  ", "c", "\n", "\n", "d"]);
        assert!(runs("").is_empty());
    }

    #[test]
    fn from_words_inserts_single_spaces_only_where_needed() {
        let t = HighlightedText::from_words([("red", 1.0), ("shoes", -1.0), (" size", 0.5)]);
        let text: String = t.segments.iter().map(|(s, _)| s.as_str()).collect();
        assert_eq!(text, "red shoes size");
        assert_eq!(t.segments[4], ("size".to_string(), Some(0.5)));
    }

    #[test]
    fn from_spans_keeps_original_spacing() {
        let text = "  waterproof\thiking  boots ";
        let t = HighlightedText::from_spans(text, &[(2..12, 0.5), (13..19, -0.2), (21..26, 0.1)])
            .expect("valid spans");
        let joined: String = t.segments.iter().map(|(s, _)| s.as_str()).collect();
        assert_eq!(joined, text);
        let backwards = Range { start: 5, end: 3 };
        assert!(HighlightedText::from_spans(text, &[(backwards, 1.0)]).is_err());
        assert!(HighlightedText::from_spans(text, &[(2..12, 1.0), (4..6, 1.0)]).is_err());
        assert!(HighlightedText::from_spans("耳机", &[(0..1, 1.0)]).is_err());
        assert!(HighlightedText::from_spans("ab", &[(0..9, 1.0)]).is_err());
    }

    #[test]
    fn alpha_is_proportional_to_magnitude() {
        let (c1, a1) = highlight(0.5, 1.0);
        let (c2, a2) = highlight(-1.0, 1.0);
        assert_eq!(c1, color::POSITIVE_FILL);
        assert_eq!(c2, color::NEGATIVE_FILL);
        assert!((a1 - MAX_ALPHA / 2.0).abs() < 1e-12 && (a2 - MAX_ALPHA).abs() < 1e-12);
        assert_eq!(highlight(f64::NAN, 1.0).0, color::MISSING);
    }

    #[test]
    fn layout_wraps_long_text() {
        let long = "word ".repeat(60);
        let t = HighlightedText::from_words(
            long.split(' ').filter(|w| !w.is_empty()).map(|w| (w, 1.0)),
        );
        let placed = layout(&t.segments);
        assert!(placed.iter().map(|p| p.line).max().unwrap_or(0) >= 2);
        assert!(placed
            .iter()
            .all(|p| p.space || p.x + p.width <= WRAP_WIDTH + 0.01));
        assert!(
            placed.iter().all(|p| !p.space || p.x > 0.0),
            "no space opens a line"
        );
    }
}
