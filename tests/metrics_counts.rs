//! `GET /metrics` follows real traffic: Socket.IO clients over WebSocket (tungstenite) and
//! over long-polling (raw HTTP), a broadcast, an ack that times out, an upgrade, refusals —
//! and after each, the numbers the server reports moved by exactly what was done.
//!
//! The counters are process-wide (`src/metrics/counts.rs`), so the tests here take turns
//! (`SERIAL`) and compare before and after. The clients are tungstenite and hand-written
//! HTTP, never threadio's own client: its reads and writes would count in this process too.

mod common;

use std::net::{SocketAddr, TcpStream};
use std::sync::Mutex;
use std::time::Duration;

use common::{http, probe_websocket, ws_read_text, ws_send, Polling, Ws, READ_TIMEOUT, RS};
use threadio::http::{Router, RunningServer, Server, ServerConfig};
use threadio::metrics::Metrics;
use threadio::socketio::Io;
use threadio::websocket::WebSocketConfig;

/// One test at a time: they share the process's counters.
static SERIAL: Mutex<()> = Mutex::new(());

/// A server with `/metrics` and a namespace that joins, broadcasts and asks for acks.
fn start(config: ServerConfig) -> RunningServer {
    start_with_metrics(config).0
}

/// [`start`], and its `Metrics`, for reading without a connection of its own.
fn start_with_metrics(config: ServerConfig) -> (RunningServer, Metrics) {
    let server = Server::bind("127.0.0.1:0", config).expect("bind 127.0.0.1:0");
    let io = Io::new();
    io.of("/").on_connection(|socket| {
        socket.on("join", |socket, _args, ack| {
            socket.join("red").expect("one room is under the cap");
            ack.send(());
        });
        socket.on("chat", |socket, args, _ack| {
            socket.broadcast().emit("chat", args);
        });
        socket.on("ask", |socket, _args, _ack| {
            socket.emit_with_ack("question", (), Duration::from_secs(2), |_| {});
        });
        // `flood n`: n events of 256 KiB to everyone else, then the ack.
        socket.on("flood", |socket, args, ack| {
            let (count,): (u64,) = args.parse().expect("flood takes a count");
            let block = "x".repeat(256 * 1024);
            for _ in 0..count {
                socket.broadcast().emit("block", (block.as_str(),));
            }
            ack.send(());
        });
    });
    let mut app = Router::new();
    io.attach(&mut app);
    let metrics = Metrics::new().with_server(&server).with_io(&io);
    metrics.clone().attach(&mut app);
    (server.spawn(app).expect("start the server thread"), metrics)
}

