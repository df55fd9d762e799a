//! Pictures and pages for daogou's explanations: SVG, PNG and standalone HTML.
//!
//! Every chart is a plain data struct implementing [`Render`]: [`TokenHeatmap`]
//! (attention of one layer/head), [`AttributionBars`] (signed feature attributions),
//! [`HighlightedText`] (words coloured by attribution, also as an HTML fragment),
//! [`ComponentBars`] (a waterfall of score components) and [`LineChart`]
//! (deletion/insertion curves). [`HtmlPage`] assembles them, with paragraphs and
//! tables, into one self-contained HTML file: inline CSS and inline SVG, no script,
//! no external request.
//!
//! SVG is written directly as text; every label is escaped, so product titles and
//! shopper requests cannot inject markup. PNG is rasterised from that same SVG with
//! resvg. Text is laid out and drawn with an embedded subset of DejaVu Sans, so
//! output is identical across machines; characters outside the subset (CJK, emoji)
//! use system fonts when present. See `README.md` for the font decision.

mod bars;
pub mod color;
mod components;
mod error;
mod fonts;
mod format;
mod hbars;
mod heatmap;
mod highlight;
mod html;
mod line;
mod png;
mod svg;
mod text;

use std::path::Path;

pub use bars::AttributionBars;
pub use components::ComponentBars;
pub use error::RenderError;
pub use format::{format_signed, format_value};
pub use heatmap::TokenHeatmap;
pub use highlight::HighlightedText;
pub use html::{HtmlFragment, HtmlPage, Section, Table};
pub use line::LineChart;
pub use png::{svg_to_png, MAX_PNG_SIDE};
pub use svg::escape;

/// Something that can be drawn as an SVG picture, and hence as a PNG.
pub trait Render {
    /// The picture as a standalone SVG document (UTF-8, no external references).
    fn to_svg(&self) -> Result<String, RenderError>;

    /// The picture as PNG bytes; `scale` 2.0 gives twice the SVG's pixel size.
    fn to_png(&self, scale: f32) -> Result<Vec<u8>, RenderError> {
        svg_to_png(&self.to_svg()?, scale)
    }

    /// Writes [`Render::to_svg`] to `path`.
    fn write_svg(&self, path: impl AsRef<Path>) -> Result<(), RenderError>
    where
        Self: Sized,
    {
        std::fs::write(path, self.to_svg()?)?;
        Ok(())
    }

    /// Writes [`Render::to_png`] to `path`.
    fn write_png(&self, path: impl AsRef<Path>, scale: f32) -> Result<(), RenderError>
    where
        Self: Sized,
    {
        std::fs::write(path, self.to_png(scale)?)?;
        Ok(())
    }
}
