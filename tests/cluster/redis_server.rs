//! A real `redis-server` (Debian's package) for one test, on a free port of 127.0.0.1.
//!
//! Nothing here uses port 6379: a Redis that the package may have started as a service there
//! is never touched. No persistence, so nothing is written beside the tests.

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::peer_missing;
use threadio::redis::RedisUrl;

/// How long `redis-server` may take to listen.
const STARTUP: Duration = Duration::from_secs(10);

/// A `redis-server` child, killed when dropped — so a failing test leaves no server behind.
pub struct RedisServer {
    child: Child,
    port: u16,
    extra: Vec<String>,
}

impl RedisServer {
    /// Starts one on a free port with the extra command-line options `extra`
    /// (`["--requirepass", "pw"]`), or says why not ([`peer_missing`]) and returns `None`.
    pub fn start(extra: &[&str]) -> Option<RedisServer> {
        redis_server_found().then(|| RedisServer::start_on(free_port(), extra))
    }

    /// Starts one on `port`: for a test whose client was there first, with Redis down.
    pub fn start_on(port: u16, extra: &[&str]) -> RedisServer {
        let extra: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
        RedisServer {
            child: spawn_redis(port, &extra),
            port,
            extra,
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL for our client, with `userinfo` (`":pw@"`, or `""`) and database `db`.
    pub fn url(&self, userinfo: &str, db: u32) -> RedisUrl {
        RedisUrl::parse(&self.url_text(userinfo, db)).expect("a well-formed redis:// URL")
    }

    /// The same URL as text, for a Node client (`redis://127.0.0.1:PORT/0`).
    pub fn url_text(&self, userinfo: &str, db: u32) -> String {
        format!("redis://{userinfo}127.0.0.1:{}/{db}", self.port)
    }

    /// Kills the server at once (SIGKILL: no goodbye to clients, as in a crash).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts it again on the same port with the same options.
    pub fn restart(&mut self) {
        self.child = spawn_redis(self.port, &self.extra);
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Whether `redis-server` runs here; if not, says why (see [`peer_missing`]).
pub fn redis_server_found() -> bool {
    let found = Command::new("redis-server")
        .arg("--version")
        .output()
        .is_ok_and(|out| out.status.success());
    if !found {
        peer_missing("redis-server is not on the PATH (apt-get install redis-server)");
    }
    found
}

/// A free port where Redis will be started later in the test, and its URL; `None` (the
/// test is skipped) if `redis-server` cannot run here.
pub fn port_without_redis() -> Option<(u16, RedisUrl)> {
    if !redis_server_found() {
        return None;
    }
    let port = free_port();
    let url = RedisUrl::parse(&format!("redis://127.0.0.1:{port}")).expect("a redis:// URL");
    Some((port, url))
}

/// A port the OS had free a moment ago.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("a bound address").port()
}

/// Starts `redis-server` on 127.0.0.1:`port` with no persistence, and waits until it answers.
fn spawn_redis(port: u16, extra: &[String]) -> Child {
    let mut child = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no"])
        .args(["--dir", &std::env::temp_dir().to_string_lossy()])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start redis-server");
    let deadline = Instant::now() + STARTUP;
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("redis-server exited ({status}) before listening on {port}");
        }
        assert!(
            Instant::now() < deadline,
            "redis-server not listening on {port}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}
