//! The upgrade from HTTP long-polling to WebSocket (Engine.IO v4 "Upgrade"; protocol.md
//! §2): first by hand, packet by packet, then with the official client switching while a
//! thousand events a side are in flight.
//!
//! ```text
//!  client                                       server
//!    │ GET …&transport=polling (held)             │
//!    │ GET …&transport=websocket&sid=… ─────────► │  101
//!    │ ── 2probe ───────────────────────────────► │
//!    │ ◄─────────────────────────────── 3probe ── │  and the held GET is answered "6"
//!    │ ── 5 ────────────────────────────────────► │  polling's queue flushed into the WebSocket
//!    │ ◄──────────────────────── everything else ─│  a polling GET is now 400, code 3
//! ```

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{
    assert_held, node_client, probe_websocket, read_response, start, ws_read_text, ws_send,
    Journal, Polling, Ws, READ_TIMEOUT,
};
use threadio::engineio::EngineConfig;
use threadio::http::{Router, RunningServer};
use threadio::json::Value;
use threadio::socketio::{Io, IoConfig};

/// A server whose "/" echoes `echo`, answers each numbered `num` with `echo-num` (keeping
/// the numbers it got, in order, in the returned list); `start-ticks` starts a thread that
/// emits `tick` 0…999 with no pause; `received` acks how many numbers came so far.
fn start_server(engine: EngineConfig) -> (RunningServer, Io, Arc<Journal>, Arc<Mutex<Vec<i64>>>) {
    let io = Io::with_config(IoConfig {
        engine,
        ..IoConfig::default()
    });
    let journal = Arc::new(Journal::default());
    let numbers = Arc::new(Mutex::new(Vec::new()));
    let (handlers_journal, handlers_numbers) = (Arc::clone(&journal), Arc::clone(&numbers));
    io.of("/").on_connection(move |socket| {
        let journal = Arc::clone(&handlers_journal);
        socket.on_disconnect(move |socket, reason| {
            journal.write(format!("/ {} disconnect: {reason}", socket.id()));
        });
        socket.on("echo", |socket, args, _| socket.emit("echo", args));
        let numbers = Arc::clone(&handlers_numbers);
        socket.on("num", move |socket, args, _| {
            let n = args.first().and_then(Value::as_i64).unwrap_or(-1);
            numbers.lock().expect("numbers lock").push(n);
            socket.emit("echo-num", vec![n.into()]);
        });
        let numbers = Arc::clone(&handlers_numbers);
        socket.on("received", move |_, _, ack| {
            let count = numbers.lock().expect("numbers lock").len();
            ack.send(vec![count.into()]);
        });
        socket.on("start-ticks", |socket, _, _| {
            let ticker = socket.clone();
            std::thread::spawn(move || {
                for i in 0..1000_i64 {
                    ticker.emit("tick", vec![i.into()]);
                }
            });
        });
    });
    let mut router = Router::new();
    io.attach(&mut router);
    (start(router), io, journal, numbers)
}

/// Heartbeats that will not fire during a test.
fn quiet() -> EngineConfig {
    EngineConfig {
        ping_interval: Duration::from_secs(10),
        ping_timeout: Duration::from_secs(5),
        ..EngineConfig::default()
    }
}

