//! The verdict: five checks, all of which must pass.
//!
//! 1. **Delivery**: no message lost, duplicated, stray or corrupted, and no ack missing,
//!    by the ledger's rule (`ledger.rs`).
//! 2. **No unexpected ends**: every client connected, and none that behaved was dropped.
//! 3. **Vanished sessions reaped**: each vanished client's session was gone
//!    `pingInterval + pingTimeout + 5 s` after it vanished (`vanisher.rs`).
//! 4. **Flat RSS**: over the last two thirds of the load, the Theil–Sen trend
//!    (`trend.rs`) of the server's RSS grows by less than 5 % of its median there, or
//!    2 MiB, whichever is more. The first third is left out: the allocator's arenas, the
//!    threads' stacks and the kernel's buffers are still finding their size then. Theil–Sen
//!    rather than comparing two medians: it uses every sample and sees a slow, steady climb
//!    that a median-to-median comparison would call noise, yet is not fooled by the bursts
//!    slow readers cause. 5 %, because the load is random and RSS moves with it; 2 MiB, so
//!    that a small server is not failed for a few pages. A leak of a kilobyte per client
//!    life shows at once: thousands of lives pass in a soak.
//! 5. **Back to the baseline**: after the clients stopped, within the drain limit, the
//!    server had no session and no connection thread left, and no more file descriptors or
//!    threads of its own than before the clients came. The baseline is taken after a
//!    warm-up client, so what starts on first use (the timer thread, `/dev/urandom`) is in
//!    it; threadio's write workers (`threadio-drainer`, `-flusher`) start only when a slow
//!    client or a large broadcast first needs them and then live as long as the process, so
//!    they are told apart by name (`proc_figures.rs`) rather than counted as a leak. RSS is
//!    not held to this: an allocator keeps freed memory for reuse, which is what check 4 is
//!    about.

use crate::chart::clock;
use crate::fates::FateCounts;
use crate::ledger::Tally;
use crate::proc_figures::Figures;
use crate::trend::{median, theil_sen_slope};
use crate::watch::{is_settled, Sample};

/// RSS may grow by this share of its median over the judged window…
const RSS_GROWTH_SHARE: f64 = 0.05;
/// …or by this much, whichever is more.
const RSS_GROWTH_FLOOR_MIB: f64 = 2.0;
/// Fewer samples than this in the window: too short a run to judge a trend.
const MIN_TREND_SAMPLES: usize = 6;

/// One check: whether it passed, what it checks, and the figures behind it.
#[derive(Debug)]
pub struct Check {
    pub passed: bool,
    pub what: &'static str,
    pub detail: String,
}

/// The RSS figures check 4 is made of.
#[derive(Debug, Clone, Copy)]
pub struct RssTrend {
    /// The window judged: from this many seconds into the load to its end.
    pub from_s: f64,
    pub to_s: f64,
    pub samples: usize,
    pub median_mib: f64,
    /// The trend's rise over the window, and per hour.
    pub growth_mib: f64,
    pub per_hour_mib: f64,
    pub allowed_mib: f64,
    /// The medians of the middle and the last third, for a second look.
    pub middle_median_mib: f64,
    pub last_median_mib: f64,
    /// The same trend for the heap's live bytes (`heap_meter.rs`): what the server's code
    /// holds, not what its allocator keeps.
    pub heap_median_mib: f64,
    pub heap_growth_mib: f64,
}

impl RssTrend {
    /// What a rising RSS means, told by the heap: a leak, or the allocator's keeping.
    pub fn diagnosis(&self) -> Option<&'static str> {
        if self.growth_mib <= self.allowed_mib {
            return None;
        }
        Some(if self.heap_growth_mib > self.allowed_mib {
            "the heap's live bytes grew with RSS: the server holds more and more, a leak"
        } else {
            "the heap's live bytes did not grow: the server's code holds no more than before; \
             the allocator keeps memory it freed (fragmentation), which RSS counts"
        })
    }
}

/// Every check, in the order above.
pub fn judge(
    samples: &[Sample],
    baseline: &Figures,
    tally: &Tally,
    fates: &FateCounts,
) -> Vec<Check> {
    vec![
        delivery(tally),
        unexpected_ends(fates),
        reaped(fates),
        flat_rss(samples),
        back_to_baseline(samples, baseline),
    ]
}

fn delivery(t: &Tally) -> Check {
    Check {
        passed: t.failures() == 0,
        what: "every acked message reached each honest receiver exactly once",
        detail: format!(
            "{} owed: {} delivered, {} lost; {} duplicated, {} stray, {} unanswered, {} corrupted",
            t.owed, t.delivered, t.lost, t.duplicated, t.stray, t.unanswered, t.corrupted
        ),
    }
}

