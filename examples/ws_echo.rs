//! A WebSocket echo server: every text and binary message comes straight back.
//!
//! It is the server the Autobahn testsuite fuzzes (`.ci/run` starts it), so its limits are
//! set for that suite: cases 9.* send messages of 16 MiB and in up to 65,536 fragments.
//!
//! Try it: `cargo run --release --example ws_echo -- --port 9001`, then in a browser
//! console: `s = new WebSocket("ws://127.0.0.1:9001/"); s.onmessage = e => console.log(e.data);
//! s.onopen = () => s.send("hello")`.

use std::time::Duration;

use threadio::http::{Router, Server, ServerConfig};
use threadio::websocket::WebSocketConfig;

#[path = "cli/flags.rs"]
mod flags;

fn main() {
    let port = flags::port_flag("cargo run --example ws_echo -- [--port N]", 9001);
    let config = ServerConfig {
        websocket: WebSocketConfig {
            max_frame_size: 32 << 20,
            max_message_size: 32 << 20,
            max_backlog: 64 << 20,
            stall_timeout: Duration::from_secs(60),
            ..WebSocketConfig::default()
        },
        ..ServerConfig::default()
    };
    let server = Server::bind(("127.0.0.1", port), config).unwrap_or_else(|e| {
        eprintln!("cannot listen on 127.0.0.1:{port}: {e}");
        std::process::exit(1);
    });
    if let Ok(handle) = server.shutdown_handle() {
        threadio::signal::shutdown_on_signal(handle);
    }

    let mut app = Router::new();
    // Autobahn connects to "/" by default; any path works for a person trying it.
    app.websocket("/", |mut ws| {
        while let Ok(message) = ws.recv() {
            if ws.send(message).is_err() {
                break;
            }
        }
    });
    println!("ws_echo: ws://127.0.0.1:{port}/");
    if let Err(e) = server.serve(app) {
        eprintln!("server stopped: {e}");
    }
}
