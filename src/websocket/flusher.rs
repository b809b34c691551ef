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

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::thread;

use super::outbox::Outbox;

/// Below this many outboxes a release is written by the releasing thread alone: waking the
/// flusher costs about as much as a few writes.
pub(crate) const SHARE_FROM: usize = 64;

/// Batches of outboxes to write, oldest first.
#[derive(Default)]
struct Flusher {
    batches: Mutex<VecDeque<Vec<Arc<Outbox>>>>,
    wake: Condvar,
}

/// Gives the flusher a share of `outboxes` (the back half) when the batch is large and there
/// is a flusher; returns the part left for the caller to write.
pub(crate) fn share(mut outboxes: Vec<Arc<Outbox>>) -> Vec<Arc<Outbox>> {
    if outboxes.len() < SHARE_FROM {
        return outboxes;
    }
    let Some(flusher) = flusher() else {
        return outboxes;
    };
    let theirs = outboxes.split_off(outboxes.len() / 2);
    flusher
        .batches
        .lock()
        .expect("flusher lock poisoned")
        .push_back(theirs);
    flusher.wake.notify_one();
    outboxes
}

/// The process's flusher, starting its thread on first use; `None` on a single core, or if
/// the thread could not start (the releasing thread then writes everything itself).
fn flusher() -> Option<&'static Flusher> {
    static FLUSHER: OnceLock<Option<&'static Flusher>> = OnceLock::new();
    *FLUSHER.get_or_init(|| {
        let cores = thread::available_parallelism().map_or(1, |n| n.get());
        if cores < 2 {
            return None;
        }
        let flusher: &'static Flusher = Box::leak(Box::default());
        let started = thread::Builder::new()
            .name("threadio-flusher".into())
            .stack_size(64 * 1024)
            .spawn(move || flusher.run());
        match started {
            Ok(_) => Some(flusher),
            Err(e) => {
                crate::log!("cannot start the flusher thread: {e}; broadcasts write alone");
                None
            }
        }
    })
}

impl Flusher {
    fn run(&self) {
        loop {
            for outbox in self.next() {
                outbox.release_held();
            }
        }
    }

    fn next(&self) -> Vec<Arc<Outbox>> {
        let mut batches = self.batches.lock().expect("flusher lock poisoned");
        loop {
            if let Some(batch) = batches.pop_front() {
                return batch;
            }
            batches = self.wake.wait(batches).expect("flusher lock poisoned");
        }
    }
}
