//! A latency histogram with fixed buckets, as Prometheus's text format carries one.
//!
//! Recording is one bucket's `fetch_add` and one for the sum, both relaxed (`counter.rs`):
//! the buckets here are *not* cumulative, so a sample touches one of them, not all the ones
//! above it. The exposition format wants cumulative buckets (`le` = "less than or equal",
//! each including those below it, the last `+Inf` equal to `_count`); [`Histogram::snapshot`]
//! adds them up at scrape time, once, instead of on every sample. `_count` is that running
//! total too, never a counter of its own, so `+Inf` and `_count` always agree even when a
//! scrape lands between two samples' increments.
//!
//! Durations are kept in whole nanoseconds (an integer adds atomically; a float does not)
//! and shown in seconds, Prometheus's base unit.

use std::time::Duration;

use super::counter::Counter;

/// Upper bounds of the buckets, in seconds, smallest first; `+Inf` is implied. From 10 µs
/// (a broadcast to a handful of sockets) to 2.5 s (a fan-out stuck behind slow writes).
pub const FANOUT_BUCKETS: [f64; 14] = [
    0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025,
    0.1, 0.5, 2.5,
];

/// Bucket counts (not cumulative; the last is `+Inf`) and the sum of what was observed.
#[derive(Debug)]
pub struct Histogram {
    /// Upper bounds in nanoseconds, computed from [`FANOUT_BUCKETS`].
    bounds_ns: [u64; FANOUT_BUCKETS.len()],
    buckets: [Counter; FANOUT_BUCKETS.len() + 1],
    sum_ns: Counter,
}

/// What a scrape reads: cumulative counts under each bound, then the total and the sum.
#[derive(Debug, Clone, PartialEq)]
pub struct HistogramSnapshot {
    /// `(le, how many observations were <= le)`, increasing; `+Inf` is not among them.
    pub cumulative: Vec<(f64, u64)>,
    /// Every observation, the `+Inf` bucket and `_count`.
    pub count: u64,
    /// The sum of the observations, in seconds.
    pub sum_seconds: f64,
}

impl Histogram {
    /// An empty histogram over [`FANOUT_BUCKETS`].
    pub const fn new() -> Histogram {
        let mut bounds_ns = [0u64; FANOUT_BUCKETS.len()];
        let mut i = 0;
        while i < FANOUT_BUCKETS.len() {
            // Rounded to the nearest nanosecond: 0.000_01 s is 10,000 ns, not 9,999.
            bounds_ns[i] = (FANOUT_BUCKETS[i] * 1e9 + 0.5) as u64;
            i += 1;
        }
        Histogram {
            bounds_ns,
            buckets: [Counter::ZERO; FANOUT_BUCKETS.len() + 1],
            sum_ns: Counter::new(),
        }
    }

    /// Records one duration: the first bucket whose bound it does not exceed, and the sum.
    #[inline]
    pub fn observe(&self, elapsed: Duration) {
        let ns = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        // 14 comparisons at most; a binary search would save nothing at this size.
        let bucket = self
            .bounds_ns
            .iter()
            .position(|&bound| ns <= bound)
            .unwrap_or(self.bounds_ns.len());
        self.buckets[bucket].inc();
        self.sum_ns.add(ns);
    }

    /// The buckets made cumulative, as the exposition format wants them.
    pub fn snapshot(&self) -> HistogramSnapshot {
        let mut running = 0;
        let mut cumulative = Vec::with_capacity(FANOUT_BUCKETS.len());
        for (bound, bucket) in FANOUT_BUCKETS.iter().zip(&self.buckets) {
            running += bucket.get();
            cumulative.push((*bound, running));
        }
        let count = running + self.buckets[FANOUT_BUCKETS.len()].get();
        HistogramSnapshot {
            cumulative,
            count,
            sum_seconds: self.sum_ns.get() as f64 / 1e9,
        }
    }
}

impl Default for Histogram {
    fn default() -> Histogram {
        Histogram::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_become_cumulative_and_inf_equals_count() {
        let histogram = Histogram::new();
        histogram.observe(Duration::from_micros(5)); // <= 10 µs
        histogram.observe(Duration::from_micros(10)); // on the bound: le is "<="
        histogram.observe(Duration::from_micros(30)); // <= 50 µs
        histogram.observe(Duration::from_secs(3)); // past 2.5 s: +Inf only
        let snapshot = histogram.snapshot();
        let at = |le: f64| {
            snapshot
                .cumulative
                .iter()
                .find(|(b, _)| *b == le)
                .unwrap()
                .1
        };
        assert_eq!((at(0.000_01), at(0.000_025), at(0.000_05)), (2, 2, 3));
        assert_eq!((at(2.5), snapshot.count), (3, 4));
        assert!((snapshot.sum_seconds - 3.000_045).abs() < 1e-9);
        // Never decreasing, bucket to bucket.
        assert!(snapshot.cumulative.windows(2).all(|w| w[0].1 <= w[1].1));
    }
}
