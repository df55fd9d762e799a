//! BM25 keyword retrieval over title, description, brand and category (tantivy).
//!
//! The index lives in RAM and is rebuilt from the products (e.g. [`Store::products`]) when
//! the guide starts: 10,000 products index in well under a second, and nothing on disk can
//! go stale next to the database.
//!
//! Text is analysed by [`analyze`]: letters/digits runs become words, CJK runs (Han, kana,
//! Hangul) become their dictionary words in search mode ([`segment::search_words`]: 生日礼物
//! gives 生日, 礼物 and 生日礼物); words are lower-cased, stop words dropped and English
//! words stemmed.
//! Queries never go through tantivy's query parser: every distinct query term becomes a
//! term query per field, so any input (quotes, `:`, `AND`, emoji) is safe. Only the first
//! [`MAX_QUERY_TERMS`] distinct terms of a query are used.
//!
//! Scores are BM25 summed over fields, with the title weighted ×2 and brand ×1.5.
//!
//! [`Store::products`]: crate::store::Store::products

use crate::product::Product;
use crate::segment;
use crate::words::{STOP_EN, STOP_EN_REQUESTS};
use crate::Span;
use daogou_explain::is_cjk;
use std::collections::HashMap;
use std::collections::{BTreeMap, HashSet, VecDeque};
use tantivy::collector::TopDocs;
use tantivy::fieldnorm::FieldNormReader;
use tantivy::query::{Bm25StatisticsProvider, BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST};
use tantivy::tokenizer::{
    Language, LowerCaser, RemoveLongFilter, Stemmer, StopWordFilter, TextAnalyzer, Token,
    TokenStream, Tokenizer,
};
use tantivy::{Index, IndexReader, ReloadPolicy, TantivyDocument, Term};

/// Distinct query terms used at most.
pub const MAX_QUERY_TERMS: usize = 64;

const TOKENIZER: &str = "daogou";

/// A product field searched by the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum KeywordField {
    /// Product title (weight 2).
    Title,
    /// Description (weight 1).
    Description,
    /// Brand (weight 1.5).
    Brand,
    /// Category (weight 1).
    Category,
}

impl KeywordField {
    /// Every field, in the order of [`FieldScores`].
    pub const ALL: [KeywordField; 4] = [
        KeywordField::Title,
        KeywordField::Description,
        KeywordField::Brand,
        KeywordField::Category,
    ];

    /// The field's weight in the summed score.
    pub fn boost(self) -> f32 {
        match self {
            KeywordField::Title => 2.0,
            KeywordField::Brand => 1.5,
            KeywordField::Description | KeywordField::Category => 1.0,
        }
    }

    /// The field's number in stored postings (its place in [`KeywordField::ALL`]).
    pub fn code(self) -> i16 {
        self as i16
    }

    /// The field numbered `code` by [`code`](Self::code).
    pub fn from_code(code: i16) -> Option<Self> {
        usize::try_from(code)
            .ok()
            .and_then(|i| Self::ALL.get(i).copied())
    }

    fn text(self, product: &Product) -> &str {
        match self {
            KeywordField::Title => &product.title,
            KeywordField::Description => &product.description,
            KeywordField::Brand => product.brand.as_deref().unwrap_or(""),
            KeywordField::Category => product.category.as_deref().unwrap_or(""),
        }
    }
}

/// BM25 of a query in each field of one product, unweighted, in [`KeywordField::ALL`]
/// order.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct FieldScores(pub [f32; 4]);

impl FieldScores {
    /// The score in `field`.
    pub fn get(&self, field: KeywordField) -> f32 {
        self.0[field as usize]
    }

    /// The fields' scores weighted by their boosts and summed: the product's BM25 score.
    pub fn total(&self) -> f32 {
        KeywordField::ALL
            .iter()
            .map(|&f| f.boost() * self.get(f))
            .sum()
    }

    /// Adds `other` field by field.
    pub fn add(&mut self, other: &FieldScores) {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a += b;
        }
    }
}

