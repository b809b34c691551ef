//! The Admin UI's live feed and commands on the wire, byte by byte where the reference fixes
//! them (`@socket.io/admin-ui` 0.5's `lib/index.ts` and `typed-events.ts`): in development
//! mode a UI on `/admin` hears `socket_connected`, `socket_updated` (after an upgrade from
//! polling), `room_joined`, `event_received`,
//! `event_sent`, `room_left` and `socket_disconnected` for a chat client, and its `join`
//! and `_disconnect` act on that client; with `readonly` they do not.
//!
//! The clients speak the protocol's text by hand (over a WebSocket, or polling then the
//! upgrade), so every packet shows.

mod common;

use std::time::{Duration, Instant};

use common::start;
use serde_json::{json, Value};
use threadio::admin::{instrument, AdminOptions};
use threadio::http::{Router, RunningServer};
use threadio::socketio::Io;
use threadio::websocket::{client, Message, WebSocket};

/// A server whose "/" lets a client join a room with `join` and answers `ping` with `pong`.
fn server(options: AdminOptions) -> (RunningServer, Io) {
    let io = Io::new();
    io.of("/").on_connection(|socket| {
        socket.on("join", |socket, args, _| {
            if let Some(room) = args.as_slice().first().and_then(|v| v.as_str()) {
                let _ = socket.join(room);
            }
        });
        socket.on("ping", |socket, _, _| socket.emit("pong", ()));
    });
    let admin = instrument(&io, options);
    admin.stop(); // no server_stats in the way: these tests are about the feed
    let mut app = Router::new();
    io.attach(&mut app);
    (start(app), io)
}

fn connect(server: &RunningServer, namespace: &str) -> (WebSocket, String) {
    let url = format!(
        "ws://{}/socket.io/?EIO=4&transport=websocket",
        server.addr()
    );
    let mut ws = client::connect(&url).expect("the WebSocket opens");
    assert!(text(&mut ws).starts_with("0{"), "the Engine.IO open packet");
    // Socket.IO v5 "Packet encoding": a namespace other than "/" is followed by a comma.
    let prefix = match namespace {
        "" => "40".to_string(),
        name => format!("40{name},"),
    };
    ws.send(prefix.as_str()).expect("CONNECT sent");
    let answer = text(&mut ws);
    let body = answer
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{answer}"));
    let sid: Value = serde_json::from_str(body).expect("JSON");
    (ws, sid["sid"].as_str().expect("a sid").to_string())
}

fn text(ws: &mut WebSocket) -> String {
    match ws.recv_timeout(Duration::from_secs(5)) {
        Ok(Some(Message::Text(text))) => text,
        other => panic!("expected a text frame, got {other:?}"),
    }
}

/// The arguments of the next `event` on `/admin`, skipping others (and answering pings).
fn next_event(ws: &mut WebSocket, event: &str) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        let packet = text(ws);
        if packet == "2" {
            ws.send("3").expect("pong");
            continue;
        }
        if let Some(body) = packet.strip_prefix("42/admin,") {
            let mut all: Vec<Value> = serde_json::from_str(body).expect("JSON array");
            if all[0] == event {
                all.remove(0);
                return all;
            }
        }
    }
    panic!("no {event} within 5 s");
}

fn is_date(value: &Value) -> bool {
    // JavaScript's Date#toJSON: 2026-12-05T06:30:00.123Z
    value.as_str().is_some_and(|s| {
        s.len() == 24 && s.ends_with('Z') && s.as_bytes()[10] == b'T' && s.as_bytes()[19] == b'.'
    })
}

