//! The shopper's language and what daogou says in it.
//!
//! Every sentence a shopper reads comes from one message table per language,
//! `data/messages/<tag>.json` (`en`, `zh-CN`): templates with `{name}` placeholders, how
//! lists and clauses are joined, and category names. The guide reads the `narration`,
//! `constraints` and `notices` sections; the CLI and the page read their own sections of
//! the same file ([`Language::table_json`]).

use std::collections::BTreeMap;
use std::sync::LazyLock;

use daogou_catalog::{has_cjk, Currency, Price};
use serde::{Deserialize, Serialize};

/// A language daogou answers in.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, utoipa::ToSchema,
)]
pub enum Language {
    /// English (`en`).
    #[default]
    #[serde(rename = "en")]
    English,
    /// Simplified Chinese (`zh-CN`).
    #[serde(rename = "zh-CN")]
    Chinese,
}

const EN: &str = include_str!("../data/messages/en.json");
const ZH_CN: &str = include_str!("../data/messages/zh-CN.json");

static TABLES: LazyLock<[Messages; 2]> = LazyLock::new(|| {
    // The tables are part of the program; a test parses both.
    [EN, ZH_CN].map(|json| serde_json::from_str(json).expect("built-in message table"))
});

impl Language {
    /// Every language, in table order.
    pub const ALL: [Language; 2] = [Language::English, Language::Chinese];

    /// The language a request is written in: Chinese when it has a CJK character.
    pub fn of_text(text: &str) -> Self {
        if has_cjk(text) {
            Language::Chinese
        } else {
            Language::English
        }
    }

    /// The language of a BCP 47 tag (`zh`, `zh-CN`, `zh-Hans`, `en-GB`, …), if supported.
    pub fn from_tag(tag: &str) -> Option<Self> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "zh" => Some(Language::Chinese),
            "en" => Some(Language::English),
            _ => None,
        }
    }

    /// The supported language an `Accept-Language` header prefers most (highest `q`, then
    /// first), if any.
    pub fn from_accept_language(header: &str) -> Option<Self> {
        let mut best: Option<(f64, Language)> = None;
        for part in header.split(',') {
            let mut fields = part.split(';');
            let Some(language) = fields.next().and_then(Language::from_tag) else {
                continue;
            };
            let q = fields
                .find_map(|f| f.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f64>().ok())
                .unwrap_or(1.0);
            if q > 0.0 && best.is_none_or(|(b, _)| q > b) {
                best = Some((q, language));
            }
        }
        best.map(|(_, language)| language)
    }

    /// The tag of the language's message table.
    pub fn tag(self) -> &'static str {
        match self {
            Language::English => "en",
            Language::Chinese => "zh-CN",
        }
    }

    /// The language's messages.
    pub fn messages(self) -> &'static Messages {
        &TABLES[self as usize]
    }

    /// The whole message table as JSON, sections for the CLI and the page included.
    pub fn table_json(self) -> &'static str {
        match self {
            Language::English => EN,
            Language::Chinese => ZH_CN,
        }
    }

    /// A price as the language writes it: Chinese writes whole yuan without decimals
    /// (¥459, ¥59.90); English keeps two decimals (¥459.00).
    pub fn price(self, price: &Price) -> String {
        if self == Language::Chinese && price.currency == Currency::Cny {
            let cents = (price.amount * 100.0).round();
            if cents % 100.0 == 0.0 {
                return format!("¥{:.0}", cents / 100.0);
            }
        }
        price.to_string()
    }
}

/// One language's message table (the sections the guide reads).
#[derive(Debug, Deserialize)]
pub struct Messages {
    /// The table's language tag.
    pub language: String,
    /// The recommendation sentence.
    pub narration: NarrationMessages,
    /// Constraints as the shopper reads them.
    pub constraints: ConstraintMessages,
    /// Notices with an answer.
    pub notices: NoticeMessages,
    /// Review summaries.
    pub reviews: ReviewMessages,
    /// Display names of catalog categories (a category without one shows as it is).
    pub categories: BTreeMap<String, String>,
}

/// Templates of the recommendation sentence and its claims (see [`crate::narrate`]).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct NarrationMessages {
    pub sentence: String,
    pub full_stop: String,
    pub clause_separator: String,
    pub list_separator: String,
    pub list_last: String,
    pub quote: String,
    pub overall_match: String,
    pub asked_for: String,
    pub ranked_high: String,
    pub feature_semantic: String,
    pub feature_title_words: String,
    pub feature_head_match: String,
    pub feature_description_words: String,
    pub feature_brand_words: String,
    pub feature_category_words: String,
    pub feature_title_covers_all: String,
    pub feature_title_covers_share: String,
    pub feature_exact_phrase: String,
    pub feature_number_matched: String,
    pub feature_numbers_matched: String,
    pub feature_brand_match: String,
    pub field_title: String,
    pub field_description: String,
    pub mentions: String,
    pub within_budget: String,
    pub made_by: String,
    pub review_positive: String,
    pub review_negative: String,
    pub review_divided: String,
    pub review_quote: String,
    pub history: String,
    pub counterfactual: String,
}

