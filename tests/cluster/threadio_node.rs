//! A threadio node of a Socket.IO cluster, in the test's process: an [`Io`] with a
//! [`RedisAdapter`], set up as tests/node/cluster_node.js sets up a Node node and driven by
//! the same JSON commands ([`ClusterMember`]), so that a test can put it beside Node nodes
//! and make every operation on either side.
//!
//! Set up like cluster_node.js: namespaces "/" and "/chat"; each socket joins the rooms of
//! `auth.rooms` and gets `data = {node: "threadio", nick: auth.nick}`; every server-side event
//! from another node is recorded (`serverSideSeen`), `ping-node` is answered with
//! `{from: "threadio"}` and `ping-empty` with an ack of no argument. What a command gives
//! and takes is JSON as the harness writes it (bytes as `{"$binary": hex}`), converted to and
//! from threadio's [`Value`] here.
//!
//! Each command runs on a thread of its own, as cluster_node.js runs them concurrently: an
//! `emitWithAck` waits for clients while the test answers them, and a `fetchSockets` blocks
//! until the other nodes answer.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value as Json};
use threadio::http::{Router, RunningServer};
use threadio::json::{Map, Number, Value};
use threadio::redis::{Backoff, RedisUrl};
use threadio::redis_adapter::{RedisAdapter, RedisAdapterConfig};
use threadio::socketio::{BroadcastAckResult, BroadcastOperator, Io, Namespace, RemoteSocket};

use super::member::ClusterMember;
use super::node_node::{ClusterOptions, REQUEST_TIMEOUT};
use super::sio_client::{binary, from_hex, SioClient};
use crate::common::{start, wait_until};

/// The namespaces every node of the harness serves, as cluster_node.js's `NAMESPACES`.
pub const NAMESPACES: [&str; 2] = ["/", "/chat"];

/// A running threadio node. Dropping it closes its clients and leaves the cluster.
pub struct ThreadioNode {
    pub io: Io,
    pub adapter: RedisAdapter,
    server: RunningServer,
    commands: Commands,
    answers: Arc<(Mutex<HashMap<u64, Json>>, Condvar)>,
    next_id: AtomicU64,
}

/// What a command runs against; cloned into each command's thread.
#[derive(Clone)]
struct Commands {
    io: Io,
    /// Every server-side event received, as cluster_node.js's `serverSideSeen`.
    seen: Arc<Mutex<Vec<Json>>>,
    /// The adapter's `requestsTimeout`: also how long a server-side emit waits for acks, as
    /// the Node adapter waits.
    requests_timeout: Duration,
}

impl ThreadioNode {
    /// Starts a node on a free port of 127.0.0.1, on the Redis at `url`, with the cluster's
    /// `options`. Its adapter subscribes in the background: wait for the cluster to form
    /// (every member counted on every request channel) before relying on it.
    pub fn start(url: &RedisUrl, options: &ClusterOptions) -> ThreadioNode {
        let config = RedisAdapterConfig {
            key: options.key.clone(),
            requests_timeout: options.requests_timeout,
            reconnect: Backoff {
                initial: Duration::from_millis(50),
                max: Duration::from_millis(400),
            },
            ..RedisAdapterConfig::default()
        };
        let io = Io::new();
        let adapter = RedisAdapter::new(url, config).expect("the adapter starts");
        io.set_adapter(adapter.clone());
        let seen = Arc::new(Mutex::new(Vec::new()));
        for name in NAMESPACES {
            set_up_namespace(&io.of(name), &seen);
        }
        let mut router = Router::new();
        io.attach(&mut router);
        let server = start(router);
        ThreadioNode {
            commands: Commands {
                io: io.clone(),
                seen,
                requests_timeout: options.requests_timeout,
            },
            io,
            adapter,
            server,
            answers: Arc::default(),
            next_id: AtomicU64::new(1),
        }
    }

    /// Where its clients connect: `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.server.addr())
    }
}

impl ClusterMember for ThreadioNode {
    fn kind(&self) -> &'static str {
        "threadio"
    }

    fn uid(&self, _nsp: &str) -> &str {
        self.adapter.uid()
    }

    fn connect_with(
        &self,
        nsp: &str,
        auth: Json,
        query: &str,
        headers: &[(&str, &str)],
    ) -> SioClient {
        let client = SioClient::connect_with(&self.url(), nsp, auth, query, headers);
        // Our server answers the CONNECT before it runs the connection handler, which sets
        // `data` last: wait for that, so the socket's rooms are in place too.
        let namespace = self.io.of(nsp);
        let handled = wait_until(REQUEST_TIMEOUT, || {
            namespace
                .socket(client.id())
                .is_some_and(|socket| !socket.data().is_null())
        });
        assert!(handled, "the connection handler did not run for {nsp}");
        client
    }

    fn send(&self, command: Json) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let commands = self.commands.clone();
        let answers = Arc::clone(&self.answers);
        std::thread::spawn(move || {
            let answer = commands.answer(&command);
            let (by_id, arrived) = &*answers;
            by_id.lock().expect("answers lock").insert(id, answer);
            arrived.notify_all();
        });
        id
    }

    fn answer(&self, id: u64) -> Json {
        let deadline = Instant::now() + REQUEST_TIMEOUT;
        let (by_id, arrived) = &*self.answers;
        let mut by_id = by_id.lock().expect("answers lock");
        loop {
            if let Some(answer) = by_id.remove(&id) {
                return answer;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "no answer to #{id} from the threadio node");
            by_id = arrived.wait_timeout(by_id, left).expect("answers lock").0;
        }
    }
}