#[test]
fn a_development_ui_hears_a_client_arrive_join_talk_and_go() {
    let (server, _io) = server(AdminOptions::default());
    let (mut ui, ui_id) = connect(&server, "/admin");
    let config = next_event(&mut ui, "config");
    assert_eq!(
        config[0]["supportedFeatures"],
        json!([
            "EMIT",
            "JOIN",
            "LEAVE",
            "DISCONNECT",
            "MJOIN",
            "MLEAVE",
            "MDISCONNECT",
            "AGGREGATED_EVENTS",
            "ALL_EVENTS"
        ])
    );
    let all = next_event(&mut ui, "all_sockets");
    let admin_socket = all[0]
        .as_array()
        .and_then(|all| all.iter().find(|s| s["id"] == ui_id.as_str()))
        .unwrap_or_else(|| panic!("the UI's own socket in all_sockets: {all:?}"));
    assert_eq!(admin_socket["nsp"], "/admin");
    assert_eq!(admin_socket["transport"], "websocket");

    let (mut chat, id) = connect(&server, "");
    // The UI hears of its own socket too, as the reference's does: skip to the chat client's.
    let connected = loop {
        let args = next_event(&mut ui, "socket_connected");
        if args[0]["id"] == id.as_str() {
            break args;
        }
    };
    let socket = &connected[0];
    assert_eq!(
        (socket["id"].as_str(), &socket["nsp"]),
        (Some(id.as_str()), &json!("/"))
    );
    assert_eq!(socket["transport"], "websocket");
    assert_eq!(socket["rooms"], json!([id]));
    assert_eq!(socket["data"], json!({}));
    assert_eq!(socket["clientId"].as_str().map(str::len), Some(12));
    assert_eq!(socket["handshake"]["address"], "127.0.0.1");
    assert!(
        socket["handshake"].get("auth").is_none(),
        "auth stays out: {socket}"
    );
    assert!(is_date(&connected[1]), "{connected:?}");

    chat.send(r#"42["join","lobby"]"#).expect("sent");
    let received = next_event(&mut ui, "event_received");
    assert_eq!(
        received[..3],
        [json!("/"), json!(id), json!(["join", "lobby"])]
    );
    assert!(is_date(&received[3]));
    let joined = next_event(&mut ui, "room_joined");
    assert_eq!(joined[..3], [json!("/"), json!("lobby"), json!(id)]);

    chat.send(r#"42["ping"]"#).expect("sent");
    assert_eq!(text(&mut chat), r#"42["pong"]"#);
    let sent = next_event(&mut ui, "event_sent");
    assert_eq!(sent[..3], [json!("/"), json!(id), json!(["pong"])]);

    // The UI's commands: put the client in "vip", then disconnect it.
    ui.send(format!(r#"42/admin,["join","/","vip","{id}"]"#))
        .expect("sent");
    let joined = next_event(&mut ui, "room_joined");
    assert_eq!(joined[..3], [json!("/"), json!("vip"), json!(id)]);
    ui.send(format!(r#"42/admin,["_disconnect","/",false,"{id}"]"#))
        .expect("sent");
    assert_eq!(
        text(&mut chat),
        "41",
        "the client is told it was disconnected"
    );
    let mut left = Vec::new();
    let gone = loop {
        let packet = text(&mut ui);
        let body = packet.strip_prefix("42/admin,").unwrap_or("[null]");
        let mut args: Vec<Value> = serde_json::from_str(body).unwrap_or_default();
        match args.first().and_then(Value::as_str) {
            Some("room_left") => left.push(args[2].clone()),
            Some("socket_disconnected") => break args.split_off(1),
            _ => {}
        }
    };
    assert_eq!(
        gone[..3],
        [json!("/"), json!(id), json!("server namespace disconnect")]
    );
    assert!(is_date(&gone[3]));
    // Node's adapter tells of the rooms left after the disconnect (process.nextTick): we
    // may tell them before or after, so only which rooms is checked.
    while left.len() < 3 {
        let args = next_event(&mut ui, "room_left");
        left.push(args[1].clone());
    }
    left.sort_by_key(|v| v.to_string());
    let mut expected = vec![json!(id), json!("lobby"), json!("vip")];
    expected.sort_by_key(|v| v.to_string());
    assert_eq!(left, expected);
    server.stop();
}

#[test]
fn a_readonly_ui_is_offered_no_actions_and_its_commands_do_nothing() {
    let (server, io) = server(AdminOptions {
        readonly: true,
        ..AdminOptions::default()
    });
    let (mut ui, ui_id) = connect(&server, "/admin");
    let config = next_event(&mut ui, "config");
    assert_eq!(
        config[0]["supportedFeatures"],
        json!(["AGGREGATED_EVENTS", "ALL_EVENTS"])
    );
    let (mut watcher, _) = connect(&server, "/admin");
    let (mut chat, id) = connect(&server, "");
    ui.send(format!(r#"42/admin,["_disconnect","/",false,"{id}"]"#))
        .expect("sent");
    ui.send(format!(r#"42/admin,["join","/","vip","{id}"]"#))
        .expect("sent");
    ui.send("41/admin,").expect("sent");
    // The UI's packets are handled in order: once a second UI hears the first one leave,
    // its commands have been handled (or ignored).
    loop {
        let args = next_event(&mut watcher, "socket_disconnected");
        if args[1] == ui_id.as_str() {
            break;
        }
    }
    // The chat client still answers, and is in no room but its own.
    chat.send(r#"42["ping"]"#).expect("sent");
    assert_eq!(text(&mut chat), r#"42["pong"]"#);
    let socket = io.of("/").socket(&id).expect("still connected");
    assert_eq!(socket.rooms(), vec![id.clone()]);
    server.stop();
}

#[test]
fn a_client_that_upgrades_from_polling_is_shown_on_its_new_transport() {
    let (server, _io) = server(AdminOptions::default());
    let (mut ui, _) = connect(&server, "/admin");
    let (session, id) = common::Polling::joined(server.addr());
    let connected = loop {
        let args = next_event(&mut ui, "socket_connected");
        if args[0]["id"] == id.as_str() {
            break args;
        }
    };
    assert_eq!(connected[0]["transport"], "polling");

    // Engine.IO v4 "Upgrade": 2probe, 3probe, then 5 makes the WebSocket the transport.
    let url = format!(
        "ws://{}/socket.io/?EIO=4&transport=websocket&sid={}",
        server.addr(),
        session.sid
    );
    let mut ws = client::connect(&url).expect("the WebSocket opens");
    ws.send("2probe").expect("sent");
    assert_eq!(text(&mut ws), "3probe");
    ws.send("5").expect("sent");
    let updated = next_event(&mut ui, "socket_updated");
    assert_eq!(
        updated[0],
        json!({"id": id, "nsp": "/", "transport": "websocket"})
    );
    server.stop();
}
