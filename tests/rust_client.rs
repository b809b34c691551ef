//! The Rust client (`src/client/`, issue 14) against three servers: Node's socket.io 4.8
//! (tests/node/rust_client_server.js) and python-socketio's (tests/python/
//! rust_client_server.py), which none of us wrote, and threadio's own, built below with the
//! same handlers. Every check runs over each transport mode; recovery is not run against
//! python-socketio, which does not implement it.
//!
//! Checked: `/` and `/admin` with auth on one session; a refused middleware with its data;
//! events, acks and binary both ways; an `emit_with_ack` made inside a handler (it must not
//! deadlock); an emit buffered while disconnected; a server disconnect; a lost connection
//! that comes back recovered (connection state recovery) with what it missed; a server
//! restart that the client survives by itself, namespaces and all.

mod common;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{node_client, python_socketio_server, wait_until, NodeServer};
use threadio::client::{
    DialError, Dialer, DisconnectCause, EmitError, HandlerThread, Reconnection, Transports,
};
use threadio::engineio::EngineConfig;
use threadio::http::{Router, RunningServer, Server, ServerConfig};
use threadio::json::Value;
use threadio::socketio::{ConnectError, ConnectionStateRecovery, Io, IoConfig};

const WAIT: Duration = Duration::from_secs(10);
const MODES: [Transports; 3] = [
    Transports::PollingThenWebSocket,
    Transports::WebSocketOnly,
    Transports::PollingOnly,
];

/// Quick reconnection, so a test waits for the server, not for the backoff.
fn quick() -> Reconnection {
    Reconnection {
        delay: Duration::from_millis(100),
        max_delay: Duration::from_millis(300),
        ..Reconnection::default()
    }
}

/// threadio's version of rust_client_server.js, handler for handler. The `Io` must outlive
/// the server: a session that opens after it is dropped is closed at once.
fn threadio_server(addr: &str) -> (RunningServer, Io) {
    threadio_server_with(addr, EngineConfig::default())
}

fn threadio_server_with(addr: &str, engine: EngineConfig) -> (RunningServer, Io) {
    let io = Io::with_config(IoConfig {
        connection_state_recovery: Some(ConnectionStateRecovery::default()),
        engine,
        ..IoConfig::default()
    });
    let main = io.sockets();
    io.sockets().on_connection(move |socket| {
        socket.on("echo", |_, args, ack| ack.send(args.into_vec()));
        socket.on("push", |socket, _, _| {
            socket.emit("pushed", ("text", Value::binary(vec![9, 8, 7])));
        });
        socket.on("ask-me", |socket, _, ack| {
            let args = (1, Value::binary(vec![1, 2, 3]));
            socket.emit_with_ack("question", args, Duration::from_secs(5), move |answer| {
                match answer {
                    Ok(answer) => ack.send(answer.into_vec()),
                    Err(_) => ack.send(("no answer",)),
                }
            });
        });
        socket.on("kick", |socket, _, _| socket.disconnect(false));
        let main = main.clone();
        socket.on_disconnect(move |socket, reason| {
            if reason.is_recoverable() {
                main.to(socket.id()).emit("missed", ("while away",));
            }
        });
    });
    let admin = io.of("/admin");
    admin.use_middleware(|socket| {
        if socket.auth()["token"].as_str() == Some("secret") {
            return Ok(());
        }
        Err(ConnectError::new("not authorized").with_data(Value::object([("reason", "bad token")])))
    });
    admin.on_connection(|socket| {
        socket.on("whoami", |socket, _, ack| {
            let handshake = socket.handshake();
            let tag = handshake.query_param("tag").map(String::from);
            let peer = handshake.headers.get("x-peer").map(String::from);
            ack.send((
                socket.auth()["token"].clone(),
                Value::from(tag),
                Value::from(peer),
            ));
        });
    });
    let mut app = Router::new();
    io.attach(&mut app);
    let server = Server::bind(addr, ServerConfig::default()).expect("bind");
    (server.spawn(app).expect("serve"), io)
}

/// Node's server, or `None` (skipped, or a failure under THREADIO_REQUIRE_PEERS=1).
fn node_server(port: Option<u16>) -> Option<NodeServer> {
    let node = node_client()?;
    let port = port.map(|p| p.to_string());
    let args: Vec<&str> = port.iter().map(String::as_str).collect();
    node.start_server("rust_client_server.js", &args)
}

