//! `--plot DIR`: the pictures behind an answer, as SVG and PNG files.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use daogou_explain::{AttentionMaps, Explanation};
use daogou_guide::answer::Recommendations;
use daogou_render::{AttributionBars, ComponentBars, Render, TokenHeatmap};

/// Writes `name.svg` and `name.png` for a picture; returns the SVG path.
fn write(dir: &Path, name: &str, picture: &impl Render) -> Result<PathBuf> {
    let svg = dir.join(format!("{name}.svg"));
    picture
        .write_svg(&svg)
        .with_context(|| format!("writing {}", svg.display()))?;
    let png = dir.join(format!("{name}.png"));
    picture
        .write_png(&png, 2.0)
        .with_context(|| format!("writing {}", png.display()))?;
    Ok(svg)
}

/// A file-name-safe version of a product id.
fn slug(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(40)
        .collect()
}

fn bars(e: &Explanation, title: String) -> AttributionBars {
    AttributionBars::new(e.feature_names.clone(), e.values.clone())
        .with_title(title)
        .with_legend("raises the score", "lowers the score")
}

/// Layer-averaged attention heatmaps (one per layer) and the rollout of a text.
pub fn attention(
    dir: &Path,
    prefix: &str,
    tokens: &[String],
    maps: &[Vec<Vec<Vec<f32>>>],
) -> Result<Vec<PathBuf>> {
    let attention = AttentionMaps::from_nested(maps)?;
    let mut written = Vec::new();
    let as_rows = |m: &daogou_explain::TokenMatrix| -> Vec<Vec<f32>> {
        (0..m.size())
            .map(|q| {
                m.row(q)
                    .unwrap_or_default()
                    .iter()
                    .map(|&v| v as f32)
                    .collect()
            })
            .collect()
    };
    for layer in 0..attention.num_layers() {
        let mean = attention.head_average(layer)?;
        let heatmap = TokenHeatmap::new(tokens.to_vec(), tokens.to_vec(), as_rows(&mean))
            .with_title(format!(
                "attention, layer {} (mean of {} heads)",
                layer + 1,
                attention.num_heads()
            ))
            .with_range(0.0, 1.0);
        written.push(write(
            dir,
            &format!("{prefix}attention-layer{}", layer + 1),
            &heatmap,
        )?);
    }
    let rollout = TokenHeatmap::new(
        tokens.to_vec(),
        tokens.to_vec(),
        as_rows(&attention.rollout()?),
    )
    .with_title("attention rollout")
    .with_range(0.0, 1.0);
    written.push(write(dir, &format!("{prefix}attention-rollout"), &rollout)?);
    Ok(written)
}

/// Word attributions of any explanations (one bar chart per method).
pub fn explanations(
    dir: &Path,
    prefix: &str,
    explanations: &[Explanation],
) -> Result<Vec<PathBuf>> {
    explanations
        .iter()
        .map(|e| {
            write(
                dir,
                &format!("{prefix}{}", e.method),
                &bars(e, e.method.name().replace('_', " ")),
            )
        })
        .collect()
}

/// For each recommended product: its word attributions per method and its score
/// components; for the request: its attention maps.
pub fn recommendations(dir: &Path, answer: &Recommendations) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut written = Vec::new();
    for item in &answer.items {
        let prefix = format!("{:02}-{}-", item.rank, slug(&item.product.id));
        written.extend(explanations(dir, &prefix, &item.explanations)?);
        let base = (item.base != 0.0).then(|| ("base".to_string(), item.base));
        let components = ComponentBars::new(
            base.into_iter().chain(
                item.components
                    .iter()
                    .map(|c| (c.name.to_string(), c.contribution)),
            ),
        )
        .with_title(format!("score of {}", item.product.title))
        .with_total_label("score");
        written.push(write(dir, &format!("{prefix}components"), &components)?);
    }
    if let Some(view) = &answer.attention {
        written.extend(attention(dir, "request-", &view.tokens, &view.maps)?);
    }
    Ok(written)
}
