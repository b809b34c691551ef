//! What the soak prints at the end, to stdout, as markdown that can go into NOTES.md as it
//! is: the samples (every one for a short run, evenly thinned for a long one), the chart of
//! RSS, what became of the clients and of the messages, and the verdict.

use crate::chart::{self, clock};
use crate::fates::FateCounts;
use crate::ledger::Tally;
use crate::population::Kind;
use crate::proc_figures::Figures;
use crate::verdict::{rss_trend, Check};
use crate::watch::Sample;

/// Rows of the samples table at most; a long run shows every n-th sample, and the last.
const MAX_ROWS: usize = 30;

/// The chart's size: wide and short enough for a terminal and a page.
const CHART: (usize, usize) = (60, 12);

/// Everything the report is made of.
pub struct Findings<'a> {
    pub settings: String,
    pub baseline: Figures,
    pub samples: &'a [Sample],
    pub tally: Tally,
    pub fates: FateCounts,
    pub checks: &'a [Check],
    pub passed: bool,
}

pub fn print(findings: &Findings) {
    println!("## threadio soak: {}\n", findings.settings);
    print_samples(findings.samples, &findings.baseline);
    println!("RSS of the server over the run (`:` = after the clients stopped):\n");
    println!("```text\n{}```\n", rss_chart(findings.samples));
    print_fates(&findings.fates);
    print_messages(&findings.tally);
    println!("Checks:\n");
    for check in findings.checks {
        let mark = if check.passed { "PASS" } else { "FAIL" };
        println!("- {mark} {}: {}", check.what, check.detail);
    }
    if let Some(why) = rss_trend(findings.samples).and_then(|t| t.diagnosis()) {
        println!("\nWhy RSS rose: {why}.");
    }
    let verdict = if findings.passed { "PASS" } else { "FAIL" };
    println!("\n**Verdict: {verdict}**");
}

fn print_samples(samples: &[Sample], baseline: &Figures) {
    println!(
        "| t | phase | RSS MiB | heap MiB | threads | fds | sessions | clients | sent | acked | \
         received |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    let b = baseline;
    println!(
        "| – | baseline | {:.1} | {:.2} | {} | {} | {} | 0 | | | |",
        b.rss_mib(),
        b.heap_mib(),
        b.threads,
        b.fds,
        b.sessions
    );
    let step = samples.len().div_ceil(MAX_ROWS).max(1);
    for (i, sample) in samples.iter().enumerate() {
        if i % step == 0 || i + 1 == samples.len() {
            print_row(sample);
        }
    }
    println!();
}

fn print_row(s: &Sample) {
    let f = &s.figures;
    let phase = if s.draining { "stopped" } else { "load" };
    println!(
        "| {} | {phase} | {:.1} | {:.2} | {} | {} | {} | {} | {} | {} | {} |",
        clock(s.at.as_secs_f64()),
        f.rss_mib(),
        f.heap_mib(),
        f.threads,
        f.fds,
        f.sessions,
        s.clients,
        s.tally.sent,
        s.tally.acked,
        s.tally.receipts
    );
}

fn rss_chart(samples: &[Sample]) -> String {
    let points: Vec<(f64, f64, bool)> = samples
        .iter()
        .map(|s| (s.at.as_secs_f64(), s.figures.rss_mib(), s.draining))
        .collect();
    chart::render(&points, CHART.0, CHART.1, "MiB")
}

fn print_fates(f: &FateCounts) {
    let lives: u64 = f.started.iter().sum();
    let kinds: Vec<String> = Kind::ALL
        .iter()
        .map(|kind| format!("{} {}", f.started[kind.index()], kind.name()))
        .collect();
    println!("Clients: {lives} lives ({}).", kinds.join(", "));
    println!(
        "Honest clients that left politely: {}; upgrades to WebSocket: {}. Slow readers cut off \
         by the server: {}, caught up: {}. Vanished sessions reaped in time: {}, still known: \
         {}, not asked: {}. Unexpected ends: {}.",
        f.left_politely,
        f.upgraded,
        f.slow_cut_off,
        f.slow_caught_up,
        f.vanished_reaped,
        f.vanished_still_known,
        f.vanished_unchecked,
        f.unexpected
    );
    for reason in &f.reasons {
        println!("  - {reason}");
    }
    println!();
}

fn print_messages(t: &Tally) {
    println!(
        "Messages: {} sent, {} acked, {} judged. Owed to honest receivers: {} — delivered {}, \
         lost {}. Duplicated {}, stray {}, binary echoes corrupted {}. Not owed: received \
         anyway {}, undeliverable because the receiver left {}, because it was gone before the \
         send {}; never acked because the sender left {}, although the sender waited {}.\n",
        t.sent,
        t.acked,
        t.judged,
        t.owed,
        t.delivered,
        t.lost,
        t.duplicated,
        t.stray,
        t.corrupted,
        t.extra,
        t.receiver_left,
        t.receiver_gone,
        t.unacked,
        t.unanswered
    );
}
