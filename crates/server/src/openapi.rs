//! The OpenAPI 3.0 document served at `GET /api/openapi.json`, written by hand; its limits
//! are the running server's.

use serde_json::{json, Value};

use crate::limits::Limits;
use crate::routes::catalog::{CSV_TYPE, JSONL_TYPES};

/// The document for a server with `limits`.
pub fn document(limits: &Limits) -> Value {
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "daogou",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "An explainable AI shopping guide: recommendations with word attributions \
                (SHAP, LIME, Integrated Gradients, attention, occlusion), scene recognition, shopper \
                profiles. Every error is a JSON object {\"error\": \"...\"}. Until the model has \
                loaded, the guide endpoints answer 503 with {\"status\": \"loading\"}. Shopper \
                histories are stored only when the server runs with --store-histories; reading or \
                writing them needs the API key.",
            "license": { "name": "MIT OR Apache-2.0" }
        },
        "servers": [{ "url": "/" }],
        "tags": [
            { "name": "guide", "description": "Recommendations and explanations" },
            { "name": "catalog", "description": "Catalog writes (API key)" },
            { "name": "users", "description": "Stored shopper histories: personal data, only with --store-histories and the API key" },
            { "name": "system", "description": "Health, metrics, this document" },
            { "name": "page", "description": "The web page" }
        ],
        "paths": paths(limits),
        "components": components(limits),
    })
}

fn body(schema: &str) -> Value {
    json!({
        "required": true,
        "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } }
    })
}

fn ok(description: &str, schema: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } }
    })
}

fn error(name: &str) -> Value {
    json!({ "$ref": format!("#/components/responses/{name}") })
}

/// Responses every guide endpoint can give besides 200.
fn guide_errors() -> Value {
    json!({
        "400": error("BadRequest"),
        "413": error("PayloadTooLarge"),
        "415": error("UnsupportedMediaType"),
        "422": error("Unprocessable"),
        "429": error("Busy"),
        "500": error("Internal"),
        "503": error("Unavailable")
    })
}

fn guide_post(summary: &str, description: &str, request: &str, answer: &str) -> Value {
    let mut responses = guide_errors();
    responses["200"] = ok(summary, answer);
    json!({
        "post": {
            "tags": ["guide"],
            "summary": summary,
            "description": description,
            "requestBody": body(request),
            "responses": responses
        }
    })
}

fn recommend() -> Value {
    let mut operation = guide_post(
        "Recommended products, each explained",
        "Ranks the catalog for a request (optionally personalised by a history sent with it, or \
         by the stored history of user_id) and explains every product: score components, word \
         attributions per requested method, matched product words, the sentence for the \
         shopper, the recognised scene, notices and the counterfactual. With user_id the API \
         key is required; a user with no stored history gets unpersonalised products and a \
         notice.",
        "RecommendRequest",
        "Recommendations",
    );
    let responses = &mut operation["post"]["responses"];
    responses["401"] = error("Unauthorized");
    responses["403"] = error("Forbidden");
    responses["409"] = error("Conflict");
    operation
}

/// A `users` operation: API key, the `id` parameter, its answer and errors.
fn users_operation(summary: &str, description: &str, answer: &str, request: Option<&str>) -> Value {
    let mut operation = json!({
        "tags": ["users"],
        "summary": summary,
        "description": description,
        "security": [{ "bearer": [] }, { "apiKey": [] }],
        "parameters": [{
            "name": "id", "in": "path", "required": true,
            "description": "The user id: 1 to 128 bytes, no control characters",
            "schema": { "type": "string", "minLength": 1, "maxLength": 128 }
        }],
        "responses": {
            "200": ok(summary, answer),
            "401": error("Unauthorized"),
            "403": error("Forbidden"),
            "404": error("NotFound"),
            "422": error("Unprocessable"),
            "500": error("Internal"),
            "503": error("Unavailable"),
            "507": error("InsufficientStorage")
        }
    });
    if let Some(request) = request {
        operation["requestBody"] = body(request);
        for (status, name) in [
            ("400", "BadRequest"),
            ("413", "PayloadTooLarge"),
            ("415", "UnsupportedMediaType"),
        ] {
            operation["responses"][status] = error(name);
        }
    }
    operation
}

