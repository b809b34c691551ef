//! Socket.IO v5 over Engine.IO v4, byte for byte: tungstenite as a raw WebSocket client
//! against `/socket.io/?EIO=4&transport=websocket`, sending the packets of the specs by hand
//! and asserting the exact text (and binary) frames the server answers.
//!
//! Where the spec leaves a choice, the expectation is what the reference server does:
//! a packet for a namespace the client never joined closes the connection, and so does
//! anything that does not parse. Bad input must close only the connection that sent it.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{start, tcp, Journal, READ_TIMEOUT};
use threadio::engineio::EngineConfig;
use threadio::http::{Router, RunningServer};
use threadio::json::Value;
use threadio::socketio::{Io, IoConfig, Socket};
use tungstenite::Message;

type Ws = tungstenite::WebSocket<TcpStream>;

/// A server whose "/" echoes `chat`, acks `x`, disconnects the whole client on `kick-all`,
/// describes an `upload` and answers `download` with bytes; "/admin" acks `x` too. Each disconnect goes to the journal with its reason.
fn start_server(config: IoConfig) -> (RunningServer, Io, Arc<Journal>) {
    let io = Io::with_config(config);
    let journal = Arc::new(Journal::default());
    let main_journal = Arc::clone(&journal);
    io.of("/").on_connection(move |socket| {
        record_disconnect(socket, &main_journal);
        socket.on("chat", |socket, args, _| socket.emit("chat", args));
        socket.on("x", |_, _, ack| ack.send(vec!["ok".into()]));
        socket.on("kick-all", |socket, _, _| socket.disconnect(true));
        socket.on("upload", |socket, args, _| {
            let bytes = args.first().and_then(Value::as_binary).unwrap_or_default();
            let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            socket.emit("got", vec![bytes.len().into(), hex.into()]);
        });
        socket.on("download", |socket, _, _| {
            let file =
                Value::object([("name", "a.bin".into()), ("data", Value::binary([1, 2, 3]))]);
            socket.emit("file", vec![file]);
        });
    });
    let admin_journal = Arc::clone(&journal);
    io.of("/admin").on_connection(move |socket| {
        record_disconnect(socket, &admin_journal);
        socket.on("x", |_, _, ack| ack.send(vec!["admin ok".into()]));
    });
    let mut router = Router::new();
    io.attach(&mut router);
    (start(router), io, journal)
}

fn record_disconnect(socket: &Socket, journal: &Arc<Journal>) {
    let journal = Arc::clone(journal);
    socket.on_disconnect(move |socket, reason| {
        journal.write(format!(
            "{} {} disconnect: {reason}",
            socket.namespace().name(),
            socket.id()
        ));
    });
}

/// Opens an Engine.IO session over WebSocket; returns it and the open packet's text.
fn open(addr: SocketAddr) -> (Ws, String) {
    let stream = tcp(addr);
    let url = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket");
    let (mut ws, response) = tungstenite::client(url, stream).expect("WebSocket handshake");
    assert_eq!(response.status().as_u16(), 101);
    let open = read_text(&mut ws);
    (ws, open)
}

/// A session that has joined "/": returns it and its socket id.
fn join_main(addr: SocketAddr) -> (Ws, String) {
    let (mut ws, _) = open(addr);
    send(&mut ws, "40");
    let answer = read_text(&mut ws);
    let sid = answer
        .strip_prefix("40{\"sid\":\"")
        .and_then(|rest| rest.strip_suffix("\"}"))
        .unwrap_or_else(|| panic!("not a CONNECT answer: {answer:?}"));
    let sid = sid.to_string();
    (ws, sid)
}

fn send(ws: &mut Ws, text: &str) {
    ws.send(Message::text(text)).expect("send a text frame");
}

/// The next text frame (WebSocket pings and pongs are skipped: tungstenite answers them).
fn read_text(ws: &mut Ws) -> String {
    match read_data(ws) {
        Message::Text(text) => text.as_str().to_string(),
        other => panic!("expected a text frame, got {other:?}"),
    }
}

/// The next binary frame.
fn read_binary(ws: &mut Ws) -> Vec<u8> {
    match read_data(ws) {
        Message::Binary(bytes) => bytes.to_vec(),
        other => panic!("expected a binary frame, got {other:?}"),
    }
}

fn read_data(ws: &mut Ws) -> Message {
    loop {
        match ws.read().expect("read a frame") {
            Message::Ping(_) | Message::Pong(_) => continue,
            message => return message,
        }
    }
}

