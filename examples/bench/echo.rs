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

use std::sync::Barrier;
use std::time::{Duration, Instant};

use crate::connect::{connect_for, Crowd, CLIENT_STACK};
use crate::error::BenchError;
use crate::progress::{Counter, Progress};
use crate::report::{Outcome, Row};
use crate::server::Server;
use crate::stamp::Stamp;
use crate::stats::{Arrival, SequenceCheck};
use crate::transport::{Channel, Client, Incoming, Outgoing, Transport};

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
    let clients = connect_for(&mut row, &crowd, |_| Channel::Echo);
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
    outgoing: Outgoing,
    incoming: Incoming,
    /// Measured messages sent: only these can be lost.
    sent: u64,
    check: SequenceCheck,
    outcome: Outcome,
}

impl<'a> EchoClient<'a> {
    fn new(id: u32, client: Client, plan: &'a EchoPlan) -> EchoClient<'a> {
        EchoClient {
            id,
            plan,
            outgoing: client.outgoing,
            incoming: client.incoming,
            sent: 0,
            check: SequenceCheck::new(plan.messages),
            outcome: Outcome::default(),
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
        self.outcome.counts = self.check.finish(self.sent);
        self.outcome.received = self.check.unique();
        self.outcome.error = result.err();
        Client {
            outgoing: self.outgoing,
            incoming: self.incoming,
        }
        .close();
        self.outcome
    }

    /// Round trips one at a time, left out of every figure.
    fn warm_up(&mut self) -> Result<(), BenchError> {
        for seq in 0..self.plan.warm_up {
            let message = Stamp::now(self.id, seq, true).message(self.plan.size);
            self.outgoing.send(&message)?;
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
    /// `timeout` (the rest are lost).
    fn measure(&mut self, counter: &Counter) -> Result<(), BenchError> {
        let mut in_flight = 0;
        while !self.check.is_complete() {
            while in_flight < self.plan.window && self.sent < self.plan.messages {
                let stamp = Stamp::now(self.id, self.sent, false);
                self.outgoing.send(&stamp.message(self.plan.size))?;
                self.sent += 1;
                in_flight += 1;
            }
            let Some(text) = self.incoming.recv(self.plan.timeout)? else {
                return Ok(()); // silence for a whole timeout: what is missing is lost
            };
            if self.judge(&text) == Some(Arrival::New) {
                in_flight -= 1;
                counter.add(1);
            }
        }
        Ok(())
    }

    /// Reads for a few milliseconds more, counting late copies.
    fn drain(&mut self) {
        while let Ok(Some(text)) = self.incoming.recv(Duration::from_millis(20)) {
            self.judge(&text);
        }
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
