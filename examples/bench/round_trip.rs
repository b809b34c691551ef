//! One round trip of `bench transports`, five ways: the client sends `hi`, the server
//! answers `hi`. Each [`Way`] opens what it needs once ([`Exchanger::open`]) and then
//! repeats [`Exchanger::round_trip`], counting every byte on its sockets.
//!
//! ```text
//!  (a) HTTP, new connection each   connect, POST /echo-http "hi", 200 "hi", close
//!  (b) HTTP keep-alive             POST /echo-http "hi", 200 "hi" — one connection for all
//!  (c) Socket.IO long-polling      POST 42["echo","hi"] → ok; the held GET answers 42["echo","hi"]
//!  (d) Socket.IO over WebSocket    frame 42["echo","hi"] → frame 42["echo","hi"]
//!  (e) raw WebSocket               frame "hi" → frame "hi"
//! ```

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use threadio::engineio::Packet as EnginePacket;

use crate::counting::ByteCount;
use crate::error::BenchError;
use crate::http_client::{HttpConnection, HttpResponse};
use crate::wire_polling::{self, Polling, Session};
use crate::wire_socketio::{self, Received};
use crate::wire_websocket::WireWebSocket;

/// The message of every round trip.
const HI: &str = "hi";

/// The five ways to carry one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Way {
    NewConnection,
    KeepAlive,
    LongPolling,
    SocketIoWebSocket,
    RawWebSocket,
}

impl Way {
    pub const ALL: [Way; 5] = [
        Way::NewConnection,
        Way::KeepAlive,
        Way::LongPolling,
        Way::SocketIoWebSocket,
        Way::RawWebSocket,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Way::NewConnection => "(a) HTTP POST, new connection each",
            Way::KeepAlive => "(b) HTTP POST, keep-alive",
            Way::LongPolling => "(c) Socket.IO long-polling",
            Way::SocketIoWebSocket => "(d) Socket.IO over WebSocket",
            Way::RawWebSocket => "(e) raw WebSocket",
        }
    }
}

/// One way, connected and ready for round trips.
pub enum Exchanger {
    /// No connection between round trips; the bytes of those already closed.
    NewConnection {
        server: SocketAddr,
        spent: ByteCount,
    },
    KeepAlive(HttpConnection),
    LongPolling {
        session: Arc<Session>,
        polling: Polling,
    },
    SocketIoWebSocket(WireWebSocket),
    RawWebSocket(WireWebSocket),
}

impl Exchanger {
    pub fn open(way: Way, server: SocketAddr, timeout: Duration) -> Result<Exchanger, BenchError> {
        Ok(match way {
            Way::NewConnection => Exchanger::NewConnection {
                server,
                spent: ByteCount::default(),
            },
            Way::KeepAlive => Exchanger::KeepAlive(HttpConnection::open(server)?),
            Way::LongPolling => {
                let (session, polling) = wire_polling::connect(server, None, timeout)?;
                Exchanger::LongPolling { session, polling }
            }
            Way::SocketIoWebSocket => {
                Exchanger::SocketIoWebSocket(socketio_over_wire(server, timeout)?)
            }
            Way::RawWebSocket => {
                Exchanger::RawWebSocket(WireWebSocket::connect(server, "/echo", timeout)?)
            }
        })
    }

