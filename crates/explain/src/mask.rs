//! Coalitions of features as compact, hashable bitsets.

use std::fmt;

use crate::error::ExplainError;

const WORD_BITS: usize = 64;

/// A coalition: which of the M features are present.
///
/// Stored as a bitset, so it is cheap to hash (the evaluator's cache is keyed on it)
/// and small even for thousands of features.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Mask {
    len: usize,
    words: Vec<u64>,
}

impl Mask {
    /// The empty coalition over `num_features` features.
    pub fn empty(num_features: usize) -> Self {
        Mask {
            len: num_features,
            words: vec![0; num_features.div_ceil(WORD_BITS)],
        }
    }

    /// The full coalition (every feature present).
    pub fn full(num_features: usize) -> Self {
        let mut mask = Mask {
            len: num_features,
            words: vec![u64::MAX; num_features.div_ceil(WORD_BITS)],
        };
        mask.clear_tail();
        mask
    }

    /// A mask from one flag per feature.
    pub fn from_bools(present: &[bool]) -> Self {
        let mut mask = Mask::empty(present.len());
        for (i, _) in present.iter().enumerate().filter(|(_, &p)| p) {
            mask.set(i, true);
        }
        mask
    }

    /// A mask with exactly the listed features present.
    pub fn from_indices(num_features: usize, present: &[usize]) -> Result<Self, ExplainError> {
        let mut mask = Mask::empty(num_features);
        for &i in present {
            if i >= num_features {
                return Err(ExplainError::InvalidInput(format!(
                    "feature index {i} out of range for {num_features} features"
                )));
            }
            mask.set(i, true);
        }
        Ok(mask)
    }

    /// The mask whose first features are given by the low bits of `bits`
    /// (bit i = feature i). Requires `num_features <= 64`.
    pub(crate) fn from_u64(num_features: usize, bits: u64) -> Self {
        debug_assert!(num_features <= WORD_BITS);
        let mut mask = Mask {
            len: num_features,
            words: vec![bits; num_features.div_ceil(WORD_BITS)],
        };
        mask.clear_tail();
        mask
    }

    /// Number of features M (present or not).
    pub fn num_features(&self) -> usize {
        self.len
    }

    /// Whether feature `i` is present; `false` when `i` is out of range.
    pub fn contains(&self, i: usize) -> bool {
        i < self.len && self.words[i / WORD_BITS] & (1 << (i % WORD_BITS)) != 0
    }

    /// Number of present features.
    pub fn count(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Indices of the present features, ascending.
    pub fn present(&self) -> impl Iterator<Item = usize> + '_ {
        self.words.iter().enumerate().flat_map(|(k, &word)| {
            let mut rest = word;
            std::iter::from_fn(move || {
                (rest != 0).then(|| {
                    let bit = rest.trailing_zeros() as usize;
                    rest &= rest - 1;
                    k * WORD_BITS + bit
                })
            })
        })
    }

    /// One flag per feature.
    pub fn to_bools(&self) -> Vec<bool> {
        (0..self.len).map(|i| self.contains(i)).collect()
    }

    /// The complementary coalition (present ↔ absent).
    pub fn complement(&self) -> Self {
        let mut mask = Mask {
            len: self.len,
            words: self.words.iter().map(|w| !w).collect(),
        };
        mask.clear_tail();
        mask
    }

    /// Approximate heap footprint in bytes (used for the cache budget).
    pub(crate) fn heap_bytes(&self) -> usize {
        self.words.len() * std::mem::size_of::<u64>()
    }

    /// Sets feature `i`; callers guarantee `i < num_features`.
    pub(crate) fn set(&mut self, i: usize, present: bool) {
        debug_assert!(i < self.len);
        let bit = 1u64 << (i % WORD_BITS);
        if present {
            self.words[i / WORD_BITS] |= bit;
        } else {
            self.words[i / WORD_BITS] &= !bit;
        }
    }

    fn clear_tail(&mut self) {
        let used = self.len % WORD_BITS;
        if used != 0 {
            if let Some(last) = self.words.last_mut() {
                *last &= (1u64 << used) - 1;
            }
        }
    }
}

/// Shows the mask as a 0/1 string, truncated after 64 features.
impl fmt::Display for Mask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 64;
        for i in 0..self.len.min(SHOWN) {
            f.write_str(if self.contains(i) { "1" } else { "0" })?;
        }
        if self.len > SHOWN {
            write!(f, "…(+{} features)", self.len - SHOWN)?;
        }
        Ok(())
    }
}

impl fmt::Debug for Mask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Mask({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_operations_round_trip() {
        let mut m = Mask::empty(130);
        for i in [0, 63, 64, 129] {
            m.set(i, true);
        }
        assert_eq!(m.count(), 4);
        assert_eq!(m.present().collect::<Vec<_>>(), vec![0, 63, 64, 129]);
        assert!(!m.contains(130), "out of range is absent");
        let c = m.complement();
        assert_eq!(c.count(), 126);
        assert_eq!(c.complement(), m);
        assert_eq!(Mask::full(130), Mask::from_bools(&[true; 130]));
        assert_eq!(Mask::from_bools(&m.to_bools()), m);
        assert_eq!(Mask::from_u64(3, 0b101).to_string(), "101");
        assert!(Mask::from_indices(3, &[3]).is_err());
    }
}
