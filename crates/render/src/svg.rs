//! A tiny SVG writer: every attribute value and every text node goes through [`escape`].

use std::borrow::Cow;

use crate::text::{self, Weight};

/// Font stack of all chart text: the embedded face first, then look-alikes with
/// similar widths for viewers that do not have it.
pub(crate) const FONT_FAMILY: &str = "DejaVu Sans, Verdana, Geneva, WenQuanYi Micro Hei, \
                                      PingFang SC, Microsoft YaHei, Noto Sans CJK SC, sans-serif";
/// Default text colour.
pub(crate) const INK: &str = "#222222";
/// Colour of secondary text (ticks, notes).
pub(crate) const MUTED: &str = "#666666";
/// Colour of axis lines.
pub(crate) const AXIS: &str = "#444444";
/// Colour of grid lines.
pub(crate) const GRID: &str = "#e6e6e6";
/// Outer margin of every chart.
pub(crate) const MARGIN: f64 = 16.0;
/// Font size of ordinary labels.
pub(crate) const LABEL_SIZE: f64 = 12.0;
/// Font size of tick labels.
pub(crate) const TICK_SIZE: f64 = 11.0;
/// Font size of chart titles.
pub(crate) const TITLE_SIZE: f64 = 15.0;
/// Widest a title may make a chart before it is truncated.
const MAX_TITLE_WIDTH: f64 = 900.0;

/// Escapes `&`, `<`, `>`, `"` and `'` for XML and HTML (text and attribute values
/// alike) and replaces control characters that XML 1.0 forbids with U+FFFD.
///
/// Everything else, CJK and emoji included, passes through unchanged.
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if is_forbidden(c) => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

fn needs_escape(c: char) -> bool {
    matches!(c, '&' | '<' | '>' | '"' | '\'') || is_forbidden(c)
}

fn is_forbidden(c: char) -> bool {
    (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{FFFE}' | '\u{FFFF}')
}

/// A coordinate or length: at most two decimals, no trailing zeros, `0` for non-finite.
pub(crate) fn num(v: f64) -> String {
    if !v.is_finite() {
        return "0".to_string();
    }
    let r = (v * 100.0).round() / 100.0;
    if r == 0.0 {
        "0".to_string()
    } else {
        format!("{r}")
    }
}

/// Height taken by a chart title (zero when there is none).
pub(crate) fn title_height(title: &str) -> f64 {
    if title.is_empty() {
        0.0
    } else {
        TITLE_SIZE + 14.0
    }
}

/// Width a chart needs so that its title fits (capped; longer titles are truncated).
pub(crate) fn title_width(title: &str) -> f64 {
    text::width(title, TITLE_SIZE, Weight::Bold).min(MAX_TITLE_WIDTH) + 2.0 * MARGIN
}

/// An SVG document being written.
pub(crate) struct Svg {
    out: String,
}

/// One element being written; finish it with [`Element::end`], [`Element::text`],
/// [`Element::tooltip`] or [`Element::open`].
pub(crate) struct Element<'a> {
    out: &'a mut String,
    name: &'static str,
}

impl Svg {
    /// Starts a `width` × `height` document on a white background whose accessible
    /// name is `title`; the title is also drawn at the top left when not empty.
    pub(crate) fn new(width: f64, height: f64, title: &str) -> Self {
        let (width, height) = (width.ceil(), height.ceil());
        let mut svg = Svg {
            out: String::with_capacity(8192),
        };
        svg.el("svg")
            .attr("xmlns", "http://www.w3.org/2000/svg")
            .num("width", width)
            .num("height", height)
            .attr("viewBox", &format!("0 0 {} {}", num(width), num(height)))
            .attr("role", "img")
            .attr("font-family", FONT_FAMILY)
            .num("font-size", LABEL_SIZE)
            .attr("fill", INK)
            .open();
        if !title.is_empty() {
            svg.el("title").text(title);
        }
        svg.el("rect")
            .num("width", width)
            .num("height", height)
            .attr("fill", "#ffffff")
            .end();
        if !title.is_empty() {
            let shown = text::truncate(title, TITLE_SIZE, Weight::Bold, width - 2.0 * MARGIN);
            svg.text(MARGIN, MARGIN + TITLE_SIZE * 0.8, TITLE_SIZE)
                .attr("font-weight", "bold")
                .text(&shown);
        }
        svg
    }

