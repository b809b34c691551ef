//! The inbox: one thread that acts on what the other nodes sent, in the order it came.
//!
//! The subscriber's reader thread only reads and sorts. Acting — delivering a broadcast to
//! this node's sockets, answering a request, running the application's server-side
//! handlers and broadcast-ack callbacks — happens here, so that a handler that asks the
//! cluster something (`fetch_sockets` from a server-side handler, say) blocks this thread
//! while the reader goes on reading the answers it waits for. One thread keeps the order in
//! which one node's messages arrive, which is all Redis promises.
//!
//! The queue is bounded: when this thread falls behind, the reader waits, Redis buffers for
//! the subscriber, and past Redis's own limit (`client-output-buffer-limit pubsub`) Redis
//! drops the connection, which the subscriber reports and restores — a loss that is logged
//! and counted, instead of memory that grows without end here.

use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread;

/// Work for the inbox thread.
pub(crate) type Job = Box<dyn FnOnce() + Send>;

/// How many jobs may wait.
const BOUND: usize = 65_536;

/// The handle that queues jobs for the inbox thread.
#[derive(Clone)]
pub(crate) struct Inbox {
    queue: SyncSender<Job>,
}

impl Inbox {
    /// Starts the thread; it ends when every handle is dropped.
    pub(crate) fn start() -> std::io::Result<Inbox> {
        let (queue, jobs) = sync_channel(BOUND);
        thread::Builder::new()
            .name("redis-adapter-inbox".into())
            .spawn(move || run(&jobs))?;
        Ok(Inbox { queue })
    }

    /// Queues `job`, waiting if the queue is full (see the module's header).
    pub(crate) fn push(&self, job: Job) {
        // An error means the thread has ended: the process is going down.
        let _ = self.queue.send(job);
    }
}

fn run(jobs: &Receiver<Job>) {
    for job in jobs {
        // A panic in application code (a handler) must not end the inbox for every
        // namespace: it is logged, and the next job runs.
        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(job)).is_err() {
            crate::log!("redis adapter: a job from another node panicked; going on");
        }
    }
}
