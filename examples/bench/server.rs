//! The server under test. By default a child process: the bench runs its own executable
//! again with the hidden argument `--serve 0`, which serves `examples/bench_server.rs`'s
//! routes on a free port. A process of its own, so that `/proc/<pid>/` shows the server's
//! memory, threads and system calls and nothing of the clients'; a fresh one for each
//! table row, so that no row inherits another's sessions. `--url` (and `--pid`) point the
//! bench at a server that is already running instead.
//!
//! The cluster workloads start several: `--serve 0 --redis URL --max-connections N` makes
//! the child a node of the cluster on that Redis ([`Server::start_node`]).

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::bench_server::Options;

/// How long a child server may take to print its port.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// Which server the bench measures.
#[derive(Debug, Clone)]
pub enum ServerChoice {
    /// Start our own, a child process per row.
    OwnChild,
    /// One that is already running at `addr`; its pid, if given, is where `/proc` figures
    /// come from.
    AlreadyRunning { addr: SocketAddr, pid: Option<u32> },
}

/// A server that is up: where it listens and, if known, its process id. A child server is
/// killed when this is dropped.
pub struct Server {
    pub addr: SocketAddr,
    pub pid: Option<u32>,
    child: Option<(Child, ChildStdout)>,
}

impl Server {
    /// Starts a child server, or takes the running one.
    ///
    /// # Errors
    /// If the child cannot be started or does not say its port in time.
    pub fn start(choice: &ServerChoice) -> Result<Server, String> {
        match choice {
            ServerChoice::AlreadyRunning { addr, pid } => Ok(Server {
                addr: *addr,
                pid: *pid,
                child: None,
            }),
            ServerChoice::OwnChild => start_child(&[]),
        }
    }

    /// Starts a child server that is a node of the cluster on the Redis at `redis_url`,
    /// taking up to `max_connections`.
    ///
    /// # Errors
    /// As [`Server::start`].
    pub fn start_node(redis_url: &str, max_connections: usize) -> Result<Server, String> {
        let cap = max_connections.to_string();
        start_child(&["--redis", redis_url, "--max-connections", &cap])
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some((mut child, _stdout)) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn start_child(extra: &[&str]) -> Result<Server, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find our executable: {e}"))?;
    let mut child = Command::new(exe)
        .args(["--serve", "0"])
        .args(extra)
        .stdin(Stdio::piped()) // see `serve`: the child exits when this pipe closes
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start the server: {e}"))?;
    let stdout = child.stdout.take().expect("stdout was piped");
    match read_port(stdout) {
        Ok((port, stdout)) => Ok(Server {
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            pid: Some(child.id()),
            child: Some((child, stdout)),
        }),
        Err(e) => {
            let _ = child.kill();
            let _ = child.wait();
            Err(e)
        }
    }
}

/// Reads the server's first line, `bench_server: listening on 127.0.0.1:PORT: …`, on
/// another thread so that a child that never prints cannot hang us. The pipe is handed
/// back and kept open: closing it would make the child's next `println!` fail.
fn read_port(stdout: ChildStdout) -> Result<(u16, ChildStdout), String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        let read = reader.read_line(&mut line);
        let _ = tx.send((read.map(|_| line), reader.into_inner()));
    });
    let (line, stdout) = rx
        .recv_timeout(START_TIMEOUT)
        .map_err(|_| "the server did not say its port within 10 s".to_string())?;
    let line = line.map_err(|e| format!("cannot read the server's output: {e}"))?;
    let port = line
        .split("127.0.0.1:")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|digits| digits.parse().ok())
        .ok_or_else(|| format!("the server's first line has no port: {line:?}"))?;
    Ok((port, stdout))
}

/// The child's side (`bench --serve PORT`): serve until the bench goes away.
pub fn serve(options: &Options) {
    exit_when_stdin_closes();
    crate::bench_server::run(options);
}

/// The bench holds our stdin open; when it exits, even killed, the kernel closes the pipe,
/// our read sees end of file, and we exit too — no server outlives its bench.
fn exit_when_stdin_closes() {
    std::thread::spawn(|| {
        let mut sink = [0u8; 64];
        let mut stdin = std::io::stdin();
        while matches!(stdin.read(&mut sink), Ok(n) if n > 0) {}
        std::process::exit(0);
    });
}
