//! The demo's chat server: nicknames, rooms, "x is typing…", two ticks per message, and
//! nothing missed over a dropped connection — Socket.IO's events, acknowledgements, rooms,
//! broadcasts and connection state recovery in one screen of handlers.
//! `cargo run` (src/main.rs) runs exactly this, with the page embedded in the binary.
//!
//! Try it: `cargo run --example chat`, open http://127.0.0.1:3002 in two tabs (the page is
//! read from src/assets/, so you can edit it and reload), or talk to it from Node with the
//! official client (`npm i socket.io-client`):
//! ```js
//! const { io } = require("socket.io-client");
//! const socket = io("http://127.0.0.1:3002");
//! socket.on("chat", (m) => { console.log(m); socket.emit("shown", m.room, m.sender, m.id); });
//! socket.on("seen", (s) => console.log(`${s.by} has seen message ${s.id}`)); // second tick
//! socket.emit("join", "ann", "lobby", (r) => console.log("members", r.members));
//! socket.emit("chat", { room: "lobby", text: "hello" }, (r) => console.log("acked", r.id));
//! ```
//!
//! The events, as the page uses them (`→` client to server, `←` server to client):
//! ```text
//! → join (nick, room, ack)     ack { room, members }; the room ← presence, notice "ann joined"
//!                              refused (past max_rooms_per_socket): ack { room, error } only
//! → leave (room)               the room ← presence, notice "ann left"
//! → chat ({ room, text }, ack) ack { id } (first tick); the others ← chat { id, room, from, sender,
//!                              text, at }, `sender` being the author's socket id
//! → shown (room, sender, id)   a page has the message on screen: the author ← seen { id, room, by };
//!                              the author's page counts them against the room's other members
//!                              (the second tick: ✓✓ when all have, ✓✓ 2/3 for some)
//! → typing (room)              the others ← typing { room, from }
//! → rtt (ack)                  ack at once: the page times the round trip
//! disconnect                   each of its rooms ← presence, notice "ann left"
//! ```
//! The demo turns on connection state recovery ([`io_config`]): a page whose connection
//! drops for less than two minutes comes back with its socket id and rooms, and the server
//! sends it every `chat`, `presence` and `notice` it missed, in order. That is why `chat` is
//! a plain broadcast and the second tick a separate `shown` → `seen` receipt rather than an
//! acknowledgement asked of each reader: an event that asks for an ack is never kept for
//! a member who is away (Socket.IO's rule: an ack cannot outlive the session that owed it),
//! so a broadcast with acks would skip exactly the members recovery is for.
//!
//! `/moderators` is a second namespace on the same connection, for clients whose auth is
//! `{ token: "secret" }`: `members` acks the nicknames of everyone connected.
//!
//! Each connection is logged with what its handshake says (`socket.handshake()`): the peer's
//! address and its browser.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use threadio::http::{Router, Server, ServerConfig, StaticFiles};
use threadio::json::Value;
use threadio::socketio::{ArgsError, ConnectError, ConnectionStateRecovery, Io, IoConfig, Socket};

// `pub`: src/main.rs, which borrows this file, takes its command line from here too.
#[path = "cli/flags.rs"]
pub mod flags;

