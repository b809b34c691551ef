//! The cluster harness proven on Node alone: two Node nodes (socket.io 4.8 with
//! @socket.io/redis-adapter 8.3, tests/node/cluster_node.js) on one real `redis-server`, and
//! the reference emitter. Every cluster-wide operation is made on one node and observed on the
//! other, through a client of ours (tests/cluster/sio_client.rs), the node's own answers, and
//! a wiretap on Redis that checks what crossed it. These are the shapes the tests of a
//! threadio node will take, with threadio in place of one Node node; and the wiretap's
//! assertions pin the channels and bodies a threadio adapter must publish and read.
//!
//! What the assertions pin, message by message (`key` is `socket.io`; see
//! `../shared/docs/redis-adapter.md`):
//! - broadcast: `socket.io#/#r#` for one room, `socket.io#/#` otherwise; MessagePack
//!   `[uid, {type: 2, data: [event, …args], nsp}, {rooms, except, flags}]`;
//! - requests on `socket.io-request#<nsp>#`, JSON but for type 7; responses on
//!   `socket.io-response#<nsp>#`, JSON but for type 9.
//!
//! `cargo test --test redis_cluster_node -- --nocapture` prints each test's wire: the channel,
//! then the JSON, or the MessagePack's hex and what it decodes to.
//!
//! Needs node, `npm ci --prefix tests/node` and redis-server; without them each test prints
//! `skipped: …`, or fails under `THREADIO_REQUIRE_PEERS=1` (CI).

mod cluster;
mod common;

use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use cluster::node_node::{ClusterOptions, NodeNode, NodePeer};
use cluster::redis_server::RedisServer;
use cluster::sio_client::{binary, SioClient};
use cluster::wiretap::{Tapped, Wiretap};
use common::wait_until;
use serde_json::{json, Value};
use threadio::redis::{RedisClient, RedisConfig};

/// How long a test waits for something that happens across Redis.
const WAIT: Duration = Duration::from_secs(10);

/// One cluster at a time: two Node processes per test is already a lot for two cores.
static ONE_CLUSTER: Mutex<()> = Mutex::new(());

/// Redis, two Node nodes on it, and a wiretap.
struct Cluster {
    peer: NodePeer,
    a: NodeNode,
    b: NodeNode,
    tap: Wiretap,
    redis: RedisServer,
    _one_at_a_time: MutexGuard<'static, ()>,
}

impl Cluster {
    /// The cluster, or `None` if a peer is missing (`skipped: …` was printed).
    fn start() -> Option<Cluster> {
        let one_at_a_time = ONE_CLUSTER.lock().unwrap_or_else(|e| e.into_inner());
        let redis = RedisServer::start(&[])?;
        let peer = NodePeer::find()?;
        let url = redis.url_text("", 0);
        let options = ClusterOptions {
            requests_timeout: Duration::from_secs(2),
            ..ClusterOptions::default()
        };
        let a = peer.start_node(&url, &options);
        let b = peer.start_node(&url, &options);
        let tap = Wiretap::start(&redis);
        Some(Cluster {
            peer,
            a,
            b,
            tap,
            redis,
            _one_at_a_time: one_at_a_time,
        })
    }

    /// Runs the emitter script with `command`.
    fn emitter(&self, command: Value) {
        self.peer.emitter(&self.redis.url_text("", 0), &command);
    }

    /// The `count` messages that crossed Redis (waiting for them at most [`WAIT`]: the tap
    /// may hear the last one after the node it was for), printed for `--nocapture`, then
    /// forgotten.
    fn wire(&self, what: &str, count: usize) -> Vec<Tapped> {
        let heard = self.tap.wait_for_count(count, WAIT);
        println!("--- wire: {what}");
        for message in &heard {
            println!("{}", message.describe());
        }
        self.tap.clear();
        assert_eq!(heard.len(), count, "{what}: {heard:?}");
        heard
    }
}

/// Asserts that `node` answered `ok: true`, and returns the answer.
fn ok(answer: Value) -> Value {
    assert_eq!(answer["ok"], true, "{answer}");
    answer
}

/// The messages heard on `channel`, their bodies decoded.
fn bodies_on(heard: &[Tapped], channel: &str) -> Vec<Value> {
    heard
        .iter()
        .filter(|m| m.channel == channel)
        .map(Tapped::body)
        .collect()
}

/// `body` with its random request id replaced by `"<requestId>"`, for exact comparisons.
fn masked(mut body: Value) -> Value {
    if body["requestId"].is_string() {
        body["requestId"] = "<requestId>".into();
    }
    body
}

