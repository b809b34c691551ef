//! The drainer: one background thread that finishes writing to clients that read slowly.
//!
//! When a write to a client times out or the writer's turn ends (the client is not reading
//! fast enough), the writer — a broadcaster, a thread releasing held frames, the flusher —
//! must move on, but what it left unsent must still arrive if the client catches up, even
//! if nothing else is ever broadcast. The writer hands the outbox, with its writer role, to
//! this thread, which retries each stalled outbox in turn.
//! Each retry blocks in the kernel for at most the socket's write timeout, so the thread
//! sleeps while nothing can be written and never spins.
//!
//! One thread for the whole process, started on first use: stalled clients are rare, and a
//! thread per stalled client would bring back the writer-thread-per-connection design that
//! NOTES.md measures and rejects. While the drainer holds an outbox, broadcasters only append
//! to its queue, so a slow client costs them nothing more; if it falls further behind than
//! the backlog bound, the next broadcast disconnects it.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::thread;

use super::outbox::{Flushed, Outbox};

/// Outboxes whose client stopped reading, oldest first.
#[derive(Default)]
struct Drainer {
    stalled: Mutex<VecDeque<Arc<Outbox>>>,
    wake: Condvar,
}

/// Gives `outbox`, whose writer role the caller holds, to the drainer thread.
pub(crate) fn hand_over(outbox: Arc<Outbox>) {
    match drainer() {
        Some(drainer) => {
            drainer
                .stalled
                .lock()
                .expect("drainer lock poisoned")
                .push_back(outbox);
            drainer.wake.notify_one();
        }
        // Without the thread, nobody could ever deliver the backlog: close the connection
        // rather than leave the client waiting for frames that will never come.
        None => outbox.kill(),
    }
}

/// The process's drainer, starting its thread on first use; `None` if it could not start.
fn drainer() -> Option<&'static Drainer> {
    static DRAINER: OnceLock<Option<&'static Drainer>> = OnceLock::new();
    *DRAINER.get_or_init(|| {
        let drainer: &'static Drainer = Box::leak(Box::default());
        let started = thread::Builder::new()
            .name("threadio-drainer".into())
            .stack_size(64 * 1024)
            .spawn(move || drainer.run());
        match started {
            Ok(_) => Some(drainer),
            Err(e) => {
                crate::log!("cannot start the drainer thread: {e}; slow clients will be closed");
                None
            }
        }
    })
}

impl Drainer {
    fn run(&self) {
        loop {
            let outbox = self.next();
            if outbox.drain_once() == Flushed::Stalled {
                self.stalled
                    .lock()
                    .expect("drainer lock poisoned")
                    .push_back(outbox);
            }
        }
    }

    fn next(&self) -> Arc<Outbox> {
        let mut stalled = self.stalled.lock().expect("drainer lock poisoned");
        loop {
            if let Some(outbox) = stalled.pop_front() {
                return outbox;
            }
            stalled = self.wake.wait(stalled).expect("drainer lock poisoned");
        }
    }
}
