//! The embedded faces and the font database used to rasterise.
//!
//! PNG output must not depend on what a machine has installed, so the Latin, Greek
//! and Cyrillic faces (DejaVu Sans, see `assets/fonts/LICENSE-DejaVu.txt`) and a Chinese
//! face (WenQuanYi Micro Hei cut to the 3,755 common hanzi of GB 2312 and every CJK
//! character of the data files by `scripts/cjk-font-subset.py`; Apache-2.0, see
//! `assets/fonts/LICENSE-WenQuanYi.txt`) are compiled in. System fonts are loaded after
//! them and only serve as fallbacks for characters the subsets lack (rare hanzi, emoji):
//! fontdb prefers the first-loaded face on ties.

use std::sync::{Arc, OnceLock};

use resvg::usvg::fontdb::Database;

/// Family name of the embedded faces.
pub(crate) const FAMILY: &str = "DejaVu Sans";
/// DejaVu Sans Book, subset.
pub(crate) static REGULAR: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");
/// DejaVu Sans Bold, subset.
pub(crate) static BOLD: &[u8] = include_bytes!("../assets/fonts/DejaVuSans-Bold.ttf");
/// WenQuanYi Micro Hei, subset.
pub(crate) static CJK: &[u8] = include_bytes!("../assets/fonts/WenQuanYiMicroHei-subset.ttf");

/// The shared font database: embedded faces first, then the system's fonts.
pub(crate) fn database() -> Arc<Database> {
    static DB: OnceLock<Arc<Database>> = OnceLock::new();
    DB.get_or_init(|| {
        let mut db = Database::new();
        db.load_font_data(REGULAR.to_vec());
        db.load_font_data(BOLD.to_vec());
        db.load_font_data(CJK.to_vec());
        db.load_system_fonts();
        db.set_sans_serif_family(FAMILY);
        Arc::new(db)
    })
    .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Family name of the embedded Chinese face (named in `svg::FONT_FAMILY`).
    const CJK_FAMILY: &str = "WenQuanYi Micro Hei";

    #[test]
    fn embedded_faces_come_first() {
        let db = database();
        let first: Vec<_> = db.faces().take(3).collect();
        assert_eq!(first.len(), 3);
        for face in &first[..2] {
            assert!(face.families.iter().any(|(name, _)| name == FAMILY));
        }
        assert!(first[2].families.iter().any(|(name, _)| name == CJK_FAMILY));
        // The Chinese face holds the characters of the demo's requests.
        let has = |c: char| {
            db.with_face_data(first[2].id, |data, index| {
                ttf_parser::Face::parse(data, index)
                    .ok()
                    .and_then(|face| face.glyph_index(c))
                    .is_some()
            })
            .unwrap_or(false)
        };
        for c in "送女朋友的生日礼物防水冲锋衣降噪耳机推荐理由：".chars() {
            assert!(has(c), "{c} is missing");
        }
    }
}
