//! One thread that runs tasks at given times: Socket.IO's acknowledgement timeouts, and the
//! long-polling sessions' heartbeat, connect timeout and close grace (which have no thread of
//! their own).
//!
//! `socket.emit_with_ack(…, timeout, callback)` promises to call back with an error if no
//! acknowledgement arrives in time, even if the client never sends anything again. The
//! connection's own thread cannot promise that (it may be blocked reading), so timeouts go to
//! this one thread for the whole process, which sleeps on a condition variable until the
//! earliest deadline. A task that is no longer needed is not cancelled: it runs and finds
//! nothing to do (an ack that already arrived, a heartbeat of an earlier generation). Tasks
//! must not wait on application code: a session's handler lock is only ever *tried* from
//! here. Application code does run here, though: an ack's timeout callback, and the
//! disconnect handlers of a polling session closed for ping timeout.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::sync::{Condvar, Mutex, OnceLock};
use std::time::Instant;

type Task = Box<dyn FnOnce() + Send>;

struct Entry {
    at: Instant,
    seq: u64,
    task: Task,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Entry) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Entry) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    /// Earlier first; among equal times, the one scheduled first.
    fn cmp(&self, other: &Entry) -> Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

#[derive(Default)]
struct Queue {
    heap: BinaryHeap<Reverse<Entry>>,
    next_seq: u64,
}

struct Timer {
    queue: Mutex<Queue>,
    wake: Condvar,
}

/// Runs `task` on the timer thread at `at` (or soon after). If the timer thread cannot be
/// started, the task runs at once, on the caller's thread, rather than never.
pub fn schedule(at: Instant, task: impl FnOnce() + Send + 'static) {
    let Some(timer) = timer() else {
        task();
        return;
    };
    let mut queue = timer.queue.lock().expect("timer lock poisoned");
    let seq = queue.next_seq;
    queue.next_seq += 1;
    queue.heap.push(Reverse(Entry {
        at,
        seq,
        task: Box::new(task),
    }));
    timer.wake.notify_one();
}

fn timer() -> Option<&'static Timer> {
    static TIMER: OnceLock<Option<&'static Timer>> = OnceLock::new();
    *TIMER.get_or_init(|| {
        let timer: &'static Timer = Box::leak(Box::new(Timer {
            queue: Mutex::new(Queue::default()),
            wake: Condvar::new(),
        }));
        let started = std::thread::Builder::new()
            .name("threadio-timer".into())
            .stack_size(128 * 1024)
            .spawn(move || timer.run());
        match started {
            Ok(_) => Some(timer),
            Err(e) => {
                crate::log!("cannot start the timer thread: {e}; timeouts will fire at once");
                None
            }
        }
    })
}

impl Timer {
    fn run(&self) {
        loop {
            let task = self.next_due();
            // A task that panics must not take the timer down with it.
            if std::panic::catch_unwind(std::panic::AssertUnwindSafe(task)).is_err() {
                crate::log!("a timer task panicked");
            }
        }
    }

    /// Sleeps until the earliest task is due and returns it.
    fn next_due(&self) -> Task {
        let mut queue = self.queue.lock().expect("timer lock poisoned");
        loop {
            let now = Instant::now();
            match queue.heap.peek() {
                Some(Reverse(entry)) if entry.at <= now => {
                    let Reverse(entry) = queue.heap.pop().expect("peeked just now");
                    return entry.task;
                }
                Some(Reverse(entry)) => {
                    let wait = entry.at - now;
                    queue = self
                        .wake
                        .wait_timeout(queue, wait)
                        .expect("timer lock poisoned")
                        .0;
                }
                None => queue = self.wake.wait(queue).expect("timer lock poisoned"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    #[test]
    fn tasks_run_in_deadline_order_not_scheduling_order() {
        let (tx, rx) = mpsc::channel();
        let now = Instant::now();
        for (delay, label) in [(60, "c"), (20, "a"), (40, "b")] {
            let tx = tx.clone();
            schedule(now + Duration::from_millis(delay), move || {
                tx.send(label).unwrap()
            });
        }
        let order: Vec<&str> = (0..3)
            .map(|_| rx.recv_timeout(Duration::from_secs(5)).unwrap())
            .collect();
        assert_eq!(order, ["a", "b", "c"]);
        assert!(now.elapsed() >= Duration::from_millis(60));
    }
}