fn port_of(url: &str) -> u16 {
    url.rsplit(':')
        .next()
        .unwrap()
        .trim_end_matches('/')
        .parse()
        .unwrap()
}

/// Everything but restarts and recovery, on one server, in one transport mode.
fn exercise(url: &str, mode: Transports) {
    let case = format!("{url} {mode:?}");
    let (pushed_tx, pushed) = mpsc::channel();
    let pushed_tx = Mutex::new(pushed_tx);
    let any = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&any);
    let main = Dialer::new(url)
        .transports(mode)
        .reconnection(quick())
        .on("pushed", move |args, _| {
            let _ = pushed_tx.lock().unwrap().send(args);
        })
        .on("question", |args, ack| {
            assert!(ack.wanted());
            let mut answer = vec![Value::from("answer")];
            answer.extend(args);
            ack.send(answer);
        })
        .on_any(move |event, _| seen.lock().unwrap().push(event.to_owned()))
        .connect()
        .unwrap_or_else(|e| panic!("{case}: connect: {e}"));
    assert!(main.connected() && main.id().is_some(), "{case}");
    let expected = match mode {
        Transports::PollingOnly => "polling",
        _ => "websocket", // after the default opening: the upgrade succeeded
    };
    assert_eq!(main.manager().transport(), Some(expected), "{case}");

    // Acks and binary, client → server → client.
    let bytes = Value::binary(vec![0, 1, 2, 255]);
    let echoed = main
        .emit_with_ack("echo", vec!["hi".into(), 7.into(), bytes.clone()], WAIT)
        .unwrap_or_else(|e| panic!("{case}: echo: {e}"));
    assert_eq!(
        echoed,
        vec![Value::from("hi"), Value::from(7), bytes],
        "{case}"
    );

    // The callback form.
    let (done, answer) = mpsc::channel();
    main.emit_with_ack_then("echo", vec!["cb".into()], WAIT, move |result| {
        let _ = done.send(result);
    })
    .unwrap();
    assert_eq!(
        answer.recv_timeout(WAIT).unwrap().unwrap(),
        vec![Value::from("cb")],
        "{case}"
    );

    // Server → client with binary.
    main.emit("push", vec![]).unwrap();
    let args = pushed
        .recv_timeout(WAIT)
        .unwrap_or_else(|_| panic!("{case}: no push"));
    // With recovery on, the server adds the event's offset as a last argument (kept, as
    // the official client keeps it): compare what the handler sent.
    assert_eq!(
        args[..2],
        [Value::from("text"), Value::binary(vec![9, 8, 7])],
        "{case}"
    );
    assert!(
        wait_until(WAIT, || any.lock().unwrap().contains(&"pushed".to_owned())),
        "{case}"
    );

    // The server asks us (its ack with binary), and passes our answer back.
    let relayed = main.emit_with_ack("ask-me", vec![], WAIT).unwrap();
    assert_eq!(
        relayed,
        vec![
            Value::from("answer"),
            Value::from(1),
            Value::binary(vec![1, 2, 3])
        ],
        "{case}"
    );

    // A second namespace on the same session, with auth, query and a header.
    let admin = main
        .manager()
        .namespace("/admin", Some(Value::object([("token", "secret")])));
    admin
        .connect(WAIT)
        .unwrap_or_else(|e| panic!("{case}: /admin: {e}"));
    let who = admin.emit_with_ack("whoami", vec![], WAIT).unwrap();
    assert_eq!(who[0], Value::from("secret"), "{case}");

    // Refused: the middleware's message and data.
    let (error_tx, error) = mpsc::channel();
    let error_tx = Mutex::new(error_tx);
    let refused = Dialer::new(&format!("{url}/admin"))
        .transports(mode)
        .auth(Value::object([("token", "wrong")]))
        .on_connect_error(move |data| {
            let _ = error_tx.lock().unwrap().send(data.clone());
        })
        .connect();
    let handed = error
        .recv_timeout(WAIT)
        .expect("the connect_error handler ran");
    assert_eq!(handed["data"]["reason"], Value::from("bad token"), "{case}");
    match refused {
        Err(DialError::Refused(data)) => {
            assert_eq!(data["message"], Value::from("not authorized"), "{case}");
            assert_eq!(data["data"]["reason"], Value::from("bad token"), "{case}");
        }
        other => panic!(
            "{case}: expected a refusal, got {:?}",
            other.map(|c| c.id())
        ),
    }

    // The server disconnects us: the cause, and no reconnection of that namespace.
    let (gone_tx, gone) = mpsc::channel();
    let gone_tx = Mutex::new(gone_tx);
    main.on_disconnect(move |cause| {
        let _ = gone_tx.lock().unwrap().send(cause.clone());
    });
    main.emit("kick", vec![]).unwrap();
    assert_eq!(
        gone.recv_timeout(WAIT).unwrap(),
        DisconnectCause::IoServerDisconnect,
        "{case}"
    );
    assert!(!main.connected(), "{case}");
    assert!(admin.connected(), "{case}: /admin stays on the session");
    // Leaving the last namespace ends the session (the official Manager._destroy).
    admin.disconnect();
    assert!(!admin.connected(), "{case}");
    assert!(wait_until(WAIT, || admin.manager().closed()), "{case}");
    assert_eq!(
        admin.emit("whoami", vec![]),
        Err(EmitError::Closed),
        "{case}"
    );
    assert_eq!(
        admin.emit("disconnect", vec![]),
        Err(EmitError::ReservedName("disconnect".into())),
        "{case}"
    );
}

