//! Two threadio nodes, one real `redis-server`: every cluster-wide operation of issue 12,
//! across nodes, through `threadio::redis_adapter`. Clients are raw Engine.IO/Socket.IO
//! text over tungstenite, so every byte a client gets is asserted.
//!
//! (The same operations between a threadio node and a Node socket.io node are in
//! `tests/redis_cluster_node.rs`.)

mod cluster;
mod common;

use std::net::SocketAddr;
use std::sync::mpsc;
use std::time::Duration;

use cluster::redis_server::RedisServer;
use common::{start, tcp, wait_until, ws_read_text, ws_send, Ws, READ_TIMEOUT};
use threadio::http::{Router, RunningServer};
use threadio::json::Value;
use threadio::redis::{Backoff, RedisClient, RedisConfig, RedisUrl};
use threadio::redis_adapter::{Parser, RedisAdapter, RedisAdapterConfig};
use threadio::socketio::{BroadcastAckResult, ClusterError, Io};

// ---- Nodes and clients ---------------------------------------------------------------------

/// One threadio node: its `Io`, its adapter (for counters), its HTTP server.
struct Node {
    io: Io,
    adapter: RedisAdapter,
    server: RunningServer,
}

fn config() -> RedisAdapterConfig {
    config_with(Parser::MsgPack)
}

fn config_with(parser: Parser) -> RedisAdapterConfig {
    RedisAdapterConfig {
        parser,
        requests_timeout: Duration::from_secs(2),
        reconnect: Backoff {
            initial: Duration::from_millis(50),
            max: Duration::from_millis(400),
        },
        ..RedisAdapterConfig::default()
    }
}

/// A node whose sockets join the room named by their CONNECT's `auth.room`, and keep
/// `auth.nick` as their data.
fn node(url: &RedisUrl, name: &str) -> Node {
    node_with(url, name, config())
}

fn node_with(url: &RedisUrl, name: &str, config: RedisAdapterConfig) -> Node {
    let io = Io::new();
    let adapter = RedisAdapter::new(url, config).expect("the adapter starts");
    io.set_adapter(adapter.clone());
    let node_name = name.to_string();
    io.sockets().on_connection(move |socket| {
        if let Some(room) = socket.auth().get("room").and_then(Value::as_str) {
            socket.join(room).unwrap();
        }
        let nick = socket.auth().get("nick").cloned().unwrap_or(Value::Null);
        socket.set_data(Value::object([
            ("nick", nick),
            ("node", node_name.clone().into()),
        ]));
        socket.on("shout", |socket, args, _| {
            socket.broadcast().emit("shout", args);
        });
    });
    let mut router = Router::new();
    io.attach(&mut router);
    let server = start(router);
    Node {
        io,
        adapter,
        server,
    }
}

/// Both nodes serve `/`: each sees two subscribers on the request channel.
fn wait_for_cluster(nodes: &[&Node]) {
    let formed = wait_until(READ_TIMEOUT, || {
        nodes
            .iter()
            .all(|node| node.io.server_count() == Ok(nodes.len()))
    });
    assert!(formed, "the nodes did not see each other");
}

/// A client connected to `/` of `node` with `auth`; returns it and its socket id once the
/// node's connection handler has run for it (the CONNECT answer goes out just before).
fn client(node: &Node, auth: &str) -> (Ws, String) {
    let (ws, id) = connect(node.server.addr(), auth);
    let ready = wait_until(READ_TIMEOUT, || {
        node.io
            .sockets()
            .socket(&id)
            .is_some_and(|socket| !socket.data().is_null())
    });
    assert!(ready, "the connection handler did not run");
    (ws, id)
}

fn connect(addr: SocketAddr, auth: &str) -> (Ws, String) {
    let url = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket");
    let (mut ws, _) = tungstenite::client(url, tcp(addr)).expect("WebSocket handshake");
    assert!(ws_read_text(&mut ws).starts_with("0{"), "the open packet");
    ws_send(&mut ws, &format!("40{auth}"));
    let answer = ws_read_text(&mut ws);
    let id = answer
        .strip_prefix("40{\"sid\":\"")
        .and_then(|rest| rest.strip_suffix("\"}"))
        .unwrap_or_else(|| panic!("not a CONNECT answer: {answer:?}"))
        .to_string();
    (ws, id)
}

