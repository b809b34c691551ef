//! Raw WebSocket, no protocol on top: a bench message is one text frame each way. This is
//! threadio's client role as any user gets it, `threadio::websocket::client::connect`.

use std::net::SocketAddr;
use std::time::Duration;

use threadio::websocket::{client, Message, Sender, WebSocket};

use crate::error::BenchError;

/// Opens a WebSocket to `path` (`/echo`, `/broadcast`, `/room/NAME`).
///
/// # Errors
/// If TCP or the handshake fails.
pub fn connect(server: SocketAddr, path: &str) -> Result<WebSocket, BenchError> {
    client::connect(&format!("ws://{server}{path}")).map_err(|e| BenchError::Connect(e.to_string()))
}

/// Sends one message from any thread. `Sender::send` queues it if the socket is busy, so a
/// publisher never waits on its own connection.
///
/// # Errors
/// If the connection is closed.
pub fn send(sender: &Sender, message: &str) -> Result<(), BenchError> {
    sender
        .send(Message::Text(message.to_string()))
        .map_err(|e| BenchError::Closed(e.to_string()))
}

/// The next message, or `None` after `timeout` with the connection still open.
///
/// # Errors
/// If the connection ends, or a binary message arrives (the bench sends text only).
pub fn recv(ws: &mut WebSocket, timeout: Duration) -> Result<Option<String>, BenchError> {
    match ws.recv_timeout(timeout)? {
        None => Ok(None),
        Some(Message::Text(text)) => Ok(Some(text)),
        Some(Message::Binary(_)) => Err(BenchError::Protocol("a binary message".to_string())),
    }
}
