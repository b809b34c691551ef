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
//! (12,000 by default), and the cap on Engine.IO sessions with it. Logging is off unless `THREADIO_LOG` says otherwise: a log line per
//! connection would be measured too.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use threadio::engineio::EngineConfig;
use threadio::http::{Response, Router, Server, ServerConfig, Status, Upgrade};
use threadio::json::Value;
use threadio::redis::RedisUrl;
use threadio::redis_adapter::{RedisAdapter, RedisAdapterConfig};
use threadio::socketio::{Io, IoConfig};
use threadio::websocket::{Message, WebSocket};
use threadio::Hub;

#[path = "cli/flags.rs"]
mod flags;

/// The port and the cap may also come bare, `bench_server 3000 5000`, as
/// `../shared/bench/perf.sh` starts it.
#[allow(dead_code)] // examples/bench/ borrows this file for `run` and has its own main.
const SPEC: flags::Spec = flags::Spec {
    usage: "bench_server [--port N] [--max-connections N] [--redis redis://HOST:PORT]   \
            (or: bench_server [PORT [CAP]])",
    flags: &["--port", "--max-connections", "--redis"],
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
    let max_connections: usize = flags
        .value("--max-connections", SPEC)
        .or_else(|| bare(&flags, 1, "CAP"))
        .unwrap_or(12_000);
    run(&Options {
        port,
        max_connections,
        redis: flags.values("--redis").pop(),
    });
}

/// How to run the bench server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// 0 picks a free port.
    pub port: u16,
    /// The most connections open at once, and the most Engine.IO sessions.
    pub max_connections: usize,
    /// The Redis that makes this server one node of a cluster, if any.
    pub redis: Option<String>,
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

/// Listens on 127.0.0.1:`options.port` and serves [`app`] until the process ends. Prints
/// one line first, `bench_server: listening on 127.0.0.1:PORT …`, with the port actually
/// bound (and, in a cluster, this node's id), which `examples/bench/server.rs` reads.
pub fn run(options: &Options) {
    if std::env::var_os("THREADIO_LOG").is_none() {
        std::env::set_var("THREADIO_LOG", "off");
    }
    let Options {
        port,
        max_connections,
        ..
    } = *options;
    let config = ServerConfig {
        max_connections,
        ..ServerConfig::default()
    };
    let server = Server::bind(("127.0.0.1", port), config).unwrap_or_else(|e| {
        eprintln!("cannot listen on 127.0.0.1:{port}: {e}");
        std::process::exit(1);
    });
    let bound = server.local_addr().map_or(port, |addr| addr.port());
    // Engine.IO caps its sessions apart from the server's connections (10,000 each by
    // default): a cap raised on one alone would still refuse at the other.
    let io = Io::with_config(IoConfig {
        engine: EngineConfig {
            max_sessions: max_connections,
            ..EngineConfig::default()
        },
        ..IoConfig::default()
    });
    let cluster = options.redis.as_deref().map(|url| join_cluster(&io, url));
    let node = match &cluster {
        Some(adapter) => format!("; node {} of a cluster", adapter.uid()),
        None => String::new(),
    };
    println!(
        "bench_server: listening on 127.0.0.1:{bound}: ws://127.0.0.1:{bound}/echo, /broadcast, \
         /room/NAME, /socket.io/, POST /echo-http{node}"
    );
    if let Err(e) = server.serve(app(&io, cluster)) {
        eprintln!("server stopped: {e}");
    }
}

/// Makes `io` a node of the cluster on the Redis at `url`, or ends the process with why
/// not. Returns the adapter, for its counters.
fn join_cluster(io: &Io, url: &str) -> RedisAdapter {
    let adapter = RedisUrl::parse(url)
        .map_err(|e| e.to_string())
        .and_then(|url| {
            RedisAdapter::new(&url, RedisAdapterConfig::default()).map_err(|e| e.to_string())
        })
        .unwrap_or_else(|e| {
            eprintln!("--redis {url}: {e}");
            std::process::exit(2);
        });
    io.set_adapter(adapter.clone());
    adapter
}

/// Every route and event of the bench server; `cluster`, the Redis adapter of a node,
/// adds `GET /cluster-counts`.
pub fn app(io: &Io, cluster: Option<RedisAdapter>) -> Router {
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
    socketio(&mut app, io);
    if let Some(adapter) = cluster {
        app.get("/cluster-counts", move |_| {
            let c = adapter.counts();
            let line = format!(
                "published={} dropped={} received={} malformed={} subscriber_losses={}",
                c.published, c.dropped_publishes, c.received, c.malformed, c.subscriber_losses
            );
            Response::text(Status::OK, line)
        });
    }
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
fn socketio(app: &mut Router, io: &Io) {
    let everyone = io.clone();
    io.of("/").on_connection(move |socket| {
        socket.on("echo", |socket, args, _ack| socket.emit("echo", args));
        let to_all = everyone.clone();
        socket.on("chat", move |_socket, args, _ack| {
            to_all.emit("chat", args);
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
