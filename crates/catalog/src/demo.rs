//! The built-in demo catalog: about 300 invented products written for this project.

use crate::import::{import_jsonl, ParsedCatalog};
use crate::mapping::ColumnMapping;

/// The demo catalog as JSON Lines (`id, title, description, brand, category, price,
/// attributes`; prices are strings such as `"$24.99"` or `"¥399"`).
pub const DEMO_CATALOG_JSONL: &str = include_str!("../data/demo_catalog.jsonl");

/// Parses [`DEMO_CATALOG_JSONL`] with the ordinary JSON Lines importer (inferred mapping).
pub fn demo_catalog() -> ParsedCatalog {
    // JSON Lines import only fails on I/O errors, which a byte slice cannot produce.
    import_jsonl(DEMO_CATALOG_JSONL.as_bytes(), &ColumnMapping::default()).unwrap_or_default()
}