    /// Sends `hi` and waits for it to come back.
    pub fn round_trip(&mut self, timeout: Duration) -> Result<(), BenchError> {
        let deadline = Instant::now() + timeout;
        let answer = match self {
            Exchanger::NewConnection { server, spent } => {
                let mut connection = HttpConnection::open(*server)?;
                connection.send("POST", "/echo-http", HI.as_bytes(), true)?;
                let response = connection.receive(deadline)?;
                spent.add(connection.bytes());
                http_body(response)?
            }
            Exchanger::KeepAlive(connection) => {
                connection.send("POST", "/echo-http", HI.as_bytes(), false)?;
                http_body(connection.receive(deadline)?)?
            }
            Exchanger::LongPolling { session, polling } => {
                session.post(&[wire_socketio::event("echo", vec![HI.into()])])?;
                polling.recv(timeout)?
            }
            Exchanger::SocketIoWebSocket(ws) => {
                ws.send_text(&echo_event_text())?;
                next_event(ws, deadline)?
            }
            Exchanger::RawWebSocket(ws) => {
                ws.send_text(HI)?;
                ws.recv_text(deadline)?
            }
        };
        match answer {
            Some(text) if text == HI => Ok(()),
            Some(text) => Err(BenchError::Protocol(format!(
                "{text:?} came back instead of {HI:?}"
            ))),
            None => Err(BenchError::Timeout("the answer to hi")),
        }
    }

    pub fn bytes(&self) -> ByteCount {
        match self {
            Exchanger::NewConnection { spent, .. } => *spent,
            Exchanger::KeepAlive(connection) => connection.bytes(),
            Exchanger::LongPolling { session, polling } => {
                let mut both = session.bytes();
                both.add(polling.bytes());
                both
            }
            Exchanger::SocketIoWebSocket(ws) | Exchanger::RawWebSocket(ws) => ws.bytes(),
        }
    }

    pub fn close(self) {
        match self {
            Exchanger::LongPolling { session, .. } => session.close(),
            Exchanger::SocketIoWebSocket(ws) | Exchanger::RawWebSocket(ws) => ws.close(),
            Exchanger::NewConnection { .. } | Exchanger::KeepAlive(_) => {}
        }
    }
}

/// The body of a `200`, as text.
fn http_body(response: Option<HttpResponse>) -> Result<Option<String>, BenchError> {
    let Some(response) = response else {
        return Ok(None);
    };
    if response.status != 200 {
        return Err(BenchError::Protocol(format!("HTTP {}", response.status)));
    }
    Ok(Some(String::from_utf8_lossy(&response.body).into_owned()))
}

/// `42["echo","hi"]` as the text of an Engine.IO message.
fn echo_event_text() -> String {
    wire_socketio::event("echo", vec![HI.into()])
        .encode_text()
        .unwrap_or_default()
}

/// The Socket.IO handshake over a counted WebSocket: the open packet, `40`, and its answer.
fn socketio_over_wire(server: SocketAddr, timeout: Duration) -> Result<WireWebSocket, BenchError> {
    let deadline = Instant::now() + timeout;
    let mut ws = WireWebSocket::connect(server, "/socket.io/?EIO=4&transport=websocket", timeout)?;
    let open = ws
        .recv_text(deadline)?
        .ok_or(BenchError::Timeout("the open packet"))?;
    wire_socketio::sid_from_open(&decode(&open)?)?;
    ws.send_text(&wire_socketio::connect().encode_text().unwrap_or_default())?;
    loop {
        let text = ws
            .recv_text(deadline)?
            .ok_or(BenchError::Timeout("the answer to CONNECT"))?;
        if wire_socketio::receive(decode(&text)?)? == Received::Connected {
            return Ok(ws);
        }
    }
}

/// The next event's first argument over a counted WebSocket, answering pings.
fn next_event(ws: &mut WireWebSocket, deadline: Instant) -> Result<Option<String>, BenchError> {
    while let Some(text) = ws.recv_text(deadline)? {
        match wire_socketio::receive(decode(&text)?)? {
            Received::Event(text) => return Ok(Some(text)),
            Received::Ping => {
                ws.send_text(&wire_socketio::pong().encode_text().unwrap_or_default())?
            }
            Received::Closed => return Err(BenchError::Closed("the Socket.IO session".into())),
            Received::Connected | Received::Nothing => {}
        }
    }
    Ok(None)
}

fn decode(text: &str) -> Result<EnginePacket, BenchError> {
    EnginePacket::decode_text(text).map_err(|e| BenchError::Protocol(format!("{text:?}: {e}")))
}
