//! The server-side API the official client cannot see directly: middlewares in order
//! (server-wide, then the namespace's), the `disconnecting` step with the rooms still
//! visible, and the connect timeout. Spoken as raw Engine.IO/Socket.IO text over tungstenite.

mod common;

use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{start, Journal, READ_TIMEOUT};
use threadio::http::{Router, RunningServer};
use threadio::json::Value;
use threadio::socketio::{ConnectError, Io, IoConfig};
use tungstenite::Message;

type Ws = tungstenite::WebSocket<TcpStream>;

fn serve(io: &Io) -> RunningServer {
    let mut router = Router::new();
    io.attach(&mut router);
    start(router)
}

fn open(addr: SocketAddr) -> Ws {
    let stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    let url = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket");
    let (mut ws, _) = tungstenite::client(url, stream).expect("WebSocket handshake");
    assert!(
        read_text(&mut ws).starts_with("0{\"sid\":"),
        "the open packet"
    );
    ws
}

fn read_text(ws: &mut Ws) -> String {
    loop {
        match ws.read().expect("a frame") {
            Message::Text(text) => return text.as_str().to_string(),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("expected text, got {other:?}"),
        }
    }
}

#[test]
fn server_wide_middleware_runs_before_the_namespaces_and_either_may_refuse() {
    let io = Io::new();
    let journal = Arc::new(Journal::default());
    let seen = Arc::clone(&journal);
    io.use_middleware(move |socket| {
        seen.write(format!("io {}", socket.namespace().name()));
        Ok(())
    });
    let seen = Arc::clone(&journal);
    io.of("/vip").use_middleware(move |socket| {
        seen.write("vip".to_string());
        match socket.auth().get("pass").and_then(Value::as_str) {
            Some("letmein") => Ok(()),
            _ => Err(ConnectError::new("VIP only").with_data(Value::object([("need", "pass")]))),
        }
    });
    let server = serve(&io);
    let mut ws = open(server.addr());

    ws.send(Message::text(r#"40/vip,{"pass":"nope"}"#)).unwrap();
    assert_eq!(
        read_text(&mut ws),
        r#"44/vip,{"message":"VIP only","data":{"need":"pass"}}"#
    );
    ws.send(Message::text(r#"40/vip,{"pass":"letmein"}"#))
        .unwrap();
    assert!(read_text(&mut ws).starts_with(r#"40/vip,{"sid":""#));
    assert_eq!(journal.lines(), ["io /vip", "vip", "io /vip", "vip"]);
}

#[test]
fn disconnecting_still_sees_the_rooms_and_disconnect_has_the_reason() {
    let io = Io::new();
    let journal = Arc::new(Journal::default());
    let seen = Arc::clone(&journal);
    io.of("/").on_connection(move |socket| {
        socket.join("lobby");
        let before = Arc::clone(&seen);
        socket.on_disconnecting(move |socket, reason| {
            let rooms = socket
                .rooms()
                .into_iter()
                .filter(|r| r != socket.id())
                .collect::<Vec<_>>();
            before.write(format!("disconnecting ({reason}) in {rooms:?}"));
        });
        let after = Arc::clone(&seen);
        socket.on_disconnect(move |socket, reason| {
            after.write(format!(
                "disconnect ({reason}), rooms left: {}",
                socket.rooms().len()
            ));
        });
    });
    let server = serve(&io);
    let mut ws = open(server.addr());
    ws.send(Message::text("40")).unwrap();
    assert!(read_text(&mut ws).starts_with("40{"));
    ws.send(Message::text("41")).unwrap();
    let expected = [
        r#"disconnecting (client namespace disconnect) in ["lobby"]"#,
        "disconnect (client namespace disconnect), rooms left: 0",
    ];
    for line in expected {
        assert!(
            journal.wait_for(line, READ_TIMEOUT),
            "{line:?} not in {:?}",
            journal.lines()
        );
    }
    assert_eq!(journal.lines(), expected);
}

#[test]
fn a_client_that_joins_no_namespace_is_closed_after_the_connect_timeout() {
    let io = Io::with_config(IoConfig {
        connect_timeout: Duration::from_millis(300),
        ..IoConfig::default()
    });
    let server = serve(&io);
    let mut ws = open(server.addr());
    let started = Instant::now();
    loop {
        match ws.read() {
            Ok(Message::Close(_)) | Err(_) => break,
            Ok(_) => continue, // a ping, perhaps
        }
    }
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(250) && waited < Duration::from_secs(5),
        "closed after {waited:?}"
    );
    let deadline = Instant::now() + READ_TIMEOUT;
    while io.session_count() > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5)); // a bounded poll: the count drops as the thread ends
    }
    assert_eq!(io.session_count(), 0);
}
