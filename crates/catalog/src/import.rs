//! CSV and JSON Lines importers.
//!
//! Importers never stop at a bad row: rows with the wrong number of fields, without an id
//! or title, with an unparseable price or with an id already seen are skipped and listed in
//! [`ParsedCatalog::skipped`] with their line number. Bytes that are not valid UTF-8 are
//! decoded lossily (replaced by U+FFFD) and listed in [`ParsedCatalog::warnings`].

use crate::mapping::{ColumnMapping, Resolved, Role};
use crate::price::{parse_price_in, Currency, Price};
use crate::product::Product;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// A row that was skipped or imported with a warning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RowIssue {
    /// 1-based line where the row starts (the header is line 1 in CSV files).
    pub line: usize,
    /// What was wrong.
    pub reason: String,
}

/// Products read from a source, before they are stored.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedCatalog {
    /// Products in source order, ids unique.
    pub products: Vec<Product>,
    /// Rows that were not imported, with the reason.
    pub skipped: Vec<RowIssue>,
    /// Rows imported with a caveat (e.g. invalid UTF-8 replaced).
    pub warnings: Vec<RowIssue>,
}

/// Outcome of importing a source into a [`Store`](crate::store::Store).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ImportReport {
    /// Products that were new to the store.
    pub imported: usize,
    /// Products already in the store whose content changed.
    pub updated: usize,
    /// Products already in the store, unchanged.
    pub unchanged: usize,
    /// Rows skipped while reading the source.
    pub skipped: Vec<RowIssue>,
    /// Rows imported with a caveat.
    pub warnings: Vec<RowIssue>,
}

/// Errors that stop an import as a whole (bad rows never do).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Reading the source failed.
    #[error("reading the source failed: {0}")]
    Io(#[from] std::io::Error),
    /// The CSV reader failed (I/O underneath).
    #[error("reading the CSV failed: {0}")]
    Csv(#[from] csv::Error),
    /// The source has no header row.
    #[error("the source is empty (no header row)")]
    Empty,
    /// A column declared in the mapping is not in the header.
    #[error("declared column {0:?} is not in the header")]
    DeclaredColumnMissing(String),
    /// No column could be found for a required role.
    #[error("no column for the product {0:?}; declare one in the ColumnMapping")]
    MissingRole(Role),
    /// The file extension is not one the importer knows.
    #[error("unknown catalog format for {0:?}: expected .csv, .jsonl or .ndjson")]
    UnknownFormat(PathBuf),
}

/// Reads a CSV file with a header row. See the module docs for how bad rows are handled.
pub fn import_csv<R: Read>(
    reader: R,
    mapping: &ColumnMapping,
) -> Result<ParsedCatalog, ImportError> {
    import_csv_with(reader, mapping, |_| Ok(()))
}

/// Reads JSON Lines: one JSON object per line, keys matched like CSV headers. Besides
/// strings, `price` may be a number (in the default currency) or `{"amount", "currency"}`,
/// and an `attributes` object is merged into the attributes.
pub fn import_jsonl<R: Read>(
    reader: R,
    mapping: &ColumnMapping,
) -> Result<ParsedCatalog, ImportError> {
    let mut out = Collector::new(mapping);
    for (index, line) in BufReader::new(reader).split(b'\n').enumerate() {
        let line_no = index + 1;
        let bytes = line?;
        let (text, lossy) = decode(&bytes);
        if lossy {
            out.warn(line_no, "invalid UTF-8 replaced with U+FFFD".to_string());
        }
        let text = text.trim_start_matches('\u{feff}').trim();
        if text.is_empty() {
            continue;
        }
        let object = match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(object)) => object,
            Ok(_) => {
                out.skip(line_no, "not a JSON object".to_string());
                continue;
            }
            Err(e) => {
                out.skip(line_no, format!("invalid JSON: {e}"));
                continue;
            }
        };
        match json_row(&object, mapping) {
            Ok(row) => out.accept(line_no, row, |_| Ok(())),
            Err(reason) => out.skip(line_no, reason),
        }
    }
    Ok(out.finish())
}

/// Reads the Instacart sample: `products.csv` (product_id, product_name, aisle_id,
/// department_id) joined with `aisles.csv` and `departments.csv`, so that the category is
/// `"department > aisle"`. Rows naming an unknown aisle or department are skipped.
pub fn import_instacart<P: Read, A: Read, D: Read>(
    products: P,
    aisles: A,
    departments: D,
) -> Result<ParsedCatalog, ImportError> {
    let aisles = read_lookup(aisles)?;
    let departments = read_lookup(departments)?;
    let mapping = ColumnMapping::default()
        .with(Role::Id, "product_id")
        .with(Role::Title, "product_name");
    import_csv_with(products, &mapping, |product| {
        let aisle_id = product.attributes.remove("aisle_id").unwrap_or_default();
        let department_id = product
            .attributes
            .remove("department_id")
            .unwrap_or_default();
        let aisle = aisles
            .get(aisle_id.trim())
            .ok_or_else(|| format!("unknown aisle id {aisle_id:?}"))?;
        let department = departments
            .get(department_id.trim())
            .ok_or_else(|| format!("unknown department id {department_id:?}"))?;
        product.category = Some(format!("{department} > {aisle}"));
        Ok(())
    })
}

