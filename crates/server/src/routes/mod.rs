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

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::header::X_CONTENT_TYPE_OPTIONS;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::{Extension, Router};
use tower_http::catch_panic::CatchPanicLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{json_errors, panic_response, ApiError};
use crate::limits::{timeout, Limits};
use crate::openapi::{self, ApiDoc};
use crate::state::AppState;

/// Every route, each registered once: the router, the OpenAPI document and the metrics
/// labels all come from this.
pub(crate) fn registered(limits: &Limits) -> OpenApiRouter<AppState> {
    let guide = OpenApiRouter::new()
        .routes(routes!(recommend::recommend))
        .routes(routes!(explain::explain))
        .routes(routes!(scene::scene))
        .routes(routes!(profile::profile))
        .routes(routes!(users::put_history, users::get_history))
        .routes(routes!(users::delete_user))
        .route_layer(middleware::from_fn_with_state(
            limits.request_timeout,
            timeout,
        ));
    let import = OpenApiRouter::new()
        .routes(routes!(catalog::import))
        .layer(DefaultBodyLimit::max(limits.max_import_bytes))
        .route_layer(middleware::from_fn_with_state(
            limits.import_timeout,
            timeout,
        ));
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(page::index))
        .routes(routes!(page::css))
        .routes(routes!(page::js))
        .routes(routes!(page::messages))
        .routes(routes!(system::health))
        .routes(routes!(system::metrics))
        .routes(routes!(system::openapi))
        .merge(guide)
        .merge(import)
}

/// The whole application over `state`.
pub fn app(state: AppState) -> Router {
    let limits = state.settings().limits;
    let (router, generated) = registered(&limits).split_for_parts();
    let operations = operations(&generated);
    state.metrics().register(operations.clone());
    let document = Arc::new(openapi::document(&generated, &limits));
    router
        .fallback(not_found)
        .layer(Extension(document))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(middleware::from_fn_with_state(
            Arc::<[String]>::from(operations),
            json_errors,
        ))
        .layer(middleware::from_fn(no_sniff))
        .layer(DefaultBodyLimit::max(limits.max_body_bytes))
        .layer(middleware::from_fn_with_state(state.clone(), track))
        .with_state(state)
}

/// Every operation of the document as `METHOD /path`, in document order.
pub fn operations(doc: &utoipa::openapi::OpenApi) -> Vec<String> {
    doc.paths
        .paths
        .iter()
        .flat_map(|(path, item)| {
            [
                ("GET", &item.get),
                ("PUT", &item.put),
                ("POST", &item.post),
                ("DELETE", &item.delete),
                ("PATCH", &item.patch),
            ]
            .into_iter()
            .filter(|(_, operation)| operation.is_some())
            .map(move |(method, _)| format!("{method} {path}"))
        })
        .collect()
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

/// Middleware: times every request and records it under its route.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let endpoint = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| format!("{} {}", request.method(), path.as_str()));
    let started = Instant::now();
    let response = next.run(request).await;
    state
        .metrics()
        .record(endpoint.as_deref(), response.status(), started.elapsed());
    response
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
    use serde_json::Value;

    use super::catalog::{CSV_TYPE, JSONL_TYPES};
    use super::*;
    use crate::openapi::{document, rules};
    use daogou_catalog::json::NOT_BLANK_NOR_CONTROL;

    #[test]
    fn every_rule_of_the_served_document_lands_in_the_generated_one() {
        let (_, generated) = registered(&Limits::default()).split_for_parts();
        let plain = serde_json::to_value(&generated).expect("serialises");
        let limits = Limits {
            max_text_chars: 77,
            ..Limits::default()
        };
        let rules = rules(&plain, &limits);
        assert!(rules.len() > 10, "{rules:?}");
        for (pointer, _) in &rules {
            assert!(
                plain.pointer(pointer).is_some(),
                "{pointer} is not in the document"
            );
        }
        let doc = document(&generated, &limits);
        let request = &doc["components"]["schemas"]["RecommendBody"]["properties"]["request"];
        assert_eq!(request["maxLength"], 77);
        let user_ids = [
            "/paths/~1api~1users~1{id}~1history/put/parameters/0/schema",
            "/paths/~1api~1users~1{id}~1history/get/parameters/0/schema",
            "/paths/~1api~1users~1{id}/delete/parameters/0/schema",
            "/components/schemas/RecommendBody/properties/user_id",
        ];
        for pointer in user_ids {
            let id = doc.pointer(pointer).expect(pointer);
            assert_eq!(id["maxLength"], 128, "{pointer}");
            assert_eq!(id["pattern"], NOT_BLANK_NOR_CONTROL, "{pointer}");
        }
        let content = doc
            .pointer("/paths/~1api~1catalog~1import/post/requestBody/content")
            .and_then(Value::as_object)
            .expect("import body");
        let mut documented: Vec<&str> = content.keys().map(String::as_str).collect();
        let mut served: Vec<&str> = JSONL_TYPES.iter().chain([&CSV_TYPE]).copied().collect();
        documented.sort_unstable();
        served.sort_unstable();
        assert_eq!(
            documented, served,
            "the import content types the server reads"
        );
    }
}
