//! Search in PostgreSQL: the keyword postings and filter columns written with each product,
//! the HNSW index of each model's vectors, and the retrieval of one request's candidates,
//! so that a server answers from the database without holding the catalog.
//!
//! Keyword scores are the in-memory index's BM25 ([`crate::keyword`]): the same analysed
//! terms, term frequencies and one-byte field lengths are stored (`keyword_terms`,
//! `keyword_lengths`), and triggers keep each field's totals (`keyword_totals`), so the
//! SQL ranks with the statistics tantivy would compute over the whole catalog, and
//! [`Retrieved::stats`] lets an index over the candidates score them as that index would.
//! Vector candidates come from an HNSW index (approximate: see [`Retrieval::exact`]).

use std::collections::{HashMap, HashSet};

use pgvector::Vector;
use postgres::types::ToSql;
use postgres::Transaction;

use super::PgStore;
use crate::backend::decode_product;
use crate::keyword::{
    idf, product_terms, query_terms, KeywordField, KeywordStats, BM25_B, BM25_K1,
};
use crate::product::{sha256_hex, Product};
use crate::reviews::ReviewSummary;
use crate::store::StoreError;
use crate::vocabulary::RequestVocabulary;

/// Migration 3: what search reads beside the product rows.
pub(super) const MIGRATION: &str = "
    ALTER TABLE products ADD COLUMN brand TEXT, ADD COLUMN brand_key TEXT,
        ADD COLUMN category TEXT, ADD COLUMN price_usd DOUBLE PRECISION,
        ADD COLUMN searchable BOOLEAN NOT NULL DEFAULT FALSE;
    CREATE INDEX products_unsearchable ON products (seq) WHERE NOT searchable;
    CREATE TABLE keyword_terms (
        term TEXT NOT NULL,
        field SMALLINT NOT NULL,
        product_id TEXT NOT NULL REFERENCES products(id) ON DELETE CASCADE,
        tf INTEGER NOT NULL,
        PRIMARY KEY (term, field, product_id));
    CREATE INDEX keyword_terms_product ON keyword_terms (product_id);
    CREATE TABLE keyword_lengths (
        product_id TEXT NOT NULL REFERENCES products(id) ON DELETE CASCADE,
        field SMALLINT NOT NULL,
        tokens INTEGER NOT NULL,
        scored_length INTEGER NOT NULL,
        PRIMARY KEY (product_id, field));
    CREATE TABLE keyword_totals (
        field SMALLINT PRIMARY KEY,
        docs BIGINT NOT NULL,
        tokens BIGINT NOT NULL);
    INSERT INTO keyword_totals SELECT f, 0, 0 FROM generate_series(0, 3) AS f;
    CREATE FUNCTION daogou_lengths_added() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE keyword_totals t SET docs = t.docs + a.n, tokens = t.tokens + a.s
        FROM (SELECT field, count(*) AS n, sum(tokens) AS s FROM added GROUP BY field) a
        WHERE t.field = a.field;
        RETURN NULL;
    END $$;
    CREATE FUNCTION daogou_lengths_removed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE keyword_totals t SET docs = t.docs - r.n, tokens = t.tokens - r.s
        FROM (SELECT field, count(*) AS n, sum(tokens) AS s FROM removed GROUP BY field) r
        WHERE t.field = r.field;
        RETURN NULL;
    END $$;
    CREATE TRIGGER keyword_lengths_added AFTER INSERT ON keyword_lengths
        REFERENCING NEW TABLE AS added
        FOR EACH STATEMENT EXECUTE FUNCTION daogou_lengths_added();
    CREATE TRIGGER keyword_lengths_removed AFTER DELETE ON keyword_lengths
        REFERENCING OLD TABLE AS removed
        FOR EACH STATEMENT EXECUTE FUNCTION daogou_lengths_removed();";

/// Products whose search rows are filled in per transaction by [`PgStore::make_searchable`].
const BACKFILL_BATCH: i64 = 500;

