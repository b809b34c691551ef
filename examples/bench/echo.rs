//! The echo workload: each of C clients sends M messages of S bytes and waits for each to
//! come back, with at most W in flight; the server sends each back to its sender only.
//!
//! ```text
//!  client 3:  send 3:0  send 3:1  (window 2 full)  ← 3:0  send 3:2  ← 3:1  send 3:3 …
//! ```
//!
//! Every client first does a few round trips alone (the warm-up: the server's threads and
//! buffers are in place, the caches warm), then all wait at a barrier and start measuring
//! together, so msgs/s is the rate with every client busy.

use std::sync::{Arc, Barrier, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::connect::{connect_for, Crowd, CLIENT_STACK};
use crate::error::BenchError;
use crate::progress::{Counter, Progress};
use crate::report::{Outcome, Row};
use crate::server::Server;
use crate::stamp::Stamp;
use crate::stats::{Arrival, SequenceCheck};
use crate::transport::{Client, Incoming, Outgoing, Route, Transport};

/// The echo workload's parameters.
#[derive(Debug, Clone)]
pub struct EchoPlan {
    pub transport: Transport,
    pub clients: usize,
    pub messages: u64,
    pub size: usize,
    pub window: u64,
    pub warm_up: u64,
    /// How long a client waits for the next echo before counting the rest lost.
    pub timeout: Duration,
    pub concurrency: usize,
}

pub fn run(plan: &EchoPlan, server: &Server) -> Row {
    let name = plan.transport.name();
    let mut row = Row::new("echo", name, plan.clients);
    row.notes
        .push(format!("{} B, window {}", plan.size, plan.window));
    let crowd = Crowd {
        transport: plan.transport,
        server,
        count: plan.clients,
        concurrency: plan.concurrency,
        timeout: plan.timeout,
    };
    let clients = connect_for(&mut row, &crowd, |_| Route::Echo);
    let total = clients.len() as u64 * plan.messages;
    let progress = Progress::start(format!("echo {name}"), total, "msgs", server.pid);
    let barrier = Barrier::new(clients.len() + 1);
    let (started, outcomes) = std::thread::scope(|scope| {
        let threads: Vec<_> = clients
            .into_iter()
            .map(|(id, client)| {
                let (barrier, counter) = (&barrier, progress.counter());
                let client = EchoClient::new(id as u32, client, plan);
                std::thread::Builder::new()
                    .stack_size(CLIENT_STACK)
                    .spawn_scoped(scope, move || client.run(barrier, &counter))
                    .expect("a client thread")
            })
            .collect();
        barrier.wait();
        let started = Instant::now();
        // Every client is connected now: even a run shorter than a tick gets a sample.
        progress.sample_now(server.pid);
        let outcomes: Vec<Outcome> = threads.into_iter().filter_map(|t| t.join().ok()).collect();
        (started, outcomes)
    });
    row.server = Some(progress.finish()).filter(|_| server.pid.is_some());
    row.add_outcomes(outcomes, started);
    row
}

/// One client's connection and what it has seen so far.
struct EchoClient<'a> {
    id: u32,
    plan: &'a EchoPlan,
    incoming: Incoming,
    /// Shared with the reaction that reads the measured echoes, which may run on another
    /// thread (a Socket.IO client's reader: `transport.rs`, `Incoming::react_while`).
    tally: Arc<Mutex<Tally>>,
}

/// The client's side of the measured round trips.
struct Tally {
    id: u32,
    size: usize,
    window: u64,
    messages: u64,
    outgoing: Outgoing,
    /// Measured messages sent: only these can be lost.
    sent: u64,
    in_flight: u64,
    last_heard: Instant,
    check: SequenceCheck,
    outcome: Outcome,
    /// A send that failed inside the reaction, for the client's thread to report.
    failed: Option<BenchError>,
}

