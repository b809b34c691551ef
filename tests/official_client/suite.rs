// The official-client suite, shared by three test files that differ only in TRANSPORTS:
// socketio_official_client.rs (WebSocket only), socketio_official_client_polling.rs
// (HTTP long-polling only) and socketio_official_client_default.rs (the client's default:
// polling, then the upgrade to WebSocket). Each includes this file after defining
// `TRANSPORTS` and `mod common;`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{node_client, start, Journal, NodeClient};
use threadio::engineio::EngineConfig;
use threadio::http::{Router, RunningServer};
use threadio::json::Value;
use threadio::socketio::{
    AckError, ArgsError, BroadcastAckError, BroadcastOperator, ConnectError, EventRefusal, Io,
    IoConfig, Socket,
};

/// One server for one test.
struct Harness {
    node: NodeClient,
    journal: Arc<Journal>,
    url: String,
    _io: Io,
    _server: RunningServer,
}

impl Harness {
    /// A server with [`interop_io`]'s handlers; `None` if the Node peer is missing.
    fn start(config: IoConfig) -> Option<Harness> {
        let node = node_client()?;
        let (io, journal) = interop_io(config);
        let mut router = Router::new();
        io.attach(&mut router);
        let server = start(router);
        Some(Harness {
            node,
            journal,
            url: format!("http://{}", server.addr()),
            _io: io,
            _server: server,
        })
    }

    /// Runs a scenario of tests/node against this server; returns what it printed.
    fn run(&self, scenario: &str) -> serde_json::Value {
        let observed = self
            .node
            .try_run_with(scenario, &self.url, TRANSPORTS)
            .unwrap_or_else(|failure| {
                panic!(
                    "{failure}\nthe server's journal: {:#?}",
                    self.journal.lines()
                )
            });
        assert_eq!(observed["ok"], true, "{observed}");
        // The transports the connections ended on. Asked for one, all used it; with the
        // client's default (polling first), the upgrade happened: a connection refused or
        // closed within its first round trips may end on polling, but not every one.
        let transports = observed["transports"]
            .as_array()
            .unwrap_or_else(|| panic!("no transports in {observed}"));
        match TRANSPORTS {
            "default" => assert!(
                transports.iter().any(|t| t == "websocket"),
                "{scenario}: no connection upgraded to websocket: {transports:?}"
            ),
            only => assert!(
                transports.iter().all(|t| t == only),
                "{scenario}: connections ended on {transports:?}, not all on {only}"
            ),
        }
        observed
    }

    /// Asserts that the server's journal gets `line` (it may come a little after the
    /// client is done: the server reads each connection on its own thread).
    fn expect_journal(&self, line: &str) {
        assert!(
            self.journal.wait_for(line, common::READ_TIMEOUT),
            "the server never wrote {line:?}; its journal: {:#?}",
            self.journal.lines()
        );
    }
}

/// The server every scenario talks to: "/" with one handler per feature, "/admin", and a
/// middleware that refuses `auth.token == "bad"`.
fn interop_io(config: IoConfig) -> (Io, Arc<Journal>) {
    let io = Io::with_config(config);
    let journal = Arc::new(Journal::default());
    io.use_middleware(|socket| match socket.auth()["token"].as_str() {
        Some("bad") => {
            Err(ConnectError::new("Not authorized")
                .with_data(Value::object([("reason", "bad token")])))
        }
        _ => Ok(()),
    });
    let (main_io, main_journal) = (io.clone(), Arc::clone(&journal));
    io.of("/").on_connection(move |socket| {
        record_disconnect(socket, &main_journal);
        socket.emit("welcome", vec![socket.id().into()]);
        on_events_and_acks(socket, &main_journal);
        on_rooms(socket, &main_io);
        on_broadcast_acks(socket, &main_io, &main_journal);
        on_data_and_any(socket);
        on_server_operations(socket, &main_io);
        on_disconnect_requests(socket);
        on_listeners(socket, &main_journal);
    });
    let admin_journal = Arc::clone(&journal);
    io.of("/admin").on_connection(move |socket| {
        record_disconnect(socket, &admin_journal);
        socket.on("whereami", |socket, _, ack| {
            ack.send(vec!["/admin".into(), socket.id().into()])
        });
    });
    on_handshake_namespace(&io);
    on_dynamic_namespaces(&io);
    (io, journal)
}

