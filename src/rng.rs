//! Randomness, all of it. A trial's key comes from ChaCha8 (a named, portable generator)
//! seeded with the master seed, on the stream of the trial index. Every draw in the trial is
//! then a pure function of (key, what, which, purpose), e.g. (key, edge, try, SUCCESS):
//! the same attempt sees the same luck in every control set (common random numbers, so
//! paired comparisons are tight and a control that only lowers probabilities can only
//! remove successes), and the draw does not depend on the order events happen to be
//! processed in.

#![deny(clippy::disallowed_methods, clippy::disallowed_macros)] // the core does no I/O

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_xoshiro::SplitMix64;

/// SplitMix64's finalizer: a bijective 64-bit mixer with full avalanche.
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// FNV-1a, for hashing ids and source text into seeds and output fingerprints.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// What a draw is for; distinct purposes give independent numbers for the same attempt.
pub(crate) mod purpose {
    pub(crate) const SUCCESS: u64 = 1;
    pub(crate) const DURATION: u64 = 2;
    pub(crate) const DETECT: u64 = 3;
    pub(crate) const RESPONSE: u64 = 4;
    pub(crate) const PRIORITY: u64 = 5;
    pub(crate) const TRIAGE: u64 = 6;
    pub(crate) const EVICT: u64 = 7;
    pub(crate) const SCOPE: u64 = 8;
}

/// The random key of one trial, drawn from (master seed, trial index); every draw of the
/// trial derives from it through [`TrialKey::stream`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrialKey(u64, u64);

impl TrialKey {
    pub(crate) fn new(master_seed: u64, trial: u64) -> TrialKey {
        let mut rng = ChaCha8Rng::seed_from_u64(master_seed);
        rng.set_stream(trial);
        TrialKey(rng.random(), rng.random())
    }

    /// The key of stream `index` of a family `tag` derived from the master seed: the
    /// random streams of a rare-event estimator's stages, runs and split copies, each a
    /// pure function of (seed, tag, index) and apart from the trial keys of
    /// the plain trial keys (tag 0 gives those).
    pub fn derived(master_seed: u64, tag: u64, index: u64) -> TrialKey {
        if tag == 0 {
            return TrialKey::new(master_seed, index);
        }
        TrialKey::new(mix64(master_seed ^ mix64(tag)), index)
    }

    /// A generator for one (what, which, purpose) triple.
    pub fn stream(&self, what: u64, which: u64, purpose: u64) -> SplitMix64 {
        let h = mix64(
            self.0
                ^ mix64(what.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ self.1)
                ^ mix64(
                    which
                        .wrapping_add(purpose << 40)
                        .wrapping_mul(0xD1B5_4A32_D192_ED03),
                ),
        );
        SplitMix64::seed_from_u64(h)
    }

    /// A uniform number in [0, 1).
    pub fn uniform(&self, what: u64, which: u64, purpose: u64) -> f64 {
        self.stream(what, which, purpose).random::<f64>()
    }

    /// A raw 64-bit draw (priorities).
    pub fn bits(&self, what: u64, which: u64, purpose: u64) -> u64 {
        self.stream(what, which, purpose).random::<u64>()
    }

    /// Exponential with the given mean, by inversion.
    pub fn exponential(&self, mean: f64, what: u64, which: u64, purpose: u64) -> f64 {
        if mean <= 0.0 {
            return 0.0;
        }
        -mean * (1.0 - self.uniform(what, which, purpose)).ln()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_are_pure_and_distinct() {
        let k = TrialKey::new(7, 3);
        assert_eq!(k, TrialKey::new(7, 3));
        assert_ne!(k, TrialKey::new(7, 4));
        assert_ne!(k, TrialKey::new(8, 3));
        let a = k.uniform(10, 0, purpose::SUCCESS);
        assert_eq!(a, k.uniform(10, 0, purpose::SUCCESS));
        assert_ne!(a, k.uniform(10, 0, purpose::DETECT));
        assert_ne!(a, k.uniform(11, 0, purpose::SUCCESS));
        assert_ne!(a, k.uniform(10, 1, purpose::SUCCESS));
    }

    #[test]
    fn uniforms_look_uniform() {
        let k = TrialKey::new(1, 0);
        let n = 100_000;
        let mean: f64 = (0..n)
            .map(|i| k.uniform(i, 0, purpose::SUCCESS))
            .sum::<f64>()
            / n as f64;
        assert!((mean - 0.5).abs() < 0.01, "{mean}");
        let e: f64 = (0..n)
            .map(|i| k.exponential(2.0, i, 0, purpose::DURATION))
            .sum::<f64>()
            / n as f64;
        assert!((e - 2.0).abs() < 0.05, "{e}");
    }
}
