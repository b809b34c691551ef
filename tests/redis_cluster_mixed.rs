//! The mixed cluster: one threadio node (in this process, `Io` with `RedisAdapter`,
//! tests/cluster/threadio_node.rs) and one Node node (socket.io 4.8 with
//! @socket.io/redis-adapter 8.3, tests/node/cluster_node.js) on one real `redis-server`, with
//! clients of ours on each (tests/cluster/mixed.rs). Every cluster-wide operation is made on
//! one member and observed on the other — in both directions, one test each, from one body
//! taking the [`Side`] that makes it — through the clients, the members' own answers, and
//! what their handlers recorded. The emitter (@socket.io/redis-emitter 5.1) is the third
//! party: it must reach threadio's clients, rooms and handlers as it reaches Node's.
//!
//! What each member publishes, byte for byte, is compared in tests/redis_cluster_mixed_wire.rs.
//!
//! Needs node, `npm ci --prefix tests/node` and redis-server; without them each test prints
//! `skipped: …`, or fails under `THREADIO_REQUIRE_PEERS=1` (CI).

mod cluster;
mod common;

use cluster::member::ClusterMember;
use cluster::mixed::{ok, Mixed, Side, WAIT};
use cluster::sio_client::{binary, SioClient};
use common::wait_until;
use serde_json::{json, Value};

/// The events `client` gets up to the next `marker`, as `(name, args)`.
fn events_until_marker(client: &mut SioClient) -> Vec<(String, Vec<Value>)> {
    let mut events = Vec::new();
    loop {
        let event = client
            .next_event(WAIT)
            .expect("every event, then the marker, within WAIT");
        if event.name == "marker" {
            return events;
        }
        events.push((event.name, event.args));
    }
}

/// An expected event: `name` and `args`, a JSON array.
fn event(name: &str, args: Value) -> (String, Vec<Value>) {
    let Value::Array(args) = args else {
        panic!("args are an array: {args}")
    };
    (name.to_string(), args)
}

/// `ids` sorted, as cluster_node.js sorts rooms.
fn sorted(ids: &[&str]) -> Value {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    json!(ids)
}

/// The rooms `member` says its socket `id` of `nsp` is in (`null` once it is gone).
fn rooms_of(member: &dyn ClusterMember, nsp: &str, id: &str) -> Value {
    let answer = ok(member.request(json!({"op": "fetchSockets", "nsp": nsp, "local": true})));
    let sockets = answer["sockets"].as_array().expect("sockets").clone();
    sockets
        .into_iter()
        .find(|socket| socket["id"] == id)
        .map_or(Value::Null, |socket| socket["rooms"].clone())
}

// ---- Broadcasts ----------------------------------------------------------------------------

/// `emit` to all, to a room, with `except`, and with bytes, made on `maker`, reaches the
/// observer's clients — exactly those, with the bytes as binary attachments.
fn emits_reach_the_other_members_clients(maker: Side) {
    let Some(mixed) = Mixed::start() else {
        return;
    };
    let (from, to) = mixed.pair(maker);
    let mut red = to.connect("/", json!({"rooms": ["red"]}));
    let mut muted = to.connect("/", json!({"rooms": ["red", "muted"]}));
    let mut blue = to.connect("/", json!({"rooms": ["blue"]}));
    let news = json!(["text", 7, {"nested": binary(&[0, 1, 255])}, binary(&[9])]);
    for command in [
        json!({"op": "emit", "rooms": ["red"], "event": "news", "args": news}),
        json!({"op": "emit", "rooms": ["red"], "except": ["muted"], "event": "quiet"}),
        json!({"op": "emit", "except": ["red"], "event": "not-red", "args": [1]}),
        json!({"op": "emit", "event": "all", "args": [{"n": 2}]}),
        json!({"op": "emit", "event": "marker"}),
    ] {
        ok(from.request(command));
    }
    // SioClient turns attachments back into {"$binary"}; bytes sent inline as JSON would
    // show as {"type":"Buffer","data":[…]} instead.
    let (news, all) = (event("news", news), event("all", json!([{"n": 2}])));
    assert_eq!(
        events_until_marker(&mut red),
        [news.clone(), event("quiet", json!([])), all.clone()]
    );
    assert_eq!(events_until_marker(&mut muted), [news, all.clone()]);
    assert_eq!(
        events_until_marker(&mut blue),
        [event("not-red", json!([1])), all]
    );
}

