//! The two cells every metric is made of: a [`Counter`] that only goes up, and a [`Gauge`]
//! that goes up and down.
//!
//! Both are one atomic integer, changed with `Ordering::Relaxed`: a metric needs each
//! increment to land exactly once, not to be ordered with the other memory the thread
//! touches (Prometheus reads them seconds apart), so the cheapest ordering is the right one.
//! On x86-64 a relaxed `fetch_add` is one `lock xadd`, a few nanoseconds when uncontended.
//! Both have `const` constructors so that they can live in a `static` (`counts.rs`).
//!
//! Each sits alone in 128 bytes of its own (`repr(align(128))`). Packed together, the
//! counters shared cache lines with each other and with whatever statics the linker put
//! beside them, so an increment on one core took the line from a thread on the other that
//! was only reading its neighbour: the bench's Socket.IO echo lost a quarter of its
//! messages per second (NOTES.md chapter 19). 128 rather than 64 because x86 fetches lines
//! in adjacent pairs. About 40 cells, 5 KiB: memory is cheap here, a contended line is not.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// A number that only goes up, from zero when the process starts: Prometheus computes
/// rates from it and notices restarts when it goes down.
#[derive(Debug, Default)]
#[repr(align(128))]
pub struct Counter(AtomicU64);

impl Counter {
    /// A counter at zero; a constant, so that arrays of counters can be written
    /// `[Counter::ZERO; N]` in a `static`.
    #[allow(clippy::declare_interior_mutable_const)] // each use is a fresh counter, as meant
    pub const ZERO: Counter = Counter(AtomicU64::new(0));

    /// A counter at zero.
    pub const fn new() -> Counter {
        Counter(AtomicU64::new(0))
    }

    /// Adds one.
    #[inline]
    pub fn inc(&self) {
        self.add(1);
    }

    /// Adds `n`.
    #[inline]
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }

    /// The count now.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A number that goes up and down, such as the acknowledgements waiting right now. Signed,
/// so that a decrement that races ahead of its increment shows as a brief -1 rather than
/// wrapping to 2^64.
#[derive(Debug, Default)]
#[repr(align(128))]
pub struct Gauge(AtomicI64);

impl Gauge {
    /// A gauge at zero.
    pub const fn new() -> Gauge {
        Gauge(AtomicI64::new(0))
    }

    /// Adds `n`.
    #[inline]
    pub fn add(&self, n: i64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }

    /// Subtracts `n`.
    #[inline]
    pub fn sub(&self, n: i64) {
        self.0.fetch_sub(n, Ordering::Relaxed);
    }

    /// The value now.
    pub fn get(&self) -> i64 {
        self.0.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_counter_adds_and_a_gauge_goes_both_ways() {
        let counter = Counter::new();
        counter.inc();
        counter.add(41);
        let gauge = Gauge::new();
        gauge.add(3);
        gauge.sub(5);
        assert_eq!((counter.get(), gauge.get()), (42, -2));
    }
}