/// The server's exposition, as Prometheus would scrape it.
fn scrape(addr: SocketAddr) -> String {
    let response = http(addr, "GET", "/metrics", &[], b"");
    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(
        response.header("Content-Type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    response.text().to_string()
}

/// The value of one series, `name{labels}` exactly as the text spells it.
fn value(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no series {series} in:\n{text}"))
        .parse()
        .expect("a number")
}

/// How much each series moved between two scrapes.
fn moved(before: &str, after: &str, series: &str) -> f64 {
    value(after, series) - value(before, series)
}

/// A Socket.IO client in "/" over a WebSocket: the open packet read, CONNECT answered.
fn sio_client(addr: SocketAddr) -> Ws {
    let stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    let url = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket");
    let (mut ws, _) = tungstenite::client(url, stream).expect("the WebSocket handshake");
    assert!(ws_read_text(&mut ws).starts_with("0{"), "the open packet");
    ws_send(&mut ws, "40");
    assert!(ws_read_text(&mut ws).starts_with("40{\"sid\":"), "CONNECT");
    ws
}

#[test]
fn websocket_traffic_moves_connections_sockets_rooms_messages_broadcasts_and_acks() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let server = start(ServerConfig::default());
    let addr = server.addr();
    let before = scrape(addr);

    let mut alice = sio_client(addr);
    let mut bob = sio_client(addr);
    let sent_by_clients = [
        "40",
        "421[\"join\"]",
        "40",
        "42[\"chat\",\"hi\"]",
        "42[\"ask\"]",
    ];
    ws_send(&mut alice, sent_by_clients[1]);
    assert_eq!(
        ws_read_text(&mut alice),
        "431[]",
        "the join is acknowledged"
    );
    ws_send(&mut bob, sent_by_clients[3]);
    assert_eq!(
        ws_read_text(&mut alice),
        "42[\"chat\",\"hi\"]",
        "the broadcast"
    );
    ws_send(&mut bob, sent_by_clients[4]);
    assert_eq!(
        ws_read_text(&mut bob),
        "420[\"question\"]",
        "the server asks"
    );
    let during = scrape(addr);

    let now = |series: &str| value(&during, series);
    assert_eq!(now("threadio_connections{kind=\"websocket\"}"), 2.0);
    assert_eq!(
        now("threadio_engineio_sessions{transport=\"websocket\"}"),
        2.0
    );
    assert_eq!(
        now("threadio_engineio_sessions{transport=\"polling\"}"),
        0.0
    );
    assert_eq!(now("threadio_socketio_sockets{namespace=\"/\"}"), 2.0);
    assert_eq!(now("threadio_socketio_rooms{namespace=\"/\"}"), 1.0, "red");
    assert_eq!(
        now("threadio_socketio_acks_pending"),
        1.0,
        "bob has not answered"
    );

    let delta = |series: &str| moved(&before, &during, series);
    assert_eq!(
        delta("threadio_connections_accepted_total"),
        3.0,
        "2 + the scrape"
    );
    let opened = "threadio_engineio_sessions_opened_total{transport=\"websocket\"}";
    assert_eq!(delta(opened), 2.0);
    let in_messages = "threadio_messages_received_total{transport=\"websocket\"}";
    assert_eq!(delta(in_messages), sent_by_clients.len() as f64);
    let in_bytes: usize = sent_by_clients.iter().map(|m| m.len()).sum();
    let in_bytes_series = "threadio_received_bytes_total{transport=\"websocket\"}";
    assert_eq!(delta(in_bytes_series), in_bytes as f64);
    // Each: the open packet and CONNECT's answer; alice the join's ack and the chat, bob
    // the question.
    let out_messages = "threadio_messages_sent_total{transport=\"websocket\"}";
    assert_eq!(delta(out_messages), 7.0);
    assert_eq!(delta("threadio_socketio_broadcasts_total"), 1.0);
    assert_eq!(delta("threadio_socketio_broadcast_deliveries_total"), 1.0);
    let fanout = "threadio_socketio_broadcast_fanout_seconds";
    assert_eq!(delta(&format!("{fanout}_count")), 1.0);
    assert_eq!(delta(&format!("{fanout}_bucket{{le=\"+Inf\"}}")), 1.0);
    assert!(delta(&format!("{fanout}_sum")) > 0.0);

    // Bob never answers: after 2 s (long enough that a loaded machine still scrapes it
    // pending first) the ack times out, and is pending no more.
    let timed_out = common::wait_until(READ_TIMEOUT, || {
        let after = scrape(addr);
        moved(&before, &after, "threadio_socketio_acks_timed_out_total") == 1.0
            && value(&after, "threadio_socketio_acks_pending") == 0.0
    });
    assert!(timed_out, "the ack timed out and left the pending gauge");

    drop((alice, bob));
    let gone = common::wait_until(READ_TIMEOUT, || {
        let after = scrape(addr);
        value(&after, "threadio_connections{kind=\"websocket\"}") == 0.0
            && value(&after, "threadio_socketio_sockets{namespace=\"/\"}") == 0.0
            && value(&after, "threadio_socketio_rooms{namespace=\"/\"}") == 0.0
    });
    assert!(gone, "the gauges follow the clients out:\n{}", scrape(addr));
}

#[test]
fn polling_upgrades_and_refusals_are_counted() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let server = start(ServerConfig::default());
    let addr = server.addr();
    let before = scrape(addr);

    let handshake = http(addr, "GET", "/socket.io/?EIO=4&transport=polling", &[], b"");
    let open: serde_json::Value =
        serde_json::from_str(handshake.text().strip_prefix('0').expect("open")).unwrap();
    let session = Polling {
        addr,
        sid: open["sid"].as_str().expect("a sid").to_string(),
    };
    let post = session.post("40");
    assert_eq!(post.text(), "ok");
    let answer = session.get();
    assert!(answer.text().starts_with("40{\"sid\":"), "{answer:?}");
    let during = scrape(addr);
    let delta = |series: &str| moved(&before, &during, series);
    assert_eq!(
        value(&during, "threadio_engineio_sessions{transport=\"polling\"}"),
        1.0
    );
    let opened = "threadio_engineio_sessions_opened_total{transport=\"polling\"}";
    assert_eq!(delta(opened), 1.0);
    let in_series = "threadio_messages_received_total{transport=\"polling\"}";
    assert_eq!(delta(in_series), 1.0, "the CONNECT");
    assert_eq!(
        delta("threadio_received_bytes_total{transport=\"polling\"}"),
        2.0
    );
    let packets_out = 1 + answer.text().split(RS).count();
    let out_series = "threadio_messages_sent_total{transport=\"polling\"}";
    assert_eq!(
        delta(out_series),
        packets_out as f64,
        "open packet, then CONNECT's answer"
    );
    assert_eq!(
        delta("threadio_sent_bytes_total{transport=\"polling\"}"),
        (handshake.body.len() + answer.body.len()) as f64
    );

    // The upgrade (Engine.IO v4 "Upgrade"): probe, then "5".
    let mut ws = probe_websocket(&session);
    ws_send(&mut ws, "5");
    let upgraded = common::wait_until(READ_TIMEOUT, || {
        let after = scrape(addr);
        moved(&before, &after, "threadio_engineio_upgrades_total") == 1.0
            && value(
                &after,
                "threadio_engineio_sessions{transport=\"websocket\"}",
            ) == 1.0
            && value(&after, "threadio_engineio_sessions{transport=\"polling\"}") == 0.0
    });
    assert!(upgraded, "the upgrade is counted:\n{}", scrape(addr));

    // Refusals, each at the one place its layer picks a status.
    let before = scrape(addr);
    let unknown = http(
        addr,
        "GET",
        "/socket.io/?EIO=4&transport=polling&sid=nope",
        &[],
        b"",
    );
    unknown.assert_engine_error(1, "Session ID unknown", "an unknown sid");
    let malformed = common::http_exchange(addr, b"GET / HTTP/1.1\r\n\r\n");
    assert_eq!(common::status_of(&malformed), 400, "no Host: {malformed}");
    let after = scrape(addr);
    let refused = |reason: &str| {
        moved(
            &before,
            &after,
            &format!("threadio_refused_total{{reason=\"{reason}\"}}"),
        )
    };
    assert_eq!(refused("unknown_session"), 1.0);
    assert_eq!(refused("bad_request"), 1.0);
    drop(ws);
}

