//! Engine.IO packets to and from the server, over whichever transport a client uses now:
//! a WebSocket (one packet per frame, binary messages as binary frames) or long-polling
//! (`long_poll.rs`). The Socket.IO layer (`sio_peer.rs`) is written once against this, and
//! a polling client's upgrade (`upgrade.rs`) swaps one transport for the other under it.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Instant;

use threadio::engineio::Packet as EnginePacket;
use threadio::websocket::{client, Message, WebSocket};

use crate::error::BenchError;
use crate::long_poll::LongPoll;

/// Where a WebSocket-only client connects (Engine.IO v4 "Transports").
const WEBSOCKET_PATH: &str = "/socket.io/?EIO=4&transport=websocket";

/// One client's transport.
pub enum Wire {
    WebSocket {
        ws: WebSocket,
        /// Packets that arrived over polling before an upgrade and were not handed out yet.
        carried: VecDeque<EnginePacket>,
    },
    Polling(LongPoll),
}

impl Wire {
    /// A new session over WebSocket from the first request (`transports: ["websocket"]`),
    /// and its open packet.
    ///
    /// # Errors
    /// If the connection or the handshake fails.
    pub fn websocket(server: SocketAddr) -> Result<(Wire, EnginePacket), BenchError> {
        let ws = client::connect(&format!("ws://{server}{WEBSOCKET_PATH}"))
            .map_err(|e| BenchError::Connect(e.to_string()))?;
        let mut wire = Wire::WebSocket {
            ws,
            carried: VecDeque::new(),
        };
        let deadline = Instant::now() + std::time::Duration::from_secs(10);
        let open = wire
            .recv(deadline)?
            .ok_or(BenchError::Timeout("the open packet"))?;
        Ok((wire, open))
    }

    /// A new session over long-polling, and its open packet.
    ///
    /// # Errors
    /// If the connection or the handshake fails.
    pub fn polling(server: SocketAddr) -> Result<(Wire, EnginePacket), BenchError> {
        let (poll, open) = LongPoll::open(server)?;
        Ok((Wire::Polling(poll), open))
    }

    /// Sends packets: a frame each over WebSocket, one `POST` for all over polling.
    ///
    /// # Errors
    /// If the connection or the session is gone.
    pub fn send(&mut self, packets: &[EnginePacket]) -> Result<(), BenchError> {
        match self {
            Wire::WebSocket { ws, .. } => {
                for packet in packets {
                    ws.send(frame_of(packet))
                        .map_err(|e| BenchError::Closed(e.to_string()))?;
                }
                Ok(())
            }
            Wire::Polling(poll) => poll.send(packets),
        }
    }

    /// The next packet, or `None` once `deadline` passed with none.
    ///
    /// # Errors
    /// If the connection or the session ends, or the server sends what is not Engine.IO.
    pub fn recv(&mut self, deadline: Instant) -> Result<Option<EnginePacket>, BenchError> {
        match self {
            Wire::WebSocket { ws, carried } => {
                if let Some(packet) = carried.pop_front() {
                    return Ok(Some(packet));
                }
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Ok(None); // a zero read timeout is an error for the socket
                }
                match ws.recv_timeout(left)? {
                    None => Ok(None),
                    Some(Message::Binary(bytes)) => Ok(Some(EnginePacket::decode_binary(bytes))),
                    Some(Message::Text(text)) => EnginePacket::decode_text(&text)
                        .map(Some)
                        .map_err(|e| BenchError::Protocol(format!("packet {text:.40?}: {e}"))),
                }
            }
            Wire::Polling(poll) => poll.recv(deadline),
        }
    }

    /// Drops the connection as a crashed client or a pulled cable would: no Socket.IO
    /// DISCONNECT, no Engine.IO close, no WebSocket close frame. Over WebSocket the TCP
    /// connection is shut down; over polling both connections are closed, with a `GET` out
    /// or not as it happens.
    pub fn cut(self) {
        match self {
            Wire::WebSocket { ws, .. } => {
                // `kill` ends the connection without the closing handshake; dropping the
                // WebSocket afterwards finds it dead and sends nothing more.
                ws.sender().kill();
            }
            Wire::Polling(poll) => drop(poll),
        }
    }
}

/// An Engine.IO packet as a WebSocket message: text packets as text frames, binary
/// messages as binary frames of their bytes alone (Engine.IO v4 "Packet encoding").
fn frame_of(packet: &EnginePacket) -> Message {
    match packet {
        EnginePacket::BinaryMessage(bytes) => Message::Binary(bytes.clone()),
        other => Message::Text(other.encode_text().unwrap_or_default()),
    }
}