/// Writes the search rows of `products` (whose product rows this transaction has just
/// written): filter columns, keyword postings and field lengths.
pub(super) fn write_search_rows(
    tx: &mut Transaction<'_>,
    products: &[&Product],
) -> Result<(), postgres::Error> {
    if products.is_empty() {
        return Ok(());
    }
    let ids: Vec<&str> = products.iter().map(|p| p.id.as_str()).collect();
    tx.execute(
        "DELETE FROM keyword_terms WHERE product_id = ANY($1)",
        &[&ids],
    )?;
    tx.execute(
        "DELETE FROM keyword_lengths WHERE product_id = ANY($1)",
        &[&ids],
    )?;
    let (mut t_ids, mut t_fields, mut t_terms, mut t_tf) = (vec![], vec![], vec![], vec![]);
    let (mut l_ids, mut l_fields, mut l_tokens, mut l_scored) = (vec![], vec![], vec![], vec![]);
    let (mut brands, mut keys, mut categories, mut prices) = (vec![], vec![], vec![], vec![]);
    for product in products {
        for field in product_terms(product) {
            for (term, tf) in &field.terms {
                t_ids.push(product.id.as_str());
                t_fields.push(field.field.code());
                t_terms.push(term.clone());
                t_tf.push(i32::try_from(*tf).unwrap_or(i32::MAX));
            }
            l_ids.push(product.id.as_str());
            l_fields.push(field.field.code());
            l_tokens.push(i32::try_from(field.tokens).unwrap_or(i32::MAX));
            l_scored.push(i32::try_from(field.scored_length()).unwrap_or(i32::MAX));
        }
        brands.push(product.brand.clone());
        keys.push(product.brand.as_deref().map(str::to_ascii_lowercase));
        categories.push(product.category.clone());
        prices.push(product.price.as_ref().map(|p| p.to_usd()));
    }
    tx.execute(
        "INSERT INTO keyword_terms (product_id, field, term, tf)
         SELECT * FROM unnest($1::text[], $2::int2[], $3::text[], $4::int4[])",
        &[&t_ids, &t_fields, &t_terms, &t_tf],
    )?;
    tx.execute(
        "INSERT INTO keyword_lengths (product_id, field, tokens, scored_length)
         SELECT * FROM unnest($1::text[], $2::int2[], $3::int4[], $4::int4[])",
        &[&l_ids, &l_fields, &l_tokens, &l_scored],
    )?;
    tx.execute(
        "UPDATE products p SET brand = u.brand, brand_key = u.brand_key,
             category = u.category, price_usd = u.price_usd, searchable = TRUE
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::float8[])
             AS u(id, brand, brand_key, category, price_usd)
         WHERE p.id = u.id",
        &[&ids, &brands, &keys, &categories, &prices],
    )?;
    Ok(())
}

/// The HNSW index of `model_id`'s vectors (cosine through the inner product of unit
/// vectors), created the first time that model's vectors are written.
fn vector_index(model_id: &str, dim: usize) -> String {
    format!(
        "CREATE INDEX IF NOT EXISTS embeddings_hnsw_{hash}_{dim} ON embeddings
             USING hnsw ((vector::vector({dim})) vector_ip_ops) WHERE model_id = {model}",
        hash = &sha256_hex(model_id.as_bytes())[..16],
        model = literal(model_id),
    )
}

/// `text` as an SQL string literal.
fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// One request's retrieval: its descriptive words, its embedding, its filters.
#[derive(Debug, Clone)]
pub struct Retrieval<'a> {
    /// The model whose vectors to search.
    pub model_id: &'a str,
    /// The request's embedding (a unit vector).
    pub embedding: &'a [f32],
    /// The request's descriptive words, each searched as the in-memory index searches it.
    pub words: &'a [String],
    /// Candidates by embedding, and again by keyword.
    pub limit: usize,
    /// Lowest price in US dollars.
    pub min_usd: Option<f64>,
    /// Highest price in US dollars.
    pub max_usd: Option<f64>,
    /// Brands asked for by name (any case).
    pub brands: &'a [String],
    /// Exact nearest neighbours by a scan instead of the HNSW index (to measure its
    /// recall).
    pub exact: bool,
}

/// What [`PgStore::retrieve`] found.
#[derive(Debug, Clone, Default)]
pub struct Retrieved {
    /// The nearest products by embedding, best first.
    pub nearest: Vec<String>,
    /// The best products by BM25, best first.
    pub by_keyword: Vec<String>,
    /// Whether nothing passed the filters, so the candidates are the unfiltered ones.
    pub relaxed: bool,
    /// The catalog's keyword statistics for the request's terms.
    pub stats: KeywordStats,
}

impl Retrieved {
    /// Every candidate once: the nearest, then the keyword hits not among them.
    pub fn ids(&self) -> Vec<String> {
        let mut seen = HashSet::new();
        self.nearest
            .iter()
            .chain(&self.by_keyword)
            .filter(|id| seen.insert(id.as_str()))
            .cloned()
            .collect()
    }
}