    /// Starts an element.
    pub(crate) fn el(&mut self, name: &'static str) -> Element<'_> {
        self.out.push('<');
        self.out.push_str(name);
        Element {
            out: &mut self.out,
            name,
        }
    }

    /// Starts a `<text>` whose baseline starts at (`x`, `y`).
    pub(crate) fn text(&mut self, x: f64, y: f64, size: f64) -> Element<'_> {
        self.el("text")
            .num("x", x)
            .num("y", y)
            .num("font-size", size)
    }

    /// Draws a line segment.
    pub(crate) fn line(&mut self, (x1, y1): (f64, f64), (x2, y2): (f64, f64), stroke: &str) {
        self.el("line")
            .num("x1", x1)
            .num("y1", y1)
            .num("x2", x2)
            .num("y2", y2)
            .attr("stroke", stroke)
            .end();
    }

    /// Closes an element left open by [`Element::open`].
    pub(crate) fn close(&mut self, name: &'static str) {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push_str(">\n");
    }

    /// Closes the document and returns its text.
    pub(crate) fn finish(mut self) -> String {
        self.close("svg");
        self.out
    }
}

impl Element<'_> {
    /// Adds an attribute; the value is escaped.
    pub(crate) fn attr(self, key: &str, value: &str) -> Self {
        self.out.push(' ');
        self.out.push_str(key);
        self.out.push_str("=\"");
        self.out.push_str(&escape(value));
        self.out.push('"');
        self
    }

    /// Adds a numeric attribute (see [`num`]).
    pub(crate) fn num(self, key: &str, value: f64) -> Self {
        self.attr(key, &num(value))
    }

    /// Ends the element with no content.
    pub(crate) fn end(self) {
        self.out.push_str("/>\n");
    }

    /// Ends the element with escaped text content.
    pub(crate) fn text(self, content: &str) {
        self.out.push('>');
        self.out.push_str(&escape(content));
        self.close_tag();
    }

    /// Ends the element with a `<title>` child, which viewers show as a tooltip.
    pub(crate) fn tooltip(self, content: &str) {
        self.out.push_str("><title>");
        self.out.push_str(&escape(content));
        self.out.push_str("</title>");
        self.close_tag();
    }

    /// Ends the start tag; children follow and [`Svg::close`] closes it.
    pub(crate) fn open(self) {
        self.out.push_str(">\n");
    }

    fn close_tag(self) {
        self.out.push_str("</");
        self.out.push_str(self.name);
        self.out.push_str(">\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_covers_markup_quotes_and_control_chars() {
        assert_eq!(
            escape(r#"<script>alert(1)</script> & "x" 'y'"#),
            "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot; &#39;y&#39;"
        );
        assert_eq!(escape("a\u{0}b\u{1b}c\td"), "a\u{FFFD}b\u{FFFD}c\td");
        assert!(matches!(escape("耳机 🎧 ok"), Cow::Borrowed("耳机 🎧 ok")));
    }

    #[test]
    fn num_is_short_and_finite() {
        assert_eq!(num(3.0), "3");
        assert_eq!(num(0.1 + 0.2), "0.3");
        assert_eq!(num(-0.001), "0");
        assert_eq!(num(12.3456), "12.35");
        assert_eq!(num(f64::NAN), "0");
    }

    #[test]
    fn writer_escapes_attributes_and_text() {
        let mut svg = Svg::new(10.0, 10.0, "");
        svg.el("text").attr("data-x", "\"><b>").text("<i>&");
        let out = svg.finish();
        assert!(
            out.contains(r#"data-x="&quot;&gt;&lt;b&gt;">&lt;i&gt;&amp;</text>"#),
            "{out}"
        );
        assert!(out.ends_with("</svg>\n"));
    }
}
