//! Which source column feeds which [`Product`](super::Product) field.
//!
//! Columns are matched to roles by header name, case-insensitively and ignoring spaces,
//! `_`, `-` and `.` (so `Product_Name`, `product name` and `productname` are the same).
//! A column declared in [`ColumnMapping`] always wins; undeclared roles are inferred from
//! the synonym lists below; every remaining column becomes an attribute.

use crate::price::Currency;
use std::collections::BTreeMap;

/// A product field a column can feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// `Product::id` (required).
    Id,
    /// `Product::title` (required).
    Title,
    /// `Product::description`.
    Description,
    /// `Product::brand`.
    Brand,
    /// `Product::category`.
    Category,
    /// `Product::price`.
    Price,
}

impl Role {
    /// Every role, in resolution order.
    pub const ALL: [Role; 6] = [
        Role::Id,
        Role::Title,
        Role::Description,
        Role::Brand,
        Role::Category,
        Role::Price,
    ];

    /// Normalised header names recognised for this role, most specific first.
    pub fn synonyms(self) -> &'static [&'static str] {
        match self {
            Role::Id => &[
                "id",
                "productid",
                "sku",
                "itemid",
                "asin",
                "uid",
                "uniqid",
                "code",
            ],
            Role::Title => &[
                "title",
                "name",
                "productname",
                "producttitle",
                "itemname",
                "product",
                "标题",
                "名称",
                "商品名称",
            ],
            Role::Description => &[
                "description",
                "desc",
                "productdescription",
                "longdescription",
                "details",
                "summary",
                "body",
                "描述",
            ],
            Role::Brand => &[
                "brand",
                "manufacturer",
                "brandname",
                "maker",
                "vendor",
                "品牌",
            ],
            Role::Category => &[
                "category",
                "categories",
                "productcategory",
                "categorypath",
                "producttype",
                "department",
                "类别",
                "分类",
            ],
            Role::Price => &[
                "price",
                "listprice",
                "saleprice",
                "retailprice",
                "currentprice",
                "priceusd",
                "cost",
                "amount",
                "价格",
            ],
        }
    }
}

/// How to read a source's columns; `ColumnMapping::default()` infers everything.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnMapping {
    /// Columns declared for roles (by exact header name, case-insensitive). Declared
    /// columns must exist in the source.
    pub declared: BTreeMap<Role, String>,
    /// Columns to drop instead of keeping them as attributes.
    pub ignore: Vec<String>,
    /// Currency of prices written without a marker.
    pub default_currency: Currency,
    /// Treat a price of exactly 0 as unknown. On by default: product feeds (e.g. the
    /// Leipzig Amazon file) use `0` for "no price", and a free product is rare.
    pub zero_price_is_missing: bool,
}

impl Default for ColumnMapping {
    fn default() -> Self {
        ColumnMapping {
            declared: BTreeMap::new(),
            ignore: Vec::new(),
            default_currency: Currency::Usd,
            zero_price_is_missing: true,
        }
    }
}

impl ColumnMapping {
    /// Declares that `column` feeds `role` (builder style).
    pub fn with(mut self, role: Role, column: impl Into<String>) -> Self {
        self.declared.insert(role, column.into());
        self
    }

    /// Resolves roles against a header row: `Ok(role -> column index)`, or the declared
    /// column that is missing from the header.
    pub(crate) fn resolve(&self, headers: &[String]) -> Result<Resolved, String> {
        let normalised: Vec<String> = headers.iter().map(|h| normalise(h)).collect();
        let mut roles = BTreeMap::new();
        for (role, column) in &self.declared {
            let index = headers
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case(column.trim()))
                .ok_or_else(|| column.clone())?;
            roles.insert(*role, index);
        }
        let ignored = |i: usize| {
            self.ignore
                .iter()
                .any(|c| headers[i].trim().eq_ignore_ascii_case(c.trim()))
        };
        for role in Role::ALL {
            if roles.contains_key(&role) {
                continue;
            }
            let taken: Vec<usize> = roles.values().copied().collect();
            let found = role.synonyms().iter().find_map(|syn| {
                (0..headers.len())
                    .find(|&i| normalised[i] == *syn && !taken.contains(&i) && !ignored(i))
            });
            if let Some(index) = found {
                roles.insert(role, index);
            }
        }
        let attributes = (0..headers.len())
            .filter(|i| !roles.values().any(|r| r == i) && !ignored(*i))
            .collect();
        Ok(Resolved { roles, attributes })
    }
}

/// Role and attribute column indices for one header row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Resolved {
    pub roles: BTreeMap<Role, usize>,
    pub attributes: Vec<usize>,
}

/// Lower-cases and removes spaces, `_`, `-`, `.` and a byte-order mark.
fn normalise(header: &str) -> String {
    header
        .chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-' | '.' | '\u{feff}'))
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn infers_from_synonyms_case_insensitively() {
        let h = headers(&[
            "Product_ID",
            "Name",
            "DESC",
            "Manufacturer",
            "Price",
            "colour",
        ]);
        let r = ColumnMapping::default().resolve(&h).unwrap();
        assert_eq!(r.roles[&Role::Id], 0);
        assert_eq!(r.roles[&Role::Title], 1);
        assert_eq!(r.roles[&Role::Description], 2);
        assert_eq!(r.roles[&Role::Brand], 3);
        assert_eq!(r.roles[&Role::Price], 4);
        assert!(!r.roles.contains_key(&Role::Category));
        assert_eq!(r.attributes, vec![5]);
    }

    #[test]
    fn declared_mapping_overrides_inference() {
        let h = headers(&["id", "name", "nickname", "maker", "brand"]);
        let m = ColumnMapping::default()
            .with(Role::Title, "nickname")
            .with(Role::Brand, "maker");
        let r = m.resolve(&h).unwrap();
        assert_eq!(r.roles[&Role::Title], 2);
        assert_eq!(r.roles[&Role::Brand], 3);
        // "name" and "brand" are no longer claimed, so they become attributes.
        assert_eq!(r.attributes, vec![1, 4]);
        let missing = ColumnMapping::default().with(Role::Price, "cost");
        assert_eq!(missing.resolve(&h), Err("cost".to_string()));
    }

    #[test]
    fn ignored_columns_are_dropped() {
        let h = headers(&["id", "title", "internal"]);
        let m = ColumnMapping {
            ignore: vec!["INTERNAL".into()],
            ..ColumnMapping::default()
        };
        assert!(m.resolve(&h).unwrap().attributes.is_empty());
    }
}