impl Drop for ThreadioNode {
    fn drop(&mut self) {
        self.io.close();
    }
}

/// The handlers cluster_node.js's `setUpNamespace` installs, in threadio's API.
fn set_up_namespace(namespace: &Namespace, seen: &Arc<Mutex<Vec<Json>>>) {
    namespace.on_connection(|socket| {
        let auth = socket.auth();
        let rooms = auth.get("rooms").and_then(Value::as_array);
        for room in rooms.into_iter().flatten().filter_map(Value::as_str) {
            socket.join(room).expect("a room from auth.rooms");
        }
        // Node's `JSON.stringify` drops an undefined `nick`: leave it out when absent.
        let mut data = Map::new();
        data.insert("node", "threadio");
        if let Some(nick) = auth.get("nick") {
            data.insert("nick", nick.clone());
        }
        socket.set_data(Value::Object(data));
    });
    let name = namespace.name().to_string();
    let seen = Arc::clone(seen);
    namespace.on_server_side_emit(move |event, args, ack| {
        let args: Vec<Json> = args.into_vec().iter().map(to_json).collect();
        let record = json!({"nsp": name, "event": event, "args": args, "ack": ack.requested()});
        seen.lock().expect("seen lock").push(record);
        match event {
            "ping-node" => ack.send((Value::object([("from", "threadio")]),)),
            "ping-empty" => ack.send(()),
            _ => {}
        }
    });
}

impl Commands {
    /// Runs `command` and gives the line cluster_node.js would print for it, without its id.
    fn answer(&self, command: &Json) -> Json {
        match catch_unwind(AssertUnwindSafe(|| self.run(command))) {
            Ok(Ok(fields)) => {
                let mut answer = json!({"ok": true});
                for (key, value) in fields.as_object().into_iter().flatten() {
                    answer[key] = value.clone();
                }
                answer
            }
            Ok(Err(error)) => json!({"ok": false, "error": error}),
            Err(_) => json!({"ok": false, "error": format!("{command} panicked")}),
        }
    }

    /// One command; the fields of its answer (an `"ok": false` among them when the
    /// operation failed but still has something to show), or why it could not run.
    fn run(&self, command: &Json) -> Result<Json, String> {
        let namespace = self.io.of(command["nsp"].as_str().unwrap_or("/"));
        let event = command["event"].as_str().unwrap_or_default();
        let args = || -> Vec<Value> {
            let args = command["args"].as_array().into_iter().flatten();
            args.map(to_value).collect()
        };
        match command["op"].as_str().unwrap_or_default() {
            "emit" => {
                operator(&namespace, command).emit(event, args());
                Ok(json!({}))
            }
            "emitWithAck" => {
                let timeout = Duration::from_millis(command["timeout"].as_u64().unwrap_or(2000));
                let (tx, rx) = mpsc::channel();
                operator(&namespace, command)
                    .timeout(timeout)
                    .emit_with_ack(event, args(), move |r| {
                        let _ = tx.send(r);
                    });
                Ok(ack_answer(rx.recv_timeout(REQUEST_TIMEOUT)))
            }
            "fetchSockets" => Ok(fetch_answer(operator(&namespace, command))),
            "socketsJoin" => {
                let chosen = operator(&namespace, command);
                for room in rooms_named(&command["room"]) {
                    chosen.sockets_join(&room);
                }
                Ok(json!({}))
            }
            "socketsLeave" => {
                let chosen = operator(&namespace, command);
                for room in rooms_named(&command["room"]) {
                    chosen.sockets_leave(&room);
                }
                Ok(json!({}))
            }
            "disconnectSockets" => {
                let close = command["close"].as_bool().unwrap_or(false);
                operator(&namespace, command).disconnect_sockets(close);
                Ok(json!({}))
            }
            "serverSideEmit" if command["ack"] == true => {
                let (tx, rx) = mpsc::channel();
                namespace.server_side_emit_with_ack(event, args(), self.requests_timeout, {
                    move |r| {
                        let _ = tx.send(r);
                    }
                });
                Ok(ack_answer(rx.recv_timeout(REQUEST_TIMEOUT)))
            }
            "serverSideEmit" => {
                namespace.server_side_emit(event, args());
                Ok(json!({}))
            }
            "allRooms" => match namespace.all_rooms() {
                Ok(rooms) => Ok(json!({"rooms": rooms})),
                Err(error) => Ok(json!({"ok": false, "error": error.to_string(),
                                        "rooms": error.partial()})),
            },
            "serverCount" => match namespace.adapter().server_count() {
                Ok(count) => Ok(json!({"count": count})),
                Err(error) => Err(error.to_string()),
            },
            "serverSideSeen" => Ok(json!({"events": *self.seen.lock().expect("seen lock")})),
            other => Err(format!("unknown op {other:?}")),
        }
    }
}