/// Query and headers reach the server's handshake.
fn query_and_headers(url: &str) {
    let admin = Dialer::new(url)
        .namespace("/admin")
        .auth(Value::object([("token", "secret")]))
        .query("tag", "a b&c")
        .header("X-Peer", "rust")
        .connect()
        .unwrap();
    let who = admin.emit_with_ack("whoami", vec![], WAIT).unwrap();
    assert_eq!(
        who,
        vec![
            Value::from("secret"),
            Value::from("a b&c"),
            Value::from("rust")
        ]
    );
    admin.manager().close();
}

/// A handler that blocks in emit_with_ack: the reader still delivers the answer.
fn ack_inside_a_handler(url: &str, mode: Transports) {
    let (result_tx, result) = mpsc::channel();
    let result_tx = Mutex::new(result_tx);
    let main = Dialer::new(url).transports(mode).connect().unwrap();
    let inner = main.clone();
    main.on("pushed", move |_, _| {
        let answer = inner.emit_with_ack("echo", vec!["from a handler".into()], WAIT);
        let _ = result_tx.lock().unwrap().send(answer);
    });
    main.emit("push", vec![]).unwrap();
    let answer = result.recv_timeout(WAIT * 2).expect("the handler finished");
    assert_eq!(
        answer.unwrap(),
        vec![Value::from("from a handler")],
        "{mode:?}"
    );
    main.manager().close();
}

/// `HandlerThread::Reader`: the handler runs on the reader thread itself; a blocking
/// emit_with_ack there is refused at once (it would wait for an answer only that thread can
/// read), and the callback form works, its answer delivered on the reader too.
fn handlers_on_the_reader(url: &str, mode: Transports) {
    let (result_tx, result) = mpsc::channel();
    let result_tx = Mutex::new(result_tx);
    let main = Dialer::new(url)
        .transports(mode)
        .handler_thread(HandlerThread::Reader)
        .connect()
        .unwrap();
    let inner = main.clone();
    main.on("pushed", move |_, _| {
        let thread = std::thread::current().name().map(String::from);
        let blocking = inner.emit_with_ack("echo", vec![], WAIT);
        let answered = result_tx.lock().unwrap().clone();
        inner
            .emit_with_ack_then(
                "echo",
                vec!["from the reader".into()],
                WAIT,
                move |answer| {
                    let on = std::thread::current().name().map(String::from);
                    let _ = answered.send((thread, blocking, answer, on));
                },
            )
            .unwrap();
    });
    main.emit("push", vec![]).unwrap();
    let (thread, blocking, answer, on) = result.recv_timeout(WAIT * 2).expect("the callback ran");
    let reader = Some("threadio-client-reader".to_owned());
    assert_eq!(thread, reader, "{mode:?}: the handler's thread");
    assert_eq!(blocking, Err(EmitError::BlocksReader), "{mode:?}");
    assert_eq!(
        answer.unwrap(),
        vec![Value::from("from the reader")],
        "{mode:?}"
    );
    assert_eq!(on, reader, "{mode:?}: the callback's thread");
    main.manager().close();
}

