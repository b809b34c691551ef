//! Connection state recovery (issue 13, `src/socketio/recovery.rs`): a client that drops
//! comes back with its id, rooms and data, and every event it missed, exactly once and in
//! order — with the official Node client over WebSocket and over polling, and spoken by
//! hand over WebSocket for the cases the official client cannot be made to show (forged
//! pids, a client that left on purpose, volatile and acked emits).
//!
//! The reference: the official client's scenario (`tests/node/recovery.js`) also runs
//! against Node's own socket.io 4.8 server with `connectionStateRecovery` on
//! (`tests/node/recovery_server.js`, `serve()`'s handlers in JavaScript), and the client must
//! see the same thing from both servers — the same disconnect reason, `recovered`, its id
//! back, the same events in the same order — while both servers' handlers hear the same
//! connects and disconnects. Only the ids and offsets, each server's own, may differ.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use common::{
    node_client, start, tcp, wait_until, ws_read_text, ws_send, Journal, NodeClient, Ws,
    READ_TIMEOUT,
};
use threadio::http::{Router, RunningServer};
use threadio::json::{self, Value};
use threadio::socketio::{ConnectionStateRecovery, Io, IoConfig};

/// A server with recovery on. Each socket hears `welcome` (so its client knows an offset),
/// may `join` a room, and on `after-please` gets `after`. When a socket's connection
/// drops, 100 events go to the room `lobby` and 10 to the socket's own id while it is away.
/// The journal gets a line for everything the handlers heard, in the words of
/// tests/node/recovery_server.js: `connect <id> fresh|recovered`, `disconnect <id> <reason>`.
fn serve(recovery: ConnectionStateRecovery) -> (RunningServer, Io, Arc<Journal>) {
    let io = Io::with_config(IoConfig {
        connection_state_recovery: Some(recovery),
        ..IoConfig::default()
    });
    let heard = Arc::new(Journal::default());
    let journal = Arc::clone(&heard);
    let main = io.sockets();
    io.sockets().on_connection(move |socket| {
        let how = if socket.recovered() {
            "recovered"
        } else {
            "fresh"
        };
        journal.write(format!("connect {} {how}", socket.id()));
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
        let journal = Arc::clone(&journal);
        socket.on_disconnect(move |socket, reason| {
            journal.write(format!("disconnect {} {reason}", socket.id()));
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
    (start(router), io, heard)
}

// ---- The official client, against threadio and against Node's server ------------------------

/// Whether the client comes back in time (recovered) or after the server's
/// `max_disconnection_duration` has passed (a fresh session).
#[derive(Clone, Copy, Debug)]
enum Expect {
    Recovered,
    Fresh,
}

impl Expect {
    /// The server's `max_disconnection_duration`: the default 2 minutes, or 200 ms, which
    /// recovery.js's 600 ms reconnection delay outlasts (RECOVERY_EXPECT=fresh).
    fn max_disconnection_duration(self) -> Duration {
        match self {
            Expect::Recovered => ConnectionStateRecovery::default().max_disconnection_duration,
            Expect::Fresh => Duration::from_millis(200),
        }
    }

    fn env(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Expect::Recovered => &[],
            Expect::Fresh => &[("RECOVERY_EXPECT", "fresh")],
        }
    }
}

/// One run of recovery.js against one server: the client's JSON line, and what the
/// server's handlers heard, its socket ids named `A`, `B` in order of appearance.
#[derive(Debug)]
struct Seen {
    client: serde_json::Value,
    server: Vec<String>,
}

/// The four lines a server hears in a run — connect, the drop, connect, the client's final
/// `socket.disconnect()` — with ids named by letter. The last may reach the handler after
/// the script has exited, hence the wait.
fn story(journal: &Journal, server: &str) -> Vec<String> {
    let complete = wait_until(READ_TIMEOUT, || journal.lines().len() >= 4);
    let lines = journal.lines();
    assert!(complete, "{server} heard only {lines:?}");
    let mut ids: Vec<String> = Vec::new();
    lines
        .iter()
        .map(|line| {
            let mut words: Vec<&str> = line.splitn(3, ' ').collect();
            assert_eq!(words.len(), 3, "{server}: {line:?}");
            let index = ids.iter().position(|id| id == words[1]).unwrap_or_else(|| {
                ids.push(words[1].to_string());
                ids.len() - 1
            });
            let letter = char::from(b'A' + index as u8).to_string();
            words[1] = &letter;
            words.join(" ")
        })
        .collect()
}

/// recovery.js against a threadio server set up by `serve()`.
fn run_against_threadio(node: &NodeClient, transports: &str, expect: Expect) -> Seen {
    let (server, _io, heard) = serve(ConnectionStateRecovery {
        max_disconnection_duration: expect.max_disconnection_duration(),
        ..ConnectionStateRecovery::default()
    });
    let url = format!("http://{}", server.addr());
    let client = node
        .try_run_with_env("recovery", &url, transports, expect.env())
        .unwrap_or_else(|failure| panic!("against threadio: {failure}"));
    println!("recovery.js ({transports}, {expect:?}) against threadio: {client}");
    Seen {
        client,
        server: story(&heard, "threadio"),
    }
}

/// recovery.js against Node's socket.io server (tests/node/recovery_server.js), or `None`
/// (after `skipped: …`) if the server package is not installed.
fn run_against_node(node: &NodeClient, transports: &str, expect: Expect) -> Option<Seen> {
    let max = expect.max_disconnection_duration().as_millis().to_string();
    let reference = node.start_server("recovery_server.js", &[&max])?;
    let client = node
        .try_run_with_env("recovery", reference.url(), transports, expect.env())
        .unwrap_or_else(|failure| {
            panic!(
                "against Node's socket.io: {failure}\nits stderr:\n{}",
                reference.stderr()
            )
        });
    println!("recovery.js ({transports}, {expect:?}) against Node's socket.io: {client}");
    Some(Seen {
        client,
        server: story(reference.lines(), "Node's socket.io"),
    })
}

/// What the official client must see, and the server hear, from a correct server.
fn assert_expected(seen: &Seen, expect: Expect, server: &str) {
    let client = &seen.client;
    assert_eq!(client["ok"], true, "{server}: {client}");
    // The client's own word for closing its engine (`socket.io.engine.close()`); the
    // server's handler hears "transport close", a recoverable reason.
    assert_eq!(client["reason"], "forced close", "{server}: {client}");
    assert_eq!(client["first"]["recovered"], false, "{server}: {client}");
    let (got, heard): (Vec<String>, [&str; 4]) = match expect {
        Expect::Recovered => {
            assert_eq!(client["second"]["recovered"], true, "{server}: {client}");
            assert_eq!(
                client["second"]["id"], client["first"]["id"],
                "{server}: the same id back: {client}"
            );
            let got = std::iter::once("welcome".to_string())
                .chain((0..100).map(|i| format!("n{i}")))
                .chain((0..10).map(|i| format!("d{i}")))
                .chain(std::iter::once("after".to_string()))
                .collect();
            let heard = [
                "connect A fresh",
                "disconnect A transport close",
                "connect A recovered",
                "disconnect A client namespace disconnect",
            ];
            (got, heard)
        }
        Expect::Fresh => {
            assert_eq!(client["second"]["recovered"], false, "{server}: {client}");
            assert_ne!(
                client["second"]["id"], client["first"]["id"],
                "{server}: a new id: {client}"
            );
            // A new socket: it is in no room the missed events went to, and hears
            // `welcome` again.
            let got = ["welcome", "welcome", "after"].map(String::from).to_vec();
            let heard = [
                "connect A fresh",
                "disconnect A transport close",
                "connect B fresh",
                "disconnect B client namespace disconnect",
            ];
            (got, heard)
        }
    };
    assert_eq!(
        client["got"],
        serde_json::json!(got),
        "{server}: every event, once, in order"
    );
    assert_eq!(client["received"], got.len(), "{server}: {client}");
    assert_eq!(seen.server, heard, "{server}'s handlers");
}

/// The client's observations from threadio and from Node, compared field by field: every
/// field equal, but for the ids each server makes — there, whether the second id is the
/// first one again. And both servers' handlers heard the same story.
///
/// What is compared is what the client saw, not the wire, and on the wire the two differ:
/// Node's server sends the missed events *before* its CONNECT answer (socket.io 4.8
/// lib/socket.ts: the `Socket` constructor sends `missedPackets`, `_onconnect` sends the
/// CONNECT later), threadio after it (`Client::recover`). The official client keeps events
/// that come before CONNECT in its `receiveBuffer` and emits them once connected, so it
/// sees the same thing either way.
fn assert_same(threadio: &Seen, node: &Seen) {
    let (ours, theirs) = (&threadio.client, &node.client);
    let fields = |json: &serde_json::Value| -> Vec<String> {
        json.as_object()
            .expect("a JSON object")
            .keys()
            .cloned()
            .collect()
    };
    assert_eq!(
        fields(ours),
        fields(theirs),
        "the same fields\n threadio: {ours}\n node: {theirs}"
    );
    for field in fields(ours) {
        let (a, b) = match field.as_str() {
            "first" | "second" => (&ours[&field]["recovered"], &theirs[&field]["recovered"]),
            _ => (&ours[&field], &theirs[&field]),
        };
        assert_eq!(a, b, "{field}\n threadio: {ours}\n node: {theirs}");
    }
    let same_id = |json: &serde_json::Value| json["first"]["id"] == json["second"]["id"];
    assert_eq!(
        same_id(ours),
        same_id(theirs),
        "the id back\n threadio: {ours}\n node: {theirs}"
    );
    assert_eq!(threadio.server, node.server, "what the handlers heard");
}

/// The official client sees the same thing from threadio and from Node's socket.io, and
/// that thing is right.
fn both_servers_show_the_official_client_the_same(transports: &str, expect: Expect) {
    let Some(node) = node_client() else { return };
    let Some(reference) = run_against_node(&node, transports, expect) else {
        return;
    };
    let threadio = run_against_threadio(&node, transports, expect);
    assert_same(&threadio, &reference);
    assert_expected(&threadio, expect, "threadio");
    assert_expected(&reference, expect, "Node's socket.io");
}

fn official_client_recovers(transports: &str) {
    let Some(node) = node_client() else { return };
    let seen = run_against_threadio(&node, transports, Expect::Recovered);
    assert_expected(&seen, Expect::Recovered, "threadio");
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
    let seen = run_against_threadio(&node, "websocket", Expect::Fresh);
    assert_expected(&seen, Expect::Fresh, "threadio");
}

#[test]
fn over_websocket_the_official_client_sees_the_same_recovery_from_threadio_and_node() {
    both_servers_show_the_official_client_the_same("websocket", Expect::Recovered);
}

#[test]
fn over_polling_the_official_client_sees_the_same_recovery_from_threadio_and_node() {
    both_servers_show_the_official_client_the_same("polling", Expect::Recovered);
}

#[test]
fn past_max_disconnection_duration_threadio_and_node_both_give_a_fresh_session() {
    both_servers_show_the_official_client_the_same("websocket", Expect::Fresh);
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
    // The replay is written before the socket rejoins its namespace (both under the store's
    // lock, so no broadcast can come between): the client may have it all a moment sooner.
    assert!(wait_until(READ_TIMEOUT, || io
        .sockets()
        .socket(&sid)
        .is_some()));
    let socket = io.sockets().socket(&sid).expect("back");
    assert!(socket.recovered());
    assert_eq!(socket.data()["nick"], Value::from("ann"));
    assert!(socket.in_room("red") && socket.in_room("lobby"));
    ws_send(&mut back.ws, r#"421["after-please"]"#);
    let (name, _) = event(&mut back.ws);
    assert_eq!(name, "after", "nothing else was replayed");
}
