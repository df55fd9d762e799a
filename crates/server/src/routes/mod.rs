//! The router: every route, its limits and the layers around it.

pub mod catalog;
pub mod explain;
pub mod history;
mod page;
pub mod profile;
pub mod recommend;
pub mod scene;
mod system;
pub mod users;

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::header::X_CONTENT_TYPE_OPTIONS;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{delete, get, post, put};
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;

use crate::error::{json_errors, panic_response, ApiError};
use crate::limits::timeout;
use crate::metrics::track;
use crate::state::AppState;

/// Every route as `(method, path)`; the OpenAPI document and the metrics follow this list.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/"),
    ("GET", "/static/app.css"),
    ("GET", "/static/app.js"),
    ("GET", "/api/health"),
    ("GET", "/api/metrics"),
    ("GET", "/api/openapi.json"),
    ("POST", "/api/recommend"),
    ("POST", "/api/explain"),
    ("POST", "/api/scene"),
    ("POST", "/api/profile"),
    ("POST", "/api/catalog/import"),
    ("PUT", "/api/users/{id}/history"),
    ("GET", "/api/users/{id}/history"),
    ("DELETE", "/api/users/{id}"),
];

/// Whether `path` is an instance of the route `template` (`{name}` matches one segment).
pub fn route_matches(template: &str, path: &str) -> bool {
    let (mut t, mut p) = (template.split('/'), path.split('/'));
    loop {
        match (t.next(), p.next()) {
            (None, None) => return true,
            (Some(want), Some(got)) => {
                let any = want.starts_with('{') && want.ends_with('}') && !got.is_empty();
                if !(any || want == got) {
                    return false;
                }
            }
            _ => return false,
        }
    }
}

/// The whole application over `state`.
pub fn app(state: AppState) -> Router {
    let limits = state.settings().limits;
    let guide = Router::new()
        .route("/api/recommend", post(recommend::recommend))
        .route("/api/explain", post(explain::explain))
        .route("/api/scene", post(scene::scene))
        .route("/api/profile", post(profile::profile))
        .route(
            "/api/users/{id}/history",
            put(users::put_history).get(users::get_history),
        )
        .route("/api/users/{id}", delete(users::delete_user))
        .route_layer(middleware::from_fn_with_state(
            limits.request_timeout,
            timeout,
        ));
    let import = Router::new()
        .route("/api/catalog/import", post(catalog::import))
        .layer(DefaultBodyLimit::max(limits.max_import_bytes))
        .route_layer(middleware::from_fn_with_state(
            limits.import_timeout,
            timeout,
        ));
    Router::new()
        .route("/", get(page::index))
        .route("/static/app.css", get(page::css))
        .route("/static/app.js", get(page::js))
        .route("/api/health", get(system::health))
        .route("/api/metrics", get(system::metrics))
        .route("/api/openapi.json", get(system::openapi))
        .merge(guide)
        .merge(import)
        .fallback(not_found)
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(middleware::from_fn(json_errors))
        .layer(middleware::from_fn(no_sniff))
        .layer(DefaultBodyLimit::max(limits.max_body_bytes))
        .layer(middleware::from_fn_with_state(state.clone(), track))
        .with_state(state)
}

async fn not_found(request: Request) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        format!(
            "no route for {} {}; the API is described at GET /api/openapi.json",
            request.method(),
            request.uri().path()
        ),
    )
}

/// Middleware: browsers must not guess content types.
async fn no_sniff(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    response
        .headers_mut()
        .insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_one_segment_per_parameter() {
        assert!(route_matches("/api/users/{id}", "/api/users/u-1"));
        assert!(route_matches(
            "/api/users/{id}/history",
            "/api/users/u-1/history"
        ));
        assert!(route_matches("/api/health", "/api/health"));
        assert!(!route_matches("/api/users/{id}", "/api/users/"));
        assert!(!route_matches("/api/users/{id}", "/api/users/a/b"));
        assert!(!route_matches("/api/users/{id}/history", "/api/users/a"));
        assert!(!route_matches("/api/health", "/api/healthz"));
    }
}
