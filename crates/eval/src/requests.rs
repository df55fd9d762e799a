//! Built-in evaluation inputs: shopping requests for the demo catalog, their relevance
//! judgements, and a small synonym table for the perturbation test.

use daogou_explain::TextFeatures;
use serde::Serialize;

/// Shopping requests explained against their top product. The first three are the
/// golden queries of `shared/golden/minilm.json` (`exact_shapley`); the judgements in
/// [`DEMO_QRELS_TSV`] cover all twenty.
pub const REQUESTS: [&str; 20] = [
    "waterproof hiking jacket under 100 dollars",
    "gift for mom who loves gardening",
    "cheap wireless headphones for running",
    "comfortable chair for long days at my desk",
    "help my baby sleep through the night",
    "birthday party decorations for a kid",
    "healthy breakfast for busy mornings",
    "yoga gear for a beginner",
    "durable toys for a dog that chews everything",
    "cozy blanket for cold winter evenings",
    "gentle skincare for dry sensitive skin",
    "gift for a coffee lover",
    "camping gear for a family weekend",
    "keep my cat entertained while I work",
    "quiet headphones for a noisy office",
    "romantic anniversary gift for my wife",
    "easy one pot dinners for busy weeknights",
    "cleaner air in a small bedroom",
    "stylish rain gear for city commuting",
    "home workout equipment for a small apartment",
];

/// How many of [`REQUESTS`] are golden queries.
pub const GOLDEN_REQUESTS: usize = 3;

/// Graded relevance judgements (0–3) of the demo catalog for [`REQUESTS`], as TSV.
pub const DEMO_QRELS_TSV: &str = include_str!("../data/demo_qrels.tsv");

/// Meaning-preserving one-word substitutions (lower case) for the perturbation test.
const SYNONYMS: &[(&str, &str)] = &[
    ("jacket", "coat"),
    ("gift", "present"),
    ("cheap", "inexpensive"),
    ("headphones", "earphones"),
    ("comfortable", "comfy"),
    ("baby", "infant"),
    ("kid", "child"),
    ("healthy", "nutritious"),
    ("gear", "equipment"),
    ("equipment", "gear"),
    ("durable", "sturdy"),
    ("cozy", "snug"),
    ("gentle", "mild"),
    ("cat", "kitten"),
    ("quiet", "silent"),
    ("easy", "simple"),
    ("small", "little"),
    ("stylish", "fashionable"),
    ("film", "movie"),
    ("movie", "film"),
    ("films", "movies"),
    ("movies", "films"),
    ("funny", "amusing"),
    ("great", "excellent"),
    ("good", "decent"),
    ("bad", "poor"),
    ("boring", "dull"),
    ("dull", "boring"),
    ("beautiful", "lovely"),
    ("terrible", "awful"),
    ("best", "finest"),
    ("fun", "enjoyable"),
    ("smart", "clever"),
    ("story", "tale"),
    ("wonderful", "marvelous"),
    ("brilliant", "superb"),
    ("big", "large"),
    ("little", "small"),
    ("hard", "difficult"),
    ("very", "really"),
    ("interesting", "intriguing"),
    ("fascinating", "captivating"),
    ("entertaining", "amusing"),
    ("enjoyable", "pleasant"),
    ("strong", "powerful"),
    ("performance", "portrayal"),
    ("hilarious", "hysterical"),
    ("gem", "treasure"),
    ("entertainment", "amusement"),
    ("melodramatic", "overwrought"),
    ("effective", "successful"),
    ("intelligent", "smart"),
    ("original", "inventive"),
    ("script", "screenplay"),
    ("new", "fresh"),
    ("sometimes", "occasionally"),
    ("occasionally", "sometimes"),
    ("clever", "smart"),
    ("portrait", "depiction"),
    ("touching", "moving"),
    ("moving", "touching"),
    ("effort", "attempt"),
    ("compelling", "gripping"),
    ("excellent", "superb"),
    ("comic", "funny"),
    ("mess", "shambles"),
    ("silly", "foolish"),
    ("mediocre", "ordinary"),
    ("plot", "storyline"),
    ("offers", "provides"),
    ("rare", "uncommon"),
    ("masterpiece", "classic"),
    ("extremely", "exceedingly"),
    ("engaging", "absorbing"),
    ("spectacular", "stunning"),
    ("eccentric", "quirky"),
    ("slow", "sluggish"),
    ("ridiculous", "absurd"),
    ("noisy", "loud"),
    ("fairly", "quite"),
    ("quite", "fairly"),
    ("energetic", "lively"),
    ("also", "too"),
];

/// One word of a text replaced by a synonym.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Substitution {
    /// Word position (feature index).
    pub position: usize,
    /// The original word.
    pub from: String,
    /// Its replacement.
    pub to: String,
    /// The perturbed text (words joined by single spaces).
    pub text: String,
}

/// Replaces the first word of `text` found in the synonym table (case-insensitive; a
/// capitalised word stays capitalised). `None` when no word is in the table.
pub fn substitute_synonym(text: &str) -> Option<Substitution> {
    let features = TextFeatures::new(text);
    let mut words = features.feature_names();
    let (position, to) = words.iter().enumerate().find_map(|(i, w)| {
        let lower = w.to_lowercase();
        let (_, to) = SYNONYMS.iter().find(|(from, _)| *from == lower)?;
        let capitalised = w.chars().next().is_some_and(char::is_uppercase);
        Some((
            i,
            if capitalised {
                capitalise(to)
            } else {
                to.to_string()
            },
        ))
    })?;
    let from = std::mem::replace(&mut words[position], to.clone());
    Some(Substitution {
        position,
        from,
        to,
        text: words.join(" "),
    })
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_known_word_is_replaced_in_place() {
        let s = substitute_synonym("A very funny  movie .").expect("substitution");
        assert_eq!(
            (s.position, s.from.as_str(), s.to.as_str()),
            (1, "very", "really")
        );
        assert_eq!(s.text, "A really funny movie .");
        let s = substitute_synonym("Funny stuff").expect("substitution");
        assert_eq!(s.text, "Amusing stuff");
        assert!(substitute_synonym("nothing to see here").is_none());
    }

    #[test]
    fn every_request_has_a_synonym_and_fits_exact_shapley() {
        for request in REQUESTS {
            let words = TextFeatures::new(request).num_features();
            assert!((5..=9).contains(&words), "{request}: {words} words");
            assert!(substitute_synonym(request).is_some(), "{request}");
        }
    }
}