#[test]
fn emits_from_threadio_reach_node_clients_by_room_except_and_with_binary() {
    emits_reach_the_other_members_clients(Side::Threadio);
}

#[test]
fn emits_from_node_reach_threadio_clients_by_room_except_and_with_binary() {
    emits_reach_the_other_members_clients(Side::Node);
}

/// An `emitWithAck` made on `maker` gathers the answers of clients on both members (bytes
/// included); when a client of the observer stays silent it times out with the rest; and
/// when the observer has nobody to ask, it still completes at once.
fn acked_broadcasts_span_both_members(maker: Side) {
    let Some(mixed) = Mixed::start() else {
        return;
    };
    let (from, to) = mixed.pair(maker);
    let mut near = from.connect("/", json!({"rooms": ["r", "near"]}));
    let mut far = to.connect("/", json!({"rooms": ["r"]}));
    let mut outsider = to.connect("/", Value::Null);
    let id = from.send(
        json!({"op": "emitWithAck", "rooms": ["r"], "event": "question",
                              "args": [binary(b"?")], "timeout": 5000}),
    );
    for (client, answer) in [(&mut near, json!("near")), (&mut far, binary(b"far"))] {
        let asked = client.expect_event("question");
        assert_eq!(asked.args, vec![binary(b"?")]);
        client.ack(asked.ack.expect("an ack id"), vec![answer]);
    }
    let answer = ok(from.answer(id));
    let mut responses = answer["responses"].as_array().expect("responses").clone();
    responses.sort_by_key(Value::to_string);
    assert_eq!(responses, vec![json!("near"), binary(b"far")]);

    let id = from.send(json!({"op": "emitWithAck", "rooms": ["r"], "event": "q", "timeout": 500}));
    let asked = near.expect_event("q");
    near.ack(asked.ack.expect("an ack id"), vec![json!(42)]);
    assert!(far.expect_event("q").ack.is_some(), "asked, and silent");
    let answer = from.answer(id);
    assert_eq!(
        (&answer["ok"], &answer["responses"]),
        (&json!(false), &json!([42])),
        "{answer}"
    );

    // Nobody of the observer's is chosen: it must still say so (a client count of 0), or the
    // maker would wait for it until the timeout.
    let id = from.send(
        json!({"op": "emitWithAck", "rooms": ["near"], "event": "alone",
                              "timeout": 5000}),
    );
    let asked = near.expect_event("alone");
    near.ack(asked.ack.expect("an ack id"), vec![json!("only me")]);
    assert_eq!(ok(from.answer(id))["responses"], json!(["only me"]));

    ok(from.request(json!({"op": "emit", "event": "marker"})));
    assert_eq!(events_until_marker(&mut outsider), []);
}

#[test]
fn emit_with_ack_from_threadio_gathers_answers_from_clients_of_both_members() {
    acked_broadcasts_span_both_members(Side::Threadio);
}

#[test]
fn emit_with_ack_from_node_gathers_answers_from_clients_of_both_members() {
    acked_broadcasts_span_both_members(Side::Node);
}

// ---- fetchSockets and what it returns ------------------------------------------------------

