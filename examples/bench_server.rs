//! The server `../shared/bench/perf.sh` measures beside the peers, and the one our own bench
//! (`examples/bench/`) starts: raw WebSocket, Socket.IO and plain HTTP on one port, speaking
//! the load generator's protocol (its `main.rs` header):
//!
//! - raw WebSocket: `/echo` sends every message back; `/broadcast` sends every text message
//!   to every client of `/broadcast`, the sender included;
//! - Socket.IO (`/socket.io/`): `echo` goes back to the sender as `echo`; `chat` goes to
//!   everyone as `chat`, the sender included.
//!
//! What `examples/bench/` adds (perf.sh uses none of it):
//!
//! - raw WebSocket `/room/NAME`: every text message goes to the other clients of the same
//!   `/room/NAME` — a room is a path, and each has its own [`Hub`];
//! - Socket.IO `join` (room name): the socket joins that room, and acknowledges if asked;
//!   `room-chat` (room, payload): `payload` goes to the room's other members as `chat`
//!   (`socket.to(room).emit`, which leaves out the sender, as `/room/NAME` does);
//! - `POST /echo-http`: the request's body comes back as the response's body, for the
//!   transport comparison (`bench transports`): a request per message instead of a socket.
//!
//! Run it: `cargo run --release --example bench_server -- 3000`, then (from the bench copy)
//! `perf.sh --extra-url ws://127.0.0.1:3000 --extra-socketio --extra-label threadio
//! --extra-cmd "/abs/path/target/release/examples/bench_server 3000"`. Port 0 picks a free
//! port; the first line printed says which. A second argument sets the connection cap
//! (12,000 by default). Logging is off unless `THREADIO_LOG` says otherwise: a log line per
//! connection would be measured too.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use threadio::http::{Response, Router, Server, ServerConfig, Status, Upgrade};
use threadio::json::Value;
use threadio::socketio::Io;
use threadio::websocket::{Message, WebSocket};
use threadio::Hub;

#[path = "cli/flags.rs"]
mod flags;

/// The port and the cap may also come bare, `bench_server 3000 5000`, as
/// `../shared/bench/perf.sh` starts it.
#[allow(dead_code)] // examples/bench/ borrows this file for `run` and has its own main.
const SPEC: flags::Spec = flags::Spec {
    usage: "bench_server [--port N] [--max-connections N]   (or: bench_server [PORT [CAP]])",
    flags: &["--port", "--max-connections"],
    positional: 2,
};

#[allow(dead_code)] // examples/bench/ borrows this file for `run` and has its own main.
fn main() {
    let flags = flags::Flags::parse(SPEC);
    let port: u16 = flags
        .value("--port", SPEC)
        .or_else(|| bare(&flags, 0, "PORT"))
        .unwrap_or(3000);
    // A lower connection cap shows what happens past it: the 503s, and a process that
    // carries on (`bench_server --max-connections 5000`).
    let cap: usize = flags
        .value("--max-connections", SPEC)
        .or_else(|| bare(&flags, 1, "CAP"))
        .unwrap_or(12_000);
    run(port, cap);
}

/// Bare argument `i`, parsed; one that does not parse ends the process with the usage line.
#[allow(dead_code)] // as `main`
fn bare<T: std::str::FromStr>(flags: &flags::Flags, i: usize, name: &str) -> Option<T> {
    let value = flags.positional().get(i)?;
    Some(value.parse().unwrap_or_else(|_| {
        eprintln!("{name} {value:?}: not a number\nusage: {}", SPEC.usage);
        std::process::exit(2)
    }))
}

