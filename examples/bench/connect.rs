//! Opening many connections, a bounded number at a time — what every workload does first —
//! and the connect/hold workload: how fast clients can join, and what each one costs the
//! server while it stays (memory, a thread).
//!
//! Bounded, because a thousand simultaneous `connect()`s would overflow the server's listen
//! backlog (128 on Linux): the kernel would drop SYNs and the clients would retry a second
//! later, and we would be measuring TCP's retransmission timer instead of the server.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::BenchError;
use crate::proc_stats::Snapshot;
use crate::progress::{Counter, Progress};
use crate::report::Row;
use crate::server::Server;
use crate::transport::{self, Client, Route, Transport};

/// Client threads need little stack: a few frames of reading and parsing.
pub const CLIENT_STACK: usize = 256 * 1024;

/// One connection attempt: the client, or why not, and how long it took.
pub struct Attempt {
    pub client: Result<Client, BenchError>,
    pub took: Duration,
}

/// Who connects, and how: `count` clients over `transport`, `concurrency` at a time, each
/// waiting at most `timeout` for its handshake.
pub struct Crowd<'a> {
    pub transport: Transport,
    pub server: &'a Server,
    pub count: usize,
    pub concurrency: usize,
    pub timeout: Duration,
}

/// Connects a workload's clients with a progress line; client `i` joins `route(i)`.
/// Failures are counted in `row`; the others come back with their `i`.
pub fn connect_for(
    row: &mut Row,
    crowd: &Crowd,
    route: impl Fn(usize) -> Route + Sync,
) -> Vec<(usize, Client)> {
    let label = format!("{} {}: connecting", row.workload, row.transport);
    let progress = Progress::start(label, crowd.count as u64, "conns", crowd.server.pid);
    let attempts = connect_many(crowd, route, &progress.counter());
    progress.finish();
    let mut clients = Vec::new();
    for (i, attempt) in attempts.into_iter().enumerate() {
        match attempt.client {
            Ok(client) => clients.push((i, client)),
            Err(e) => row.error(&e),
        }
    }
    clients
}

/// Connects `crowd.count` clients, `crowd.concurrency` at a time; client `i` joins
/// `route(i)`. Returns the attempts in the order of `i`.
pub fn connect_many(
    crowd: &Crowd,
    route: impl Fn(usize) -> Route + Sync,
    progress: &Counter,
) -> Vec<Attempt> {
    let count = crowd.count;
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<Attempt>>> = (0..count).map(|_| Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..crowd.concurrency.clamp(1, count.max(1)) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    break;
                }
                let started = Instant::now();
                let (server, timeout) = (crowd.server.addr, crowd.timeout);
                let client = transport::connect(crowd.transport, server, &route(i), timeout);
                let attempt = Attempt {
                    client,
                    took: started.elapsed(),
                };
                *slots[i].lock().unwrap_or_else(|p| p.into_inner()) = Some(attempt);
                progress.add(1);
            });
        }
    });
    slots
        .into_iter()
        .map(|slot| {
            let attempt = slot.into_inner().unwrap_or_else(|p| p.into_inner());
            attempt.expect("every index below count was taken by a worker")
        })
        .collect()
}

/// The connect/hold workload's parameters.
#[derive(Debug, Clone)]
pub struct ConnectPlan {
    pub transport: Transport,
    pub clients: usize,
    pub hold: Duration,
    pub concurrency: usize,
    pub timeout: Duration,
}

/// Opens `clients` connections, holds them all for `hold` (answering the server's pings),
/// then closes them. Memory per connection is the server's RSS with all of them open,
/// minus its RSS before, divided by the number open.
pub fn run(plan: &ConnectPlan, server: &Server) -> Row {
    let name = plan.transport.name();
    let mut row = Row::new("connect", name, plan.clients);
    row.notes.push(format!("{} at a time", plan.concurrency));
    let before = server.pid.and_then(Snapshot::read);
    let progress = Progress::start(
        format!("connect {name}"),
        plan.clients as u64,
        "conns",
        server.pid,
    );
    let started = Instant::now();
    let crowd = Crowd {
        transport: plan.transport,
        server,
        count: plan.clients,
        concurrency: plan.concurrency,
        timeout: plan.timeout,
    };
    let attempts = connect_many(&crowd, |_| Route::Echo, &progress.counter());
    let connecting = started.elapsed();
    let mut clients = Vec::new();
    for attempt in attempts {
        match attempt.client {
            Ok(client) => {
                row.latencies.record(attempt.took.as_nanos() as u64);
                clients.push(client);
            }
            Err(e) => row.error(&e),
        }
    }
    row.count = clients.len() as u64;
    row.rate = Some(clients.len() as f64 / connecting.as_secs_f64());
    let open = clients.len();
    let dropped = hold(clients, plan.hold, || {
        let now = progress.sample_now(server.pid);
        if let (Some(before), Some(now), true) = (before, now, open > 0) {
            let per_connection = now.rss_kib.saturating_sub(before.rss_kib) as f64 / open as f64;
            row.notes.push(format!(
                "{per_connection:.1} KiB RSS/conn, {} threads with {open} open",
                now.threads
            ));
        }
    });
    for e in dropped {
        row.error(&e);
    }
    row.notes.push(format!("held {:?}", plan.hold));
    row.server = Some(progress.finish()).filter(|_| server.pid.is_some());
    row
}

/// Keeps every client open for `duration`, calls `measure` once the connections have
/// settled, then closes them all. Returns the errors of clients that were dropped meanwhile.
///
/// A Socket.IO client reads on its own thread, which answers the server's pings; a raw
/// WebSocket gets a thread here that reads it. (The bench's private client, before the
/// crate's, started that thread here for every transport, after the connect phase's clock
/// had stopped; the crate's client starts its reader while it connects: NOTES ch 21.)
fn hold(clients: Vec<Client>, duration: Duration, measure: impl FnOnce()) -> Vec<BenchError> {
    // Long enough for the server's last connection threads to reach their steady state.
    const SETTLE: Duration = Duration::from_millis(300);
    let release = AtomicBool::new(false);
    let (reading_themselves, needing_a_reader): (Vec<_>, Vec<_>) = clients
        .into_iter()
        .partition(|client| client.incoming.reads_itself());
    std::thread::scope(|scope| {
        let holders: Vec<_> = needing_a_reader
            .into_iter()
            .filter_map(|client| {
                let release = &release;
                std::thread::Builder::new()
                    .stack_size(CLIENT_STACK)
                    .spawn_scoped(scope, move || hold_one(client, release))
                    .ok()
            })
            .collect();
        std::thread::sleep(SETTLE.min(duration));
        measure();
        std::thread::sleep(duration.saturating_sub(SETTLE));
        release.store(true, Ordering::Relaxed);
        let mut dropped: Vec<BenchError> = holders
            .into_iter()
            .filter_map(|holder| holder.join().ok().and_then(Result::err))
            .collect();
        for mut client in reading_themselves {
            // Nothing is sent to a held client: anything but "still connected" is its end.
            if let Err(e) = client.incoming.recv(Duration::ZERO) {
                dropped.push(e);
            }
            client.close();
        }
        dropped
    })
}

fn hold_one(mut client: Client, release: &AtomicBool) -> Result<(), BenchError> {
    while !release.load(Ordering::Relaxed) {
        client.incoming.recv(Duration::from_millis(250))?;
    }
    client.close();
    Ok(())
}
