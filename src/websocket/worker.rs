//! One background thread and the queue that feeds it: the drainer (`drainer.rs`) and the
//! flusher (`flusher.rs`) are each one.
//!
//! Where it sits: below those two, which decide what a job is and when to give one. A worker
//! is started on first use and lives as long as the process; it takes jobs in the order they
//! came and sleeps on a condition variable while there are none, so it never spins.

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex};
use std::thread;

/// A thread's queue of jobs, oldest first.
pub(crate) struct Worker<T> {
    jobs: Mutex<VecDeque<T>>,
    wake: Condvar,
}

impl<T: Send + 'static> Worker<T> {
    /// Starts a thread named `name` that calls `each` with every job, one at a time, for the
    /// life of the process. `None` (and a log line) if the thread cannot start: the caller
    /// says what happens without it.
    pub(crate) fn start(name: &str, each: fn(&'static Worker<T>, T)) -> Option<&'static Worker<T>> {
        let worker: &'static Worker<T> = Box::leak(Box::new(Worker {
            jobs: Mutex::new(VecDeque::new()),
            wake: Condvar::new(),
        }));
        // A small stack: a worker runs only threadio's write path, never application code.
        let started = thread::Builder::new()
            .name(name.into())
            .stack_size(64 * 1024)
            .spawn(move || loop {
                let job = worker.next();
                each(worker, job);
            });
        match started {
            Ok(_) => Some(worker),
            Err(e) => {
                crate::log!("cannot start the {name} thread: {e}");
                None
            }
        }
    }

    /// Queues `job` and wakes the thread.
    pub(crate) fn push(&self, job: T) {
        self.jobs
            .lock()
            .expect("worker lock poisoned")
            .push_back(job);
        self.wake.notify_one();
    }

    fn next(&self) -> T {
        let mut jobs = self.jobs.lock().expect("worker lock poisoned");
        loop {
            if let Some(job) = jobs.pop_front() {
                return job;
            }
            jobs = self.wake.wait(jobs).expect("worker lock poisoned");
        }
    }
}