/// `fetchSockets` made on `maker` sees the observer's sockets: id, rooms, data, and the
/// handshake with its headers, query and auth.
fn fetch_sockets_sees_the_other_members_sockets(maker: Side) {
    let Some(mixed) = Mixed::start() else {
        return;
    };
    let (from, to) = mixed.pair(maker);
    let auth = json!({"nick": "ann", "rooms": ["r"]});
    let headers = [("X-Team", "blue"), ("Cookie", "a=1")];
    let ann = to.connect_with("/chat", auth.clone(), "token=abc&lang=fr", &headers);
    let bob = from.connect("/chat", json!({"nick": "bob"}));
    let _elsewhere = to.connect("/", json!({"rooms": ["r"]}));
    let answer = ok(from.request(json!({"op": "fetchSockets", "nsp": "/chat", "rooms": ["r"]})));

    let sockets = answer["sockets"].as_array().expect("sockets");
    assert_eq!(sockets.len(), 1, "{answer}");
    let socket = &sockets[0];
    assert_eq!(socket["id"], ann.id());
    assert_eq!(socket["local"], false);
    assert_eq!(socket["data"], json!({"node": to.kind(), "nick": "ann"}));
    assert_eq!(socket["rooms"], sorted(&[ann.id(), "r"]));
    let handshake = &socket["handshake"];
    assert_eq!(handshake["auth"], auth);
    assert_eq!(
        handshake["query"],
        json!({"EIO": "4", "transport": "websocket", "token": "abc", "lang": "fr"})
    );
    assert_eq!(
        handshake["url"],
        "/socket.io/?EIO=4&transport=websocket&token=abc&lang=fr"
    );
    assert_eq!(handshake["headers"]["x-team"], "blue");
    assert_eq!(handshake["headers"]["cookie"], "a=1");
    assert_eq!(handshake["headers"]["upgrade"], "websocket");
    assert!(
        handshake["address"].is_string() && handshake["issued"].is_u64(),
        "{handshake}"
    );

    let answer = ok(from.request(json!({"op": "fetchSockets", "nsp": "/chat"})));
    let mut found: Vec<(String, bool)> = answer["sockets"]
        .as_array()
        .expect("sockets")
        .iter()
        .map(|s| {
            (
                s["id"].as_str().unwrap_or_default().to_string(),
                s["local"] == true,
            )
        })
        .collect();
    found.sort();
    let mut expected = vec![(ann.id().to_string(), false), (bob.id().to_string(), true)];
    expected.sort();
    assert_eq!(found, expected, "everyone in /chat, and nobody of /");
}

#[test]
fn fetch_sockets_on_threadio_sees_a_node_socket_with_its_handshake_rooms_and_data() {
    fetch_sockets_sees_the_other_members_sockets(Side::Threadio);
}

#[test]
fn fetch_sockets_on_node_sees_a_threadio_socket_with_its_handshake_rooms_and_data() {
    fetch_sockets_sees_the_other_members_sockets(Side::Node);
}

#[test]
fn a_remote_socket_of_node_answers_threadio_s_emit_join_leave_and_disconnect() {
    let Some(mixed) = Mixed::start() else {
        return;
    };
    let auth = json!({"nick": "ann", "rooms": ["r"]});
    let mut ann = mixed
        .node
        .connect_with("/", auth, "token=abc", &[("X-Team", "blue")]);
    let found = mixed
        .threadio
        .io
        .in_("r")
        .fetch_sockets()
        .expect("both answer");
    let [remote] = &found[..] else {
        panic!("one socket in r: {found:?}")
    };
    assert_eq!(remote.id(), ann.id());
    assert!(remote.local().is_none(), "ann is on the Node node");
    assert_eq!(
        remote.data().get("node").and_then(|v| v.as_str()),
        Some("node")
    );
    let handshake = remote.handshake();
    assert_eq!(handshake.header("X-Team"), Some("blue"));
    assert_eq!(handshake.query_param("token"), Some("abc"));
    assert_eq!(
        handshake.auth.get("nick").and_then(|v| v.as_str()),
        Some("ann")
    );

    remote.emit(
        "psst",
        ("from threadio", threadio::json::Value::binary(vec![7])),
    );
    let psst = ann.expect_event("psst");
    assert_eq!(psst.args, vec![json!("from threadio"), binary(&[7])]);
    remote.join("green");
    let in_green = sorted(&[ann.id(), "green", "r"]);
    assert!(wait_until(WAIT, || rooms_of(&mixed.node, "/", ann.id()) == in_green));
    remote.leave("green");
    let out_of_green = sorted(&[ann.id(), "r"]);
    assert!(wait_until(WAIT, || rooms_of(&mixed.node, "/", ann.id())
        == out_of_green));
    remote.disconnect(false);
    assert!(
        ann.wait_disconnect(WAIT),
        "the remote disconnect never came"
    );
}

