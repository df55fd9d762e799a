//! Behaviour of the public API: what the SVG, PNG and HTML actually contain.

use daogou_render::color::{self, Rgb};
use daogou_render::{
    AttributionBars, ComponentBars, HighlightedText, HtmlFragment, HtmlPage, LineChart, Render,
    RenderError, Section, Table, TokenHeatmap,
};
use resvg::tiny_skia::Pixmap;
use resvg::usvg::roxmltree::{Document, Node};

const EVIL: &str = "<script>alert(1)</script> &\"'";

fn parse(svg: &str) -> Document<'_> {
    Document::parse(svg).unwrap_or_else(|e| panic!("invalid XML ({e}):\n{svg}"))
}

fn has_class(n: &Node, class: &str) -> bool {
    n.attribute("class")
        .is_some_and(|c| c.split(' ').any(|part| part == class))
}

fn with_class<'a>(doc: &'a Document<'a>, class: &str) -> Vec<Node<'a, 'a>> {
    doc.descendants().filter(|n| has_class(n, class)).collect()
}

fn f(n: &Node, attr: &str) -> f64 {
    n.attribute(attr)
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{attr} missing on {n:?}"))
}

fn texts(doc: &Document) -> Vec<String> {
    doc.descendants()
        .filter(|n| n.has_tag_name("text") || n.has_tag_name("title"))
        .filter_map(|n| n.text().map(str::to_string))
        .collect()
}

fn square(n: usize) -> TokenHeatmap {
    let labels: Vec<String> = (0..n).map(|i| format!("tok{i}")).collect();
    let values = (0..n)
        .map(|r| (0..n).map(|c| ((r + 2 * c) % 7) as f32 / 6.0).collect())
        .collect();
    TokenHeatmap::new(labels.clone(), labels, values).with_title("Layer 3, head 5")
}

fn bars() -> AttributionBars {
    AttributionBars::new(
        ["waterproof", "price", "brand", "color"],
        vec![0.42, -0.3, 0.05, -0.01],
    )
    .with_title("Why this hiking boot")
}

// ---------------------------------------------------------------- heatmap

#[test]
fn heatmap_has_one_cell_per_value() {
    for (rows, cols) in [(9, 9), (64, 64), (3, 5)] {
        let values = vec![vec![0.5f32; cols]; rows];
        let h = TokenHeatmap::new(
            (0..rows).map(|i| format!("q{i}")),
            (0..cols).map(|i| format!("k{i}")),
            values,
        );
        let svg = h.to_svg().expect("renders");
        let doc = parse(&svg);
        assert_eq!(with_class(&doc, "cell").len(), rows * cols, "{rows}×{cols}");
        assert_eq!(with_class(&doc, "row-label").len(), rows);
        assert_eq!(with_class(&doc, "col-label").len(), cols);
    }
}

#[test]
fn heatmap_size_adapts_and_stays_readable() {
    let (small, large) = (
        square(9).to_svg().expect("9"),
        square(64).to_svg().expect("64"),
    );
    let (small, large) = (parse(&small), parse(&large));
    let cell = |d: &Document| f(&with_class(d, "cell")[0], "width");
    assert!(cell(&small) > cell(&large));
    let root_w = |d: &Document| f(&d.root_element(), "width");
    assert!(root_w(&large) > root_w(&small));
    for doc in [&small, &large] {
        let cell = cell(doc);
        for label in with_class(doc, "col-label") {
            let size = f(&label, "font-size");
            assert!(size >= 9.0, "labels readable: {size}");
            assert!(
                size <= cell,
                "column labels no taller than their column: {size} > {cell}"
            );
        }
    }
    // Dense grids rotate column labels to vertical so they cannot overlap.
    let rot = |d: &Document| {
        with_class(d, "col-label")[0]
            .attribute("transform")
            .unwrap_or_default()
            .to_string()
    };
    assert!(rot(&large).starts_with("rotate(-90"), "{}", rot(&large));
    assert!(rot(&small).starts_with("rotate(-45"), "{}", rot(&small));
}

