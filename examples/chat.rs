//! The demo's chat server: nicknames, rooms, "x is typing…", and two ticks per message —
//! Socket.IO's events, acknowledgements, rooms and broadcasts in one screen of handlers.
//! `cargo run` (src/main.rs) runs exactly this, with the page embedded in the binary.
//!
//! Try it: `cargo run --example chat`, open http://127.0.0.1:3002 in two tabs (the page is
//! read from src/assets/, so you can edit it and reload), or talk to it from Node with the
//! official client (`npm i socket.io-client`):
//! ```js
//! const { io } = require("socket.io-client");
//! const socket = io("http://127.0.0.1:3002");
//! socket.on("chat", (m) => { console.log(m); socket.emit("delivered", { id: m.id }); });
//! socket.emit("join", "ann", "lobby", (r) => console.log("members", r.members));
//! socket.emit("chat", { room: "lobby", text: "hello" }, (r) => console.log("acked", r.id));
//! ```
//!
//! The events, as the page uses them (`→` client to server, `←` server to client):
//! ```text
//! → join (nick, room, ack)     ack { room, members }; the room ← presence, notice "ann joined"
//!                              refused (past max_rooms_per_socket): ack { room, error } only
//! → leave (room)               the room ← presence, notice "ann left"
//! → chat ({ room, text }, ack) ack { id } (first tick); the others ← chat { id, room, from, text, at }
//! → delivered ({ id })         the message's sender ← delivered { id } (second tick)
//! → typing (room)              the others ← typing { room, from }
//! → rtt (ack)                  ack at once: the page times the round trip
//! disconnect                   each of its rooms ← presence, notice "ann left"
//! ```
//! `/admin` is a second namespace on the same connection, for clients whose auth is
//! `{ token: "secret" }`: `members` acks the nicknames of everyone connected.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use threadio::http::{Router, Server, ServerConfig, StaticFiles};
use threadio::json::Value;
use threadio::socketio::{ArgsError, ConnectError, Io, Socket};

// `pub`: src/main.rs, which borrows this file, takes its command line from here too.
#[path = "cli/flags.rs"]
pub mod flags;

#[allow(dead_code)] // src/main.rs borrows this file for `attach` and has its own main.
fn main() {
    let port = flags::port_flag("cargo run --example chat -- [--port N]", 3002);
    let io = Io::new();
    attach(&io);
    let mut app = Router::new();
    io.attach(&mut app);
    let assets = concat!(env!("CARGO_MANIFEST_DIR"), "/src/assets");
    app.static_files(StaticFiles::embedded(&[]).with_dir(assets));
    let server = Server::bind(("127.0.0.1", port), ServerConfig::default()).unwrap_or_else(|e| {
        eprintln!("cannot listen on 127.0.0.1:{port}: {e}");
        std::process::exit(1);
    });
    println!("chat: http://127.0.0.1:{port}/");
    if let Err(e) = server.serve(app) {
        eprintln!("server stopped: {e}");
    }
}

/// Who sent which message still waiting for its second tick: message id → sender's socket
/// id, with the last id given. A `BTreeMap` because ids only grow, so the oldest entry is
/// the first one: a message never delivered (its readers left first) is forgotten once
/// `PENDING_MAX` newer ones wait.
type Undelivered = Arc<Mutex<(u64, BTreeMap<u64, Sent>)>>;
/// Who sent a message, and to which room: only another member of that room may tick it.
struct Sent {
    sender: String,
    room: String,
}
const PENDING_MAX: usize = 1000;
/// The longest room name and nickname, in characters: the page's own `maxlength`s, enforced
/// here too, since a client need not be our page. Rooms per socket are capped by the server
/// (`IoConfig::max_rooms_per_socket`); these cap what each of them costs.
const MAX_ROOM_NAME: usize = 32;
const MAX_NICK: usize = 24;

/// Adds the chat's handlers to `io`'s main namespace and the `/admin` namespace.
pub fn attach(io: &Io) {
    let undelivered: Undelivered = Arc::default();
    io.of("/")
        .on_connection(move |socket| member(socket, &undelivered));
    admin(io);
}