/// Sends a final `marker` to every client of `nsp` from `node`, and asserts it is the next
/// event `client` gets: whatever was sent to it before has arrived, and nothing else has.
fn nothing_else_for(client: &mut SioClient, node: &NodeNode, nsp: &str) {
    ok(node.request(json!({"op": "emit", "nsp": nsp, "event": "marker"})));
    client.expect_event("marker");
}

#[test]
fn a_room_emit_on_b_reaches_a_client_of_a_in_that_room_and_no_one_else() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let mut member = SioClient::connect(&cluster.a.url(), "/", json!({"rooms": ["r"]}));
    let mut outsider = SioClient::connect(&cluster.a.url(), "/", Value::Null);
    let args = json!(["text", 7, {"nested": binary(&[0, 1, 255])}]);
    ok(cluster
        .b
        .request(json!({"op": "emit", "nsp": "/", "rooms": ["r"], "event": "news", "args": args})));

    let event = member.expect_event("news");
    assert_eq!(Value::Array(event.args), args);
    nothing_else_for(&mut outsider, &cluster.b, "/");

    let heard = cluster.wire("emit to room r from B", 2);
    let uid = cluster.b.uid("/");
    assert_eq!(
        bodies_on(&heard, "socket.io#/#r#"),
        vec![json!([
            uid,
            {"type": 2, "data": ["news", "text", 7, {"nested": binary(&[0, 1, 255])}], "nsp": "/"},
            {"rooms": ["r"], "except": [], "flags": {}}
        ])]
    );
    // Not a single-room emit: the namespace's channel, with every room and exception listed.
    assert_eq!(
        bodies_on(&heard, "socket.io#/#"),
        vec![
            json!([uid, {"type": 2, "data": ["marker"], "nsp": "/"}, {"rooms": [], "except": [], "flags": {}}])
        ]
    );
}

#[test]
fn an_emit_with_except_and_two_rooms_skips_the_excepted_on_the_other_node() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let mut red = SioClient::connect(&cluster.a.url(), "/chat", json!({"rooms": ["red"]}));
    let mut both = SioClient::connect(
        &cluster.a.url(),
        "/chat",
        json!({"rooms": ["red", "blue", "muted"]}),
    );
    let command = json!({"op": "emit", "nsp": "/chat", "rooms": ["red", "blue"],
                         "except": ["muted"], "event": "hi", "args": [1]});
    ok(cluster.b.request(command));
    assert_eq!(red.expect_event("hi").args, vec![json!(1)]);
    nothing_else_for(&mut both, &cluster.b, "/chat");

    let heard = cluster.wire(
        "emit to rooms red and blue except muted, in /chat, from B",
        2,
    );
    let uid = cluster.b.uid("/chat");
    assert_eq!(
        bodies_on(&heard, "socket.io#/chat#")[0],
        json!([uid, {"type": 2, "data": ["hi", 1], "nsp": "/chat"},
               {"rooms": ["red", "blue"], "except": ["muted"], "flags": {}}])
    );
}

#[test]
fn fetch_sockets_on_b_sees_a_client_of_a_with_its_handshake_rooms_and_data() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let auth = json!({"nick": "ann", "rooms": ["r"]});
    let client = SioClient::connect(&cluster.a.url(), "/chat", auth.clone());
    let _elsewhere = SioClient::connect(&cluster.b.url(), "/chat", json!({"nick": "bob"}));
    let answer = ok(cluster
        .b
        .request(json!({"op": "fetchSockets", "nsp": "/chat", "rooms": ["r"]})));

    let sockets = answer["sockets"].as_array().expect("sockets");
    assert_eq!(sockets.len(), 1, "{answer}");
    let socket = &sockets[0];
    assert_eq!(socket["id"], client.id());
    assert_eq!(socket["local"], false);
    assert_eq!(socket["data"], json!({"node": "node", "nick": "ann"}));
    let mut rooms = vec![client.id().to_string(), "r".into()];
    rooms.sort();
    assert_eq!(socket["rooms"], json!(rooms));
    let handshake = &socket["handshake"];
    assert_eq!(handshake["auth"], auth);
    assert_eq!(handshake["query"]["EIO"], "4");
    assert_eq!(handshake["query"]["transport"], "websocket");
    assert_eq!(handshake["url"], "/socket.io/?EIO=4&transport=websocket");
    assert!(
        handshake["address"].is_string() && handshake["issued"].is_u64(),
        "{handshake}"
    );

    let heard = cluster.wire("fetchSockets in /chat, rooms [r], from B", 2);
    let requests = bodies_on(&heard, "socket.io-request#/chat#");
    assert_eq!(
        masked(requests[0].clone()),
        json!({"uid": cluster.b.uid("/chat"), "requestId": "<requestId>", "type": 5,
               "opts": {"rooms": ["r"], "except": []}})
    );
    let responses = bodies_on(&heard, "socket.io-response#/chat#");
    assert_eq!(
        responses.len(),
        1,
        "only A answers: B knows its own request"
    );
    assert_eq!(responses[0]["requestId"], requests[0]["requestId"]);
    assert_eq!(responses[0]["sockets"][0]["handshake"], *handshake);
}