/// One analysed term of a text and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnalyzedTerm {
    /// The indexed form (lower-cased, stemmed).
    pub term: String,
    /// Bytes of the original text that produced it.
    pub span: Span,
}

/// A query term found in a hit.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MatchedTerm {
    /// The indexed form of the term.
    pub term: String,
    /// Where the term occurs in the query.
    pub query_spans: Vec<Span>,
    /// Fields of the product that contain it.
    pub fields: Vec<KeywordField>,
}

/// One search result.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct KeywordHit {
    /// Position of the product in the slice the index was built from.
    pub index: usize,
    /// Product id.
    pub id: String,
    /// BM25 score (higher is better).
    pub score: f32,
    /// Query terms present in the product, in query order.
    pub matched: Vec<MatchedTerm>,
}

/// Keyword search errors (tantivy failures; bad queries are not errors).
#[derive(Debug, thiserror::Error)]
#[error("keyword index: {0}")]
pub struct KeywordError(#[from] tantivy::TantivyError);

/// In-RAM BM25 index of a product list.
pub struct KeywordIndex {
    reader: IndexReader,
    fields: [(KeywordField, Field); 4],
    ord: Field,
    analyzer: TextAnalyzer,
    products: Vec<Product>,
    /// The whole catalog's statistics, when this index holds only part of it.
    stats: Option<KeywordStats>,
}

impl KeywordIndex {
    /// Indexes `products`; hits refer to them by position.
    pub fn build(products: &[Product]) -> Result<Self, KeywordError> {
        Self::build_with(products, None)
    }

    /// Indexes `products`, a part of a larger catalog, scoring them with that catalog's
    /// `stats`: each product then gets the BM25 scores an index of the whole catalog
    /// gives it. Only the terms `stats` knows can be searched.
    pub fn part_of(products: &[Product], stats: KeywordStats) -> Result<Self, KeywordError> {
        Self::build_with(products, Some(stats))
    }

    fn build_with(products: &[Product], stats: Option<KeywordStats>) -> Result<Self, KeywordError> {
        let mut builder = Schema::builder();
        let text_options = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(TOKENIZER)
                .set_index_option(IndexRecordOption::WithFreqs),
        );
        let fields = KeywordField::ALL.map(|f| {
            let name = format!("{f:?}").to_lowercase();
            (f, builder.add_text_field(&name, text_options.clone()))
        });
        let ord = builder.add_u64_field("ord", FAST);
        let index = Index::create_in_ram(builder.build());
        let analyzer = analyzer();
        index.tokenizers().register(TOKENIZER, analyzer.clone());

        let mut writer = index.writer_with_num_threads::<TantivyDocument>(1, 50_000_000)?;
        for (i, product) in products.iter().enumerate() {
            let mut doc = TantivyDocument::default();
            for (kind, field) in &fields {
                doc.add_text(*field, kind.text(product));
            }
            doc.add_u64(ord, u64::try_from(i).unwrap_or(u64::MAX));
            writer.add_document(doc)?;
        }
        writer.commit()?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(KeywordIndex {
            reader,
            fields,
            ord,
            analyzer,
            products: products.to_vec(),
            stats,
        })
    }

    /// The statistics of this index for the analysed `terms` (those of
    /// [`query_terms`]): what [`part_of`](Self::part_of) needs to score a part of this
    /// catalog as this index scores it.
    pub fn stats(&self, terms: &[String]) -> Result<KeywordStats, KeywordError> {
        if let Some(stats) = &self.stats {
            return Ok(stats.clone());
        }
        let searcher = self.reader.searcher();
        let mut tokens = [0; 4];
        for (kind, field) in &self.fields {
            tokens[*kind as usize] = searcher.total_num_tokens(*field)?;
        }
        let mut doc_freq = HashMap::new();
        for term in terms {
            for (kind, field) in &self.fields {
                let df = searcher.doc_freq(&Term::from_field_text(*field, term))?;
                doc_freq.insert((*kind, term.clone()), df);
            }
        }
        Ok(KeywordStats {
            docs: searcher.num_docs(),
            tokens,
            doc_freq,
            title_max: HashMap::new(),
        })
    }

    /// Number of indexed products.
    pub fn len(&self) -> usize {
        self.products.len()
    }

    /// Whether no products are indexed.
    pub fn is_empty(&self) -> bool {
        self.products.is_empty()
    }

    /// The `limit` best BM25 hits for `query` (any text), best first.
    pub fn search(&self, query: &str, limit: usize) -> Result<Vec<KeywordHit>, KeywordError> {
        let terms = QueryTerms::new(&mut self.analyzer.clone(), query);
        let hits = self.top(&terms.order, limit)?;
        Ok(hits
            .into_iter()
            .map(|(index, score)| {
                let product = &self.products[index];
                KeywordHit {
                    index,
                    id: product.id.clone(),
                    score,
                    matched: self.matched_terms(product, &terms.order, &terms.spans),
                }
            })
            .collect())
    }

    /// Every product matching `query` (any text) with its BM25 score in each field, by
    /// product position: [`search`](Self::search) without the matched terms, which cost an
    /// analysis of every hit's text (the recommender asks for every product matching a
    /// word), split by field for rankers that weigh fields themselves.
    pub fn field_scores(&self, query: &str) -> Result<Vec<(usize, FieldScores)>, KeywordError> {
        let terms = QueryTerms::new(&mut self.analyzer.clone(), query);
        self.by_field(&terms.order)
    }

    /// The most title BM25 (unweighted) that `query` gives any product of the catalog,
    /// given its [`field_scores`](Self::field_scores) `hits` here: their maximum, or for
    /// an index over part of a catalog, the whole catalog's maximum as its statistics
    /// carry it.
    pub fn title_max(&self, query: &str, hits: &[(usize, FieldScores)]) -> f64 {
        let here = || {
            hits.iter()
                .map(|(_, s)| f64::from(s.get(KeywordField::Title)))
                .fold(0.0, f64::max)
        };
        match &self.stats {
            Some(stats) => stats.title_max.get(query).copied().unwrap_or_else(here),
            None => here(),
        }
    }

    fn by_field(&self, order: &[String]) -> Result<Vec<(usize, FieldScores)>, KeywordError> {
        let mut scores: BTreeMap<usize, FieldScores> = BTreeMap::new();
        for (f, (kind, _)) in self.fields.iter().enumerate() {
            for (index, score) in self.top_in(order, &[*kind], self.products.len())? {
                scores.entry(index).or_default().0[f] = score / kind.boost();
            }
        }
        Ok(scores.into_iter().collect())
    }

    /// The `limit` best (position, score) pairs for the analysed query terms `order`.
    fn top(&self, order: &[String], limit: usize) -> Result<Vec<(usize, f32)>, KeywordError> {
        self.top_in(order, &KeywordField::ALL, limit)
    }

    /// [`top`](Self::top) over some of the fields only.
    fn top_in(
        &self,
        order: &[String],
        only: &[KeywordField],
        limit: usize,
    ) -> Result<Vec<(usize, f32)>, KeywordError> {
        if order.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let clauses: Vec<(Occur, Box<dyn Query>)> = order
            .iter()
            .flat_map(|term| {
                self.fields
                    .iter()
                    .filter(|(kind, _)| only.contains(kind))
                    .map(move |(kind, field)| {
                        let query = TermQuery::new(
                            Term::from_field_text(*field, term),
                            IndexRecordOption::WithFreqs,
                        );
                        let boosted: Box<dyn Query> =
                            Box::new(BoostQuery::new(Box::new(query), kind.boost()));
                        (Occur::Should, boosted)
                    })
            })
            .collect();
        let searcher = self.reader.searcher();
        let query = BooleanQuery::new(clauses);
        let collector = TopDocs::with_limit(limit).order_by_score();
        let top = match &self.stats {
            Some(stats) => searcher.search_with_statistics_provider(
                &query,
                &collector,
                &StatsProvider {
                    stats,
                    fields: &self.fields,
                },
            )?,
            None => searcher.search(&query, &collector)?,
        };
        let ord_name = searcher.schema().get_field_name(self.ord).to_string();
        // Open each segment's position column once, not once per hit.
        let columns = searcher
            .segment_readers()
            .iter()
            .map(|segment| segment.fast_fields().u64(&ord_name))
            .collect::<Result<Vec<_>, _>>()?;
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top {
            let Some(index) = usize::try_from(address.segment_ord)
                .ok()
                .and_then(|segment| columns.get(segment))
                .and_then(|column| column.first(address.doc_id))
                .and_then(|i| usize::try_from(i).ok())
                .filter(|&i| i < self.products.len())
            else {
                continue;
            };
            hits.push((index, score));
        }
        Ok(hits)
    }

    fn matched_terms(
        &self,
        product: &Product,
        order: &[String],
        spans: &BTreeMap<String, Vec<Span>>,
    ) -> Vec<MatchedTerm> {
        let mut analyzer = self.analyzer.clone();
        let per_field: Vec<(KeywordField, HashSet<String>)> = KeywordField::ALL
            .iter()
            .map(|&f| {
                let terms = analyze_with(&mut analyzer, f.text(product))
                    .into_iter()
                    .map(|t| t.term)
                    .collect();
                (f, terms)
            })
            .collect();
        order
            .iter()
            .filter_map(|term| {
                let fields: Vec<KeywordField> = per_field
                    .iter()
                    .filter(|(_, set)| set.contains(term))
                    .map(|(f, _)| *f)
                    .collect();
                (!fields.is_empty()).then(|| MatchedTerm {
                    term: term.clone(),
                    query_spans: spans.get(term).cloned().unwrap_or_default(),
                    fields,
                })
            })
            .collect()
    }
}