/// Asserts that the server ends the connection (a close frame, or TCP closing) and sends
/// nothing else first. A read timeout means it kept the connection open.
fn expect_closed(ws: &mut Ws, case: &str) {
    loop {
        match ws.read() {
            Ok(Message::Close(_) | Message::Ping(_) | Message::Pong(_)) => continue,
            Ok(other) => panic!("{case}: got {other:?} where the connection should close"),
            Err(tungstenite::Error::Io(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                panic!("{case}: the server kept the connection open")
            }
            Err(_) => return, // ConnectionClosed, a reset: either way it is gone
        }
    }
}

/// `socket.disconnect(true)`: a DISCONNECT to every namespace of the client, then the
/// connection itself closes — the client does not have to close it (socket.io-client would
/// anyway, once its last namespace is gone, so only the wire shows the server doing it).
#[test]
fn disconnect_with_close_sends_each_namespace_its_disconnect_then_closes_the_connection() {
    let (server, io, journal) = start_server(IoConfig::default());
    let (mut ws, main_sid) = join_main(server.addr());
    send(&mut ws, "40/admin,");
    let answer = read_text(&mut ws);
    let admin_sid = answer
        .strip_prefix("40/admin,{\"sid\":\"")
        .and_then(|rest| rest.strip_suffix("\"}"))
        .unwrap_or_else(|| panic!("not a CONNECT answer: {answer:?}"))
        .to_string();
    send(&mut ws, r#"42["kick-all"]"#);
    let mut disconnects = vec![read_text(&mut ws), read_text(&mut ws)];
    disconnects.sort();
    assert_eq!(disconnects, ["41", "41/admin,"]);
    ws.get_mut()
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    expect_closed(&mut ws, "after disconnect(true)");
    for line in [
        format!("/ {main_sid} disconnect: server namespace disconnect"),
        format!("/admin {admin_sid} disconnect: server namespace disconnect"),
    ] {
        assert!(
            journal.wait_for(&line, READ_TIMEOUT),
            "{line:?} in {:?}",
            journal.lines()
        );
    }
    let deadline = Instant::now() + READ_TIMEOUT;
    while io.session_count() > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(io.session_count(), 0, "the Engine.IO session is gone too");
}

#[test]
fn the_open_packet_has_the_reference_fields_in_order_and_no_upgrades() {
    let (server, _io, _) = start_server(IoConfig::default());
    let (_ws, open) = open(server.addr());
    let json = open
        .strip_prefix('0')
        .unwrap_or_else(|| panic!("not an open packet: {open:?}"));
    let handshake: serde_json::Value = serde_json::from_str(json).expect("the open packet is JSON");
    let sid = handshake["sid"].as_str().expect("sid is a string");
    assert!(!sid.is_empty());
    assert_eq!(handshake["upgrades"], serde_json::json!([]));
    assert_eq!(handshake["pingInterval"], 25000);
    assert_eq!(handshake["pingTimeout"], 20000);
    assert_eq!(handshake["maxPayload"], 1000000);
    assert_eq!(handshake.as_object().map(|o| o.len()), Some(5), "{open}");
    let expected = format!(
        r#"0{{"sid":"{sid}","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}}"#
    );
    assert_eq!(open, expected, "the reference server's key order");
}

#[test]
fn connect_answers_a_socket_id_per_namespace_and_refuses_an_unknown_one() {
    let (server, _io, _) = start_server(IoConfig::default());
    let (mut ws, open) = open(server.addr());
    send(&mut ws, "40");
    let main = read_text(&mut ws);
    assert!(
        main.starts_with(r#"40{"sid":""#) && main.ends_with(r#""}"#),
        "{main}"
    );
    assert!(
        !open.contains(&main[9..main.len() - 2]),
        "the socket id must not be the Engine.IO sid"
    );
    send(&mut ws, "40/admin,");
    let admin = read_text(&mut ws);
    assert!(
        admin.starts_with(r#"40/admin,{"sid":""#) && admin.ends_with(r#""}"#),
        "{admin}"
    );
    assert_ne!(
        main[9..],
        admin[16..],
        "each namespace gives its own socket id"
    );
    send(&mut ws, "40/nope,");
    assert_eq!(
        read_text(&mut ws),
        r#"44/nope,{"message":"Invalid namespace"}"#
    );
    // A refused CONNECT leaves the connection and its namespaces as they were.
    send(&mut ws, r#"42["chat","hi"]"#);
    assert_eq!(read_text(&mut ws), r#"42["chat","hi"]"#);
}

#[test]
fn an_event_is_echoed_exactly_and_acks_carry_their_id_and_namespace() {
    let (server, _io, _) = start_server(IoConfig::default());
    let (mut ws, _) = join_main(server.addr());
    send(&mut ws, r#"42["chat","hi"]"#);
    assert_eq!(read_text(&mut ws), r#"42["chat","hi"]"#);
    send(&mut ws, r#"42["chat",{"a":[1,2.5,null,true]},"é😀\n"]"#);
    assert_eq!(
        read_text(&mut ws),
        r#"42["chat",{"a":[1,2.5,null,true]},"é😀\n"]"#
    );
    send(&mut ws, r#"421["x"]"#);
    assert_eq!(read_text(&mut ws), r#"431["ok"]"#);
    send(&mut ws, r#"4212345["x"]"#);
    assert_eq!(read_text(&mut ws), r#"4312345["ok"]"#);
    send(&mut ws, "40/admin,");
    assert!(read_text(&mut ws).starts_with("40/admin,"));
    send(&mut ws, r#"42/admin,7["x"]"#);
    assert_eq!(read_text(&mut ws), r#"43/admin,7["admin ok"]"#);
}

#[test]
fn a_binary_event_reaches_the_handler_as_bytes() {
    let (server, _io, _) = start_server(IoConfig::default());
    let (mut ws, _) = join_main(server.addr());
    send(&mut ws, r#"451-["upload",{"_placeholder":true,"num":0}]"#);
    ws.send(Message::binary(vec![0x01, 0x02, 0xff])).unwrap();
    assert_eq!(read_text(&mut ws), r#"42["got",3,"0102ff"]"#);
}

#[test]
fn a_server_binary_emit_is_a_placeholder_packet_then_the_binary_frame() {
    let (server, _io, _) = start_server(IoConfig::default());
    let (mut ws, _) = join_main(server.addr());
    send(&mut ws, r#"42["download"]"#);
    assert_eq!(
        read_text(&mut ws),
        r#"451-["file",{"name":"a.bin","data":{"_placeholder":true,"num":0}}]"#
    );
    assert_eq!(read_binary(&mut ws), [1, 2, 3]);
}

#[test]
fn the_server_pings_every_interval_and_closes_after_ping_timeout_without_a_pong() {
    let (interval, timeout) = (Duration::from_millis(200), Duration::from_millis(300));
    let config = IoConfig {
        engine: EngineConfig {
            ping_interval: interval,
            ping_timeout: timeout,
            ..EngineConfig::default()
        },
        ..IoConfig::default()
    };
    let (server, _io, journal) = start_server(config);
    let (mut ws, sid) = join_main(server.addr());
    let mut answered = Instant::now();
    for ping in 1..=3 {
        assert_eq!(read_text(&mut ws), "2", "ping {ping}");
        let waited = answered.elapsed();
        // The next ping is pingInterval after the last pong (or after the open packet).
        assert!(
            waited >= interval - Duration::from_millis(20),
            "ping {ping} after {waited:?}"
        );
        send(&mut ws, "3");
        answered = Instant::now();
    }
    assert_eq!(read_text(&mut ws), "2", "the fourth ping, left unanswered");
    let pinged = Instant::now();
    expect_closed(&mut ws, "no pong");
    let waited = pinged.elapsed();
    drop(ws);
    assert!(
        waited >= timeout - Duration::from_millis(20),
        "closed {waited:?} after the ping"
    );
    assert!(
        waited < timeout * 5,
        "closed only {waited:?} after the ping"
    );
    let line = format!("/ {sid} disconnect: ping timeout");
    assert!(
        journal.wait_for(&line, READ_TIMEOUT),
        "{:#?}",
        journal.lines()
    );
}

/// Sends a raw HTTP request; returns the status and the body (by Content-Length).
fn http_request(addr: SocketAddr, request: &str) -> (u16, String) {
    let mut stream = tcp(addr);
    stream.write_all(request.as_bytes()).unwrap();
    let head = common::read_head(&mut stream);
    let length = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())?
        })
        .unwrap_or_else(|| panic!("no Content-Length in {head}"));
    let mut body = vec![0; length];
    stream.read_exact(&mut body).expect("the body");
    (
        common::status_of(&head),
        String::from_utf8(body).expect("a UTF-8 body"),
    )
}

#[test]
fn eio_3_is_refused_with_code_5_and_an_unknown_transport_with_code_0() {
    let (server, _io, _) = start_server(IoConfig::default());
    let upgrade = |query: &str| {
        format!(
            "GET /socket.io/?{query} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
    };
    let plain = |query: &str| format!("GET /socket.io/?{query} HTTP/1.1\r\nHost: x\r\n\r\n");
    let unsupported = (
        400,
        r#"{"code":5,"message":"Unsupported protocol version"}"#.to_string(),
    );
    let unknown_transport = (
        400,
        r#"{"code":0,"message":"Transport unknown"}"#.to_string(),
    );
    let bad_request = (400, r#"{"code":3,"message":"Bad request"}"#.to_string());
    let unknown_sid = (
        400,
        r#"{"code":1,"message":"Session ID unknown"}"#.to_string(),
    );
    let cases = [
        (upgrade("EIO=3&transport=websocket"), &unsupported),
        (plain("EIO=3&transport=polling"), &unsupported),
        (
            plain("EIO=4&transport=polling&sid=nosuchsession"),
            &unknown_sid,
        ),
        (plain("EIO=4&transport=carrier-pigeon"), &unknown_transport),
        // transport=websocket without the Upgrade: the reference's TRANSPORT_HANDSHAKE_ERROR
        (plain("EIO=4&transport=websocket"), &bad_request),
    ];
    for (request, expected) in cases {
        let first_line = request.lines().next().unwrap_or_default().to_string();
        assert_eq!(
            &http_request(server.addr(), &request),
            expected,
            "{first_line}"
        );
    }
}

/// One way to misbehave: the frames a client sends after joining "/", and the reason its
/// socket is then disconnected with.
struct BadInput {
    case: &'static str,
    frames: Vec<Message>,
    reason: &'static str,
}

/// Input that does not parse: "parse error" (the Socket.IO docs: "the server has received
/// an invalid packet from the client").
fn bad(case: &'static str, text: String) -> BadInput {
    BadInput {
        case,
        frames: vec![Message::text(text)],
        reason: "parse error",
    }
}

/// A packet that parses but makes no sense in this state: the reference closes the
/// connection from the server's side.
fn out_of_place(case: &'static str, text: &str) -> BadInput {
    BadInput {
        case,
        frames: vec![Message::text(text)],
        reason: "forced close",
    }
}

fn bad_inputs() -> Vec<BadInput> {
    let placeholders = |n: usize| -> String {
        let list: Vec<String> = (0..n)
            .map(|i| format!(r#"{{"_placeholder":true,"num":{i}}}"#))
            .collect();
        list.join(",")
    };
    vec![
        bad("an unknown Socket.IO packet type", "4x".into()),
        bad(
            "an event whose data is an object",
            r#"42{"not":"array"}"#.into(),
        ),
        bad("an event whose JSON stops short", "42[1".into()),
        bad("an event with no name", "42[]".into()),
        bad(
            "an event with a reserved name",
            r#"42["disconnect"]"#.into(),
        ),
        bad("1000 unclosed brackets", format!("42[{}", "[".repeat(1000))),
        bad(
            "JSON nested 1000 deep",
            format!(r#"42["chat",{}{}]"#, "[".repeat(1000), "]".repeat(1000)),
        ),
        bad("Engine.IO packet type 7", "7".into()),
        bad("Engine.IO packet type 9", "9".into()),
        out_of_place("an event for a namespace never joined", r#"42/nope,["x"]"#),
        out_of_place("a second CONNECT to /", "40"),
        bad(
            "99 attachments announced",
            format!(r#"4599-["x",{}]"#, placeholders(99)),
        ),
        bad(
            "11 attachments announced",
            format!(r#"4511-["x",{}]"#, placeholders(11)),
        ),
        BadInput {
            case: "a binary frame with no packet awaiting it",
            frames: vec![Message::binary(vec![1, 2, 3])],
            reason: "parse error",
        },
        BadInput {
            // Issue 10, finding 1: attachments held back for a packet that never completes.
            case: "attachments over max_attachment_bytes (1,000,000) in all",
            frames: vec![
                Message::text(format!(r#"453-["upload",{}]"#, placeholders(3))),
                Message::binary(vec![0; 600_000]),
                Message::binary(vec![0; 600_000]),
            ],
            reason: "parse error",
        },
        BadInput {
            case: "a text packet while an attachment is awaited",
            frames: vec![
                Message::text(r#"451-["upload",{"_placeholder":true,"num":0}]"#),
                Message::text(r#"42["chat","too soon"]"#),
            ],
            reason: "parse error",
        },
    ]
}

#[test]
fn bad_input_closes_only_the_connection_that_sent_it() {
    let (server, _io, journal) = start_server(IoConfig::default());
    let (mut bystander, bystander_sid) = join_main(server.addr());
    for (n, input) in bad_inputs().into_iter().enumerate() {
        let (mut ws, sid) = join_main(server.addr());
        for frame in input.frames {
            ws.send(frame)
                .unwrap_or_else(|e| panic!("{}: send: {e}", input.case));
        }
        expect_closed(&mut ws, input.case);
        // Our half of TCP too, as a browser would: the server reads until then (up to its
        // close timeout) before its disconnect handlers run.
        drop(ws);
        let gone = format!("/ {sid} disconnect: {}", input.reason);
        assert!(
            journal.wait_for(&gone, READ_TIMEOUT),
            "{}: {:#?}",
            input.case,
            journal.lines()
        );

        let chat = format!(r#"42["chat","still here after case {n}"]"#);
        send(&mut bystander, &chat);
        assert_eq!(
            read_text(&mut bystander),
            chat,
            "the bystander after: {}",
            input.case
        );
    }
    let bystander_gone = format!("/ {bystander_sid} disconnect:");
    assert!(
        !journal
            .lines()
            .iter()
            .any(|line| line.starts_with(&bystander_gone)),
        "{:#?}",
        journal.lines()
    );
}

/// A binary packet whose attachments stop coming is held no longer than `attachment_timeout`
/// from its header: the session closes with "parse error" (the packet never became one), not
/// before, and the other clients go on (issue 10, finding 1).
#[test]
fn a_binary_packet_whose_attachments_stop_coming_closes_its_session_after_the_timeout() {
    let timeout = Duration::from_millis(300);
    let (server, _io, journal) = start_server(IoConfig {
        attachment_timeout: timeout,
        ..IoConfig::default()
    });
    let (mut bystander, bystander_sid) = join_main(server.addr());
    let (mut ws, sid) = join_main(server.addr());
    let started = Instant::now();
    send(
        &mut ws,
        r#"452-["upload",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
    );
    ws.send(Message::binary(vec![1, 2, 3])).unwrap();
    expect_closed(&mut ws, "the second attachment never came");
    let waited = started.elapsed();
    drop(ws);
    assert!(
        waited >= timeout - Duration::from_millis(20),
        "closed {waited:?} after the header, before the timeout"
    );
    let gone = format!("/ {sid} disconnect: parse error");
    assert!(
        journal.wait_for(&gone, READ_TIMEOUT),
        "{:#?}",
        journal.lines()
    );
    send(&mut bystander, r#"42["chat","still here"]"#);
    assert_eq!(read_text(&mut bystander), r#"42["chat","still here"]"#);
    let bystander_gone = format!("/ {bystander_sid} disconnect:");
    assert!(
        !journal
            .lines()
            .iter()
            .any(|line| line.starts_with(&bystander_gone)),
        "{:#?}",
        journal.lines()
    );
}

/// The attachment timeout is for a packet still waiting: once its last attachment is in,
/// the session may stay quiet as long as it likes.
#[test]
fn a_completed_binary_packet_leaves_no_attachment_deadline_behind() {
    let timeout = Duration::from_millis(200);
    let (server, _io, journal) = start_server(IoConfig {
        attachment_timeout: timeout,
        ..IoConfig::default()
    });
    let (mut ws, sid) = join_main(server.addr());
    send(&mut ws, r#"451-["upload",{"_placeholder":true,"num":0}]"#);
    ws.send(Message::binary(vec![0x01, 0x02, 0xff])).unwrap();
    assert_eq!(read_text(&mut ws), r#"42["got",3,"0102ff"]"#);
    // Quiet for three timeouts: nothing is pending, so nothing may close the session.
    std::thread::sleep(timeout * 3);
    send(&mut ws, r#"42["chat","still open"]"#);
    assert_eq!(read_text(&mut ws), r#"42["chat","still open"]"#);
    assert!(journal.lines().is_empty(), "{:#?}", journal.lines());
    drop(sid);
}
