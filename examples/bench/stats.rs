//! What the bench concludes from the messages that came back: latency percentiles, and
//! whether each expected message arrived exactly once and in order.
//!
//! Each receiving thread keeps its own [`Latencies`] and [`SequenceCheck`], with no lock
//! and no sharing; the workload merges them when the threads are done.

/// Round-trip (echo) or send-to-receive (fanout) times, in nanoseconds, one per message.
#[derive(Debug, Default, Clone)]
pub struct Latencies {
    samples: Vec<u64>,
}

impl Latencies {
    pub fn record(&mut self, ns: u64) {
        self.samples.push(ns);
    }

    pub fn merge(&mut self, other: Latencies) {
        self.samples.extend(other.samples);
    }

    /// The `q` quantile in milliseconds (`q` = 0.99 for p99): the smallest sample that
    /// at least `q` of all samples do not exceed. `None` without samples.
    pub fn quantile_ms(&mut self, q: f64) -> Option<f64> {
        if self.samples.is_empty() {
            return None;
        }
        self.samples.sort_unstable();
        let rank = (q * self.samples.len() as f64).ceil() as usize;
        let index = rank.clamp(1, self.samples.len()) - 1;
        Some(self.samples[index] as f64 / 1e6)
    }
}

/// How the expected messages did not arrive as they should have.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Expected, but never arrived before the deadline.
    pub lost: u64,
    /// Arrived more than once (each extra copy counts).
    pub duplicated: u64,
    /// Arrived after a message sent later than it.
    pub out_of_order: u64,
    /// Arrived where it should not have: another client's echo, or a room's message at a
    /// client outside the room.
    pub stray: u64,
}

impl Counts {
    pub fn add(&mut self, other: Counts) {
        self.lost += other.lost;
        self.duplicated += other.duplicated;
        self.out_of_order += other.out_of_order;
        self.stray += other.stray;
    }
}

/// One receiver's check of one sender's sequence numbers `0..expected`.
#[derive(Debug)]
pub struct SequenceCheck {
    /// `seen[seq]`: that message has arrived. A bit per expected message, so the check is
    /// exact with no assumption about how far out of order messages may come.
    seen: Vec<bool>,
    unique: u64,
    highest: Option<u64>,
    counts: Counts,
}

/// What one arrival turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    /// Its first arrival (perhaps out of order: that is counted, and it still counts as new).
    New,
    Duplicate,
    /// A sequence number we never sent.
    Stray,
}

impl SequenceCheck {
    pub fn new(expected: u64) -> SequenceCheck {
        SequenceCheck {
            seen: vec![false; expected as usize],
            unique: 0,
            highest: None,
            counts: Counts::default(),
        }
    }

    pub fn record(&mut self, seq: u64) -> Arrival {
        let Some(seen) = self.seen.get_mut(seq as usize) else {
            self.counts.stray += 1;
            return Arrival::Stray;
        };
        if *seen {
            self.counts.duplicated += 1;
            return Arrival::Duplicate;
        }
        *seen = true;
        self.unique += 1;
        match self.highest {
            Some(highest) if seq < highest => self.counts.out_of_order += 1,
            _ => self.highest = Some(seq),
        }
        Arrival::New
    }

    /// Counts a message that should not have come to this receiver at all.
    pub fn record_stray(&mut self) {
        self.counts.stray += 1;
    }

    /// How many distinct expected messages have arrived.
    pub fn unique(&self) -> u64 {
        self.unique
    }

    pub fn is_complete(&self) -> bool {
        self.unique == self.seen.len() as u64
    }

    /// The final counts, once the first `sent` messages were sent (fewer than expected if
    /// the sender failed): whatever of those has not arrived by now is lost. A message
    /// never sent is not lost; the sender's error says why it was not sent.
    pub fn finish(&self, sent: u64) -> Counts {
        let sent = (sent as usize).min(self.seen.len());
        let lost = self.seen[..sent].iter().filter(|seen| !**seen).count();
        Counts {
            lost: lost as u64,
            ..self.counts
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_late_message_is_new_but_out_of_order_and_a_second_copy_is_a_duplicate() {
        let mut check = SequenceCheck::new(4);
        assert_eq!(check.record(0), Arrival::New);
        assert_eq!(check.record(2), Arrival::New);
        assert_eq!(check.record(1), Arrival::New);
        assert_eq!(check.record(2), Arrival::Duplicate);
        assert_eq!(check.record(9), Arrival::Stray);
        let counts = check.finish(4);
        assert_eq!(
            (
                counts.lost,
                counts.duplicated,
                counts.out_of_order,
                counts.stray
            ),
            (1, 1, 1, 1)
        );
    }

    #[test]
    fn p50_of_one_to_a_hundred_ms_is_fifty() {
        let mut latencies = Latencies::default();
        (1..=100).for_each(|ms| latencies.record(ms * 1_000_000));
        assert_eq!(latencies.quantile_ms(0.5), Some(50.0));
        assert_eq!(latencies.quantile_ms(0.999), Some(100.0));
    }
}