#[test]
fn heatmap_colours_follow_the_scale_and_nan_is_grey() {
    let h = TokenHeatmap::new(
        ["a", "b"],
        ["x", "y", "z"],
        vec![
            vec![0.0, 2.0, 4.0],
            vec![f32::NAN, f32::INFINITY, f32::NEG_INFINITY],
        ],
    );
    let svg = h.to_svg().expect("non-finite values render");
    let doc = parse(&svg);
    let fills: Vec<&str> = with_class(&doc, "cell")
        .iter()
        .map(|n| n.attribute("fill").unwrap_or_default())
        .collect();
    let grey = color::MISSING.hex();
    assert_eq!(fills[0], color::sequential(0.0).hex());
    assert_eq!(fills[1], color::sequential(0.5).hex());
    assert_eq!(fills[2], color::sequential(1.0).hex());
    assert_eq!(&fills[3..], [grey.as_str(); 3]);
    // The legend spans the finite values only, and says what grey means.
    let ticks: Vec<String> = with_class(&doc, "legend-tick")
        .iter()
        .filter_map(|n| n.text().map(str::to_string))
        .collect();
    assert_eq!(ticks, ["4", "2", "0"]);
    assert!(texts(&doc).iter().any(|t| t == "NaN/inf"));
}

#[test]
fn heatmap_fixed_range_and_annotations() {
    let h = TokenHeatmap::new(["a"], ["b", "c"], vec![vec![0.25, 0.5]])
        .with_range(0.0, 1.0)
        .with_annotations(true);
    let svg = h.to_svg().expect("renders");
    let doc = parse(&svg);
    let cells = with_class(&doc, "cell");
    assert_eq!(
        cells[1].attribute("fill"),
        Some(color::sequential(0.5).hex().as_str())
    );
    let annotations: Vec<String> = with_class(&doc, "annotation")
        .iter()
        .filter_map(|n| n.text().map(str::to_string))
        .collect();
    assert_eq!(annotations, ["0.25", "0.50"], "same decimals in every cell");
    let bad = TokenHeatmap::new(["a"], ["b"], vec![vec![1.0]]).with_range(2.0, 1.0);
    assert!(matches!(bad.to_svg(), Err(RenderError::Invalid(_))));
}

#[test]
fn heatmap_rejects_empty_and_ragged_input() {
    let empty = TokenHeatmap::new(Vec::<String>::new(), ["a"], vec![]);
    assert!(matches!(empty.to_svg(), Err(RenderError::Empty(_))));
    let ragged = TokenHeatmap::new(["a", "b"], ["x", "y"], vec![vec![1.0, 2.0], vec![3.0]]);
    let err = ragged.to_svg().expect_err("ragged");
    assert!(
        matches!(err, RenderError::Shape(_)) && err.to_string().contains("row 1"),
        "{err}"
    );
    let short = TokenHeatmap::new(["a", "b"], ["x"], vec![vec![1.0]]);
    assert!(matches!(short.to_svg(), Err(RenderError::Shape(_))));
}

// ---------------------------------------------------------------- bars

#[test]
fn attribution_bars_grow_from_zero_in_the_direction_of_their_sign() {
    let svg = bars().to_svg().expect("renders");
    let doc = parse(&svg);
    let zero = f(&with_class(&doc, "zero")[0], "x1");
    let bars: Vec<_> = doc.descendants().filter(|n| has_class(n, "bar")).collect();
    assert_eq!(bars.len(), 4);
    let values = [0.42f64, -0.3, 0.05, -0.01];
    let px_per_unit = f(&bars[0], "width") / 0.42;
    for (bar, v) in bars.iter().zip(values) {
        let (x, w) = (f(bar, "x"), f(bar, "width"));
        if v > 0.0 {
            assert!(has_class(bar, "pos"));
            assert!((x - zero).abs() < 0.02, "positive bar starts at zero");
        } else {
            assert!(has_class(bar, "neg"));
            assert!((x + w - zero).abs() < 0.02, "negative bar ends at zero");
        }
        assert!((w - v.abs() * px_per_unit).abs() < 0.05, "length ∝ |value|");
    }
    assert_eq!(
        bars[0].attribute("fill"),
        Some(color::POSITIVE_FILL.hex().as_str())
    );
    assert_eq!(
        bars[1].attribute("fill"),
        Some(color::NEGATIVE_FILL.hex().as_str())
    );
    let labels: Vec<String> = with_class(&doc, "value")
        .iter()
        .filter_map(|n| n.text().map(str::to_string))
        .collect();
    assert_eq!(labels, ["+0.42", "−0.3", "+0.05", "−0.01"]);
}