/// The corpus statistics BM25 reads, for some terms: an index over part of a catalog
/// scores with the whole catalog's ([`KeywordIndex::part_of`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KeywordStats {
    /// Products in the catalog.
    pub docs: u64,
    /// Tokens indexed in each field over all products, in [`KeywordField::ALL`] order.
    pub tokens: [u64; 4],
    /// Products whose field holds the term, for the terms searched.
    pub doc_freq: HashMap<(KeywordField, String), u64>,
    /// For query texts: the most title BM25 the text gives any product of the catalog
    /// ([`KeywordIndex::title_max`]).
    pub title_max: HashMap<String, f64>,
}

/// [`KeywordStats`] as tantivy asks for them.
struct StatsProvider<'a> {
    stats: &'a KeywordStats,
    fields: &'a [(KeywordField, Field); 4],
}

impl StatsProvider<'_> {
    fn kind(&self, field: Field) -> tantivy::Result<KeywordField> {
        self.fields
            .iter()
            .find(|(_, f)| *f == field)
            .map(|(kind, _)| *kind)
            .ok_or_else(|| tantivy::TantivyError::InvalidArgument(format!("{field:?}")))
    }
}

impl Bm25StatisticsProvider for StatsProvider<'_> {
    fn total_num_tokens(&self, field: Field) -> tantivy::Result<u64> {
        Ok(self.stats.tokens[self.kind(field)? as usize])
    }

    fn total_num_docs(&self) -> tantivy::Result<u64> {
        Ok(self.stats.docs)
    }

    fn doc_freq(&self, term: &Term) -> tantivy::Result<u64> {
        let kind = self.kind(term.field())?;
        let value = term.value();
        let text = value.as_str().unwrap_or_default();
        self.stats
            .doc_freq
            .get(&(kind, text.to_string()))
            .copied()
            .ok_or_else(|| {
                tantivy::TantivyError::InvalidArgument(format!(
                    "no catalog statistics for the term {text:?}"
                ))
            })
    }
}

