//! The built-in demo catalog: about 540 invented products written for this project, one
//! catalog for both languages: about 300 English listings (a few of them Chinese) and 240
//! Chinese listings across 服饰, 数码, 家居, 母婴, 美妆, 食品, 户外 and 礼品.

use crate::import::{import_jsonl, ParsedCatalog};
use crate::mapping::ColumnMapping;

/// The English half of the demo catalog as JSON Lines (`id, title, description, brand,
/// category, price, attributes`; prices are strings such as `"$24.99"` or `"¥399"`).
pub const DEMO_CATALOG_JSONL: &str = include_str!("../data/demo_catalog.jsonl");

/// The Chinese half of the demo catalog (ids `zh-…`), in the same format; categories use
/// the same English names as the English half.
pub const DEMO_CATALOG_ZH_JSONL: &str = include_str!("../data/demo_catalog_zh.jsonl");

/// Parses both halves with the ordinary JSON Lines importer (inferred mapping), the
/// English listings first.
pub fn demo_catalog() -> ParsedCatalog {
    // JSON Lines import only fails on I/O errors, which a byte slice cannot produce.
    let parse =
        |text: &str| import_jsonl(text.as_bytes(), &ColumnMapping::default()).unwrap_or_default();
    let mut catalog = parse(DEMO_CATALOG_JSONL);
    let chinese = parse(DEMO_CATALOG_ZH_JSONL);
    catalog.products.extend(chinese.products);
    catalog.skipped.extend(chinese.skipped);
    catalog.warnings.extend(chinese.warnings);
    catalog
}
