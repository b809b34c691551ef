//! One budget, shared by every connection, for the bytes held in requests and messages that
//! are still arriving.
//!
//! Each connection has its own limits (`max_body`, `max_frame_size`, `max_message_size`,
//! all 1 MiB by default), but they multiply: 10,000 connections each one byte short of a
//! 1 MiB body would make us hold 10 GiB, and the process, not the connections, would be
//! what fails. So a connection about to hold more than its read buffer for one body or one
//! message first takes the bytes from this budget; when the budget is spent, that one
//! connection is refused — `413` (`http/connection.rs`) or close code `1009`
//! (`websocket/connection.rs`) — and every other connection goes on (NOTES.md chapter 6).
//! Both answers are the RFCs' own for this: RFC 6455 §10.4 asks an endpoint to protect
//! itself against messages past its limits, with 1009 (§7.4.1) to say so, and RFC 9110
//! §15.5.14 gives 413 for content larger than the server is "willing or able" to process.
//!
//! What is counted: the bytes of a body or message being put together, from the moment its
//! size is known (a `Content-Length`, a frame header; a chunked body as its chunks arrive)
//! until it is whole and handed to the application. The limits are checked first, so nobody
//! reserves more than a limit allows from a length the peer merely claims. A message the
//! application holds is its business, and bodies and messages that fit in the connection's
//! read buffer are not counted at all: that memory is there whoever sends what, and counting
//! them would put two atomic operations on every small message for nothing.
//!
//! A [`MemoryBudget`] is a handle: clones share one count, and the process-wide default is
//! one budget that every [`MemoryBudget::default`] returns. A [`Reservation`] gives its
//! bytes back when it is dropped, so a connection that fails, ends or panics mid-message
//! cannot leak its share.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

/// A limit on the bytes held at once by every connection that shares this handle.
///
/// Clones share the limit and the count. [`MemoryBudget::default`] is the one budget of the
/// process, a quarter of its RAM; [`MemoryBudget::new`] makes a separate one (for a server
/// that should have its own, or a test).
#[derive(Clone)]
pub struct MemoryBudget {
    ledger: Arc<Ledger>,
}

/// The shared part of a budget: its limit and what is reserved now.
struct Ledger {
    limit: usize,
    held: AtomicUsize,
}

/// What the process-wide budget takes when the machine's RAM cannot be read (no
/// `/proc/meminfo`, which is Linux's): 1 GiB, a thousand 1 MiB bodies arriving at once,
/// and less than any machine that would serve 10,000 connections has.
pub const FALLBACK_LIMIT: usize = 1 << 30;

impl MemoryBudget {
    /// A budget of its own, `limit_bytes` in all, shared only with its clones.
    pub fn new(limit_bytes: usize) -> MemoryBudget {
        MemoryBudget {
            ledger: Arc::new(Ledger {
                limit: limit_bytes,
                held: AtomicUsize::new(0),
            }),
        }
    }

    /// The most this budget lets be held at once.
    pub fn limit(&self) -> usize {
        self.ledger.limit
    }

    /// The bytes reserved now, by every holder of a [`Reservation`] from this budget.
    pub fn held(&self) -> usize {
        self.ledger.held.load(Ordering::Relaxed)
    }

    /// Takes `bytes` from the budget, given back when the [`Reservation`] is dropped.
    ///
    /// # Errors
    /// [`OverBudget`] if they are not all there: nothing is taken then.
    pub fn reserve(&self, bytes: usize) -> Result<Reservation, OverBudget> {
        self.take(bytes)?;
        Ok(Reservation {
            budget: self.clone(),
            bytes,
        })
    }

    /// Makes `held` a reservation of `total` bytes: a new one if it has none yet, or the one
    /// it has grown (see [`Reservation::grow_to`]). For a body or message that is counted
    /// only once it is large, and then as it grows.
    ///
    /// # Errors
    /// [`OverBudget`] if the bytes are not there: `held` keeps what it had.
    pub fn reserve_to(
        &self,
        held: &mut Option<Reservation>,
        total: usize,
    ) -> Result<(), OverBudget> {
        match held {
            Some(reservation) => reservation.grow_to(total),
            None => {
                *held = Some(self.reserve(total)?);
                Ok(())
            }
        }
    }