/// The broadcast operator a command describes, as cluster_node.js's `operator` (threadio
/// has no `compress`: the field is ignored).
fn operator(namespace: &Namespace, command: &Json) -> BroadcastOperator {
    let mut chosen = namespace.all();
    for room in rooms_named(&command["rooms"]) {
        chosen = chosen.to(room);
    }
    for room in rooms_named(&command["except"]) {
        chosen = chosen.except(room);
    }
    if command["local"] == true {
        chosen = chosen.local();
    }
    if command["volatile"] == true {
        chosen = chosen.volatile();
    }
    chosen
}

/// A room name or an array of them (`room` of socketsJoin), or nothing.
fn rooms_named(field: &Json) -> Vec<String> {
    match field {
        Json::String(room) => vec![room.clone()],
        Json::Array(rooms) => rooms
            .iter()
            .filter_map(|room| room.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

/// `{responses}`, or `{ok: false, error, responses}`, each response its first argument
/// (the Node adapter relays one argument per client or node).
fn ack_answer(result: Result<BroadcastAckResult, mpsc::RecvTimeoutError>) -> Json {
    let firsts = |responses: &[Vec<Value>]| -> Vec<Json> {
        responses
            .iter()
            .map(|args| args.first().map_or(Json::Null, to_json))
            .collect()
    };
    match result {
        Ok(Ok(responses)) => json!({"responses": firsts(&responses)}),
        Ok(Err(error)) => json!({"ok": false, "error": error.to_string(),
                                  "responses": firsts(error.responses())}),
        Err(_) => json!({"ok": false, "error": "the callback never ran", "responses": []}),
    }
}

/// `{sockets: [{id, handshake, rooms, data, local}]}`, as cluster_node.js describes them.
fn fetch_answer(chosen: BroadcastOperator) -> Json {
    let describe = |sockets: &[RemoteSocket]| -> Vec<Json> {
        sockets
            .iter()
            .map(|socket| {
                json!({"id": socket.id(), "handshake": to_json(&socket.handshake().to_value()),
                       "rooms": socket.rooms(), "data": to_json(socket.data()),
                       "local": socket.local().is_some()})
            })
            .collect()
    };
    match chosen.fetch_sockets() {
        Ok(sockets) => json!({"sockets": describe(&sockets)}),
        Err(error) => json!({"ok": false, "error": error.to_string(),
                              "sockets": describe(error.partial())}),
    }
}

/// Harness JSON as threadio's [`Value`]: `{"$binary": hex}` becomes bytes.
pub fn to_value(json: &Json) -> Value {
    match json {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(int), _) => Value::from(int),
            (None, Some(float)) => Value::from(float),
            (None, None) => Value::Null,
        },
        Json::String(s) => Value::from(s.as_str()),
        Json::Array(items) => Value::Array(items.iter().map(to_value).collect()),
        Json::Object(fields) => match fields.get("$binary").and_then(Json::as_str) {
            Some(hex) if fields.len() == 1 => Value::binary(from_hex(hex)),
            _ => Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| (k.clone(), to_value(v)))
                    .collect(),
            ),
        },
    }
}

/// Threadio's [`Value`] as harness JSON: bytes become `{"$binary": hex}`.
pub fn to_json(value: &Value) -> Json {
    match value {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Number(n) => number_to_json(*n),
        Value::String(s) => Json::String(s.clone()),
        Value::Array(items) => Json::Array(items.iter().map(to_json).collect()),
        Value::Object(fields) => Json::Object(
            fields
                .iter()
                .map(|(k, v)| (k.to_string(), to_json(v)))
                .collect(),
        ),
        Value::Binary(bytes) => binary(bytes),
    }
}

fn number_to_json(n: Number) -> Json {
    match n.as_i64() {
        Some(int) => Json::from(int),
        None => serde_json::Number::from_f64(n.as_f64()).map_or(Json::Null, Json::Number),
    }
}