#[test]
fn attribution_bars_survive_non_finite_values_and_reject_bad_shapes() {
    let b = AttributionBars::new(["a", "b", "c"], vec![f64::NAN, 1.0, f64::NEG_INFINITY]);
    let svg = b.to_svg().expect("renders");
    let doc = parse(&svg);
    assert_eq!(doc.descendants().filter(|n| has_class(n, "bar")).count(), 1);
    let missing: Vec<String> = with_class(&doc, "missing")
        .iter()
        .filter_map(|n| n.text().map(str::to_string))
        .collect();
    assert_eq!(missing, ["NaN", "−∞"]);
    let empty = AttributionBars::new(Vec::<String>::new(), vec![]);
    assert!(matches!(empty.to_svg(), Err(RenderError::Empty(_))));
    let mismatch = AttributionBars::new(["a"], vec![1.0, 2.0]);
    assert!(matches!(mismatch.to_svg(), Err(RenderError::Shape(_))));
}

#[test]
fn component_bars_form_a_waterfall_ending_in_the_total() {
    let c = ComponentBars::new([("relevance", 0.6), ("price fit", -0.15), ("rating", 0.25)])
        .with_title("Score of item 42");
    assert!((c.total() - 0.7).abs() < 1e-12);
    let svg = c.to_svg().expect("renders");
    let doc = parse(&svg);
    let zero = f(&with_class(&doc, "zero")[0], "x1");
    let bars: Vec<_> = doc.descendants().filter(|n| has_class(n, "bar")).collect();
    assert_eq!(bars.len(), 4);
    let unit = f(&bars[0], "width") / 0.6;
    let (first, second, third, total) = (&bars[0], &bars[1], &bars[2], &bars[3]);
    let right = |n: &Node| f(n, "x") + f(n, "width");
    assert!((f(first, "x") - zero).abs() < 0.02);
    assert!(has_class(second, "neg") && (right(second) - right(first)).abs() < 0.02);
    assert!(has_class(third, "pos") && (f(third, "x") - f(second, "x")).abs() < 0.02);
    assert!(has_class(total, "total") && (f(total, "x") - zero).abs() < 0.02);
    assert!((f(total, "width") - 0.7 * unit).abs() < 0.05);
    assert!(
        (right(total) - right(third)).abs() < 0.05,
        "total ends where the last step ends"
    );
    assert!(texts(&doc).iter().any(|t| t == "0.7"));
    assert!(matches!(
        ComponentBars::new(Vec::<(String, f64)>::new()).to_svg(),
        Err(RenderError::Empty(_))
    ));
    // Non-finite components are shown but left out of the total.
    let odd = ComponentBars::new([("a", 1.0), ("b", f64::NAN)]);
    assert_eq!(odd.total(), 1.0);
    assert!(odd.to_svg().is_ok());
}

// ---------------------------------------------------------------- line chart

#[test]
fn line_chart_draws_each_series_with_legend_and_axes() {
    let deletion: Vec<(f64, f64)> = (0..=10)
        .map(|i| (i as f64 / 10.0, 1.0 - (i as f64 / 10.0).sqrt()))
        .collect();
    let insertion: Vec<(f64, f64)> = (0..=10)
        .map(|i| (i as f64 / 10.0, (i as f64 / 10.0).powi(2)))
        .collect();
    let chart = LineChart::new("fraction of words removed", "score")
        .with_title("Deletion / insertion")
        .with_series("deletion", deletion)
        .with_series("insertion", insertion)
        .with_series("broken", vec![(0.0, 0.5), (0.5, f64::NAN), (1.0, 0.2)]);
    let svg = chart.to_svg().expect("renders");
    let doc = parse(&svg);
    let paths = with_class(&doc, "series");
    assert_eq!(paths.len(), 3);
    assert_eq!(
        paths[2].attribute("d").map(|d| d.matches('M').count()),
        Some(2)
    );
    let legend: Vec<String> = with_class(&doc, "legend")
        .iter()
        .filter_map(|n| n.text().map(str::to_string))
        .collect();
    assert_eq!(legend, ["deletion", "insertion", "broken"]);
    let all = texts(&doc);
    for expected in ["fraction of words removed", "score", "0.0", "0.2", "1.0"] {
        assert!(
            all.iter().any(|t| t == expected),
            "{expected} missing from {all:?}"
        );
    }
    let empty = LineChart::new("x", "y").with_series("s", vec![(f64::NAN, 1.0)]);
    assert!(matches!(empty.to_svg(), Err(RenderError::Empty(_))));
    assert!(matches!(
        LineChart::new("x", "y").to_svg(),
        Err(RenderError::Empty(_))
    ));
}

// ---------------------------------------------------------------- highlighted text

