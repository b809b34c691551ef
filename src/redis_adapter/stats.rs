//! What the Redis adapter counts, for logs, tests and metrics: how much went through, and
//! what was lost and why — Redis pub/sub gives no delivery guarantee, so the losses it can
//! see are counted rather than hidden.

use std::sync::atomic::{AtomicU64, Ordering};

/// Counters of one adapter (every namespace of one server), from its start.
#[derive(Debug, Default)]
pub struct AdapterStats {
    /// Messages handed to Redis.
    pub published: AtomicU64,
    /// Messages for the other nodes that were not published: Redis was unreachable, or the
    /// queue was full.
    pub dropped_publishes: AtomicU64,
    /// Messages received from the other nodes and acted on.
    pub received: AtomicU64,
    /// Messages received that were not understood (logged and ignored).
    pub malformed: AtomicU64,
    /// Times the subscription connection was lost (messages published meanwhile by the
    /// other nodes are missed).
    pub subscriber_losses: AtomicU64,
}

/// A copy of the counters at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AdapterCounts {
    pub published: u64,
    pub dropped_publishes: u64,
    pub received: u64,
    pub malformed: u64,
    pub subscriber_losses: u64,
}

impl AdapterStats {
    /// The counters now.
    pub fn counts(&self) -> AdapterCounts {
        let get = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        AdapterCounts {
            published: get(&self.published),
            dropped_publishes: get(&self.dropped_publishes),
            received: get(&self.received),
            malformed: get(&self.malformed),
            subscriber_losses: get(&self.subscriber_losses),
        }
    }
}