/// `/secure`: its middleware wants an `x-token` header on the request that opened the
/// session; a socket let in gets back what the server saw of its handshake.
fn on_handshake_namespace(io: &Io) {
    let secure = io.of("/secure");
    secure.use_middleware(|socket| match socket.handshake().header("x-token") {
        Some("letmein") => Ok(()),
        _ => Err(ConnectError::new("no x-token header")),
    });
    secure.on_connection(|socket| {
        let handshake = socket.handshake();
        let query: Vec<(String, Value)> = handshake
            .query
            .iter()
            .map(|(key, value)| (key.clone(), value.as_str().into()))
            .collect();
        let address = handshake.address.map(|a| a.ip().to_string());
        socket.emit(
            "handshake",
            vec![Value::object([
                ("query", Value::object(query)),
                ("token", handshake.header("x-token").into()),
                ("auth", handshake.auth.clone()),
                ("address", address.into()),
                ("secure", handshake.secure.into()),
                ("xdomain", handshake.xdomain.into()),
                ("issued", handshake.issued.into()),
                ("url", handshake.url.as_str().into()),
            ])],
        );
    });
}

/// `/org-<number>`: children of one parent, made on their first CONNECT; the parent's
/// middleware keeps "mallory" out.
fn on_dynamic_namespaces(io: &Io) {
    let orgs = io.of_matching(|name, _auth| {
        name.strip_prefix("/org-")
            .is_some_and(|id| id.parse::<u32>().is_ok())
    });
    orgs.use_middleware(|socket| match name_of(socket).as_str() {
        "mallory" => Err(ConnectError::new("not a member")),
        _ => Ok(()),
    });
    orgs.on_connection(|socket| {
        socket.emit("where", vec![socket.namespace().name().into()]);
        socket.on("org-chat", |socket, args, _| {
            socket.broadcast().emit("org-chat", args);
        });
    });
}

/// Writes `<namespace> <auth.name> disconnect: <reason>` when the socket goes.
fn record_disconnect(socket: &Socket, journal: &Arc<Journal>) {
    let journal = Arc::clone(journal);
    socket.on_disconnect(move |socket, reason| {
        let (namespace, name) = (socket.namespace().name(), name_of(socket));
        journal.write(format!("{namespace} {name} disconnect: {reason}"));
    });
}

fn name_of(socket: &Socket) -> String {
    name_of_auth(socket.auth())
}

fn name_of_auth(auth: &Value) -> String {
    auth["name"].as_str().unwrap_or("-").to_string()
}

