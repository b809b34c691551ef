//! A Socket.IO echo server: every event comes straight back to its sender, binary
//! attachments included, and `echo` also answers its acknowledgement with its arguments —
//! the smallest server to poke at with a client and watch the wire.
//!
//! Try it: `cargo run --example echo`, open http://127.0.0.1:3003, and in the browser's
//! console (the page loads our client, /threadio.js):
//! ```js
//! const socket = threadio.io();
//! socket.io.onPacket = (dir, packet) => console.log(dir, packet);   // every packet
//! socket.on("hello", (...args) => console.log("back:", args));
//! socket.emit("hello", "world", { n: 1 });                          // → 42["hello","world",{"n":1}]
//! socket.emit("echo", new Uint8Array([1, 2, 3]), (bytes) => console.log("ack:", bytes));
//! ```
//! (From Node, the official `socket.io-client` works the same.) `--port N` picks another port.

use threadio::http::{Response, Router, Server, ServerConfig, StaticFiles};
use threadio::socketio::Io;

#[path = "cli/flags.rs"]
mod flags;

fn main() {
    let port = flags::port_flag("cargo run --example echo -- [--port N]", 3003);
    let io = Io::new();
    io.of("/").on_connection(|socket| {
        // on_any sees every event before its own handler: send each one back as it came.
        // (The parser already refused reserved names such as "disconnect", so none is
        // ours to echo by mistake.)
        socket.on_any(|socket, event, args| socket.emit(event, args.to_vec()));
        // An acknowledgement belongs to one named handler: `echo` answers with its arguments.
        socket.on("echo", |_socket, args, ack| ack.send(args));
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
    println!("echo: http://127.0.0.1:{port}/  (open the console there)");
    if let Err(e) = server.serve(app) {
        eprintln!("server stopped: {e}");
    }
}

const PAGE: &str = r#"<!doctype html><meta charset="utf-8"><title>threadio echo</title>
<link rel="icon" href="data:,"><script src="/threadio.js"></script>
<p>threadio echo server. Open the developer console and try
<code>const socket = threadio.io(); socket.on("hi", console.log); socket.emit("hi", 1, 2)</code></p>"#;