fn unexpected_ends(f: &FateCounts) -> Check {
    let lives: u64 = f.started.iter().sum();
    let first = f
        .reasons
        .first()
        .map_or(String::new(), |r| format!("; first: {r}"));
    Check {
        passed: f.unexpected == 0,
        what: "no client failed to connect or was dropped while it behaved",
        detail: format!("{} unexpected ends in {lives} lives{first}", f.unexpected),
    }
}

fn reaped(f: &FateCounts) -> Check {
    Check {
        passed: f.vanished_still_known == 0,
        what: "every vanished client's session was reaped by the heartbeat in time",
        detail: format!(
            "{} reaped, {} still known, {} not asked (the soak stopped first)",
            f.vanished_reaped, f.vanished_still_known, f.vanished_unchecked
        ),
    }
}

fn flat_rss(samples: &[Sample]) -> Check {
    let what = "the server's RSS is not growing over the last two thirds of the load";
    match rss_trend(samples) {
        None => Check {
            passed: false,
            what,
            detail: format!("too few samples to judge (fewer than {MIN_TREND_SAMPLES})"),
        },
        Some(trend) => Check {
            passed: trend.growth_mib <= trend.allowed_mib,
            what,
            detail: format!(
                "trend {:+.2} MiB over {}–{}, {} samples (allowed {:.2}; {:+.1} MiB/hour); \
                 median {:.1} MiB, middle third {:.1}, last third {:.1}; the heap's live bytes: \
                 median {:.1} MiB, trend {:+.2} MiB",
                trend.growth_mib,
                clock(trend.from_s),
                clock(trend.to_s),
                trend.samples,
                trend.allowed_mib,
                trend.per_hour_mib,
                trend.median_mib,
                trend.middle_median_mib,
                trend.last_median_mib,
                trend.heap_median_mib,
                trend.heap_growth_mib
            ),
        },
    }
}

/// Check 4's figures, from the samples taken while the clients ran.
pub fn rss_trend(samples: &[Sample]) -> Option<RssTrend> {
    let load: Vec<&Sample> = samples.iter().filter(|s| !s.draining).collect();
    let length = load.last()?.at.as_secs_f64();
    let series = |of: fn(&Figures) -> f64| -> Vec<(f64, f64)> {
        load.iter()
            .map(|s| (s.at.as_secs_f64(), of(&s.figures)))
            .filter(|p| p.0 >= length / 3.0)
            .collect()
    };
    let (window, heap) = (series(Figures::rss_mib), series(Figures::heap_mib));
    if window.len() < MIN_TREND_SAMPLES {
        return None;
    }
    let (from_s, to_s) = (window[0].0, window[window.len() - 1].0);
    let slope = theil_sen_slope(&window)?;
    let median_of = |points: &[(f64, f64)], keep: &dyn Fn(f64) -> bool| {
        let mut values: Vec<f64> = points.iter().filter(|p| keep(p.0)).map(|p| p.1).collect();
        median(&mut values).unwrap_or(0.0)
    };
    let median_mib = median_of(&window, &|_| true);
    Some(RssTrend {
        from_s,
        to_s,
        samples: window.len(),
        median_mib,
        growth_mib: slope * (to_s - from_s),
        per_hour_mib: slope * 3600.0,
        allowed_mib: (median_mib * RSS_GROWTH_SHARE).max(RSS_GROWTH_FLOOR_MIB),
        middle_median_mib: median_of(&window, &|t| t < 2.0 * length / 3.0),
        last_median_mib: median_of(&window, &|t| t >= 2.0 * length / 3.0),
        heap_median_mib: median_of(&heap, &|_| true),
        heap_growth_mib: theil_sen_slope(&heap).unwrap_or(0.0) * (to_s - from_s),
    })
}

fn back_to_baseline(samples: &[Sample], baseline: &Figures) -> Check {
    let what = "after the clients stopped: no session left, threads and fds back to baseline";
    let Some(last) = samples.last().filter(|s| s.draining) else {
        return Check {
            passed: false,
            what,
            detail: "no sample after the clients stopped".into(),
        };
    };
    let (now, stopped) = (&last.figures, samples.iter().find(|s| s.draining));
    let waited = stopped.map_or(0.0, |s| (last.at - s.at).as_secs_f64());
    Check {
        passed: is_settled(now, baseline),
        what,
        detail: format!(
            "{:.0} s after the stop: {} sessions, {} connection threads, {} threads of its own \
             (baseline {}) and {} of threadio's workers (baseline {}), {} fds (baseline {})",
            waited,
            now.sessions,
            now.connection_threads,
            now.other_threads(),
            baseline.other_threads(),
            now.worker_threads,
            baseline.worker_threads,
            now.fds,
            baseline.fds
        ),
    }
}
