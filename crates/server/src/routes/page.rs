//! The web page: HTML, CSS and JavaScript embedded in the binary (no CDN, no build step).

use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use axum::response::IntoResponse;

const INDEX_HTML: &str = include_str!("../../static/index.html");
const APP_CSS: &str = include_str!("../../static/app.css");
const APP_JS: &str = include_str!("../../static/app.js");

/// Only this origin's scripts, styles and API; nothing inline, nothing remote.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (CONTENT_TYPE, content_type),
            (CACHE_CONTROL, "no-cache"),
            (CONTENT_SECURITY_POLICY, CSP),
        ],
        body,
    )
}

/// `GET /`.
pub async fn index() -> impl IntoResponse {
    asset("text/html; charset=utf-8", INDEX_HTML)
}

/// `GET /static/app.css`.
pub async fn css() -> impl IntoResponse {
    asset("text/css; charset=utf-8", APP_CSS)
}

/// `GET /static/app.js`.
pub async fn js() -> impl IntoResponse {
    asset("text/javascript; charset=utf-8", APP_JS)
}
