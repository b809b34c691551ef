//! The soak's dice: which kind of client comes next, how long it lives, what it does and
//! when. Not a `rand` crate (the crate takes none), and not `threadio::entropy` for every
//! roll either: the kernel's generator costs a system call a roll, and its rolls cannot be
//! replayed. Here one seed — `--seed`, or eight bytes from `threadio::entropy` — starts
//! Marsaglia's xorshift64* (2003; the `*` multiplies the output so its low bits are as good
//! as its high ones), and each client thread gets a generator of its own forked from it, so
//! a run's *choices* can be replayed with the same seed even though the threads' timing
//! cannot.

use std::time::Duration;

/// A small, fast, seedable generator. Not for secrets: fine for choosing what a test does.
#[derive(Debug, Clone)]
pub struct Xorshift {
    state: u64,
}

impl Xorshift {
    /// A generator started from `seed`. The seed is stirred first (SplitMix64's finaliser),
    /// so that small seeds such as 1, 2, 3 start far apart, and 0 — which xorshift can
    /// never leave — cannot happen.
    pub fn new(seed: u64) -> Xorshift {
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        Xorshift {
            state: if z == 0 { 1 } else { z },
        }
    }

    /// A seed nobody chose: eight bytes from the kernel, through threadio's own entropy.
    pub fn fresh_seed() -> u64 {
        u64::from_le_bytes(threadio::entropy::random_bytes::<8>())
    }

    /// A generator for another thread, its stream decided by this one's next roll.
    pub fn fork(&mut self) -> Xorshift {
        Xorshift::new(self.next_u64())
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (`n` > 0). The modulo's bias is below n / 2^64: nothing here.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// A duration between `low` and `high`, to the millisecond.
    pub fn between(&mut self, low: Duration, high: Duration) -> Duration {
        let span = high.saturating_sub(low).as_millis() as u64;
        low + Duration::from_millis(self.below(span + 1))
    }

    /// An index into `weights`, each chosen in proportion to its weight.
    pub fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
        let mut roll = self.below(total);
        for (index, &weight) in weights.iter().enumerate() {
            if roll < u64::from(weight) {
                return index;
            }
            roll -= u64::from(weight);
        }
        weights.len() - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_rolls_and_forks() {
        let (mut a, mut b) = (Xorshift::new(7), Xorshift::new(7));
        assert_eq!(a.next_u64(), b.next_u64());
        assert_eq!(a.fork().next_u64(), b.fork().next_u64());
        assert_ne!(Xorshift::new(1).next_u64(), Xorshift::new(2).next_u64());
        assert_ne!(Xorshift::new(0).next_u64(), 0, "seed 0 does not stick at 0");
    }

    #[test]
    fn rolls_stay_in_their_ranges_and_follow_the_weights() {
        let mut rng = Xorshift::new(42);
        let (low, high) = (Duration::from_millis(100), Duration::from_millis(300));
        let mut counts = [0u32; 3];
        for _ in 0..10_000 {
            assert!(rng.below(10) < 10);
            let d = rng.between(low, high);
            assert!(low <= d && d <= high);
            counts[rng.weighted(&[1, 0, 3])] += 1;
        }
        assert_eq!(counts[1], 0, "a weight of 0 is never chosen");
        assert!(
            (2_000..3_000).contains(&counts[0]),
            "about a quarter: {counts:?}"
        );
    }
}
