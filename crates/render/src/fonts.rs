//! The embedded DejaVu Sans subset and the font database used to rasterise.
//!
//! PNG output must not depend on what a machine has installed, so the Latin, Greek
//! and Cyrillic faces are compiled in (see `assets/fonts/LICENSE-DejaVu.txt`). System
//! fonts are loaded after them and only serve as fallbacks for characters the
//! subset lacks (CJK, emoji): fontdb prefers the first-loaded face on ties.

use std::sync::{Arc, OnceLock};

use resvg::usvg::fontdb::Database;

/// Family name of the embedded faces.
pub(crate) const FAMILY: &str = "DejaVu Sans";
/// DejaVu Sans Book, subset.
pub(crate) static REGULAR: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");
/// DejaVu Sans Bold, subset.
pub(crate) static BOLD: &[u8] = include_bytes!("../assets/fonts/DejaVuSans-Bold.ttf");

/// The shared font database: embedded faces first, then the system's fonts.
pub(crate) fn database() -> Arc<Database> {
    static DB: OnceLock<Arc<Database>> = OnceLock::new();
    DB.get_or_init(|| {
        let mut db = Database::new();
        db.load_font_data(REGULAR.to_vec());
        db.load_font_data(BOLD.to_vec());
        db.load_system_fonts();
        db.set_sans_serif_family(FAMILY);
        Arc::new(db)
    })
    .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_faces_come_first() {
        let db = database();
        let first: Vec<_> = db.faces().take(2).collect();
        assert_eq!(first.len(), 2);
        for face in first {
            assert!(face.families.iter().any(|(name, _)| name == FAMILY));
        }
    }
}