// ---- socketsJoin, socketsLeave, disconnectSockets ------------------------------------------

/// `socketsJoin`, `socketsLeave` and `disconnectSockets` made on `maker` act on exactly the
/// observer's sockets they choose.
fn room_commands_act_on_the_other_members_sockets(maker: Side) {
    let Some(mixed) = Mixed::start() else {
        return;
    };
    let (from, to) = mixed.pair(maker);
    let mut member = to.connect("/", json!({"rooms": ["r"]}));
    let mut bystander = to.connect("/", Value::Null);
    let (id, other) = (member.id().to_string(), bystander.id().to_string());

    ok(from.request(json!({"op": "socketsJoin", "rooms": ["r"], "room": ["j1", "j2"]})));
    let joined = sorted(&[&id, "r", "j1", "j2"]);
    assert!(
        wait_until(WAIT, || rooms_of(to, "/", &id) == joined),
        "socketsJoin never arrived"
    );
    ok(from.request(json!({"op": "socketsLeave", "except": ["nobody"], "room": "j1"})));
    let left = sorted(&[&id, "r", "j2"]);
    assert!(
        wait_until(WAIT, || rooms_of(to, "/", &id) == left),
        "socketsLeave never arrived"
    );
    ok(from.request(json!({"op": "disconnectSockets", "rooms": ["j2"], "close": false})));
    assert!(
        member.wait_disconnect(WAIT),
        "disconnectSockets never arrived"
    );
    assert_eq!(rooms_of(to, "/", &other), sorted(&[&other]), "untouched");
    ok(from.request(json!({"op": "emit", "event": "marker"})));
    assert_eq!(events_until_marker(&mut bystander), [], "still connected");
}

#[test]
fn sockets_join_leave_and_disconnect_from_threadio_act_on_node_sockets() {
    room_commands_act_on_the_other_members_sockets(Side::Threadio);
}

#[test]
fn sockets_join_leave_and_disconnect_from_node_act_on_threadio_sockets() {
    room_commands_act_on_the_other_members_sockets(Side::Node);
}

// ---- Server-side emits, rooms and the server count -----------------------------------------

/// `serverSideEmit` made on `maker` reaches the observer's handlers, without and with an
/// ack; the observer's answer comes back; an event nobody answers times out empty.
fn server_side_emits_reach_the_other_member(maker: Side) {
    let Some(mixed) = Mixed::start() else {
        return;
    };
    let (from, to) = mixed.pair(maker);
    ok(from.request(json!({"op": "serverSideEmit", "event": "hello", "args": [1, "two"]})));
    let answer =
        ok(from.request(json!({"op": "serverSideEmit", "event": "ping-node", "ack": true})));
    assert_eq!(answer["responses"], json!([{"from": to.kind()}]));
    let seen = ok(to.request(json!({"op": "serverSideSeen"})));
    assert_eq!(
        seen["events"],
        json!([{"nsp": "/", "event": "hello", "args": [1, "two"], "ack": false},
               {"nsp": "/", "event": "ping-node", "args": [], "ack": true}])
    );
    // Heard, unanswered: the asker gives up after requestsTimeout (2 s here) with nothing.
    let answer = from.request(json!({"op": "serverSideEmit", "event": "unanswered", "ack": true}));
    assert_eq!(
        (&answer["ok"], &answer["responses"]),
        (&json!(false), &json!([])),
        "{answer}"
    );
    let seen = ok(from.request(json!({"op": "serverSideSeen"})));
    assert_eq!(
        seen["events"],
        json!([]),
        "never to the maker's own handlers"
    );
}

