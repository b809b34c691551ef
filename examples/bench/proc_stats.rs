//! What the kernel says about the server process, from `/proc/<pid>/` (Linux, proc(5)).
//!
//! - `status`: `VmRSS`, the memory the process really uses (resident pages), and
//!   `Threads`. With a thread per connection, both grow with the connections.
//! - `io`: `syscr` and `syscw`, how many read-class and write-class system calls the whole
//!   process has made, threads that have exited included. Only calls that go through the
//!   VFS's read and write paths count: `read`, `readv`, `write`, `writev`, `sendfile`… but
//!   **not** `recv`/`recvfrom`/`send`/`sendto`, which go straight to the socket layer. On
//!   Linux, Rust's `TcpStream::read` is a `recv` and its `write` a `send` (with
//!   `MSG_NOSIGNAL`), so most of threadio's socket I/O is invisible here; only
//!   `write_vectored` (`writev`, the outbox's WebSocket frames) is counted. `bench
//!   transports --strace` counts every call instead.

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

/// The process's read-class and write-class system calls so far (see the module comment
/// for what is and is not counted), and the bytes they moved.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct IoCounters {
    pub syscr: u64,
    pub syscw: u64,
    pub rchar: u64,
    pub wchar: u64,
}

impl IoCounters {
    /// Reads `/proc/<pid>/io`; `None` if the process is gone or not ours to read.
    pub fn read(pid: u32) -> Option<IoCounters> {
        let io = fs::read_to_string(format!("/proc/{pid}/io")).ok()?;
        Some(IoCounters {
            syscr: field(&io, "syscr:")?,
            syscw: field(&io, "syscw:")?,
            rchar: field(&io, "rchar:")?,
            wchar: field(&io, "wchar:")?,
        })
    }

    pub fn minus(self, earlier: IoCounters) -> IoCounters {
        IoCounters {
            syscr: self.syscr.saturating_sub(earlier.syscr),
            syscw: self.syscw.saturating_sub(earlier.syscw),
            rchar: self.rchar.saturating_sub(earlier.rchar),
            wchar: self.wchar.saturating_sub(earlier.wchar),
        }
    }
}

/// The number after `name` on its line (`VmRSS:    1234 kB` → 1234).
fn field(text: &str, name: &str) -> Option<u64> {
    let line = text.lines().find(|line| line.starts_with(name))?;
    line[name.len()..].split_whitespace().next()?.parse().ok()
}
