//! Fuzzes WebSocket message assembly: `WebSocket::recv` as a server reads it from a real TCP
//! connection (RFC 6455 §5.4 fragments, §5.5 control frames, §8.1 UTF-8, §10.4 limits, §7
//! the peer's close).
//!
//! Assembly lives inside `WebSocket::recv`, which reads a socket, so this target runs a
//! real one: a loopback connection per input, the input written by the peer's end, which
//! then shuts its half down; the server's end calls `recv` until it ends. A connection costs
//! a connect, an accept and a few syscalls, so this target runs thousands of inputs a
//! second, not the hundreds of thousands of the pure decoders: enough, since the decoders
//! it is built on have targets of their own.
//!
//! Input: byte 0 picks the configuration (read buffer, frame and message limits, keepalive);
//! the rest is what the client sends after the handshake.
//!
//! The property, beyond "no panic, no endless loop, no hang": `recv` returns exactly the
//! messages, and ends exactly the way, that a plain reading of the RFC over the whole input
//! at once says: a model below built on `Frame`'s whole-buffer decoder and
//! `std::str::from_utf8`. The connection reads in pieces as TCP delivers them, through a
//! small read buffer or straight into a large message, unmasks piece by piece, validates
//! text piece by piece and across fragments, and decides limits from headers before reading
//! payloads; none of that may change what the application sees, nor how early a text that
//! turns invalid is refused (as soon as the bytes so far cannot begin valid text).
#![no_main]

use std::io::Write;
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::OnceLock;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use threadio::websocket::frame::{
    apply_mask, decode_close_payload, CloseCode, FrameError, Header, OpCode, Role,
};
use threadio::websocket::{Message, WebSocket, WebSocketConfig, WsError};

fuzz_target!(
    init: {
        // A log line per failed connection would be most of what this target does.
        std::env::set_var("THREADIO_LOG", "off");
    },
    |input: &[u8]| {
        let Some((&config_byte, wire)) = input.split_first() else {
            return;
        };
        let config = config_from(config_byte);
        let (messages, end) = over_tcp(wire, &config);
        let (expected_messages, expected_end) = model(wire, &config);
        assert_eq!(messages, expected_messages, "messages differ from the model's");
        assert_eq!(end, expected_end, "the connection ended unlike the model");
    }
);

/// How a connection ended, as far as the application can tell.
#[derive(Debug, PartialEq)]
enum End {
    /// The peer's close frame: its code and reason.
    Closed(Option<CloseCode>, String),
    /// A rule broken: we failed the connection with this.
    Protocol(FrameError),
    /// The bytes ran out: the TCP connection ended without a close frame.
    Eof,
}

fn config_from(byte: u8) -> WebSocketConfig {
    WebSocketConfig {
        read_buffer: [16, 64, 1024, 4096][usize::from(byte & 0x03)],
        max_frame_size: if byte & 0x04 == 0 { 1 << 20 } else { 100 },
        max_message_size: if byte & 0x08 == 0 { 1 << 20 } else { 200 },
        // With keepalive, `recv` waits with a deadline (`recv_timeout`); without, it blocks.
        keepalive: (byte & 0x10 != 0).then(|| Duration::from_secs(30)),
        // Never reached: the peer's end has shut down before we read. Short anyway, so a
        // bug that waits for it shows as a slow input, not a stuck fuzzer.
        close_timeout: Duration::from_secs(1),
        stall_timeout: Duration::from_secs(5),
        ..WebSocketConfig::default()
    }
}