/// BM25's term-frequency saturation (tantivy's).
pub const BM25_K1: f64 = 1.2;
/// BM25's length normalisation (tantivy's).
pub const BM25_B: f64 = 0.75;

/// BM25's inverse document frequency of a term in `doc_freq` of `docs` products, as
/// tantivy computes it.
pub fn idf(doc_freq: u64, docs: u64) -> f64 {
    let x = (docs.saturating_sub(doc_freq) as f64 + 0.5) / (doc_freq as f64 + 0.5);
    (1.0 + x).ln()
}

/// What one field of a product adds to a catalog's keyword statistics: its terms with
/// their frequencies, and its length in tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldTerms {
    /// The field.
    pub field: KeywordField,
    /// Distinct analysed terms and how often each occurs.
    pub terms: Vec<(String, u32)>,
    /// Tokens the index counts for the field (its BM25 length).
    pub tokens: u32,
}

impl FieldTerms {
    /// The length BM25 scores with: [`tokens`](Self::tokens) as the index stores it, in
    /// one byte (exact up to 40 tokens, coarser beyond).
    pub fn scored_length(&self) -> u32 {
        FieldNormReader::id_to_fieldnorm(FieldNormReader::fieldnorm_to_id(self.tokens))
    }
}

/// Every field of `product` analysed as the index analyses it.
pub fn product_terms(product: &Product) -> Vec<FieldTerms> {
    KeywordField::ALL
        .iter()
        .map(|&field| {
            let analyzed = analyze(field.text(product));
            let mut counts: BTreeMap<String, u32> = BTreeMap::new();
            for t in &analyzed {
                *counts.entry(t.term.clone()).or_default() += 1;
            }
            FieldTerms {
                field,
                terms: counts.into_iter().collect(),
                tokens: u32::try_from(analyzed.len()).unwrap_or(u32::MAX),
            }
        })
        .collect()
}

