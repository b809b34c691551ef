//! `bench transports`: the argument of NOTES.md chapter 0 ("a persistent connection instead
//! of a request per message") as numbers. The same tiny round trip — the client sends
//! `hi`, the server answers `hi` — done N times each way: (a) an HTTP request on a new
//! connection, (b) on a keep-alive connection, (c) Socket.IO long-polling, (d) Socket.IO
//! over WebSocket, (e) raw WebSocket (`round_trip.rs` shows each on the wire).
//!
//! Per message: latency (p50, p99), the bytes the client wrote and read (counted by
//! wrapping its socket: heads, bodies, frame headers; not TCP/IP's own), and every system
//! call the server made, counted by `strace` in a second pass when it is on PATH.

use std::time::{Duration, Instant};

use crate::counting::ByteCount;
use crate::error::BenchError;
use crate::progress::{Counter, Progress};
use crate::round_trip::{Exchanger, Way};
use crate::server::{Server, ServerChoice};
use crate::stats::Latencies;
use crate::strace::{Strace, SyscallCounts};

/// `bench transports`' parameters.
#[derive(Debug, Clone)]
pub struct TransportsPlan {
    pub round_trips: u64,
    pub warm_up: u64,
    /// Count the server's system calls with strace, if it is on PATH (`--no-strace`: no).
    pub strace: bool,
    pub timeout: Duration,
}

/// What one way cost.
struct Measured {
    way: Way,
    done: u64,
    latencies: Latencies,
    bytes: ByteCount,
    syscalls: Option<Result<SyscallCounts, String>>,
    error: Option<BenchError>,
}

/// Runs every way, each against a fresh server, and prints the table.
pub fn run(plan: &TransportsPlan, choice: &ServerChoice) {
    let syscalls_skipped = why_no_strace(plan, choice);
    // From here on `strace` means "attach it", no longer "if it can be".
    let plan = &TransportsPlan {
        strace: syscalls_skipped.is_none(),
        ..plan.clone()
    };
    let mut results = Vec::new();
    for way in Way::ALL {
        let server = match Server::start(choice) {
            Ok(server) => server,
            Err(e) => {
                eprintln!("transports: {e}");
                return;
            }
        };
        let progress = Progress::start(
            format!("transports {}", way.label()),
            plan.round_trips,
            "round trips",
            server.pid,
        );
        results.push(measure(way, plan, &server, &progress.counter()));
        progress.finish();
    }
    print_table(&mut results, plan, syscalls_skipped);
}

/// Why this run will not count the server's system calls, if it will not.
fn why_no_strace(plan: &TransportsPlan, choice: &ServerChoice) -> Option<&'static str> {
    if !plan.strace {
        Some("--no-strace")
    } else if let ServerChoice::AlreadyRunning { pid: None, .. } = choice {
        Some("no --pid to attach strace to")
    } else if !Strace::available() {
        Some("strace not found")
    } else {
        None
    }
}

fn measure(way: Way, plan: &TransportsPlan, server: &Server, counter: &Counter) -> Measured {
    let mut measured = Measured {
        way,
        done: 0,
        latencies: Latencies::default(),
        bytes: ByteCount::default(),
        syscalls: None,
        error: None,
    };
    let mut exchanger = match Exchanger::open(way, server.addr, plan.timeout) {
        Ok(exchanger) => exchanger,
        Err(e) => {
            measured.error = Some(e);
            return measured;
        }
    };
    if let Err(e) = timed_pass(&mut exchanger, plan, counter, &mut measured) {
        measured.error = Some(e);
    } else if plan.strace {
        measured.syscalls = server.pid.map(|pid| traced_pass(&mut exchanger, plan, pid));
    }
    exchanger.close();
    measured
}