/// `echo`, `sum`, `upload` (binary), `ask` (the server asks the client), `whoami`,
/// `whereami`, `journal-wait`.
fn on_events_and_acks(socket: &Socket, journal: &Arc<Journal>) {
    socket.on("echo", |socket, args, ack| {
        if ack.requested() {
            ack.send(args);
        } else {
            socket.emit("echo", args);
        }
    });
    socket.on("sum", |_, args, ack| {
        let total: i64 = args.iter().filter_map(Value::as_i64).sum();
        ack.send(vec![total.into()]);
    });
    socket.on("upload", |socket, args, ack| {
        ack.send(vec![Value::Array(args.iter().map(describe).collect())]);
        socket.emit("upload", args);
    });
    let asks = Arc::clone(journal);
    socket.on("ask", move |socket, args, _| {
        // The event to ask with, its timeout in ms, then its arguments for the client.
        let mut args = args.into_iter();
        let event = args.next().and_then(|e| e.as_str().map(String::from));
        let event = event.unwrap_or_else(|| "question".into());
        let millis = args.next().and_then(|ms| ms.as_i64()).unwrap_or(1000);
        let (asker, journal, asked) = (socket.clone(), Arc::clone(&asks), event.clone());
        let timeout = Duration::from_millis(millis.max(0) as u64);
        socket.emit_with_ack(&event, args.collect::<Vec<_>>(), timeout, move |answer| {
            let outcome = match answer {
                Ok(reply) => {
                    let json = Value::Array(reply.clone().into_vec()).to_json();
                    asker.emit("ack-reply", reply);
                    json
                }
                Err(AckError::Timeout) => {
                    asker.emit("ack-error", vec!["timeout".into()]);
                    "timeout".to_string()
                }
                Err(AckError::Disconnected) => "disconnected".to_string(),
            };
            journal.write(format!("{} ack {asked}: {outcome}", name_of(&asker)));
        });
    });
    socket.on("whoami", |socket, _, ack| {
        ack.send(vec![socket.auth().clone(), socket.id().into()])
    });
    socket.on("whereami", |socket, _, ack| {
        ack.send(vec!["/".into(), socket.id().into()])
    });
    let waits = Arc::clone(journal);
    socket.on("journal-wait", move |_, args, ack| {
        let line = args.first().and_then(Value::as_str).unwrap_or_default();
        let seen = waits.wait_for(line, Duration::from_secs(5));
        let lines = waits.lines().into_iter().map(Value::from).collect();
        ack.send(vec![seen.into(), Value::Array(lines)]);
    });
}

/// The arguments as the handler got them, with each byte string shown as
/// `{"binary": <length>}`: proof that bytes arrived as bytes, not as placeholders.
fn describe(value: &Value) -> Value {
    match value {
        Value::Binary(bytes) => Value::object([("binary", bytes.len())]),
        Value::Array(items) => Value::Array(items.iter().map(describe).collect()),
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k, describe(v))).collect()),
        other => other.clone(),
    }
}

/// `join`, `leave`, `rooms`, and the broadcasts: `to-room` (`io.to(r1).to(r2)…`),
/// `socket-to-room`, `except-room`, `broadcast`, `all`. Each acks after emitting.
fn on_rooms(socket: &Socket, io: &Io) {
    socket.on("join", |socket, args, ack| {
        match socket.join(args.first().and_then(Value::as_str).unwrap_or_default()) {
            Ok(()) => ack.send(vec![sorted_rooms(socket)]),
            Err(refused) => ack.send(vec![refused.to_string().into()]),
        }
    });
    socket.on("leave", |socket, args, ack| {
        socket.leave(args.first().and_then(Value::as_str).unwrap_or_default());
        ack.send(vec![sorted_rooms(socket)]);
    });
    socket.on("rooms", |socket, _, ack| {
        ack.send(vec![sorted_rooms(socket)])
    });
    let to_io = io.clone();
    socket.on("to-room", move |_, args, ack| {
        let rooms = args
            .first()
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut rooms = rooms.iter().filter_map(Value::as_str);
        let first = to_io.to(rooms.next().unwrap_or_default());
        let target = rooms.fold(first, BroadcastOperator::to);
        target.emit("room-msg", after_first(&args));
        ack.send(vec![]);
    });
    socket.on("socket-to-room", |socket, args, ack| {
        let room = args.first().and_then(Value::as_str).unwrap_or_default();
        socket.to(room).emit("room-msg", after_first(&args));
        ack.send(vec![]);
    });
    let except_io = io.clone();
    socket.on("except-room", move |_, args, ack| {
        let room = args.first().and_then(Value::as_str).unwrap_or_default();
        except_io.except(room).emit("room-msg", after_first(&args));
        ack.send(vec![]);
    });
    socket.on("broadcast", |socket, args, ack| {
        socket.broadcast().emit("room-msg", args);
        ack.send(vec![]);
    });
    let all_io = io.clone();
    socket.on("all", move |_, args, ack| {
        all_io.emit("room-msg", args);
        ack.send(vec![]);
    });
}