#[test]
fn highlighted_text_colours_words_by_sign_and_magnitude() {
    let t = HighlightedText::from_words([
        ("light", 0.8),
        ("waterproof", 0.4),
        ("cheap", -0.4),
        ("shoes", 0.0),
    ]);
    let svg = t.to_svg().expect("renders");
    let doc = parse(&svg);
    let words = with_class(&doc, "word");
    assert_eq!(words.len(), 4);
    let rect = |i: usize| words[i].children().find(|c| c.has_tag_name("rect"));
    let opacity = |i: usize| rect(i).map(|r| f(&r, "fill-opacity"));
    assert_eq!(opacity(0), Some(0.8));
    assert_eq!(opacity(1), Some(0.4));
    assert_eq!(opacity(2), Some(0.4));
    assert!(rect(3).is_none(), "a zero attribution is not highlighted");
    assert_eq!(
        rect(0).and_then(|r| r.attribute("fill")),
        Some(color::POSITIVE_FILL.hex().as_str())
    );
    assert_eq!(
        rect(2).and_then(|r| r.attribute("fill")),
        Some(color::NEGATIVE_FILL.hex().as_str())
    );
    let tips: Vec<String> = words
        .iter()
        .filter_map(|w| w.children().find(|c| c.has_tag_name("title")))
        .filter_map(|t| t.text().map(str::to_string))
        .collect();
    assert_eq!(
        tips,
        ["light: +0.8", "waterproof: +0.4", "cheap: −0.4", "shoes: 0"]
    );
}

#[test]
fn highlighted_html_keeps_spacing_and_has_tooltips() {
    let text = "Need  boots\nfor <rain> & snow";
    let t = HighlightedText::from_spans(text, &[(0..4, 0.2), (6..11, 0.9), (16..22, -0.5)])
        .expect("spans")
        .with_title("Request");
    let html = t.to_html().expect("renders").into_string();
    assert_eq!(html.matches("<span style=\"background-color").count(), 3);
    assert!(
        html.contains("Need</span>  <span"),
        "double space kept: {html}"
    );
    assert!(html.contains("boots</span>\nfor "), "newline kept");
    assert!(
        html.contains(
            "title=\"&lt;rain&gt;: −0.5\" data-value=\"-0.5\">&lt;rain&gt;</span> &amp; snow"
        ),
        "{html}"
    );
    assert!(html.contains("white-space:pre-wrap"));
    assert!(
        html.contains("rgba(214,96,77,0.8)"),
        "strongest word at full alpha"
    );
    assert!(html.contains("dg-legend"));
    let none = HighlightedText::from_spans("just text", &[]).expect("no spans");
    assert!(matches!(none.to_html(), Err(RenderError::Empty(_))));
    assert!(matches!(none.to_svg(), Err(RenderError::Empty(_))));
}

// ---------------------------------------------------------------- escaping, Unicode

fn every_chart(label: &str) -> Vec<Box<dyn Render>> {
    vec![
        Box::new(
            TokenHeatmap::new(
                [label, "b"],
                [label, "d"],
                vec![vec![1.0, 2.0], vec![3.0, 4.0]],
            )
            .with_title(label),
        ),
        Box::new(
            AttributionBars::new([label, "x"], vec![1.0, -1.0])
                .with_title(label)
                .with_legend(label, label),
        ),
        Box::new(
            ComponentBars::new([(label, 1.0)])
                .with_title(label)
                .with_total_label(label),
        ),
        Box::new(
            LineChart::new(label, label)
                .with_title(label)
                .with_series(label, vec![(0.0, 1.0)]),
        ),
        Box::new(HighlightedText::from_words([(label, 1.0), ("ok", -0.5)]).with_title(label)),
    ]
}

#[test]
fn labels_are_escaped_in_every_svg() {
    for (i, chart) in every_chart(EVIL).iter().enumerate() {
        let svg = chart.to_svg().expect("renders");
        assert!(!svg.contains("<script"), "chart {i} leaks markup");
        assert!(
            svg.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "chart {i}"
        );
        assert!(
            svg.contains("&amp;&quot;&#39;") || svg.contains("&amp;"),
            "chart {i}"
        );
        let doc = parse(&svg);
        // Escaping round-trips: some text node holds the label verbatim.
        let trimmed = EVIL.trim();
        assert!(
            texts(&doc)
                .iter()
                .any(|t| t == trimmed || t.contains("<script>alert(1)</script>")),
            "chart {i}: {:?}",
            texts(&doc)
        );
    }
}