/// Listens on 127.0.0.1:`port`, with at most `max_connections` open, and serves [`app`]
/// until the process ends. Prints one line first, `bench_server: listening on
/// 127.0.0.1:PORT …`, with the port actually bound.
pub fn run(port: u16, max_connections: usize) {
    if std::env::var_os("THREADIO_LOG").is_none() {
        std::env::set_var("THREADIO_LOG", "off");
    }
    let config = ServerConfig {
        max_connections,
        ..ServerConfig::default()
    };
    let server = Server::bind(("127.0.0.1", port), config).unwrap_or_else(|e| {
        eprintln!("cannot listen on 127.0.0.1:{port}: {e}");
        std::process::exit(1);
    });
    let bound = server.local_addr().map_or(port, |addr| addr.port());
    println!(
        "bench_server: listening on 127.0.0.1:{bound}: ws://127.0.0.1:{bound}/echo, /broadcast, \
         /room/NAME, /socket.io/, POST /echo-http"
    );
    if let Err(e) = server.serve(app()) {
        eprintln!("server stopped: {e}");
    }
}

/// Every route and event of the bench server.
pub fn app() -> Router {
    let mut app = Router::new();
    // Nothing between two `recv`s blocks here, so these routes let their threads hold
    // writes while more input waits (`WebSocket::hold_writes`, NOTES.md chapter 14), as
    // Engine.IO does for Socket.IO by default.
    app.websocket("/echo", |mut ws| {
        ws.hold_writes(true);
        while let Ok(message) = ws.recv() {
            if ws.send(message).is_err() {
                break;
            }
        }
    });
    let hub = Arc::new(Hub::new());
    app.websocket("/broadcast", move |mut ws| {
        ws.hold_writes(true);
        let me = hub.join(ws.sender());
        while let Ok(message) = ws.recv() {
            if let Message::Text(_) = message {
                hub.broadcast(&message);
            }
        }
        hub.leave(me);
    });
    raw_rooms(&mut app);
    app.post("/echo-http", |request| {
        Response::bytes(Status::OK, "text/plain", request.body.clone())
    });
    socketio(&mut app);
    app
}

/// `/room/NAME`: one [`Hub`] per room name, created on first use and kept (a bench uses a
/// handful of names). The route sees the request, so the room is read from its path before
/// the handshake is answered.
fn raw_rooms(app: &mut Router) {
    let rooms: Arc<Mutex<HashMap<String, Arc<Hub>>>> = Arc::default();
    app.upgrade("/room/*", move |request| {
        let name = request.path["/room/".len()..].to_string();
        let hub = {
            let mut rooms = rooms
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            Arc::clone(rooms.entry(name).or_default())
        };
        Upgrade::Accept(Box::new(move |ws| relay_to_room(ws, &hub)))
    });
}

/// A member of a raw room: what it sends goes to everyone else in the room, as
/// `socket.to(room).emit` does in Socket.IO.
fn relay_to_room(mut ws: WebSocket, room: &Hub) {
    ws.hold_writes(true);
    let me = room.join(ws.sender());
    while let Ok(message) = ws.recv() {
        if let Message::Text(_) = message {
            room.broadcast_except(me, &message);
        }
    }
    room.leave(me);
}

/// The Socket.IO events: `echo` and `chat` (perf.sh's), `join` and `room-chat` (ours).
fn socketio(app: &mut Router) {
    let io = Io::new();
    let everyone = io.clone();
    io.of("/").on_connection(move |socket| {
        socket.on("echo", |socket, args, _ack| socket.emit("echo", args));
        let to_all = everyone.clone();
        socket.on("chat", move |_socket, args, _ack| {
            to_all.emit("chat", args.into_vec());
        });
        socket.on("join", |socket, args, ack| {
            let room = args.first().and_then(Value::as_str);
            // A bench client joins one room, far below `max_rooms_per_socket`; were it
            // refused, the ack would say why.
            match room.map(|room| socket.join(room)) {
                Some(Err(refused)) => ack.send(vec![refused.to_string().into()]),
                _ => ack.send(Vec::new()),
            }
        });
        socket.on("room-chat", |socket, args, _ack| {
            if let [Value::String(room), payload @ ..] = args.as_slice() {
                socket.to(room.as_str()).emit("chat", payload.to_vec());
            }
        });
    });
    io.attach(app);
}
