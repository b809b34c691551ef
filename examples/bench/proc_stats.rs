//! What the kernel says about the server process, from `/proc/<pid>/status` (Linux,
//! proc(5)): `VmRSS`, the memory the process really uses (resident pages), and `Threads`.
//! With a thread per connection, both grow with the connections.
//!
//! Not its system calls: `/proc/<pid>/io`'s `syscr` and `syscw` count only calls on the
//! VFS's read and write paths, not the `recv` and `send` that Rust's `TcpStream` makes, so
//! they would show an HTTP server making next to none. `strace.rs` counts every call.

use std::fs;

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

/// The number after `name` on its line (`VmRSS:    1234 kB` → 1234).
fn field(text: &str, name: &str) -> Option<u64> {
    let line = text.lines().find(|line| line.starts_with(name))?;
    line[name.len()..].split_whitespace().next()?.parse().ok()
}
