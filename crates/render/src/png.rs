//! Rasterising SVG to PNG with resvg, using the embedded fonts.

use resvg::tiny_skia::{Pixmap, Transform};
use resvg::usvg::{Options, Tree};

use crate::error::RenderError;
use crate::fonts;

/// Largest width or height, in pixels, of a PNG this crate produces.
pub const MAX_PNG_SIDE: u32 = 16_384;

/// Rasterises an SVG document at `scale` (1.0 = one pixel per SVG unit).
///
/// Text uses the embedded DejaVu Sans first and system fonts for characters it
/// lacks. Errors when `scale` is not a positive finite number, when the image
/// would exceed [`MAX_PNG_SIDE`] on a side, or when the SVG cannot be parsed.
pub fn svg_to_png(svg: &str, scale: f32) -> Result<Vec<u8>, RenderError> {
    if !(scale.is_finite() && scale > 0.0) {
        return Err(RenderError::Invalid(format!(
            "PNG scale must be a positive finite number, got {scale}"
        )));
    }
    let options = Options {
        font_family: fonts::FAMILY.to_string(),
        fontdb: fonts::database(),
        ..Options::default()
    };
    let tree = Tree::from_str(svg, &options).map_err(|e| RenderError::Svg(e.to_string()))?;
    let size = tree.size();
    let (w, h) = (
        (size.width() * scale).ceil(),
        (size.height() * scale).ceil(),
    );
    let side = MAX_PNG_SIDE as f32;
    if !(w >= 1.0 && h >= 1.0 && w <= side && h <= side) {
        return Err(RenderError::Invalid(format!(
            "PNG would be {w}×{h} px; each side must be between 1 and {MAX_PNG_SIDE}"
        )));
    }
    let mut pixmap = Pixmap::new(w as u32, h as u32)
        .ok_or_else(|| RenderError::Invalid(format!("cannot allocate a {w}×{h} image")))?;
    resvg::render(
        &tree,
        Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    pixmap
        .encode_png()
        .map_err(|e| RenderError::Png(e.to_string()))
}
