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

use std::sync::{Arc, OnceLock};

use super::outbox::{Flushed, Outbox};
use super::worker::Worker;

/// Gives `outbox`, whose writer role the caller holds, to the drainer thread.
pub(crate) fn hand_over(outbox: Arc<Outbox>) {
    match drainer() {
        Some(drainer) => drainer.push(outbox),
        // Without the thread, nobody could ever deliver the backlog: close the connection
        // rather than leave the client waiting for frames that will never come.
        None => outbox.kill(),
    }
}

/// The process's drainer, starting its thread on first use; `None` if it could not start.
fn drainer() -> Option<&'static Worker<Arc<Outbox>>> {
    static DRAINER: OnceLock<Option<&'static Worker<Arc<Outbox>>>> = OnceLock::new();
    *DRAINER.get_or_init(|| Worker::start("threadio-drainer", retry))
}

/// One turn at a stalled outbox; one that is still stalled goes to the back of the queue,
/// so that every stalled client gets its turn.
fn retry(drainer: &'static Worker<Arc<Outbox>>, outbox: Arc<Outbox>) {
    if outbox.drain_once() == Flushed::Stalled {
        drainer.push(outbox);
    }
}