#[test]
fn cjk_and_emoji_survive_svg_and_html() {
    let label = "防水徒步鞋 🥾 Ünïcødé";
    for chart in every_chart(label) {
        let svg = chart.to_svg().expect("renders");
        assert!(svg.contains(label), "{svg}");
        parse(&svg);
    }
    let html = HighlightedText::from_words([(label, 1.0)])
        .to_html()
        .expect("renders")
        .into_string();
    assert!(html.contains(label));
}

#[test]
fn long_labels_are_truncated_but_kept_whole_in_tooltips() {
    let long =
        "Ultralight waterproof breathable trail running shoe with extra wide toe box, size 44";
    let svg = AttributionBars::new([long], vec![0.3])
        .to_svg()
        .expect("renders");
    let doc = parse(&svg);
    let shown = with_class(&doc, "label")[0]
        .text()
        .unwrap_or_default()
        .to_string();
    assert!(shown.ends_with('…') && shown.len() < long.len(), "{shown}");
    assert!(
        texts(&doc).iter().any(|t| t.starts_with(long)),
        "tooltip keeps the full label"
    );
}

#[test]
fn extreme_values_do_not_panic() {
    let huge = [f64::MAX, -f64::MAX, 1e-300, 0.0];
    let charts: Vec<Box<dyn Render>> = vec![
        Box::new(TokenHeatmap::new(
            ["a"],
            ["b", "c"],
            vec![vec![f32::MAX, f32::MIN]],
        )),
        Box::new(AttributionBars::new(["a", "b", "c", "d"], huge.to_vec())),
        Box::new(ComponentBars::new(huge.iter().map(|&v| ("x", v)))),
        Box::new(
            LineChart::new("x", "y").with_series("s", huge.iter().map(|&v| (v, -v)).collect()),
        ),
        Box::new(HighlightedText::from_words(huge.iter().map(|&v| ("w", v)))),
    ];
    for chart in charts {
        let svg = chart.to_svg().expect("renders");
        parse(&svg);
        assert!(!svg.contains("NaN\""), "no NaN coordinates");
    }
}

// ---------------------------------------------------------------- HTML page

fn page() -> Result<HtmlPage, RenderError> {
    let words = HighlightedText::from_words([("warm", 0.7), ("winter", 0.2), ("jacket", -0.1)]);
    Ok(HtmlPage::new(format!("Report {EVIL}"))
        .paragraph(format!("Shopper asked: {EVIL}"))
        .section(
            Section::new("Attributions")
                .paragraph("Top features.")
                .chart(&bars(), "Figure 1")?
                .html(words.to_html()?),
        )
        .section(
            Section::new("Numbers").table(
                Table::new(["item", "score"])
                    .row(["Boot 耳机 🥾", "0.91"])
                    .row([EVIL])
                    .row(["x", "y", "extra"]),
            ),
        ))
}

#[test]
fn html_page_is_standalone_and_escaped() {
    let html = page().expect("page").render();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<meta charset=\"utf-8\">"));
    assert!(html.contains("Content-Security-Policy"));
    assert_eq!(html.matches("<svg ").count(), 1, "chart inlined");
    assert!(html.contains("<figcaption>Figure 1</figcaption>"));
    assert!(html.contains("<td class=\"num\">0.91</td>"));
    assert!(html.contains("Boot 耳机 🥾"));
    assert!(
        !html.contains("<script"),
        "no script, and user text cannot add one"
    );
    assert_eq!(
        html.matches("&lt;script&gt;alert(1)&lt;/script&gt; &amp;&quot;&#39;")
            .count(),
        4
    );
    let without_ns = html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    assert!(!without_ns.contains("http://") && !without_ns.contains("https://"));
    for external in ["src=", "href=", "@import", "url("] {
        assert!(!html.contains(external), "external reference {external}");
    }
    // Rows are padded to the header width; longer rows keep their cells.
    assert!(html.contains("&#39;</td><td></td></tr>"));
    assert!(html.contains("<td>extra</td>"));
}

#[test]
fn fragments_escape_plain_text() {
    assert_eq!(
        HtmlFragment::text("<b>&</b>").as_str(),
        "&lt;b&gt;&amp;&lt;/b&gt;"
    );
    assert_eq!(HtmlFragment::trusted("<b>x</b>").to_string(), "<b>x</b>");
}

// ---------------------------------------------------------------- PNG

fn decode(png: &[u8]) -> Pixmap {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    Pixmap::decode_png(png).expect("decodes")
}