/// Templates of constraints ("price ≤ $100.00", "¥300 以内").
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct ConstraintMessages {
    pub max_price: String,
    pub min_price: String,
    pub price_range: String,
    pub cheap: String,
    pub brand: String,
    pub mentions_brand: String,
    pub category: String,
    pub in_usd: String,
}

/// Templates of the notices an answer carries.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct NoticeMessages {
    pub filters_only: String,
    pub no_word_matches: String,
    pub unknown_history: String,
    pub relaxed: String,
    pub all_weak: String,
    pub weak_from: String,
    pub gradient_items: String,
}

/// Templates of review summaries ("battery: positive in 12 of 15 reviews").
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct ReviewMessages {
    pub summary: String,
    pub positive: String,
    pub negative: String,
}

impl Messages {
    /// `items` joined as a list ("a, b and c", "甲、乙和丙").
    pub fn list(&self, items: &[String]) -> String {
        let n = &self.narration;
        match items {
            [] => String::new(),
            [one] => one.clone(),
            [init @ .., last] => format!("{}{}{last}", init.join(&n.list_separator), n.list_last),
        }
    }

    /// `text` in quotation marks.
    pub fn quote(&self, text: &str) -> String {
        fill(&self.narration.quote, &[("text", text)])
    }

    /// The display name of a catalog category.
    pub fn category<'a>(&'a self, name: &'a str) -> &'a str {
        self.categories.get(name).map_or(name, String::as_str)
    }
}

/// `template` with each `{name}` replaced by its value.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = template.to_string();
    for (name, value) in values {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// The `{name}` placeholders of every template in a JSON section, by key.
    fn placeholders(table: &serde_json::Value) -> BTreeMap<String, BTreeSet<String>> {
        let mut out = BTreeMap::new();
        for section in [
            "narration",
            "constraints",
            "notices",
            "reviews",
            "cli",
            "page",
        ] {
            for (key, value) in table[section].as_object().expect("section") {
                let Some(text) = value.as_str() else {
                    continue;
                };
                let names = text
                    .split('{')
                    .skip(1)
                    .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_string()))
                    .collect();
                out.insert(format!("{section}.{key}"), names);
            }
        }
        out
    }

    #[test]
    fn every_table_parses_and_has_the_same_templates_and_placeholders() {
        let tables: Vec<serde_json::Value> = Language::ALL
            .iter()
            .map(|l| serde_json::from_str(l.table_json()).expect("json"))
            .collect();
        for (language, table) in Language::ALL.iter().zip(&tables) {
            assert_eq!(language.messages().language, language.tag());
            assert_eq!(table["language"], language.tag());
        }
        assert_eq!(placeholders(&tables[0]), placeholders(&tables[1]));
        assert!(Language::Chinese
            .messages()
            .categories
            .contains_key("Gifts"));
    }

    #[test]
    fn languages_come_from_text_tags_and_accept_language() {
        assert_eq!(Language::of_text("降噪耳机"), Language::Chinese);
        assert_eq!(Language::of_text("iPhone 15 手机壳"), Language::Chinese);
        assert_eq!(Language::of_text("noise cancelling"), Language::English);
        assert_eq!(Language::from_tag("zh-Hans-CN"), Some(Language::Chinese));
        assert_eq!(Language::from_tag("fr"), None);
        let header = "fr-FR, en;q=0.8, zh-CN;q=0.9";
        assert_eq!(
            Language::from_accept_language(header),
            Some(Language::Chinese)
        );
        assert_eq!(Language::from_accept_language("de, *;q=0.5"), None);
        assert_eq!(
            Language::from_accept_language("zh;q=0, en"),
            Some(Language::English)
        );
    }

    #[test]
    fn yuan_are_written_the_chinese_way_in_chinese() {
        let whole = Price {
            amount: 459.0,
            currency: Currency::Cny,
        };
        let cents = Price {
            amount: 59.9,
            currency: Currency::Cny,
        };
        assert_eq!(Language::Chinese.price(&whole), "¥459");
        assert_eq!(Language::Chinese.price(&cents), "¥59.90");
        assert_eq!(Language::English.price(&whole), "¥459.00");
        assert_eq!(Language::Chinese.price(&Price::usd(89.0)), "$89.00");
        let m = Language::Chinese.messages();
        let words = ["防水".to_string(), "冲锋衣".to_string(), "透气".to_string()];
        assert_eq!(m.list(&words), "防水、冲锋衣和透气");
        assert_eq!(
            Language::English.messages().list(&words[..2]),
            "防水 and 冲锋衣"
        );
    }
}
