//! The server `../shared/bench/perf.sh` measures beside the peers: raw WebSocket and
//! Socket.IO on one port, speaking the load generator's protocol (its `main.rs` header):
//!
//! - raw WebSocket: `/echo` sends every message back; `/broadcast` sends every text message
//!   to every client of `/broadcast`, the sender included;
//! - Socket.IO (`/socket.io/`): `echo` goes back to the sender as `echo`; `chat` goes to
//!   everyone as `chat`, the sender included.
//!
//! Run it: `cargo run --release --example bench_server -- 3000`, then (from the bench copy)
//! `perf.sh --extra-url ws://127.0.0.1:3000 --extra-socketio --extra-label threadio
//! --extra-cmd "/abs/path/target/release/examples/bench_server 3000"`. Logging is off
//! unless `THREADIO_LOG` says otherwise: a log line per connection would be measured too.

use std::sync::Arc;

use threadio::http::{Router, Server, ServerConfig};
use threadio::socketio::Io;
use threadio::websocket::Message;
use threadio::Hub;

fn main() {
    if std::env::var_os("THREADIO_LOG").is_none() {
        std::env::set_var("THREADIO_LOG", "off");
    }
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000);
    let config = ServerConfig {
        max_connections: 12_000,
        ..ServerConfig::default()
    };
    let server = Server::bind(("127.0.0.1", port), config).unwrap_or_else(|e| {
        eprintln!("cannot listen on 127.0.0.1:{port}: {e}");
        std::process::exit(1);
    });

    let mut app = Router::new();
    app.websocket("/echo", |mut ws| {
        while let Ok(message) = ws.recv() {
            if ws.send(message).is_err() {
                break;
            }
        }
    });
    let hub = Arc::new(Hub::new());
    app.websocket("/broadcast", move |mut ws| {
        let me = hub.join(ws.sender());
        while let Ok(message) = ws.recv() {
            if let Message::Text(_) = message {
                hub.broadcast(&message);
            }
        }
        hub.leave(me);
    });

    let io = Io::new();
    let everyone = io.clone();
    io.of("/").on_connection(move |socket| {
        socket.on("echo", |socket, args, _ack| socket.emit("echo", args));
        let everyone = everyone.clone();
        socket.on("chat", move |_socket, args, _ack| {
            everyone.emit("chat", args);
        });
    });
    io.attach(&mut app);

    println!("bench_server: ws://127.0.0.1:{port}/echo, /broadcast, /socket.io/");
    if let Err(e) = server.serve(app) {
        eprintln!("server stopped: {e}");
    }
}
