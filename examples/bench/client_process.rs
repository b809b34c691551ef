//! One client process of `cluster-scale` (`bench --client-process ADDR --per-node C`): it
//! holds C Socket.IO clients (over WebSocket) on one node, each a thread (the crate's
//! client's reader, which also records what arrives: `hold`), and tells the
//! bench on stdout when each stamped message reached them. A process of its own, because
//! one process cannot hold tens of thousands of threads (`vm.max_map_count`, NOTES.md
//! chapter 6): the bench runs one per node.
//!
//! It speaks in lines, words separated by spaces:
//!
//! ```text
//! to the bench    progress ATTEMPTED                      every second while connecting
//!                 ready CONNECTED FAILED [first error…]
//!                 arrivals KEY ALIVE DUPLICATED AGE,AGE,… answer to `collect`
//! from the bench  collect KEY TIMEOUT_MS                  answer once ALIVE clients have
//!                                                         had KEY, or at the timeout
//!                 (end of file)                           exit: the kernel closes all
//! ```
//!
//! KEY names a message by its stamp: `w0` for the warm-up, `1`, `2`… for the measured ones.
//! ALIVE is the clients still connected; each AGE is one client's arrival time minus the
//! stamp's send time, in ns, on the system clock (`stamp.rs` `wall_ns`): the publisher is in
//! the bench, another process. A client that has not had KEY has no AGE.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, Write};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::connect::{connect_many, Crowd};
use crate::error::BenchError;
use crate::progress::Counter;
use crate::server::{Server, ServerChoice};
use crate::stamp::{wall_ns, Stamp};
use crate::transport::{Incoming, Route, Transport};

/// What the bench asks of one client process.
#[derive(Debug, Clone)]
pub struct ClientProcessPlan {
    pub server: SocketAddr,
    pub clients: usize,
    /// Connections opened at once.
    pub concurrency: usize,
    /// How long one connection's handshake may take.
    pub timeout: Duration,
}

/// How often a waiting `collect` looks at the tally. Only the answer waits this long;
/// the ages were taken when each message arrived.
const COLLECT_POLL: Duration = Duration::from_millis(5);

/// What the holding threads report, shared with the thread that answers the bench.
#[derive(Default)]
struct Tally {
    /// Arrivals by KEY. One lock for all: a thread holds it only to push one number.
    arrivals: Mutex<HashMap<String, Arrivals>>,
    alive: AtomicUsize,
    first_loss: Mutex<Option<String>>,
}

#[derive(Default)]
struct Arrivals {
    ages_ns: Vec<u64>,
    duplicated: u64,
}

pub fn run(plan: &ClientProcessPlan) {
    let choice = ServerChoice::AlreadyRunning {
        addr: plan.server,
        pid: None,
    };
    let server = Server::start(&choice).expect("a running server is taken as it is");
    let crowd = Crowd {
        transport: Transport::SocketIoWebSocket,
        server: &server,
        count: plan.clients,
        concurrency: plan.concurrency,
        timeout: plan.timeout,
    };
    let attempted = Counter::default();
    let connecting = AtomicBool::new(true);
    let attempts = std::thread::scope(|scope| {
        scope.spawn(|| {
            while connecting.load(Ordering::Relaxed) {
                say(&format!("progress {}", attempted.get()));
                std::thread::sleep(Duration::from_secs(1));
            }
        });
        let attempts = connect_many(&crowd, |_| Route::Everyone, &attempted);
        connecting.store(false, Ordering::Relaxed);
        attempts
    });
    let tally = Arc::new(Tally::default());
    let mut failed = 0;
    let mut first_error = None;
    let mut held = Vec::new();
    for attempt in attempts {
        match attempt.client {
            Ok(client) => {
                tally.alive.fetch_add(1, Ordering::Relaxed);
                held.push(client.outgoing);
                if let Err(e) = hold(client.incoming, &tally) {
                    tally.lose(&e);
                    failed += 1;
                    first_error.get_or_insert_with(|| e.to_string());
                }
            }
            Err(e) => {
                failed += 1;
                first_error.get_or_insert_with(|| e.to_string());
            }
        }
    }
    let connected = tally.alive.load(Ordering::Relaxed);
    let error = first_error.unwrap_or_default();
    say(format!("ready {connected} {failed} {error}").trim_end());
    answer_the_bench(&tally);
    // End of file: the bench is done, or gone. Exit without closing each client: the
    // kernel closes every socket at once.
    drop(held);
    std::process::exit(0);
}