/// A lost connection: emits wait in the buffer, the session is recovered with its id, and
/// what the server sent meanwhile arrives.
fn recovery(url: &str, mode: Transports) {
    let (missed_tx, missed) = mpsc::channel();
    let missed_tx = Mutex::new(missed_tx);
    let main = Dialer::new(url)
        .transports(mode)
        .reconnection(quick())
        .on("missed", move |args, _| {
            let _ = missed_tx.lock().unwrap().send(args);
        })
        .connect()
        .unwrap();
    // An event with an offset first, so the client has one to send back.
    let first_id = main.id().unwrap();
    main.emit("push", vec![]).unwrap();
    assert!(wait_until(WAIT, || main
        .emit_with_ack("echo", vec![], WAIT)
        .is_ok()));
    main.manager().drop_connection();
    assert!(
        wait_until(WAIT, || !main.connected()),
        "{mode:?}: the drop was seen"
    );
    let buffered = main
        .emit_with_ack("echo", vec!["buffered".into()], WAIT)
        .unwrap();
    assert_eq!(buffered, vec![Value::from("buffered")], "{mode:?}");
    assert!(main.recovered(), "{mode:?}: recovered");
    assert_eq!(main.id().unwrap(), first_id, "{mode:?}: same id");
    let args = missed.recv_timeout(WAIT).expect("the missed event");
    assert_eq!(args[0], Value::from("while away"), "{mode:?}");
    main.manager().close();
}

/// The server goes away and comes back on the same port: both namespaces reconnect.
fn restart(url: &str, stop: impl FnOnce(), start: impl FnOnce()) {
    let main = Dialer::new(url).reconnection(quick()).connect().unwrap();
    let admin = main
        .manager()
        .namespace("/admin", Some(Value::object([("token", "secret")])));
    admin.connect(WAIT).unwrap();
    let downs = Arc::new(Mutex::new(0));
    let counted = Arc::clone(&downs);
    main.on_disconnect(move |_| *counted.lock().unwrap() += 1);
    stop();
    assert!(
        wait_until(WAIT, || !main.connected() && !admin.connected()),
        "down"
    );
    start();
    assert!(
        wait_until(WAIT * 2, || main.connected() && admin.connected()),
        "back"
    );
    assert_eq!(
        main.emit_with_ack("echo", vec![1.into()], WAIT).unwrap(),
        vec![Value::from(1)]
    );
    assert_eq!(
        admin.emit_with_ack("whoami", vec![], WAIT).unwrap()[0],
        Value::from("secret")
    );
    assert_eq!(*downs.lock().unwrap(), 1);
    main.manager().close();
}

fn url_of(addr: SocketAddr) -> String {
    format!("http://{addr}")
}

/// Over polling, what is queued while a POST is in flight goes in the next one, and a queue
/// longer than the server's `maxPayload` (from its handshake) goes as several POSTs: a
/// longer body would be refused (413) and end the session. A hundred 300-byte events, asked
/// for at once against a 2,000-byte limit, are all answered on one session.
fn posts_fit_the_servers_max_payload(url: &str) {
    let disconnected = Arc::new(AtomicBool::new(false));
    let seen = Arc::clone(&disconnected);
    let main = Dialer::new(url)
        .transports(Transports::PollingOnly)
        .on_disconnect(move |_| seen.store(true, Ordering::SeqCst))
        .connect()
        .unwrap();
    let id = main.id();
    let (answers_tx, answers) = mpsc::channel();
    let text = "x".repeat(300);
    // Ten threads at once: while one sends a POST, the others' events queue for the next.
    std::thread::scope(|scope| {
        for thread in 0..10 {
            let (main, answers_tx, text) = (&main, answers_tx.clone(), text.as_str());
            scope.spawn(move || {
                for i in 0..10 {
                    let answers_tx = answers_tx.clone();
                    let args = vec![(thread * 10 + i).into(), text.into()];
                    main.emit_with_ack_then("echo", args, WAIT, move |answer| {
                        let _ = answers_tx.send(answer);
                    })
                    .unwrap();
                }
            });
        }
    });
    for _ in 0..100 {
        let answer = answers.recv_timeout(WAIT * 2).expect("an answer");
        assert_eq!(answer.unwrap()[1], Value::from(text.as_str()));
    }
    assert!(
        !disconnected.load(Ordering::SeqCst),
        "one session throughout"
    );
    assert_eq!(main.id(), id);
    main.manager().close();
}

