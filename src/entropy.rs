//! Unpredictable bytes from std alone: WebSocket masking keys and handshake keys, later
//! Engine.IO session ids.
//!
//! RFC 6455 §5.3 asks that a client's masking key be "derived from a strong source of
//! entropy" so that a script cannot predict it and steer the bytes a proxy sees (§10.3).
//! We may not add a `rand` crate, but std already holds a secret seed: every
//! [`RandomState`] is keyed from the operating system's random source (`getrandom(2)` on
//! Linux) so that `HashMap`s resist flooding. SipHash under that secret key is a
//! pseudo-random function, so hashing a counter with it gives bytes that nobody without the
//! key can predict. We make a fresh `RandomState` per call, so the keys differ every time.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

/// Counts calls, so that two calls never hash the same input under the same key.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Returns 64 unpredictable bits.
pub fn random_u64() -> u64 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.finish()
}

/// Returns `N` unpredictable bytes.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    for chunk in out.chunks_mut(8) {
        let word = random_u64().to_le_bytes();
        chunk.copy_from_slice(&word[..chunk.len()]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn successive_values_do_not_repeat() {
        let seen: HashSet<u64> = (0..10_000).map(|_| random_u64()).collect();
        assert_eq!(seen.len(), 10_000);
    }

    #[test]
    fn bytes_are_spread_over_every_position() {
        let a: [u8; 16] = random_bytes();
        let b: [u8; 16] = random_bytes();
        assert_ne!(a, b);
        // Each of the 16 positions should take many values over a few hundred draws.
        let draws: Vec<[u8; 16]> = (0..256).map(|_| random_bytes()).collect();
        for i in 0..16 {
            let distinct: HashSet<u8> = draws.iter().map(|d| d[i]).collect();
            assert!(
                distinct.len() > 100,
                "position {i} took only {} values",
                distinct.len()
            );
        }
    }
}