/// `ask-many`: a broadcast asking every target for an ack. Its arguments: who (`room` and
/// the room's name, `others` for `socket.broadcast()`, `all` for the namespace's
/// `timeout`), the timeout in ms, the event, then the event's arguments. The asker then gets
/// `answers` with the outcome (`ok`, `timeout`, `disconnected`) and the responses, and the
/// journal `<name> broadcast ack <event>: <outcome> <count>`.
fn on_broadcast_acks(socket: &Socket, io: &Io, journal: &Arc<Journal>) {
    let (io, journal) = (io.clone(), Arc::clone(journal));
    socket.on("ask-many", move |socket, args, _| {
        let mut args = args.into_iter();
        let who = args.next().and_then(|w| w.as_str().map(String::from));
        let room = args.next().and_then(|r| r.as_str().map(String::from));
        let millis = args.next().and_then(|ms| ms.as_i64()).unwrap_or(1000);
        let event = args.next().and_then(|e| e.as_str().map(String::from));
        let event = event.unwrap_or_else(|| "poll".into());
        let timeout = Duration::from_millis(millis.max(0) as u64);
        let targets = match who.as_deref() {
            Some("room") => io.to(room.unwrap_or_default()).timeout(timeout),
            Some("others") => socket.broadcast().timeout(timeout),
            _ => io.sockets().timeout(timeout),
        };
        let (asker, journal, asked) = (socket.clone(), Arc::clone(&journal), event.clone());
        targets.emit_with_ack(&event, args.collect::<Vec<Value>>(), move |outcome| {
            let (word, responses) = match outcome {
                Ok(responses) => ("ok", responses),
                Err(BroadcastAckError::Timeout { responses }) => ("timeout", responses),
                Err(BroadcastAckError::Disconnected { responses, .. }) => {
                    ("disconnected", responses)
                }
            };
            let count = responses.len();
            let responses = Value::Array(responses.into_iter().map(Value::Array).collect());
            asker.emit("answers", vec![word.into(), responses]);
            let name = name_of(&asker);
            journal.write(format!("{name} broadcast ack {asked}: {word} {count}"));
        });
    });
}

/// The arguments after the first (the room), to pass on.
fn after_first(args: &[Value]) -> Vec<Value> {
    args.get(1..).unwrap_or_default().to_vec()
}

fn sorted_rooms(socket: &Socket) -> Value {
    Value::Array(socket.rooms().into_iter().map(Value::from).collect())
}

/// `set-data`, `get-data`, and `seen` (the events `on_any` saw, in order).
fn on_data_and_any(socket: &Socket) {
    let seen = Arc::new(Mutex::new(Vec::<Value>::new()));
    let record = Arc::clone(&seen);
    socket.on_any(move |_, event, _| record.lock().expect("seen lock").push(event.into()));
    socket.on("seen", move |_, _, ack| {
        ack.send(vec![Value::Array(seen.lock().expect("seen lock").clone())])
    });
    socket.on("set-data", |socket, args, ack| {
        socket.set_data(args.into_iter().next().unwrap_or(Value::Null));
        ack.send(vec![]);
    });
    socket.on("get-data", |socket, _, ack| ack.send(vec![socket.data()]));
}