fn pixel(p: &Pixmap, x: f64, y: f64) -> Rgb {
    let c = p
        .pixel(x as u32, y as u32)
        .unwrap_or_else(|| panic!("({x}, {y}) outside the image"))
        .demultiply();
    Rgb::new(c.red(), c.green(), c.blue())
}

#[test]
fn png_matches_the_svg_size_and_colours() {
    let h = square(9);
    let svg = h.to_svg().expect("svg");
    let doc = parse(&svg);
    let (w, hgt) = (
        f(&doc.root_element(), "width"),
        f(&doc.root_element(), "height"),
    );
    for scale in [1.0f32, 2.0] {
        let png = decode(&h.to_png(scale).expect("png"));
        assert_eq!(png.width(), (w * f64::from(scale)).ceil() as u32);
        assert_eq!(png.height(), (hgt * f64::from(scale)).ceil() as u32);
        assert_eq!(
            pixel(&png, 1.0, 1.0),
            Rgb::new(255, 255, 255),
            "white background"
        );
        for cell in with_class(&doc, "cell").iter().step_by(7) {
            let cx = (f(cell, "x") + f(cell, "width") / 2.0) * f64::from(scale);
            let cy = (f(cell, "y") + f(cell, "height") / 2.0) * f64::from(scale);
            let fill = cell.attribute("fill").unwrap_or_default();
            assert_eq!(
                pixel(&png, cx, cy).hex(),
                fill,
                "cell colour at ({cx}, {cy})"
            );
        }
    }
}

#[test]
fn png_draws_text_with_the_embedded_font() {
    let chart = AttributionBars::new(["WWWWWWWWWWWWWWWW"], vec![1.0]);
    let svg = chart.to_svg().expect("svg");
    let doc = parse(&svg);
    let label = with_class(&doc, "label")[0];
    let (right, baseline) = (f(&label, "x"), f(&label, "y"));
    let png = decode(&chart.to_png(2.0).expect("png"));
    let mut dark = 0;
    let mut y = (baseline - 9.0) * 2.0;
    while y < baseline * 2.0 {
        let mut x = (right - 60.0) * 2.0;
        while x < right * 2.0 {
            if pixel(&png, x, y).luminance() < 0.3 {
                dark += 1;
            }
            x += 1.0;
        }
        y += 1.0;
    }
    assert!(
        dark > 200,
        "only {dark} dark pixels where the label is drawn"
    );
    // Above the text there is only background.
    assert_eq!(
        pixel(&png, (right - 30.0) * 2.0, (baseline - 14.0) * 2.0),
        Rgb::new(255, 255, 255)
    );
}

#[test]
fn png_renders_every_chart_including_unicode() {
    for chart in every_chart("防水 🥾 <b>&") {
        let png = decode(&chart.to_png(1.0).expect("png"));
        assert!(png.width() > 50 && png.height() > 30);
    }
}

#[test]
fn png_rejects_bad_scales() {
    for scale in [0.0, -1.0, f32::NAN, f32::INFINITY, 1000.0] {
        assert!(
            matches!(bars().to_png(scale), Err(RenderError::Invalid(_))),
            "{scale}"
        );
    }
    assert!(matches!(
        daogou_render::svg_to_png("<svg", 1.0),
        Err(RenderError::Svg(_))
    ));
}

// ---------------------------------------------------------------- determinism and files

#[test]
fn output_is_deterministic() {
    for (a, b) in every_chart("x ✓ 耳机")
        .iter()
        .zip(every_chart("x ✓ 耳机").iter())
    {
        assert_eq!(a.to_svg().expect("svg"), b.to_svg().expect("svg"));
        assert_eq!(a.to_png(1.0).expect("png"), b.to_png(1.0).expect("png"));
    }
    assert_eq!(
        page().expect("page").render(),
        page().expect("page").render()
    );
}

#[test]
fn write_helpers_create_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let chart = bars();
    chart.write_svg(dir.path().join("b.svg")).expect("svg");
    chart.write_png(dir.path().join("b.png"), 1.0).expect("png");
    page()
        .expect("page")
        .write(dir.path().join("p.html"))
        .expect("html");
    let svg = std::fs::read_to_string(dir.path().join("b.svg")).expect("read");
    assert_eq!(svg, chart.to_svg().expect("svg"));
    decode(&std::fs::read(dir.path().join("b.png")).expect("read"));
    assert!(std::fs::read_to_string(dir.path().join("p.html"))
        .expect("read")
        .contains("<svg "));
    let missing = dir.path().join("no/such/dir/x.svg");
    assert!(matches!(chart.write_svg(missing), Err(RenderError::Io(_))));
}
