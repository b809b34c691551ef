//! Server push: a `tick` event with the time to every client, once a second, from a thread
//! that is no client's. Nobody asked: this is what a persistent connection is for, and what
//! one request per message (plain HTTP) cannot do.
//!
//! Try it: `cargo run --example clock`, open http://127.0.0.1:3004 and watch the time
//! change; open the developer console to see `42["tick",{"time":"12:00:01","unix_ms":…}]`
//! arrive. With two tabs open, both tick together: `io.emit` goes to everyone.
//! `--port N` picks another port.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use threadio::http::{Response, Router, Server, ServerConfig, StaticFiles};
use threadio::json::Value;
use threadio::socketio::Io;

#[path = "cli/flags.rs"]
mod flags;

fn main() {
    let port = flags::port_flag("cargo run --example clock -- [--port N]", 3004);
    let io = Io::new();
    let everyone = io.clone();
    // Any thread may emit: the Io is an Arc, and an emit only queues bytes for each client
    // (a slow client delays no one else). Sleeping is fine here: this thread only keeps time.
    std::thread::spawn(move || loop {
        std::thread::sleep(Duration::from_secs(1));
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let secs = now.as_secs() % 86_400;
        let time = format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
        let tick = Value::object([
            ("time", Value::from(time)),
            ("unix_ms", Value::from(now.as_millis() as u64)),
        ]);
        everyone.emit("tick", vec![tick]);
    });

    let mut app = Router::new();
    io.attach(&mut app);
    app.get("/", |_req| Response::html(PAGE.as_bytes()));
    app.static_files(
        StaticFiles::embedded(&[]).with_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/src/assets")),
    );
    let server = Server::bind(("127.0.0.1", port), ServerConfig::default()).unwrap_or_else(|e| {
        eprintln!("cannot listen on 127.0.0.1:{port}: {e}");
        std::process::exit(1);
    });
    println!("clock: http://127.0.0.1:{port}/");
    if let Err(e) = server.serve(app) {
        eprintln!("server stopped: {e}");
    }
}

const PAGE: &str = r#"<!doctype html><meta charset="utf-8"><title>threadio clock</title>
<link rel="icon" href="data:,"><script src="/threadio.js"></script>
<h1 id="time" style="font:4rem system-ui;text-align:center">…</h1>
<p style="text-align:center;font:1rem system-ui">UTC, pushed by the server every second</p>
<script>
  const socket = threadio.io();
  socket.io.onPacket = (dir, packet) => console.log(dir, packet);
  socket.on("tick", ({ time }) => { document.getElementById("time").textContent = time; });
</script>"#;
