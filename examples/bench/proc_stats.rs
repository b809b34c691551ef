//! What the kernel says about the server process, from `/proc/<pid>/status` (Linux,
//! proc(5)): `VmRSS`, the memory the process really uses (resident pages), and `Threads`.
//! With a thread per connection, both grow with the connections. And from
//! `/proc/<pid>/stat`, the CPU time a process (any process: Redis too) has used.
//!
//! Not its system calls: `/proc/<pid>/io`'s `syscr` and `syscw` count only calls on the
//! VFS's read and write paths, not the `recv` and `send` that Rust's `TcpStream` makes, so
//! they would show an HTTP server making next to none. `strace.rs` counts every call.

use std::fmt;
use std::fs;
use std::time::{Duration, Instant};

/// The kernel's unit of `utime` and `stime` in `/proc/<pid>/stat`: `USER_HZ`, 100 a second
/// on every Linux architecture (proc(5) says to ask `sysconf(_SC_CLK_TCK)`, which is 100
/// wherever Linux runs; reading it would need libc).
const TICKS_PER_SECOND: u64 = 100;

/// Memory and threads of the server at one moment.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Snapshot {
    pub rss_kib: u64,
    pub threads: u64,
}

impl Snapshot {
    /// Reads `/proc/<pid>/status`; `None` if the process is gone or not ours to read.
    pub fn read(pid: u32) -> Option<Snapshot> {
        let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        Some(Snapshot {
            rss_kib: field(&status, "VmRSS:")?,
            threads: field(&status, "Threads:")?,
        })
    }

    /// The larger of each figure: the peak over several snapshots.
    pub fn max(self, other: Snapshot) -> Snapshot {
        Snapshot {
            rss_kib: self.rss_kib.max(other.rss_kib),
            threads: self.threads.max(other.threads),
        }
    }

    pub fn rss_mib(&self) -> f64 {
        self.rss_kib as f64 / 1024.0
    }
}

/// Watches one process's CPU time over a stretch of the run.
pub struct CpuMeter {
    pid: u32,
    cpu: Duration,
    since: Instant,
}

/// The CPU a process used over `wall` of real time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CpuUse {
    pub cpu: Duration,
    pub wall: Duration,
}

impl CpuMeter {
    /// Starts watching `pid` now; `None` if it is gone.
    pub fn start(pid: u32) -> Option<CpuMeter> {
        Some(CpuMeter {
            pid,
            cpu: cpu_time(pid)?,
            since: Instant::now(),
        })
    }

    /// What it used since [`CpuMeter::start`].
    pub fn read(&self) -> Option<CpuUse> {
        Some(CpuUse {
            cpu: cpu_time(self.pid)?.saturating_sub(self.cpu),
            wall: self.since.elapsed(),
        })
    }
}

impl CpuUse {
    /// The share of one core: 100 is a whole core busy the whole time.
    pub fn percent(&self) -> f64 {
        100.0 * self.cpu.as_secs_f64() / self.wall.as_secs_f64().max(1e-9)
    }
}

impl fmt::Display for CpuUse {
    /// `120 ms CPU in 2.41 s (5.0 % of a core)`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ms CPU in {:.2} s ({:.1} % of a core)",
            self.cpu.as_millis(),
            self.wall.as_secs_f64(),
            self.percent()
        )
    }
}

/// The CPU time process `pid` has used so far, its threads' user and system time together
/// (`utime` + `stime`, fields 14 and 15 of `/proc/<pid>/stat`), to the kernel's tick of
/// 10 ms; `None` if the process is gone.
pub fn cpu_time(pid: u32) -> Option<Duration> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    cpu_time_from_stat(&stat)
}

/// Field 2, the command name, is in parentheses and may hold spaces and `)`: the fields
/// are counted from after its last `)`, where field 3 begins.
fn cpu_time_from_stat(stat: &str) -> Option<Duration> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace().skip(14 - 3);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some(Duration::from_millis(
        (user + system) * 1000 / TICKS_PER_SECOND,
    ))
}

/// The number after `name` on its line (`VmRSS:    1234 kB` → 1234).
fn field(text: &str, name: &str) -> Option<u64> {
    let line = text.lines().find(|line| line.starts_with(name))?;
    line[name.len()..].split_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_time_is_utime_plus_stime_counted_after_a_command_name_with_spaces_and_parens() {
        // proc(5): pid (comm) state ppid pgrp session tty_nr tpgid flags minflt cminflt
        // majflt cmajflt utime stime …
        let stat = "4242 (redis) server) S 1 4242 4242 0 -1 4194560 900 0 0 0 123 45 0 0 20 0";
        assert_eq!(cpu_time_from_stat(stat), Some(Duration::from_millis(1_680)));
    }
}