/// The distinct analysed terms of `query` that the index searches, in order (the first
/// [`MAX_QUERY_TERMS`]).
pub fn query_terms(query: &str) -> Vec<String> {
    with_analyzer(|a| QueryTerms::new(a, query).order)
}

/// The distinct analysed terms of a query (the first [`MAX_QUERY_TERMS`]), in order, and
/// where each occurs in the query.
struct QueryTerms {
    order: Vec<String>,
    spans: BTreeMap<String, Vec<Span>>,
}

impl QueryTerms {
    fn new(analyzer: &mut TextAnalyzer, query: &str) -> Self {
        let mut spans: BTreeMap<String, Vec<Span>> = BTreeMap::new();
        let mut order: Vec<String> = Vec::new();
        for t in analyze_with(analyzer, query) {
            if !spans.contains_key(&t.term) {
                if order.len() == MAX_QUERY_TERMS {
                    continue;
                }
                order.push(t.term.clone());
            }
            spans.entry(t.term).or_default().push(t.span);
        }
        Self { order, spans }
    }
}

/// The analysis used for indexing and queries (see the module docs).
pub fn analyze(text: &str) -> Vec<AnalyzedTerm> {
    with_analyzer(|a| analyze_with(a, text))
}

/// Runs `job` with this thread's analyzer.
fn with_analyzer<T>(job: impl FnOnce(&mut TextAnalyzer) -> T) -> T {
    thread_local! {
        // Building the analyzer (its stop-word set, its stemmer) costs more than analysing
        // a title, and rankers analyse hundreds of titles per request.
        static ANALYZER: std::cell::RefCell<TextAnalyzer> = std::cell::RefCell::new(analyzer());
    }
    ANALYZER.with(|a| job(&mut a.borrow_mut()))
}

fn analyze_with(analyzer: &mut TextAnalyzer, text: &str) -> Vec<AnalyzedTerm> {
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        let token = stream.token();
        out.push(AnalyzedTerm {
            term: token.text.clone(),
            span: Span::new(token.offset_from, token.offset_to),
        });
    }
    out
}

fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(CjkAwareTokenizer)
        .filter(RemoveLongFilter::limit(64))
        .filter(LowerCaser)
        .filter(StopWordFilter::remove(
            STOP_EN
                .iter()
                .chain(STOP_EN_REQUESTS.iter())
                .map(|s| s.to_string()),
        ))
        .filter(Stemmer::new(Language::English))
        .build()
}

/// Splits words on anything that is not a letter or digit, and CJK runs into their search
/// words.
#[derive(Clone, Default)]
struct CjkAwareTokenizer;

struct QueuedTokens {
    queue: VecDeque<Token>,
    current: Token,
}

impl Tokenizer for CjkAwareTokenizer {
    type TokenStream<'a> = QueuedTokens;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> QueuedTokens {
        QueuedTokens {
            queue: split(text).into(),
            current: Token::default(),
        }
    }
}

impl TokenStream for QueuedTokens {
    fn advance(&mut self) -> bool {
        match self.queue.pop_front() {
            Some(token) => {
                self.current = token;
                true
            }
            None => false,
        }
    }

    fn token(&self) -> &Token {
        &self.current
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.current
    }
}

fn split(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut word: Option<usize> = None;
    let mut cjk: Option<usize> = None;
    for (offset, c) in text.char_indices() {
        if is_cjk(c) {
            flush_word(text, &mut word, offset, &mut tokens);
            cjk.get_or_insert(offset);
        } else if c.is_alphanumeric() {
            flush_cjk(text, &mut cjk, offset, &mut tokens);
            word.get_or_insert(offset);
        } else {
            flush_word(text, &mut word, offset, &mut tokens);
            flush_cjk(text, &mut cjk, offset, &mut tokens);
        }
    }
    flush_word(text, &mut word, text.len(), &mut tokens);
    flush_cjk(text, &mut cjk, text.len(), &mut tokens);
    tokens
}

fn push(tokens: &mut Vec<Token>, text: &str, from: usize, to: usize) {
    tokens.push(Token {
        offset_from: from,
        offset_to: to,
        position: tokens.len(),
        text: text.to_string(),
        position_length: 1,
    });
}

fn flush_word(text: &str, word: &mut Option<usize>, end: usize, tokens: &mut Vec<Token>) {
    if let Some(start) = word.take() {
        if let Some(w) = text.get(start..end) {
            push(tokens, w, start, end);
        }
    }
}

fn flush_cjk(text: &str, run: &mut Option<usize>, end: usize, tokens: &mut Vec<Token>) {
    let Some(start) = run.take() else {
        return;
    };
    let Some(cjk) = text.get(start..end) else {
        return;
    };
    for word in segment::search_words(cjk) {
        if let Some(w) = cjk.get(word.clone()) {
            push(tokens, w, start + word.start, start + word.end);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(text: &str) -> Vec<String> {
        analyze(text).into_iter().map(|t| t.term).collect()
    }

    #[test]
    fn words_are_lowercased_stemmed_and_stop_words_dropped() {
        assert_eq!(
            terms("The Waterproof JACKETS for hiking"),
            ["waterproof", "jacket", "hike"]
        );
    }

    #[test]
    fn cjk_runs_become_search_words_with_spans() {
        let text = "送女朋友生日礼物abc";
        let analyzed = analyze(text);
        for t in &analyzed {
            assert_eq!(t.span.slice(text), Some(t.term.as_str()));
        }
        let got: Vec<&str> = analyzed.iter().map(|t| t.term.as_str()).collect();
        for term in ["送", "女朋友", "朋友", "生日", "礼物", "生日礼物", "abc"] {
            assert!(got.contains(&term), "{got:?} lacks {term}");
        }
        assert!(!got.contains(&"日礼"), "no bigrams across words: {got:?}");
        // Stop words go: 的 and 给 are function words.
        assert_eq!(terms("给妈妈的礼物"), ["妈妈", "礼物"]);
    }
}
