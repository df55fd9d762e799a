//! A bounded cache of sentence embeddings keyed by the exact text embedded, shared by every
//! caller of one encoder: explanation coalitions of different requests often share texts
//! (the empty request, single words), and the encoder is deterministic per text.

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use lru::LruCache;
use serde::Serialize;

/// Least-recently-used embeddings, with hit and miss counts.
pub(crate) struct EmbeddingCache {
    entries: Mutex<LruCache<String, Arc<[f32]>>>,
    capacity: usize,
    hits: AtomicU64,
    misses: AtomicU64,
}

/// What a cache holds and how often it answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CacheStats {
    /// Most embeddings kept.
    pub capacity: usize,
    /// Embeddings kept now.
    pub entries: usize,
    /// Texts answered from the cache.
    pub hits: u64,
    /// Texts embedded because the cache did not hold them.
    pub misses: u64,
}

impl EmbeddingCache {
    /// A cache of at most `capacity` embeddings (at least 1).
    pub(crate) fn new(capacity: usize) -> Self {
        let capacity = NonZeroUsize::new(capacity).unwrap_or(NonZeroUsize::MIN);
        Self {
            entries: Mutex::new(LruCache::new(capacity)),
            capacity: capacity.get(),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// The cached embedding of each text (`None` where absent), counting hits and misses.
    pub(crate) fn lookup(&self, texts: &[String]) -> Vec<Option<Arc<[f32]>>> {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let found: Vec<Option<Arc<[f32]>>> =
            texts.iter().map(|t| entries.get(t).cloned()).collect();
        let hits = found.iter().filter(|f| f.is_some()).count() as u64;
        self.hits.fetch_add(hits, Ordering::Relaxed);
        self.misses
            .fetch_add(texts.len() as u64 - hits, Ordering::Relaxed);
        found
    }

    /// Keeps the embeddings of `texts`.
    pub(crate) fn insert(&self, texts: impl IntoIterator<Item = (String, Arc<[f32]>)>) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        for (text, embedding) in texts {
            entries.put(text, embedding);
        }
    }

    /// Counts so far.
    pub(crate) fn stats(&self) -> CacheStats {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        CacheStats {
            capacity: self.capacity,
            entries: entries.len(),
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_most_recent_texts_and_counts_hits() {
        let cache = EmbeddingCache::new(2);
        let texts = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        let vector = |x: f32| -> Arc<[f32]> { Arc::from(vec![x]) };
        assert!(cache
            .lookup(&texts(&["a", "b"]))
            .iter()
            .all(Option::is_none));
        cache.insert([("a".into(), vector(1.0)), ("b".into(), vector(2.0))]);
        let found = cache.lookup(&texts(&["a"]));
        assert_eq!(found[0].as_deref(), Some(&[1.0][..]));
        cache.insert([("c".into(), vector(3.0))]); // evicts b, the least recently used
        let found = cache.lookup(&texts(&["a", "b", "c"]));
        assert!(found[0].is_some() && found[1].is_none() && found[2].is_some());
        let stats = cache.stats();
        assert_eq!((stats.hits, stats.misses), (3, 3));
        assert_eq!((stats.entries, stats.capacity), (2, 2));
    }
}
