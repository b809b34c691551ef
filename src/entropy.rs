//! Unpredictable bytes from std alone: WebSocket masking keys and handshake keys, Engine.IO
//! session ids and Socket.IO socket ids.
//!
//! RFC 6455 §5.3 asks that a client's masking key be "derived from a strong source of
//! entropy" so that a script cannot predict it and steer the bytes a proxy sees (§10.3), and
//! a long-polling session id is the only credential its requests carry (Engine.IO v4
//! "Handshake"), so it must be unguessable. We may not add a `rand` crate; std does not offer
//! random bytes either. But every Unix has the kernel's generator as a file:
//! `/dev/urandom` (random(4)), which never blocks once the system has booted. We read it.
//!
//! Where it cannot be opened (another OS, a sandbox without /dev), we fall back to std's
//! `RandomState`, whose keys std draws from the OS so that `HashMap`s resist flooding:
//! SipHash under a secret key, applied to a counter, is hard to predict — but it is not
//! documented as a cryptographic generator, so it is only the fallback, and logged once.

use std::cell::RefCell;
use std::collections::hash_map::RandomState;
use std::fs::File;
use std::hash::{BuildHasher, Hasher};
use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// How many of the kernel's bytes a thread reads at once, to hand out a few at a time.
const POOL_BYTES: usize = 256;

/// Returns `N` unpredictable bytes.
///
/// A WebSocket client masks every frame with a fresh key (RFC 6455 §5.3), so a read of
/// `/dev/urandom` per key would be a system call per message sent. Each thread reads
/// 256 bytes at once instead and hands them out in order, each byte once. They are
/// the kernel's bytes all the same; what changes is only that they wait in the thread's
/// memory until used. (A process that `fork`s without `exec` would give the child a copy of
/// that memory; nothing here forks, and a `Command` execs.)
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    let pooled = N <= POOL_BYTES / 4 && POOL.with(|pool| pool.borrow_mut().take(&mut out));
    if !pooled && !read_urandom(&mut out) {
        fill_from_random_state(&mut out);
    }
    out
}

thread_local! {
    static POOL: RefCell<Pool> = const { RefCell::new(Pool { bytes: [0; POOL_BYTES], next: POOL_BYTES }) };
}

/// A thread's bytes from `/dev/urandom`, not yet handed out.
struct Pool {
    bytes: [u8; POOL_BYTES],
    /// The first byte not handed out yet.
    next: usize,
}

impl Pool {
    /// Fills `out` from the pool, reading the kernel again when it runs short; `false` if
    /// `/dev/urandom` is not there.
    fn take(&mut self, out: &mut [u8]) -> bool {
        if POOL_BYTES - self.next < out.len() {
            if !read_urandom(&mut self.bytes) {
                return false;
            }
            self.next = 0;
        }
        let end = self.next + out.len();
        out.copy_from_slice(&self.bytes[self.next..end]);
        // Handed out once: never again, even by mistake.
        self.bytes[self.next..end].fill(0);
        self.next = end;
        true
    }
}

/// Fills `out` from `/dev/urandom`; `false` if it is not available.
fn read_urandom(out: &mut [u8]) -> bool {
    static URANDOM: OnceLock<Option<File>> = OnceLock::new();
    let file = URANDOM.get_or_init(|| match File::open("/dev/urandom") {
        Ok(file) => Some(file),
        Err(e) => {
            crate::log!("cannot open /dev/urandom ({e}); random ids come from std's RandomState");
            None
        }
    });
    match file {
        // One open file shared by all threads, with no lock: `&File` reads too, and the
        // kernel's generator serves concurrent reads (a character device has no position).
        Some(file) => {
            let mut reader: &File = file;
            reader.read_exact(out).is_ok()
        }
        None => false,
    }
}

/// The fallback: SipHash keyed by a fresh `RandomState`, over a counter.
fn fill_from_random_state(out: &mut [u8]) {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    for chunk in out.chunks_mut(8) {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        chunk.copy_from_slice(&hasher.finish().to_le_bytes()[..chunk.len()]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn the_pool_hands_out_each_byte_once_across_refills() {
        // 4-byte keys, as masking takes them: 64 per pool, so this reads the kernel 40 times.
        let keys: HashSet<u32> = (0..2_560)
            .map(|_| u32::from_le_bytes(random_bytes::<4>()))
            .collect();
        assert!(keys.len() > 2_550, "only {} distinct keys", keys.len());
    }

    #[test]
    fn successive_values_do_not_repeat() {
        let seen: HashSet<u64> = (0..10_000)
            .map(|_| u64::from_le_bytes(random_bytes::<8>()))
            .collect();
        assert_eq!(seen.len(), 10_000);
    }

    #[test]
    fn bytes_are_spread_over_every_position() {
        let draws: Vec<[u8; 16]> = (0..256).map(|_| random_bytes()).collect();
        for i in 0..16 {
            let distinct: HashSet<u8> = draws.iter().map(|d| d[i]).collect();
            assert!(
                distinct.len() > 100,
                "position {i} took only {} values",
                distinct.len()
            );
        }
    }

    #[test]
    fn the_fallback_also_spreads_its_bytes_over_every_position() {
        let draws: Vec<[u8; 16]> = (0..256)
            .map(|_| {
                let mut bytes = [0u8; 16];
                fill_from_random_state(&mut bytes);
                bytes
            })
            .collect();
        for i in 0..16 {
            let distinct: HashSet<u8> = draws.iter().map(|d| d[i]).collect();
            assert!(
                distinct.len() > 100,
                "position {i} took only {} values",
                distinct.len()
            );
        }
    }
}
