//! Text measurement with the embedded font's advance widths, so that layout (label
//! margins, truncation, word wrapping) is the same on every machine.

use std::borrow::Cow;

use skrifa::charmap::Charmap;
use skrifa::metrics::GlyphMetrics;
use skrifa::prelude::{FontRef, LocationRef, MetadataProvider, Size};

use crate::fonts;

/// Which embedded face to measure with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Weight {
    /// DejaVu Sans Book.
    Regular,
    /// DejaVu Sans Bold.
    Bold,
}

/// Advance widths of one face at one size.
struct Measure {
    glyphs: Option<(Charmap<'static>, GlyphMetrics<'static>)>,
    size: f64,
}

impl Measure {
    fn new(size: f64, weight: Weight) -> Self {
        let data = match weight {
            Weight::Regular => fonts::REGULAR,
            Weight::Bold => fonts::BOLD,
        };
        let glyphs = FontRef::new(data).ok().map(|font| {
            let metrics = font.glyph_metrics(Size::new(size as f32), LocationRef::default());
            (font.charmap(), metrics)
        });
        Measure { glyphs, size }
    }

    fn char(&self, c: char) -> f64 {
        self.glyphs
            .as_ref()
            .and_then(|(charmap, metrics)| metrics.advance_width(charmap.map(c)?))
            .map_or_else(|| fallback_em(c) * self.size, f64::from)
    }
}

/// Estimated advance, in em, of a character the embedded subset does not have:
/// zero for combining and invisible marks, one for East Asian wide characters,
/// a bit more for emoji, and an average Latin width otherwise.
fn fallback_em(c: char) -> f64 {
    match u32::from(c) {
        0x0300..=0x036f | 0x200b..=0x200f | 0xfe00..=0xfe0f | 0xe0100..=0xe01ef => 0.0,
        0x1f000..=0x1faff | 0x2600..=0x27bf => 1.2,
        0x1100..=0x115f
        | 0x2e80..=0x303e
        | 0x3041..=0x33ff
        | 0x3400..=0x4dbf
        | 0x4e00..=0x9fff
        | 0xa000..=0xa4cf
        | 0xac00..=0xd7a3
        | 0xf900..=0xfaff
        | 0xfe30..=0xfe4f
        | 0xff00..=0xff60
        | 0xffe0..=0xffe6
        | 0x20000..=0x3fffd => 1.0,
        _ => 0.6,
    }
}

/// Width of `s` set in the embedded font at `size` px (no kerning).
pub(crate) fn width(s: &str, size: f64, weight: Weight) -> f64 {
    let m = Measure::new(size, weight);
    s.chars().map(|c| m.char(c)).sum()
}

/// `s` itself when it fits in `max_width`, else its longest prefix that fits with
/// a trailing ellipsis.
pub(crate) fn truncate(s: &str, size: f64, weight: Weight, max_width: f64) -> Cow<'_, str> {
    let m = Measure::new(size, weight);
    if s.chars().map(|c| m.char(c)).sum::<f64>() <= max_width {
        return Cow::Borrowed(s);
    }
    let budget = max_width - m.char('…');
    let mut used = 0.0;
    let mut end = 0;
    for (i, c) in s.char_indices() {
        used += m.char(c);
        if used > budget {
            break;
        }
        end = i + c.len_utf8();
    }
    Cow::Owned(format!("{}…", s[..end].trim_end()))
}

/// Splits `s` into pieces no wider than `max_width` (at least one char each).
pub(crate) fn split_to_width(s: &str, size: f64, weight: Weight, max_width: f64) -> Vec<&str> {
    let m = Measure::new(size, weight);
    let mut pieces = Vec::new();
    let (mut start, mut used) = (0, 0.0);
    for (i, c) in s.char_indices() {
        let w = m.char(c);
        if used + w > max_width && i > start {
            pieces.push(&s[start..i]);
            (start, used) = (i, 0.0);
        }
        used += w;
    }
    if start < s.len() {
        pieces.push(&s[start..]);
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_come_from_the_font() {
        let w_i = width("iiii", 12.0, Weight::Regular);
        let w_m = width("MMMM", 12.0, Weight::Regular);
        assert!(w_i > 0.0 && w_m > 2.0 * w_i, "{w_i} {w_m}");
        assert!(width("MMMM", 12.0, Weight::Bold) > w_m);
        assert!(
            (width("ab", 24.0, Weight::Regular) - 2.0 * width("ab", 12.0, Weight::Regular)).abs()
                < 0.01
        );
        assert_eq!(width("耳机", 10.0, Weight::Regular), 20.0);
    }

    #[test]
    fn truncate_keeps_short_and_cuts_long() {
        assert_eq!(truncate("short", 12.0, Weight::Regular, 100.0), "short");
        let long = "a very long product title that keeps going";
        let cut = truncate(long, 12.0, Weight::Regular, 80.0);
        assert!(cut.ends_with('…') && cut.len() < long.len(), "{cut}");
        assert!(width(&cut, 12.0, Weight::Regular) <= 80.0);
        let cjk = truncate("防水徒步鞋男款轻便透气", 12.0, Weight::Regular, 50.0);
        assert!(cjk.ends_with('…'), "{cjk}");
    }

    #[test]
    fn split_to_width_covers_the_input() {
        let s = "无空格的很长一段中文文本需要换行";
        let parts = split_to_width(s, 10.0, Weight::Regular, 35.0);
        assert!(parts.len() > 1);
        assert_eq!(parts.concat(), s);
        assert!(parts
            .iter()
            .all(|p| width(p, 10.0, Weight::Regular) <= 35.0));
    }
}
