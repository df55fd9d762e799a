//! The OpenAPI schema of a history event, as the reader checks it.

use utoipa::openapi::schema::{
    KnownFormat, ObjectBuilder, OneOfBuilder, Schema, SchemaFormat, SchemaType, Type,
};
use utoipa::openapi::RefOr;

use crate::history::{EventKind, HistoryEvent, TIMESTAMP_RANGE};
use crate::json::NOT_BLANK;

/// An event's JSON, as [`HistoryEvent::check`] accepts it: product events need a
/// `product_id`, searches a `query`.
impl utoipa::PartialSchema for HistoryEvent {
    fn schema() -> RefOr<Schema> {
        let product_kinds = [
            EventKind::Viewed,
            EventKind::Carted,
            EventKind::Bought,
            EventKind::Reviewed,
        ];
        let product = event(&product_kinds, "product_id", "The product")
            .property("query", nullable(Type::String));
        let search = event(&[EventKind::Searched], "query", "The search text")
            .property("product_id", nullable(Type::String));
        OneOfBuilder::new()
            .item(product)
            .item(search)
            .description(Some(
                "One event of a shopper's history: a product event (viewed, carted, bought, \
                 reviewed) names its product, a search its query",
            ))
            .into()
    }
}

impl utoipa::ToSchema for HistoryEvent {}

/// An event object of `kinds` whose `required` text field is not blank.
fn event(kinds: &[EventKind], required: &str, description: &str) -> ObjectBuilder {
    let kind_names = kinds
        .iter()
        .map(|k| serde_json::to_value(k).unwrap_or_default());
    let (first, last) = TIMESTAMP_RANGE;
    let timestamp = OneOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(first))
                .maximum(Some(last)),
        )
        .item(string_format(KnownFormat::DateTime))
        .item(string_format(KnownFormat::Date))
        .description(Some(
            "Seconds since 1970 UTC, or an ISO date or date-time (2026-11-01, \
             2026-11-01T10:00:00Z, 2026-11-01T10:00:00+08:00)",
        ));
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .property("timestamp", timestamp)
        .property(
            "kind",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(kind_names)),
        )
        .property(
            required,
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(NOT_BLANK))
                .description(Some(description)),
        )
        .property(
            "rating",
            ObjectBuilder::new()
                .schema_type(SchemaType::from_iter([Type::Number, Type::Null]))
                .minimum(Some(1))
                .maximum(Some(5))
                .description(Some("1–5 stars")),
        )
        .required("timestamp")
        .required("kind")
        .required(required)
}

fn string_format(format: KnownFormat) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(format)))
}

fn nullable(kind: Type) -> ObjectBuilder {
    ObjectBuilder::new().schema_type(SchemaType::from_iter([kind, Type::Null]))
}
