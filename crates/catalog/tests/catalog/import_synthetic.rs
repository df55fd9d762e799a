//! Importer behaviour on crafted inputs: broken rows, encodings, mappings, JSON Lines.

use daogou_catalog::{import_csv, import_jsonl, import_path, ColumnMapping, ImportError, Role};
use daogou_catalog::{Currency, Price};

#[test]
fn broken_csv_rows_are_reported_with_line_numbers_and_skipped() {
    let csv = "\
id,name,description,manufacturer,price
1,\"Tent, 2-person\",\"Says \"\"waterproof\"\", really\",Alder,$199.00
2,Short row,only three
,No id,desc,Brand,$5
3,,no title,Brand,$5
4,Bad price,desc,Brand,call us
1,Duplicate,desc,Brand,$1
5,\"Multi
line\",desc,Brand,\"1,299.99\"
6,Good,desc,,
";
    let parsed = import_csv(csv.as_bytes(), &ColumnMapping::default()).unwrap();
    let ids: Vec<&str> = parsed.products.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["1", "5", "6"]);
    let tent = &parsed.products[0];
    assert_eq!(tent.title, "Tent, 2-person");
    assert_eq!(tent.description, "Says \"waterproof\", really");
    assert_eq!(tent.brand.as_deref(), Some("Alder"));
    assert_eq!(tent.price, Some(Price::usd(199.0)));
    assert_eq!(parsed.products[1].title, "Multi\nline");
    assert_eq!(parsed.products[1].price, Some(Price::usd(1299.99)));
    assert_eq!(parsed.products[2].brand, None);
    assert_eq!(parsed.products[2].price, None);

    let issues: Vec<(usize, &str)> = parsed
        .skipped
        .iter()
        .map(|i| (i.line, i.reason.as_str()))
        .collect();
    assert_eq!(
        issues,
        [
            (3, "expected 5 fields, found 3"),
            (4, "missing id"),
            (5, "missing title"),
            (6, "unparseable price \"call us\": no number"),
            (7, "duplicate id \"1\" (first seen on line 2)"),
        ]
    );
}

#[test]
fn latin1_bytes_are_decoded_lossily_and_reported() {
    let mut bytes = b"id,title,price\n1,Caf".to_vec();
    bytes.push(0xE9); // 'é' in Latin-1, invalid in UTF-8
    bytes.extend_from_slice(b" cr\xE8me,\xA315\n2,Plain,3\n");
    let parsed = import_csv(bytes.as_slice(), &ColumnMapping::default()).unwrap();
    // The price "\xA315" became "\u{fffd}15", which is not a price: that row is skipped.
    assert_eq!(parsed.products.len(), 1);
    assert_eq!(parsed.skipped.len(), 1);
    assert_eq!(parsed.skipped[0].line, 2);
    assert_eq!(parsed.warnings.len(), 1);
    assert_eq!(parsed.warnings[0].line, 2);
    assert!(parsed.warnings[0].reason.contains("title, price"));

    let bytes = b"id,title\n1,Caf\xE9\n".to_vec();
    let parsed = import_csv(bytes.as_slice(), &ColumnMapping::default()).unwrap();
    assert_eq!(parsed.products[0].title, "Caf\u{fffd}");
}

#[test]
fn declared_mapping_overrides_and_extra_columns_become_attributes() {
    let csv =
        "\u{feff}SKU,Label,Name,Cost,Colour,Kind\nA1,Nice lamp,internal-17,€20,red,lighting\n";
    let mapping = ColumnMapping {
        default_currency: Currency::Eur,
        ..ColumnMapping::default()
    }
    .with(Role::Title, "label")
    .with(Role::Category, "Kind");
    let parsed = import_csv(csv.as_bytes(), &mapping).unwrap();
    let p = &parsed.products[0];
    assert_eq!(p.id, "A1"); // BOM stripped, "SKU" inferred as id
    assert_eq!(p.title, "Nice lamp");
    assert_eq!(p.category.as_deref(), Some("lighting"));
    assert_eq!(
        p.price.map(|p| (p.amount, p.currency)),
        Some((20.0, Currency::Eur))
    );
    assert_eq!(
        p.attributes.get("Name").map(String::as_str),
        Some("internal-17")
    );
    assert_eq!(p.attributes.get("Colour").map(String::as_str), Some("red"));

    let err = import_csv(
        csv.as_bytes(),
        &ColumnMapping::default().with(Role::Brand, "maker"),
    )
    .unwrap_err();
    assert!(matches!(err, ImportError::DeclaredColumnMissing(ref c) if c == "maker"));
    let err = import_csv("sku,colour\n1,red\n".as_bytes(), &ColumnMapping::default()).unwrap_err();
    assert!(matches!(err, ImportError::MissingRole(Role::Title)));
    assert!(matches!(
        import_csv("".as_bytes(), &ColumnMapping::default()),
        Err(ImportError::Empty)
    ));
}

#[test]
fn json_lines_with_all_price_shapes() {
    let jsonl = r#"{"id": "a", "name": "Kettle", "price": "$35", "brand": "Ovenbird", "attributes": {"capacity": "1 L", "cordless": true}}
{"id": 7, "title": "Numeric id", "price": 12.5, "color": "blue", "tags": ["x", "y"]}
{"id": "c", "title": "Yuan", "price": {"amount": 300, "currency": "CNY"}}

not json
["an", "array"]
{"id": "d", "title": "Bad", "price": "a lot"}
{"id": "e", "title": "Bad object", "price": {"currency": "EUR"}}
{"title": "No id"}
{"id": "a", "title": "Again"}
"#;
    let parsed = import_jsonl(jsonl.as_bytes(), &ColumnMapping::default()).unwrap();
    let ids: Vec<&str> = parsed.products.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["a", "7", "c"]);
    let kettle = &parsed.products[0];
    assert_eq!(kettle.title, "Kettle");
    assert_eq!(kettle.price, Some(Price::usd(35.0)));
    assert_eq!(kettle.attributes["capacity"], "1 L");
    assert_eq!(kettle.attributes["cordless"], "true");
    let numeric = &parsed.products[1];
    assert_eq!(numeric.price, Some(Price::usd(12.5)));
    assert_eq!(numeric.attributes["tags"], r#"["x","y"]"#);
    assert_eq!(
        parsed.products[2].price,
        Some(Price {
            amount: 300.0,
            currency: Currency::Cny
        })
    );
    let lines: Vec<usize> = parsed.skipped.iter().map(|i| i.line).collect();
    assert_eq!(lines, [5, 6, 7, 8, 9, 10]);
    assert!(parsed.skipped[0].reason.starts_with("invalid JSON"));
    assert_eq!(parsed.skipped[1].reason, "not a JSON object");
    assert!(parsed.skipped[5].reason.starts_with("duplicate id"));
}

#[test]
fn import_path_picks_the_format_from_the_extension() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("c.CSV");
    std::fs::write(&csv, "id,title\n1,One\n").unwrap();
    let jsonl = dir.path().join("c.jsonl");
    std::fs::write(&jsonl, "{\"id\":\"1\",\"title\":\"One\"}\n").unwrap();
    let m = ColumnMapping::default();
    assert_eq!(import_path(&csv, &m).unwrap().products.len(), 1);
    assert_eq!(import_path(&jsonl, &m).unwrap().products.len(), 1);
    assert!(matches!(
        import_path(&dir.path().join("c.xlsx"), &m),
        Err(ImportError::UnknownFormat(_))
    ));
    assert!(matches!(
        import_path(&dir.path().join("missing.csv"), &m),
        Err(ImportError::Io(_))
    ));
}