/// Candidate products with what scoring them needs, in catalog order.
#[derive(Debug, Clone, Default)]
pub struct Fetched {
    /// The products, in first-insertion order.
    pub products: Vec<Product>,
    /// Their vectors of the model asked for, row-major.
    pub vectors: Vec<f32>,
    /// Vector width.
    pub dim: usize,
    /// Review summaries of those that have one.
    pub reviews: HashMap<String, ReviewSummary>,
}

/// One row of the keyword query: a term searched in a field for a word.
struct TermRows {
    terms: Vec<String>,
    fields: Vec<i16>,
    weights: Vec<f64>,
    boosts: Vec<f64>,
    words: Vec<i32>,
}

impl TermRows {
    /// The columns as the parameters `$1..$5` of [`hits_sql`].
    fn params(&self) -> [&(dyn ToSql + Sync); 5] {
        [
            &self.terms,
            &self.fields,
            &self.weights,
            &self.boosts,
            &self.words,
        ]
    }
}

impl PgStore {
    /// Fills in the search rows of products written before the schema had them.
    pub(super) fn make_searchable(&self) -> Result<(), StoreError> {
        loop {
            // Locked, so that a concurrent write of the same product waits for this one.
            let done = self.on_primary(|c| {
                let mut tx = c.transaction()?;
                let rows = tx.query(
                    "SELECT json FROM products WHERE NOT searchable ORDER BY seq LIMIT $1
                     FOR UPDATE SKIP LOCKED",
                    &[&BACKFILL_BATCH],
                )?;
                let products: Result<Vec<Product>, StoreError> =
                    rows.iter().map(|r| decode_product(r.get(0))).collect();
                let Ok(products) = products else {
                    return Ok(products.map(|_| false));
                };
                let refs: Vec<&Product> = products.iter().collect();
                write_search_rows(&mut tx, &refs)?;
                tx.commit()?;
                Ok(Ok(products.is_empty()))
            })??;
            if done {
                return Ok(());
            }
        }
    }

    /// Creates the HNSW index of `model_id`'s vectors if it is missing (under the
    /// migrations' lock, so that servers starting together create it once). Imports call
    /// it when their last batch is written: built after a bulk load, the index takes a
    /// fraction of the time that inserting into it row by row would.
    pub fn index_vectors(&self, model_id: &str, dim: usize) -> Result<(), StoreError> {
        self.on_primary(|c| {
            let mut tx = c.transaction()?;
            tx.execute(
                "SELECT pg_advisory_xact_lock($1)",
                &[&super::MIGRATION_LOCK],
            )?;
            tx.batch_execute("SET LOCAL maintenance_work_mem = '1GB'")?;
            tx.batch_execute(&vector_index(model_id, dim))?;
            tx.commit()
        })
    }