/// Opens `path` and reads it as CSV (`.csv`) or JSON Lines (`.jsonl`, `.ndjson`).
pub fn import_path(path: &Path, mapping: &ColumnMapping) -> Result<ParsedCatalog, ImportError> {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("csv") => import_csv(File::open(path)?, mapping),
        Some("jsonl") | Some("ndjson") => import_jsonl(File::open(path)?, mapping),
        _ => Err(ImportError::UnknownFormat(path.to_path_buf())),
    }
}

/// CSV import with a hook run on every product before it is accepted; a hook error skips
/// the row with that reason.
fn import_csv_with<R: Read>(
    reader: R,
    mapping: &ColumnMapping,
    mut hook: impl FnMut(&mut Product) -> Result<(), String>,
) -> Result<ParsedCatalog, ImportError> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(reader);
    let header = rdr.byte_headers()?.clone();
    if header.is_empty() {
        return Err(ImportError::Empty);
    }
    let mut out = Collector::new(mapping);
    let mut headers = Vec::with_capacity(header.len());
    for field in header.iter() {
        let (name, lossy) = decode(field);
        if lossy {
            out.warn(1, "invalid UTF-8 in the header replaced with U+FFFD".into());
        }
        headers.push(name.trim_start_matches('\u{feff}').trim().to_string());
    }
    let resolved = mapping
        .resolve(&headers)
        .map_err(ImportError::DeclaredColumnMissing)?;
    for role in [Role::Id, Role::Title] {
        if !resolved.roles.contains_key(&role) {
            return Err(ImportError::MissingRole(role));
        }
    }
    let mut record = csv::ByteRecord::new();
    while rdr.read_byte_record(&mut record)? {
        let line = record
            .position()
            .map_or(0, |p| usize::try_from(p.line()).unwrap_or(usize::MAX));
        if record.len() != headers.len() {
            out.skip(
                line,
                format!("expected {} fields, found {}", headers.len(), record.len()),
            );
            continue;
        }
        let mut lossy_columns = Vec::new();
        let fields: Vec<String> = record
            .iter()
            .enumerate()
            .map(|(i, raw)| {
                let (text, lossy) = decode(raw);
                if lossy {
                    lossy_columns.push(headers[i].clone());
                }
                text.into_owned()
            })
            .collect();
        if !lossy_columns.is_empty() {
            out.warn(
                line,
                format!(
                    "invalid UTF-8 replaced with U+FFFD in {}",
                    lossy_columns.join(", ")
                ),
            );
        }
        let row = csv_row(&fields, &headers, &resolved);
        out.accept(line, row, &mut hook);
    }
    Ok(out.finish())
}

/// One source row split by role, before validation.
#[derive(Debug, Default)]
struct Row {
    fields: BTreeMap<Role, String>,
    /// A price already structured in the source (JSON object or number).
    structured_price: Option<Price>,
    attributes: BTreeMap<String, String>,
}

fn csv_row(fields: &[String], headers: &[String], resolved: &Resolved) -> Row {
    let mut row = Row::default();
    for (role, &index) in &resolved.roles {
        row.fields.insert(*role, fields[index].clone());
    }
    for &index in &resolved.attributes {
        if !fields[index].trim().is_empty() {
            row.attributes
                .insert(headers[index].clone(), fields[index].clone());
        }
    }
    row
}

fn json_row(object: &Map<String, Value>, mapping: &ColumnMapping) -> Result<Row, String> {
    let keys: Vec<String> = object.keys().cloned().collect();
    // A declared key absent from this line just means the value is missing on this line.
    let mut lenient = mapping.clone();
    lenient
        .declared
        .retain(|_, column| keys.iter().any(|k| k.eq_ignore_ascii_case(column.trim())));
    let resolved = lenient.resolve(&keys)?;
    let mut row = Row::default();
    for (role, &index) in &resolved.roles {
        let value = &object[&keys[index]];
        if *role == Role::Price {
            match value {
                Value::Number(n) => {
                    row.structured_price = n.as_f64().map(|amount| Price {
                        amount,
                        currency: mapping.default_currency,
                    });
                    if row.structured_price.is_some_and(|p| p.amount < 0.0) {
                        return Err(format!("negative price {n}"));
                    }
                    continue;
                }
                Value::Object(price) => {
                    row.structured_price = Some(json_price(price, mapping.default_currency)?);
                    continue;
                }
                _ => {}
            }
        }
        if let Some(text) = json_text(value) {
            row.fields.insert(*role, text);
        }
    }
    for &index in &resolved.attributes {
        let key = &keys[index];
        match &object[key] {
            Value::Object(nested) if key.eq_ignore_ascii_case("attributes") => {
                for (k, v) in nested {
                    if let Some(text) = json_text(v) {
                        row.attributes.insert(k.clone(), text);
                    }
                }
            }
            value => {
                if let Some(text) = json_text(value) {
                    row.attributes.insert(key.clone(), text);
                }
            }
        }
    }
    Ok(row)
}

