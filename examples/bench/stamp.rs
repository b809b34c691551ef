//! What every bench message carries, so that the receiver alone can tell who sent it, which
//! one it is and how long it took: `<sender>:<seq>:<sent at, ns>:` padded with `x` to the
//! message size (the load generator's format in `../shared/bench/loadgen`). Warm-up
//! messages start with `w`, so receivers can leave them out of every figure.
//!
//! The send time is read from one clock shared by the whole bench process ([`now_ns`]): the
//! publisher and its receivers are threads of the same process, so a receiver can subtract
//! a publisher's time from its own. When they are different processes (`cluster-scale`'s
//! client crowds), the stamp carries [`wall_ns`] instead: the system clock, which every
//! process on the machine reads alike.

use std::sync::OnceLock;
use std::time::{Instant, SystemTime};

/// One message's identity: who sent it, its sequence number, when it left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// The sending client (echo) or publisher (fanout).
    pub sender: u32,
    /// 0, 1, 2… per sender, in the order sent; warm-up and measured messages count apart.
    pub seq: u64,
    /// [`now_ns`] when it was sent.
    pub sent_at_ns: u64,
    /// Sent before measuring began: checked for arrival, left out of every figure.
    pub warm_up: bool,
}

impl Stamp {
    /// A stamp for a message sent now.
    pub fn now(sender: u32, seq: u64, warm_up: bool) -> Stamp {
        Stamp {
            sender,
            seq,
            sent_at_ns: now_ns(),
            warm_up,
        }
    }

    /// The message text: the stamp, then `x` up to `size` bytes (longer if the stamp is).
    pub fn message(&self, size: usize) -> String {
        let warm = if self.warm_up { "w" } else { "" };
        let mut text = format!("{warm}{}:{}:{}:", self.sender, self.seq, self.sent_at_ns);
        let padding = size.saturating_sub(text.len());
        text.extend(std::iter::repeat_n('x', padding));
        text
    }

    /// Reads the stamp back from a received message; `None` if it is not one of ours.
    pub fn parse(text: &str) -> Option<Stamp> {
        let (warm_up, text) = match text.strip_prefix('w') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let mut fields = text.splitn(4, ':');
        let sender = fields.next()?.parse().ok()?;
        let seq = fields.next()?.parse().ok()?;
        let sent_at_ns = fields.next()?.parse().ok()?;
        fields.next()?; // the padding, possibly empty, after the third ':'
        Some(Stamp {
            sender,
            seq,
            sent_at_ns,
            warm_up,
        })
    }

    /// Nanoseconds from sending until now.
    pub fn age_ns(&self) -> u64 {
        now_ns().saturating_sub(self.sent_at_ns)
    }
}

/// Nanoseconds since the bench's clock started: the time base of every [`Stamp`].
pub fn now_ns() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    let start = START.get_or_init(Instant::now);
    start.elapsed().as_nanos() as u64
}

/// Nanoseconds since the Unix epoch by the system clock (`CLOCK_REALTIME`): one time base
/// for every process on this machine. Only for stamps that cross processes: the system
/// clock can be stepped (NTP, an administrator), which [`now_ns`]'s monotonic clock cannot.
pub fn wall_ns() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos() as u64)
}
