//! The wire of the mixed cluster (tests/cluster/mixed.rs: a threadio node and a Node node
//! with @socket.io/redis-adapter 8.3 on one Redis): each operation made once on threadio and
//! once on Node, and what each published put side by side. Threadio's broadcasts and requests
//! must be Node's byte for byte once the sender's uid and the request ids are masked — so the
//! same keys in the same order, MessagePack integers in their smallest format, bytes as
//! `bin` — and its answers must have the shape of Node's (their content differs by design:
//! socket ids, handshakes, who answered), or Node's bytes where the content is the same.
//!
//! `cargo test --test redis_cluster_mixed_wire -- --nocapture` prints every message compared.
//! Needs node, `npm ci --prefix tests/node` and redis-server; without them each test prints
//! `skipped: …`, or fails under `THREADIO_REQUIRE_PEERS=1` (CI).

mod cluster;
mod common;

use cluster::member::ClusterMember;
use cluster::mixed::{ok, Mixed};
use cluster::sio_client::binary;
use cluster::wiretap::Tapped;
use serde_json::json;

/// Makes the same operation on threadio, then on Node, with `operation`; returns the `count`
/// messages each put on Redis (answers included), threadio's first.
fn side_by_side(
    mixed: &Mixed,
    what: &str,
    count: usize,
    mut operation: impl FnMut(&dyn ClusterMember),
) -> (Vec<Tapped>, Vec<Tapped>) {
    let ours = mixed.published(&format!("{what}, from threadio"), count, || {
        operation(&mixed.threadio)
    });
    let theirs = mixed.published(&format!("{what}, from Node"), count, || {
        operation(&mixed.node)
    });
    (ours, theirs)
}