/// Reads until the server closes the WebSocket; returns the close frame's code, if any.
fn expect_websocket_closed(ws: &mut Ws) -> Option<u16> {
    let mut code = None;
    loop {
        match ws.read() {
            Ok(tungstenite::Message::Close(frame)) => {
                code = frame.map(|f| u16::from(f.code));
            }
            Ok(tungstenite::Message::Ping(_) | tungstenite::Message::Pong(_)) => continue,
            Ok(other) => panic!("got {other:?} where the WebSocket should close"),
            Err(tungstenite::Error::Io(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                panic!("the server kept the WebSocket open")
            }
            Err(_) => return code,
        }
    }
}

#[test]
fn the_probe_releases_the_held_get_with_a_noop_and_5_moves_the_session_to_websocket() {
    let (server, _io, journal, _) = start_server(quiet());
    let (session, id) = Polling::joined(server.addr());
    let mut held = session.start_get();
    assert_held(
        &mut held,
        Duration::from_millis(200),
        "the GET before the probe",
    );

    let mut ws = probe_websocket(&session);
    // Engine.IO v4 "Upgrade": the server answers the pending GET with a noop, so that the
    // client's polling can pause.
    let released = read_response(&mut held);
    assert_eq!((released.status, released.text()), (200, "6"));

    // Until the client's `5`, the session is still polling: a POST works, and its echo
    // waits in the polling queue…
    let post = session.post(r#"42["echo","sent during the probe"]"#);
    assert_eq!((post.status, post.text()), (200, "ok"));
    ws_send(&mut ws, "5");
    // …and is the first thing the WebSocket carries after the switch.
    assert_eq!(
        ws_read_text(&mut ws),
        r#"42["echo","sent during the probe"]"#
    );
    ws_send(&mut ws, r#"42["echo","sent over the websocket"]"#);
    assert_eq!(
        ws_read_text(&mut ws),
        r#"42["echo","sent over the websocket"]"#
    );

    session
        .get()
        .assert_engine_error(3, "Bad request", "a polling GET after the upgrade");
    assert!(
        journal.lines().is_empty(),
        "the upgrade disconnected someone: {:#?} (socket {id})",
        journal.lines()
    );
}

/// Opens the WebSocket for `session` and probes it, then lets `upgrade_timeout` pass with
/// no `5`; returns once the server has closed that WebSocket.
fn abandon_an_upgrade(session: &Polling, upgrade_timeout: Duration) {
    let probing = Instant::now();
    let mut ws = probe_websocket(session);
    let code = expect_websocket_closed(&mut ws);
    let waited = probing.elapsed();
    println!("the unfinished upgrade was closed after {waited:?} (close code {code:?})");
    assert!(
        waited >= upgrade_timeout - Duration::from_millis(20),
        "closed after only {waited:?}"
    );
    assert!(
        waited < upgrade_timeout * 10,
        "closed only after {waited:?}"
    );
}

#[test]
fn an_upgrade_that_never_sends_5_times_out_and_the_session_keeps_polling() {
    let upgrade_timeout = Duration::from_millis(300);
    let (server, _io, journal, _) = start_server(EngineConfig {
        upgrade_timeout,
        ..quiet()
    });
    let (session, id) = Polling::joined(server.addr());
    // No `5`: the server gives up on the WebSocket after upgradeTimeout…
    abandon_an_upgrade(&session, upgrade_timeout);
    // …and the session goes on over polling, both ways.
    let post = session.post(r#"42["echo","still polling"]"#);
    assert_eq!((post.status, post.text()), (200, "ok"));
    assert_eq!(session.get().text(), r#"42["echo","still polling"]"#);
    assert!(
        journal.lines().is_empty(),
        "the failed upgrade disconnected someone: {:#?} (socket {id})",
        journal.lines()
    );
}

#[test]
fn after_a_failed_upgrade_a_get_with_nothing_to_send_is_held_again() {
    let upgrade_timeout = Duration::from_millis(300);
    let (server, _io, _, _) = start_server(EngineConfig {
        upgrade_timeout,
        ..quiet()
    });
    let (session, _) = Polling::joined(server.addr());
    // No GET is pending while the probe runs, so the noop meant for one has no taker. It
    // must not be left for the next GET after the upgrade failed: the reference sends its
    // noops only to a GET pending while the upgrade is under way, and stops when it fails.
    abandon_an_upgrade(&session, upgrade_timeout);
    let mut held = session.start_get();
    assert_held(
        &mut held,
        Duration::from_millis(300),
        "a GET after the failed upgrade",
    );
    let post = session.post(r#"42["echo","still polling"]"#);
    assert_eq!((post.status, post.text()), (200, "ok"));
    let answer = read_response(&mut held);
    assert_eq!(
        (answer.status, answer.text()),
        (200, r#"42["echo","still polling"]"#)
    );
}

#[test]
fn a_get_is_held_until_the_new_websocket_has_sent_2probe() {
    let (server, _io, _, _) = start_server(quiet());
    let (session, _) = Polling::joined(server.addr());
    let url = format!(
        "ws://{}/socket.io/?EIO=4&transport=websocket&sid={}",
        session.addr, session.sid
    );
    let (mut ws, _) =
        tungstenite::client(url, common::tcp(session.addr)).expect("the WebSocket handshake");
    // The WebSocket is open but has not probed: nothing says it works yet, so polling goes
    // on as before (the reference starts its noops only on `2probe`). An immediate noop
    // here would have a polling client spin GET after GET until the probe comes, for up to
    // upgradeTimeout if it never does.
    let mut held = session.start_get();
    assert_held(
        &mut held,
        Duration::from_millis(300),
        "a GET before the 2probe",
    );
    ws_send(&mut ws, "2probe");
    assert_eq!(ws_read_text(&mut ws), "3probe");
    let released = read_response(&mut held);
    assert_eq!((released.status, released.text()), (200, "6"));
    ws_send(&mut ws, "5");
    ws_send(&mut ws, r#"42["echo","upgraded"]"#);
    assert_eq!(ws_read_text(&mut ws), r#"42["echo","upgraded"]"#);
}

#[test]
fn a_second_websocket_for_a_session_being_upgraded_is_refused_and_the_first_completes() {
    let (server, _io, journal, _) = start_server(quiet());
    let (session, id) = Polling::joined(server.addr());
    let mut first = probe_websocket(&session);
    let target = format!("/socket.io/?EIO=4&transport=websocket&sid={}", session.sid);
    // Refused before the 101, or accepted and closed at once, as the reference does: either
    // way it never carries the session.
    let mut second = common::raw_websocket_or_refusal(session.addr, &target);
    if let Some(second) = second.as_mut() {
        assert!(
            common::read_close_code(second).is_some(),
            "the second WebSocket was not closed"
        );
    }
    ws_send(&mut first, "5");
    ws_send(&mut first, r#"42["echo","first"]"#);
    assert_eq!(ws_read_text(&mut first), r#"42["echo","first"]"#);
    assert!(
        journal.lines().is_empty(),
        "someone was disconnected: {:#?} (socket {id})",
        journal.lines()
    );
}

#[test]
fn a_second_websocket_for_an_upgraded_session_gets_101_and_is_closed_at_once() {
    // Engine.IO v4 "Upgrade": the server must close such a WebSocket. An HTTP 400 instead
    // would crash a client with no listener for a failed upgrade; a 101 then a close is
    // what the reference does.
    let (server, _io, journal, _) = start_server(quiet());
    let (session, id) = Polling::joined(server.addr());
    let mut ws = probe_websocket(&session);
    ws_send(&mut ws, "5");
    ws_send(&mut ws, r#"42["echo","upgraded"]"#);
    assert_eq!(ws_read_text(&mut ws), r#"42["echo","upgraded"]"#);

    let target = format!("/socket.io/?EIO=4&transport=websocket&sid={}", session.sid);
    let mut second = common::raw_websocket_or_refusal(session.addr, &target)
        .expect("a 101 for the second WebSocket, not an HTTP refusal");
    assert!(
        common::read_close_code(&mut second).is_some(),
        "the second WebSocket was not closed"
    );
    // The session carries on over the first.
    ws_send(&mut ws, r#"42["echo","still here"]"#);
    assert_eq!(ws_read_text(&mut ws), r#"42["echo","still here"]"#);
    assert!(
        journal.lines().is_empty(),
        "someone was disconnected: {:#?} (socket {id})",
        journal.lines()
    );
}

#[test]
fn a_thousand_events_each_way_cross_the_switch_exactly_once_and_in_order() {
    let Some(node) = node_client() else {
        return;
    };
    let (server, _io, journal, numbers) = start_server(EngineConfig::default());
    let url = format!("http://{}", server.addr());
    let observed = node
        .try_run_with("upgrade", &url, "default")
        .unwrap_or_else(|failure| {
            panic!("{failure}\nthe server's journal: {:#?}", journal.lines())
        });
    println!("upgrade.js observed: {observed}");
    assert_eq!(observed["ok"], true, "{observed}");
    assert_eq!(
        (
            &observed["atConnect"],
            &observed["upgradeEvent"],
            &observed["after"]
        ),
        (
            &serde_json::json!("polling"),
            &serde_json::json!("websocket"),
            &serde_json::json!("websocket")
        ),
        "the transport at connect, in the upgrade event, at the end: {observed}"
    );
    let expected: Vec<i64> = (0..1000).collect();
    assert_eq!(
        *numbers.lock().expect("numbers lock"),
        expected,
        "the numbers the server's handler got"
    );
    // The switch happened mid-stream: each stream paced by the client had packets on both
    // transports (the script checked arrival, once each and in order, for all three).
    let carried = &observed["carried"];
    for event in ["num", "echo-num"] {
        let on = |transport: &str| carried[transport][event].as_u64().unwrap_or(0);
        assert!(
            on("polling") > 0 && on("websocket") > 0,
            "{event} did not straddle the switch: {carried}"
        );
        assert_eq!(on("polling") + on("websocket"), 1000, "{event}: {carried}");
    }
    let ticks = |transport: &str| carried[transport]["tick"].as_u64().unwrap_or(0);
    assert_eq!(ticks("polling") + ticks("websocket"), 1000, "{carried}");
    let id = observed["id"].as_str().expect("the client's socket id");
    let line = format!("/ {id} disconnect: client namespace disconnect");
    assert!(
        journal.wait_for(&line, READ_TIMEOUT),
        "never saw {line:?}: {:#?}",
        journal.lines()
    );
}
