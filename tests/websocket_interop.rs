//! threadio's WebSocket server against a client none of us wrote: tungstenite.
//! Also the RFC 6455 §1.3 handshake vector, and every handshake refusal with its status.

mod common;

use common::{echo_router, http_exchange, start, start_with, status_of, READ_TIMEOUT};
use threadio::http::ServerConfig;
use threadio::websocket::{OriginPolicy, WebSocketConfig};
use tungstenite::protocol::frame::coding::CloseCode as TCloseCode;
use tungstenite::{Message as TMessage, Utf8Bytes};

fn tungstenite_echo(addr: std::net::SocketAddr) -> tungstenite::WebSocket<std::net::TcpStream> {
    let stream = std::net::TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    let (ws, response) =
        tungstenite::client(format!("ws://{addr}/echo"), stream).expect("handshake");
    assert_eq!(response.status().as_u16(), 101);
    ws
}

#[test]
fn handshake_answers_the_rfc6455_section_1_3_accept_value() {
    let server = start(echo_router());
    let response = http_exchange(
        server.addr(),
        b"GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n\x88\x80\0\0\0\0",
    );
    assert_eq!(status_of(&response), 101);
    assert!(
        response.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"),
        "{response}"
    );
}

#[test]
fn text_and_binary_of_every_length_class_echo_through_tungstenite() {
    let server = start_with(
        ServerConfig {
            websocket: WebSocketConfig {
                max_message_size: 1 << 21,
                max_frame_size: 1 << 21,
                ..Default::default()
            },
            ..Default::default()
        },
        echo_router(),
    );
    let mut ws = tungstenite_echo(server.addr());
    for len in [0usize, 1, 125, 126, 127, 65535, 65536, 1 << 20] {
        let text: String = "é".repeat(len / 2) + &"a".repeat(len % 2);
        ws.send(TMessage::text(text.clone())).unwrap();
        assert_eq!(
            ws.read().unwrap(),
            TMessage::Text(Utf8Bytes::from(text)),
            "text of {len} bytes"
        );
        let bytes: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        ws.send(TMessage::binary(bytes.clone())).unwrap();
        assert_eq!(
            ws.read().unwrap(),
            TMessage::binary(bytes),
            "binary of {len} bytes"
        );
    }
}

#[test]
fn ping_is_answered_with_a_pong_carrying_its_payload() {
    let server = start(echo_router());
    let mut ws = tungstenite_echo(server.addr());
    ws.send(TMessage::Ping(b"are you there".to_vec().into()))
        .unwrap();
    assert_eq!(
        ws.read().unwrap(),
        TMessage::Pong(b"are you there".to_vec().into())
    );
}

#[test]
fn client_close_gets_the_same_code_back_and_tcp_ends() {
    let server = start(echo_router());
    let mut ws = tungstenite_echo(server.addr());
    ws.close(Some(tungstenite::protocol::CloseFrame {
        code: TCloseCode::Away,
        reason: "bye".into(),
    }))
    .unwrap();
    let reply = loop {
        match ws.read() {
            Ok(TMessage::Close(frame)) => break frame,
            Ok(_) => continue,
            Err(e) => panic!("no close reply: {e}"),
        }
    };
    assert_eq!(reply.map(|f| f.code), Some(TCloseCode::Away));
    // The server closes the TCP connection after the handshake (§7.1.1).
    assert!(matches!(
        ws.read(),
        Err(tungstenite::Error::ConnectionClosed)
    ));
}

#[test]
fn wrong_version_is_refused_with_426_and_the_supported_version() {
    let server = start(echo_router());
    let response = http_exchange(
        server.addr(),
        b"GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n",
    );
    assert_eq!(status_of(&response), 426);
    assert!(
        response.contains("Sec-WebSocket-Version: 13\r\n"),
        "{response}"
    );
}

#[test]
fn missing_or_bad_key_is_refused_with_400() {
    let server = start(echo_router());
    for key_line in [
        "",
        "Sec-WebSocket-Key: c2hvcnQ=\r\n",
        "Sec-WebSocket-Key: !!!notbase64!!!\r\n",
    ] {
        let request = format!(
            "GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             {key_line}Sec-WebSocket-Version: 13\r\n\r\n"
        );
        assert_eq!(
            status_of(&http_exchange(server.addr(), request.as_bytes())),
            400,
            "{key_line:?}"
        );
    }
}

#[test]
fn missing_upgrade_headers_are_refused() {
    let server = start(echo_router());
    let request =
        b"GET /echo HTTP/1.1\r\nHost: x\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
                    Sec-WebSocket-Version: 13\r\n\r\n";
    let status = status_of(&http_exchange(server.addr(), request));
    assert_eq!(status, 400, "no Upgrade field: RFC 6455 §4.2.1 item 3");
}

#[test]
fn forbidden_origin_is_refused_with_403_and_an_allowed_one_connects() {
    let config = ServerConfig {
        websocket: WebSocketConfig {
            origins: OriginPolicy::AllowList(vec!["http://good.example".into()]),
            ..Default::default()
        },
        ..Default::default()
    };
    let server = start_with(config, echo_router());
    let handshake = |origin: &str| {
        format!(
            "GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nOrigin: {origin}\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
    };
    assert_eq!(
        status_of(&http_exchange(
            server.addr(),
            handshake("http://evil.example").as_bytes()
        )),
        403
    );
    let mut ok = common::tcp(server.addr());
    std::io::Write::write_all(&mut ok, handshake("http://good.example").as_bytes()).unwrap();
    assert_eq!(status_of(&common::read_head(&mut ok)), 101);
}

#[test]
fn a_client_that_vanishes_mid_message_ends_only_its_own_connection() {
    let server = start(echo_router());
    let mut healthy = tungstenite_echo(server.addr());
    {
        let mut broken = common::raw_websocket(server.addr(), "/echo");
        std::io::Write::write_all(
            &mut broken,
            &common::client_frame(0x81, b"half a frame")[..8],
        )
        .unwrap();
    } // dropped: TCP closes mid-frame
    healthy.send(TMessage::text("still here")).unwrap();
    assert_eq!(healthy.read().unwrap(), TMessage::text("still here"));
}