/// Sends `wire` over a loopback connection and reads it with `WebSocket::recv`.
fn over_tcp(wire: &[u8], config: &WebSocketConfig) -> (Vec<Message>, End) {
    static LISTENER: OnceLock<TcpListener> = OnceLock::new();
    let listener = LISTENER.get_or_init(|| TcpListener::bind("127.0.0.1:0").expect("bind"));
    let mut peer = TcpStream::connect(listener.local_addr().expect("address")).expect("connect");
    let (server_end, _) = listener.accept().expect("accept");
    // Inputs are a few KiB, far below the socket buffers: the write cannot block.
    peer.write_all(wire).expect("the peer writes");
    peer.shutdown(Shutdown::Write).expect("the peer shuts down");

    let mut socket =
        WebSocket::from_upgraded(server_end, &[], Role::Server, config).expect("a WebSocket");
    let mut messages = Vec::new();
    let end = loop {
        match socket.recv() {
            Ok(message) => messages.push(message),
            Err(WsError::Closed { code, reason }) => break End::Closed(code, reason),
            Err(WsError::Protocol(error)) => break End::Protocol(error),
            Err(WsError::Io(_)) => break End::Eof,
            Err(WsError::AlreadyClosed) => panic!("recv after the end"),
        }
    };
    (messages, end)
}

/// The RFC read over the whole input at once: what the application should get.
fn model(wire: &[u8], config: &WebSocketConfig) -> (Vec<Message>, End) {
    let mut messages = Vec::new();
    // The fragmented message in progress: its opcode and its bytes so far.
    let mut partial: Option<(OpCode, Vec<u8>)> = None;
    let mut pos = 0;
    let end = loop {
        let rest = &wire[pos..];
        let (header, header_len) = match Header::decode(rest, Role::Server) {
            Ok(Some(decoded)) => decoded,
            Ok(None) => break End::Eof,
            Err(error) => break End::Protocol(error),
        };
        let len = header.payload_len;
        if len > config.max_frame_size as u64 {
            break End::Protocol(FrameError::PayloadTooLarge {
                len,
                max: config.max_frame_size as u64,
            });
        }
        // What arrived of the payload, unmasked: all of it unless the input ends first.
        let arrived = rest.len() - header_len;
        let complete = arrived as u64 >= len;
        let mut payload = rest[header_len..][..arrived.min(len as usize)].to_vec();
        apply_mask(&mut payload, header.mask.expect("a server's peer masks"), 0);

        if header.opcode.is_control() {
            if !complete {
                break End::Eof;
            }
            pos += header_len + payload.len();
            match header.opcode {
                OpCode::Close => {
                    break match decode_close_payload(&payload) {
                        Ok(Some((code, reason))) => End::Closed(Some(code), reason),
                        Ok(None) => End::Closed(None, String::new()),
                        Err(error) => End::Protocol(error),
                    }
                }
                _ => continue, // a ping is answered, a pong ignored: neither is a message
            }
        }

        let (opcode, mut data) = match (partial.take(), header.opcode) {
            (Some(message), OpCode::Continuation) => message,
            (Some(_), _) => break End::Protocol(FrameError::ExpectedContinuation),
            (None, OpCode::Continuation) => {
                break End::Protocol(FrameError::UnexpectedContinuation)
            }
            (None, opcode) => (opcode, Vec::new()),
        };
        let total = data.len() as u64 + len;
        if total > config.max_message_size as u64 {
            break End::Protocol(FrameError::MessageTooLarge {
                len: total,
                max: config.max_message_size as u64,
            });
        }
        data.extend_from_slice(&payload);
        if opcode == OpCode::Text && cannot_begin_text(&data) {
            break End::Protocol(FrameError::InvalidUtf8);
        }
        if !complete {
            break End::Eof;
        }
        pos += header_len + payload.len();
        if !header.fin {
            partial = Some((opcode, data));
            continue;
        }
        match opcode {
            OpCode::Text => match String::from_utf8(data) {
                Ok(text) => messages.push(Message::Text(text)),
                // Valid so far but cut inside a code point at the end of the message.
                Err(_) => break End::Protocol(FrameError::InvalidUtf8),
            },
            _ => messages.push(Message::Binary(data)),
        }
    };
    (messages, end)
}

/// Whether `bytes` can begin no valid UTF-8 text (a prefix that stops inside a code point
/// may still become one).
fn cannot_begin_text(bytes: &[u8]) -> bool {
    matches!(std::str::from_utf8(bytes), Err(e) if e.error_len().is_some())
}