fn asset(summary: &str, content_type: &str) -> Value {
    json!({
        "get": {
            "tags": ["page"],
            "summary": summary,
            "responses": {
                "200": { "description": summary, "content": { content_type: { "schema": { "type": "string" } } } }
            }
        }
    })
}

fn paths(limits: &Limits) -> Value {
    let catalog_body: serde_json::Map<String, Value> = JSONL_TYPES
        .iter()
        .chain([&CSV_TYPE])
        .map(|t| (t.to_string(), json!({ "schema": { "type": "string" } })))
        .collect();
    let column = |role: &str| {
        json!({
            "name": role, "in": "query", "required": false,
            "description": format!("Column holding the product {role} (default: inferred from the header)."),
            "schema": { "type": "string" }
        })
    };
    let columns: Vec<Value> = ["id", "title", "description", "brand", "category", "price"]
        .into_iter()
        .map(column)
        .collect();
    json!({
        "/": asset("The web page", "text/html"),
        "/static/app.css": asset("The page's style sheet", "text/css"),
        "/static/app.js": asset("The page's script", "text/javascript"),
        "/api/recommend": recommend(),
        "/api/explain": guide_post(
            "Word attributions of the similarity of two texts",
            "Explains cos(embedding(text), embedding(pair)) over the words of text.",
            "ExplainRequest",
            "PairExplanation"
        ),
        "/api/scene": guide_post(
            "The shopping scene of a request",
            "Calibrated zero-shot scene recognition, with word attributions of the winning scene.",
            "SceneRequest",
            "SceneResult"
        ),
        "/api/profile": guide_post(
            "The shopper profile of a history",
            "Preferred categories and brands, price band and the weight of every event.",
            "ProfileRequest",
            "Profile"
        ),
        "/api/catalog/import": {
            "post": {
                "tags": ["catalog"],
                "summary": "Import products",
                "description": format!(
                    "Adds or updates products. The body is the catalog: JSON Lines (one product \
                     object per line) or CSV with a header row, at most {} bytes. Rows that cannot \
                     be read are skipped and listed. The import runs on a fresh guide that replaces \
                     the current one when it is done; one import runs at a time.",
                    limits.max_import_bytes
                ),
                "security": [{ "bearer": [] }, { "apiKey": [] }],
                "parameters": columns,
                "requestBody": { "required": true, "content": catalog_body },
                "responses": {
                    "200": ok("What the import did", "ImportAnswer"),
                    "400": error("BadRequest"),
                    "401": error("Unauthorized"),
                    "403": error("Forbidden"),
                    "409": error("Conflict"),
                    "413": error("PayloadTooLarge"),
                    "415": error("UnsupportedMediaType"),
                    "422": error("Unprocessable"),
                    "500": error("Internal"),
                    "503": error("Unavailable")
                }
            }
        },
        "/api/users/{id}/history": {
            "put": users_operation(
                "Replace a user's stored history",
                "Replaces the history stored for the user with the events sent, checked like a \
                 request's history (an empty list deletes it). Needs --store-histories.",
                "StoredCount",
                Some("HistoryRequest"),
            ),
            "get": users_operation(
                "A user's stored history",
                "The events stored for the user, in the order they were sent; empty when nothing \
                 is stored. Needs --store-histories.",
                "StoredHistory",
                None,
            )
        },
        "/api/users/{id}": {
            "delete": users_operation(
                "Delete everything stored about a user",
                "Deletes the user's stored history (the only data kept about users) and says what \
                 was deleted. Needs --store-histories.",
                "UserDeleted",
                None,
            )
        },
        "/api/health": {
            "get": {
                "tags": ["system"],
                "summary": "Whether the guide is loaded",
                "responses": {
                    "200": ok("Loaded (status ok) or loading (status loading)", "Health"),
                    "503": ok("Loading failed (status failed)", "Health")
                }
            }
        },
        "/api/metrics": {
            "get": {
                "tags": ["system"],
                "summary": "Request counts, errors and latency percentiles per endpoint",
                "responses": { "200": ok("The metrics", "Metrics") }
            }
        },
        "/api/openapi.json": {
            "get": {
                "tags": ["system"],
                "summary": "This document",
                "responses": {
                    "200": { "description": "OpenAPI 3 document", "content": { "application/json": { "schema": { "type": "object" } } } }
                }
            }
        }
    })
}

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } }
    })
}

