//! The soak: a threadio server under a changing crowd for minutes or hours, watched for the
//! slow failures a benchmark is too short to see — memory that creeps up, threads or file
//! descriptors never given back, sessions never reaped, a message lost or doubled once in
//! a hundred thousand.
//!
//! ```text
//! cargo run --release --example soak                          # 10 minutes, 200 clients
//! cargo run --release --example soak -- --minutes 60 --clients 200 --seed 7
//! cargo run --release --example soak -- --help
//! cargo test --example soak                                   # its own unit tests
//! ```
//!
//! How it runs:
//!
//! 1. The server is this executable again, `--serve 0`, in a child process
//!    (`child_process.rs`, `soak_app.rs`), so `/proc/<pid>` shows the server alone.
//! 2. One warm-up client comes and goes over each transport; then the baseline is read.
//! 3. `--clients` slots run client lives one after another (`population.rs`): honest ones
//!    over WebSocket, polling and polling-then-upgrade that send acked messages to each
//!    other and to rooms, binary echoes, joins and leaves (`activity.rs`, `honest.rs`); slow
//!    readers (`slow_reader.rs`); clients that vanish (`vanisher.rs`). Every message goes
//!    through the ledger (`ledger.rs`), which says precisely what "delivered" must mean.
//! 4. Every `--sample-seconds` the server's RSS, threads, fds and sessions are sampled
//!    (`proc_figures.rs`, `watch.rs`), and the bytes its heap holds (`heap_meter.rs`: a
//!    counting allocator, so that a rising RSS can be told a leak or not), with a progress
//!    line on stderr.
//! 5. After `--minutes`, the clients stop, and the soak waits for the server to let go of
//!    everything — at most two heartbeats and 5 s.
//! 6. The report (`report.rs`) — samples, an ASCII chart of RSS (`chart.rs`), what became of
//!    the clients and messages — and the verdict (`verdict.rs`, `trend.rs`) go to stdout.
//!    The exit status is 0 for PASS, 1 for FAIL.
//!
//! The clients speak Socket.IO with threadio's own client-side pieces (`sio_peer.rs` on
//! `wire.rs`: `websocket::client`, `engineio::Packet` and `payload`, `socketio::packet`),
//! over HTTP from the bench (`long_poll.rs` on `examples/bench/http_client.rs`), upgrading
//! as `upgrade.rs` shows. Only 127.0.0.1; it stops by itself.

mod activity;
mod chart;
mod child_process;
#[path = "../bench/counting.rs"]
#[allow(dead_code)] // the bench counts bytes with it; we only use its reading loop
mod counting;
#[path = "../bench/error.rs"]
mod error;
mod fates;
#[path = "../cli/flags.rs"]
mod flags;
mod heap_meter;
mod honest;
#[path = "../bench/http_client.rs"]
#[allow(dead_code)] // its byte counts are the bench's business
mod http_client;
mod ledger;
mod long_poll;
mod population;
mod proc_figures;
mod report;
mod roster;
mod sio_peer;
mod slow_reader;
mod soak_app;
mod trend;
mod upgrade;
mod vanisher;
mod verdict;
mod watch;
mod wire;
mod world;
mod xorshift;

use std::sync::Arc;
use std::time::{Duration, Instant};

use child_process::ServerProcess;
use proc_figures::Figures;
use sio_peer::SioPeer;
use world::World;
use xorshift::Xorshift;

const USAGE: &str = "soak [--minutes M] [--clients N] [--sample-seconds S] [--seed N]   \
                     (defaults: 10 minutes, 200 clients, a sample every 5 s, a fresh seed)";

/// `--serve` is the child's flag, not the user's: it is accepted, and left out of the usage.
const SPEC: flags::Spec = flags::Spec {
    usage: USAGE,
    flags: &[
        "--minutes",
        "--clients",
        "--sample-seconds",
        "--seed",
        "--serve",
    ],
    positional: 0,
};

/// What one soak is asked to do.
struct Plan {
    length: Duration,
    clients: usize,
    sample_every: Duration,
    seed: u64,
}

fn main() {
    let flags = flags::Flags::parse(SPEC);
    if let Some(port) = flags.value::<u16>("--serve", SPEC) {
        return child_process::serve(port);
    }
    let plan = plan_of(&flags);
    match soak(&plan) {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(e) => {
            eprintln!("soak: {e}");
            std::process::exit(1);
        }
    }
}

