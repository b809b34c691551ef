//! The broadcast flags and server-wide emits of issue 11 that the official client cannot
//! tell apart on its own: `volatile` (an event dropped, not queued, for a client that
//! cannot take it now — over polling and over a WebSocket that is not read), a broadcast's
//! acknowledgements when a target disconnects or no timeout was set, `local` (every
//! broadcast, on a node alone), and `server_side_emit` (other nodes only: nobody here). Spoken
//! as raw Engine.IO/Socket.IO text: over polling with the hand-driven `Polling` session,
//! over WebSocket with tungstenite.

mod common;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use common::{start, tcp, wait_until, ws_read_text, ws_send, Polling, Ws, READ_TIMEOUT};
use threadio::http::{Router, RunningServer};
use threadio::socketio::{
    BroadcastAckError, BroadcastAckResult, ClusterResult, Io, RemoteSocket, Socket,
};

fn serve(io: &Io) -> RunningServer {
    let mut router = Router::new();
    io.attach(&mut router);
    start(router)
}

/// A WebSocket session that has joined "/": the client, and the server's socket for it.
fn joined(io: &Io, addr: SocketAddr) -> (Ws, Socket) {
    let url = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket");
    let (mut ws, _) = tungstenite::client(url, tcp(addr)).expect("WebSocket handshake");
    assert!(ws_read_text(&mut ws).starts_with("0{"), "the open packet");
    ws_send(&mut ws, "40");
    let answer = ws_read_text(&mut ws);
    let id = answer
        .strip_prefix("40{\"sid\":\"")
        .and_then(|rest| rest.strip_suffix("\"}"))
        .unwrap_or_else(|| panic!("not a CONNECT answer: {answer:?}"));
    // The CONNECT answer goes out just before the socket joins its namespace.
    let mut socket = None;
    wait_until(READ_TIMEOUT, || {
        socket = io.sockets().socket(id);
        socket.is_some()
    });
    (ws, socket.expect("the server knows the socket"))
}

// --- volatile -----------------------------------------------------------------------------

