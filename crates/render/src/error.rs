//! The one error type of this crate.

/// Why a picture or page could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The input has nothing to draw (no labels, no words, no points).
    #[error("nothing to render: {0}")]
    Empty(&'static str),
    /// Lengths that must agree do not (labels vs values, rows vs columns).
    #[error("shape mismatch: {0}")]
    Shape(String),
    /// An argument is out of its domain (scale, value range, image size).
    #[error("invalid argument: {0}")]
    Invalid(String),
    /// The generated SVG could not be parsed for rasterising.
    #[error("SVG could not be rasterised: {0}")]
    Svg(String),
    /// Encoding the PNG failed.
    #[error("PNG encoding failed: {0}")]
    Png(String),
    /// Writing a file failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}
