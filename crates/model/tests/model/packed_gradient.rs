//! Similarity gradients on the packed pass (what Integrated Gradients runs on the CPU)
//! against candle's autograd on the differentiable path: same scores and gradients.

use candle_core::{Tensor, Var};
use daogou_model::SentenceEncoder;

use crate::common::{e5, encoder, max_abs_diff};

const TEXT: &str = "query: waterproof hiking boots for women, under $80";
const PRODUCTS: &[&str] = &[
    "Trail runner waterproof boot",
    "Women's rain jacket",
    "送女朋友的生日礼物",
];

/// Points between zero embeddings and the text's own, the targets, and the candle path's
/// scores `[points][targets]` and gradients `[targets][points × tokens × hidden]`.
struct Case {
    encoding: daogou_model::Encoding,
    points: Vec<f32>,
    targets: Vec<Vec<f32>>,
    scores: Vec<Vec<f32>>,
    gradients: Vec<Vec<f32>>,
}

fn case(encoder: &SentenceEncoder, points: usize) -> Case {
    let tokenizer = encoder.tokenizer();
    let device = encoder.model().device();
    let encoding = tokenizer.encode(TEXT).expect("encode");
    let batch = tokenizer.batch(&[&encoding], device).expect("batch");
    let input = encoder
        .model()
        .word_embeddings(&batch.input_ids)
        .expect("embeddings")
        .flatten_all()
        .and_then(|t| t.to_vec1::<f32>())
        .expect("to_vec1");
    let points: Vec<f32> = (0..points)
        .flat_map(|p| {
            let alpha = (p + 1) as f32 / points as f32;
            input.iter().map(move |x| alpha * x)
        })
        .collect();
    let targets = encoder.embed(PRODUCTS).expect("targets");
    let (len, dim) = (encoding.len(), encoder.dim());
    let rows = points.len() / (len * dim);
    let embeds =
        Var::from_tensor(&Tensor::from_vec(points.clone(), (rows, len, dim), device).unwrap())
            .unwrap();
    let repeated = tokenizer.batch(&vec![&encoding; rows], device).unwrap();
    let sentence = encoder
        .embed_from_word_embeddings(
            embeds.as_tensor(),
            &repeated.token_type_ids,
            &repeated.attention_mask,
        )
        .expect("differentiable pass");
    let target_tensor = Tensor::from_vec(targets.concat(), (targets.len(), dim), device).unwrap();
    let scores = sentence.matmul(&target_tensor.t().unwrap()).unwrap();
    let gradients = (0..targets.len())
        .map(|t| {
            let store = scores
                .narrow(1, t, 1)
                .unwrap()
                .sum_all()
                .unwrap()
                .backward()
                .unwrap();
            let grad = store.get(embeds.as_tensor()).expect("gradient");
            grad.flatten_all().unwrap().to_vec1::<f32>().unwrap()
        })
        .collect();
    Case {
        encoding,
        points,
        targets,
        scores: scores.to_vec2::<f32>().unwrap(),
        gradients,
    }
}

/// Largest score difference and largest gradient difference relative to the largest
/// gradient, packed pass against candle's autograd.
fn packed_vs_autograd(encoder: &SentenceEncoder, points: usize) -> (f32, f32) {
    let case = case(encoder, points);
    let targets: Vec<&[f32]> = case.targets.iter().map(Vec::as_slice).collect();
    let packed = encoder
        .similarity_gradients(&case.encoding, &case.points, &targets)
        .expect("packed gradients");
    assert_eq!(packed.scores.len(), points);
    assert_eq!(packed.gradients.len(), targets.len());
    let score_error = packed
        .scores
        .iter()
        .zip(&case.scores)
        .map(|(a, b)| max_abs_diff(a, b))
        .fold(0.0, f32::max);
    let mut gradient_error = 0.0f32;
    for (got, want) in packed.gradients.iter().zip(&case.gradients) {
        assert_eq!(got.len(), want.len());
        let scale = want.iter().fold(0.0f32, |m, g| m.max(g.abs()));
        assert!(scale > 0.0, "the reference gradient is not all zeros");
        gradient_error = gradient_error.max(max_abs_diff(got, want) / scale);
    }
    (score_error, gradient_error)
}

#[test]
fn packed_gradients_match_candles_autograd_for_minilm() {
    // 48 points of 15 tokens: more than one block, so the blocks' parts are reassembled.
    let (scores, gradients) = packed_vs_autograd(encoder(), 48);
    assert!(scores < 1e-5, "scores differ by {scores}");
    assert!(
        gradients < 1e-3,
        "gradients differ by {gradients} of the largest"
    );
}

#[test]
fn packed_gradients_match_candles_autograd_for_e5() {
    let (scores, gradients) = packed_vs_autograd(e5(), 6);
    assert!(scores < 1e-5, "scores differ by {scores}");
    assert!(
        gradients < 1e-3,
        "gradients differ by {gradients} of the largest"
    );
}

#[test]
fn packed_gradients_refuse_malformed_input() {
    let encoder = encoder();
    let encoding = encoder.tokenizer().encode("red shoes").expect("encode");
    let target = vec![0.0f32; encoder.dim()];
    let short = vec![0.0f32; encoding.len() * encoder.dim() - 1];
    assert!(encoder
        .similarity_gradients(&encoding, &short, &[&target])
        .is_err());
    let points = vec![0.0f32; encoding.len() * encoder.dim()];
    assert!(encoder
        .similarity_gradients(&encoding, &points, &[&target[1..]])
        .is_err());
    assert!(
        encoder
            .similarity_gradients(&encoding, &points, &[])
            .is_err(),
        "no targets"
    );
}
