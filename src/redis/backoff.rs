//! How long to wait before the next reconnection attempt: exponential backoff with jitter.
//!
//! Doubling the wait after each failure keeps a restarting Redis from being hammered; the
//! jitter keeps a fleet of servers that lost Redis at the same moment from all coming back at
//! the same moment too (the "thundering herd"). We use "equal jitter": a delay drawn
//! uniformly from the upper half of the exponential step, so it never collapses to zero.
//! Randomness comes from [`crate::entropy`], as everywhere in threadio.

use std::time::Duration;

/// The reconnection schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The step before the first retry.
    pub initial: Duration,
    /// The step never grows past this.
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Backoff {
        Backoff {
            initial: Duration::from_millis(100),
            max: Duration::from_secs(5),
        }
    }
}

impl Backoff {
    /// The delay before attempt number `attempt` (1 for the first retry): between half and
    /// all of `initial × 2^(attempt-1)`, capped at `max`.
    pub fn delay(&self, attempt: u32) -> Duration {
        let step = self
            .initial
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(20))
            .min(self.max);
        let half = step / 2;
        let fraction = f64::from(u32::from_le_bytes(crate::entropy::random_bytes::<4>()))
            / f64::from(u32::MAX);
        half + half.mul_f64(fraction)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_within_the_upper_half_and_caps() {
        let backoff = Backoff {
            initial: Duration::from_millis(100),
            max: Duration::from_millis(1000),
        };
        for (attempt, step) in [
            (1, 100),
            (2, 200),
            (3, 400),
            (4, 800),
            (5, 1000),
            (60, 1000),
        ] {
            for _ in 0..20 {
                let delay = backoff.delay(attempt).as_millis();
                assert!(
                    (step / 2..=step).contains(&delay),
                    "attempt {attempt}: {delay} ms outside {}..={step}",
                    step / 2
                );
            }
        }
    }
}
