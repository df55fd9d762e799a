//! Renders one of each chart and a small report, as SVG, PNG and HTML.
//!
//! `cargo run -p daogou-render --example samples -- [OUT_DIR]` (default
//! `/tmp/render-samples`).

use std::path::PathBuf;

use daogou_render::{
    AttributionBars, ComponentBars, HighlightedText, HtmlPage, LineChart, Render, RenderError,
    Section, Table, TokenHeatmap,
};

fn attention(n: usize) -> Vec<Vec<f32>> {
    (0..n)
        .map(|q| {
            let raw: Vec<f32> = (0..n)
                .map(|k| {
                    let d = q.abs_diff(k) as f32;
                    (-d * 0.7).exp() + if k == 0 { 0.8 } else { 0.0 }
                })
                .collect();
            let sum: f32 = raw.iter().sum();
            raw.into_iter().map(|v| v / sum).collect()
        })
        .collect()
}

fn main() -> Result<(), RenderError> {
    let out = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "/tmp/render-samples".to_string()),
    );
    std::fs::create_dir_all(&out)?;

    let tokens = [
        "[CLS]",
        "light",
        "waterproof",
        "hiking",
        "boots",
        "for",
        "rainy",
        "trails",
        "[SEP]",
    ];
    let heatmap = TokenHeatmap::new(tokens, tokens, attention(tokens.len()))
        .with_title("Attention, layer 4 · head 7")
        .with_annotations(true);
    let many: Vec<String> = (0..64).map(|i| format!("tok_{i}")).collect();
    let mut big_values = attention(64);
    big_values[5][7] = f32::NAN;
    let big = TokenHeatmap::new(many.clone(), many, big_values)
        .with_title("Attention rollout, 64 tokens");

    let bars = AttributionBars::new(
        [
            "waterproof",
            "hiking",
            "light",
            "boots",
            "cheap",
            "for rainy trails",
            "防水 · 徒步鞋 🥾",
            "brand: Acme® <Pro>",
        ],
        vec![0.412, 0.231, 0.118, 0.042, -0.187, -0.036, 0.088, f64::NAN],
    )
    .with_title("Why “TrailMaster GTX” matches the request")
    .with_legend("raises the score", "lowers the score");

    let components = ComponentBars::new([
        ("semantic similarity", 0.58),
        ("keyword match", 0.17),
        ("price fit", -0.12),
        ("rating", 0.09),
        ("out of stock penalty", -0.05),
    ])
    .with_title("Score of item #1042")
    .with_total_label("final score");

    let xs: Vec<f64> = (0..=20).map(|i| f64::from(i) / 20.0).collect();
    let line = LineChart::new("fraction of words removed / inserted", "model score")
        .with_title("Deletion and insertion curves")
        .with_series(
            "deletion (AUC 0.21)",
            xs.iter()
                .map(|&x| (x, 0.9 * (-5.0 * x).exp() + 0.05))
                .collect(),
        )
        .with_series(
            "insertion (AUC 0.74)",
            xs.iter()
                .map(|&x| (x, 0.05 + 0.85 * (1.0 - (-4.0 * x).exp())))
                .collect(),
        )
        .with_series(
            "random baseline",
            xs.iter().map(|&x| (x, 0.9 - 0.8 * x)).collect(),
        );

    let request =
        "I need light  waterproof hiking boots for rainy trails,\nnot too expensive — under 120 €";
    let scores = [
        0.02, 0.05, 0.31, 0.62, 0.28, 0.44, -0.02, 0.12, 0.09, -0.21, -0.05, -0.33, 0.0, 0.15,
        0.18, 0.03,
    ];
    // Words are whitespace-separated runs with their byte offsets, as the explainers
    // produce them; the text between them keeps its original spacing.
    let mut spans = Vec::new();
    let mut at = 0;
    for (word, score) in request.split_whitespace().zip(scores) {
        let start = at + request[at..].find(word).unwrap_or(0);
        spans.push((start..start + word.len(), score));
        at = start + word.len();
    }
    let text = HighlightedText::from_spans(request, &spans)?
        .with_title("Which words of the request mattered");

    heatmap.write_svg(out.join("heatmap.svg"))?;
    heatmap.write_png(out.join("heatmap.png"), 2.0)?;
    big.write_png(out.join("heatmap64.png"), 1.5)?;
    bars.write_svg(out.join("bars.svg"))?;
    bars.write_png(out.join("bars.png"), 2.0)?;
    components.write_png(out.join("components.png"), 2.0)?;
    line.write_png(out.join("line.png"), 2.0)?;
    text.write_svg(out.join("highlight.svg"))?;
    text.write_png(out.join("highlight.png"), 2.0)?;

    HtmlPage::new("Recommendation report: TrailMaster GTX")
        .paragraph(format!("Shopper request: “{request}”"))
        .section(
            Section::new("What the shopper asked for")
                .html(text.to_html()?)
                .chart(&bars, "Occlusion attributions per word of the request.")?,
        )
        .section(
            Section::new("How the score was built")
                .chart(&components, "")?
                .table(
                    Table::new(["component", "value", "note"])
                        .row(["semantic similarity", "0.58", "cosine of embeddings"])
                        .row(["keyword match", "0.17", "BM25, 3 terms"])
                        .row(["price fit", "-0.12", "119 € vs budget 120 €"]),
                ),
        )
        .section(
            Section::new("Model internals")
                .chart(&heatmap, "")?
                .chart(&line, "")?,
        )
        .write(out.join("report.html"))?;
    println!("wrote samples to {}", out.display());
    Ok(())
}
