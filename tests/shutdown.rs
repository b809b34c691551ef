//! Graceful shutdown: every open WebSocket receives a close frame with 1001 (going away,
//! RFC 6455 §7.4.1), idle HTTP connections end, and `serve` returns with every thread joined.

mod common;

use std::io::Write;
use std::net::TcpStream;

use common::{assert_closed_by_server, echo_router, start, tcp, READ_TIMEOUT};
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::Message as TMessage;

#[test]
fn shutdown_sends_1001_to_every_websocket_and_returns() {
    let server = start(echo_router());
    let clients: Vec<_> = (0..50)
        .map(|_| {
            let stream = TcpStream::connect(server.addr()).unwrap();
            stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
            tungstenite::client(format!("ws://{}/echo", server.addr()), stream)
                .unwrap()
                .0
        })
        .collect();
    let mut idle_http = tcp(server.addr());
    idle_http
        .write_all(b"GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    common::read_head(&mut idle_http);

    let handle = server.shutdown_handle();
    let stopping = std::thread::spawn(move || server.stop());
    for mut client in clients {
        let close = loop {
            match client.read() {
                Ok(TMessage::Close(frame)) => break frame,
                Ok(_) => continue,
                Err(e) => panic!("no close frame: {e}"),
            }
        };
        assert_eq!(close.map(|f| f.code), Some(CloseCode::Away));
        // Dropping the client closes its TCP side, which ends the server's closing handshake.
    }
    assert_closed_by_server(&mut idle_http);
    stopping.join().expect("stop() returned");
    assert!(handle.is_shutting_down());
}
