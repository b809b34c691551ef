//! Socket.IO over WebSocket from the first request, as a client started with
//! `transports: ["websocket"]` does: no polling, no upgrade. Each Engine.IO packet is one
//! text frame (Engine.IO v4 "Packet encoding › WebSocket").

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use threadio::engineio::Packet as EnginePacket;
use threadio::websocket::{Message, Sender, WebSocket};

use crate::error::BenchError;
use crate::raw_websocket;
use crate::socketio_client::{self, Received};

/// Where a WebSocket-only Socket.IO client connects (Engine.IO v4 "Transports").
const PATH: &str = "/socket.io/?EIO=4&transport=websocket";

/// Opens a session and joins the main namespace; then sends `first` (a room's `join`), if
/// given. Returns once the server has accepted the CONNECT.
///
/// # Errors
/// If the WebSocket cannot be opened or the handshake does not complete within `timeout`.
pub fn connect(
    server: SocketAddr,
    first: Option<EnginePacket>,
    timeout: Duration,
) -> Result<WebSocket, BenchError> {
    let deadline = Instant::now() + timeout;
    let mut ws = raw_websocket::connect(server, PATH)?;
    let open = raw_websocket::recv(&mut ws, timeout)?
        .ok_or(BenchError::Timeout("the Engine.IO open packet"))?;
    socketio_client::sid_from_open(&decode(&open)?)?;
    send(&ws.sender(), &socketio_client::connect())?;
    loop {
        match next(&mut ws, deadline)? {
            Some(Received::Connected) => break,
            Some(Received::Closed) => return Err(closed()),
            Some(_) => {}
            None => return Err(BenchError::Timeout("the answer to CONNECT")),
        }
    }
    if let Some(packet) = first {
        send(&ws.sender(), &packet)?;
    }
    Ok(ws)
}

/// Sends one Engine.IO packet as a text frame, from any thread.
///
/// # Errors
/// If the connection is closed.
pub fn send(sender: &Sender, packet: &EnginePacket) -> Result<(), BenchError> {
    let text = packet
        .encode_text()
        .expect("bench packets are text: none is a BinaryMessage");
    raw_websocket::send(sender, &text)
}

/// The first argument of the next event, or `None` after `timeout`. Pings are answered on
/// the way.
///
/// # Errors
/// If the connection or the session ends, or the server sends what we cannot read.
pub fn recv(ws: &mut WebSocket, timeout: Duration) -> Result<Option<String>, BenchError> {
    let deadline = Instant::now() + timeout;
    loop {
        match next(ws, deadline)? {
            Some(Received::Event(text)) => return Ok(Some(text)),
            Some(Received::Closed) => return Err(closed()),
            Some(Received::Connected | Received::Nothing | Received::Ping) => {}
            None => return Ok(None),
        }
    }
}

/// The next packet that means something, answering a ping at once: Engine.IO v4
/// "Heartbeat" gives us `pingTimeout` (20 s) before the server closes the session.
fn next(ws: &mut WebSocket, deadline: Instant) -> Result<Option<Received>, BenchError> {
    let left = deadline.saturating_duration_since(Instant::now());
    let Some(text) = raw_websocket::recv(ws, left)? else {
        return Ok(None);
    };
    let received = socketio_client::receive(decode(&text)?)?;
    if received == Received::Ping {
        let pong = Message::Text(socketio_client::pong().encode_text().unwrap_or_default());
        ws.send(pong)
            .map_err(|e| BenchError::Closed(e.to_string()))?;
    }
    Ok(Some(received))
}

fn decode(text: &str) -> Result<EnginePacket, BenchError> {
    EnginePacket::decode_text(text)
        .map_err(|e| BenchError::Protocol(format!("Engine.IO packet {text:?}: {e}")))
}

fn closed() -> BenchError {
    BenchError::Closed("the server closed the Socket.IO session".to_string())
}
