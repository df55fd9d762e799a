//! Request parsing against the demo catalog's vocabulary: any text parses, and every
//! constraint's span lies on character boundaries inside the request.
#![no_main]

use std::sync::OnceLock;

use daogou_guide::catalog::demo_catalog;
use daogou_guide::request::{parse_request, RequestVocabulary};
use libfuzzer_sys::fuzz_target;

fn vocabulary() -> &'static RequestVocabulary {
    static VOCAB: OnceLock<RequestVocabulary> = OnceLock::new();
    VOCAB.get_or_init(|| RequestVocabulary::from_products(&demo_catalog().products))
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let parsed = parse_request(&text, vocabulary());
    for c in &parsed.constraints {
        assert!(c.span.slice(&parsed.text).is_some(), "span {:?} outside {:?}", c.span, parsed.text);
        let _ = c.describe();
    }
    let _ = parsed.price_bounds_usd();
});