    /// Up to `limit` products (in catalog order) without a vector of `model_id`.
    pub fn without_vector(&self, model_id: &str, limit: usize) -> Result<Vec<Product>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self.on_primary(|c| {
            c.query(
                "SELECT p.json FROM products p WHERE NOT EXISTS (
                     SELECT 1 FROM embeddings e WHERE e.product_id = p.id AND e.model_id = $1)
                 ORDER BY p.seq LIMIT $2",
                &[&model_id, &limit],
            )
        })?;
        rows.iter().map(|r| decode_product(r.get(0))).collect()
    }

    /// The request vocabulary (brands and categories) of the whole catalog, as
    /// [`RequestVocabulary::from_products`] builds it from every product.
    pub fn vocabulary(&self) -> Result<RequestVocabulary, StoreError> {
        let first_seen = |column: &str| {
            format!(
                "SELECT {column} FROM products WHERE {column} IS NOT NULL
                 GROUP BY {column} ORDER BY min(seq)"
            )
        };
        let (brands, categories) = self.on_primary(|c| {
            let brands = c.query(&first_seen("brand"), &[])?;
            let categories = c.query(&first_seen("category"), &[])?;
            Ok((brands, categories))
        })?;
        Ok(RequestVocabulary::new(
            brands.iter().map(|r| r.get(0)),
            categories.iter().map(|r| r.get(0)),
        ))
    }

    /// The candidates of one request: the `limit` nearest by embedding and the `limit`
    /// best by BM25 among the products that pass the filters, or, when none passes,
    /// among all; with the keyword statistics to score them by.
    pub fn retrieve(&self, request: &Retrieval<'_>) -> Result<Retrieved, StoreError> {
        let word_terms: Vec<Vec<String>> = request.words.iter().map(|w| query_terms(w)).collect();
        let brands: Vec<String> = request
            .brands
            .iter()
            .map(|b| b.to_ascii_lowercase())
            .collect();
        self.on_primary(|c| {
            let mut tx = c.transaction()?;
            let (stats, rows) = keyword_stats(&mut tx, request, &word_terms)?;
            let mut retrieved = Retrieved {
                stats,
                ..Retrieved::default()
            };
            for relaxed in [false, true] {
                let filters: Filters = if relaxed {
                    (None, None, &[])
                } else {
                    (request.min_usd, request.max_usd, &brands)
                };
                retrieved.nearest = nearest(&mut tx, request, filters)?;
                retrieved.by_keyword = by_keyword(&mut tx, &rows, request.limit, filters)?;
                retrieved.relaxed = relaxed;
                if !retrieved.nearest.is_empty() || !retrieved.by_keyword.is_empty() {
                    break;
                }
            }
            tx.commit()?;
            Ok(retrieved)
        })
    }

    /// The products `ids` with their `model_id` vectors and review summaries, in catalog
    /// order; ids the catalog no longer has are left out.
    pub fn fetch(&self, ids: &[String], model_id: &str) -> Result<Fetched, StoreError> {
        let rows = self.on_primary(|c| {
            c.query(
                "SELECT p.json, e.dim, e.vector, r.model_id, r.reviews, r.aspects_json
                 FROM products p
                 JOIN embeddings e ON e.product_id = p.id AND e.model_id = $2
                 LEFT JOIN review_summaries r ON r.product_id = p.id
                 WHERE p.id = ANY($1) ORDER BY p.seq",
                &[&ids, &model_id],
            )
        })?;
        let mut fetched = Fetched::default();
        for row in rows {
            let product = decode_product(row.get(0))?;
            let vector: Vector = row.get(2);
            let dim = usize::try_from(row.get::<_, i32>(1)).unwrap_or(0);
            if fetched.products.is_empty() {
                fetched.dim = dim;
            }
            if dim != fetched.dim || vector.as_slice().len() != dim {
                return Err(StoreError::Corrupt(format!(
                    "the vector of {:?} has {} values, expected {}",
                    product.id,
                    vector.as_slice().len(),
                    fetched.dim
                )));
            }
            fetched.vectors.extend_from_slice(vector.as_slice());
            if let Some(model) = row.get::<_, Option<String>>(3) {
                let reviews = i64::from(row.get::<_, i32>(4));
                let summary =
                    crate::backend::decode_review_summary(&product.id, model, reviews, row.get(5))?;
                fetched.reviews.insert(product.id.clone(), summary);
            }
            fetched.products.push(product);
        }
        Ok(fetched)
    }
}

/// Lowest and highest price in US dollars and brand keys; `None` and empty filter nothing.
type Filters<'a> = (Option<f64>, Option<f64>, &'a [String]);

/// The filter of [`Filters`] on products `p`, its three values bound to the parameters
/// numbered from `first`.
fn filter_sql(first: usize) -> String {
    let (min, max, brands) = (first, first + 1, first + 2);
    format!(
        "(${min}::float8 IS NULL OR p.price_usd >= ${min} - 1e-9)
         AND (${max}::float8 IS NULL OR p.price_usd <= ${max} + 1e-9)
         AND (cardinality(${brands}::text[]) = 0 OR p.brand_key = ANY(${brands}))"
    )
}

/// The catalog's keyword statistics for the request's terms, and the rows its keyword
/// queries bind.
fn keyword_stats(
    tx: &mut Transaction<'_>,
    request: &Retrieval<'_>,
    word_terms: &[Vec<String>],
) -> Result<(KeywordStats, TermRows), postgres::Error> {
    let mut stats = KeywordStats::default();
    for row in tx.query("SELECT field, docs, tokens FROM keyword_totals", &[])? {
        if let Some(field) = KeywordField::from_code(row.get(0)) {
            stats.docs = u64::try_from(row.get::<_, i64>(1)).unwrap_or(0);
            stats.tokens[field as usize] = u64::try_from(row.get::<_, i64>(2)).unwrap_or(0);
        }
    }
    let terms: Vec<&String> = word_terms.iter().flatten().collect();
    for term in &terms {
        for field in KeywordField::ALL {
            stats.doc_freq.insert((field, (*term).clone()), 0);
        }
    }
    let rows = tx.query(
        "SELECT term, field, count(*) FROM keyword_terms WHERE term = ANY($1)
         GROUP BY term, field",
        &[&terms],
    )?;
    for row in rows {
        if let Some(field) = KeywordField::from_code(row.get(1)) {
            let df = u64::try_from(row.get::<_, i64>(2)).unwrap_or(0);
            stats.doc_freq.insert((field, row.get(0)), df);
        }
    }
    let rows = term_rows(word_terms, &stats);
    let maxima = tx.query(
        &format!(
            "{hits} SELECT word, max(score) FROM (
                 SELECT word, product_id, sum(score) AS score FROM hits WHERE field = 0
                 GROUP BY word, product_id) w
             GROUP BY word",
            hits = hits_sql()
        ),
        &rows.params(),
    )?;
    for row in maxima {
        let word = usize::try_from(row.get::<_, i32>(0)).ok();
        if let Some(text) = word.and_then(|w| request.words.get(w)) {
            stats.title_max.insert(text.clone(), row.get(1));
        }
    }
    for word in request.words {
        stats.title_max.entry(word.clone()).or_insert(0.0);
    }
    Ok((stats, rows))
}

