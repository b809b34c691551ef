//! The server under soak: an ordinary threadio Socket.IO server, run in a child process of
//! its own (`child_process.rs`) so that `/proc/<pid>` shows its memory, threads and file
//! descriptors and nobody else's. It speaks the soak's small protocol, written with the
//! server API in its simplest forms (`socket.on`, `ack.send`, `socket.emit`,
//! `socket.join`/`leave`, `io.to(room).emit`), because that is what applications use and
//! what a leak would hide behind:
//!
//! ```text
//!  send  [to, key, pad]  → io.to(to).emit("msg", [key, pad]); ack [how many sockets]
//!                          (`to` is a room name, or a socket's id: every socket is in the
//!                          room named by its id, so one event serves both)
//!  bin   [key, bytes]    → socket.emit("bin", [key, bytes]) back to the sender; ack []
//!  join  [room]          → socket.join(room); ack [] (or [why not])
//!  leave [room]          → socket.leave(room); ack []
//!  flood [count, size]   → `count` events of `size` bytes to the sender, at once: what a
//!                          slow reader asks for, so its backlog grows past the cap
//!  GET /soak/figures     → {"sessions": io.session_count(), "heapBytes": …}: how the
//!                          driver samples sessions, and the heap's live bytes
//!                          (`heap_meter.rs`), which only the process itself can count
//! ```
//!
//! The heartbeat is short (5 s + 5 s, not Socket.IO's 25 s + 20 s) so that clients that
//! vanish are reaped within the run, and the end of a soak need not wait 45 s for them.

use std::time::Duration;

use threadio::engineio::EngineConfig;
use threadio::http::{Response, Router, Server, ServerConfig, Status};
use threadio::json::Value;
use threadio::socketio::{Io, IoConfig};

/// The server pings this often…
pub const PING_INTERVAL: Duration = Duration::from_secs(5);
/// …and drops a session whose pong has not come back within this.
pub const PING_TIMEOUT: Duration = Duration::from_secs(5);

/// The most a `flood` may ask for, whatever the client says: the server is not the
/// client's to exhaust, even in a test.
const MAX_FLOOD_BYTES: u64 = 16 << 20;

/// Listens on 127.0.0.1:`port` (0: any free port), prints `soak server: listening on
/// 127.0.0.1:PORT` first (the driver reads the port from it), and serves until the process
/// ends.
pub fn run(port: u16) {
    if std::env::var_os("THREADIO_LOG").is_none() {
        // A log line per connection would be most of what the soak measures.
        std::env::set_var("THREADIO_LOG", "off");
    }
    let server = Server::bind(("127.0.0.1", port), ServerConfig::default()).unwrap_or_else(|e| {
        eprintln!("soak server: cannot listen on 127.0.0.1:{port}: {e}");
        std::process::exit(1);
    });
    let bound = server.local_addr().map_or(port, |addr| addr.port());
    println!("soak server: listening on 127.0.0.1:{bound}");
    if let Err(e) = server.serve(app()) {
        eprintln!("soak server: stopped: {e}");
    }
}

/// The routes: Socket.IO under `/socket.io/`, and the figures only the server knows.
fn app() -> Router {
    let engine = EngineConfig {
        ping_interval: PING_INTERVAL,
        ping_timeout: PING_TIMEOUT,
        ..EngineConfig::default()
    };
    let io = Io::with_config(IoConfig {
        engine,
        ..IoConfig::default()
    });
    handlers(&io);
    let mut app = Router::new();
    io.attach(&mut app);
    app.get("/soak/figures", move |_request| {
        let figures = Value::object([
            ("sessions", Value::from(io.session_count())),
            ("heapBytes", Value::from(crate::heap_meter::live_bytes())),
        ]);
        Response::bytes(
            Status::OK,
            "application/json",
            figures.to_json().into_bytes(),
        )
    });
    app
}

fn handlers(io: &Io) {
    let everyone = io.clone();
    io.of("/").on_connection(move |socket| {
        let io = everyone.clone();
        socket.on("send", move |_socket, args, ack| {
            let Some(to) = args.first().and_then(Value::as_str) else {
                return ack.send(vec!["send needs [to, …]".into()]);
            };
            let reached = io.to(to).emit("msg", args[1..].to_vec());
            ack.send(vec![Value::from(reached)]);
        });
        socket.on("bin", |socket, args, ack| {
            socket.emit("bin", args);
            ack.send(Vec::new());
        });
        socket.on("join", |socket, args, ack| {
            let room = args.first().and_then(Value::as_str).unwrap_or("");
            match socket.join(room) {
                Ok(()) => ack.send(Vec::new()),
                Err(refused) => ack.send(vec![refused.to_string().into()]),
            }
        });
        socket.on("leave", |socket, args, ack| {
            if let Some(room) = args.first().and_then(Value::as_str) {
                socket.leave(room);
            }
            ack.send(Vec::new());
        });
        socket.on("flood", |socket, args, _ack| {
            let number = |i: usize| args.get(i).and_then(Value::as_i64).unwrap_or(0).max(0) as u64;
            let (count, size) = (number(0), number(1).clamp(1, 1 << 20));
            let piece = "f".repeat(size as usize);
            for _ in 0..count.min(MAX_FLOOD_BYTES / size) {
                socket.emit("flood", vec![piece.as_str().into()]);
            }
        });
    });
}