#[allow(dead_code)] // src/main.rs borrows this file for `attach` and has its own main.
fn main() {
    let port = flags::port_flag("cargo run --example chat -- [--port N]", 3002);
    let io = Io::with_config(io_config());
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

/// The longest room name and nickname, in characters: the page's own `maxlength`s, enforced
/// here too, since a client need not be our page. Rooms per socket are capped by the server
/// (`IoConfig::max_rooms_per_socket`); these cap what each of them costs.
const MAX_ROOM_NAME: usize = 32;
const MAX_NICK: usize = 24;

/// The demo's settings: the defaults, with connection state recovery on, at its own defaults
/// (a session kept two minutes; a recovered socket skips `/moderators`' middleware, which let it
/// in the first time).
pub fn io_config() -> IoConfig {
    IoConfig {
        connection_state_recovery: Some(ConnectionStateRecovery::default()),
        ..IoConfig::default()
    }
}

/// Adds the chat's handlers to `io`'s main namespace and the `/moderators` namespace.
/// (Not `/admin`: the demo gives that name to the Admin UI, `threadio::admin`.)
pub fn attach(io: &Io) {
    let message_ids = Arc::new(AtomicU64::new(0));
    io.of("/").on_connection(move |socket| {
        log_arrival(socket);
        member(socket, &message_ids);
    });
    moderators(io);
}

/// One line per connection, from the request that opened its session.
fn log_arrival(socket: &Socket) {
    let handshake = socket.handshake();
    let from = handshake
        .address
        .map_or_else(|| "?".to_string(), |a| a.to_string());
    let browser = handshake.header("User-Agent").unwrap_or("no User-Agent");
    threadio::log!("chat: {} connected from {from} ({browser})", socket.id());
}

/// One chat member. Every handler runs on this client's own thread, in the order the client
/// sent its events, so a `join` is always handled before the `chat` that follows it.
fn member(socket: &Socket, message_ids: &Arc<AtomicU64>) {
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
            // The name first: another member's join may list the room's members the moment
            // this socket is in it, and should find it named, not a guest.
            socket.set_data(Value::object([("nick", nick)]));
            socket.join(room).map_err(|refused| refused.to_string())
        };
        if let Err(error) = joined {
            // The page shows why in the room it tried to join (chat.js `joined`).
            ack.send((Value::object([("room", room), ("error", error.as_str())]),));
            return Ok(());
        }
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

    // The first tick: the ack says the server has the message. The second comes from the
    // other members' pages, never on the server's word: each page that shows the message
    // says so (`shown`), and the author's page counts the receipts (`seen`). A plain
    // broadcast, so that a member who is away gets it when it comes back (module doc).
    let ids = Arc::clone(message_ids);
    socket.on("chat", move |socket, args, ack| {
        let message = args.first().cloned().unwrap_or(Value::Null);
        let (Some(room), Some(text)) = (field(&message, "room"), field(&message, "text")) else {
            return;
        };
        if !socket.in_room(room) {
            return; // only members may speak in a room
        }
        let id = ids.fetch_add(1, Ordering::Relaxed) + 1;
        let at = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let out = Value::object([
            ("id", Value::from(id)),
            ("room", room.into()),
            ("from", nick(socket).into()),
            ("sender", socket.id().into()),
            ("text", text.into()),
            ("at", at.into()),
        ]);
        ack.send((Value::object([("id", id)]),));
        socket.to(room).emit("chat", (out,));
    });

    // A receipt goes to the author's own room (its socket id), on whichever node it is.
    // Only a member of the room may send one; what it names is otherwise taken on trust,
    // as with `typing`: a receipt carries nothing but an id, and a page ignores the ids of
    // messages it did not send.
    socket.on("shown", |socket, args, _ack| -> Result<(), ArgsError> {
        let (room, sender, id): (String, String, u64) = args.parse()?;
        if !socket.in_room(&room) || sender == socket.id() {
            return Ok(());
        }
        let seen = Value::object([
            ("id", Value::from(id)),
            ("room", room.into()),
            ("by", nick(socket).into()),
        ]);
        socket.namespace().to(sender).emit("seen", (seen,));
        Ok(())
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

/// The nicknames of the members of `room` on every node, but for the socket `leaving`,
/// sorted (a room is a set: without sorting, the list would come in the registry's hash
/// order). If a node did not answer in time, the list has those that did, and says so in
/// the log.
fn members(socket: &Socket, room: &str, leaving: Option<&str>) -> Value {
    let sockets = socket
        .namespace()
        .in_(room)
        .fetch_sockets()
        .unwrap_or_else(|error| {
            threadio::log!("members of {room}: {error}");
            error.into_partial()
        });
    let mut nicks: Vec<String> = sockets
        .iter()
        .filter(|s| Some(s.id()) != leaving)
        .map(|s| nick_of(s.id(), s.data()))
        .collect();
    nicks.sort();
    Value::Array(nicks.into_iter().map(Value::from).collect())
}

/// `/moderators`: a second namespace, multiplexed on the same connection, behind a
/// middleware.
fn moderators(io: &Io) {
    let moderators = io.of("/moderators");
    moderators.use_middleware(
        |socket| match socket.auth().get("token").and_then(Value::as_str) {
            Some("secret") => Ok(()),
            _ => Err(ConnectError::new("Not authorized")),
        },
    );
    let main = io.of("/");
    moderators.on_connection(move |socket| {
        let main = main.clone();
        socket.on("members", move |_socket, _args, ack| {
            let nicks = main
                .fetch_sockets()
                .unwrap_or_else(|error| error.into_partial())
                .iter()
                .map(|s| nick_of(s.id(), s.data()).into())
                .collect();
            ack.send((Value::Array(nicks),));
        });
    });
}

fn nick(socket: &Socket) -> String {
    nick_of(socket.id(), &socket.data())
}

/// The nickname in a socket's data, or a guest name made from its id.
fn nick_of(id: &str, data: &Value) -> String {
    match data.get("nick").and_then(Value::as_str) {
        Some(nick) => nick.to_string(),
        None => format!("guest-{}", id.chars().take(4).collect::<String>()),
    }
}

fn field<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value
        .get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}
