//! Engine.IO v4 over HTTP long-polling, byte for byte: hand-written HTTP/1.1 requests on
//! plain `TcpStream`s against `/socket.io/?EIO=4&transport=polling`, asserting the status,
//! the header fields and the exact payloads the server answers (protocol.md §2).
//!
//! ```text
//!  GET  …&transport=polling              → 0{"sid":"…","upgrades":["websocket"],…}
//!  POST …&sid=…   40                      → ok
//!  GET  …&sid=…                           → 40{"sid":"…"}      (held until there is one)
//!  POST …&sid=…   42["echo","a"]␞42["echo","b"]
//!  GET  …&sid=…                           → 42["echo","a"]␞42["echo","b"]
//! ```
//!
//! Where the spec leaves a choice, the expectation is the reference server's (the
//! `engine.io` package) or the issue's, and the test says which.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{
    assert_held, http, read_response, send_request, start, upgrade_request, wait_until, Journal,
    Polling, READ_TIMEOUT, RS,
};
use threadio::engineio::{Cors, EngineConfig};
use threadio::http::{Router, RunningServer};
use threadio::json::Value;
use threadio::socketio::{Io, IoConfig, Socket};

const HANDSHAKE: &str = "/socket.io/?EIO=4&transport=polling";

/// A server whose "/" echoes `echo`, describes the bytes of `bin` in a `got` event, answers
/// `download` with bytes and broadcasts `shout` to everyone. Each disconnect goes to the
/// journal as `/ <socket id> disconnect: <reason>`.
fn start_server(engine: EngineConfig) -> (RunningServer, Io, Arc<Journal>) {
    start_server_with(IoConfig {
        engine,
        ..IoConfig::default()
    })
}

/// [`start_server`] with Socket.IO's options too.
fn start_server_with(config: IoConfig) -> (RunningServer, Io, Arc<Journal>) {
    let io = Io::with_config(config);
    let journal = Arc::new(Journal::default());
    let (handlers_journal, all) = (Arc::clone(&journal), io.clone());
    io.of("/").on_connection(move |socket| {
        record_disconnect(socket, &handlers_journal);
        socket.on("echo", |socket, args, _| socket.emit("echo", args));
        socket.on("bin", |socket, args, _| {
            let bytes = args.first().and_then(Value::as_binary).unwrap_or_default();
            let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            socket.emit("got", vec![bytes.len().into(), hex.into()]);
        });
        socket.on("download", |socket, _, _| {
            socket.emit("file", vec![Value::binary([1, 2, 3])]);
        });
        let all = all.clone();
        socket.on("shout", move |_, args, _| {
            all.emit("shout", args.into_vec());
        });
    });
    let mut router = Router::new();
    io.attach(&mut router);
    (start(router), io, journal)
}

fn record_disconnect(socket: &Socket, journal: &Arc<Journal>) {
    let journal = Arc::clone(journal);
    socket.on_disconnect(move |socket, reason| {
        journal.write(format!("/ {} disconnect: {reason}", socket.id()));
    });
}

/// Waits for the journal line saying socket `id` disconnected with `reason`.
fn expect_disconnect(journal: &Journal, id: &str, reason: &str) {
    let line = format!("/ {id} disconnect: {reason}");
    assert!(
        journal.wait_for(&line, READ_TIMEOUT),
        "never saw {line:?}; the journal: {:#?}",
        journal.lines()
    );
}

/// A session ended by an error or by the client: its sid is gone at once, so the next GET
/// is told the sid is unknown (code 1), as the reference does. Only a session the server
/// closed keeps its sid a while, for a GET to collect its last packets.
fn expect_session_closed(session: &Polling, case: &str) {
    session
        .get()
        .assert_engine_error(1, "Session ID unknown", case);
}

/// Heartbeats that will not fire during a test: only the test's own packets answer a GET.
fn quiet() -> EngineConfig {
    EngineConfig {
        ping_interval: Duration::from_secs(10),
        ping_timeout: Duration::from_secs(5),
        ..EngineConfig::default()
    }
}

#[test]
fn the_handshake_is_the_open_packet_as_uncached_utf8_text() {
    let (server, _io, _) = start_server(EngineConfig::default());
    let response = http(server.addr(), "GET", HANDSHAKE, &[], b"");
    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(
        response.header("Content-Type"),
        Some("text/plain; charset=UTF-8")
    );
    assert_eq!(response.header("Cache-Control"), Some("no-store"));
    let json = response
        .text()
        .strip_prefix('0')
        .unwrap_or_else(|| panic!("not an open packet: {:?}", response.text()));
    let open: serde_json::Value = serde_json::from_str(json).expect("the open packet is JSON");
    let sid = open["sid"].as_str().expect("sid is a string");
    assert!(!sid.is_empty());
    assert_eq!(
        open,
        serde_json::json!({
            "sid": sid,
            "upgrades": ["websocket"],
            "pingInterval": 25000,
            "pingTimeout": 20000,
            "maxPayload": 1000000
        })
    );
    let (again, _) = Polling::open(server.addr());
    assert_ne!(again.sid, sid, "each handshake opens its own session");
}

