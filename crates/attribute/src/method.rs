//! The attribution methods by the one name every layer uses: Rust, JSON, the OpenAPI
//! document, the CLI and the page.

use serde::{Deserialize, Serialize};

/// An attribution method of text features.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Shapley values: exact when affordable, Kernel SHAP beyond ([`daogou_explain::Auto`]).
    Shap,
    /// Exact Shapley values (2^M evaluations).
    ExactShapley,
    /// Kernel SHAP.
    KernelShap,
    /// Permutation-sampling Shapley values.
    PermutationShap,
    /// LIME.
    Lime,
    /// Leave-one-out.
    Occlusion,
    /// Integrated Gradients on the word embeddings.
    #[serde(rename = "ig", alias = "integrated_gradients")]
    Ig,
    /// Attention rollout from `[CLS]`, summed over each word's tokens.
    Attention,
}

impl Method {
    /// The methods a shopper-facing explanation offers.
    pub const OFFERED: [Method; 5] = [
        Method::Shap,
        Method::Lime,
        Method::Occlusion,
        Method::Ig,
        Method::Attention,
    ];

    /// The methods under evaluation, exact Shapley first.
    pub const EVALUATED: [Method; 7] = [
        Method::ExactShapley,
        Method::KernelShap,
        Method::PermutationShap,
        Method::Lime,
        Method::Occlusion,
        Method::Ig,
        Method::Attention,
    ];

    /// The evaluated methods whose result depends on a seed (`Shap` too, when it falls
    /// back to Kernel SHAP).
    pub const SAMPLED: [Method; 3] = [Method::KernelShap, Method::PermutationShap, Method::Lime];

    /// The methods scored against human rationales (exact and sampled Shapley values are
    /// out of reach for documents of hundreds of words).
    pub const DOCUMENT: [Method; 4] = [
        Method::Ig,
        Method::Attention,
        Method::Lime,
        Method::Occlusion,
    ];

    /// The name requests, the CLI and the page use (its JSON value).
    pub fn api_name(self) -> &'static str {
        match self {
            Method::Ig => "ig",
            other => other.name(),
        }
    }

    /// The name an explanation by this method carries in
    /// [`daogou_explain::Explanation::method`] (`Shap` carries the method it settled on).
    pub fn name(self) -> &'static str {
        match self {
            Method::Shap => "shap",
            Method::ExactShapley => "exact_shapley",
            Method::KernelShap => "kernel_shap",
            Method::PermutationShap => "permutation_shap",
            Method::Lime => "lime",
            Method::Occlusion => "occlusion",
            Method::Ig => "integrated_gradients",
            Method::Attention => "attention",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Method;

    #[test]
    fn json_names_are_snake_case_and_ig_takes_both_spellings() {
        let json = serde_json::to_string(&Method::OFFERED).unwrap();
        assert_eq!(json, r#"["shap","lime","occlusion","ig","attention"]"#);
        let ig: Method = serde_json::from_str(r#""integrated_gradients""#).unwrap();
        assert_eq!(ig, Method::Ig);
        assert!(serde_json::from_str::<Method>(r#""magic""#).is_err());
        for method in Method::EVALUATED.into_iter().chain(Method::OFFERED) {
            let json = serde_json::to_value(method).unwrap();
            assert_eq!(json, method.api_name(), "{method:?}");
        }
    }
}
