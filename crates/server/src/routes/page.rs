//! The web page: HTML, CSS and JavaScript embedded in the binary (no CDN, no build step).

use std::collections::BTreeMap;

use axum::extract::rejection::QueryRejection;
use axum::extract::Query;
use axum::http::header::{ACCEPT_LANGUAGE, CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use daogou_guide::Language;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ErrorBody};

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

/// The web page.
#[utoipa::path(
    get,
    path = "/",
    tag = "page",
    responses((status = 200, description = "The web page", content_type = "text/html", body = String)),
)]
pub async fn index() -> impl IntoResponse {
    asset("text/html; charset=utf-8", INDEX_HTML)
}

/// The page's style sheet.
#[utoipa::path(
    get,
    path = "/static/app.css",
    tag = "page",
    responses((status = 200, description = "The page's style sheet", content_type = "text/css", body = String)),
)]
pub async fn css() -> impl IntoResponse {
    asset("text/css; charset=utf-8", APP_CSS)
}

/// The page's script.
#[utoipa::path(
    get,
    path = "/static/app.js",
    tag = "page",
    responses((status = 200, description = "The page's script", content_type = "text/javascript", body = String)),
)]
pub async fn js() -> impl IntoResponse {
    asset("text/javascript; charset=utf-8", APP_JS)
}

/// Which language the page wants its strings in.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MessagesQuery {
    /// `en` or `zh-CN`; without it, the best of the `Accept-Language` header, else
    /// English.
    #[param(inline)]
    lang: Option<Language>,
}

/// The page's strings in one language, from the message table the guide answers from.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageMessages {
    /// The language of the strings.
    pub language: Language,
    /// Every language offered.
    pub languages: Vec<Language>,
    /// The page's strings by key (`{name}` placeholders are filled by the page).
    #[schema(value_type = Object)]
    pub page: serde_json::Value,
    /// Display names of catalog categories.
    pub categories: BTreeMap<String, String>,
}

/// The page's strings, in the language asked for or the browser's.
#[utoipa::path(
    get,
    path = "/api/messages",
    tag = "page",
    params(MessagesQuery),
    responses(
        (status = 200, description = "The page's strings", body = PageMessages),
        (status = 400, description = "An unknown language or parameter", body = ErrorBody),
    ),
)]
pub async fn messages(
    query: Result<Query<MessagesQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Json<PageMessages>, ApiError> {
    let Query(query) = query.map_err(|rejection| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            format!(
                "{}; the one parameter is lang, en or zh-CN",
                rejection.body_text()
            ),
        )
    })?;
    let language = match query.lang {
        Some(language) => language,
        None => headers
            .get(ACCEPT_LANGUAGE)
            .and_then(|h| h.to_str().ok())
            .and_then(Language::from_accept_language)
            .unwrap_or_default(),
    };
    let table: serde_json::Value = serde_json::from_str(language.table_json())
        .map_err(|_| ApiError::internal("parsing the message table"))?;
    Ok(Json(PageMessages {
        language,
        languages: Language::ALL.to_vec(),
        page: table["page"].clone(),
        categories: language.messages().categories.clone(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use daogou_attribute::Method;

    /// The quoted words after each `marker` in `text`.
    fn quoted_after<'a>(text: &'a str, marker: &str) -> Vec<&'a str> {
        text.split(marker)
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .collect()
    }

    fn method(name: &str) -> Method {
        serde_json::from_value(serde_json::Value::String(name.to_string()))
            .unwrap_or_else(|_| panic!("the page names a method the API lacks: {name}"))
    }

    #[test]
    fn the_page_names_methods_as_the_api_does() {
        let choices: Vec<&str> = INDEX_HTML
            .lines()
            .filter(|line| line.contains(r#"name="method""#))
            .collect();
        let values: Vec<&str> = choices
            .iter()
            .flat_map(|line| quoted_after(line, r#"value=""#))
            .collect();
        assert_eq!(values.len(), choices.len(), "every choice has a value");
        let mut offered: Vec<Method> = values.iter().map(|v| method(v)).collect();
        offered.sort();
        let mut expected = Method::OFFERED;
        expected.sort();
        assert_eq!(offered, expected, "the page offers what the API offers");
        let table = APP_JS
            .split("const METHOD_IDS = {")
            .nth(1)
            .and_then(|rest| rest.split("};").next())
            .expect("METHOD_IDS in app.js");
        for line in table.lines().filter(|l| l.contains(':')) {
            let (key, ids) = line.split_once(':').expect("key: ids");
            assert!(
                values.contains(&key.trim()),
                "{key} is not a choice of the page"
            );
            for id in ids.split('\'').skip(1).step_by(2) {
                method(id);
            }
        }
    }
}
