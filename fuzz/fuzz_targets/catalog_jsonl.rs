//! JSON Lines catalog import: any bytes give a parsed catalog or an error, never a panic.
#![no_main]

use daogou_guide::catalog::{import_jsonl, ColumnMapping};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(parsed) = import_jsonl(data, &ColumnMapping::default()) {
        for p in &parsed.products {
            assert!(!p.id.is_empty() && !p.title.is_empty());
        }
    }
});
