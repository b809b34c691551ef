//! Every system call the server makes, counted by `strace -c`: `recvfrom`, `sendto`,
//! `futex`, `accept4`, `clone3`, `mmap`… `bench transports` counts them whenever `strace` is
//! on PATH (`--no-strace` skips it). `/proc/<pid>/io` is no substitute: it misses the socket
//! calls (`proc_stats.rs` says why).
//!
//! We attach to the running server (`strace -f -c -p PID`: every thread, and the threads it
//! starts) just for the round trips being counted, then interrupt strace, which detaches and
//! writes its summary. Tracing slows every call down many times over, so the latencies
//! `bench transports` reports come from a separate, untraced pass.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A running `strace` attached to the server.
pub struct Strace {
    child: Child,
    summary: PathBuf,
}

/// System calls seen while strace was attached.
#[derive(Debug, Default, Clone)]
pub struct SyscallCounts {
    pub total: u64,
    /// Calls per system call name.
    pub by_name: BTreeMap<String, u64>,
}

impl Strace {
    /// Whether `strace` can be run at all.
    pub fn available() -> bool {
        Command::new("strace")
            .arg("-V")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    }

    /// Attaches to every thread of `pid`, and returns once strace says it has.
    ///
    /// # Errors
    /// If strace cannot start or does not attach within 5 s (it needs permission to
    /// ptrace the server: the same user, and a `kernel.yama.ptrace_scope` that allows it).
    pub fn attach(pid: u32) -> Result<Strace, String> {
        let summary = std::env::temp_dir().join(format!(
            "threadio-bench-strace-{}-{pid}.txt",
            std::process::id()
        ));
        let mut child = Command::new("strace")
            .args(["-f", "-c", "-S", "calls", "-o"])
            .arg(&summary)
            .args(["-p", &pid.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run strace: {e}"))?;
        // strace says "strace: Process PID attached with N threads" on stderr once it is in.
        let stderr = child.stderr.take().expect("stderr was piped");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        match rx.recv_timeout(Duration::from_secs(5)) {
            Ok(line) if line.contains("attached") => Ok(Strace { child, summary }),
            other => {
                let _ = child.kill();
                let _ = child.wait();
                Err(format!("strace did not attach: {other:?}"))
            }
        }
    }

    /// Interrupts strace (SIGINT: it detaches and writes its summary) and reads the counts.
    ///
    /// # Errors
    /// If strace cannot be signalled or its summary cannot be read.
    pub fn finish(mut self) -> Result<SyscallCounts, String> {
        // std can only SIGKILL a child, which would lose the summary; `kill -INT` it is.
        let signalled = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .is_ok_and(|status| status.success());
        if !signalled {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
        let text = std::fs::read_to_string(&self.summary)
            .map_err(|e| format!("cannot read strace's summary: {e}"));
        let _ = std::fs::remove_file(&self.summary);
        Ok(parse_summary(&text?))
    }
}

/// Reads `strace -c`'s table. Its columns are right-aligned under their headers and some
/// cells may be empty (`errors`), so each row's `calls` is the number that ends where the
/// `calls` header ends, and its name is the last word.
fn parse_summary(text: &str) -> SyscallCounts {
    let mut counts = SyscallCounts::default();
    let Some(header) = text
        .lines()
        .find(|line| line.contains("calls") && line.contains("syscall"))
    else {
        return counts;
    };
    let calls_end = header
        .find("calls")
        .map_or(0, |start| start + "calls".len());
    for line in text.lines() {
        let (Some(head), Some(name)) = (line.get(..calls_end), line.split_whitespace().last())
        else {
            continue;
        };
        let Some(calls) = head
            .split_whitespace()
            .last()
            .and_then(|n| n.parse::<u64>().ok())
        else {
            continue;
        };
        if name == "total" {
            counts.total = calls;
        } else {
            counts.by_name.insert(name.to_string(), calls);
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strace_6_summary_with_an_empty_errors_cell_parses() {
        let text = "\
% time     seconds  usecs/call     calls    errors syscall
------ ----------- ----------- --------- --------- ----------------
 60.00    0.000060           3        20           recvfrom
 40.00    0.000040           2        20         4 futex
------ ----------- ----------- --------- --------- ----------------
100.00    0.000100           2        40         4 total
";
        let counts = parse_summary(text);
        assert_eq!(counts.total, 40);
        assert_eq!(counts.by_name.get("recvfrom"), Some(&20));
        assert_eq!(counts.by_name.get("futex"), Some(&20));
    }
}