    /// Adds `bytes` to the count if the sum stays within the limit, in one atomic step: two
    /// connections asking at once cannot both get the last bytes. `Relaxed` is enough: the
    /// count guards no other memory, and every update to one atomic is seen in one order.
    fn take(&self, bytes: usize) -> Result<(), OverBudget> {
        let limit = self.ledger.limit;
        self.ledger
            .held
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |held| {
                held.checked_add(bytes).filter(|&total| total <= limit)
            })
            .map(drop)
            .map_err(|held| OverBudget {
                asked: bytes,
                held,
                limit,
            })
    }

    fn give_back(&self, bytes: usize) {
        self.ledger.held.fetch_sub(bytes, Ordering::Relaxed);
    }
}

impl Default for MemoryBudget {
    /// The process-wide budget: the same one every time, so every server built with a default
    /// config shares it. Its limit is a quarter of [`usable_ram`], read on first use.
    ///
    /// Why a quarter: the count is of bytes, not of the memory behind them, and a buffer
    /// growing by doubling (a message's `Vec`, the read buffer under a chunked body) may hold
    /// up to twice what it counts — so partial messages take at most about half the RAM. The
    /// other half is for what no budget counts: each connection's stack pages and read
    /// buffer (10–20 KB, some 200 MB at 10,000), outboxes of unsent frames (up to
    /// `max_backlog` each), the kernel's socket buffers, the application's own data, and any
    /// other process. And it is still far more than normal use needs: on a 4 GiB machine, a
    /// thousand 1 MiB bodies arriving at the same moment.
    fn default() -> MemoryBudget {
        static PROCESS: OnceLock<MemoryBudget> = OnceLock::new();
        PROCESS
            .get_or_init(|| MemoryBudget::new(usable_ram().map_or(FALLBACK_LIMIT, |ram| ram / 4)))
            .clone()
    }
}

impl fmt::Debug for MemoryBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryBudget")
            .field("limit", &self.limit())
            .field("held", &self.held())
            .finish()
    }
}

/// Bytes taken from a [`MemoryBudget`] for one body or message; dropping it gives them back.
#[derive(Debug)]
pub struct Reservation {
    budget: MemoryBudget,
    bytes: usize,
}

impl Reservation {
    /// The bytes this reservation holds.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Makes this reservation `total` bytes, taking the difference from the budget: for a
    /// message that grows by fragments, or a body that grows by chunks. Asking for less than
    /// it holds changes nothing.
    ///
    /// # Errors
    /// [`OverBudget`] if the difference is not there: the reservation keeps what it had.
    pub fn grow_to(&mut self, total: usize) -> Result<(), OverBudget> {
        if total > self.bytes {
            self.budget.take(total - self.bytes)?;
            self.bytes = total;
        }
        Ok(())
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.budget.give_back(self.bytes);
    }
}

/// A reservation refused: the budget had too little left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverBudget {
    /// The bytes asked for (on top of what the asker already held).
    pub asked: usize,
    /// What the budget had reserved, for everyone, at that moment.
    pub held: usize,
    /// The budget's limit.
    pub limit: usize,
}

impl fmt::Display for OverBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "memory budget spent: {} more bytes asked while {} of {} are held",
            self.asked, self.held, self.limit
        )
    }
}

impl std::error::Error for OverBudget {}

/// The memory this process may use: physical RAM (`MemTotal` in `/proc/meminfo`), or the
/// limit of its control group if that is lower — in a container, the container's limit is
/// the RAM that matters. `None` where `/proc/meminfo` cannot be read (not Linux).
pub fn usable_ram() -> Option<usize> {
    let total = mem_total(&std::fs::read_to_string("/proc/meminfo").ok()?)?;
    Some(cgroup_limit().map_or(total, |limit| limit.min(total)))
}