impl<'a> EchoClient<'a> {
    fn new(id: u32, client: Client, plan: &'a EchoPlan) -> EchoClient<'a> {
        let tally = Tally {
            id,
            size: plan.size,
            window: plan.window,
            messages: plan.messages,
            outgoing: client.outgoing,
            sent: 0,
            in_flight: 0,
            last_heard: Instant::now(),
            check: SequenceCheck::new(plan.messages),
            outcome: Outcome::default(),
            failed: None,
        };
        EchoClient {
            id,
            plan,
            incoming: client.incoming,
            tally: Arc::new(Mutex::new(tally)),
        }
    }

    /// Warm up, wait for the others, then the measured round trips; closes the client.
    fn run(mut self, barrier: &Barrier, counter: &Counter) -> Outcome {
        let warm = self.warm_up();
        barrier.wait(); // every thread gets here, warm or not, so the barrier cannot hang
        let result = warm.and_then(|()| self.measure(counter));
        // Anything still on its way now is a duplicate or a stray: give it a moment to show.
        if result.is_ok() {
            self.drain();
        }
        let mut tally = lock(&self.tally);
        let sent = tally.sent;
        tally.outcome.counts = tally.check.finish(sent);
        tally.outcome.received = tally.check.unique();
        tally.outcome.error = result.err();
        let outgoing = tally.outgoing.clone();
        let outcome = std::mem::take(&mut tally.outcome);
        drop(tally);
        Client {
            outgoing,
            incoming: self.incoming,
        }
        .close();
        outcome
    }

    /// Round trips one at a time, left out of every figure.
    fn warm_up(&mut self) -> Result<(), BenchError> {
        let outgoing = lock(&self.tally).outgoing.clone();
        for seq in 0..self.plan.warm_up {
            let message = Stamp::now(self.id, seq, true).message(self.plan.size);
            outgoing.send(&message)?;
            // Nothing else is in flight during the warm-up: anything else is skipped.
            loop {
                let echo = self.incoming.recv(self.plan.timeout)?;
                match echo.ok_or(BenchError::Timeout("a warm-up echo"))? {
                    echo if echo == message => break,
                    _ => {}
                }
            }
        }
        Ok(())
    }

    /// Keeps `window` messages in flight until all `messages` came back, or none came for
    /// `timeout` (the rest are lost). Each echo is judged, and the window refilled, by a
    /// reaction on whichever thread reads the connection.
    fn measure(&mut self, counter: &Counter) -> Result<(), BenchError> {
        {
            let mut tally = lock(&self.tally);
            tally.last_heard = Instant::now();
            tally.fill_window()?;
        }
        let (shared, counter) = (Arc::clone(&self.tally), counter.clone());
        let reaction = Box::new(move |text: &str| {
            let mut tally = lock(&shared);
            tally.last_heard = Instant::now();
            if tally.judge(text) == Some(Arrival::New) {
                tally.in_flight -= 1;
                counter.add(1);
            }
            if let Err(e) = tally.fill_window() {
                tally.failed.get_or_insert(e);
            }
        });
        let timeout = self.plan.timeout;
        self.incoming.react_while(reaction, || {
            let tally = lock(&self.tally);
            // Silence for a whole timeout: what is missing is lost.
            tally.failed.is_none()
                && !tally.check.is_complete()
                && tally.last_heard.elapsed() < timeout
        })?;
        lock(&self.tally).failed.take().map_or(Ok(()), Err)
    }

    /// Reads for a few milliseconds more, counting late copies.
    fn drain(&mut self) {
        while let Ok(Some(text)) = self.incoming.recv(Duration::from_millis(20)) {
            lock(&self.tally).judge(&text);
        }
    }
}

impl Tally {
    /// Sends measured messages until `window` are in flight or all are sent.
    fn fill_window(&mut self) -> Result<(), BenchError> {
        while self.in_flight < self.window && self.sent < self.messages {
            let stamp = Stamp::now(self.id, self.sent, false);
            self.outgoing.send(&stamp.message(self.size))?;
            self.sent += 1;
            self.in_flight += 1;
        }
        Ok(())
    }

    /// Checks one arrival; a new one gets its latency recorded. `None`: a late warm-up echo.
    fn judge(&mut self, text: &str) -> Option<Arrival> {
        match Stamp::parse(text) {
            Some(stamp) if stamp.sender == self.id && stamp.warm_up => None,
            Some(stamp) if stamp.sender == self.id => {
                let arrival = self.check.record(stamp.seq);
                if arrival == Arrival::New {
                    self.outcome.latencies.record(stamp.age_ns());
                    self.outcome.last_received = Some(Instant::now());
                }
                Some(arrival)
            }
            _ => {
                self.check.record_stray(); // another client's echo, or not ours at all
                Some(Arrival::Stray)
            }
        }
    }
}

/// The tally's lock; a reaction that panicked leaves its figures as they were.
fn lock(tally: &Mutex<Tally>) -> MutexGuard<'_, Tally> {
    tally.lock().unwrap_or_else(|p| p.into_inner())
}