#[test]
fn posts_are_cut_to_threadio_max_payload() {
    let engine = EngineConfig {
        max_payload: 2_000,
        ..EngineConfig::default()
    };
    let (server, _io) = threadio_server_with("127.0.0.1:0", engine);
    posts_fit_the_servers_max_payload(&url_of(server.addr()));
}

#[test]
fn posts_are_cut_to_node_max_payload() {
    let Some(node) = node_client() else { return };
    let Some(server) = node.start_server("rust_client_server.js", &["0", "0", "2000"]) else {
        return;
    };
    posts_fit_the_servers_max_payload(server.url().trim_end_matches('/'));
}

#[test]
fn against_threadio() {
    let (server, _io) = threadio_server("127.0.0.1:0");
    let url = url_of(server.addr());
    for mode in MODES {
        exercise(&url, mode);
        ack_inside_a_handler(&url, mode);
        handlers_on_the_reader(&url, mode);
        recovery(&url, mode);
    }
    query_and_headers(&url);
}

#[test]
fn against_node() {
    let Some(node) = node_server(None) else {
        return;
    };
    let url = node.url().trim_end_matches('/').to_owned();
    for mode in MODES {
        exercise(&url, mode);
        ack_inside_a_handler(&url, mode);
        handlers_on_the_reader(&url, mode);
        recovery(&url, mode);
    }
    query_and_headers(&url);
}

#[test]
fn survives_a_threadio_restart() {
    let (server, io) = threadio_server("127.0.0.1:0");
    let addr = server.addr();
    let again = Arc::new(Mutex::new(None));
    let keep = Arc::clone(&again);
    restart(
        &url_of(addr),
        move || {
            server.stop();
            drop(io);
        },
        move || *keep.lock().unwrap() = Some(threadio_server(&addr.to_string())),
    );
    drop(again);
}

#[test]
fn survives_a_node_restart() {
    let Some(node) = node_server(None) else {
        return;
    };
    let url = node.url().trim_end_matches('/').to_owned();
    let port = port_of(&url);
    let again = Arc::new(Mutex::new(None));
    let keep = Arc::clone(&again);
    restart(
        &url,
        move || drop(node),
        move || *keep.lock().unwrap() = node_server(Some(port)),
    );
    drop(again);
}

#[test]
fn a_server_that_is_not_there_is_a_clear_error() {
    // Port 1 (tcpmux): privileged and unused, so no test's server can be there, unlike a
    // port freed a moment ago, which a parallel test may be given.
    let result = Dialer::new("http://127.0.0.1:1").connect();
    assert!(
        matches!(result, Err(DialError::Io(_))),
        "{:?}",
        result.err()
    );
    let bad = Dialer::new("https://example.com").connect();
    assert!(matches!(bad, Err(DialError::BadUrl(_))));
    let refused = Dialer::new("http://127.0.0.1:1")
        .namespace("no-slash")
        .connect();
    assert!(matches!(refused, Err(DialError::BadUrl(_))));
}

#[test]
fn against_python_socketio() {
    let Some(python) = python_socketio_server("rust_client_server.py", &[]) else {
        return;
    };
    let url = python.url().trim_end_matches('/').to_owned();
    for mode in MODES {
        exercise(&url, mode);
        ack_inside_a_handler(&url, mode);
        handlers_on_the_reader(&url, mode);
    }
    query_and_headers(&url);
}

#[test]
fn survives_a_python_socketio_restart() {
    let Some(python) = python_socketio_server("rust_client_server.py", &[]) else {
        return;
    };
    let url = python.url().trim_end_matches('/').to_owned();
    let port = port_of(&url).to_string();
    let again = Arc::new(Mutex::new(None));
    let keep = Arc::clone(&again);
    restart(
        &url,
        move || drop(python),
        move || *keep.lock().unwrap() = python_socketio_server("rust_client_server.py", &[&port]),
    );
    drop(again);
}

