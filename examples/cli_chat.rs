//! A terminal chat client for the demo: the Rust client (`threadio::client`) joining the
//! browsers' chat. Lines read from stdin are sent to the room; messages, notices and
//! read receipts are printed as they come.
//!
//! ```text
//! cargo run --example cli_chat -- --name bob --room general            # the demo on :3000
//! cargo run --example cli_chat -- --name bob --port 3002               # examples/chat.rs
//! echo "hello from a pipe" | cargo run --example cli_chat -- --url http://127.0.0.1:3000
//! ```
//!
//! It speaks the demo's protocol (examples/chat.rs's module doc): `join` with an ack, `chat`
//! with an ack (the first tick), `shown` for each message printed (the authors' second
//! tick), and `seen` for our own. The demo turns connection state recovery on, so after a
//! short outage the client comes back in its rooms with what it missed; after a long one
//! it joins again. Stdin may be a terminal or a pipe: at its end, the client waits for the
//! acks of what it sent and leaves.

#[path = "cli/flags.rs"]
mod flags;

use std::io::BufRead;
use std::time::Duration;

use threadio::client::{Channel, Dialer};
use threadio::json::Value;

const SPEC: flags::Spec = flags::Spec {
    usage: "cargo run --example cli_chat -- [--name NICK] [--room ROOM] [--port N | --url URL]",
    flags: &["--name", "--room", "--port", "--url"],
    positional: 0,
};

/// How long we wait for the server to acknowledge a join or a message.
const ACK_TIMEOUT: Duration = Duration::from_secs(10);

fn main() {
    let flags = flags::Flags::parse(SPEC);
    let name: String = flags.value("--name", SPEC).unwrap_or_else(|| "cli".into());
    let room: String = flags
        .value("--room", SPEC)
        .unwrap_or_else(|| "lobby".into());
    let port: u16 = flags.value("--port", SPEC).unwrap_or(3000);
    let url: String = flags
        .value("--url", SPEC)
        .unwrap_or_else(|| format!("http://127.0.0.1:{port}"));

    let chat = match Dialer::new(&url).connect() {
        Ok(chat) => chat,
        Err(e) => {
            eprintln!("cannot join the chat at {url}: {e}");
            std::process::exit(1);
        }
    };
    listen(&chat);
    if let Err(e) = join(&chat, &name, &room) {
        eprintln!("{e}");
        std::process::exit(1);
    }
    // After a reconnection the server may have kept our rooms (recovered) or not: then we
    // join again, from the event thread, with the callback form of the ack.
    let again = chat.clone();
    let (nick, place) = (name.clone(), room.clone());
    chat.on_connect(move || {
        if !again.recovered() {
            let _ = again.emit_with_ack_then(
                "join",
                vec![nick.as_str().into(), place.as_str().into()],
                ACK_TIMEOUT,
                |_| {},
            );
        }
    });
    for line in std::io::stdin().lock().lines() {
        let Ok(text) = line else { break };
        if text.trim().is_empty() {
            continue;
        }
        send(&chat, &room, &text);
    }
    chat.disconnect();
}

/// Prints what the room says, and sends the `shown` receipt for each message printed.
fn listen(chat: &Channel) {
    let receipts = chat.clone();
    chat.on("chat", move |args, _| {
        let message = &args[0];
        println!(
            "[{}] {}: {}",
            text(&message["room"]),
            text(&message["from"]),
            text(&message["text"])
        );
        if let (Some(room), Some(sender), Some(id)) = (
            message["room"].as_str(),
            message["sender"].as_str(),
            message["id"].as_i64(),
        ) {
            let _ = receipts.emit("shown", vec![room.into(), sender.into(), id.into()]);
        }
    });
    chat.on("notice", |args, _| println!("* {}", text(&args[0]["text"])));
    chat.on("seen", |args, _| {
        println!("(#{} seen by {})", args[0]["id"], text(&args[0]["by"]));
    });
    chat.on_disconnect(|cause| eprintln!("(disconnected: {cause}; reconnecting)"));
}

/// Joins `room` as `name` and prints who is there.
fn join(chat: &Channel, name: &str, room: &str) -> Result<(), String> {
    let reply = chat
        .emit_with_ack("join", vec![name.into(), room.into()], ACK_TIMEOUT)
        .map_err(|e| format!("cannot join {room}: {e}"))?;
    if let Some(error) = reply[0]["error"].as_str() {
        return Err(format!("cannot join {room}: {error}"));
    }
    println!("joined {room} as {name}; here: {}", reply[0]["members"]);
    Ok(())
}

/// Sends one line and waits for the server's ack (the first tick), so that messages keep
/// their order and the program ends only when all of them are through.
fn send(chat: &Channel, room: &str, line: &str) {
    let message = Value::object([("room", room), ("text", line)]);
    match chat.emit_with_ack("chat", vec![message], ACK_TIMEOUT) {
        Ok(reply) => println!("(#{} sent)", reply[0]["id"]),
        Err(e) => eprintln!("not sent ({e}): {line}"),
    }
}

/// A JSON string without its quotes, anything else as JSON.
fn text(value: &Value) -> String {
    value
        .as_str()
        .map_or_else(|| value.to_string(), String::from)
}