#[test]
fn all_rooms_and_server_count_span_both_nodes() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let on_a = SioClient::connect(&cluster.a.url(), "/", json!({"rooms": ["ra"]}));
    let on_b = SioClient::connect(&cluster.b.url(), "/", json!({"rooms": ["rb"]}));
    for node in [&cluster.a, &cluster.b] {
        for nsp in ["/", "/chat"] {
            let answer = ok(node.request(json!({"op": "serverCount", "nsp": nsp})));
            assert_eq!(answer["count"], 2, "{nsp}: {answer}");
        }
    }
    let answer = ok(cluster.b.request(json!({"op": "allRooms", "nsp": "/"})));
    let mut rooms = vec!["ra", "rb", on_a.id(), on_b.id()];
    rooms.sort();
    assert_eq!(answer["rooms"], json!(rooms));

    let heard = cluster.wire("allRooms in / from B", 2);
    let requests = bodies_on(&heard, "socket.io-request#/#");
    assert_eq!(
        masked(requests[0].clone()),
        json!({"uid": cluster.b.uid("/"), "requestId": "<requestId>", "type": 1})
    );
    let responses = bodies_on(&heard, "socket.io-response#/#");
    let mut a_rooms = vec!["ra", on_a.id()];
    a_rooms.sort();
    let mut answered = responses[0]["rooms"].as_array().expect("rooms").clone();
    answered.sort_by_key(|room| room.as_str().unwrap_or_default().to_string());
    assert_eq!(answered, a_rooms);
}

#[test]
fn server_side_emit_from_a_reaches_b_with_and_without_ack() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    ok(cluster.a.request(
        json!({"op": "serverSideEmit", "nsp": "/", "event": "hello", "args": [1, "two"]}),
    ));
    let answer = ok(cluster
        .a
        .request(json!({"op": "serverSideEmit", "nsp": "/", "event": "ping-node", "ack": true})));
    assert_eq!(answer["responses"], json!([{"from": "node"}]));
    let seen = ok(cluster.b.request(json!({"op": "serverSideSeen"})));
    assert_eq!(
        seen["events"],
        json!([{"nsp": "/", "event": "hello", "args": [1, "two"], "ack": false},
               {"nsp": "/", "event": "ping-node", "args": [], "ack": true}])
    );
    // An event nobody answers: the asker gives up after requestsTimeout (2 s here).
    let answer = cluster
        .a
        .request(json!({"op": "serverSideEmit", "nsp": "/", "event": "unanswered", "ack": true}));
    assert_eq!(
        answer,
        json!({"ok": false, "error": "timeout reached: only 0 responses received out of 1",
               "responses": []})
    );

    let heard = cluster.wire("serverSideEmit from A, without and with ack", 4);
    let uid = cluster.a.uid("/");
    let requests = bodies_on(&heard, "socket.io-request#/#");
    assert_eq!(
        requests[0],
        json!({"uid": uid, "type": 6, "data": ["hello", 1, "two"]})
    );
    assert_eq!(
        masked(requests[1].clone()),
        json!({"uid": uid, "requestId": "<requestId>", "type": 6, "data": ["ping-node"]})
    );
    let responses = bodies_on(&heard, "socket.io-response#/#");
    assert_eq!(
        masked(responses[0].clone()),
        json!({"type": 6, "requestId": "<requestId>", "data": {"from": "node"}})
    );
}

