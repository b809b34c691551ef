//! The soak's eyes: every `--sample-seconds` it reads the server's figures
//! (`proc_figures.rs`) beside the clients' count and the ledger's tally, keeps them as a
//! [`Sample`], and lets the ledger judge what it can; every second it redraws the progress
//! line on stderr. After the clients stop, it samples every second until the server is
//! back where it started, or the time allowed for that has passed.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use crate::chart::clock;
use crate::child_process::ServerProcess;
use crate::ledger::Tally;
use crate::proc_figures::Figures;
use crate::soak_app::{PING_INTERVAL, PING_TIMEOUT};
use crate::world::World;

/// How long, after the clients stopped, the server gets to let go of everything: two
/// heartbeats (a quiet vanisher's session lives one `pingInterval + pingTimeout` after its
/// last pong), and 5 s more.
pub const DRAIN_LIMIT: Duration = Duration::from_secs(5)
    .saturating_add(PING_INTERVAL)
    .saturating_add(PING_TIMEOUT)
    .saturating_add(PING_INTERVAL)
    .saturating_add(PING_TIMEOUT);

/// One look at the server and the clients.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// Since the clients started.
    pub at: Duration,
    /// Taken after the clients stopped.
    pub draining: bool,
    pub figures: Figures,
    pub clients: usize,
    pub tally: Tally,
}

/// Samples while the clients run, for `length`; returns the samples, or why it stopped
/// early (the server died).
///
/// # Errors
/// If the server's figures cannot be read: it has gone.
pub fn during_load(
    world: &World,
    server: &ServerProcess,
    started: Instant,
    length: Duration,
    every: Duration,
) -> Result<Vec<Sample>, (Vec<Sample>, String)> {
    let mut samples = Vec::new();
    let mut next_sample = started;
    let end = started + length;
    while Instant::now() < end {
        let fresh = Instant::now() >= next_sample;
        if fresh {
            match take(world, server, started, false) {
                Some(sample) => samples.push(sample),
                None => return Err((samples, "the server stopped answering".into())),
            }
            world.ledger.settle();
            next_sample += every;
        }
        if let Some(last) = samples.last() {
            progress(last, fresh, started.elapsed(), length, world);
        }
        let wake = next_sample
            .min(end)
            .min(Instant::now() + Duration::from_secs(1));
        std::thread::sleep(wake.saturating_duration_since(Instant::now()));
    }
    Ok(samples)
}

/// After the clients stopped: samples every second until no session is left and the
/// threads and descriptors are back to `baseline`, or [`DRAIN_LIMIT`] passed. Appends to
/// `samples`.
pub fn drain(
    world: &World,
    server: &ServerProcess,
    started: Instant,
    baseline: Figures,
    samples: &mut Vec<Sample>,
) {
    let limit = Instant::now() + DRAIN_LIMIT;
    loop {
        let Some(sample) = take(world, server, started, true) else {
            return;
        };
        samples.push(sample);
        progress(&sample, true, started.elapsed(), Duration::ZERO, world);
        if is_settled(&sample.figures, &baseline) || Instant::now() >= limit {
            end_progress();
            return;
        }
        std::thread::sleep(Duration::from_secs(1));
    }
}

/// Whether the server holds no more than it did before the clients came: no session, no
/// connection thread, no more file descriptors, and no more threads of its own (threadio's
/// workers, started on first use for the life of the process, aside).
pub fn is_settled(now: &Figures, baseline: &Figures) -> bool {
    now.sessions == 0
        && now.connection_threads == 0
        && now.other_threads() <= baseline.other_threads()
        && now.fds <= baseline.fds
}

fn take(world: &World, server: &ServerProcess, started: Instant, draining: bool) -> Option<Sample> {
    let figures = Figures::read(server.pid, server.addr)?;
    Some(Sample {
        at: started.elapsed(),
        draining,
        figures,
        clients: world.alive(),
        tally: world.ledger.tally(),
    })
}

/// `soak 3:20/10:00  clients 200  rss 45.2 MiB  threads 310  …` on stderr: redrawn every
/// second on a terminal; into a file, a line per sample (`fresh`).
fn progress(last: &Sample, fresh: bool, elapsed: Duration, length: Duration, world: &World) {
    let terminal = std::io::stderr().is_terminal();
    if !terminal && !fresh {
        return;
    }
    let tally = world.ledger.tally();
    let phase = match last.draining {
        false => format!(
            "{}/{}",
            clock(elapsed.as_secs_f64()),
            clock(length.as_secs_f64())
        ),
        true => format!("{} draining", clock(elapsed.as_secs_f64())),
    };
    let f = &last.figures;
    let line = format!(
        "soak {phase}  clients {}  rss {:.1} MiB  threads {}  fds {}  sessions {}  \
         sent {}  received {}  failures {}",
        world.alive(),
        f.rss_mib(),
        f.threads,
        f.fds,
        f.sessions,
        tally.sent,
        tally.receipts,
        tally.failures()
    );
    match terminal {
        true => eprint!("\r{line:<130}"),
        false => eprintln!("{line}"),
    }
    let _ = std::io::stderr().flush();
}

fn end_progress() {
    if std::io::stderr().is_terminal() {
        eprintln!();
    }
}