/// `fetch` (fetch_sockets), `sockets-join`, `sockets-leave`, `disconnect-sockets`: each on
/// the sockets of a room, or of the whole namespace when the room is `null`.
fn on_server_operations(socket: &Socket, io: &Io) {
    let chosen = {
        let io = io.clone();
        move |room: Option<&Value>| -> BroadcastOperator {
            match room.and_then(Value::as_str) {
                Some(room) => io.in_(room),
                None => io.sockets().all(),
            }
        }
    };
    let choose = chosen.clone();
    socket.on("fetch", move |_, args, ack| {
        let mut found: Vec<(String, String)> = choose(args.first())
            .fetch_sockets()
            .expect("a node alone has nobody else to ask")
            .iter()
            .map(|s| (name_of_auth(&s.handshake().auth), s.id().to_string()))
            .collect();
        found.sort();
        let entries = found
            .into_iter()
            .map(|(name, id)| Value::object([("id", id), ("name", name)]))
            .collect();
        ack.send(vec![Value::Array(entries)]);
    });
    let choose = chosen.clone();
    socket.on("sockets-join", move |_, args, ack| {
        let room = args.get(1).and_then(Value::as_str).unwrap_or_default();
        choose(args.first()).sockets_join(room);
        ack.send(vec![]);
    });
    let choose = chosen.clone();
    socket.on("sockets-leave", move |_, args, ack| {
        let room = args.get(1).and_then(Value::as_str).unwrap_or_default();
        choose(args.first()).sockets_leave(room);
        ack.send(vec![]);
    });
    socket.on("disconnect-sockets", move |_, args, ack| {
        chosen(args.first()).disconnect_sockets(false);
        ack.send(vec![]);
    });
}

/// `kick-me` (`disconnect(false)`), `kick-me-hard` (`disconnect(true)`), `panic`.
fn on_disconnect_requests(socket: &Socket) {
    socket.on("kick-me", |socket, _, _| socket.disconnect(false));
    socket.on("kick-me-hard", |socket, _, _| socket.disconnect(true));
    // A listener that only panics has no return type to infer: `-> ()` gives it one.
    socket.on("panic", |_, _, _| -> () {
        panic!("the panic handler panics, as the client asked")
    });
}

/// Node's listener API: `twice` (two listeners, one ack: the first `send` wins), `once-then-on`
/// (a `once` listener before an `on`), `off` (removes a named event's listeners, acks how
/// many), `typed` (`Args::parse` and tuple acks), the middleware's `forbidden` (refused: the
/// error handler emits `refused`) and `shout` (its first argument upper-cased on the way in),
/// and `outgoing` (the events `on_any_outgoing` saw).
fn on_listeners(socket: &Socket, journal: &Arc<Journal>) {
    socket.on("twice", |_, args, ack| ack.send(("first", args.first().cloned())));
    socket.on("twice", |socket, args, ack| {
        let answered = ack.answered();
        ack.send(("second", args.first().cloned())); // too late: the client has "first"
        socket.emit("second-ran", (answered, args.first().cloned()));
    });
    socket.once("once-then-on", |_, _, ack| ack.send(("once",)));
    socket.on("once-then-on", |_, _, ack| ack.send(("on",)));
    socket.on("off", |socket, args, ack| {
        let event = args.first().and_then(Value::as_str).unwrap_or_default();
        ack.send((socket.off(event),));
    });
    socket.on("typed", |_, args, ack| -> Result<(), ArgsError> {
        let parsed = args.parse::<(String, u8, Option<String>)>();
        let (room, count, note) = match parsed {
            Ok(parsed) => parsed,
            Err(mismatch) => {
                ack.send((false, mismatch.to_string()));
                return Err(mismatch); // and the log says so
            }
        };
        ack.send((true, room, count, note));
        Ok(())
    });
    socket.use_middleware(|_, event, args| match event {
        "forbidden" => Err(EventRefusal::new("not allowed")
            .with_data(Value::object([("event", event)]))),
        "shout" => {
            if let Some(Value::String(text)) = args.first_mut() {
                *text = text.to_uppercase();
            }
            Ok(())
        }
        _ => Ok(()),
    });
    socket.on("forbidden", |_, _, ack| ack.send(("a refused event ran",)));
    socket.on("shout", |_, args, ack| ack.send(args));
    let refusals = Arc::clone(journal);
    socket.on_error(move |socket, refusal| {
        refusals.write(format!("{} refused: {refusal}", name_of(socket)));
        socket.emit("refused", (refusal.message.as_str(), refusal.data.clone()));
    });
    let sent = Arc::new(Mutex::new(Vec::<Value>::new()));
    let record = Arc::clone(&sent);
    socket.on_any_outgoing(move |_, event, _| {
        record.lock().expect("sent lock").push(event.into());
    });
    socket.on("outgoing", move |_, _, ack| {
        ack.send(vec![Value::Array(sent.lock().expect("sent lock").clone())])
    });
}

