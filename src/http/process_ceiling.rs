//! How many connections this process can really hold, read from the kernel at start-up, so
//! that the connection cap (`ServerConfig::max_connections`) is never set past it.
//!
//! A connection here is a thread and a descriptor (`server.rs`), and each has a ceiling the
//! configuration cannot see:
//! - **memory maps.** Every std thread takes 4 (its stack and guard page, and the signal
//!   stack and guard page that Rust's runtime gives it to report a stack overflow), of the
//!   `vm.max_map_count` a process may have (65,530 by default). Past it the failure is the
//!   worst kind: the kernel still creates the thread, the runtime cannot map its signal
//!   stack, panics where it cannot unwind, and **the whole process aborts** (NOTES.md,
//!   chapter 14, seen at 17,000 connections). A cap below the ceiling turns that into a
//!   `503` for the one connection too many.
//! - **file descriptors.** One per connection, of the soft `RLIMIT_NOFILE`; past it
//!   `accept` fails and the listener spins on the error.
//!
//! Both are Linux's `/proc` files, read with std alone (the user allows no `libc`): the
//! setting in `/proc/sys/vm/max_map_count` and the "Max open files" row of
//! `/proc/self/limits`. Where they cannot be read (another OS, a sandbox), nothing is known
//! and the configured cap stands.

use std::fs;

/// Memory maps a connection's thread takes (see the module doc).
pub const MAPS_PER_THREAD: u64 = 4;
/// Maps kept for everything that is not a connection thread: the binary and its libraries,
/// malloc's arenas, the accept loop and the server's other threads. Measured: a busy demo
/// uses a few hundred.
pub const MAPS_KEPT: u64 = 1_000;
/// Descriptors kept for the listener, standard I/O, Redis connections and files served.
pub const FILES_KEPT: u64 = 100;

/// The kernel's limits that bound connections, where they could be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessCeiling {
    /// `vm.max_map_count`.
    pub max_map_count: Option<u64>,
    /// The soft limit on open files (`ulimit -n`); `None` also when it is "unlimited".
    pub open_files: Option<u64>,
}

impl ProcessCeiling {
    /// The limits of this process now.
    pub fn of_this_process() -> ProcessCeiling {
        let read = |path| fs::read_to_string(path).ok();
        ProcessCeiling {
            max_map_count: read("/proc/sys/vm/max_map_count").and_then(|t| t.trim().parse().ok()),
            open_files: read("/proc/self/limits").and_then(|t| soft_open_files(&t)),
        }
    }

    /// The most connections these limits leave room for, or `None` if neither is known.
    pub fn connections(&self) -> Option<usize> {
        let by_maps = self
            .max_map_count
            .map(|maps| maps.saturating_sub(MAPS_KEPT) / MAPS_PER_THREAD);
        let by_files = self
            .open_files
            .map(|files| files.saturating_sub(FILES_KEPT));
        let fewest = match (by_maps, by_files) {
            (Some(maps), Some(files)) => maps.min(files),
            (one, other) => one.or(other)?,
        };
        Some(usize::try_from(fewest).unwrap_or(usize::MAX))
    }

    /// `wanted`, or the ceiling if that is lower, with the line to log when it is.
    pub fn cap(&self, wanted: usize) -> (usize, Option<String>) {
        match self.connections() {
            Some(ceiling) if ceiling < wanted => {
                let why = format!(
                    "max_connections {wanted} lowered to {ceiling}: each connection is a \
                     thread ({MAPS_PER_THREAD} memory maps; vm.max_map_count is {}) and a \
                     descriptor (ulimit -n is {}); past that the process would abort, not \
                     refuse. Raise them to go higher.",
                    shown(self.max_map_count),
                    shown(self.open_files),
                );
                (ceiling, Some(why))
            }
            _ => (wanted, None),
        }
    }
}

fn shown(limit: Option<u64>) -> String {
    limit.map_or_else(|| "unknown".to_string(), |n| n.to_string())
}

/// The soft limit of the "Max open files" row of `/proc/<pid>/limits`:
/// `Max open files            20000                20000                files`.
fn soft_open_files(limits: &str) -> Option<u64> {
    let row = limits.lines().find(|l| l.starts_with("Max open files"))?;
    row["Max open files".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: &str = "\
Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            20000                20000                files
Max locked memory         8388608              8388608              bytes
";

    #[test]
    fn the_soft_open_files_limit_is_read_from_its_row() {
        assert_eq!(soft_open_files(LIMITS), Some(20_000));
        let unlimited = LIMITS.replace("20000                20000", "unlimited  unlimited");
        assert_eq!(soft_open_files(&unlimited), None);
        assert_eq!(soft_open_files("nothing here"), None);
    }

    #[test]
    fn the_fewer_of_the_two_limits_bounds_the_connections() {
        let machine = ProcessCeiling {
            max_map_count: Some(65_530),
            open_files: Some(20_000),
        };
        assert_eq!(machine.connections(), Some((65_530 - 1_000) / 4)); // 16,132
        let many_files = ProcessCeiling {
            open_files: Some(1_000_000),
            ..machine
        };
        assert_eq!(many_files.connections(), Some(16_132));
        let few_files = ProcessCeiling {
            open_files: Some(1_024),
            ..machine
        };
        assert_eq!(few_files.connections(), Some(924));
        let unknown = ProcessCeiling {
            max_map_count: None,
            open_files: None,
        };
        assert_eq!(unknown.connections(), None);
    }

    #[test]
    fn a_cap_past_the_ceiling_is_lowered_and_says_why() {
        let machine = ProcessCeiling {
            max_map_count: Some(65_530),
            open_files: Some(20_000),
        };
        assert_eq!(machine.cap(10_000), (10_000, None));
        let (cap, why) = machine.cap(50_000);
        assert_eq!(cap, 16_132);
        let why = why.expect("a reason");
        assert!(
            why.contains("50000 lowered to 16132") && why.contains("65530"),
            "{why}"
        );
        let unknown = ProcessCeiling {
            max_map_count: None,
            open_files: None,
        };
        assert_eq!(unknown.cap(50_000), (50_000, None));
    }
}
