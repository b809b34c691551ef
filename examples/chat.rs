//! A Socket.IO chat server: named events, acknowledgements, broadcasting, rooms and a
//! second namespace — the Socket.IO docs' "emitting events", "broadcasting", "rooms" and
//! "namespaces" pages, served by threadio.
//!
//! Try it: `cargo run --example chat`, then from Node with the official client
//! (`npm i socket.io-client`):
//! ```js
//! const { io } = require("socket.io-client");
//! const socket = io("http://127.0.0.1:3002", { transports: ["websocket"] });
//! socket.on("chat", (m) => console.log("chat", m));
//! socket.emit("join", "rust", (rooms) => console.log("my rooms", rooms));
//! socket.emit("chat", { room: "rust", text: "hello" }, (ok) => console.log("acked", ok));
//! ```
//! `--port N` picks another port.

use threadio::http::{Router, Server, ServerConfig};
use threadio::json::Value;
use threadio::socketio::{ConnectError, Io, Socket};

fn main() {
    let port: u16 = std::env::args()
        .skip_while(|a| a != "--port")
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(3002);
    let io = Io::new();
    let main_namespace = io.of("/");
    let everyone = io.clone();
    main_namespace.on_connection(move |socket| member(socket, &everyone));
    admin(&io);

    let mut app = Router::new();
    io.attach(&mut app);
    let server = Server::bind(("127.0.0.1", port), ServerConfig::default()).unwrap_or_else(|e| {
        eprintln!("cannot listen on 127.0.0.1:{port}: {e}");
        std::process::exit(1);
    });
    if let Ok(handle) = server.shutdown_handle() {
        threadio::signal::shutdown_on_signal(handle);
    }
    println!("chat: Socket.IO at http://127.0.0.1:{port}/socket.io/");
    if let Err(e) = server.serve(app) {
        eprintln!("server stopped: {e}");
    }
}

/// One chat member in the main namespace. Every handler runs on this client's own thread,
/// in the order the client sent its events.
fn member(socket: &Socket, io: &Io) {
    socket.emit(
        "welcome",
        vec![Value::object([("id", Value::from(socket.id()))])],
    );

    // "emitting events" with an acknowledgement: the client's callback gets our answer.
    socket.on("nick", |socket, args, ack| {
        let name = args
            .first()
            .and_then(Value::as_str)
            .unwrap_or("anonymous")
            .to_string();
        socket.set_data(Value::object([("nick", Value::from(name.as_str()))]));
        ack.send(vec![Value::from(name.as_str())]);
    });

    // "broadcasting": to a room if one is named, else to everyone but the sender.
    socket.on("chat", |socket, args, ack| {
        let message = args.into_iter().next().unwrap_or(Value::Null);
        let out = vec![Value::object([
            ("from", nick(socket)),
            ("message", message.clone()),
        ])];
        match message.get("room").and_then(Value::as_str) {
            Some(room) => socket.to(room).emit("chat", out),
            None => socket.broadcast().emit("chat", out),
        };
        ack.send(vec![Value::from(true)]);
    });

    // "rooms": join and leave, and the others in the room hear about it.
    socket.on("join", |socket, args, ack| {
        if let Some(room) = args.first().and_then(Value::as_str) {
            socket.join(room);
            socket
                .to(room)
                .emit("joined", vec![Value::from(room), nick(socket)]);
        }
        ack.send(vec![rooms(socket)]);
    });
    socket.on("leave", |socket, args, ack| {
        if let Some(room) = args.first().and_then(Value::as_str) {
            socket
                .to(room)
                .emit("left", vec![Value::from(room), nick(socket)]);
            socket.leave(room);
        }
        ack.send(vec![rooms(socket)]);
    });
    socket.on("typing", |socket, args, _ack| {
        if let Some(room) = args.first().and_then(Value::as_str) {
            socket
                .to(room)
                .emit("typing", vec![Value::from(room), nick(socket)]);
        }
    });

    // To everyone, the sender included.
    let io = io.clone();
    socket.on("announce", move |_socket, args, _ack| {
        io.emit("announcement", args);
    });

    // While disconnecting, the socket's rooms are still known: tell them it left.
    socket.on_disconnecting(|socket, reason| {
        for room in socket.rooms().iter().filter(|r| r.as_str() != socket.id()) {
            socket
                .to(room.as_str())
                .emit("left", vec![Value::from(room.as_str()), nick(socket)]);
        }
        println!("{} disconnecting: {reason}", socket.id());
    });
}

/// "namespaces": `/admin`, for clients whose auth says `{"token":"secret"}`.
fn admin(io: &Io) {
    let admin = io.of("/admin");
    admin.use_middleware(
        |socket| match socket.auth().get("token").and_then(Value::as_str) {
            Some("secret") => Ok(()),
            _ => {
                Err(ConnectError::new("Not authorized")
                    .with_data(Value::object([("hint", "token")])))
            }
        },
    );
    let main = io.of("/");
    admin.on_connection(move |socket| {
        let members = main.clone();
        socket.on("members", move |_socket, _args, ack| {
            let ids: Vec<Value> = members
                .fetch_sockets()
                .iter()
                .map(|s| Value::from(s.id()))
                .collect();
            ack.send(vec![Value::Array(ids)]);
        });
        // A server-side disconnect: the member's client sees "io server disconnect".
        let members = main.clone();
        socket.on("kick", move |_socket, args, ack| {
            let target = args
                .first()
                .and_then(Value::as_str)
                .and_then(|id| members.socket(id));
            let found = target.is_some();
            if let Some(member) = target {
                member.disconnect(false);
            }
            ack.send(vec![Value::from(found)]);
        });
    });
}

fn nick(socket: &Socket) -> Value {
    socket
        .data()
        .get("nick")
        .cloned()
        .unwrap_or_else(|| Value::from(socket.id()))
}

fn rooms(socket: &Socket) -> Value {
    Value::Array(socket.rooms().into_iter().map(Value::from).collect())
}