/// `{"amount": 12.5, "currency": "EUR"}` (amount may also be a string).
fn json_price(price: &Map<String, Value>, default: Currency) -> Result<Price, String> {
    let currency = match price.get("currency").and_then(Value::as_str) {
        None => default,
        Some(code) => match parse_price_in(&format!("1 {code}"), default) {
            Ok(Some(p)) => p.currency,
            _ => return Err(format!("unknown currency {code:?}")),
        },
    };
    let amount = match price.get("amount") {
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => parse_price_in(s, currency).ok().flatten().map(|p| p.amount),
        _ => None,
    };
    match amount {
        Some(amount) if amount.is_finite() && amount >= 0.0 => Ok(Price { amount, currency }),
        _ => Err("price object without a valid amount".to_string()),
    }
}

/// Scalars as text, arrays/objects as compact JSON, `null` as nothing.
fn json_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        other => Some(other.to_string()),
    }
}

/// Validates rows into products and collects issues.
struct Collector<'a> {
    mapping: &'a ColumnMapping,
    seen: HashMap<String, usize>,
    parsed: ParsedCatalog,
}

impl<'a> Collector<'a> {
    fn new(mapping: &'a ColumnMapping) -> Self {
        Collector {
            mapping,
            seen: HashMap::new(),
            parsed: ParsedCatalog::default(),
        }
    }

    fn skip(&mut self, line: usize, reason: String) {
        self.parsed.skipped.push(RowIssue { line, reason });
    }

    fn warn(&mut self, line: usize, reason: String) {
        self.parsed.warnings.push(RowIssue { line, reason });
    }

    fn accept(
        &mut self,
        line: usize,
        row: Row,
        mut hook: impl FnMut(&mut Product) -> Result<(), String>,
    ) {
        match self.product(row) {
            Ok(mut product) => match hook(&mut product) {
                Ok(()) => {
                    self.seen.insert(product.id.clone(), line);
                    self.parsed.products.push(product);
                }
                Err(reason) => self.skip(line, reason),
            },
            Err(reason) => self.skip(line, reason),
        }
    }

    fn product(&self, row: Row) -> Result<Product, String> {
        let Row {
            mut fields,
            structured_price,
            attributes,
        } = row;
        let mut take = |role| {
            fields
                .remove(&role)
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        };
        let id = take(Role::Id).ok_or("missing id")?;
        let title = take(Role::Title).ok_or("missing title")?;
        if let Some(first) = self.seen.get(&id) {
            return Err(format!("duplicate id {id:?} (first seen on line {first})"));
        }
        let price = match (structured_price, take(Role::Price)) {
            (Some(price), _) => Some(price),
            (None, Some(text)) => parse_price_in(&text, self.mapping.default_currency)
                .map_err(|e| format!("unparseable price {text:?}: {}", e.reason))?,
            (None, None) => None,
        };
        let price = price.filter(|p| !(self.mapping.zero_price_is_missing && p.amount == 0.0));
        Ok(Product {
            id,
            title,
            description: take(Role::Description).unwrap_or_default(),
            brand: take(Role::Brand),
            category: take(Role::Category),
            price,
            attributes,
        })
    }

    fn finish(self) -> ParsedCatalog {
        self.parsed
    }
}

/// Two-column lookup table (`id,name`) such as Instacart's aisles.csv.
fn read_lookup<R: Read>(reader: R) -> Result<HashMap<String, String>, ImportError> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(reader);
    let mut table = HashMap::new();
    let mut record = csv::ByteRecord::new();
    while rdr.read_byte_record(&mut record)? {
        if let (Some(id), Some(name)) = (record.get(0), record.get(1)) {
            table.insert(
                decode(id).0.trim().to_string(),
                decode(name).0.trim().to_string(),
            );
        }
    }
    Ok(table)
}

/// UTF-8 decoding that never fails; `true` when bytes had to be replaced.
fn decode(bytes: &[u8]) -> (Cow<'_, str>, bool) {
    let text = String::from_utf8_lossy(bytes);
    let lossy = matches!(text, Cow::Owned(_));
    (text, lossy)
}
