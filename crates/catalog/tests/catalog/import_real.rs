//! Importing the real catalogs under ../shared/data, as they are.
//!
//! Expected counts were obtained independently with Python's csv module:
//!   python3 -c "import csv; r=list(csv.reader(open(F, encoding='utf-8', newline='')));
//!               print(len(r)-1, {len(x) for x in r[1:]}, len({x[0] for x in r[1:]}))"
//! which gives, per file, the data rows, their field counts (all equal to the header's)
//! and distinct ids (all unique). No row lacks an id or a name, and every non-empty price
//! matches `\$?[0-9,]+(\.[0-9]+)?( gbp)?`, so every data row must be imported.

use crate::common;

use common::data_path;
use daogou_catalog::{import_csv, import_instacart, ColumnMapping, ParsedCatalog};
use daogou_catalog::{Currency, Price, Product};
use std::fs::File;

fn import(name: &str) -> ParsedCatalog {
    let path = data_path(&format!("leipzig-products/{name}"));
    let file = File::open(&path).expect("open");
    import_csv(file, &ColumnMapping::default()).expect("import")
}

fn find<'a>(parsed: &'a ParsedCatalog, id: &str) -> &'a Product {
    parsed
        .products
        .iter()
        .find(|p| p.id == id)
        .unwrap_or_else(|| panic!("product {id} not imported"))
}

fn assert_clean(parsed: &ParsedCatalog, expected: usize) {
    assert!(parsed.skipped.is_empty(), "skipped: {:?}", parsed.skipped);
    // The files are valid UTF-8 (their odd characters are already U+FFFD on disk).
    assert!(
        parsed.warnings.is_empty(),
        "warnings: {:?}",
        parsed.warnings
    );
    assert_eq!(parsed.products.len(), expected);
}

#[test]
fn abt() {
    let parsed = import("Abt.csv");
    assert_clean(&parsed, 1081); // 1081 data rows, 4 fields each, 1081 distinct ids
    let bose = find(&parsed, "580");
    assert_eq!(
        bose.title,
        "Bose Acoustimass 5 Series III Speaker System - AM53BK"
    );
    assert_eq!(bose.price, Some(Price::usd(399.0)));
    assert_eq!(bose.brand, None);
    assert!(bose.description.contains("Two 2-1/2' Wide-range Drivers"));
    assert_eq!(find(&parsed, "552").price, None, "empty price");
    // "$1,999.00": thousands separator inside a quoted-free field.
    assert_eq!(find(&parsed, "27186").price, Some(Price::usd(1999.0)));
    // Source order is kept.
    assert_eq!(parsed.products[0].id, "552");
    assert_eq!(parsed.products[1080].id, "39179");
    let with_price = parsed.products.iter().filter(|p| p.price.is_some()).count();
    assert_eq!(with_price, 418); // python: rows whose price is not empty
}

#[test]
fn buy() {
    let parsed = import("Buy.csv");
    assert_clean(&parsed, 1092); // 1092 data rows, 5 fields each, 1092 distinct ids
    let canon = find(&parsed, "201692660");
    assert_eq!(
        canon.title,
        "Canon Ink Cartridge For PIXMA iP1600, iP6210D and iP6220D Printers - 0617B002"
    );
    assert_eq!(canon.brand.as_deref(), Some("Canon"));
    assert_eq!(canon.description, "Color");
    assert_eq!(canon.price, Some(Price::usd(19.11)));
    let with_price = parsed.products.iter().filter(|p| p.price.is_some()).count();
    assert_eq!(with_price, 590);
}

#[test]
fn amazon() {
    let parsed = import("AmazonProducts.csv");
    assert_clean(&parsed, 1363); // 1363 data rows, 5 fields each, 1363 distinct ids
    let first = find(&parsed, "b000jz4hqo");
    assert_eq!(
        first.title,
        "clickart 950 000 - premier image pack (dvd-rom)"
    );
    assert_eq!(first.brand.as_deref(), Some("broderbund"));
    assert_eq!(first.description, "");
    assert_eq!(first.price, None, "a price of 0 means unknown");
    let zero = parsed.products.iter().filter(|p| p.price.is_none()).count();
    assert_eq!(zero, 199); // python: rows with price "0"
    assert_eq!(
        find(&parsed, "b0006g31ao").price,
        Some(Price::usd(42166.22))
    );
    // A U+FFFD that is in the file itself survives untouched.
    assert!(find(&parsed, "b000bl40dg")
        .description
        .contains("divx\u{fffd} avi"));
}

#[test]
fn google() {
    let parsed = import("GoogleProducts.csv");
    assert_clean(&parsed, 3226); // 3226 data rows, 5 fields each, 3226 distinct ids
    let publisher = find(
        &parsed,
        "http://www.google.com/base/feeds/snippets/18403502608691244809",
    );
    assert_eq!(
        publisher.title,
        "publisher 2007 upgrade - microsoft - 164-04052"
    );
    assert_eq!(
        publisher.price,
        Some(Price {
            amount: 69.71,
            currency: Currency::Gbp
        })
    );
    let gbp = parsed
        .products
        .iter()
        .filter(|p| p.price.is_some_and(|p| p.currency == Currency::Gbp))
        .count();
    assert_eq!(gbp, 62); // python: prices ending in " gbp"
    let learning = find(
        &parsed,
        "http://www.google.com/base/feeds/snippets/11125907881740407428",
    );
    assert_eq!(learning.brand.as_deref(), Some("intuit"));
    assert_eq!(learning.price, Some(Price::usd(38.99)));
}

#[test]
fn instacart_joined_with_aisles_and_departments() {
    let open = |name: &str| File::open(data_path(&format!("instacart/{name}"))).expect("open");
    let parsed = import_instacart(
        open("products.csv"),
        open("aisles.csv"),
        open("departments.csv"),
    )
    .expect("import");
    // 9288 data rows, every aisle_id/department_id is in aisles.csv/departments.csv.
    assert_clean(&parsed, 9288);
    let cookies = find(&parsed, "1");
    assert_eq!(cookies.title, "Chocolate Sandwich Cookies");
    assert_eq!(cookies.category.as_deref(), Some("snacks > cookies cakes"));
    assert!(
        cookies.attributes.is_empty(),
        "ids are folded into the category"
    );
    assert_eq!(
        find(&parsed, "49683").category.as_deref(),
        Some("produce > fresh vegetables")
    );
    // The file's own odd escaping (\"" inside quoted fields) is read as standard CSV,
    // exactly like Python's csv module does.
    assert_eq!(
        find(&parsed, "483").title,
        r#"\"Constant Comment\"" Decaffeinated Black Tea Blend""#
    );
    assert_eq!(
        find(&parsed, "31378").title,
        r#"Traditional Size Corn Tortillas, 6\"""#
    );
    let categories: std::collections::HashSet<_> = parsed
        .products
        .iter()
        .filter_map(|p| p.category.as_deref())
        .collect();
    assert_eq!(categories.len(), 134); // python: distinct "department > aisle" pairs
}