/// `payload` with each of `secrets` (uids and request ids) replaced by `######`, as hex.
/// Both adapters make them six characters long, so MessagePack lengths stay right.
fn masked_hex(payload: &[u8], secrets: &[String]) -> String {
    let mut bytes = payload.to_vec();
    for secret in secrets {
        assert_eq!(
            secret.len(),
            6,
            "uids and request ids are six characters: {secret}"
        );
        let secret = secret.as_bytes();
        let mut at = 0;
        while let Some(found) = bytes[at..].windows(secret.len()).position(|w| w == secret) {
            let start = at + found;
            bytes[start..start + secret.len()].copy_from_slice(b"######");
            at = start + secret.len();
        }
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The uids of both members and the request ids of `heard`: what differs between two runs
/// of one operation by design.
fn secrets(mixed: &Mixed, heard: &[&Tapped]) -> Vec<String> {
    let mut secrets = mixed.uids();
    let ids = heard
        .iter()
        .filter_map(|m| m.body()["requestId"].as_str().map(str::to_string));
    secrets.extend(ids);
    secrets
}

/// The structure of a message as its bytes say: each map's keys in their order, each value's
/// kind, read by rmpv (MessagePack) or our parser (JSON, whose order serde_json forgets).
fn shape(message: &Tapped) -> String {
    if message.is_json() {
        // Read in order by our parser, then written as MessagePack to be read like the rest
        // (JSON has no bytes, and a whole number is an integer in either).
        let text = std::str::from_utf8(&message.payload).expect("UTF-8 JSON");
        let value = threadio::json::parse(text).expect("a JSON body");
        return msgpack_shape(&decoded(&threadio::msgpack::encode(&value)));
    }
    msgpack_shape(&decoded(&message.payload))
}

fn decoded(payload: &[u8]) -> rmpv::Value {
    rmpv::decode::read_value(&mut &payload[..]).expect("a MessagePack body")
}

fn msgpack_shape(value: &rmpv::Value) -> String {
    use rmpv::Value as M;
    match value {
        M::Nil => "nil".into(),
        M::Boolean(_) => "bool".into(),
        M::Integer(_) => "int".into(),
        M::F32(_) => "f32".into(),
        M::F64(_) => "f64".into(),
        M::String(_) => "str".into(),
        M::Binary(_) => "bin".into(),
        M::Ext(..) => "ext".into(),
        M::Array(items) => {
            let items: Vec<String> = items.iter().map(msgpack_shape).collect();
            format!("[{}]", items.join(","))
        }
        M::Map(entries) => {
            let entries: Vec<String> = entries
                .iter()
                .map(|(k, v)| format!("{}:{}", k.as_str().unwrap_or("?"), msgpack_shape(v)))
                .collect();
            format!("{{{}}}", entries.join(","))
        }
    }
}

/// Asserts that threadio's message is Node's: the channel, the encoding, the structure, and
/// then every byte but the uids and request ids. Node's notepack.io writes each integer in
/// its smallest format and each Buffer as `bin`, so equal bytes mean ours do too.
fn assert_same_bytes(mixed: &Mixed, what: &str, ours: &Tapped, theirs: &Tapped) {
    assert_same_shape(what, ours, theirs);
    let secrets = secrets(mixed, &[ours, theirs]);
    assert_eq!(
        masked_hex(&ours.payload, &secrets),
        masked_hex(&theirs.payload, &secrets),
        "{what}: the bytes\n threadio {}\n node     {}",
        ours.describe(),
        theirs.describe()
    );
}

/// Asserts that threadio's message has the channel, encoding and structure of Node's, for
/// answers whose content differs by design (socket ids, handshakes, who answered).
fn assert_same_shape(what: &str, ours: &Tapped, theirs: &Tapped) {
    assert_eq!(
        (&ours.channel, ours.is_json()),
        (&theirs.channel, theirs.is_json()),
        "{what}: the channel and the encoding"
    );
    assert_eq!(
        shape(ours),
        shape(theirs),
        "{what}: keys and kinds\n threadio {}\n node     {}",
        ours.describe(),
        theirs.describe()
    );
}

#[test]
fn threadio_broadcasts_are_node_s_bytes_but_for_the_uid() {
    let Some(mixed) = Mixed::start() else {
        return;
    };
    // Not 1e300 or any whole number past 64 bits: notepack's arithmetic writes those as
    // wrong integers (1e300 as uint 64 zero), where we write the float 64 on purpose
    // (src/msgpack/encode.rs says so).
    let numbers = json!([
        0,
        7,
        127,
        128,
        200,
        255,
        256,
        300,
        65535,
        65536,
        70000,
        5000000000u64,
        -1,
        -5,
        -32,
        -33,
        -100,
        -128,
        -129,
        -1000,
        -32768,
        -32769,
        -70000,
        -5000000000i64,
        1.5,
        -0.25,
        2.0
    ]);
    let texts = json!(["", "é", "x".repeat(31), "y".repeat(32), "z".repeat(300)]);
    let nested = json!({"a": binary(&[1]), "b": [true, false, null, {"c": "d"}]});
    let bytes = [binary(&[]), binary(&[0, 1, 255]), binary(&[0xab; 300])];
    let cases = [
        (
            "to one room, every kind of value",
            json!({"op": "emit", "rooms": ["r"], "event": "news",
                "args": [numbers, texts, nested, bytes[0], bytes[1], bytes[2]]}),
        ),
        (
            "to two rooms except one, in /chat",
            json!({"op": "emit", "nsp": "/chat", "rooms": ["a", "b"], "except": ["c"],
                "event": "hi", "args": [1]}),
        ),
        (
            "to all, volatile",
            json!({"op": "emit", "volatile": true, "event": "v"}),
        ),
    ];
    for (what, command) in cases {
        let (ours, theirs) = side_by_side(&mixed, what, 1, |member| {
            ok(member.request(command.clone()));
        });
        assert!(!ours[0].is_json(), "{what}: a broadcast is MessagePack");
        assert_same_bytes(&mixed, what, &ours[0], &theirs[0]);
    }
}

#[test]
fn threadio_requests_without_answers_are_node_s_bytes() {
    let Some(mixed) = Mixed::start() else {
        return;
    };
    let cases = [
        (
            "socketsJoin",
            json!({"op": "socketsJoin", "rooms": ["r"], "room": "j"}),
        ),
        (
            "socketsLeave",
            json!({"op": "socketsLeave", "except": ["x"], "room": "j"}),
        ),
        (
            "disconnectSockets",
            json!({"op": "disconnectSockets", "nsp": "/chat", "rooms": ["nobody"], "close": true}),
        ),
        (
            "serverSideEmit without ack",
            json!({"op": "serverSideEmit", "event": "hello", "args": [1, "two", {"n": null}]}),
        ),
    ];
    for (what, command) in cases {
        let (ours, theirs) = side_by_side(&mixed, what, 1, |member| {
            ok(member.request(command.clone()));
        });
        assert_same_bytes(&mixed, what, &ours[0], &theirs[0]);
    }
}

#[test]
fn threadio_questions_and_answers_are_node_s_in_bytes_and_shape() {
    let Some(mixed) = Mixed::start() else {
        return;
    };
    let auth = json!({"nick": "ann", "rooms": ["r"]});
    let _on_threadio = mixed
        .threadio
        .connect_with("/chat", auth.clone(), "k=v", &[]);
    let _on_node = mixed.node.connect_with("/chat", auth, "k=v", &[]);
    let questions = [
        (
            "fetchSockets",
            json!({"op": "fetchSockets", "nsp": "/chat", "rooms": ["r"]}),
        ),
        ("allRooms", json!({"op": "allRooms", "nsp": "/chat"})),
    ];
    for (what, command) in questions {
        // The question, then the other member's answer.
        let (ours, theirs) = side_by_side(&mixed, what, 2, |member| {
            ok(member.request(command.clone()));
        });
        assert_same_bytes(&mixed, what, &ours[0], &theirs[0]);
        // Node's answer to threadio against threadio's answer to Node.
        assert_same_shape(&format!("the answer to {what}"), &theirs[1], &ours[1]);
    }
}

#[test]
fn threadio_acked_requests_and_their_answers_are_node_s_bytes() {
    let Some(mixed) = Mixed::start() else {
        return;
    };
    let what = "serverSideEmit with ack";
    let (ours, theirs) = side_by_side(&mixed, what, 2, |member| {
        let command =
            json!({"op": "serverSideEmit", "event": "ping-node", "args": [1], "ack": true});
        ok(member.request(command));
    });
    assert_same_bytes(&mixed, what, &ours[0], &theirs[0]);
    // {type: 6, requestId, data: {from: <who answered>}}
    assert_same_shape("the answer to serverSideEmit", &theirs[1], &ours[1]);
    let what = "serverSideEmit answered with nothing";
    let (ours, theirs) = side_by_side(&mixed, what, 2, |member| {
        ok(member.request(json!({"op": "serverSideEmit", "event": "ping-empty", "ack": true})));
    });
    assert_same_bytes(&mixed, what, &ours[0], &theirs[0]);
    // Node's `JSON.stringify` leaves the undefined `data` out.
    assert_same_bytes(&mixed, "the empty answer", &theirs[1], &ours[1]);

    let mut on_threadio = mixed.threadio.connect("/", json!({"rooms": ["r"]}));
    let mut on_node = mixed.node.connect("/", json!({"rooms": ["r"]}));
    // Only the first argument of a client's answer is relayed; with none, Node leaves
    // `packet` out of the message rather than write nil.
    for (what, answer) in [
        (
            "emitWithAck, answered with bytes",
            vec![binary(b"yes"), json!(1)],
        ),
        ("emitWithAck, answered with nothing", vec![]),
    ] {
        let (ours, theirs) = side_by_side(&mixed, what, 3, |member| {
            let id = member.send(
                json!({"op": "emitWithAck", "rooms": ["r"], "event": "question",
                                        "args": [binary(b"?"), 300], "timeout": 5000}),
            );
            for client in [&mut on_threadio, &mut on_node] {
                let asked = client.expect_event("question");
                client.ack(asked.ack.expect("an ack id"), answer.clone());
            }
            ok(member.answer(id));
        });
        // The request (MessagePack), the other member's client count (JSON), then its
        // client's answer (MessagePack): Node's to threadio against threadio's to Node.
        assert_same_bytes(&mixed, what, &ours[0], &theirs[0]);
        assert_same_bytes(&mixed, &format!("{what}: the count"), &theirs[1], &ours[1]);
        assert_same_bytes(&mixed, &format!("{what}: the answer"), &theirs[2], &ours[2]);
    }
}