#[test]
fn server_side_emit_from_threadio_reaches_node_and_gets_node_s_answer() {
    server_side_emits_reach_the_other_member(Side::Threadio);
}

#[test]
fn server_side_emit_from_node_reaches_threadio_and_gets_threadio_s_answer() {
    server_side_emits_reach_the_other_member(Side::Node);
}

#[test]
fn all_rooms_and_server_count_agree_on_both_members() {
    let Some(mixed) = Mixed::start() else {
        return;
    };
    let on_threadio = mixed.threadio.connect("/", json!({"rooms": ["rt"]}));
    let on_node = mixed.node.connect("/", json!({"rooms": ["rn", "shared"]}));
    let _chat = mixed.node.connect("/chat", json!({"rooms": ["elsewhere"]}));
    let rooms = sorted(&["rt", "rn", "shared", on_threadio.id(), on_node.id()]);
    for member in [&mixed.threadio as &dyn ClusterMember, &mixed.node] {
        let answer = ok(member.request(json!({"op": "allRooms", "nsp": "/"})));
        assert_eq!(answer["rooms"], rooms, "{}", member.kind());
        for nsp in ["/", "/chat"] {
            let answer = ok(member.request(json!({"op": "serverCount", "nsp": nsp})));
            assert_eq!(answer["count"], 2, "{} in {nsp}", member.kind());
        }
    }
}

// ---- The emitter ---------------------------------------------------------------------------

#[test]
fn the_emitter_reaches_threadio_clients_rooms_and_server_side_handlers() {
    let Some(mixed) = Mixed::start() else {
        return;
    };
    let mut member = mixed.threadio.connect("/chat", json!({"rooms": ["r"]}));
    let mut outsider = mixed.threadio.connect("/chat", Value::Null);
    let id = member.id().to_string();
    let args = json!(["x", binary(&[1, 2])]);
    mixed.emitter(
        json!({"op": "emit", "nsp": "/chat", "rooms": ["r"], "event": "news",
                         "args": args}),
    );
    mixed.emitter(json!({"op": "emit", "nsp": "/chat", "event": "marker"}));
    assert_eq!(events_until_marker(&mut member), [event("news", args)]);
    assert_eq!(events_until_marker(&mut outsider), []);

    mixed.emitter(json!({"op": "serverSideEmit", "nsp": "/chat", "event": "tick", "args": [3]}));
    let tick = json!([{"nsp": "/chat", "event": "tick", "args": [3], "ack": false}]);
    let seen = || ok(mixed.threadio.request(json!({"op": "serverSideSeen"})))["events"] == tick;
    assert!(
        wait_until(WAIT, seen),
        "the emitter's serverSideEmit never arrived"
    );

    // The emitter's requests carry no uid: threadio reads them as no node's.
    mixed.emitter(json!({"op": "socketsJoin", "nsp": "/chat", "rooms": ["r"], "room": "vip"}));
    let joined = sorted(&[&id, "r", "vip"]);
    assert!(wait_until(WAIT, || rooms_of(&mixed.threadio, "/chat", &id) == joined));
    mixed.emitter(json!({"op": "socketsLeave", "nsp": "/chat", "rooms": ["vip"], "room": "r"}));
    let left = sorted(&[&id, "vip"]);
    assert!(wait_until(WAIT, || rooms_of(&mixed.threadio, "/chat", &id) == left));
    mixed.emitter(
        json!({"op": "disconnectSockets", "nsp": "/chat", "rooms": ["vip"],
                         "close": true}),
    );
    assert!(
        member.wait_disconnect(WAIT),
        "the emitter's disconnectSockets never arrived"
    );
    assert!(outsider.is_connected());
}
