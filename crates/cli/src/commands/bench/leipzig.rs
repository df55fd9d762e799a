//! The Leipzig product catalogs (Abt, Amazon, Buy, Google; 6,762 products) and the
//! deterministic requests the recommendation benchmark sends.

use std::collections::HashSet;
use std::path::Path;

use anyhow::{ensure, Context, Result};
use daogou_catalog::Product;
use daogou_catalog::{import_path, ColumnMapping};

/// The four files, in the order their products are concatenated.
pub const FILES: [&str; 4] = [
    "Abt.csv",
    "AmazonProducts.csv",
    "Buy.csv",
    "GoogleProducts.csv",
];

/// Price phrases appended to the requests in turn (request r gets phrase r mod 5).
pub const PRICE_PHRASES: [&str; 5] = [
    "",
    "under 100 dollars",
    "cheap",
    "under 500 dollars",
    "between 20 and 200 dollars",
];

/// How [`requests`] builds them, for reports.
pub const REQUEST_RULE: &str = "request r = the first 2 + (r mod 4) words containing a letter \
     (lower-cased, outer punctuation trimmed) of the title of Leipzig product floor(r * N / count), \
     N = 6,762 (files in the order Abt, Amazon, Buy, Google; the next product if a title has \
     no such word), then price phrase r mod 5 of: none, \"under 100 dollars\", \"cheap\", \
     \"under 500 dollars\", \"between 20 and 200 dollars\"";

/// Reads the four files of `dir` with the default column inference, in [`FILES`] order.
pub fn load(dir: &Path) -> Result<Vec<Product>> {
    let mut products = Vec::new();
    for file in FILES {
        let path = dir.join(file);
        let parsed = import_path(&path, &ColumnMapping::default())
            .with_context(|| format!("reading {}", path.display()))?;
        products.extend(parsed.products);
    }
    let mut ids = HashSet::new();
    if let Some(dup) = products.iter().find(|p| !ids.insert(p.id.as_str())) {
        anyhow::bail!("product id {:?} appears in two Leipzig files", dup.id);
    }
    Ok(products)
}

/// `count` requests made from product titles as [`REQUEST_RULE`] says.
pub fn requests(products: &[Product], count: usize) -> Result<Vec<String>> {
    ensure!(!products.is_empty(), "no products to make requests from");
    let mut requests = Vec::with_capacity(count);
    for r in 0..count {
        let start = r * products.len() / count.max(1);
        let words = (0..products.len())
            .map(|k| title_words(&products[(start + k) % products.len()].title, 2 + r % 4))
            .find(|w| !w.is_empty())
            .context("no product title has a word with a letter")?;
        let phrase = PRICE_PHRASES[r % PRICE_PHRASES.len()];
        let mut request = words.join(" ");
        if !phrase.is_empty() {
            request.push(' ');
            request.push_str(phrase);
        }
        requests.push(request);
    }
    Ok(requests)
}

/// The first `n` words of `title` that contain a letter, lower-cased, with leading and
/// trailing punctuation trimmed.
fn title_words(title: &str, n: usize) -> Vec<String> {
    title
        .split_whitespace()
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
        .filter(|w| w.chars().any(char::is_alphabetic))
        .take(n)
        .map(str::to_lowercase)
        .collect()
}