#[test]
fn emit_with_ack_gathers_the_answers_of_clients_on_both_nodes() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let mut on_a = SioClient::connect(&cluster.a.url(), "/", json!({"rooms": ["r"]}));
    let mut on_b = SioClient::connect(&cluster.b.url(), "/", json!({"rooms": ["r"]}));
    let id = cluster
        .b
        .send(json!({"op": "emitWithAck", "nsp": "/", "rooms": ["r"],
                                   "event": "question", "args": [binary(b"?")], "timeout": 5000}));
    for (client, answer) in [(&mut on_a, json!("from a")), (&mut on_b, binary(b"from b"))] {
        let event = client.expect_event("question");
        assert_eq!(event.args, vec![binary(b"?")]);
        client.ack(event.ack.expect("an ack id"), vec![answer]);
    }
    let answer = ok(cluster.b.answer(id));
    let mut responses = answer["responses"].as_array().expect("responses").clone();
    responses.sort_by_key(Value::to_string);
    assert_eq!(responses, vec![json!("from a"), binary(b"from b")]);

    let heard = cluster.wire("emitWithAck to room r from B, one client on each node", 3);
    let requests = bodies_on(&heard, "socket.io-request#/#");
    assert!(!heard
        .iter()
        .any(|m| m.channel == "socket.io-request#/#" && m.is_json()));
    assert_eq!(
        masked(requests[0].clone()),
        json!({"uid": cluster.b.uid("/"), "requestId": "<requestId>", "type": 7,
               "packet": {"type": 2, "data": ["question", binary(b"?")], "nsp": "/"},
               "opts": {"rooms": ["r"], "except": [], "flags": {"timeout": 5000}}})
    );
    let responses: Vec<Value> = bodies_on(&heard, "socket.io-response#/#")
        .into_iter()
        .map(masked)
        .collect();
    assert_eq!(
        responses,
        vec![
            json!({"type": 8, "requestId": "<requestId>", "clientCount": 1}),
            json!({"type": 9, "requestId": "<requestId>", "packet": "from a"})
        ]
    );
}

#[test]
fn emit_with_ack_times_out_with_the_answers_it_has() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let mut answers = SioClient::connect(&cluster.a.url(), "/", Value::Null);
    let mut silent = SioClient::connect(&cluster.a.url(), "/", Value::Null);
    let id = cluster
        .b
        .send(json!({"op": "emitWithAck", "nsp": "/", "event": "q", "timeout": 500}));
    let event = answers.expect_event("q");
    answers.ack(event.ack.expect("an ack id"), vec![json!(42)]);
    assert!(silent.expect_event("q").ack.is_some());
    assert_eq!(
        cluster.b.answer(id),
        json!({"ok": false, "error": "operation has timed out", "responses": [42]})
    );
}

#[test]
fn sockets_join_leave_and_disconnect_from_b_act_on_a_client_of_a() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let mut client = SioClient::connect(&cluster.a.url(), "/", json!({"rooms": ["r"]}));
    let rooms_of_client = |cluster: &Cluster| -> Value {
        let answer = ok(cluster
            .a
            .request(json!({"op": "fetchSockets", "nsp": "/", "local": true})));
        answer["sockets"][0]["rooms"].clone()
    };
    let with = |extra: &[&str]| {
        let mut rooms: Vec<String> = extra.iter().map(|r| r.to_string()).collect();
        rooms.push(client.id().to_string());
        rooms.sort();
        json!(rooms)
    };

    ok(cluster
        .b
        .request(json!({"op": "socketsJoin", "nsp": "/", "rooms": ["r"], "room": ["j1", "j2"]})));
    let joined = with(&["r", "j1", "j2"]);
    assert!(
        wait_until(WAIT, || rooms_of_client(&cluster) == joined),
        "socketsJoin never arrived"
    );
    ok(cluster
        .b
        .request(json!({"op": "socketsLeave", "nsp": "/", "except": ["nobody"], "room": "j1"})));
    let left = with(&["r", "j2"]);
    assert!(
        wait_until(WAIT, || rooms_of_client(&cluster) == left),
        "socketsLeave never arrived"
    );
    ok(cluster
        .b
        .request(json!({"op": "disconnectSockets", "nsp": "/", "rooms": ["j2"], "close": false})));
    assert!(
        client.wait_disconnect(WAIT),
        "disconnectSockets never arrived"
    );

    let heard = cluster.wire("socketsJoin, socketsLeave, disconnectSockets from B", 3);
    let uid = cluster.b.uid("/");
    assert_eq!(
        bodies_on(&heard, "socket.io-request#/#"),
        vec![
            json!({"uid": uid, "type": 2, "opts": {"rooms": ["r"], "except": []}, "rooms": ["j1", "j2"]}),
            json!({"uid": uid, "type": 3, "opts": {"rooms": [], "except": ["nobody"]}, "rooms": ["j1"]}),
            json!({"uid": uid, "type": 4, "opts": {"rooms": ["j2"], "except": []}, "close": false}),
        ]
    );
    assert!(
        bodies_on(&heard, "socket.io-response#/#").is_empty(),
        "these have no answer"
    );
}

