//! The product model.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

use crate::price::Price;

/// One product of a catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Product {
    /// Identifier, unique within a catalog.
    pub id: String,
    /// Short product name.
    pub title: String,
    /// Free-text description (may be empty).
    #[serde(default)]
    pub description: String,
    /// Brand or manufacturer.
    #[serde(default)]
    pub brand: Option<String>,
    /// Category; hierarchical categories are written `"parent > child"`.
    #[serde(default)]
    pub category: Option<String>,
    /// Price, when known.
    #[serde(default)]
    pub price: Option<Price>,
    /// Every other column of the source, by column name.
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
}

impl Product {
    /// A product with only an id and a title.
    pub fn new(id: impl Into<String>, title: impl Into<String>) -> Self {
        Product {
            id: id.into(),
            title: title.into(),
            description: String::new(),
            brand: None,
            category: None,
            price: None,
            attributes: BTreeMap::new(),
        }
    }

    /// The text handed to an embedding model: title, brand, category, description and
    /// `key: value` attributes, separated by `". "`, skipping empty parts. Price is left out
    /// on purpose so that a price change does not require a new embedding.
    pub fn embedding_text(&self) -> String {
        let attributes = self
            .attributes
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect::<Vec<_>>()
            .join("; ");
        [
            self.title.as_str(),
            self.brand.as_deref().unwrap_or(""),
            self.category.as_deref().unwrap_or(""),
            self.description.as_str(),
            attributes.as_str(),
        ]
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(". ")
    }

    /// SHA-256 (hex) of the product's canonical JSON: changes whenever any field changes.
    pub fn content_hash(&self) -> String {
        // Serialising a plain struct of strings, numbers and a BTreeMap cannot fail.
        let json = serde_json::to_string(self).unwrap_or_default();
        sha256_hex(json.as_bytes())
    }
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_changes_with_any_field_and_embedding_text_ignores_price() {
        let mut p = Product::new("1", "Trail jacket");
        p.brand = Some("Ridgeline".into());
        let h = p.content_hash();
        let text = p.embedding_text();
        assert_eq!(text, "Trail jacket. Ridgeline");
        p.price = Some(Price::usd(10.0));
        assert_ne!(p.content_hash(), h);
        assert_eq!(p.embedding_text(), text);
        p.attributes.insert("color".into(), "red".into());
        assert_eq!(p.embedding_text(), "Trail jacket. Ridgeline. color: red");
    }
}
