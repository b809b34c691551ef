//! What the soak watches in the server: the kernel's figures for its process, and the
//! server's own count of sessions.
//!
//! - RSS (`VmRSS` in `/proc/<pid>/status`, proc(5)): the memory the process really holds.
//!   A leak shows here as a line that keeps climbing while the load stays the same.
//! - threads (the entries of `/proc/<pid>/task`, each named in its `comm`): with a thread per
//!   connection — named `conn-N` by the server — one per open WebSocket and per keep-alive
//!   HTTP connection, so a thread that never ends is a connection never let go. threadio's
//!   own workers (`threadio-timer`, `-drainer`, `-flusher`) are counted apart: each starts
//!   on first use and lives as long as the process, so one that appears mid-run is no leak.
//! - file descriptors (the entries of `/proc/<pid>/fd`): one per socket, so a leaked socket
//!   shows here even when its thread has ended.
//! - sessions (`io.session_count()`, from `GET /soak/figures`): Engine.IO sessions, which a
//!   polling client holds without a connection; a vanished client's stays until the
//!   heartbeat reaps it.
//! - the heap's live bytes (`heap_meter.rs`, from the same request): what the server's code
//!   holds, as opposed to what its allocator keeps — a leak grows both, the allocator's
//!   keeping only RSS.

use std::net::SocketAddr;
use std::time::Duration;

use threadio::json::Value;

use crate::http_client::HttpConnection;

/// The server's figures at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Figures {
    pub rss_kib: u64,
    /// All threads; of those, connection threads and threadio's workers.
    pub threads: u64,
    pub connection_threads: u64,
    pub worker_threads: u64,
    pub fds: u64,
    pub sessions: u64,
    pub heap_kib: u64,
}

impl Figures {
    /// Reads all four; `None` if the process is gone or the server does not answer.
    ///
    /// `/proc` is read before the request for the server's own figures, so that the
    /// request's connection — a thread and a socket in the server while it is answered —
    /// is not in the counts.
    pub fn read(pid: u32, server: SocketAddr) -> Option<Figures> {
        // `/proc` first: see above.
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count() as u64;
        let names = thread_names(pid)?;
        let named = |prefix: &str| names.iter().filter(|n| n.starts_with(prefix)).count() as u64;
        let (sessions, heap_bytes) = server_figures(server)?;
        Some(Figures {
            rss_kib: status_field(&status, "VmRSS:")?,
            threads: names.len() as u64,
            connection_threads: named("conn-"),
            worker_threads: named("threadio-"),
            fds,
            sessions,
            heap_kib: heap_bytes / 1024,
        })
    }

    /// Threads that are neither connections' nor threadio's workers: the process's own.
    pub fn other_threads(&self) -> u64 {
        self.threads - self.connection_threads - self.worker_threads
    }

    pub fn rss_mib(&self) -> f64 {
        self.rss_kib as f64 / 1024.0
    }

    pub fn heap_mib(&self) -> f64 {
        self.heap_kib as f64 / 1024.0
    }
}

/// The number after `name` on its line (`VmRSS:    1234 kB` → 1234).
fn status_field(text: &str, name: &str) -> Option<u64> {
    let line = text.lines().find(|line| line.starts_with(name))?;
    line[name.len()..].split_whitespace().next()?.parse().ok()
}

/// The name of each thread (`/proc/<pid>/task/<tid>/comm`); a thread that ends while we
/// read is left out.
fn thread_names(pid: u32) -> Option<Vec<String>> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    let names = tasks
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .map(|name| name.trim_end().to_string())
        .collect();
    Some(names)
}

/// Sessions and the heap's live bytes, from `GET /soak/figures` on a connection of its own,
/// closed by the answer (`Connection: close`) so that it leaves no idle keep-alive thread
/// behind in the server.
fn server_figures(server: SocketAddr) -> Option<(u64, u64)> {
    let mut http = HttpConnection::open(server).ok()?;
    http.send("GET", "/soak/figures", b"", true).ok()?;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let response = http.receive(deadline).ok()??;
    let figures = Value::parse(std::str::from_utf8(&response.body).ok()?).ok()?;
    let number = |name: &str| figures[name].as_i64().and_then(|n| u64::try_from(n).ok());
    Some((number("sessions")?, number("heapBytes")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_fields_are_read_by_name() {
        let status = "Name:\tsoak\nVmRSS:\t    5120 kB\nThreads:\t7\n";
        assert_eq!(status_field(status, "VmRSS:"), Some(5120));
        assert_eq!(status_field(status, "Threads:"), Some(7));
        assert_eq!(status_field(status, "VmSwap:"), None);
    }
}
