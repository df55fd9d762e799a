//! `POST /api/catalog/import`: adds or updates products (API key required).
//!
//! The body is the catalog itself: JSON Lines (`Content-Type: application/x-ndjson`, also
//! `application/jsonl`) or CSV with a header row (`text/csv`), exactly what
//! `daogou catalog import FILE` reads. Columns are inferred from the header; query
//! parameters `id`, `title`, `description`, `brand`, `category`, `price` name them
//! explicitly. Bad rows are skipped and listed in the report, never fatal.

use std::io::{ErrorKind, Write};

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use daogou_catalog::{ColumnMapping, ImportReport, Role};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ErrorBody};
use crate::extract::RequireApiKey;
use crate::openapi::{BodyErrors, KeyErrors};
use crate::state::AppState;

/// Content types of JSON Lines bodies.
pub const JSONL_TYPES: &[&str] = &[
    "application/x-ndjson",
    "application/jsonl",
    "application/x-jsonlines",
];

/// Content type of CSV bodies.
pub const CSV_TYPE: &str = "text/csv";

/// Optional column names, as query parameters (default: inferred from the header).
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Columns {
    /// Column holding the product id.
    #[param(min_length = 1)]
    id: Option<String>,
    /// Column holding the title.
    #[param(min_length = 1)]
    title: Option<String>,
    /// Column holding the description.
    #[param(min_length = 1)]
    description: Option<String>,
    /// Column holding the brand.
    #[param(min_length = 1)]
    brand: Option<String>,
    /// Column holding the category.
    #[param(min_length = 1)]
    category: Option<String>,
    /// Column holding the price.
    #[param(min_length = 1)]
    price: Option<String>,
}

impl Columns {
    fn mapping(self) -> ColumnMapping {
        [
            (Role::Id, self.id),
            (Role::Title, self.title),
            (Role::Description, self.description),
            (Role::Brand, self.brand),
            (Role::Category, self.category),
            (Role::Price, self.price),
        ]
        .into_iter()
        .fold(
            ColumnMapping::default(),
            |mapping, (role, column)| match column {
                Some(column) => mapping.with(role, column),
                None => mapping,
            },
        )
    }
}

/// What an import did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportAnswer {
    /// Counts and skipped rows.
    #[serde(flatten)]
    report: ImportReport,
    /// Products in the catalog afterwards.
    products: usize,
}

/// Import products.
///
/// Adds or updates products. The body is the catalog: JSON Lines (one product object per
/// line) or CSV with a header row. Rows that cannot be read are skipped and listed. The
/// import runs on a fresh guide that replaces the current one when it is done; one import
/// runs at a time.
#[utoipa::path(
    post,
    path = "/api/catalog/import",
    tag = "catalog",
    params(Columns),
    request_body(
        description = "The catalog",
        content(
            (String = "application/x-ndjson"),
            (String = "application/jsonl"),
            (String = "application/x-jsonlines"),
            (String = "text/csv"),
        ),
    ),
    responses(
        (status = 200, description = "What the import did", body = ImportAnswer),
        (status = 409, description = "Another import is running", body = ErrorBody),
        (status = 500, description = "An internal error", body = ErrorBody),
        (status = 503, description = "The model is loading or failed to load", body = ErrorBody),
        (status = 507, description = "No space to store the upload or the products; nothing was written", body = ErrorBody),
        BodyErrors,
        KeyErrors,
    ),
    security(("bearer" = []), ("api_key" = [])),
)]
pub async fn import(
    _key: RequireApiKey,
    State(state): State<AppState>,
    columns: Result<Query<Columns>, QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ImportAnswer>, ApiError> {
    let Query(columns) = columns.map_err(|rejection| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            format!(
                "{}; the query parameters name columns: id, title, description, brand, \
                 category, price",
                rejection.body_text()
            ),
        )
    })?;
    let suffix = suffix(&headers)?;
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "the catalog is larger than the import limit of {} bytes; split it",
                    state.settings().limits.max_import_bytes
                ),
            )
        } else {
            ApiError::new(rejection.status(), rejection.body_text())
        }
    })?;
    if std::str::from_utf8(&body).is_ok_and(|text| text.trim().is_empty()) {
        return Err(ApiError::unprocessable(
            "the body is empty: send the catalog",
        ));
    }
    let mapping = columns.mapping();
    let file = spool(&body, suffix).map_err(|e| {
        eprintln!("daogou: cannot spool an import: {e}");
        if matches!(
            e.kind(),
            ErrorKind::StorageFull | ErrorKind::FileTooLarge | ErrorKind::QuotaExceeded
        ) {
            ApiError::new(
                StatusCode::INSUFFICIENT_STORAGE,
                format!(
                    "no space to store the upload in the temporary directory ({e}); nothing \
                     was imported"
                ),
            )
        } else {
            ApiError::internal("storing the upload")
        }
    })?;
    let (report, products) = state.import(file, mapping).await?;
    Ok(Json(ImportAnswer { report, products }))
}

/// The file suffix that tells the importer the format.
fn suffix(headers: &HeaderMap) -> Result<&'static str, ApiError> {
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    if JSONL_TYPES.contains(&content_type.as_str()) {
        Ok(".jsonl")
    } else if content_type == CSV_TYPE {
        Ok(".csv")
    } else {
        Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "send the catalog as JSON Lines (Content-Type: {}) or CSV (Content-Type: \
                 {CSV_TYPE}), not {:?}",
                JSONL_TYPES[0],
                if content_type.is_empty() {
                    "no content type"
                } else {
                    &content_type
                }
            ),
        ))
    }
}

/// Writes the upload to a temporary file the importer can read (deleted when dropped).
fn spool(body: &[u8], suffix: &str) -> std::io::Result<tempfile::TempPath> {
    let mut file = tempfile::Builder::new()
        .prefix("daogou-import-")
        .suffix(suffix)
        .tempfile()?;
    file.write_all(body)?;
    file.flush()?;
    Ok(file.into_temp_path())
}
