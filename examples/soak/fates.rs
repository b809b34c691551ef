//! How each client's life ended, counted for the report: the expected ends (an honest
//! client leaving politely, a slow reader cut off by the server, a vanished client's
//! session reaped by the heartbeat) and the unexpected ones, with the first few reasons.
//! An unexpected end — a client that could not connect, or was dropped while it behaved —
//! fails the soak: the server must not do that under load.

use std::sync::Mutex;

use crate::population::Kind;

/// How many reasons of unexpected ends are kept for the report.
const REASONS_KEPT: usize = 5;

#[derive(Debug, Default, Clone)]
pub struct FateCounts {
    /// Lives begun, by kind (`Kind::ALL` order).
    pub started: [u64; Kind::ALL.len()],
    /// Honest clients that lived their life and left politely.
    pub left_politely: u64,
    /// Polling clients that moved to WebSocket.
    pub upgraded: u64,
    /// Slow readers the server cut off (its backlog cap, or the heartbeat), and those
    /// that caught up.
    pub slow_cut_off: u64,
    pub slow_caught_up: u64,
    /// Vanished clients whose session the server had forgotten by the time we asked
    /// (`pingInterval + pingTimeout` and 5 s after they vanished), those it still knew,
    /// and those not asked about because the soak stopped first.
    pub vanished_reaped: u64,
    pub vanished_still_known: u64,
    pub vanished_unchecked: u64,
    /// Unexpected ends, and the first reasons.
    pub unexpected: u64,
    pub reasons: Vec<String>,
}

#[derive(Default)]
pub struct Fates {
    counts: Mutex<FateCounts>,
}

impl Fates {
    pub fn record(&self, change: impl FnOnce(&mut FateCounts)) {
        change(&mut self.lock());
    }

    /// A client of `kind` ended in a way it should not have: `what` says how.
    pub fn unexpected(&self, kind: Kind, what: &str) {
        let mut counts = self.lock();
        counts.unexpected += 1;
        if counts.reasons.len() < REASONS_KEPT {
            counts.reasons.push(format!("{}: {what}", kind.name()));
        }
    }

    pub fn snapshot(&self) -> FateCounts {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, FateCounts> {
        self.counts.lock().unwrap_or_else(|p| p.into_inner())
    }
}
