//! The Redis of the cluster workloads: Debian's `redis-server` on a free port of 127.0.0.1,
//! with no persistence (nothing is written), its CPU time read from `/proc` like any
//! process's, and its own count of the `PUBLISH`es it served.
//!
//! Redis does not watch a pipe as our child servers do (`server.rs`), so it runs under a
//! small shell that does: `sh` starts it, says its pid, and reads its own stdin. When the
//! bench closes that pipe — by dropping the [`RedisServer`], or by dying, even killed — the
//! `read` ends and the shell kills Redis. No Redis outlives its bench.

use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use threadio::redis::{RedisClient, RedisConfig, RedisUrl, Reply};

/// How long `redis-server` may take to listen.
const STARTUP: Duration = Duration::from_secs(10);

/// Starts Redis in the background with the arguments it is given, prints its pid, and
/// kills it when stdin ends. Redis's own output is dropped: only the pid goes to the pipe.
const WATCHER: &str = r#"redis-server "$@" >/dev/null 2>&1 & echo "$!"; read -r _; kill "$!""#;

/// A running `redis-server`, stopped when this is dropped.
pub struct RedisServer {
    /// The watching shell; its stdin is the pipe that keeps Redis alive.
    watcher: Child,
    pid: u32,
    port: u16,
}

/// What Redis counted of its `PUBLISH` command (`INFO commandstats`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PublishStats {
    pub calls: u64,
    /// Microseconds Redis spent running them, in all.
    pub usec: u64,
}

impl RedisServer {
    /// Starts one and waits until it accepts connections.
    ///
    /// # Errors
    /// If `sh` or `redis-server` cannot run (`apt-get install redis-server`), or Redis does
    /// not listen within 10 s.
    pub fn start() -> Result<RedisServer, String> {
        let port = free_port()?;
        let mut watcher = Command::new("sh")
            .args(["-c", WATCHER, "sh"])
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot run sh to start redis-server: {e}"))?;
        let stdout = watcher.stdout.take().expect("stdout was piped");
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let pid = line.trim().parse().unwrap_or(0);
        let server = RedisServer { watcher, pid, port };
        let deadline = Instant::now() + STARTUP;
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if !Path::new(&format!("/proc/{pid}")).exists() || Instant::now() > deadline {
                return Err(format!(
                    "redis-server did not start on 127.0.0.1:{port} (is it installed? \
                     apt-get install redis-server)"
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(server)
    }

    /// `redis://127.0.0.1:PORT`, for the nodes' `--redis`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Redis's own process id, for its CPU time.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The `PUBLISH`es Redis has served so far, asked over a connection of our own; `None`
    /// if it cannot be asked.
    pub fn publish_stats(&self) -> Option<PublishStats> {
        let url = RedisUrl::parse(&self.url()).ok()?;
        let client = RedisClient::connect(&url, RedisConfig::default()).ok()?;
        match client.command(&["INFO", "commandstats"]).ok()? {
            Reply::Bulk(info) => Some(publish_stats_from_info(&String::from_utf8_lossy(&info))),
            _ => None,
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        drop(self.watcher.stdin.take()); // end of file: the shell kills Redis
        let _ = self.watcher.wait();
        // Wait for Redis itself to be gone, so that the next run starts on a quiet machine.
        let deadline = Instant::now() + Duration::from_secs(5);
        while Path::new(&format!("/proc/{}", self.pid)).exists() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// `cmdstat_publish:calls=3,usec=25,usec_per_call=8.33,…` → 3 calls, 25 µs. No such line:
/// nothing was published yet.
fn publish_stats_from_info(info: &str) -> PublishStats {
    let Some(line) = info
        .lines()
        .find_map(|l| l.strip_prefix("cmdstat_publish:"))
    else {
        return PublishStats::default();
    };
    let field = |name: &str| {
        line.split(',')
            .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
            .and_then(|value| value.trim().parse().ok())
            .unwrap_or(0)
    };
    PublishStats {
        calls: field("calls"),
        usec: field("usec"),
    }
}

/// A port the OS had free a moment ago.
fn free_port() -> Result<u16, String> {
    let listener =
        TcpListener::bind("127.0.0.1:0").map_err(|e| format!("bind 127.0.0.1:0: {e}"))?;
    listener
        .local_addr()
        .map(|addr| addr.port())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publish_calls_and_microseconds_are_read_from_info_commandstats() {
        let info = "# Commandstats\r\ncmdstat_psubscribe:calls=2,usec=9,usec_per_call=4.50\r\n\
                    cmdstat_publish:calls=3,usec=25,usec_per_call=8.33,rejected_calls=0\r\n";
        let stats = publish_stats_from_info(info);
        assert_eq!((stats.calls, stats.usec), (3, 25));
        assert_eq!(
            publish_stats_from_info("# Commandstats\r\n"),
            PublishStats::default()
        );
    }
}