#[test]
fn a_connection_past_the_cap_is_refused_and_counted() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (server, metrics) = start_with_metrics(ServerConfig {
        max_connections: 2,
        ..ServerConfig::default()
    });
    let addr = server.addr();
    let before = scrape(addr);
    // Two held WebSockets fill the cap; the scrape after them would be the third.
    let (held_a, held_b) = (sio_client(addr), sio_client(addr));
    let refused = common::http_exchange(addr, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(common::status_of(&refused), 503, "{refused}");
    let during = metrics.render(); // read in-process: a scrape now would be refused too
    let cap = "threadio_refused_total{reason=\"connection_cap\"}";
    assert_eq!(
        moved(&before, &during, cap),
        1.0,
        "the 503 at the cap is counted"
    );
    assert_eq!(
        value(&during, "threadio_connections{kind=\"websocket\"}"),
        2.0
    );
    drop((held_a, held_b));
    let freed = common::wait_until(READ_TIMEOUT, || {
        value(
            &metrics.render(),
            "threadio_connections{kind=\"websocket\"}",
        ) == 0.0
    });
    assert!(freed, "the slots are free again");
    assert_eq!(http(addr, "GET", "/metrics", &[], b"").status, 200);
    assert_eq!(
        value(&before, "threadio_connections_max"),
        2.0,
        "the cap itself is reported"
    );
}

#[test]
fn a_client_that_stops_reading_shows_as_backlog_then_as_a_slow_client_disconnect() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let server = start(ServerConfig {
        websocket: WebSocketConfig {
            max_backlog: 32 << 20,
            ..WebSocketConfig::default()
        },
        ..ServerConfig::default()
    });
    let addr = server.addr();
    let before = scrape(addr);
    let stalled = sio_client(addr); // connected, and never read again
    let mut sender = sio_client(addr);

    // 16 MiB to a client that reads nothing: the kernel's buffers take a few MiB on
    // loopback; the rest waits in its outbox, under the 32 MiB bound.
    ws_send(&mut sender, "421[\"flood\",64]");
    assert_eq!(
        ws_read_text(&mut sender),
        "431[]",
        "the flood was handed over"
    );
    let during = scrape(addr);
    let backlog = value(&during, "threadio_websocket_backlog_bytes");
    assert!(
        backlog > f64::from(1 << 20),
        "backlog {backlog}, expected MiBs"
    );
    let dropped = "threadio_slow_client_disconnects_total{reason=\"backlog\"}";
    assert_eq!(moved(&before, &during, dropped), 0.0, "under the bound");

    // 32 MiB more pass the bound: the next broadcast drops it (outbox.rs rule 3).
    ws_send(&mut sender, "422[\"flood\",128]");
    assert_eq!(
        ws_read_text(&mut sender),
        "432[]",
        "the second flood was handed over"
    );
    let counted = common::wait_until(READ_TIMEOUT, || {
        let after = scrape(addr);
        moved(&before, &after, dropped) == 1.0
            && value(&after, "threadio_websocket_backlog_bytes") == 0.0
            && value(&after, "threadio_connections{kind=\"websocket\"}") == 1.0
    });
    assert!(
        counted,
        "the slow client was counted and its backlog freed:\n{}",
        scrape(addr)
    );
    drop(stalled);
}