fn components(limits: &Limits) -> Value {
    json!({
        "securitySchemes": {
            "bearer": { "type": "http", "scheme": "bearer", "description": "Authorization: Bearer KEY" },
            "apiKey": { "type": "apiKey", "in": "header", "name": "X-Api-Key" }
        },
        "responses": {
            "BadRequest": error_response("Malformed JSON or query parameters"),
            "Unauthorized": error_response("No API key was sent"),
            "Forbidden": error_response("The API key is wrong, or none is configured on the server"),
            "Conflict": error_response(
                "Another import is running, or user_id was sent to a server that stores no histories"),
            "NotFound": error_response(
                "The server stores no histories (start it with --store-histories), or no such route"),
            "InsufficientStorage": error_response(
                "The data directory's disk is full (or a file size limit was reached); nothing was written"),
            "PayloadTooLarge": error_response(&format!(
                "The body is over the limit ({} bytes for JSON requests)", limits.max_body_bytes)),
            "UnsupportedMediaType": error_response("The body is not in a supported content type"),
            "Unprocessable": error_response(
                "Wrong types, unknown fields, values over a limit, or a request the guide refuses"),
            "Busy": error_response(&format!(
                "Every job slot ({}) stayed taken for {} s; retry after the Retry-After seconds",
                limits.max_concurrent, limits.queue_wait.as_secs_f64())),
            "Internal": error_response("An internal error"),
            "Unavailable": error_response(&format!(
                "The model is loading (status loading, Retry-After), failed to load (status failed) \
                 or the request took longer than {} s (status timeout)",
                limits.request_timeout.as_secs_f64()))
        },
        "schemas": schemas(limits)
    })
}

