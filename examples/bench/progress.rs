//! The line on stderr that says how far a run has got, and the server's peak memory and
//! threads, sampled on the same tick.
//!
//! Workers only add to an atomic counter; one thread wakes every 200 ms to print it, so a
//! busy client never waits on the terminal. On a terminal the line redraws itself (`\r`);
//! into a file it is printed every 2 s instead, one line each time.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::proc_stats::Snapshot;

const TICK: Duration = Duration::from_millis(200);
const TICK_NOT_A_TERMINAL: Duration = Duration::from_secs(2);

/// A running progress line. Clone the [`Counter`] into the workers.
pub struct Progress {
    counter: Counter,
    stop: Arc<AtomicBool>,
    peak: Arc<Mutex<Snapshot>>,
    ticker: Option<JoinHandle<()>>,
}

/// What workers count: messages, deliveries or connections. One without a [`Progress`]
/// (`Counter::default()`) counts for whoever reads it: `crowd.rs` reports it to its parent.
#[derive(Clone, Default)]
pub struct Counter(Arc<AtomicU64>);

impl Counter {
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }

    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

impl Progress {
    /// Starts printing `label: done/total unit  rate unit/s`, and sampling the server at
    /// `pid` (if known) for [`Progress::finish`].
    pub fn start(label: String, total: u64, unit: &'static str, pid: Option<u32>) -> Progress {
        let counter = Counter(Arc::new(AtomicU64::new(0)));
        let stop = Arc::new(AtomicBool::new(false));
        let peak = Arc::new(Mutex::new(Snapshot::default()));
        let ticker = {
            let (counter, stop, peak) = (counter.clone(), Arc::clone(&stop), Arc::clone(&peak));
            std::thread::spawn(move || {
                let line = Line { label, total, unit };
                tick(&line, &counter, &stop, &peak, pid)
            })
        };
        Progress {
            counter,
            stop,
            peak,
            ticker: Some(ticker),
        }
    }

    pub fn counter(&self) -> Counter {
        self.counter.clone()
    }

    /// The server's memory and threads right now, and folded into the peak.
    pub fn sample_now(&self, pid: Option<u32>) -> Option<Snapshot> {
        let now = Snapshot::read(pid?)?;
        let mut peak = self.peak.lock().unwrap_or_else(|p| p.into_inner());
        *peak = peak.max(now);
        Some(now)
    }

    /// Stops the line, clears it, and returns the server's peak RSS and threads seen.
    pub fn finish(mut self) -> Snapshot {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(ticker) = self.ticker.take() {
            ticker.thread().unpark();
            let _ = ticker.join();
        }
        let peak = *self.peak.lock().unwrap_or_else(|p| p.into_inner());
        peak
    }
}

struct Line {
    label: String,
    total: u64,
    unit: &'static str,
}

fn tick(
    line: &Line,
    counter: &Counter,
    stop: &AtomicBool,
    peak: &Mutex<Snapshot>,
    pid: Option<u32>,
) {
    let terminal = std::io::stderr().is_terminal();
    let mut last_print = Instant::now();
    // The rate over the last second, not since the start: a connect run's rate must not
    // fall while its connections are merely held.
    let (mut window_start, mut window_done, mut rate) = (Instant::now(), 0, 0.0);
    while !stop.load(Ordering::Relaxed) {
        std::thread::park_timeout(TICK); // `finish` unparks us: no waiting out a tick
        if let Some(now) = pid.and_then(Snapshot::read) {
            let mut peak = peak.lock().unwrap_or_else(|p| p.into_inner());
            *peak = peak.max(now);
        }
        let done = counter.0.load(Ordering::Relaxed);
        let window = window_start.elapsed().as_secs_f64();
        if window >= 1.0 || rate == 0.0 {
            rate = (done - window_done) as f64 / window;
            (window_start, window_done) = (Instant::now(), done);
        }
        let text = format!(
            "{}: {}/{} {}  {}/s",
            line.label,
            thousands(done),
            thousands(line.total),
            line.unit,
            short(rate)
        );
        if terminal {
            eprint!("\r{text:<78}");
        } else if last_print.elapsed() >= TICK_NOT_A_TERMINAL {
            eprintln!("{text}");
            last_print = Instant::now();
        }
        let _ = std::io::stderr().flush();
    }
    if terminal {
        eprint!("\r{:<78}\r", "");
    }
}

/// `43210` → `43,210`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `12345.6` → `12.3k`.
pub fn short(x: f64) -> String {
    match x {
        x if x >= 1e6 => format!("{:.1}M", x / 1e6),
        x if x >= 1e3 => format!("{:.1}k", x / 1e3),
        x => format!("{x:.0}"),
    }
}