#[test]
fn requests_node_never_sends_are_still_answered_type_0_and_the_sid_forms() {
    // @socket.io/redis-adapter 8.3 sends neither SOCKETS (0) nor the forms of 2, 3 and 4 that
    // name one socket by its sid, but it answers them; a threadio node must answer them the
    // same way. We publish them by hand as an older node would.
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let mut client = SioClient::connect(&cluster.a.url(), "/", json!({"rooms": ["r"]}));
    let id = client.id().to_string();
    let publisher = RedisClient::connect(&cluster.redis.url("", 0), RedisConfig::default())
        .expect("connect to Redis");
    let ask = |request: Value, answers: usize| -> Vec<Value> {
        cluster.tap.clear();
        publisher
            .publish(b"socket.io-request#/#", request.to_string().as_bytes())
            .expect("PUBLISH");
        let heard = cluster.tap.wait_for_count(1 + answers, WAIT);
        println!("--- wire: a hand-written request and its answers");
        heard.iter().for_each(|m| println!("{}", m.describe()));
        bodies_on(&heard, "socket.io-response#/#")
    };

    let answers = ask(
        json!({"uid": "rust01", "requestId": "req-0", "type": 0, "rooms": ["r"]}),
        2,
    );
    assert!(
        answers.contains(&json!({"requestId": "req-0", "sockets": [id]})),
        "{answers:?}"
    );
    assert!(
        answers.contains(&json!({"requestId": "req-0", "sockets": []})),
        "{answers:?}"
    );

    let join = json!({"uid": "rust01", "requestId": "req-2", "type": 2, "sid": id, "room": "x"});
    assert_eq!(ask(join, 1), vec![json!({"requestId": "req-2"})]);
    let leave = json!({"uid": "rust01", "requestId": "req-3", "type": 3, "sid": id, "room": "r"});
    assert_eq!(ask(leave, 1), vec![json!({"requestId": "req-3"})]);
    let answer = ok(cluster
        .a
        .request(json!({"op": "fetchSockets", "nsp": "/", "local": true})));
    let mut rooms = vec![id.clone(), "x".into()];
    rooms.sort();
    assert_eq!(answer["sockets"][0]["rooms"], json!(rooms));

    let kick = json!({"uid": "rust01", "requestId": "req-4", "type": 4, "sid": id, "close": false});
    assert_eq!(ask(kick, 1), vec![json!({"requestId": "req-4"})]);
    assert!(client.wait_disconnect(WAIT));
}

#[test]
fn the_emitter_reaches_a_client_in_a_room_and_every_server() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let mut member = SioClient::connect(&cluster.a.url(), "/chat", json!({"rooms": ["r"]}));
    let mut outsider = SioClient::connect(&cluster.b.url(), "/chat", Value::Null);
    cluster.emitter(
        json!({"op": "emit", "nsp": "/chat", "rooms": ["r"], "event": "from-emitter",
                           "args": ["x", binary(&[1, 2])]}),
    );
    assert_eq!(
        member.expect_event("from-emitter").args,
        vec![json!("x"), binary(&[1, 2])]
    );
    nothing_else_for(&mut outsider, &cluster.b, "/chat");
    cluster.emitter(json!({"op": "serverSideEmit", "nsp": "/chat", "event": "tick", "args": [3]}));
    let tick = json!([{"nsp": "/chat", "event": "tick", "args": [3], "ack": false}]);
    for node in [&cluster.a, &cluster.b] {
        let seen = || ok(node.request(json!({"op": "serverSideSeen"})))["events"] == tick;
        assert!(
            wait_until(WAIT, seen),
            "the emitter's serverSideEmit never arrived"
        );
    }
    cluster.emitter(json!({"op": "socketsJoin", "nsp": "/chat", "rooms": ["r"], "room": "vip"}));
    cluster.emitter(
        json!({"op": "disconnectSockets", "nsp": "/chat", "rooms": ["vip"], "close": true}),
    );
    assert!(
        member.wait_disconnect(WAIT),
        "the emitter's disconnectSockets never arrived"
    );

    let heard = cluster.wire(
        "the emitter: emit to r, serverSideEmit, socketsJoin, disconnectSockets",
        5,
    );
    assert_eq!(
        bodies_on(&heard, "socket.io#/chat#r#"),
        vec![
            json!(["emitter", {"type": 2, "data": ["from-emitter", "x", binary(&[1, 2])], "nsp": "/chat"},
                    {"rooms": ["r"], "flags": {}, "except": []}])
        ]
    );
    assert_eq!(
        bodies_on(&heard, "socket.io-request#/chat#"),
        vec![
            json!({"uid": "emitter", "type": 6, "data": ["tick", 3]}),
            json!({"type": 2, "opts": {"rooms": ["r"], "except": []}, "rooms": ["vip"]}),
            json!({"type": 4, "opts": {"rooms": ["vip"], "except": []}, "close": true}),
        ]
    );
}