/// `MemTotal:       24683792 kB` → bytes (proc(5): the unit is always kB, meaning KiB).
fn mem_total(meminfo: &str) -> Option<usize> {
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: usize = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

/// The memory limit of our control group: cgroup v2's `memory.max`, or v1's
/// `memory.limit_in_bytes`. "max" (v2) does not parse and means no limit; v1 says "no
/// limit" with a huge number, which `min` with the RAM then ignores.
fn cgroup_limit() -> Option<usize> {
    [
        "/sys/fs/cgroup/memory.max",
        "/sys/fs/cgroup/memory/memory.limit_in_bytes",
    ]
    .iter()
    .find_map(|path| std::fs::read_to_string(path).ok()?.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservations_add_up_to_the_limit_and_no_further() {
        let budget = MemoryBudget::new(100);
        let a = budget.reserve(60).unwrap();
        let b = budget.reserve(40).unwrap();
        assert_eq!((a.bytes(), b.bytes(), budget.held()), (60, 40, 100));
        assert_eq!(
            budget.reserve(1).unwrap_err(),
            OverBudget {
                asked: 1,
                held: 100,
                limit: 100
            }
        );
        assert_eq!(budget.held(), 100, "a refusal takes nothing");
    }

    #[test]
    fn dropping_a_reservation_gives_its_bytes_back() {
        let budget = MemoryBudget::new(100);
        let a = budget.reserve(70).unwrap();
        assert!(budget.reserve(70).is_err());
        drop(a);
        assert_eq!(budget.held(), 0);
        assert_eq!(budget.reserve(70).unwrap().bytes(), 70);
        assert_eq!(budget.held(), 0, "the temporary was dropped at once");
    }

    #[test]
    fn grow_to_takes_only_the_difference_and_keeps_what_it_had_when_refused() {
        let budget = MemoryBudget::new(100);
        let mut message = budget.reserve(30).unwrap();
        message.grow_to(80).unwrap();
        assert_eq!((message.bytes(), budget.held()), (80, 80));
        message.grow_to(50).unwrap();
        assert_eq!(message.bytes(), 80, "asking for less changes nothing");
        let other = budget.reserve(20).unwrap();
        assert_eq!(
            message.grow_to(81).unwrap_err(),
            OverBudget {
                asked: 1,
                held: 100,
                limit: 100
            }
        );
        assert_eq!((message.bytes(), budget.held()), (80, 100));
        drop((message, other));
        assert_eq!(budget.held(), 0);
    }

    #[test]
    fn reserve_to_starts_a_reservation_then_grows_it() {
        let budget = MemoryBudget::new(100);
        let mut held = None;
        budget.reserve_to(&mut held, 40).unwrap();
        budget.reserve_to(&mut held, 90).unwrap();
        assert_eq!(
            (held.as_ref().map(Reservation::bytes), budget.held()),
            (Some(90), 90)
        );
        assert!(budget.reserve_to(&mut held, 101).is_err());
        assert_eq!(held.as_ref().map(Reservation::bytes), Some(90));
        let mut refused = None;
        assert!(budget.reserve_to(&mut refused, 11).is_err());
        assert!(refused.is_none());
        drop(held);
        assert_eq!(budget.held(), 0);
    }

    #[test]
    fn a_request_too_big_to_add_is_refused_not_wrapped() {
        let budget = MemoryBudget::new(usize::MAX);
        let _most = budget.reserve(usize::MAX - 1).unwrap();
        assert!(budget.reserve(2).is_err());
    }

    #[test]
    fn clones_share_one_count() {
        let budget = MemoryBudget::new(10);
        let clone = budget.clone();
        let _held = clone.reserve(10).unwrap();
        assert_eq!(budget.held(), 10);
        assert!(budget.reserve(1).is_err());
    }

    #[test]
    fn every_default_budget_is_the_one_process_wide_budget() {
        let (a, b) = (MemoryBudget::default(), MemoryBudget::default());
        assert!(Arc::ptr_eq(&a.ledger, &b.ledger));
        assert!(a.limit() >= 64 << 20, "a quarter of any real machine's RAM");
    }

    #[test]
    fn many_threads_never_hold_more_than_the_limit_together() {
        let budget = MemoryBudget::new(1000);
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let budget = budget.clone();
                std::thread::spawn(move || {
                    let mut granted = 0;
                    for i in 0..20_000 {
                        if let Ok(mut r) = budget.reserve(100 + i % 200) {
                            granted += 1;
                            let _ = r.grow_to(r.bytes() + 50);
                            assert!(budget.held() <= budget.limit());
                        }
                    }
                    granted
                })
            })
            .collect();
        let granted: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
        assert!(granted > 0);
        assert_eq!(budget.held(), 0, "every reservation gave its bytes back");
    }

    #[test]
    fn mem_total_is_read_in_kib() {
        let meminfo = "MemTotal:       24683792 kB\nMemFree:        22195392 kB\n";
        assert_eq!(mem_total(meminfo), Some(24_683_792 * 1024));
        assert_eq!(mem_total("MemFree: 1 kB\n"), None);
        assert_eq!(mem_total("MemTotal: lots kB\n"), None);
    }

    #[test]
    fn debug_shows_the_limit_and_what_is_held() {
        let budget = MemoryBudget::new(5);
        let _r = budget.reserve(2).unwrap();
        assert_eq!(format!("{budget:?}"), "MemoryBudget { limit: 5, held: 2 }");
    }
}
