//! The raw-WebSocket broadcast chat, as small as it gets: a page, a WebSocket route, a hub.
//!
//! Try it: `cargo run --example ws_chat`, open http://127.0.0.1:3001 in two tabs, type
//! (`-- --port N` for another port).
//! Compare with `src/main.rs` (the same idea with the demo's styled page) and, later,
//! `examples/chat.rs` (the same chat on Socket.IO: named events, rooms, acknowledgements).

use std::sync::Arc;

use threadio::http::{Response, Router, Server, ServerConfig};
use threadio::websocket::Message;
use threadio::Hub;

const PAGE: &str = r#"<!doctype html>
<meta charset="utf-8"><title>ws_chat</title>
<ul id="log"></ul>
<form id="f"><input id="m" autocomplete="off" autofocus><button>Send</button></form>
<script>
  // RFC 6455 from the browser's side: open, send text, receive text.
  const ws = new WebSocket(`ws://${location.host}/ws`);
  const show = (text) => { const li = document.createElement("li"); li.textContent = text; log.append(li); };
  ws.onmessage = (e) => show(e.data);
  ws.onclose = (e) => show(`(closed: ${e.code})`);
  f.onsubmit = (e) => { e.preventDefault(); ws.send(m.value); show(`me: ${m.value}`); m.value = ""; };
</script>
"#;

#[path = "cli/flags.rs"]
mod flags;

fn main() {
    let port = flags::port_flag("cargo run --example ws_chat -- [--port N]", 3001);
    let hub = Arc::new(Hub::new());
    let mut app = Router::new();
    app.get("/", |_| Response::html(PAGE.as_bytes()));
    app.websocket("/ws", move |mut ws| {
        // This closure runs on the connection's own thread, for as long as the socket lives.
        let me = hub.join(ws.sender());
        while let Ok(Message::Text(text)) = ws.recv() {
            hub.broadcast_except(me, &Message::Text(format!("{me}: {text}")));
        }
        hub.leave(me);
    });

    let server = Server::bind(("127.0.0.1", port), ServerConfig::default()).unwrap_or_else(|e| {
        eprintln!("cannot listen on 127.0.0.1:{port}: {e} (try --port N)");
        std::process::exit(1);
    });
    match server.local_addr() {
        Ok(addr) => println!("ws_chat: http://{addr}/"),
        Err(e) => eprintln!("cannot read the bound address: {e}"),
    }
    server.serve(app).expect("the server runs until stopped");
}