/// One chat member. Every handler runs on this client's own thread, in the order the client
/// sent its events, so a `join` is always handled before the `chat` that follows it.
fn member(socket: &Socket, undelivered: &Undelivered) {
    // A listener may return a Result: `?` on arguments that are not what it expects logs
    // the mismatch ("argument 2: expected a string, found a number") and drops the event.
    socket.on("join", |socket, args, ack| -> Result<(), ArgsError> {
        let (nick, room): (String, String) = args.parse()?;
        let (nick, room) = (nick.as_str(), room.as_str());
        if nick.is_empty() || room.is_empty() {
            return Ok(());
        }
        let too_long = room.chars().count() > MAX_ROOM_NAME || nick.chars().count() > MAX_NICK;
        let joined = if too_long {
            Err(format!(
                "room names are at most {MAX_ROOM_NAME} characters, nicknames {MAX_NICK}"
            ))
        } else {
            socket.join(room).map_err(|refused| refused.to_string())
        };
        if let Err(error) = joined {
            // The page shows why in the room it tried to join (chat.js `joined`).
            ack.send((Value::object([("room", room), ("error", error.as_str())]),));
            return Ok(());
        }
        socket.set_data(Value::object([("nick", nick)]));
        let members = members(socket, room, None);
        ack.send((Value::object([("room", room.into()), ("members", members)]),));
        announce(socket, room, "joined", None);
        Ok(())
    });

    socket.on("leave", |socket, args, _ack| -> Result<(), ArgsError> {
        let (room,): (String,) = args.parse()?;
        socket.leave(&room);
        announce(socket, &room, "left", None);
        Ok(())
    });

    // The first tick: the ack says the server has the message. The second comes only when
    // another member's page says it has shown it (`delivered`), never on the server's word.
    let pending = Arc::clone(undelivered);
    socket.on("chat", move |socket, args, ack| {
        let message = args.first().cloned().unwrap_or(Value::Null);
        let (Some(room), Some(text)) = (field(&message, "room"), field(&message, "text")) else {
            return;
        };
        if !socket.in_room(room) {
            return; // only members may speak in a room
        }
        // Recorded before the emit: a reader's `delivered` may come back, on its own thread,
        // before `emit` has even returned here.
        let id = {
            let mut pending = pending.lock().expect("undelivered lock poisoned");
            pending.0 += 1;
            let id = pending.0;
            let sent = Sent {
                sender: socket.id().to_string(),
                room: room.to_string(),
            };
            pending.1.insert(id, sent);
            if pending.1.len() > PENDING_MAX {
                pending.1.pop_first();
            }
            id
        };
        let at = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let out = Value::object([
            ("id", Value::from(id)),
            ("room", room.into()),
            ("from", nick(socket).into()),
            ("text", text.into()),
            ("at", at.into()),
        ]);
        ack.send((Value::object([("id", id)]),));
        if socket.to(room).emit("chat", vec![out]) == 0 {
            let mut pending = pending.lock().expect("undelivered lock poisoned");
            pending.1.remove(&id); // nobody else is in the room: no second tick will come
        }
    });

    let pending = Arc::clone(undelivered);
    socket.on("delivered", move |socket, args, _ack| {
        let Some(id) = args
            .first()
            .and_then(|m| m.get("id"))
            .and_then(Value::as_i64)
        else {
            return;
        };
        let sender = {
            let mut pending = pending.lock().expect("undelivered lock poisoned");
            // `in_room` holds the namespace's read lock for two lookups inside this one;
            // nothing takes this one while holding the namespace's, so they cannot deadlock.
            let by_a_reader = pending
                .1
                .get(&(id as u64))
                .is_some_and(|sent| sent.sender != socket.id() && socket.in_room(&sent.room));
            match by_a_reader {
                true => pending.1.remove(&(id as u64)).map(|sent| sent.sender),
                false => None, // already ticked, forgotten, or not from one of its readers
            }
        };
        // Outside the lock: an emit writes to a socket, and a slow one must not stall others.
        if let Some(sender) = sender.and_then(|sid| socket.namespace().socket(&sid)) {
            sender.emit("delivered", (Value::object([("id", id)]),));
        }
    });

    socket.on("typing", |socket, args, _ack| -> Result<(), ArgsError> {
        let (room,): (String,) = args.parse()?;
        let typing = Value::object([("room", room.as_str()), ("from", nick(socket).as_str())]);
        socket.to(room).emit("typing", vec![typing]);
        Ok(())
    });

    socket.on("rtt", |_socket, _args, ack| ack.send(()));

    // While disconnecting the socket is still in its rooms, so we can name them; the member
    // lists leave it out, since it is on its way out.
    socket.on_disconnecting(|socket, _reason| {
        for room in socket.rooms() {
            if room != socket.id() {
                announce(socket, &room, "left", Some(socket.id()));
            }
        }
    });
}

/// Tells everyone in `room` who is there now, and that `socket`'s member joined or left.
fn announce(socket: &Socket, room: &str, verb: &str, leaving: Option<&str>) {
    let everyone = socket.namespace().to(room);
    let presence = Value::object([
        ("room", room.into()),
        ("members", members(socket, room, leaving)),
    ]);
    everyone.emit("presence", vec![presence]);
    let text = format!("{} {verb}", nick(socket));
    everyone.emit(
        "notice",
        vec![Value::object([("room", room), ("text", text.as_str())])],
    );
}

/// The nicknames of the members of `room`, but for the socket `leaving`, sorted (a room is
/// a set: without sorting, the list would come in the registry's hash order).
fn members(socket: &Socket, room: &str, leaving: Option<&str>) -> Value {
    let sockets = socket.namespace().in_(room).fetch_sockets();
    let mut nicks: Vec<String> = sockets
        .iter()
        .filter(|s| Some(s.id()) != leaving)
        .map(nick)
        .collect();
    nicks.sort();
    Value::Array(nicks.into_iter().map(Value::from).collect())
}

/// `/admin`: a second namespace, multiplexed on the same connection, behind a middleware.
fn admin(io: &Io) {
    let admin = io.of("/admin");
    admin.use_middleware(
        |socket| match socket.auth().get("token").and_then(Value::as_str) {
            Some("secret") => Ok(()),
            _ => Err(ConnectError::new("Not authorized")),
        },
    );
    let main = io.of("/");
    admin.on_connection(move |socket| {
        let main = main.clone();
        socket.on("members", move |_socket, _args, ack| {
            let nicks = main
                .fetch_sockets()
                .iter()
                .map(|s| nick(s).into())
                .collect();
            ack.send((Value::Array(nicks),));
        });
    });
}

fn nick(socket: &Socket) -> String {
    match socket.data().get("nick").and_then(Value::as_str) {
        Some(nick) => nick.to_string(),
        None => format!("guest-{}", socket.id().chars().take(4).collect::<String>()),
    }
}

fn field<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value
        .get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}
