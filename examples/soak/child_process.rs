//! The server as a child process: the soak runs its own executable again with the hidden
//! flag `--serve 0`, which serves `soak_app.rs` on a free port. A process of its own, so
//! that every figure read from `/proc/<pid>/` — memory, threads, file descriptors — is the
//! server's alone, none of it the thousands of clients' beside it (`examples/bench/server.rs`
//! does the same for the bench).
//!
//! The child lives exactly as long as the soak: it reads its stdin, which the soak holds
//! open, and exits at end of file — so a soak that is killed, even with `kill -9`, leaves
//! no server behind.

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How long the child may take to say its port.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// The running server: where it listens and its pid. Killed when dropped.
pub struct ServerProcess {
    pub addr: SocketAddr,
    pub pid: u32,
    child: Child,
    /// Kept open: closing it would make the child's next `println!` fail.
    _stdout: ChildStdout,
}

impl ServerProcess {
    /// Starts `<this executable> --serve 0` and waits for its first line.
    ///
    /// # Errors
    /// If it cannot start, or does not say its port within 10 s.
    pub fn start() -> Result<ServerProcess, String> {
        let exe = std::env::current_exe().map_err(|e| format!("cannot find ourselves: {e}"))?;
        let mut child = Command::new(exe)
            .args(["--serve", "0"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start the server: {e}"))?;
        let stdout = child.stdout.take().expect("stdout was piped");
        match read_port(stdout) {
            Ok((port, stdout)) => Ok(ServerProcess {
                addr: SocketAddr::from(([127, 0, 0, 1], port)),
                pid: child.id(),
                child,
                _stdout: stdout,
            }),
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                Err(e)
            }
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads `soak server: listening on 127.0.0.1:PORT` on another thread, so that a child
/// that never prints cannot hang us.
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
        .trim()
        .rsplit(':')
        .next()
        .and_then(|digits| digits.parse().ok())
        .ok_or_else(|| format!("the server's first line has no port: {line:?}"))?;
    Ok((port, stdout))
}

/// The child's side (`soak --serve PORT`): serve until the soak goes away.
pub fn serve(port: u16) {
    std::thread::spawn(|| {
        let mut sink = [0u8; 64];
        let mut stdin = std::io::stdin();
        while matches!(stdin.read(&mut sink), Ok(n) if n > 0) {}
        std::process::exit(0);
    });
    crate::soak_app::run(port);
}