/// Every (word, term, field) with a posting, weighted as tantivy weighs it.
fn term_rows(word_terms: &[Vec<String>], stats: &KeywordStats) -> TermRows {
    let mut rows = TermRows {
        terms: vec![],
        fields: vec![],
        weights: vec![],
        boosts: vec![],
        words: vec![],
    };
    for (word, terms) in word_terms.iter().enumerate() {
        for term in terms {
            for field in KeywordField::ALL {
                let df = stats
                    .doc_freq
                    .get(&(field, term.clone()))
                    .copied()
                    .unwrap_or(0);
                if df == 0 {
                    continue;
                }
                rows.terms.push(term.clone());
                rows.fields.push(field.code());
                rows.weights.push(idf(df, stats.docs) * (1.0 + BM25_K1));
                rows.boosts.push(f64::from(field.boost()));
                rows.words.push(i32::try_from(word).unwrap_or(i32::MAX));
            }
        }
    }
    rows
}

/// The BM25 score (unweighted by field) of every posting of the request's terms, with
/// `$1..$5` the columns of [`TermRows`], as the CTE `hits`.
fn hits_sql() -> String {
    format!(
        "WITH q(term, field, weight, boost, word) AS (
             SELECT * FROM unnest($1::text[], $2::int2[], $3::float8[], $4::float8[], $5::int4[])),
         average(field, len) AS (
             SELECT field, tokens::float8 / greatest(docs, 1) FROM keyword_totals),
         hits AS (
             SELECT k.product_id, q.word, q.field, q.boost,
                    q.weight * k.tf
                        / (k.tf + {BM25_K1} * (1 - {BM25_B} + {BM25_B} * l.scored_length / a.len))
                        AS score
             FROM q JOIN keyword_terms k ON k.term = q.term AND k.field = q.field
             JOIN keyword_lengths l ON l.product_id = k.product_id AND l.field = k.field
             JOIN average a ON a.field = k.field)"
    )
}

fn by_keyword(
    tx: &mut Transaction<'_>,
    rows: &TermRows,
    limit: usize,
    (min, max, brands): Filters<'_>,
) -> Result<Vec<String>, postgres::Error> {
    if rows.terms.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "{hits} SELECT h.product_id FROM hits h JOIN products p ON p.id = h.product_id
         WHERE {filters}
         GROUP BY h.product_id, p.seq ORDER BY sum(h.boost * h.score) DESC, p.seq LIMIT {limit}",
        hits = hits_sql(),
        filters = filter_sql(6),
    );
    let mut params = rows.params().to_vec();
    params.extend_from_slice(&[&min, &max, &brands]);
    let found = tx.query(&sql, &params)?;
    Ok(found.iter().map(|r| r.get(0)).collect())
}

fn nearest(
    tx: &mut Transaction<'_>,
    request: &Retrieval<'_>,
    (min, max, brands): Filters<'_>,
) -> Result<Vec<String>, postgres::Error> {
    let dim = request.embedding.len();
    let ef = request.limit.clamp(40, 1000);
    if request.exact {
        tx.batch_execute("SET LOCAL enable_indexscan = off")?;
    } else {
        tx.batch_execute(&format!(
            "SET LOCAL enable_indexscan = on;
             SET LOCAL hnsw.ef_search = {ef}; SET LOCAL hnsw.iterative_scan = strict_order"
        ))?;
    }
    let sql = format!(
        "SELECT e.product_id FROM embeddings e JOIN products p ON p.id = e.product_id
         WHERE e.model_id = {model} AND {filters}
         ORDER BY (e.vector::vector({dim})) <#> $1::vector({dim}) LIMIT {limit}",
        model = literal(request.model_id),
        filters = filter_sql(2),
        limit = request.limit,
    );
    let query = Vector::from(request.embedding.to_vec());
    let found = tx.query(&sql, &[&query, &min, &max, &brands])?;
    Ok(found.iter().map(|r| r.get(0)).collect())
}
