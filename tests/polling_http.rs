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
    let io = Io::with_config(IoConfig {
        engine,
        ..IoConfig::default()
    });
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
            all.emit("shout", args);
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

/// A session that has ended: the next GET collects the close packet `1` (Engine.IO v4
/// "Protocol": the close packet), and from then on the sid is unknown (code 1).
fn expect_session_closed(session: &Polling, case: &str) {
    let last = session.get();
    assert_eq!((last.status, last.text()), (200, "1"), "{case}: {last:?}");
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
fn a_malformed_post_is_400_and_closes_the_session_with_parse_error() {
    let (server, _io, journal) = start_server(quiet());
    let bodies = [
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
fn a_client_that_vanishes_mid_poll_is_reaped_with_ping_timeout() {
    let (interval, timeout) = (Duration::from_millis(200), Duration::from_millis(200));
    let (server, io, journal) = start_server(EngineConfig {
        ping_interval: interval,
        ping_timeout: timeout,
        ..EngineConfig::default()
    });
    let opened = Instant::now();
    let (session, id) = Polling::joined(server.addr());
    assert_eq!(io.session_count(), 1);
    // The client's last act: a GET it never reads, on a connection it then drops.
    drop(session.start_get());
    let vanished = Instant::now();

    expect_disconnect(&journal, &id, "ping timeout");
    let (since_open, since_drop) = (opened.elapsed(), vanished.elapsed());
    println!(
        "reaped {since_drop:?} after the client vanished ({since_open:?} after the handshake)"
    );
    // The first ping is due pingInterval after the handshake, its pong pingTimeout later.
    assert!(
        since_open >= interval + timeout - Duration::from_millis(20),
        "closed after only {since_open:?}"
    );
    assert!(
        since_drop < (interval + timeout) * 5,
        "closed only {since_drop:?} after the client vanished"
    );
    assert!(
        wait_until(Duration::from_secs(10), || io.session_count() == 0),
        "the session is still in the table {:?} after the client vanished",
        vanished.elapsed()
    );
    println!(
        "session table empty {:?} after the client vanished",
        vanished.elapsed()
    );
    session
        .get()
        .assert_engine_error(1, "Session ID unknown", "a GET after the reaping");
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
fn cors_echoes_an_allowed_origin_with_credentials_and_answers_the_preflight() {
    let (server, _io, _) = start_server(EngineConfig {
        cors: Some(Cors {
            origins: vec!["http://app.example".into()],
            credentials: true,
        }),
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
