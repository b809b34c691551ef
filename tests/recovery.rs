//! Connection state recovery (issue 13, `src/socketio/recovery.rs`): a client that drops
//! comes back with its id, rooms and data, and every event it missed, exactly once and in
//! order — with the official Node client over WebSocket and over polling, and spoken by
//! hand over WebSocket for the cases the official client cannot be made to show (forged
//! pids, a client that left on purpose, volatile and acked emits).

mod common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{node_client, start, tcp, wait_until, ws_read_text, ws_send, Ws, READ_TIMEOUT};
use threadio::http::{Router, RunningServer};
use threadio::json::{self, Value};
use threadio::socketio::{ConnectionStateRecovery, Io, IoConfig};

/// Every socket id that connected, and whether it was recovered, in order.
type Connections = Arc<Mutex<Vec<(String, bool)>>>;

/// A server with recovery on. Each socket hears `welcome` (so its client knows an offset),
/// may `join` a room, and on `after-please` gets `after`. When a socket's connection
/// drops, 100 events go to the room `lobby` and 10 to the socket's own id while it is away.
/// `ids` lists every socket id that connected and whether it was recovered.
fn serve(recovery: ConnectionStateRecovery) -> (RunningServer, Io, Connections) {
    let io = Io::with_config(IoConfig {
        connection_state_recovery: Some(recovery),
        ..IoConfig::default()
    });
    let ids = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&ids);
    let main = io.sockets();
    io.sockets().on_connection(move |socket| {
        seen.lock()
            .unwrap()
            .push((socket.id().to_string(), socket.recovered()));
        if !socket.recovered() {
            socket.emit("welcome", ());
        }
        socket.on("join", |socket, args, ack| {
            if let Some(room) = args.first().and_then(Value::as_str) {
                socket.join(room).unwrap();
            }
            ack.send(());
        });
        socket.on("after-please", |socket, _, ack| {
            socket.emit("after", ());
            ack.send(());
        });
        let main = main.clone();
        socket.on_disconnect(move |socket, reason| {
            if !reason.is_recoverable() {
                return;
            }
            for i in 0..100 {
                main.to("lobby").emit("n", (i,));
            }
            for i in 0..10 {
                main.to(socket.id()).emit("direct", (i,));
            }
        });
    });
    let mut router = Router::new();
    io.attach(&mut router);
    (start(router), io, ids)
}

// ---- The official client -------------------------------------------------------------------

fn official_client_recovers(transports: &str) {
    let Some(node) = node_client() else { return };
    let (server, _io, ids) = serve(ConnectionStateRecovery::default());
    let url = format!("http://{}", server.addr());
    let observed = node
        .try_run_with("recovery", &url, transports)
        .unwrap_or_else(|failure| panic!("{failure}"));
    println!("recovery.js ({transports}): {observed}");
    assert_eq!(observed["ok"], true, "{observed}");
    // The client's own word for closing its engine; the server heard "transport close".
    assert_eq!(observed["reason"], "forced close", "{observed}");
    assert_eq!(observed["second"]["recovered"], true, "{observed}");
    assert_eq!(
        observed["received"], 112,
        "welcome, 110 missed, after: {observed}"
    );
    let ids = ids.lock().unwrap().clone();
    assert_eq!(ids.len(), 2, "{ids:?}");
    assert_eq!(ids[0].0, ids[1].0, "the same socket id");
    assert_eq!(
        (ids[0].1, ids[1].1),
        (false, true),
        "recovered the second time"
    );
}

#[test]
fn the_official_client_over_websocket_gets_every_missed_event_once_in_order() {
    official_client_recovers("websocket");
}

#[test]
fn the_official_client_over_polling_gets_every_missed_event_once_in_order() {
    official_client_recovers("polling");
}

#[test]
fn past_max_disconnection_duration_the_official_client_gets_a_fresh_session() {
    let Some(node) = node_client() else { return };
    let (server, _io, ids) = serve(ConnectionStateRecovery {
        max_disconnection_duration: Duration::from_millis(200),
        ..ConnectionStateRecovery::default()
    });
    let url = format!("http://{}", server.addr());
    let observed = node
        .try_run_with_env(
            "recovery",
            &url,
            "websocket",
            &[("RECOVERY_EXPECT", "fresh")],
        )
        .unwrap_or_else(|failure| panic!("{failure}"));
    assert_eq!(observed["second"]["recovered"], false, "{observed}");
    let ids = ids.lock().unwrap().clone();
    assert_ne!(ids[0].0, ids[1].0, "a new socket id: {ids:?}");
}

// ---- By hand ------------------------------------------------------------------------------

/// A raw client: the WebSocket, and what the CONNECT answer said.
struct Raw {
    ws: Ws,
    sid: String,
    pid: Option<String>,
}

fn connect(addr: SocketAddr, auth: &str) -> Raw {
    let url = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket");
    let (mut ws, _) = tungstenite::client(url, tcp(addr)).expect("WebSocket handshake");
    assert!(ws_read_text(&mut ws).starts_with("0{"), "the open packet");
    ws_send(&mut ws, &format!("40{auth}"));
    let answer = ws_read_text(&mut ws);
    let body = json::parse(answer.strip_prefix("40").expect("a CONNECT answer")).unwrap();
    Raw {
        ws,
        sid: body["sid"].as_str().unwrap().to_string(),
        pid: body.get("pid").and_then(Value::as_str).map(str::to_string),
    }
}

