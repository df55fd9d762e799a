//! How big an evaluation is and how each method is configured, with three presets.

use daogou_attribute::EmbeddingBaseline;
use daogou_explain::{KernelShap, MaskingStrategy};
use serde::{Deserialize, Serialize};

/// How a removed word appears in a perturbed text: the removal operator of every
/// mask-based method and of the faithfulness metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Masking {
    /// The word is dropped (the default).
    #[default]
    Delete,
    /// The word is replaced by `[MASK]`.
    Mask,
}

impl Masking {
    /// The strategy perturbed texts are rendered with.
    pub fn strategy(self) -> MaskingStrategy {
        match self {
            Masking::Delete => MaskingStrategy::Delete,
            Masking::Mask => MaskingStrategy::Replace("[MASK]".to_string()),
        }
    }

    /// The Integrated Gradients baseline that matches: `[PAD]` embeddings for deletion,
    /// `[MASK]` embeddings for replacement.
    pub fn ig_baseline(self) -> EmbeddingBaseline {
        match self {
            Masking::Delete => EmbeddingBaseline::Pad,
            Masking::Mask => EmbeddingBaseline::Mask,
        }
    }

    /// A phrase for reports.
    pub fn describe(self) -> &'static str {
        match self {
            Masking::Delete => "removed words are deleted",
            Masking::Mask => "removed words are replaced by [MASK]",
        }
    }
}

/// Parameters of the explanation methods.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MethodSettings {
    /// Kernel SHAP's budget is its minimum (2 + min(2M, 2^M − 2)) plus this many
    /// evaluations per feature, so it samples instead of enumerating once 2^M exceeds it.
    pub kernel_evals_per_feature: usize,
    /// Antithetic permutation pairs of permutation Shapley.
    pub permutation_pairs: usize,
    /// LIME's perturbed samples.
    pub lime_samples: usize,
    /// Integrated Gradients' quadrature points.
    pub ig_steps: usize,
}

impl MethodSettings {
    /// Kernel SHAP's evaluation budget for M features.
    pub fn kernel_budget(&self, num_features: usize) -> usize {
        KernelShap::min_budget(num_features) + self.kernel_evals_per_feature * num_features
    }
}

impl Default for MethodSettings {
    fn default() -> Self {
        Self {
            kernel_evals_per_feature: 2,
            permutation_pairs: 10,
            lime_samples: 500,
            ig_steps: 50,
        }
    }
}

/// Size and configuration of an evaluation. Counts of 0 skip a part.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalSettings {
    /// Removal operator.
    pub masking: Masking,
    /// Built-in shopping requests explained against their top product (at most 20).
    pub requests: usize,
    /// SST test sentences explained under the sentiment head.
    pub sentences: usize,
    /// Shortest and longest sentence in words (exact Shapley needs 2^M evaluations).
    pub sentence_words: (usize, usize),
    /// SST training sentences for the head (`None`: all).
    pub sst_train: Option<usize>,
    /// SST test sentences the head's accuracy is measured on (`None`: all).
    pub sst_test: Option<usize>,
    /// ERASER test documents for plausibility.
    pub plausibility_docs: usize,
    /// ERASER test documents for the head's accuracy (`None`: all).
    pub eraser_accuracy_docs: Option<usize>,
    /// Tokens a document is cut to, special tokens included (`None`: the model's limit).
    pub doc_tokens: Option<usize>,
    /// Seeds per sampled method for stability (seed 0 is the reported run).
    pub seeds: usize,
    /// Random orders in the faithfulness baseline, and random draws per document in the
    /// plausibility baseline.
    pub random_baselines: usize,
    /// Methods on requests and sentences.
    pub methods: MethodSettings,
    /// Methods on documents (hundreds of words: fewer LIME samples and IG steps).
    pub document_methods: MethodSettings,
    /// Compare the three rankers on the relevance judgements.
    pub ranking: bool,
    /// Chinese ranking, scene accuracy and aspect extraction.
    pub chinese: bool,
}

impl EvalSettings {
    /// The default run: a few minutes on two cores.
    pub fn standard() -> Self {
        Self {
            masking: Masking::Delete,
            requests: 20,
            sentences: 20,
            sentence_words: (5, 9),
            sst_train: Some(2000),
            sst_test: Some(400),
            plausibility_docs: 2,
            eraser_accuracy_docs: None,
            doc_tokens: None,
            seeds: 5,
            random_baselines: 10,
            methods: MethodSettings {
                ig_steps: 32,
                ..MethodSettings::default()
            },
            document_methods: MethodSettings {
                lime_samples: 200,
                ig_steps: 16,
                ..MethodSettings::default()
            },
            ranking: true,
            chinese: true,
        }
    }

    /// About a minute on two cores: fewer texts, one review cut to 128 tokens, fewer
    /// samples and Integrated Gradients steps.
    pub fn quick() -> Self {
        Self {
            requests: 6,
            sentences: 6,
            sentence_words: (5, 8),
            sst_train: Some(600),
            sst_test: Some(150),
            plausibility_docs: 1,
            eraser_accuracy_docs: Some(40),
            doc_tokens: Some(128),
            methods: MethodSettings {
                ig_steps: 16,
                ..MethodSettings::default()
            },
            document_methods: MethodSettings {
                lime_samples: 150,
                ig_steps: 8,
                ..MethodSettings::default()
            },
            ..Self::standard()
        }
    }

    /// Larger samples at the methods' usual settings (tens of minutes).
    pub fn full() -> Self {
        Self {
            sentences: 100,
            sentence_words: (5, 12),
            sst_train: None,
            sst_test: None,
            plausibility_docs: 20,
            methods: MethodSettings::default(),
            document_methods: MethodSettings {
                lime_samples: 300,
                ig_steps: 32,
                ..MethodSettings::default()
            },
            ..Self::standard()
        }
    }
}

impl Default for EvalSettings {
    fn default() -> Self {
        Self::standard()
    }
}
