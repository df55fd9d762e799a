//! The differentiable path: same numbers as the fast path, and gradients that reach the
//! input embeddings and agree with finite differences.

use crate::common;

use candle_core::{Tensor, Var};
use common::{encoder, max_abs_diff};

fn similarity_to_target(word_embeds: &Tensor, target: &Tensor, text: &str) -> Tensor {
    let enc = encoder().tokenizer().encode(text).expect("encode");
    let batch = encoder()
        .tokenizer()
        .batch(&[&enc], word_embeds.device())
        .expect("batch");
    let emb = encoder()
        .embed_from_word_embeddings(word_embeds, &batch.token_type_ids, &batch.attention_mask)
        .expect("forward");
    emb.broadcast_mul(target)
        .expect("mul")
        .sum_all()
        .expect("sum")
}

#[test]
fn differentiable_path_matches_fast_path_and_finite_differences() {
    let text = "waterproof hiking jacket";
    let target_text = "rain jacket for trekking";
    let target = Tensor::new(
        encoder().embed(&[target_text]).expect("embed")[0].as_slice(),
        &candle_core::Device::Cpu,
    )
    .expect("tensor")
    .unsqueeze(0)
    .expect("unsqueeze");
    let enc = encoder().tokenizer().encode(text).expect("encode");
    let batch = encoder()
        .tokenizer()
        .batch(&[&enc], &candle_core::Device::Cpu)
        .expect("batch");
    let embeds = encoder()
        .model()
        .word_embeddings(&batch.input_ids)
        .expect("lookup");

    // Same sentence embedding on both paths.
    let slow = encoder()
        .embed_from_word_embeddings(&embeds, &batch.token_type_ids, &batch.attention_mask)
        .expect("slow")
        .squeeze(0)
        .expect("squeeze")
        .to_vec1::<f32>()
        .expect("vec");
    let fast = &encoder().embed(&[text]).expect("fast")[0];
    assert!(max_abs_diff(&slow, fast) < 1e-5);

    // Gradient with respect to the word embeddings.
    let var = Var::from_tensor(&embeds).expect("var");
    let score = similarity_to_target(var.as_tensor(), &target, text);
    let grads = score.backward().expect("backward");
    let grad = grads
        .get(var.as_tensor())
        .expect("the input receives a gradient");
    let grad = grad
        .flatten_all()
        .expect("flat")
        .to_vec1::<f32>()
        .expect("vec");
    let norm: f32 = grad.iter().map(|g| g * g).sum::<f32>().sqrt();
    assert!(norm > 1e-4, "gradient is not zero (norm {norm})");

    // Central finite differences on the largest gradient coordinates (f64 step in f32 model).
    let base = embeds
        .flatten_all()
        .expect("flat")
        .to_vec1::<f32>()
        .expect("vec");
    let mut order: Vec<usize> = (0..grad.len()).collect();
    order.sort_by(|&a, &b| grad[b].abs().total_cmp(&grad[a].abs()));
    let h = 1e-2f32;
    for &i in order.iter().take(5) {
        let eval = |delta: f32| {
            let mut x = base.clone();
            x[i] += delta;
            let t = Tensor::from_vec(x, embeds.dims(), &candle_core::Device::Cpu).expect("tensor");
            similarity_to_target(&t, &target, text)
                .to_scalar::<f32>()
                .expect("scalar")
        };
        let numeric = (eval(h) - eval(-h)) / (2.0 * h);
        let rel = (numeric - grad[i]).abs() / grad[i].abs();
        assert!(
            rel < 0.05,
            "coordinate {i}: analytic {} vs numeric {numeric}",
            grad[i]
        );
    }
}