/// The next event's name and arguments, skipping Engine.IO pings.
fn event(ws: &mut Ws) -> (String, Vec<Value>) {
    loop {
        let text = ws_read_text(ws);
        if text == "2" {
            ws_send(ws, "3");
            continue;
        }
        let body = text
            .strip_prefix("42")
            .unwrap_or_else(|| panic!("not an event: {text}"));
        let Value::Array(mut items) = json::parse(body).unwrap() else {
            panic!("not an array: {text}")
        };
        let name = items.remove(0).as_str().unwrap().to_string();
        return (name, items);
    }
}

/// The offset an event carries as its last argument.
fn offset_of(args: &[Value]) -> String {
    args.last()
        .and_then(Value::as_str)
        .expect("an offset as the last argument")
        .to_string()
}

/// Connects, hears `welcome`, and returns the client with the offset it carried.
fn connected_with_offset(addr: SocketAddr) -> (Raw, String) {
    let mut raw = connect(addr, "");
    let (name, args) = event(&mut raw.ws);
    assert_eq!(name, "welcome");
    let offset = offset_of(&args);
    (raw, offset)
}

fn recovery_auth(pid: &str, offset: &str) -> String {
    Value::object([("pid", pid), ("offset", offset)]).to_json()
}

#[test]
fn the_connect_answer_carries_a_pid_only_with_recovery_on() {
    let (server, _io, _) = serve(ConnectionStateRecovery::default());
    let raw = connect(server.addr(), "");
    assert!(
        raw.pid.as_ref().is_some_and(|pid| pid.len() >= 20),
        "an unguessable pid"
    );

    let io = Io::new();
    let mut router = Router::new();
    io.attach(&mut router);
    let plain = start(router);
    assert_eq!(connect(plain.addr(), "").pid, None);
}

#[test]
fn a_forged_pid_or_offset_gets_a_fresh_session_and_nothing_of_another() {
    let (server, io, _) = serve(ConnectionStateRecovery::default());
    let (victim, offset) = connected_with_offset(server.addr());
    let victim_pid = victim.pid.clone().unwrap();
    let victim_sid = victim.sid.clone();
    drop(victim); // its TCP connection closes: a recoverable drop
    assert!(wait_until(READ_TIMEOUT, || io.sockets().is_empty()));

    for auth in [
        recovery_auth("forged", &offset),
        recovery_auth(&victim_pid, "forged-offset"),
        recovery_auth(&victim_pid, "12"),
    ] {
        let mut raw = connect(server.addr(), &auth);
        assert_ne!(raw.sid, victim_sid, "not the victim's socket ({auth})");
        assert_ne!(raw.pid.as_deref(), Some(victim_pid.as_str()));
        let (name, _) = event(&mut raw.ws);
        assert_eq!(
            name, "welcome",
            "a fresh session starts with a welcome ({auth})"
        );
    }
    // The forged offsets spent the victim's pid: it is good for one return only.
    let mut raw = connect(server.addr(), &recovery_auth(&victim_pid, &offset));
    assert_ne!(raw.sid, victim_sid);
    assert_eq!(event(&mut raw.ws).0, "welcome");
}

#[test]
fn a_client_that_left_on_purpose_is_not_recovered() {
    let (server, io, _) = serve(ConnectionStateRecovery::default());
    let (mut raw, offset) = connected_with_offset(server.addr());
    ws_send(&mut raw.ws, "41"); // client namespace disconnect
    assert!(wait_until(READ_TIMEOUT, || io.sockets().is_empty()));
    let pid = raw.pid.clone().unwrap();
    let mut again = connect(server.addr(), &recovery_auth(&pid, &offset));
    assert_ne!(again.sid, raw.sid);
    assert_eq!(event(&mut again.ws).0, "welcome");
}

#[test]
fn volatile_and_acked_emits_are_not_replayed_and_rooms_and_data_come_back() {
    let (server, io, _) = serve(ConnectionStateRecovery::default());
    let (mut raw, offset) = connected_with_offset(server.addr());
    ws_send(&mut raw.ws, r#"420["join","lobby"]"#);
    assert_eq!(ws_read_text(&mut raw.ws), "430[]");
    let socket = io.sockets().socket(&raw.sid).unwrap();
    socket.set_data(Value::object([("nick", "ann")]));
    socket.join("red").unwrap();
    let (sid, pid) = (raw.sid.clone(), raw.pid.clone().unwrap());
    drop(raw);
    assert!(wait_until(READ_TIMEOUT, || io.sockets().is_empty()));
    // While it is away (besides the 110 of the disconnect handler):
    io.to("red").volatile().emit("volatile", ());
    io.to("red")
        .timeout(Duration::from_secs(1))
        .emit_with_ack("acked", (), |_| {});
    io.to("red").emit("kept", ());
    io.to("blue").emit("not-for-me", ());

    let mut back = connect(server.addr(), &recovery_auth(&pid, &offset));
    assert_eq!(back.sid, sid, "the same id");
    let mut names = Vec::new();
    while names.len() < 111 {
        names.push(event(&mut back.ws).0);
    }
    assert_eq!(names.iter().filter(|n| *n == "n").count(), 100);
    assert_eq!(names.iter().filter(|n| *n == "direct").count(), 10);
    assert_eq!(names.last().unwrap(), "kept", "{names:?}");
    let socket = io.sockets().socket(&sid).expect("back");
    assert!(socket.recovered());
    assert_eq!(socket.data()["nick"], Value::from("ann"));
    assert!(socket.in_room("red") && socket.in_room("lobby"));
    ws_send(&mut back.ws, r#"421["after-please"]"#);
    let (name, _) = event(&mut back.ws);
    assert_eq!(name, "after", "nothing else was replayed");
}
