//! Helpers shared by the integration tests.
#![allow(dead_code)] // each test binary uses a different subset

use daogou_catalog::{EmbedError, TextEmbedder};
use std::cell::Cell;
use std::path::PathBuf;

/// `../shared/data/<sub>` relative to the project root, or a panic that says what is missing.
pub fn data_path(sub: &str) -> PathBuf {
    let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"));
    assert!(
        root.is_dir(),
        "real test data folder {} is missing: these tests need the shared data sets \
         (see shared/data/README.md) next to the project root",
        root.display()
    );
    let path = root.join(sub);
    assert!(
        path.exists(),
        "test data file {} is missing",
        path.display()
    );
    path
}

/// Deterministic fake embedder: hashes lower-cased words into `dim` buckets, L2-normalised.
/// Counts the texts it has embedded; `fail_after` makes it fail once that many are done.
pub struct HashEmbedder {
    pub id: String,
    pub dim: usize,
    pub calls: Cell<usize>,
    pub texts: Cell<usize>,
    pub fail_after: Option<usize>,
    /// Sleep this long per `embed` call (to make imports slow enough to interrupt).
    pub delay: std::time::Duration,
}

impl HashEmbedder {
    pub fn new(dim: usize) -> Self {
        HashEmbedder {
            id: format!("hash-{dim}"),
            dim,
            calls: Cell::new(0),
            texts: Cell::new(0),
            fail_after: None,
            delay: std::time::Duration::ZERO,
        }
    }
}

impl TextEmbedder for HashEmbedder {
    fn model_id(&self) -> &str {
        &self.id
    }

    fn dim(&self) -> usize {
        self.dim
    }

    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        if let Some(limit) = self.fail_after {
            if self.texts.get() + texts.len() > limit {
                return Err(format!("simulated crash after {} texts", self.texts.get()).into());
            }
        }
        std::thread::sleep(self.delay);
        self.calls.set(self.calls.get() + 1);
        self.texts.set(self.texts.get() + texts.len());
        Ok(texts.iter().map(|t| self.vector(t)).collect())
    }
}

impl HashEmbedder {
    pub fn vector(&self, text: &str) -> Vec<f32> {
        let mut v = vec![0f32; self.dim];
        for word in text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
        {
            // FNV-1a, stable across runs and platforms.
            let mut h: u64 = 0xcbf29ce484222325;
            for b in word.to_lowercase().bytes() {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x100000001b3);
            }
            v[(h % self.dim as u64) as usize] += 1.0;
        }
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        if norm > 0.0 {
            v.iter_mut().for_each(|x| *x /= norm);
        } else {
            v[0] = 1.0;
        }
        v
    }
}
