//! Price parsing: any text gives a price, none, or an error; prices are finite and not
//! negative.
#![no_main]

use daogou_guide::catalog::parse_price;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(Some(price)) = parse_price(&String::from_utf8_lossy(data)) {
        assert!(price.amount.is_finite() && price.amount >= 0.0, "{price:?}");
        assert!(price.to_usd().is_finite());
    }
});