#[test]
fn events_with_every_json_kind_echo_through_the_official_client() {
    let Some(server) = Harness::start(IoConfig::default()) else {
        return;
    };
    let observed = server.run("events");
    assert_eq!(observed["welcome"], observed["id"]);
    assert_eq!(observed["echoed"][0], "hi");
    assert_eq!(
        observed["echoed"][6]["nested"]["list"][3]["deep"],
        serde_json::json!([[]])
    );
    assert_eq!(observed["echoed"][9], "üñí € 😀 \"quoted\" \\ / \n\t\u{1}");
    assert_eq!(observed["bare"], serde_json::json!([]));
    server.expect_journal("/ ada disconnect: client namespace disconnect");
}

#[test]
fn acks_go_both_ways_and_the_server_gives_up_after_its_timeout() {
    let Some(server) = Harness::start(IoConfig::default()) else {
        return;
    };
    let observed = server.run("acks");
    assert_eq!(observed["sum"], serde_json::json!([42]));
    assert_eq!(
        observed["reply"],
        serde_json::json!([42, "answer to six times seven"])
    );
    assert_eq!(observed["timeout"], serde_json::json!(["timeout"]));
    server.expect_journal(r#"acks ack question: [42,"answer to six times seven"]"#);
    server.expect_journal("acks ack question-unanswered: timeout");
}

#[test]
fn buffers_nested_in_objects_and_arrays_cross_both_ways_as_bytes() {
    let Some(server) = Harness::start(IoConfig::default()) else {
        return;
    };
    let observed = server.run("binary");
    assert_eq!(
        observed["small"],
        serde_json::json!({"buffer": "0001027f80fdfeff"})
    );
    assert_eq!(
        observed["described"][0][2][3],
        serde_json::json!({"binary": 200000})
    );
    assert_eq!(
        observed["reply"],
        serde_json::json!([{"buffer": "7265706c79"}, {"sent": {"buffer": "0001027f80fdfeff"}}])
    );
}

#[test]
fn namespaces_share_one_connection_and_an_unknown_one_is_refused() {
    let Some(server) = Harness::start(IoConfig::default()) else {
        return;
    };
    let observed = server.run("namespaces");
    assert_eq!(observed["inAdmin"][0], "/admin");
    assert_eq!(observed["invalid"], "Invalid namespace");
    server.expect_journal("/admin admin disconnect: client namespace disconnect");
    server.expect_journal("/ main disconnect: client namespace disconnect");
}

#[test]
fn rooms_to_except_broadcast_and_io_emit_reach_exactly_their_targets() {
    let Some(server) = Harness::start(IoConfig::default()) else {
        return;
    };
    let observed = server.run("rooms");
    assert_eq!(
        observed["received"]["a"],
        serde_json::json!([
            "1 io.to(red) from c",
            "5 io.emit",
            "6 io.to(red) after b left",
            "7 io.to(red).to(blue)"
        ])
    );
}

#[test]
fn broadcast_acks_gather_every_answer_or_time_out_with_those_that_came() {
    let Some(server) = Harness::start(IoConfig::default()) else {
        return;
    };
    let observed = server.run("broadcast_acks");
    assert_eq!(
        observed["room"]["responses"],
        serde_json::json!([["a", 1], ["b", 2], ["c", 3]])
    );
    assert_eq!(
        observed["quiet"],
        serde_json::json!({"outcome": "timeout", "responses": [["a"], ["b"]]})
    );
    assert!(observed["quietWaitedMs"].as_u64() >= Some(550), "{observed}");
    assert_eq!(
        observed["others"]["responses"],
        serde_json::json!([["a", 1], ["c", 3]])
    );
    assert_eq!(observed["all"]["responses"].as_array().map(Vec::len), Some(3));
    assert_eq!(
        observed["nobody"],
        serde_json::json!({"outcome": "ok", "responses": []})
    );
    server.expect_journal("a broadcast ack poll: ok 3");
    server.expect_journal("a broadcast ack poll-quiet: timeout 2");
}

#[test]
fn a_refusing_middleware_reaches_connect_error_with_message_and_data() {
    let Some(server) = Harness::start(IoConfig::default()) else {
        return;
    };
    let observed = server.run("auth");
    assert_eq!(
        observed["refusal"],
        serde_json::json!({"message": "Not authorized", "data": {"reason": "bad token"}})
    );
    assert_eq!(observed["auth"]["token"], "good");
}

#[test]
fn server_disconnect_is_io_server_disconnect_and_leaves_the_other_namespace() {
    let Some(server) = Harness::start(IoConfig::default()) else {
        return;
    };
    let observed = server.run("server_disconnect");
    assert_eq!(observed["reason"], "io server disconnect");
    assert_eq!(observed["adminAfter"], "/admin");
    server.expect_journal("/ kicked disconnect: server namespace disconnect");
    server.expect_journal("/admin stays disconnect: client namespace disconnect");
}

#[test]
fn disconnect_with_close_disconnects_every_namespace_of_the_client_first() {
    let Some(server) = Harness::start(IoConfig::default()) else {
        return;
    };
    let observed = server.run("server_close");
    assert_eq!(observed["mainReason"], "io server disconnect");
    assert_eq!(observed["adminReason"], "io server disconnect");
    server.expect_journal("/ closer disconnect: server namespace disconnect");
    server.expect_journal("/admin bystander disconnect: server namespace disconnect");
}

#[test]
fn client_disconnect_is_client_namespace_disconnect_on_the_server() {
    let Some(server) = Harness::start(IoConfig::default()) else {
        return;
    };
    let observed = server.run("client_disconnect");
    assert_eq!(observed["reason"], "io client disconnect");
    server.expect_journal("/ leaver disconnect: client namespace disconnect");
}

#[test]
fn per_socket_data_and_on_any_are_seen_by_the_client() {
    let Some(server) = Harness::start(IoConfig::default()) else {
        return;
    };
    let observed = server.run("data_any");
    assert_eq!(
        observed["data"],
        serde_json::json!({"score": 7, "tags": ["a", "b"]})
    );
    assert_eq!(observed["otherData"], serde_json::Value::Null);
    assert_eq!(
        observed["seen"],
        serde_json::json!(["set-data", "get-data", "nobody-handles-this", "seen"])
    );
}

#[test]
fn fetch_sockets_sockets_join_leave_and_disconnect_sockets_act_on_their_room() {
    let Some(server) = Harness::start(IoConfig::default()) else {
        return;
    };
    let observed = server.run("server_ops");
    assert_eq!(observed["all"].as_array().map(Vec::len), Some(3));
    assert_eq!(observed["aReason"], "io server disconnect");
    server.expect_journal("/ a disconnect: server namespace disconnect");
}

#[test]
fn a_panicking_handler_disconnects_only_its_socket() {
    let Some(server) = Harness::start(IoConfig::default()) else {
        return;
    };
    let observed = server.run("panic");
    assert_eq!(observed["reason"], "io server disconnect");
    assert_eq!(
        observed["broadcasts"],
        serde_json::json!(["after the panic"])
    );
    server.expect_journal("/ victim disconnect: server namespace disconnect");
}

#[test]
fn the_client_answers_pings_and_is_dropped_for_ping_timeout_once_it_stops() {
    let config = IoConfig {
        engine: EngineConfig {
            ping_interval: Duration::from_millis(200),
            ping_timeout: Duration::from_millis(300),
            ..EngineConfig::default()
        },
        ..IoConfig::default()
    };
    let Some(server) = Harness::start(config) else {
        return;
    };
    let observed = server.run("heartbeat");
    assert_eq!(observed["pings"], 3);
    // Three pings, each pingInterval after the previous pong: at least 600 ms.
    assert!(observed["threePingsMs"].as_u64() >= Some(550), "{observed}");
    assert_eq!(observed["reason"], "transport close");
    server.expect_journal("/ heart disconnect: ping timeout");
}

#[test]
fn handshake_data_reaches_middlewares_and_handlers() {
    let Some(server) = Harness::start(IoConfig::default()) else {
        return;
    };
    let observed = server.run("handshake");
    assert_eq!(observed["refusal"]["message"], "no x-token header");
    assert_eq!(observed["handshake"]["query"]["EIO"], "4");
    assert_eq!(observed["handshake"]["auth"]["name"], "ann");
}

#[test]
fn a_dynamic_namespace_is_made_on_connect_and_shares_the_parents_handlers() {
    let Some(server) = Harness::start(IoConfig::default()) else {
        return;
    };
    let observed = server.run("dynamic_namespaces");
    assert_eq!(observed["namespace"], "/org-42");
    assert_eq!(observed["unknown"], "Invalid namespace");
    assert_eq!(observed["blocked"], "not a member");
}

#[test]
fn several_listeners_share_one_ack_once_runs_once_and_off_removes() {
    let Some(server) = Harness::start(IoConfig::default()) else {
        return;
    };
    let observed = server.run("listeners");
    assert_eq!(observed["twice"], serde_json::json!(["first", "x"]));
    assert_eq!(observed["secondRan"], serde_json::json!([true, "x"]));
    assert_eq!(observed["onceThenOn"], serde_json::json!([["once"], ["on"]]));
    assert_eq!(observed["removed"], 2);
    assert_eq!(observed["afterOff"], "operation has timed out");
}

#[test]
fn typed_arguments_read_as_a_tuple_and_a_mismatch_names_the_argument() {
    let Some(server) = Harness::start(IoConfig::default()) else {
        return;
    };
    let observed = server.run("typed_args");
    assert_eq!(observed["full"], serde_json::json!([true, "lobby", 3, "hi"]));
    assert_eq!(observed["omitted"], serde_json::json!([true, "lobby", 3, null]));
    assert_eq!(observed["extra"], observed["full"]);
    assert_eq!(
        observed["wrong"],
        serde_json::json!([false, "argument 2: expected an integer from 0 to 255, found a string"])
    );
}

#[test]
fn a_refusing_event_middleware_drops_the_event_and_raises_the_error_handler() {
    let Some(server) = Harness::start(IoConfig::default()) else {
        return;
    };
    let observed = server.run("event_middleware");
    assert_eq!(observed["ack"], "operation has timed out");
    assert_eq!(
        observed["refused"],
        serde_json::json!(["not allowed", {"event": "forbidden"}])
    );
    assert_eq!(observed["shout"], serde_json::json!(["HI", 2]));
    server.expect_journal("guarded refused: not allowed");
}

#[test]
fn on_any_outgoing_sees_what_the_server_emits_to_the_socket() {
    let Some(server) = Harness::start(IoConfig::default()) else {
        return;
    };
    let observed = server.run("outgoing");
    assert_eq!(
        observed["outgoing"],
        serde_json::json!(["echo", "question", "ack-reply", "room-msg"])
    );
}