fn schemas(limits: &Limits) -> Value {
    let text = |description: &str| json!({ "type": "string", "minLength": 1, "maxLength": limits.max_text_chars, "description": description });
    let number = json!({ "type": "number" });
    let string = json!({ "type": "string" });
    let integer = json!({ "type": "integer", "minimum": 0 });
    let nullable_string = json!({ "type": "string", "nullable": true });
    let reference = |name: &str| json!({ "$ref": format!("#/components/schemas/{name}") });
    let array = |items: Value| json!({ "type": "array", "items": items });
    let history = json!({
        "type": "array", "maxItems": limits.max_history_events, "items": reference("HistoryEvent"),
        "description": "The shopper's events, as in history files"
    });
    let mut all = json!({
        "Error": {
            "type": "object", "required": ["error"],
            "properties": {
                "error": { "type": "string", "description": "What went wrong, for people" },
                "status": { "type": "string", "enum": ["loading", "failed", "busy", "timeout"] }
            }
        },
        "Method": {
            "type": "string", "enum": ["shap", "lime", "occlusion", "ig", "attention"],
            "description": "shap: Shapley values (exact up to 12 words, Kernel SHAP beyond); lime; \
                occlusion: leave-one-out; ig: Integrated Gradients of the semantic part; attention: \
                attention rollout (also returns the raw maps)"
        },
        "HistoryEvent": {
            "type": "object", "required": ["timestamp", "kind"],
            "properties": {
                "timestamp": {
                    "oneOf": [{ "type": "integer" }, { "type": "string" }],
                    "description": "Seconds since 1970 UTC, or an ISO date (2026-11-01 or 2026-11-01T10:00:00Z)"
                },
                "kind": { "type": "string", "enum": ["viewed", "carted", "bought", "searched", "reviewed"] },
                "product_id": { "type": "string", "description": "For product events" },
                "query": { "type": "string", "description": "For searches" },
                "rating": { "type": "number", "minimum": 1, "maximum": 5, "description": "For reviews" }
            }
        },
        "RecommendRequest": {
            "type": "object", "required": ["request"], "additionalProperties": false,
            "properties": {
                "request": text("What the shopper is looking for, e.g. \"waterproof hiking jacket under 200 dollars\""),
                "k": { "type": "integer", "minimum": 1, "maximum": limits.max_k, "default": 10 },
                "explain": { "type": "array", "items": reference("Method"), "default": ["shap"],
                             "description": "Methods explaining the request words; [] for none" },
                "seed": { "type": "integer", "minimum": 0, "default": 0 },
                "history": history,
                "user_id": { "type": "string", "minLength": 1, "maxLength": 128,
                             "description": "Personalise with this user's stored history (API key, --store-histories); not with history" }
            }
        },
        "ExplainRequest": {
            "type": "object", "required": ["text", "pair"], "additionalProperties": false,
            "properties": {
                "text": text("The text whose words are explained"),
                "pair": text("The text it is compared with"),
                "methods": { "type": "array", "items": reference("Method"), "minItems": 1,
                             "description": "Default: all five" },
                "seed": { "type": "integer", "minimum": 0, "default": 0 }
            }
        },
        "SceneRequest": {
            "type": "object", "required": ["request"], "additionalProperties": false,
            "properties": {
                "request": text("The request"),
                "explain": { "type": "boolean", "default": true },
                "seed": { "type": "integer", "minimum": 0, "default": 0 }
            }
        },
        "ProfileRequest": {
            "type": "object", "required": ["history"], "additionalProperties": false,
            "properties": { "history": history.clone() }
        },
        "HistoryRequest": {
            "type": "object", "required": ["history"], "additionalProperties": false,
            "properties": { "history": history }
        },
    });
    let answers = json!({
        "Span": {
            "type": "object", "properties": { "start": integer, "end": integer },
            "description": "UTF-8 byte offsets, end exclusive"
        },
        "Price": {
            "type": "object",
            "properties": { "amount": number, "currency": { "type": "string", "description": "ISO 4217 code" } }
        },
        "Product": {
            "type": "object", "required": ["id", "title"],
            "properties": {
                "id": string, "title": string, "description": string,
                "brand": nullable_string, "category": nullable_string,
                "price": { "allOf": [reference("Price")], "nullable": true },
                "attributes": { "type": "object", "additionalProperties": { "type": "string" } }
            }
        },
        "Explanation": {
            "type": "object",
            "description": "Attributions of one output to the features (words, or history events)",
            "properties": {
                "method": { "type": "string", "description": "exact_shapley, kernel_shap, permutation_shap, lime, occlusion, integrated_gradients, attention, ..." },
                "target": integer,
                "target_name": string,
                "feature_names": array(string.clone()),
                "values": array(number.clone()),
                "std_errors": array(number.clone()),
                "base_value": { "type": "number", "nullable": true },
                "full_value": { "type": "number", "nullable": true },
                "params": { "type": "object" },
                "seed": integer,
                "model_evals": integer,
                "requested_evals": integer,
                "wall_time_ms": number,
                "fallback": { "type": "string", "description": format!(
                    "Present when the evaluation budget ({} model evaluations) did not allow the \
                     requested method and a cheaper one was used instead: says which and why",
                    limits.max_evals) },
                "local_model": { "type": "object" },
                "completeness_delta": number,
                "notes": array(string.clone())
            }
        },
        "ParsedRequest": {
            "type": "object",
            "properties": {
                "text": string,
                "constraints": array(json!({
                    "type": "object",
                    "properties": { "kind": { "type": "object", "description": "MaxPrice, MinPrice, PriceRange, Cheap, Brand or Category" }, "span": reference("Span") }
                })),
                "free_text": string
            }
        },
        "RequestWord": {
            "type": "object",
            "properties": {
                "text": string, "span": reference("Span"),
                "feature": { "type": "integer", "nullable": true, "description": "Index into the explanations' values; null for filter words" },
                "constraint": { "type": "string", "nullable": true, "description": "The filter the word belongs to, e.g. price ≤ $200.00" }
            }
        },
        "Component": {
            "type": "object",
            "properties": {
                "name": { "type": "string", "enum": ["semantic", "keyword", "profile", "price"] },
                "value": number, "weight": number, "contribution": number
            }
        },
        "ProductMatch": {
            "type": "object",
            "properties": { "field": { "type": "string", "enum": ["title", "description"] }, "span": reference("Span"), "text": string }
        },
        "Narrative": {
            "type": "object",
            "properties": {
                "sentence": string,
                "claims": array(json!({
                    "type": "object",
                    "properties": { "text": string, "evidence": array(json!({ "type": "object", "properties": { "kind": { "type": "string", "description": "request_word, product_match, filter, review, history or overall_match" } } })) }
                }))
            }
        },
        "RecommendedItem": {
            "type": "object",
            "properties": {
                "rank": integer, "product": reference("Product"), "score": number,
                "components": array(reference("Component")),
                "explanations": array(reference("Explanation")),
                "matches": array(reference("ProductMatch")),
                "profile_explanation": reference("Explanation"),
                "reviews": reference("ReviewEvidence"),
                "narrative": reference("Narrative")
            }
        },
        "ReviewEvidence": {
            "type": "object",
            "description": "What the product's reviews say (present only when a review summary \
                is attached to the product, e.g. with `daogou reviews FILE --attach ID`): at most \
                3 aspects, those the request mentions first (a request word equal to a word of the \
                aspect, or its singular or plural)",
            "properties": {
                "model_id": { "type": "string", "description": "The encoder that embedded the reviews" },
                "reviews": { "type": "integer", "description": "Reviews summarised" },
                "aspects": array(reference("AspectEvidence"))
            }
        },
        "AspectEvidence": {
            "type": "object",
            "properties": {
                "asked": { "type": "boolean", "description": "Whether the request mentions this aspect; asked aspects are also named in the narrative" },
                "aspect": string,
                "reviews": { "type": "integer", "description": "Reviews mentioning the aspect" },
                "positive": { "type": "integer", "description": "Reviews positive about it" },
                "negative": { "type": "integer", "description": "Reviews negative about it" },
                "summary": { "type": "string", "description": "e.g. battery life: positive in 12 of 15 reviews" },
                "evidence": array(reference("SentenceEvidence"))
            }
        },
        "SentenceEvidence": {
            "type": "object",
            "description": "A review sentence supporting the majority opinion, at most one per aspect",
            "properties": {
                "text": string,
                "polarity": { "type": "string", "enum": ["positive", "negative"] },
                "confidence": { "type": "number", "description": "The sentiment head's probability of that polarity" },
                "support": { "type": "number", "description": "Occlusion attribution of the words around the mention to the majority polarity" },
                "words": { "type": "array", "description": "[word, attribution] pairs", "items": { "type": "array", "items": {} } }
            }
        },
        "Counterfactual": {
            "type": "object",
            "properties": { "removed": array(string.clone()), "new_top": string, "new_top_title": string }
        },
        "AttentionView": {
            "type": "object",
            "properties": {
                "tokens": array(string.clone()),
                "maps": { "type": "array", "description": "[layer][head][query][key] attention probabilities",
                          "items": array(array(array(number.clone()))) },
                "explanation": reference("Explanation")
            }
        },
        "ScenePrediction": {
            "type": "object",
            "properties": { "id": string, "name": string, "similarity": number, "probability": number }
        },
        "SceneResult": {
            "type": "object",
            "properties": {
                "scene": { "allOf": [reference("ScenePrediction")], "nullable": true },
                "none_probability": number,
                "ranking": array(reference("ScenePrediction")),
                "explanation": reference("Explanation")
            }
        },
    });
    let results = json!({
        "Recommendations": {
            "type": "object",
            "properties": {
                "request": string,
                "parsed": reference("ParsedRequest"),
                "words": array(reference("RequestWord")),
                "scene": reference("SceneResult"),
                "items": array(reference("RecommendedItem")),
                "notices": array(string.clone()),
                "relaxed": { "type": "boolean" },
                "counterfactual": reference("Counterfactual"),
                "attention": reference("AttentionView"),
                "stats": {
                    "type": "object",
                    "properties": { "candidates": integer, "model_evals": integer, "retrieval_ms": number, "explain_ms": number }
                }
            }
        },
        "PairExplanation": {
            "type": "object",
            "properties": {
                "text": string, "pair": string, "similarity": number,
                "explanations": array(reference("Explanation")),
                "tokens": array(string.clone()),
                "attentions": { "type": "array", "items": array(array(array(number.clone()))) }
            }
        },
        "Profile": {
            "type": "object",
            "properties": {
                "items": array(json!({
                    "type": "object",
                    "properties": { "event": integer, "label": string, "weight": number, "product_id": nullable_string }
                })),
                "categories": array(reference("Share")),
                "brands": array(reference("Share")),
                "price_band": {
                    "type": "object", "nullable": true,
                    "properties": { "low": number, "median": number, "high": number }
                },
                "unknown_products": array(string.clone())
            }
        },
        "Share": { "type": "object", "properties": { "name": string, "share": number } },
        "RowIssue": { "type": "object", "properties": { "line": integer, "reason": string } },
        "ImportAnswer": {
            "type": "object",
            "properties": {
                "imported": integer, "updated": integer, "unchanged": integer,
                "skipped": array(reference("RowIssue")),
                "warnings": array(reference("RowIssue")),
                "products": { "type": "integer", "description": "Products in the catalog afterwards" }
            }
        },
        "StoredCount": {
            "type": "object",
            "properties": { "events": { "type": "integer", "description": "Events now stored for the user" } }
        },
        "StoredHistory": {
            "type": "object",
            "properties": { "history": array(reference("HistoryEvent")) }
        },
        "UserDeleted": {
            "type": "object",
            "properties": {
                "deleted": {
                    "type": "object",
                    "properties": { "history_events": { "type": "integer", "description": "Stored events deleted" } }
                }
            }
        },
        "Health": {
            "type": "object", "required": ["status"],
            "properties": {
                "status": { "type": "string", "enum": ["ok", "loading", "failed"] },
                "products": { "type": "integer", "nullable": true },
                "scenes": integer,
                "model": nullable_string,
                "error": string,
                "version": string,
                "uptime_s": number,
                "history_storage": { "type": "boolean", "description": "Whether the server stores histories (--store-histories)" }
            }
        },
        "Metrics": {
            "type": "object",
            "properties": {
                "uptime_s": number,
                "jobs": { "type": "object", "properties": { "running": integer, "limit": integer } },
                "endpoints": array(json!({
                    "type": "object",
                    "properties": {
                        "endpoint": { "type": "string", "description": "METHOD /path, or other" },
                        "requests": integer, "errors": integer, "client_errors": integer, "server_errors": integer,
                        "latency_ms": {
                            "type": "object", "nullable": true,
                            "properties": { "p50": number, "p95": number, "max": number, "window": integer }
                        }
                    }
                }))
            }
        }
    });
    for group in [answers, results] {
        if let (Some(all), Value::Object(group)) = (all.as_object_mut(), group) {
            all.extend(group);
        }
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routes::ROUTES;

    /// Every `$ref` in `value`.
    fn refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    match (k.as_str(), v) {
                        ("$ref", Value::String(r)) => out.push(r),
                        _ => refs(v, out),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }

    #[test]
    fn lists_every_route_and_every_reference_resolves() {
        let doc = document(&Limits::default());
        let paths = doc["paths"].as_object().expect("paths");
        for (method, path) in ROUTES {
            assert!(
                paths
                    .get(*path)
                    .and_then(|p| p.get(method.to_lowercase()))
                    .is_some(),
                "{method} {path} is missing"
            );
        }
        let operations: usize = paths
            .values()
            .map(|p| p.as_object().map_or(0, |o| o.len()))
            .sum();
        assert_eq!(
            operations,
            ROUTES.len(),
            "the document has routes the server lacks"
        );
        let mut found = Vec::new();
        refs(&doc, &mut found);
        assert!(!found.is_empty());
        for r in found {
            let pointer = r.strip_prefix('#').expect("local reference");
            assert!(doc.pointer(pointer).is_some(), "{r} does not resolve");
        }
    }
}
