//! threadio's client role against a server none of us wrote (tungstenite's server side):
//! the handshake of RFC 6455 §4.1, masked frames going out (§5.3), and the close handshake.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::thread;

use threadio::websocket::{client, CloseCode, Message, WsError};
use tungstenite::Message as TMessage;

/// A tungstenite echo server for one connection; returns its address and the close code it
/// saw.
fn tungstenite_echo_server() -> (String, thread::JoinHandle<Option<u16>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("ws://{}/echo", listener.local_addr().unwrap());
    let server = thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut ws = tungstenite::accept(stream).expect("tungstenite accepted our handshake");
        loop {
            match ws.read() {
                Ok(TMessage::Close(frame)) => {
                    // tungstenite answers the close itself; drain until it is done.
                    while ws.read().is_ok() {}
                    return frame.map(|f| u16::from(f.code));
                }
                Ok(message) if message.is_text() || message.is_binary() => {
                    ws.send(message).unwrap()
                }
                Ok(_) => {}
                Err(e) => panic!("tungstenite saw an error from our client: {e}"),
            }
        }
    });
    (url, server)
}

#[test]
fn our_client_talks_to_a_tungstenite_server() {
    let (url, server) = tungstenite_echo_server();
    let mut ws = client::connect(&url).expect("connect");
    ws.send("hello").unwrap();
    assert_eq!(ws.recv().unwrap(), Message::Text("hello".into()));
    let big: Vec<u8> = (0..100_000).map(|i| (i % 256) as u8).collect();
    ws.send(big.clone()).unwrap();
    assert_eq!(ws.recv().unwrap(), Message::Binary(big));
    ws.close(CloseCode::Normal, "done");
    assert_eq!(server.join().unwrap(), Some(1000));
}

#[test]
fn our_client_refuses_a_masked_frame_from_the_server_with_1002() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut request = Vec::new();
        let mut byte = [0u8; 1];
        while !request.ends_with(b"\r\n\r\n") {
            stream.read_exact(&mut byte).unwrap();
            request.push(byte[0]);
        }
        let request = String::from_utf8(request).unwrap();
        let key = request
            .lines()
            .find_map(|l| l.strip_prefix("Sec-WebSocket-Key: "))
            .expect("the client sent a key");
        let accept = tungstenite::handshake::derive_accept_key(key.trim().as_bytes());
        write!(
            stream,
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Accept: {accept}\r\n\r\n"
        )
        .unwrap();
        // A masked frame: only clients may mask (RFC 6455 §5.1).
        stream
            .write_all(&[0x81, 0x82, 1, 2, 3, 4, b'h' ^ 1, b'i' ^ 2])
            .unwrap();
        let mut reply = [0u8; 4];
        stream.read_exact(&mut reply).unwrap();
        reply
    });
    let mut ws = client::connect(&format!("ws://{addr}/")).expect("connect");
    match ws.recv() {
        Err(WsError::Protocol(e)) => assert_eq!(e.close_code(), CloseCode::ProtocolError),
        other => panic!("expected a protocol error, got {other:?}"),
    }
    let reply = server.join().unwrap();
    assert_eq!(reply[0], 0x88, "a close frame");
    assert_ne!(reply[1] & 0x80, 0, "masked, as a client's frames must be");
}