/// A message past the client's limit (10 MiB against the default 8) ends the session with
/// a transport error, not a panic or a hang; the client reconnects and works. Against
/// python-socketio, which has no connection state recovery: a server that recovers would
/// replay the message that broke the session.
#[test]
fn a_ten_megabyte_message_ends_the_session_not_the_client() {
    let Some(python) = python_socketio_server("rust_client_server.py", &[]) else {
        return;
    };
    let url = python.url().trim_end_matches('/').to_owned();
    for mode in [Transports::WebSocketOnly, Transports::PollingOnly] {
        let delivered = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&delivered);
        let (cause_tx, cause) = mpsc::channel();
        let cause_tx = Mutex::new(cause_tx);
        let main = Dialer::new(&url)
            .transports(mode)
            .reconnection(quick())
            .on_disconnect(move |c| {
                let _ = cause_tx.lock().unwrap().send(c.clone());
            })
            .on("big", move |_, _| flag.store(true, Ordering::SeqCst))
            .connect()
            .unwrap();
        main.emit("big", vec![]).unwrap();
        let seen = cause.recv_timeout(WAIT).expect("the session ends");
        assert!(
            matches!(seen, DisconnectCause::TransportError(_)),
            "{mode:?}: {seen}"
        );
        let echoed = main
            .emit_with_ack("echo", vec!["still here".into()], WAIT)
            .unwrap();
        assert_eq!(echoed, vec![Value::from("still here")], "{mode:?}");
        assert!(
            !delivered.load(Ordering::SeqCst),
            "{mode:?}: delivered past the limit"
        );
        main.manager().close();
    }
}

/// The heartbeat: servers that ping every `ping` and wait as long for the pong (and a
/// client that hears nothing for twice that calls the server gone). A client that did not
/// answer would be dropped within a cycle; over five, in each transport mode, it stays
/// connected with the same id and no disconnect. python-socketio gets a longer `ping`:
/// under load (this machine runs benchmarks and fuzzers beside the tests) its ping thread
/// was seen later than 2 × 300 ms, the official client's own limit (pingInterval +
/// pingTimeout), so it would drop the official client too.
fn keeps_up_the_heartbeat(url: &str, ping: Duration) {
    for mode in MODES {
        let drops = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&drops);
        let main = Dialer::new(url)
            .transports(mode)
            .on_disconnect(move |cause| seen.lock().unwrap().push(cause.clone()))
            .connect()
            .unwrap();
        let id = main.id();
        for _ in 0..5 {
            std::thread::sleep(ping); // one ping cycle
            assert_eq!(
                main.emit_with_ack("echo", vec![], WAIT),
                Ok(vec![]),
                "{mode:?}"
            );
        }
        let dropped = drops.lock().unwrap().clone();
        assert_eq!(
            main.id(),
            id,
            "{mode:?}: the same session throughout; {dropped:?}"
        );
        assert!(
            drops.lock().unwrap().is_empty(),
            "{mode:?}: {:?}",
            drops.lock().unwrap()
        );
        main.manager().close();
    }
}

#[test]
fn answers_threadio_pings() {
    let engine = EngineConfig {
        ping_interval: Duration::from_millis(300),
        ping_timeout: Duration::from_millis(300),
        ..EngineConfig::default()
    };
    let (server, _io) = threadio_server_with("127.0.0.1:0", engine);
    keeps_up_the_heartbeat(&url_of(server.addr()), Duration::from_millis(300));
}

#[test]
fn answers_node_pings() {
    let Some(node) = node_client() else { return };
    let Some(server) = node.start_server("rust_client_server.js", &["0", "300"]) else {
        return;
    };
    keeps_up_the_heartbeat(
        server.url().trim_end_matches('/'),
        Duration::from_millis(300),
    );
}

#[test]
fn answers_python_socketio_pings() {
    let Some(server) = python_socketio_server("rust_client_server.py", &["0", "1000"]) else {
        return;
    };
    keeps_up_the_heartbeat(
        server.url().trim_end_matches('/'),
        Duration::from_millis(1000),
    );
}
