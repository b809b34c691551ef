//! The results table: one [`Row`] per workload and transport, printed as markdown on stdout
//! (the progress line goes to stderr, so `bench > results.md` keeps only the table).

use std::time::Instant;

use crate::error::BenchError;
use crate::proc_stats::Snapshot;
use crate::stats::{Counts, Latencies};

/// What one client saw, for its row: echo clients and fanout receivers both report this.
#[derive(Debug, Default)]
pub struct Outcome {
    pub latencies: Latencies,
    pub counts: Counts,
    /// Expected messages that arrived (each counted once).
    pub received: u64,
    /// When the last of them arrived.
    pub last_received: Option<Instant>,
    /// Why the client stopped early, if it did.
    pub error: Option<BenchError>,
}

/// One line of the table.
#[derive(Debug)]
pub struct Row {
    pub workload: String,
    pub transport: &'static str,
    pub clients: usize,
    /// Messages (echo), deliveries (fanout) or connections (connect) measured.
    pub count: u64,
    /// `count` per second of the measured phase.
    pub rate: Option<f64>,
    /// Round trip (echo), send to delivery (fanout), or connect time (connect).
    pub latencies: Latencies,
    pub counts: Counts,
    /// Clients that failed (could not connect, or lost their connection).
    pub errors: u64,
    /// The server's peak memory and threads during the run.
    pub server: Option<Snapshot>,
    /// Anything else worth a word: room sizes, memory per connection, the first error.
    pub notes: Vec<String>,
}

impl Row {
    pub fn new(workload: &str, transport: &'static str, clients: usize) -> Row {
        Row {
            workload: workload.to_string(),
            transport,
            clients,
            count: 0,
            rate: None,
            latencies: Latencies::default(),
            counts: Counts::default(),
            errors: 0,
            server: None,
            notes: Vec::new(),
        }
    }

    /// Adds up the clients' outcomes. msg/s is what they received from `started` (when
    /// measuring began) to the last arrival.
    pub fn add_outcomes(&mut self, outcomes: Vec<Outcome>, started: Instant) {
        let mut ended = started;
        for outcome in outcomes {
            self.latencies.merge(outcome.latencies);
            self.counts.add(outcome.counts);
            self.count += outcome.received;
            ended = ended.max(outcome.last_received.unwrap_or(started));
            if let Some(e) = outcome.error {
                self.error(&e);
            }
        }
        let seconds = (ended - started).as_secs_f64();
        self.rate = (seconds > 0.0).then(|| self.count as f64 / seconds);
    }

    /// Counts an error, and keeps the first one's text for the notes.
    pub fn error(&mut self, e: &dyn std::fmt::Display) {
        if self.errors == 0 {
            self.notes.push(format!("first error: {e}"));
        }
        self.errors += 1;
    }
}

/// Prints the rows as one markdown table.
pub fn print_table(rows: &mut [Row]) {
    println!(
        "| workload | transport | clients | msgs | msg/s | p50 ms | p99 ms | p999 ms | lost | dup \
         | ooo | stray | errors | server RSS MiB | server threads | notes |"
    );
    println!("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|");
    for row in rows {
        let quantile = |latencies: &mut Latencies, q| match latencies.quantile_ms(q) {
            Some(ms) => format!("{ms:.3}"),
            None => "–".to_string(),
        };
        let (p50, p99, p999) = (
            quantile(&mut row.latencies, 0.5),
            quantile(&mut row.latencies, 0.99),
            quantile(&mut row.latencies, 0.999),
        );
        let rate = row.rate.map_or("–".to_string(), |r| format!("{r:.0}"));
        let (rss, threads) = match row.server {
            Some(s) => (format!("{:.1}", s.rss_mib()), s.threads.to_string()),
            None => ("–".to_string(), "–".to_string()),
        };
        let c = row.counts;
        println!(
            "| {} | {} | {} | {} | {rate} | {p50} | {p99} | {p999} | {} | {} | {} | {} | {} | {rss} \
             | {threads} | {} |",
            row.workload,
            row.transport,
            row.clients,
            row.count,
            c.lost,
            c.duplicated,
            c.out_of_order,
            c.stray,
            row.errors,
            row.notes.join("; ").replace('|', "/"),
        );
    }
}

/// What the columns mean, printed under the table once.
pub const LEGEND: &str = "\
msgs: messages echoed (echo), deliveries (fanout: one message to one receiver), or \
connections (connect); msg/s over the measured phase, warm-up excluded. Latency: round trip \
(echo), publisher's send to receiver's read (fanout), or the time to connect (connect: TCP, \
upgrade, and for Socket.IO the CONNECT). lost: expected, never arrived before the deadline; \
dup: arrived twice; ooo: arrived after a later one; stray: arrived where it should not \
(another client's echo, a room's message outside the room). errors: clients that failed. \
Server RSS and threads: the peak sampled every 200 ms from /proc/<pid>/status.";