/// The warm-up, then the measured round trips with the client's byte counts read around them.
fn timed_pass(
    exchanger: &mut Exchanger,
    plan: &TransportsPlan,
    counter: &Counter,
    measured: &mut Measured,
) -> Result<(), BenchError> {
    for _ in 0..plan.warm_up {
        exchanger.round_trip(plan.timeout)?;
    }
    let bytes_before = exchanger.bytes();
    for _ in 0..plan.round_trips {
        let started = Instant::now();
        exchanger.round_trip(plan.timeout)?;
        measured
            .latencies
            .record(started.elapsed().as_nanos() as u64);
        measured.done += 1;
        counter.add(1);
    }
    measured.bytes = exchanger.bytes().minus(bytes_before);
    Ok(())
}

/// The same round trips again with strace attached, for the full count of system calls.
fn traced_pass(
    exchanger: &mut Exchanger,
    plan: &TransportsPlan,
    pid: u32,
) -> Result<SyscallCounts, String> {
    let strace = Strace::attach(pid)?;
    let result = (0..plan.round_trips).try_for_each(|_| exchanger.round_trip(plan.timeout));
    let counts = strace.finish()?;
    result.map_err(|e| format!("traced pass: {e}"))?;
    Ok(counts)
}

fn print_table(results: &mut [Measured], plan: &TransportsPlan, syscalls_skipped: Option<&str>) {
    println!(
        "| transport | round trips | p50 ms | p99 ms | bytes up/msg | bytes down/msg \
         | server syscalls/msg | notes |"
    );
    println!("|---|--:|--:|--:|--:|--:|--:|---|");
    for m in results.iter_mut() {
        let per = |x: u64| {
            if m.done == 0 {
                "–".to_string()
            } else {
                format!("{:.1}", x as f64 / m.done as f64)
            }
        };
        let ms = |latencies: &mut Latencies, q| {
            latencies
                .quantile_ms(q)
                .map_or("–".into(), |v| format!("{v:.3}"))
        };
        let (p50, p99) = (ms(&mut m.latencies, 0.5), ms(&mut m.latencies, 0.99));
        let mut notes = Vec::new();
        let syscalls = match &m.syscalls {
            Some(Ok(counts)) => {
                notes.push(top_calls(counts, plan.round_trips));
                format!("{:.1}", counts.total as f64 / plan.round_trips as f64)
            }
            Some(Err(e)) => {
                notes.push(e.clone());
                "–".to_string()
            }
            None => "–".to_string(),
        };
        if let Some(e) = &m.error {
            notes.push(format!("error: {e}"));
        }
        println!(
            "| {} | {} | {p50} | {p99} | {} | {} | {syscalls} | {} |",
            m.way.label(),
            m.done,
            per(m.bytes.sent),
            per(m.bytes.received),
            notes.join("; ").replace('|', "/"),
        );
    }
    println!();
    if let Some(why) = syscalls_skipped {
        println!("syscalls: skipped: {why}\n");
    }
    println!("{LEGEND}");
}

/// The most frequent calls per round trip: `recvfrom 2.0, writev 1.0, …`.
fn top_calls(counts: &SyscallCounts, round_trips: u64) -> String {
    let mut calls: Vec<(&str, f64)> = counts
        .by_name
        .iter()
        .map(|(name, n)| (name.as_str(), *n as f64 / round_trips as f64))
        .filter(|(_, per_message)| *per_message >= 0.05) // the timer's odd wakeup is noise
        .collect();
    calls.sort_by(|a, b| b.1.total_cmp(&a.1));
    let top: Vec<String> = calls
        .iter()
        .take(8)
        .map(|(name, per_message)| format!("{name} {per_message:.1}"))
        .collect();
    top.join(", ")
}

const LEGEND: &str = "\
Bytes: what the client wrote (up) and read (down), counted on its socket: heads, bodies, \
WebSocket frame headers and masks; not TCP/IP headers, and (a) also pays a TCP handshake \
and teardown per message. Syscalls: every call of every server thread under `strace -f -c`, \
the most frequent in the notes; counted in a separate pass whose latencies are not used.";