/// The next message, text or binary, skipping Engine.IO pings (answered with a pong).
fn next(ws: &mut Ws) -> tungstenite::Message {
    loop {
        let message = ws.read().expect("a message");
        match &message {
            tungstenite::Message::Text(text) if text.as_str() == "2" => ws_send(ws, "3"),
            tungstenite::Message::Ping(_) | tungstenite::Message::Pong(_) => {}
            _ => return message,
        }
    }
}

fn next_text(ws: &mut Ws) -> String {
    match next(ws) {
        tungstenite::Message::Text(text) => text.as_str().to_string(),
        other => panic!("expected text, got {other:?}"),
    }
}

/// Nothing arrives within a short while (only pings).
fn assert_quiet(ws: &mut Ws) {
    ws.get_mut()
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let got = loop {
        match ws.read() {
            Ok(tungstenite::Message::Text(text)) if text.as_str() == "2" => ws_send(ws, "3"),
            Ok(other) => break Some(other),
            Err(_) => break None,
        }
    };
    ws.get_mut().set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    assert!(got.is_none(), "expected nothing, got {got:?}");
}

// ---- Broadcasts ----------------------------------------------------------------------------

#[test]
fn a_broadcast_reaches_the_other_nodes_sockets_by_room_and_except_with_binary() {
    let Some(redis) = RedisServer::start(&[]) else {
        return;
    };
    let (a, b) = (node(&redis.url("", 0), "a"), node(&redis.url("", 0), "b"));
    wait_for_cluster(&[&a, &b]);
    let (mut red_on_b, _) = client(&b, r#"{"room":"red"}"#);
    let (mut blue_on_b, _) = client(&b, r#"{"room":"blue"}"#);
    let (mut red_on_a, _) = client(&a, r#"{"room":"red"}"#);

    assert_eq!(
        a.io.to("red")
            .emit("hello", ("x", Value::binary(vec![1, 2, 3]))),
        1
    );
    for ws in [&mut red_on_a, &mut red_on_b] {
        assert_eq!(
            next_text(ws),
            r#"451-["hello","x",{"_placeholder":true,"num":0}]"#
        );
        assert_eq!(next(ws), tungstenite::Message::binary(vec![1, 2, 3]));
    }
    a.io.except("red").emit("not-red", ());
    assert_eq!(next_text(&mut blue_on_b), r#"42["not-red"]"#);
    a.io.emit("all", (1,));
    for ws in [&mut red_on_a, &mut red_on_b, &mut blue_on_b] {
        assert_eq!(next_text(ws), r#"42["all",1]"#);
    }
    // `.local()` stays on its node.
    a.io.local().emit("local", ());
    assert_eq!(next_text(&mut red_on_a), r#"42["local"]"#);
    assert_quiet(&mut red_on_b);
    assert_quiet(&mut blue_on_b);
}

#[test]
fn a_cluster_configured_with_the_json_parser_broadcasts_and_acks_through_json() {
    let Some(redis) = RedisServer::start(&[]) else {
        return;
    };
    let url = redis.url("", 0);
    let a = node_with(&url, "a", config_with(Parser::Json));
    let b = node_with(&url, "b", config_with(Parser::Json));
    wait_for_cluster(&[&a, &b]);
    let (mut on_b, _) = client(&b, "");
    // JSON has no bytes: Node's JSON.stringify writes a Buffer as this object, and so it
    // arrives, on Node nodes as on ours.
    a.io.emit("hello", ("x", Value::binary(vec![1, 2])));
    assert_eq!(
        next_text(&mut on_b),
        r#"42["hello","x",{"type":"Buffer","data":[1,2]}]"#
    );
    let (tx, answers) = mpsc::channel::<BroadcastAckResult>();
    a.io.timeout(Duration::from_secs(5))
        .emit_with_ack("vote", (), move |r| tx.send(r).unwrap());
    let asked = next_text(&mut on_b);
    let id = asked
        .strip_prefix("42")
        .and_then(|r| r.strip_suffix(r#"["vote"]"#))
        .unwrap();
    ws_send(&mut on_b, &format!(r#"43{id}["json"]"#));
    assert_eq!(
        answers.recv_timeout(READ_TIMEOUT).unwrap(),
        Ok(vec![vec![Value::from("json")]])
    );
}

#[test]
fn socket_broadcast_leaves_out_the_sender_on_every_node() {
    let Some(redis) = RedisServer::start(&[]) else {
        return;
    };
    let (a, b) = (node(&redis.url("", 0), "a"), node(&redis.url("", 0), "b"));
    wait_for_cluster(&[&a, &b]);
    let (mut sender, _) = client(&a, "");
    let (mut on_a, _) = client(&a, "");
    let (mut on_b, _) = client(&b, "");
    ws_send(&mut sender, r#"42["shout","hi"]"#);
    assert_eq!(next_text(&mut on_a), r#"42["shout","hi"]"#);
    assert_eq!(next_text(&mut on_b), r#"42["shout","hi"]"#);
    assert_quiet(&mut sender);
}

// ---- Questions: fetch_sockets, all_rooms, server count -------------------------------------

#[test]
fn fetch_sockets_sees_the_other_nodes_sockets_and_acts_on_them() {
    let Some(redis) = RedisServer::start(&[]) else {
        return;
    };
    let (a, b) = (node(&redis.url("", 0), "a"), node(&redis.url("", 0), "b"));
    wait_for_cluster(&[&a, &b]);
    let (mut on_b, id_b) = client(&b, r#"{"room":"red","nick":"bea"}"#);
    let (_on_a, id_a) = client(&a, r#"{"room":"red","nick":"al"}"#);

    let found = a.io.in_("red").fetch_sockets().expect("both nodes answer");
    let mut ids: Vec<&str> = found.iter().map(|s| s.id()).collect();
    ids.sort();
    let mut expected = vec![id_a.as_str(), id_b.as_str()];
    expected.sort();
    assert_eq!(ids, expected);
    let remote = found.iter().find(|s| s.id() == id_b).unwrap();
    assert!(remote.local().is_none(), "bea is on node b");
    assert_eq!(remote.data()["nick"], Value::from("bea"));
    assert_eq!(remote.data()["node"], Value::from("b"));
    let mut rooms = vec![id_b.clone(), "red".to_string()];
    rooms.sort(); // `rooms()` is sorted, and an id may sort either side of "red"
    assert_eq!(remote.rooms(), rooms);
    assert_eq!(
        remote.handshake().query_param("transport"),
        Some("websocket")
    );
    assert_eq!(remote.handshake().auth["nick"], Value::from("bea"));

    remote.emit("psst", ("from a",));
    assert_eq!(next_text(&mut on_b), r#"42["psst","from a"]"#);
    remote.join("green");
    assert!(wait_until(READ_TIMEOUT, || b
        .io
        .sockets()
        .socket(&id_b)
        .is_some_and(|s| s.in_room("green"))));
    let rooms = a.io.sockets().all_rooms().expect("both answer");
    assert!(rooms.contains("green") && rooms.contains("red") && rooms.contains(&id_a));
    remote.leave("green");
    assert!(wait_until(READ_TIMEOUT, || !b
        .io
        .sockets()
        .socket(&id_b)
        .unwrap()
        .in_room("green")));
    remote.disconnect(false);
    assert_eq!(next_text(&mut on_b), "41");
    assert_eq!(a.io.server_count(), Ok(2));
}

#[test]
fn sockets_join_leave_and_disconnect_sockets_act_on_every_node() {
    let Some(redis) = RedisServer::start(&[]) else {
        return;
    };
    let (a, b) = (node(&redis.url("", 0), "a"), node(&redis.url("", 0), "b"));
    wait_for_cluster(&[&a, &b]);
    let (mut red_on_b, id_b) = client(&b, r#"{"room":"red"}"#);
    let (_blue_on_b, _) = client(&b, r#"{"room":"blue"}"#);

    a.io.in_("red").sockets_join("team");
    let on_b = b.io.sockets().socket(&id_b).unwrap();
    assert!(wait_until(READ_TIMEOUT, || on_b.in_room("team")));
    assert_eq!(b.io.to("team").local().fetch_sockets().unwrap().len(), 1);
    a.io.in_("red").sockets_leave("team");
    assert!(wait_until(READ_TIMEOUT, || !on_b.in_room("team")));
    a.io.in_("red").disconnect_sockets(false);
    assert_eq!(next_text(&mut red_on_b), "41");
    assert!(wait_until(READ_TIMEOUT, || b.io.sockets().len() == 1));
}

// ---- Server-side emits and acked broadcasts ------------------------------------------------

#[test]
fn server_side_emits_reach_the_other_node_and_answer_back() {
    let Some(redis) = RedisServer::start(&[]) else {
        return;
    };
    let (a, b) = (node(&redis.url("", 0), "a"), node(&redis.url("", 0), "b"));
    let (seen_tx, seen) = mpsc::channel();
    b.io.sockets().on_server_side_emit(move |event, args, ack| {
        seen_tx.send((event.to_string(), args.into_vec())).unwrap();
        ack.send(("pong from b",));
    });
    a.io.sockets()
        .on_server_side_emit(|_, _, _| panic!("a node hears its own emit"));
    wait_for_cluster(&[&a, &b]);

    a.io.server_side_emit("hello", (1, "two"));
    assert_eq!(
        seen.recv_timeout(READ_TIMEOUT).unwrap(),
        ("hello".to_string(), vec![1.into(), "two".into()])
    );
    let (tx, answers) = mpsc::channel::<BroadcastAckResult>();
    a.io.server_side_emit_with_ack("ping", (), Duration::from_secs(5), move |r| {
        tx.send(r).unwrap()
    });
    assert_eq!(
        answers.recv_timeout(READ_TIMEOUT).unwrap(),
        Ok(vec![vec!["pong from b".into()]])
    );
}

#[test]
fn an_acked_broadcast_gathers_the_answers_of_every_nodes_clients() {
    let Some(redis) = RedisServer::start(&[]) else {
        return;
    };
    let (a, b) = (node(&redis.url("", 0), "a"), node(&redis.url("", 0), "b"));
    wait_for_cluster(&[&a, &b]);
    let (mut on_a, _) = client(&a, "");
    let (mut on_b, _) = client(&b, "");
    let (tx, answers) = mpsc::channel::<BroadcastAckResult>();
    a.io.timeout(Duration::from_secs(5))
        .emit_with_ack("vote", (), move |r| tx.send(r).unwrap());
    for (ws, answer) in [(&mut on_a, "yes"), (&mut on_b, "no")] {
        let asked = next_text(ws);
        let id = asked
            .strip_prefix("42")
            .and_then(|rest| rest.strip_suffix(r#"["vote"]"#))
            .unwrap_or_else(|| panic!("not an event with an ack id: {asked}"));
        ws_send(ws, &format!(r#"43{id}["{answer}"]"#));
    }
    let mut got = answers
        .recv_timeout(READ_TIMEOUT)
        .unwrap()
        .expect("every answer");
    got.sort_by_key(|answer| answer[0].to_json());
    assert_eq!(got, vec![vec![Value::from("no")], vec![Value::from("yes")]]);
}

#[test]
fn an_acked_broadcast_times_out_with_the_answers_that_came() {
    let Some(redis) = RedisServer::start(&[]) else {
        return;
    };
    let (a, b) = (node(&redis.url("", 0), "a"), node(&redis.url("", 0), "b"));
    wait_for_cluster(&[&a, &b]);
    let (mut silent_on_b, _) = client(&b, "");
    let (tx, answers) = mpsc::channel::<BroadcastAckResult>();
    a.io.timeout(Duration::from_millis(500))
        .emit_with_ack("vote", (), move |r| tx.send(r).unwrap());
    assert!(next_text(&mut silent_on_b).ends_with(r#"["vote"]"#));
    let result = answers.recv_timeout(READ_TIMEOUT).unwrap();
    assert!(
        matches!(&result, Err(e) if e.responses().is_empty()),
        "{result:?}"
    );
}

// ---- Faults --------------------------------------------------------------------------------

#[test]
fn both_nodes_recover_when_redis_is_killed_and_restarted() {
    let Some(mut redis) = RedisServer::start(&[]) else {
        return;
    };
    let (a, b) = (node(&redis.url("", 0), "a"), node(&redis.url("", 0), "b"));
    wait_for_cluster(&[&a, &b]);
    let (mut on_a, _) = client(&a, "");
    let (mut on_b, _) = client(&b, "");

    redis.kill();
    assert!(wait_until(READ_TIMEOUT, || !a.adapter.is_connected()));
    // Local delivery goes on; the other node's share is dropped and counted.
    assert_eq!(a.io.emit("during", ()), 1);
    assert_eq!(next_text(&mut on_a), r#"42["during"]"#);
    assert!(wait_until(READ_TIMEOUT, || a
        .adapter
        .counts()
        .dropped_publishes
        >= 1));
    assert!(matches!(
        a.io.fetch_sockets(),
        Err(ClusterError::Unreachable { partial, .. }) if partial.len() == 1
    ));

    redis.restart();
    assert!(wait_until(READ_TIMEOUT, || a.adapter.is_connected()
        && b.adapter.is_connected()));
    wait_for_cluster(&[&a, &b]);
    a.io.emit("after", ());
    assert_eq!(next_text(&mut on_a), r#"42["after"]"#);
    assert_eq!(
        next_text(&mut on_b),
        r#"42["after"]"#,
        "not the one sent during"
    );
    assert!(b.adapter.counts().subscriber_losses >= 1);
}

#[test]
fn a_node_started_while_redis_is_down_joins_once_it_is_up() {
    let Some(mut redis) = RedisServer::start(&[]) else {
        return;
    };
    redis.kill();
    let (a, b) = (node(&redis.url("", 0), "a"), node(&redis.url("", 0), "b"));
    let (mut on_b, _) = client(&b, "");
    assert!(a.io.server_count().is_err(), "Redis is down");
    redis.restart();
    wait_for_cluster(&[&a, &b]);
    a.io.emit("hello", ());
    assert_eq!(next_text(&mut on_b), r#"42["hello"]"#);
}

#[test]
fn malformed_messages_on_our_channels_are_counted_and_ignored() {
    let Some(redis) = RedisServer::start(&[]) else {
        return;
    };
    let (a, b) = (node(&redis.url("", 0), "a"), node(&redis.url("", 0), "b"));
    wait_for_cluster(&[&a, &b]);
    let (mut on_b, _) = client(&b, "");
    let raw = RedisClient::connect(&redis.url("", 0), RedisConfig::default()).unwrap();
    for (channel, payload) in [
        ("socket.io#/#", &b"\xc1 never used"[..]),
        (
            "socket.io#/#",
            br#"["x",{"type":2,"data":["disconnect"]},{}]"#,
        ),
        ("socket.io-request#/#", b"{not json"),
        ("socket.io-request#/#", br#"{"uid":"x","type":99}"#),
        ("socket.io-response#/#", b"[1,2]"),
    ] {
        raw.publish(channel.as_bytes(), payload).unwrap();
    }
    assert!(wait_until(READ_TIMEOUT, || b.adapter.counts().malformed >= 5));
    a.io.emit("still", ());
    assert_eq!(next_text(&mut on_b), r#"42["still"]"#);
}
