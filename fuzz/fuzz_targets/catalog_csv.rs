//! CSV catalog import: any bytes give a parsed catalog or an error, never a panic; every
//! imported product has a non-empty id and title.
#![no_main]

use daogou_guide::catalog::{import_csv, ColumnMapping};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(parsed) = import_csv(data, &ColumnMapping::default()) {
        for p in &parsed.products {
            assert!(!p.id.is_empty() && !p.title.is_empty());
        }
    }
});
