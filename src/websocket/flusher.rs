//! The flusher: a second pair of hands for a broadcast to many clients, on a machine with
//! more than one core.
//!
//! Where it sits: `cork.rs` queues a broadcast's frame in every recipient's outbox first and
//! writes them afterwards. Writing is the expensive part — one `send` per recipient, about
//! 5 µs each on loopback, nearly all of it in the kernel — so a broadcast to a thousand
//! clients keeps one thread busy for several milliseconds, and the last recipient waits for
//! all the others. When a thread releases many outboxes at once, it hands a share of them to
//! this thread and writes the rest itself, so the two halves go out in parallel.
//!
//! Why order still holds: every frame is already in its outbox's queue, in the order it was
//! sent, before anyone writes. Whoever takes an outbox's writer role — the broadcaster, the
//! flusher, the client's own thread, the drainer — writes its queue front to back, so a
//! client receives its frames in order whichever thread happens to write them.
//!
//! Like the drainer, it is one thread for the whole process, started on first use, and only
//! where there is a core for it to run on (`available_parallelism() > 1`).

use std::sync::{Arc, OnceLock};
use std::thread;

use super::outbox::Outbox;
use super::worker::Worker;

/// Below this many outboxes a release is written by the releasing thread alone: waking the
/// flusher costs about as much as a few writes.
pub(crate) const SHARE_FROM: usize = 64;

/// Gives the flusher a share of `outboxes` (the back half) when the batch is large and there
/// is a flusher; returns the part left for the caller to write.
pub(crate) fn share(mut outboxes: Vec<Arc<Outbox>>) -> Vec<Arc<Outbox>> {
    if outboxes.len() < SHARE_FROM {
        return outboxes;
    }
    let Some(flusher) = flusher() else {
        return outboxes;
    };
    flusher.push(outboxes.split_off(outboxes.len() / 2));
    outboxes
}

/// The process's flusher, starting its thread on first use; `None` on a single core, or if
/// the thread could not start (the releasing thread then writes everything itself).
fn flusher() -> Option<&'static Worker<Vec<Arc<Outbox>>>> {
    static FLUSHER: OnceLock<Option<&'static Worker<Vec<Arc<Outbox>>>>> = OnceLock::new();
    *FLUSHER.get_or_init(|| {
        let cores = thread::available_parallelism().map_or(1, |n| n.get());
        if cores < 2 {
            return None;
        }
        Worker::start("threadio-flusher", write_batch)
    })
}

/// Writes a batch someone shared out, as its releasing thread would have.
fn write_batch(_: &'static Worker<Vec<Arc<Outbox>>>, batch: Vec<Arc<Outbox>>) {
    for outbox in batch {
        outbox.release_held();
    }
}