#[test]
fn over_polling_a_volatile_emit_with_no_get_held_is_dropped_and_a_plain_one_waits() {
    let io = Io::new();
    let server = serve(&io);
    let (session, id) = Polling::joined(server.addr());
    let socket = io.sockets().socket(&id).expect("the polling socket");

    // No GET is held: the volatile events are dropped, the plain one waits in the queue.
    assert!(!socket.volatile().emit("tick", vec![1.into()]));
    socket.emit("news", vec![2.into()]);
    assert_eq!(io.volatile().emit("tick", vec![3.into()]), 0);
    assert_eq!(session.get_packets(), [r#"42["news",2]"#]);

    // With a GET held, a volatile event answers it. Until the server holds it, each try
    // is dropped: exactly one arrives.
    let mut get = session.start_get();
    let mut tries = 0;
    assert!(wait_until(READ_TIMEOUT, || {
        tries += 1;
        socket.volatile().emit("tick", vec![tries.into()])
    }));
    let answer = common::read_response(&mut get);
    assert_eq!(answer.text(), format!(r#"42["tick",{tries}]"#));
}

#[test]
fn over_websocket_a_volatile_emit_behind_unsent_bytes_is_dropped_until_the_client_catches_up() {
    let io = Io::new();
    let server = serve(&io);
    let (mut ws, socket) = joined(&io, server.addr());

    // The client reads nothing now. Plain events fill the kernel's buffers, then the
    // outbox; after each, a volatile one is tried: it goes while nothing is left unsent,
    // and is dropped once something is. Half a megabyte at a time stays under the backlog
    // bound (1 MB) whatever the buffers hold, so the plain events are never refused.
    let filler = "x".repeat(512 * 1024);
    let mut expected = Vec::new();
    let dropped = (0..200).find(|&n| {
        socket.emit("fill", vec![n.into(), filler.as_str().into()]);
        expected.push(format!("fill {n}"));
        let sent = socket.volatile().emit("tick", vec![n.into()]);
        if sent {
            expected.push(format!("tick {n}"));
        }
        !sent
    });
    let dropped = dropped.expect("the buffers filled within 100 MB");
    socket.emit("after", vec![]);
    expected.push("after".to_string());

    // Now the client reads: everything sent, in order, and not the dropped tick.
    let received: Vec<String> = expected.iter().map(|_| event_of(&mut ws)).collect();
    assert_eq!(received, expected, "tick {dropped} was dropped");

    // Caught up, a volatile event goes again.
    assert!(wait_until(READ_TIMEOUT, || socket
        .volatile()
        .emit("tick", vec!["again".into()])));
    assert_eq!(event_of(&mut ws), "tick again");
}

/// The next event's name and first argument, as `name arg`.
fn event_of(ws: &mut Ws) -> String {
    let text = ws_read_text(ws);
    let json = text
        .strip_prefix("42")
        .unwrap_or_else(|| panic!("{text:.80}"));
    let data: serde_json::Value = serde_json::from_str(json).expect("the event's JSON");
    match (&data[0], &data[1]) {
        (serde_json::Value::String(name), serde_json::Value::Null) => name.clone(),
        (serde_json::Value::String(name), serde_json::Value::String(arg)) => {
            format!("{name} {arg}")
        }
        (serde_json::Value::String(name), arg) => format!("{name} {arg}"),
        _ => panic!("not an event: {text:.80}"),
    }
}

#[test]
fn a_volatile_broadcast_reaches_the_clients_that_can_take_it() {
    let io = Io::new();
    let server = serve(&io);
    let (mut ws, _) = joined(&io, server.addr());
    let (_polling, _) = Polling::joined(server.addr()); // no GET held: dropped for it
    assert_eq!(io.volatile().emit("tick", vec![1.into()]), 1);
    assert_eq!(ws_read_text(&mut ws), r#"42["tick",1]"#);
}

// --- broadcast acknowledgements -------------------------------------------------------------

/// The id the server asked with in `42<id>["q",…]`.
fn ack_id(event: &str) -> u64 {
    let digits: String = event[2..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("no ack id in {event:?}"))
}

#[test]
fn a_target_that_disconnects_is_not_waited_for_and_the_callback_runs_once() {
    let io = Io::new();
    let server = serve(&io);
    let (mut answers, _) = joined(&io, server.addr());
    let (mut leaves, _) = joined(&io, server.addr());
    let (tx, rx) = mpsc::channel::<BroadcastAckResult>();
    let timeout = Duration::from_millis(800);
    let started = Instant::now();
    let asked = io
        .timeout(timeout)
        .emit_with_ack("q", vec!["?".into()], move |outcome| {
            tx.send(outcome).unwrap()
        });
    assert_eq!(asked, 2);

    // Each socket counts its own ids: both clients are asked with their socket's first.
    let (first, second) = (ws_read_text(&mut answers), ws_read_text(&mut leaves));
    assert_eq!(
        (ack_id(&first), ack_id(&second)),
        (0, 0),
        "{first} {second}"
    );
    assert_eq!(first, r#"420["q","?"]"#);
    ws_send(&mut answers, r#"430["yes",1]"#);
    ws_send(&mut leaves, "41"); // leaves the namespace without answering

    let outcome = rx.recv_timeout(READ_TIMEOUT).expect("the callback ran");
    assert!(
        started.elapsed() < timeout,
        "it did not wait for the timeout"
    );
    assert_eq!(
        outcome,
        Err(BroadcastAckError::Disconnected {
            responses: vec![vec!["yes".into(), 1.into()]],
            disconnected: 1
        })
    );
    assert!(
        rx.recv_timeout(timeout).is_err(),
        "the callback ran a second time"
    );
}

#[test]
fn with_no_target_the_callback_runs_at_once_with_no_answers() {
    let io = Io::new();
    let ran = Arc::new(AtomicBool::new(false));
    let seen = Arc::clone(&ran);
    let asked = io
        .to("nobody")
        .timeout(Duration::from_secs(60))
        .emit_with_ack("q", vec![], move |outcome| {
            assert_eq!(outcome, Ok(vec![]));
            seen.store(true, Ordering::SeqCst);
        });
    assert_eq!(asked, 0);
    assert!(
        ran.load(Ordering::SeqCst),
        "the callback ran before emit returned"
    );
}

#[test]
fn without_a_timeout_no_answer_is_waited_for() {
    let io = Io::new();
    let server = serve(&io);
    let (mut ws, _) = joined(&io, server.addr());
    let (tx, rx) = mpsc::channel::<BroadcastAckResult>();
    io.sockets()
        .all()
        .emit_with_ack("q", vec![], move |outcome| tx.send(outcome).unwrap());
    assert_eq!(ws_read_text(&mut ws), r#"420["q"]"#);
    let outcome = rx.recv_timeout(READ_TIMEOUT).expect("the callback ran");
    assert_eq!(
        outcome,
        Err(BroadcastAckError::Timeout { responses: vec![] })
    );
}

// --- local ----------------------------------------------------------------------------------

#[test]
fn local_targets_exactly_what_the_plain_broadcast_does() {
    let io = Io::new();
    let server = serve(&io);
    let (mut red, red_socket) = joined(&io, server.addr());
    let (mut other, _) = joined(&io, server.addr());
    red_socket.join("red").unwrap();

    let ids = |sockets: ClusterResult<Vec<RemoteSocket>>| {
        let sockets = sockets.expect("a node alone has nobody else to ask");
        assert!(sockets.iter().all(|s| s.local().is_some()), "all are here");
        let mut ids: Vec<String> = sockets.iter().map(|s| s.id().to_string()).collect();
        ids.sort();
        ids
    };
    assert_eq!(ids(io.local().fetch_sockets()), ids(io.fetch_sockets()));
    assert_eq!(
        ids(io.to("red").local().fetch_sockets()),
        ids(io.to("red").fetch_sockets())
    );
    assert_eq!(io.local().emit("everyone", vec![]), 2);
    assert_eq!(io.to("red").local().emit("red-only", vec![]), 1);
    assert_eq!(
        io.sockets().local().except("red").emit("not-red", vec![]),
        1
    );
    assert_eq!(ws_read_text(&mut red), r#"42["everyone"]"#);
    assert_eq!(ws_read_text(&mut red), r#"42["red-only"]"#);
    assert_eq!(ws_read_text(&mut other), r#"42["everyone"]"#);
    assert_eq!(ws_read_text(&mut other), r#"42["not-red"]"#);
}

// --- server-side emits ----------------------------------------------------------------------

#[test]
fn server_side_emits_reach_no_handler_on_one_node_and_the_ack_form_answers_at_once() {
    let io = Io::new();
    let ran = Arc::new(AtomicBool::new(false));
    let handler_ran = Arc::clone(&ran);
    io.sockets().on_server_side_emit(move |_, _, _| {
        handler_ran.store(true, Ordering::SeqCst);
    });
    io.server_side_emit("hello", vec!["world".into()]);
    io.of("/chat").server_side_emit("hello", vec![]);

    let (tx, rx) = mpsc::channel::<BroadcastAckResult>();
    let other_nodes = tx.clone();
    io.server_side_emit_with_ack("ping", vec![], Duration::from_secs(60), move |answer| {
        other_nodes.send(answer).unwrap()
    });
    io.of("/chat").server_side_emit_with_ack(
        "ping",
        vec![],
        Duration::from_secs(60),
        move |answer| tx.send(answer).unwrap(),
    );
    // Both ran before they returned, with no responses: there is no other node.
    assert_eq!(rx.try_recv(), Ok(Ok(vec![])));
    assert_eq!(rx.try_recv(), Ok(Ok(vec![])));
    assert!(
        !ran.load(Ordering::SeqCst),
        "a server-side emit ran a local handler"
    );
}

#[test]
#[should_panic(expected = "reserved event name")]
fn a_server_side_emit_of_a_reserved_name_panics_as_the_reference_throws() {
    Io::new().server_side_emit("disconnect", vec![]);
}
