//! The attribution methods by the one name every layer uses: Rust, JSON, the OpenAPI
//! document, the CLI, the page, and [`Explanation::method`](crate::Explanation::method).

use std::fmt;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An attribution method. Requests name the method they want; an [`Explanation`](crate::Explanation)
/// names the method that produced it (`Shap` settles on `ExactShapley`, `OwenValues` or `KernelShap`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Shapley values: exact when affordable, Owen values over word groups or Kernel SHAP
    /// beyond ([`Auto`](crate::Auto)).
    Shap,
    /// Exact Shapley values (2^M evaluations).
    ExactShapley,
    /// Kernel SHAP.
    KernelShap,
    /// Owen values over groups of features (exact Shapley values of the grouped game).
    OwenValues,
    /// Permutation-sampling Shapley values.
    PermutationShap,
    /// LIME.
    Lime,
    /// Leave-one-out.
    Occlusion,
    /// Integrated Gradients on the word embeddings (`ig` is accepted too).
    #[serde(alias = "ig")]
    IntegratedGradients,
    /// Gradient × input on the word embeddings.
    GradientXInput,
    /// Attention rollout from `[CLS]`, summed over each word's tokens.
    Attention,
}

impl Method {
    /// Every method, in the order explanations are listed.
    pub const ALL: [Method; 10] = [
        Method::Shap,
        Method::ExactShapley,
        Method::KernelShap,
        Method::OwenValues,
        Method::PermutationShap,
        Method::Lime,
        Method::Occlusion,
        Method::IntegratedGradients,
        Method::GradientXInput,
        Method::Attention,
    ];

    /// The methods a shopper-facing explanation offers.
    pub const OFFERED: [Method; 5] = [
        Method::Shap,
        Method::Lime,
        Method::Occlusion,
        Method::IntegratedGradients,
        Method::Attention,
    ];

    /// The methods under evaluation, exact Shapley first.
    pub const EVALUATED: [Method; 7] = [
        Method::ExactShapley,
        Method::KernelShap,
        Method::PermutationShap,
        Method::Lime,
        Method::Occlusion,
        Method::IntegratedGradients,
        Method::Attention,
    ];

    /// The evaluated methods whose result depends on a seed (`Shap` too, when it falls
    /// back to Kernel SHAP).
    pub const SAMPLED: [Method; 3] = [Method::KernelShap, Method::PermutationShap, Method::Lime];

    /// The methods scored against human rationales (exact and sampled Shapley values are
    /// out of reach for documents of hundreds of words).
    pub const DOCUMENT: [Method; 4] = [
        Method::IntegratedGradients,
        Method::Attention,
        Method::Lime,
        Method::Occlusion,
    ];

    /// Its JSON name.
    pub fn name(self) -> &'static str {
        match self {
            Method::Shap => "shap",
            Method::ExactShapley => "exact_shapley",
            Method::KernelShap => "kernel_shap",
            Method::OwenValues => "owen_values",
            Method::PermutationShap => "permutation_shap",
            Method::Lime => "lime",
            Method::Occlusion => "occlusion",
            Method::IntegratedGradients => "integrated_gradients",
            Method::GradientXInput => "gradient_x_input",
            Method::Attention => "attention",
        }
    }

    /// Whether it estimates Shapley values (any of the Shapley methods).
    pub fn is_shapley(self) -> bool {
        matches!(
            self,
            Method::Shap
                | Method::ExactShapley
                | Method::KernelShap
                | Method::OwenValues
                | Method::PermutationShap
        )
    }

    /// Whether it differentiates the encoder (Integrated Gradients, gradient × input).
    pub fn is_gradient(self) -> bool {
        matches!(self, Method::IntegratedGradients | Method::GradientXInput)
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Compares with a JSON name: `method == "exact_shapley"`.
impl PartialEq<&str> for Method {
    fn eq(&self, name: &&str) -> bool {
        self.name() == *name
    }
}

#[cfg(test)]
mod tests {
    use super::Method;

    #[test]
    fn json_names_are_the_rust_names_and_ig_is_an_alias() {
        let json = serde_json::to_string(&Method::OFFERED).unwrap();
        assert_eq!(
            json,
            r#"["shap","lime","occlusion","integrated_gradients","attention"]"#
        );
        let ig: Method = serde_json::from_str(r#""ig""#).unwrap();
        assert_eq!(ig, Method::IntegratedGradients);
        assert!(serde_json::from_str::<Method>(r#""magic""#).is_err());
        for method in Method::ALL {
            let json = serde_json::to_value(method).unwrap();
            assert_eq!(json, method.name(), "{method:?}");
            assert_eq!(method.to_string(), method.name());
        }
        let mut sorted = Method::ALL;
        sorted.sort();
        assert_eq!(sorted, Method::ALL, "ALL is in explanation order");
    }
}
