//! HTTP request bodies: any bytes parse into each body type (recommend, explain, scene,
//! profile and stored history) or are refused with 400 / 422, never a panic; parsed bodies
//! validate into jobs or are refused with 422, under the default limits and tight ones.
//! The first line, as text, is also checked as a user id.
#![no_main]

use std::sync::OnceLock;

use daogou_server::error::ApiError;
use daogou_server::histories::UserId;
use daogou_server::routes::explain::ExplainBody;
use daogou_server::routes::profile::HistoryBody;
use daogou_server::routes::recommend::RecommendBody;
use daogou_server::routes::scene::SceneBody;
use daogou_server::{parse_body, Limits};
use libfuzzer_sys::fuzz_target;
use serde::de::DeserializeOwned;

fn limits() -> &'static [Limits; 2] {
    static LIMITS: OnceLock<[Limits; 2]> = OnceLock::new();
    LIMITS.get_or_init(|| {
        let default = Limits::default();
        let tight = Limits {
            max_k: 3,
            max_text_chars: 12,
            max_history_events: 2,
            max_evals: 1,
            ..default
        };
        [default, tight]
    })
}

/// Parses `data` as `T` and validates it with every set of limits.
fn check<T: DeserializeOwned, J>(data: &[u8], validate: impl Fn(T, &Limits) -> Result<J, ApiError>) {
    for limits in limits() {
        match parse_body::<T>(data) {
            Ok(body) => {
                if let Err(e) = validate(body, limits) {
                    assert_eq!(e.status().as_u16(), 422, "{e:?}");
                }
            }
            Err(e) => assert!(matches!(e.status().as_u16(), 400 | 422), "{e:?}"),
        }
    }
}

fuzz_target!(|data: &[u8]| {
    check(data, RecommendBody::validate);
    check(data, ExplainBody::validate);
    check(data, SceneBody::validate);
    check(data, HistoryBody::validate);
    let first = data.split(|&b| b == b'\n').next().unwrap_or_default();
    if let Ok(id) = std::str::from_utf8(first) {
        if let Err(e) = UserId::new(id.to_string()) {
            assert_eq!(e.status().as_u16(), 422, "{e:?}");
        }
    }
});