#[test]
fn posted_packets_reach_the_handler_in_order_and_one_get_returns_them_all() {
    let (server, _io, _) = start_server(quiet());
    let (session, _) = Polling::open(server.addr());
    let post = session.post("40");
    assert_eq!((post.status, post.text()), (200, "ok"));
    assert_eq!(post.header("Cache-Control"), Some("no-store"));
    let answer = session.get();
    assert_eq!(
        answer.header("Content-Type"),
        Some("text/plain; charset=UTF-8")
    );
    let text = answer.text();
    assert!(
        text.starts_with(r#"40{"sid":""#) && text.ends_with(r#""}"#) && !text.contains(RS),
        "{text:?}"
    );

    let body = format!(r#"42["echo","a"]{RS}42["echo","b"]{RS}42["echo","c"]"#);
    let post = session.post(&body);
    assert_eq!((post.status, post.text()), (200, "ok"));
    // The POST is answered once its packets were handled, so all three echoes are queued
    // before this GET: one payload, in the order they were posted.
    let echoes = session.get();
    assert_eq!(echoes.text(), body, "{echoes:?}");
}

#[test]
fn binary_travels_as_b_and_base64_in_both_directions() {
    let (server, _io, _) = start_server(quiet());
    let (session, _) = Polling::joined(server.addr());
    // Socket.IO v5 BINARY_EVENT: the placeholder packet, then its attachment as `b` + base64
    // of 01 02 03 in the same payload (Engine.IO v4 "Packet encoding › HTTP long-polling").
    let upload = format!(r#"451-["bin",{{"_placeholder":true,"num":0}}]{RS}bAQID"#);
    let post = session.post(&upload);
    assert_eq!((post.status, post.text()), (200, "ok"));
    assert_eq!(session.get().text(), r#"42["got",3,"010203"]"#);

    let post = session.post(r#"42["download"]"#);
    assert_eq!((post.status, post.text()), (200, "ok"));
    assert_eq!(
        session.get().text(),
        format!(r#"451-["file",{{"_placeholder":true,"num":0}}]{RS}bAQID"#)
    );
}

#[test]
fn bad_queries_get_the_reference_json_errors() {
    let (server, _io, _) = start_server(EngineConfig::default());
    let addr = server.addr();
    http(
        addr,
        "GET",
        "/socket.io/?EIO=4&transport=carrier-pigeon",
        &[],
        b"",
    )
    .assert_engine_error(0, "Transport unknown", "an unknown transport");
    http(addr, "GET", "/socket.io/?EIO=4", &[], b"").assert_engine_error(
        0,
        "Transport unknown",
        "no transport",
    );
    let unknown = "/socket.io/?EIO=4&transport=polling&sid=nosuchsession";
    http(addr, "GET", unknown, &[], b"").assert_engine_error(
        1,
        "Session ID unknown",
        "a GET for an unknown sid",
    );
    http(addr, "POST", unknown, &[], b"40").assert_engine_error(
        1,
        "Session ID unknown",
        "a POST for an unknown sid",
    );
    http(addr, "POST", HANDSHAKE, &[], b"40").assert_engine_error(
        2,
        "Bad handshake method",
        "a handshake by POST",
    );
    http(addr, "GET", "/socket.io/?EIO=3&transport=polling", &[], b"").assert_engine_error(
        5,
        "Unsupported protocol version",
        "EIO=3",
    );
    http(addr, "GET", "/socket.io/?transport=polling", &[], b"").assert_engine_error(
        5,
        "Unsupported protocol version",
        "no EIO",
    );
}

#[test]
fn any_other_method_without_a_sid_is_a_bad_handshake_method_not_a_405() {
    // The reference checks the handshake's method itself (code 2); a router's 405 would
    // reach the client's connect_error as a bare status with no Engine.IO reason.
    let (server, _io, _) = start_server(EngineConfig::default());
    for method in ["PUT", "DELETE", "PATCH", "OPTIONS"] {
        http(server.addr(), method, HANDSHAKE, &[], b"").assert_engine_error(
            2,
            "Bad handshake method",
            &format!("a handshake by {method}"),
        );
    }
    // The transport is checked first, as in the reference.
    http(server.addr(), "PUT", "/socket.io/?EIO=4", &[], b"").assert_engine_error(
        0,
        "Transport unknown",
        "a PUT without a transport",
    );
    // With a sid, polling is GET and POST only.
    let (session, _) = Polling::open(server.addr());
    http(server.addr(), "PUT", &session.target(), &[], b"").assert_engine_error(
        3,
        "Bad request",
        "a PUT for a session",
    );
}

#[test]
fn a_polling_get_for_a_session_upgraded_to_websocket_is_400_bad_request() {
    let (server, _io, _) = start_server(quiet());
    let (session, _) = Polling::joined(server.addr());
    let mut ws = common::probe_websocket(&session);
    common::ws_send(&mut ws, "5");
    // The upgrade is done once the WebSocket carries what the session sends.
    common::ws_send(&mut ws, r#"42["echo","over websocket"]"#);
    assert_eq!(
        common::ws_read_text(&mut ws),
        r#"42["echo","over websocket"]"#
    );
    session
        .get()
        .assert_engine_error(3, "Bad request", "a GET after the upgrade");
    session.post(r#"42["echo","late"]"#).assert_engine_error(
        3,
        "Bad request",
        "a POST after the upgrade",
    );
}

#[test]
fn a_second_concurrent_get_is_400_and_closes_the_session() {
    let (server, _io, journal) = start_server(EngineConfig::default());
    let (session, id) = Polling::joined(server.addr());
    let mut first = session.start_get();
    assert_held(&mut first, Duration::from_millis(200), "the first GET");
    // Engine.IO v4 "Polling": one GET at a time; the reference answers an overlap with 400
    // and closes the session ("overlap from client" → "transport error").
    let second = session.get();
    assert_eq!(second.status, 400, "{second:?}");
    let first = read_response(&mut first);
    assert_eq!((first.status, first.text()), (200, "1"), "{first:?}");
    expect_disconnect(&journal, &id, "transport error");
    session
        .get()
        .assert_engine_error(1, "Session ID unknown", "a GET after the close");
}

#[test]
fn a_post_over_max_payload_is_413_and_closes_the_session() {
    let (server, _io, journal) = start_server(EngineConfig {
        max_payload: 1000,
        ..quiet()
    });
    let (session, open) = Polling::open(server.addr());
    assert_eq!(open["maxPayload"], 1000, "the limit is announced");
    let post = session.post("40");
    assert_eq!((post.status, post.text()), (200, "ok"));
    let id = session.next_connect_answer();

    // Exactly maxPayload bytes is allowed (the reference refuses `length > max`).
    let fits = format!(r#"42["echo","{}"]"#, "a".repeat(1000 - 13));
    assert_eq!(fits.len(), 1000);
    let post = session.post(&fits);
    assert_eq!((post.status, post.text()), (200, "ok"));
    assert_eq!(session.get().text(), fits);

    let too_big = format!(r#"42["echo","{}"]"#, "a".repeat(1001 - 13));
    let post = session.post(&too_big);
    assert_eq!(post.status, 413, "{post:?}");
    expect_disconnect(&journal, &id, "transport error");
    expect_session_closed(&session, "after the 413");
}

/// The attachments of one packet may add up to `max_attachment_bytes` (1,000,000 by default)
/// however many POSTs carry them: past it the session closes with "parse error", and only
/// that session (issue 10, finding 1: unfinished packets held their attachments for the life
/// of the session).
#[test]
fn attachments_past_max_attachment_bytes_across_posts_close_the_session() {
    let (server, _io, journal) = start_server(quiet());
    let (bystander, bystander_id) = Polling::joined(server.addr());
    let (session, id) = Polling::joined(server.addr());
    let header = r#"453-["bin",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1},{"_placeholder":true,"num":2}]"#;
    // 600,000 zero bytes: 800,000 `A`s in base64, unpadded (600,000 is a multiple of 3).
    let attachment = format!("b{}", "A".repeat(800_000));
    let post = session.post(&format!("{header}{RS}{attachment}"));
    assert_eq!((post.status, post.text()), (200, "ok"), "600,000 bytes fit");
    session.post(&attachment); // 1,200,000 bytes: over the limit
    expect_disconnect(&journal, &id, "parse error");
    expect_session_closed(&session, "after attachments past the limit");

    let post = bystander.post(r#"42["echo","still here"]"#);
    assert_eq!((post.status, post.text()), (200, "ok"));
    assert_eq!(bystander.get().text(), r#"42["echo","still here"]"#);
    let bystander_gone = format!("/ {bystander_id} disconnect:");
    assert!(
        !journal
            .lines()
            .iter()
            .any(|line| line.starts_with(&bystander_gone)),
        "{:#?}",
        journal.lines()
    );
}

#[test]
fn a_binary_packet_whose_attachments_stop_coming_over_polling_closes_after_the_timeout() {
    // Polling has no thread of its own to watch the deadline: the timer thread does, from
    // the deadline the POST that carried the header set.
    let (server, _io, journal) = start_server_with(IoConfig {
        engine: quiet(),
        attachment_timeout: Duration::from_millis(300),
        ..IoConfig::default()
    });
    let (session, id) = Polling::joined(server.addr());
    let header = r#"452-["bin",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#;
    let sent = Instant::now();
    let post = session.post(&format!("{header}{RS}bAQID"));
    assert_eq!((post.status, post.text()), (200, "ok"));
    expect_disconnect(&journal, &id, "parse error");
    assert!(
        sent.elapsed() >= Duration::from_millis(300),
        "closed before the timeout: {:?}",
        sent.elapsed()
    );
    expect_session_closed(&session, "after the attachment timeout");
}

#[test]
fn a_malformed_post_is_400_and_closes_the_session_with_parse_error() {
    let (server, _io, journal) = start_server(quiet());
    // The sid goes at once, as in the reference: no 5 s grace in which a GET would still get
    // a close packet (`expect_session_closed`).
    let bodies = [
        ("a body that is no payload at all", "abc".to_string()),
        ("a packet type that is not 0-6", "x".to_string()),
        ("bad base64", "b!!!".to_string()),
        ("a valid packet, then one that is not", format!("6{RS}9")),
        ("an empty part", format!(r#"42["echo","a"]{RS}"#)),
    ];
    for (case, body) in bodies {
        let (session, id) = Polling::joined(server.addr());
        let post = session.post(&body);
        post.assert_engine_error(3, "Bad request", case);
        expect_disconnect(&journal, &id, "parse error");
        expect_session_closed(&session, case);
    }
}

#[test]
fn the_clients_close_packet_answers_its_held_get_with_a_noop_and_ends_the_sid_at_once() {
    // The reference's polling transport answers a GET still held when the client closes
    // with a noop (the client is not waiting for a close packet: it sent one).
    let (server, io, journal) = start_server(quiet());
    let (session, id) = Polling::joined(server.addr());
    let mut held = session.start_get();
    assert_held(&mut held, Duration::from_millis(200), "the GET");
    let post = session.post("1");
    assert_eq!((post.status, post.text()), (200, "ok"));
    let released = read_response(&mut held);
    assert_eq!(
        (released.status, released.text()),
        (200, "6"),
        "{released:?}"
    );
    expect_disconnect(&journal, &id, "transport close");
    assert_eq!(io.session_count(), 0, "the sid outlived the client's close");
    expect_session_closed(&session, "a GET after the client's close");
}

#[test]
fn a_held_get_answers_within_milliseconds_of_an_emit() {
    // A ping every 10 s: only the emit can release the GET within the test.
    let (server, _io, _) = start_server(quiet());
    let (listener, _) = Polling::joined(server.addr());
    let (shouter, _) = Polling::joined(server.addr());
    let mut held = listener.start_get();
    assert_held(&mut held, Duration::from_millis(300), "the listener's GET");

    let emitted = Instant::now();
    let mut shout = send_request(
        server.addr(),
        "POST",
        &shouter.target(),
        &[],
        br#"42["shout","hi"]"#,
    );
    let answer = read_response(&mut held);
    let latency = emitted.elapsed();
    println!("held GET answered {latency:?} after the emitting POST was sent");
    assert_eq!((answer.status, answer.text()), (200, r#"42["shout","hi"]"#));
    assert!(
        latency < Duration::from_millis(500),
        "the held GET took {latency:?} to carry the emit"
    );
    let shout = read_response(&mut shout);
    assert_eq!((shout.status, shout.text()), (200, "ok"));
    assert_eq!(
        shouter.get().text(),
        r#"42["shout","hi"]"#,
        "io.emit reaches all"
    );
}

#[test]
fn a_client_that_stops_polling_is_reaped_with_ping_timeout() {
    let (interval, timeout) = (Duration::from_millis(200), Duration::from_millis(200));
    let (server, io, journal) = start_server(EngineConfig {
        ping_interval: interval,
        ping_timeout: timeout,
        ..EngineConfig::default()
    });
    let opened = Instant::now();
    let (session, id) = Polling::joined(server.addr());
    assert_eq!(io.session_count(), 1);
    // The client's last act was the GET that collected its CONNECT answer: from now on it
    // sends nothing, not even a FIN on a held GET, as a phone that lost its network.
    let vanished = Instant::now();

    expect_disconnect(&journal, &id, "ping timeout");
    let (since_open, since_vanished) = (opened.elapsed(), vanished.elapsed());
    println!("reaped {since_vanished:?} after the client went quiet ({since_open:?} after the handshake)");
    // The first ping is due pingInterval after the handshake, its pong pingTimeout later.
    assert!(
        since_open >= interval + timeout - Duration::from_millis(20),
        "closed after only {since_open:?}"
    );
    assert!(
        since_vanished < (interval + timeout) * 5,
        "closed only {since_vanished:?} after the client went quiet"
    );
    assert!(
        wait_until(Duration::from_secs(10), || io.session_count() == 0),
        "the session is still in the table {:?} after the client went quiet",
        vanished.elapsed()
    );
    session
        .get()
        .assert_engine_error(1, "Session ID unknown", "a GET after the reaping");
}

#[test]
fn a_held_get_whose_connection_closes_ends_the_session_with_transport_close() {
    // The heartbeat is far away: only the held GET's own look at its connection can notice
    // (the reference notices at once, from its socket's close event; we look every second).
    let (server, io, journal) = start_server(quiet());
    let (session, id) = Polling::joined(server.addr());
    drop(session.start_get()); // a GET held, then its connection closed (FIN)
    expect_disconnect(&journal, &id, "transport close");
    assert!(
        wait_until(READ_TIMEOUT, || io.session_count() == 0),
        "the session outlived its connection"
    );
    session.get().assert_engine_error(
        1,
        "Session ID unknown",
        "a GET after the connection of the held one closed",
    );
}

#[test]
fn a_message_for_a_held_get_whose_connection_closed_ends_the_session_rather_than_vanish() {
    // The sender's emit succeeds; the receiver's GET is held on a connection that has
    // closed. Writing the message into that dead connection would lose it while the session
    // went on as if delivered. Instead the session ends, so the client reconnects knowing
    // it was disconnected (and, with connection state recovery, gets the message back).
    let (server, io, journal) = start_server(quiet());
    let (session, id) = Polling::joined(server.addr());
    let held = session.start_get();
    assert_held(
        &mut held.try_clone().unwrap(),
        Duration::from_millis(200),
        "the GET",
    );
    held.shutdown(std::net::Shutdown::Both).unwrap();
    drop(held);
    io.of("/").emit("news", vec!["for nobody".into()]);
    expect_disconnect(&journal, &id, "transport close");
    let after = session.get();
    assert!(
        !after.text().contains("for nobody"),
        "the message surfaced on a session that was reported closed: {after:?}"
    );
    after.assert_engine_error(1, "Session ID unknown", "a GET after the end");
}

#[test]
fn a_post_during_the_close_grace_is_refused_with_code_1_not_swallowed() {
    // The server ended the session with no GET held: its last packets wait up to 5 s for a
    // GET to collect them. A POST in that time used to get `ok` while its packets went
    // nowhere; the client must learn that the session is gone.
    let (server, io, journal) = start_server(quiet());
    let (session, id) = Polling::joined(server.addr());
    io.of("/")
        .socket(&id)
        .expect("the socket is connected")
        .disconnect(true);
    expect_disconnect(&journal, &id, "server namespace disconnect");
    session.post("42[\"echo\",\"late\"]").assert_engine_error(
        1,
        "Session ID unknown",
        "a POST after the session ended",
    );
    // The last packets are still there for the GET: the DISCONNECT, then the close.
    let last = session.get_packets();
    assert_eq!(last, ["41"], "{last:?}");
}

#[test]
fn cors_is_off_by_default() {
    let (server, _io, _) = start_server(EngineConfig::default());
    let origin = [("Origin", "http://app.example")];
    let response = http(server.addr(), "GET", HANDSHAKE, &origin, b"");
    assert_eq!(response.status, 200);
    assert_eq!(response.header("Access-Control-Allow-Origin"), None);
    assert_eq!(response.header("Access-Control-Allow-Credentials"), None);
    let preflight = preflight(server.addr(), "http://app.example");
    assert_ne!(preflight.status, 204, "{preflight:?}");
    assert_eq!(preflight.header("Access-Control-Allow-Origin"), None);
}

/// An `OPTIONS` preflight, as a browser sends before a cross-origin POST.
fn preflight(addr: SocketAddr, origin: &str) -> common::HttpResponse {
    let headers = [
        ("Origin", origin),
        ("Access-Control-Request-Method", "POST"),
        (
            "Access-Control-Request-Headers",
            "content-type, x-requested-with",
        ),
    ];
    http(addr, "OPTIONS", HANDSHAKE, &headers, b"")
}

#[test]
fn cors_with_credentials_for_any_origin_is_refused_at_startup() {
    // Such a server would echo every page's origin with credentials: any site could act
    // with its users' cookies. It must not start, and must say why.
    let io = Io::with_config(IoConfig {
        engine: EngineConfig {
            cors: Some(Cors::any().with_credentials()),
            ..EngineConfig::default()
        },
        ..IoConfig::default()
    });
    let attach = std::panic::AssertUnwindSafe(move || io.attach(&mut Router::new()));
    let refused =
        std::panic::catch_unwind(attach).expect_err("attach must refuse the configuration");
    let message = refused
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(
        message.contains("refusing to start") && message.contains("list the allowed origins"),
        "{message:?}"
    );
    // Any origin without credentials is a sound configuration.
    let fine = Io::with_config(IoConfig {
        engine: EngineConfig {
            cors: Some(Cors::any()),
            ..EngineConfig::default()
        },
        ..IoConfig::default()
    });
    fine.attach(&mut Router::new());
}

#[test]
fn cors_echoes_an_allowed_origin_with_credentials_and_answers_the_preflight() {
    let (server, _io, _) = start_server(EngineConfig {
        cors: Some(Cors::allow(["http://app.example"]).with_credentials()),
        ..EngineConfig::default()
    });
    let addr = server.addr();
    let allowed = [("Origin", "http://app.example")];
    let response = http(addr, "GET", HANDSHAKE, &allowed, b"");
    assert_eq!(response.status, 200);
    assert!(response.text().starts_with("0{"), "{response:?}");
    assert_eq!(
        response.header("Access-Control-Allow-Origin"),
        Some("http://app.example")
    );
    assert_eq!(
        response.header("Access-Control-Allow-Credentials"),
        Some("true")
    );
    // The page must be able to read an error too, to report it.
    let refused = http(
        addr,
        "GET",
        "/socket.io/?EIO=4&transport=polling&sid=nosuchsession",
        &allowed,
        b"",
    );
    refused.assert_engine_error(1, "Session ID unknown", "an error, cross-origin");
    assert_eq!(
        refused.header("Access-Control-Allow-Origin"),
        Some("http://app.example")
    );

    let other = http(
        addr,
        "GET",
        HANDSHAKE,
        &[("Origin", "http://evil.example")],
        b"",
    );
    assert_eq!(
        other.status, 200,
        "CORS is the browser's check, not a refusal"
    );
    assert_eq!(other.header("Access-Control-Allow-Origin"), None);
    assert_eq!(other.header("Access-Control-Allow-Credentials"), None);

    let preflight = preflight(addr, "http://app.example");
    assert_eq!(preflight.status, 204, "{preflight:?}");
    let methods = preflight
        .header("Access-Control-Allow-Methods")
        .unwrap_or_else(|| panic!("no Access-Control-Allow-Methods: {preflight:?}"));
    let methods: Vec<&str> = methods.split(',').map(str::trim).collect();
    assert!(
        methods.contains(&"GET") && methods.contains(&"POST"),
        "{methods:?}"
    );
    assert_eq!(
        preflight.header("Access-Control-Allow-Headers"),
        Some("content-type, x-requested-with")
    );
    assert_eq!(
        preflight.header("Access-Control-Allow-Origin"),
        Some("http://app.example")
    );
    assert_eq!(
        preflight.header("Access-Control-Allow-Credentials"),
        Some("true")
    );
}

#[test]
fn cors_takes_an_origin_rule_and_sets_the_preflights_methods_headers_and_max_age() {
    let (server, _io, _) = start_server(EngineConfig {
        cors: Some(
            Cors::allow(["http://app.example"])
                .with_origin_check(|origin| origin.ends_with(".trusted.example"))
                .with_methods(["GET", "POST", "OPTIONS"])
                .with_allowed_headers(["content-type"])
                .with_max_age(Duration::from_secs(600)),
        ),
        ..EngineConfig::default()
    });
    let addr = server.addr();
    for (origin, allowed) in [
        ("http://app.example", true),
        ("https://eu.trusted.example", true),
        ("https://trusted.example.evil", false),
    ] {
        let response = http(addr, "GET", HANDSHAKE, &[("Origin", origin)], b"");
        let expected = allowed.then_some(origin);
        assert_eq!(
            response.header("Access-Control-Allow-Origin"),
            expected,
            "{origin}"
        );
    }
    let preflight = preflight(addr, "https://eu.trusted.example");
    assert_eq!(preflight.status, 204, "{preflight:?}");
    assert_eq!(
        preflight.header("Access-Control-Allow-Methods"),
        Some("GET, POST, OPTIONS")
    );
    assert_eq!(
        preflight.header("Access-Control-Allow-Headers"),
        Some("content-type"),
        "the configured list, not what the page asked for"
    );
    assert_eq!(preflight.header("Access-Control-Max-Age"), Some("600"));
}

#[test]
fn with_websocket_off_upgrades_are_refused_with_code_0_and_none_are_offered() {
    let (server, _io, _) = start_server(EngineConfig {
        websocket: false,
        ..EngineConfig::default()
    });
    upgrade_request(server.addr(), "/socket.io/?EIO=4&transport=websocket").assert_engine_error(
        0,
        "Transport unknown",
        "a WebSocket handshake",
    );
    let (session, open) = Polling::open(server.addr());
    assert_eq!(open["upgrades"], serde_json::json!([]));
    let target = format!("/socket.io/?EIO=4&transport=websocket&sid={}", session.sid);
    upgrade_request(server.addr(), &target).assert_engine_error(
        0,
        "Transport unknown",
        "an upgrade of a polling session",
    );
}

#[test]
fn with_polling_off_the_polling_handshake_is_refused_with_code_0() {
    let (server, _io, _) = start_server(EngineConfig {
        polling: false,
        ..EngineConfig::default()
    });
    http(server.addr(), "GET", HANDSHAKE, &[], b"").assert_engine_error(
        0,
        "Transport unknown",
        "a polling handshake",
    );
    let websocket = upgrade_request(server.addr(), "/socket.io/?EIO=4&transport=websocket");
    assert_eq!(
        websocket.status, 101,
        "WebSocket still opens: {websocket:?}"
    );
}

#[test]
fn with_allow_upgrades_off_none_are_offered_and_an_upgrade_is_refused() {
    let (server, _io, _) = start_server(EngineConfig {
        allow_upgrades: false,
        ..quiet()
    });
    let (session, open) = Polling::open(server.addr());
    assert_eq!(open["upgrades"], serde_json::json!([]));
    let target = format!("/socket.io/?EIO=4&transport=websocket&sid={}", session.sid);
    let refused = upgrade_request(server.addr(), &target);
    assert_eq!(refused.status, 400, "{refused:?}");
    // The session goes on polling.
    let post = session.post("40");
    assert_eq!((post.status, post.text()), (200, "ok"));
    session.next_connect_answer();
}

#[test]
fn past_max_sessions_a_handshake_of_either_transport_gets_503_and_a_place_frees_up_on_close() {
    // Sessions are not connections: all of these handshakes come over short connections that
    // are closed again at once, which is how 4 keep-alive connections once opened 200,000
    // sessions. Only `max_sessions` can stop that.
    let (server, _io, journal) = start_server(EngineConfig {
        max_sessions: 2,
        ..quiet()
    });
    let (first, id) = Polling::joined(server.addr());
    let (_second, _) = Polling::open(server.addr());
    let refused = http(server.addr(), "GET", HANDSHAKE, &[], b"");
    assert_eq!(refused.status, 503, "{refused:?}");
    assert_eq!(refused.header("Retry-After"), Some("1"));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(refused.text()).expect("a JSON body"),
        serde_json::json!({"code": 4, "message": "Too many sessions"})
    );
    let websocket = upgrade_request(server.addr(), "/socket.io/?EIO=4&transport=websocket");
    assert_eq!(
        websocket.status, 503,
        "refused before the 101: {websocket:?}"
    );

    // The client's close packet ends its session; once it is gone, its place is free.
    let post = first.post("1");
    assert_eq!((post.status, post.text()), (200, "ok"));
    expect_disconnect(&journal, &id, "transport close");
    expect_session_closed(&first, "the closed session");
    let again = http(server.addr(), "GET", HANDSHAKE, &[], b"");
    assert_eq!(again.status, 200, "{again:?}");
}

#[test]
fn allow_request_refuses_handshakes_and_upgrades_with_403_code_4_and_its_reason() {
    // A cookie check, as a Node app writes with `allowRequest`.
    let refusals = Arc::new(std::sync::Mutex::new(Vec::new()));
    let heard = Arc::clone(&refusals);
    let (server, _io, _) = start_server(
        quiet()
            .allow_request(|request| match request.header("Cookie") {
                Some("session=ok") => Ok(()),
                Some(_) => Err(String::new()),
                None => Err("log in first".to_string()),
            })
            .on_connection_error(move |refusal| heard.lock().unwrap().push(refusal.clone())),
    );
    let addr = server.addr();
    let anonymous = http(addr, "GET", HANDSHAKE, &[], b"");
    assert_eq!(anonymous.status, 403, "{anonymous:?}");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(anonymous.text()).unwrap(),
        serde_json::json!({"code": 4, "message": "log in first"})
    );
    // No reason given: the reference's own message.
    let wrong = http(addr, "GET", HANDSHAKE, &[("Cookie", "session=no")], b"");
    assert_eq!(
        (wrong.status, wrong.text()),
        (403, r#"{"code":4,"message":"Forbidden"}"#)
    );
    let websocket = upgrade_request(addr, "/socket.io/?EIO=4&transport=websocket");
    assert_eq!(
        websocket.status, 403,
        "a WebSocket handshake: {websocket:?}"
    );

    // Allowed: the session opens; an upgrade without the cookie is refused all the same.
    let allowed = http(addr, "GET", HANDSHAKE, &[("Cookie", "session=ok")], b"");
    assert_eq!(allowed.status, 200, "{allowed:?}");
    let open: serde_json::Value =
        serde_json::from_str(allowed.text().strip_prefix('0').unwrap()).unwrap();
    let upgrade = format!(
        "/socket.io/?EIO=4&transport=websocket&sid={}",
        open["sid"].as_str().unwrap()
    );
    assert_eq!(upgrade_request(addr, &upgrade).status, 403);

    // Every refusal reached on_connection_error, with what a log line needs.
    let refusals = refusals.lock().unwrap().clone();
    assert_eq!(refusals.len(), 4, "{refusals:#?}");
    assert_eq!(
        (
            refusals[0].code,
            refusals[0].message.as_str(),
            refusals[0].url.as_str()
        ),
        (4, "log in first", HANDSHAKE)
    );
    assert_eq!(refusals[0].method, threadio::http::Method::Get);
    assert!(refusals[0].peer.is_some_and(|p| p.ip().is_loopback()));
    assert_eq!(refusals[3].url, upgrade);
}

#[test]
fn on_connection_error_hears_every_refused_request_with_its_code() {
    let codes = Arc::new(std::sync::Mutex::new(Vec::new()));
    let heard = Arc::clone(&codes);
    let (server, _io, _) = start_server(quiet().on_connection_error(move |refusal| {
        heard
            .lock()
            .unwrap()
            .push((refusal.code, refusal.message.clone()));
    }));
    let addr = server.addr();
    http(addr, "GET", "/socket.io/?EIO=4&transport=pigeon", &[], b"");
    http(
        addr,
        "GET",
        "/socket.io/?EIO=4&transport=polling&sid=gone",
        &[],
        b"",
    );
    http(addr, "PUT", HANDSHAKE, &[], b"");
    http(addr, "GET", "/socket.io/?EIO=3&transport=polling", &[], b"");
    assert_eq!(
        *codes.lock().unwrap(),
        [
            (0, "Transport unknown".to_string()),
            (1, "Session ID unknown".to_string()),
            (2, "Bad handshake method".to_string()),
            (5, "Unsupported protocol version".to_string()),
        ]
    );
}

#[test]
fn the_cookie_option_and_header_hooks_add_fields_to_polling_answers() {
    use threadio::engineio::Cookie;
    let (server, _io, _) = start_server(
        EngineConfig {
            cookie: Some(Cookie::default()),
            ..quiet()
        }
        .initial_headers(|_request, headers| headers.set("X-First", "handshake only"))
        .headers(|request, headers| {
            headers.set("X-Every", request.method.as_str());
        }),
    );
    let handshake = http(server.addr(), "GET", HANDSHAKE, &[], b"");
    let open: serde_json::Value =
        serde_json::from_str(handshake.text().strip_prefix('0').unwrap()).unwrap();
    let sid = open["sid"].as_str().unwrap();
    // A load balancer reads this to keep the client's requests on this server.
    assert_eq!(
        handshake.header("Set-Cookie"),
        Some(format!("io={sid}; Path=/; HttpOnly; SameSite=Lax").as_str())
    );
    assert_eq!(handshake.header("X-First"), Some("handshake only"));
    assert_eq!(handshake.header("X-Every"), Some("GET"));

    let session = Polling {
        addr: server.addr(),
        sid: sid.to_string(),
    };
    let post = session.post("40");
    assert_eq!(post.header("X-Every"), Some("POST"));
    assert_eq!(
        post.header("X-First"),
        None,
        "initial_headers is for the handshake"
    );
    assert_eq!(post.header("Set-Cookie"), None);
}
