//! The OpenAPI 3.1 document served at `GET /api/openapi.json`. utoipa generates it from the
//! handlers' `#[utoipa::path]` annotations and the types' schemas, as the router registers
//! them ([`crate::routes::app`]); [`document`] writes the running server's limits into it.

use std::collections::BTreeMap;

use daogou_catalog::json::{NOT_BLANK, NOT_BLANK_NOR_CONTROL};
use serde_json::{json, Value};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr};
use utoipa::{IntoResponses, Modify, OpenApi, ToSchema};

use crate::error::ErrorBody;
use crate::histories::MAX_USER_ID_CHARS;
use crate::limits::Limits;

/// The document's fixed parts: info, tags and security schemes.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "daogou",
        description = "An explainable AI shopping guide: recommendations with word attributions \
            (SHAP, LIME, Integrated Gradients, attention, occlusion), scene recognition, shopper \
            profiles. Every error is a JSON object {\"error\": \"...\"}. Until the model has \
            loaded, the guide endpoints answer 503 with {\"status\": \"loading\"}. Shopper \
            histories are stored only when the server runs with --store-histories; reading or \
            writing them needs the API key.",
        license(name = "MIT OR Apache-2.0"),
    ),
    tags(
        (name = "guide", description = "Recommendations and explanations"),
        (name = "catalog", description = "Catalog writes (API key)"),
        (name = "users", description = "Stored shopper histories: personal data, only with --store-histories and the API key"),
        (name = "system", description = "Health, metrics, this document"),
        (name = "page", description = "The web page"),
    ),
    components(schemas(ErrorBody)),
    modifiers(&KeySchemes),
)]
pub struct ApiDoc;

/// `Authorization: Bearer KEY` or `X-Api-Key: KEY`.
struct KeySchemes;

impl Modify for KeySchemes {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("Authorization: Bearer KEY"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new(
                crate::auth::API_KEY_HEADER,
            ))),
        );
    }
}

/// Error answers as `(status, description)`, each with an [`ErrorBody`].
fn errors(list: &[(u16, &str)]) -> BTreeMap<String, RefOr<Response>> {
    list.iter()
        .map(|&(status, description)| {
            let content = ContentBuilder::new()
                .schema(Some(Ref::from_schema_name(ErrorBody::name())))
                .build();
            let response = ResponseBuilder::new()
                .description(description)
                .content("application/json", content)
                .build();
            (status.to_string(), RefOr::T(response))
        })
        .collect()
}

/// What a request with a JSON body can be refused with.
pub struct BodyErrors;

impl IntoResponses for BodyErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        errors(&[
            (400, "Malformed JSON or query parameters"),
            (413, "The body is over the server's limit"),
            (415, "The body is not in a supported content type"),
            (
                422,
                "Wrong types, unknown fields, values over a limit, or a request the guide refuses",
            ),
        ])
    }
}

/// What a request that runs on the guide can fail with.
pub struct JobErrors;

impl IntoResponses for JobErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        errors(&[
            (
                429,
                "Every job slot stayed taken; retry after the Retry-After seconds",
            ),
            (500, "An internal error"),
            (
                503,
                "The model is loading (status loading, Retry-After), failed to load (status \
                 failed) or the request took longer than the server's limit (status timeout)",
            ),
        ])
    }
}

/// What a request that needs the API key can be refused with.
pub struct KeyErrors;

impl IntoResponses for KeyErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        errors(&[
            (401, "No API key was sent"),
            (
                403,
                "The API key is wrong, or none is configured on the server",
            ),
        ])
    }
}

/// What a request on stored histories can fail with.
pub struct StoreErrors;

impl IntoResponses for StoreErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        errors(&[
            (
                404,
                "The server stores no histories (start it with --store-histories)",
            ),
            (500, "An internal error"),
            (503, "The history store is read-only"),
            (
                507,
                "The data directory's disk is full (or a file size limit was reached); nothing \
                 was written",
            ),
        ])
    }
}

/// The generated document with the rules the server checks beyond types written in
/// ([`rules`]).
pub fn document(generated: &utoipa::openapi::OpenApi, limits: &Limits) -> Value {
    let mut doc = serde_json::to_value(generated).unwrap_or_default();
    for (pointer, rule) in rules(&doc, limits) {
        if let (Some(Value::Object(target)), Value::Object(rule)) =
            (doc.pointer_mut(&pointer), rule)
        {
            target.extend(rule);
        }
    }
    doc
}

/// `(JSON pointer, keywords)` of the rules the server checks beyond types: the limits of a
/// server running with `limits` (text lengths, `k`, history lengths), texts that must not
/// be blank, and `history` and `user_id` not both.
pub(crate) fn rules(doc: &Value, limits: &Limits) -> Vec<(String, Value)> {
    let text = json!({ "minLength": 1, "maxLength": limits.max_text_chars, "pattern": NOT_BLANK });
    let history = json!({ "maxItems": limits.max_history_events });
    let not_both = json!({ "not": {
        "required": ["history", "user_id"],
        "properties": { "history": { "type": "array" }, "user_id": { "type": "string" } }
    } });
    let user_id = json!({
        "minLength": 1, "maxLength": MAX_USER_ID_CHARS, "pattern": NOT_BLANK_NOR_CONTROL
    });
    let schema = |path: &str| format!("/components/schemas/{path}");
    let mut rules = vec![
        (schema("RecommendBody/properties/request"), text.clone()),
        (schema("ExplainBody/properties/text"), text.clone()),
        (schema("ExplainBody/properties/pair"), text.clone()),
        (schema("SceneBody/properties/request"), text.clone()),
        (
            schema("HistoryEvent/oneOf/0/properties/query"),
            text.clone(),
        ),
        (schema("HistoryEvent/oneOf/1/properties/query"), text),
        (schema("RecommendBody/properties/history"), history.clone()),
        (schema("HistoryBody/properties/history"), history),
        (
            schema("RecommendBody/properties/k"),
            json!({ "maximum": limits.max_k }),
        ),
        (schema("RecommendBody"), not_both),
        (schema("RecommendBody/properties/user_id"), user_id.clone()),
    ];
    rules.extend(
        user_id_parameters(doc)
            .into_iter()
            .map(|pointer| (pointer, user_id.clone())),
    );
    let import = "/paths/~1api~1catalog~1import/post/requestBody/content";
    let catalog = json!({ "minLength": 1, "pattern": NOT_BLANK });
    let content_types = doc.pointer(import).and_then(Value::as_object);
    rules.extend(content_types.into_iter().flat_map(|content| {
        content.keys().map(|t| {
            let t = t.replace('/', "~1");
            (format!("{import}/{t}/schema"), catalog.clone())
        })
    }));
    rules
}

/// Pointers to the schema of every `{id}` path parameter (the user endpoints').
fn user_id_parameters(doc: &Value) -> Vec<String> {
    let Some(paths) = doc["paths"].as_object() else {
        return Vec::new();
    };
    let mut pointers = Vec::new();
    for (path, item) in paths {
        let path = path.replace('~', "~0").replace('/', "~1");
        for (method, operation) in item.as_object().into_iter().flatten() {
            let parameters = operation["parameters"].as_array().into_iter().flatten();
            for (i, parameter) in parameters.enumerate() {
                if parameter["in"] == "path" && parameter["name"] == "id" {
                    pointers.push(format!("/paths/{path}/{method}/parameters/{i}/schema"));
                }
            }
        }
    }
    pointers
}