/// The plan the flags ask for; a value out of its range ends the process with the usage.
fn plan_of(flags: &flags::Flags) -> Plan {
    let minutes: f64 = flags.value("--minutes", SPEC).unwrap_or(10.0);
    let clients: usize = flags.value("--clients", SPEC).unwrap_or(200);
    let sample: f64 = flags.value("--sample-seconds", SPEC).unwrap_or(5.0);
    let refuse = |what: &str| -> ! {
        eprintln!("{what}\nusage: {USAGE}");
        std::process::exit(2);
    };
    if !(minutes > 0.0 && minutes <= 24.0 * 60.0) {
        refuse("--minutes must be more than 0 and at most a day");
    }
    if !(2..=2_000).contains(&clients) {
        refuse("--clients must be between 2 and 2,000");
    }
    if !(0.5..=600.0).contains(&sample) {
        refuse("--sample-seconds must be between 0.5 and 600");
    }
    Plan {
        length: Duration::from_secs_f64(minutes * 60.0),
        clients,
        sample_every: Duration::from_secs_f64(sample),
        seed: flags
            .value("--seed", SPEC)
            .unwrap_or_else(Xorshift::fresh_seed),
    }
}

/// Runs one soak; `Ok(passed)`, or why it could not run.
fn soak(plan: &Plan) -> Result<bool, String> {
    let server = ServerProcess::start()?;
    let baseline = warm_up(&server)?;
    eprintln!(
        "soak: server pid {} on {}; baseline {:.1} MiB, {} threads, {} fds; {} clients for {}, seed {}",
        server.pid,
        server.addr,
        baseline.rss_mib(),
        baseline.threads,
        baseline.fds,
        plan.clients,
        chart::clock(plan.length.as_secs_f64()),
        plan.seed
    );
    let world = Arc::new(World::new(server.addr));
    let started = Instant::now();
    let slots = population::start(&world, plan.clients, &mut Xorshift::new(plan.seed));
    let watched = watch::during_load(&world, &server, started, plan.length, plan.sample_every);
    world.stop();
    for slot in slots {
        let _ = slot.join();
    }
    let (mut samples, died) = match watched {
        Ok(samples) => (samples, None),
        Err((samples, why)) => (samples, Some(why)),
    };
    watch::drain(&world, &server, started, baseline, &mut samples);
    world.ledger.settle();
    let (tally, fates) = (world.ledger.tally(), world.fates.snapshot());
    let checks = verdict::judge(&samples, &baseline, &tally, &fates);
    let passed = died.is_none() && checks.iter().all(|c| c.passed);
    report::print(&report::Findings {
        settings: settings(plan, &server),
        baseline,
        samples: &samples,
        tally,
        fates,
        checks: &checks,
        passed,
    });
    if let Some(why) = died {
        println!("\nThe soak stopped early: {why}.");
    }
    Ok(passed)
}

/// One client over each transport comes, is answered, and goes; then, once the server
/// has let go of them, its figures: the baseline the end is held to.
fn warm_up(server: &ServerProcess) -> Result<Figures, String> {
    for over_polling in [false, true] {
        let mut peer = SioPeer::open(server.addr, over_polling)
            .map_err(|e| format!("the warm-up client could not connect: {e}"))?;
        let deadline = Instant::now() + Duration::from_secs(10);
        let answered = peer
            .emit("join", vec!["warm-up".into()], true)
            .and_then(|_| peer.next(deadline));
        if !matches!(answered, Ok(Some(sio_peer::Heard::Ack(..)))) {
            return Err(format!("the warm-up client got no ack: {answered:?}"));
        }
        peer.close();
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut last: Option<Figures> = None;
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(500));
        let now = Figures::read(server.pid, server.addr).ok_or("the server does not answer")?;
        // Settled: no session, and the same threads and fds twice in a row.
        if now.sessions == 0 && last.is_some_and(|l| (l.threads, l.fds) == (now.threads, now.fds)) {
            return Ok(now);
        }
        last = Some(now);
    }
    Err("the server did not settle after the warm-up".into())
}

/// The run's settings, for the report's title.
fn settings(plan: &Plan, server: &ServerProcess) -> String {
    format!(
        "--minutes {} --clients {} --sample-seconds {} --seed {} (server pid {})",
        plan.length.as_secs_f64() / 60.0,
        plan.clients,
        plan.sample_every.as_secs_f64(),
        plan.seed,
        server.pid
    )
}
