//! How long the client waits before its next attempt to reach a server that went away: the
//! official client's schedule, exponential backoff with a randomization factor.
//!
//! The official client (socket.io-client `Manager`, through its `backo2` helper) waits
//! `delay × 2^attempt`, moves that by up to `randomization_factor` of itself in either
//! direction, and caps the result at `max_delay`. The jitter matters when a server restarts
//! under thousands of clients: without it they would all come back in the same millisecond.
//! (The Redis client's `redis::Backoff` is another schedule, "equal jitter", for one link.)

use std::time::Duration;

/// The reconnection settings of a [`Dialer`](super::Dialer), with the official client's
/// defaults: reconnect, forever, after 1 s, doubling up to 5 s, ±50 %.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reconnection {
    /// Whether to reconnect at all (`reconnection`).
    pub enabled: bool,
    /// Attempts before giving up; `None` for no limit (`reconnectionAttempts: Infinity`).
    pub attempts: Option<u32>,
    /// The first wait (`reconnectionDelay`, 1000 ms).
    pub delay: Duration,
    /// The longest wait (`reconnectionDelayMax`, 5000 ms).
    pub max_delay: Duration,
    /// How far, as a fraction of the wait, the jitter may move it (`randomizationFactor`,
    /// 0.5). Clamped to 0..=1.
    pub randomization_factor: f64,
}

impl Default for Reconnection {
    fn default() -> Reconnection {
        Reconnection {
            enabled: true,
            attempts: None,
            delay: Duration::from_millis(1000),
            max_delay: Duration::from_millis(5000),
            randomization_factor: 0.5,
        }
    }
}

impl Reconnection {
    /// The wait before attempt `attempt` (0 for the first retry), with fresh jitter.
    pub fn delay_before(&self, attempt: u32) -> Duration {
        let draw = f64::from(u32::from_le_bytes(crate::entropy::random_bytes::<4>()))
            / (f64::from(u32::MAX) + 1.0);
        self.delay_with(attempt, draw)
    }

    /// backo2's `duration()`, with its `Math.random()` passed in as `draw` (0 ≤ draw < 1):
    /// the deviation is `draw × factor × step`, subtracted when the first decimal of `draw`
    /// is even and added when it is odd.
    fn delay_with(&self, attempt: u32, draw: f64) -> Duration {
        let step = self.delay.as_secs_f64() * 2f64.powi(attempt.min(64) as i32);
        let factor = self.randomization_factor.clamp(0.0, 1.0);
        let deviation = draw * factor * step;
        let jittered = if ((draw * 10.0) as u32) & 1 == 0 {
            step - deviation
        } else {
            step + deviation
        };
        // Capped in f64 first: 2^attempt overflows what a Duration can hold.
        Duration::from_secs_f64(jittered.clamp(0.0, self.max_delay.as_secs_f64()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_moves_by_the_factor_and_caps() {
        let schedule = Reconnection::default();
        // draw 0: no deviation, the plain doubling.
        assert_eq!(schedule.delay_with(0, 0.0), Duration::from_millis(1000));
        assert_eq!(schedule.delay_with(1, 0.0), Duration::from_millis(2000));
        assert_eq!(schedule.delay_with(2, 0.0), Duration::from_millis(4000));
        assert_eq!(schedule.delay_with(3, 0.0), Duration::from_millis(5000));
        // draw 0.4 (first decimal even): 1000 − 0.4 × 0.5 × 1000 = 800 ms.
        assert_eq!(schedule.delay_with(0, 0.4), Duration::from_millis(800));
        // draw 0.5 (odd): 1000 + 250 = 1250 ms.
        assert_eq!(schedule.delay_with(0, 0.5), Duration::from_millis(1250));
        assert_eq!(
            schedule.delay_with(u32::MAX, 0.99),
            Duration::from_millis(5000)
        );
        for attempt in 0..10 {
            let wait = schedule.delay_before(attempt);
            assert!(wait >= Duration::from_millis(500) && wait <= schedule.max_delay);
        }
    }
}