/// Records each stamped message the client reads, on the client's own reader thread: a
/// process holds 12,000 clients with one thread each, the reader, and no thread of ours.
///
/// # Errors
/// If the client is a raw WebSocket, which would need a thread of ours.
fn hold(incoming: Incoming, tally: &Arc<Tally>) -> Result<(), BenchError> {
    let (on_message, on_gone) = (Arc::clone(tally), Arc::clone(tally));
    let mut had = HashSet::new();
    let reaction = Box::new(move |text: &str| {
        let arrived = wall_ns();
        if let Some(stamp) = Stamp::parse(text) {
            let age = arrived.saturating_sub(stamp.sent_at_ns);
            let key = key(&stamp);
            let first = had.insert(key.clone());
            on_message.record(key, age, first);
        }
    });
    let gone = Box::new(move |e: BenchError| on_gone.lose(&e));
    incoming
        .hand_over(reaction, gone)
        .map_err(|_| BenchError::Protocol("a client process holds Socket.IO clients only".into()))
}

impl Tally {
    fn record(&self, key: String, age_ns: u64, first: bool) {
        let mut arrivals = self.arrivals.lock().unwrap_or_else(|p| p.into_inner());
        let entry = arrivals.entry(key).or_default();
        match first {
            true => entry.ages_ns.push(age_ns),
            false => entry.duplicated += 1,
        }
    }

    fn lose(&self, e: &BenchError) {
        self.alive.fetch_sub(1, Ordering::Relaxed);
        let mut first = self.first_loss.lock().unwrap_or_else(|p| p.into_inner());
        first.get_or_insert_with(|| e.to_string());
    }

    /// The `arrivals` line for `key` once every client still alive has had it, or at
    /// `deadline` with what came.
    fn collect(&self, key: &str, deadline: Instant) -> String {
        loop {
            let alive = self.alive.load(Ordering::Relaxed);
            {
                let arrivals = self.arrivals.lock().unwrap_or_else(|p| p.into_inner());
                let had = arrivals.get(key);
                let count = had.map_or(0, |a| a.ages_ns.len());
                if count >= alive || Instant::now() >= deadline {
                    let duplicated = had.map_or(0, |a| a.duplicated);
                    let ages: Vec<String> = (had.iter())
                        .flat_map(|a| a.ages_ns.iter().map(u64::to_string))
                        .collect();
                    return format!("arrivals {key} {alive} {duplicated} {}", ages.join(","));
                }
            }
            std::thread::sleep(COLLECT_POLL);
        }
    }
}

/// Answers `collect` lines until the bench closes our stdin.
fn answer_the_bench(tally: &Tally) {
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { return };
        let words: Vec<&str> = line.split_whitespace().collect();
        if let ["collect", key, timeout_ms] = words.as_slice() {
            let timeout = Duration::from_millis(timeout_ms.parse().unwrap_or(10_000));
            say(&tally.collect(key, Instant::now() + timeout));
        }
        if let Some(loss) = tally
            .first_loss
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            eprintln!("bench client process: a client was lost: {loss}");
        }
    }
}

/// A message's KEY: `w0` for a warm-up stamp with seq 0, `3` for measured seq 3.
pub fn key(stamp: &Stamp) -> String {
    let warm = if stamp.warm_up { "w" } else { "" };
    format!("{warm}{}", stamp.seq)
}

/// One line to the bench, at once (stdout is line-buffered, but a closed pipe must not
/// panic us: the bench may be gone).
fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}").and_then(|_| out.flush());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collect_answers_once_every_live_client_has_the_message_with_ages_and_duplicates() {
        let tally = Tally::default();
        tally.alive.store(2, Ordering::Relaxed);
        tally.record("1".into(), 1_500, true);
        tally.record("1".into(), 1_700, false);
        tally.record("1".into(), 2_500, true);
        let deadline = Instant::now() + Duration::from_secs(5);
        assert_eq!(tally.collect("1", deadline), "arrivals 1 2 1 1500,2500");
        let warm = Stamp {
            sender: 0,
            seq: 0,
            sent_at_ns: 0,
            warm_up: true,
        };
        assert_eq!(key(&warm), "w0");
    }

    #[test]
    fn collect_gives_up_at_its_deadline_with_what_came() {
        let tally = Tally::default();
        tally.alive.store(3, Ordering::Relaxed);
        tally.record("2".into(), 900, true);
        assert_eq!(tally.collect("2", Instant::now()), "arrivals 2 3 0 900");
        assert_eq!(tally.collect("7", Instant::now()), "arrivals 7 3 0 ");
    }
}
