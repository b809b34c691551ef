//! A silent or stalling peer never holds a thread forever: `recv` pings a peer that says
//! nothing and drops it if it stays silent; a frame, once begun, has one deadline; and our
//! own closing handshake gives up on a peer that never answers it.

mod common;

use std::io::Write;
use std::time::{Duration, Instant};

use common::{
    assert_closed_by_server, client_frame, echo_router, raw_websocket, read_frame, start_with,
};
use threadio::http::{Router, ServerConfig};
use threadio::websocket::{CloseCode, WebSocketConfig};

fn quick(websocket: WebSocketConfig) -> ServerConfig {
    ServerConfig {
        websocket,
        ..ServerConfig::default()
    }
}

#[test]
fn a_peer_that_never_answers_the_keepalive_ping_is_dropped() {
    let config = quick(WebSocketConfig {
        keepalive: Some(Duration::from_millis(200)),
        ..WebSocketConfig::default()
    });
    let server = start_with(config, echo_router());
    let mut ws = raw_websocket(server.addr(), "/echo");
    let started = Instant::now();
    let (first_byte, _) = read_frame(&mut ws).expect("the server pings an idle peer");
    assert_eq!(first_byte, 0x89, "a ping frame (RFC 6455 §5.5.2)");
    assert_closed_by_server(&mut ws);
    assert_between(started, Duration::from_millis(380), Duration::from_secs(5));
}

#[test]
fn a_peer_that_answers_the_keepalive_ping_stays() {
    let config = quick(WebSocketConfig {
        keepalive: Some(Duration::from_millis(100)),
        ..WebSocketConfig::default()
    });
    let server = start_with(config, echo_router());
    let mut ws = raw_websocket(server.addr(), "/echo");
    for _ in 0..3 {
        let (first_byte, payload) = read_frame(&mut ws).expect("a ping");
        assert_eq!(first_byte, 0x89);
        ws.write_all(&client_frame(0x8A, &payload)).unwrap(); // the pong
    }
    ws.write_all(&client_frame(0x81, b"still here")).unwrap();
    loop {
        let (first_byte, payload) = read_frame(&mut ws).expect("the echo");
        if first_byte == 0x81 {
            assert_eq!(payload, b"still here");
            break;
        }
    }
}

#[test]
fn a_frame_that_stalls_half_way_is_dropped_after_the_stall_timeout() {
    let config = quick(WebSocketConfig {
        keepalive: Some(Duration::from_secs(60)),
        stall_timeout: Duration::from_millis(300),
        ..WebSocketConfig::default()
    });
    let server = start_with(config, echo_router());
    let mut ws = raw_websocket(server.addr(), "/echo");
    let frame = client_frame(0x81, b"0123456789");
    ws.write_all(&frame[..8]).unwrap(); // header, key and 2 of 10 payload bytes
    let started = Instant::now();
    assert_closed_by_server(&mut ws);
    assert_between(started, Duration::from_millis(280), Duration::from_secs(5));
}

/// A drop that comes neither before the timeout it waits for nor long after it.
fn assert_between(started: Instant, at_least: Duration, below: Duration) {
    let took = started.elapsed();
    assert!(took >= at_least, "dropped early, after {took:?}");
    assert!(took < below, "dropped late, after {took:?}");
}

#[test]
fn our_close_gives_up_on_a_peer_that_keeps_talking_instead_of_answering() {
    let config = quick(WebSocketConfig {
        close_timeout: Duration::from_millis(300),
        ..WebSocketConfig::default()
    });
    let mut app = Router::new();
    app.websocket("/bye", |mut ws| ws.close(CloseCode::Normal, "bye"));
    let server = start_with(config, app);
    let mut ws = raw_websocket(server.addr(), "/bye");
    let started = Instant::now();
    // Never answer the close; keep sending messages until the server gives up on us.
    while started.elapsed() < Duration::from_secs(5) {
        if ws.write_all(&client_frame(0x81, b"chatter")).is_err() {
            break;
        }
        ws.set_read_timeout(Some(Duration::from_millis(20)))
            .unwrap();
        let mut buf = [0u8; 256];
        if let Ok(0) = std::io::Read::read(&mut ws, &mut buf) {
            break; // the server closed TCP
        }
    }
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "the close took {:?}",
        started.elapsed()
    );
}

/// `recv_timeout` keeps a socket read timeout set by an earlier call when it is close enough
/// (one `setsockopt` less per frame), so a read may wake before the deadline; it must then
/// wait again, never report "nothing came" early — and not pass the deadline by much.
#[test]
fn recv_timeout_never_gives_up_early_even_with_an_earlier_shorter_timeout_still_set() {
    let (report, reported) = std::sync::mpsc::channel::<Duration>();
    let mut app = Router::new();
    app.websocket("/t", move |mut ws| {
        // A short wait that a message ends: the socket keeps its 400 ms read timeout.
        if !matches!(ws.recv_timeout(Duration::from_millis(400)), Ok(Some(_))) {
            return;
        }
        // A longer wait, with nothing coming: the first read wakes at 400 ms, early.
        let started = Instant::now();
        if let Ok(None) = ws.recv_timeout(Duration::from_millis(700)) {
            let _ = report.send(started.elapsed());
        }
    });
    let server = start_with(ServerConfig::default(), app);
    let mut ws = raw_websocket(server.addr(), "/t");
    // Late enough that the first wait is already blocked in a read with its timeout set.
    std::thread::sleep(Duration::from_millis(100));
    ws.write_all(&client_frame(0x81, b"wake up")).unwrap();
    let waited = reported
        .recv_timeout(Duration::from_secs(5))
        .expect("the second wait ended with nothing received");
    assert!(
        waited >= Duration::from_millis(700),
        "gave up early, after {waited:?}"
    );
    assert!(
        waited < Duration::from_millis(1500),
        "gave up late, after {waited:?}"
    );
}

/// The close timeout bounds our closing handshake in all: a frame the peer begins while we
/// wait for its close, and never finishes, may not hold the thread for the (much longer)
/// stall timeout.
#[test]
fn our_close_gives_up_on_a_frame_left_half_sent_within_the_close_timeout() {
    let config = quick(WebSocketConfig {
        close_timeout: Duration::from_millis(300),
        stall_timeout: Duration::from_secs(30),
        ..WebSocketConfig::default()
    });
    let mut app = Router::new();
    app.websocket("/bye", |mut ws| ws.close(CloseCode::Normal, "bye"));
    let server = start_with(config, app);
    let mut ws = raw_websocket(server.addr(), "/bye");
    let started = Instant::now();
    ws.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let (first_byte, payload) = read_frame(&mut ws).expect("our close frame");
    assert_eq!(first_byte, 0x88);
    assert_eq!(&payload[..2], &1000u16.to_be_bytes(), "close code 1000");
    assert_eq!(&payload[2..], b"bye");
    // A frame that promises 100 bytes and sends 10.
    let frame = client_frame(0x81, &[b'x'; 100]);
    ws.write_all(&frame[..frame.len() - 90]).unwrap();
    assert_closed_by_server(&mut ws);
    assert_between(started, Duration::from_millis(280), Duration::from_secs(3));
}
