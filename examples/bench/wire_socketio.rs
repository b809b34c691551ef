//! The client's half of Socket.IO written by hand, for the `transports` table only: which
//! packets to send and what the server's packets mean. `round_trip.rs` moves them over a
//! counted WebSocket and `wire_polling.rs` over counted HTTP requests, so every byte on the
//! wire is seen; the other workloads use the crate's client (`socketio_client.rs`), which
//! owns its sockets and cannot count them.
//!
//! ```text
//!  server → 0{"sid":"…","pingInterval":25000,…}   Engine.IO open (v4 "Handshake")
//!  client → 40                                     Socket.IO CONNECT to "/" (v5)
//!  server → 40{"sid":"…"}                          CONNECT accepted
//!  client → 42["echo","0:17:…"]                    an EVENT
//!  server → 42["echo","0:17:…"]
//!  server → 2        client → 3                    the heartbeat: the server pings (v4)
//! ```
//!
//! Packets are built and read with threadio's own types (`engineio::Packet`,
//! `socketio::packet`).

use threadio::engineio::Packet as EnginePacket;
use threadio::json::Value;
use threadio::socketio::packet::{self, Decoded, Limits, Packet, PacketType};

use crate::error::BenchError;

/// What one Engine.IO packet from the server means to a bench client.
#[derive(Debug, PartialEq)]
pub enum Received {
    /// An event's first argument, as text: the bench's message (see `stamp.rs`).
    Event(String),
    /// A heartbeat ping: answer with [`pong`] now, or the server closes the session.
    Ping,
    /// The server accepted our CONNECT (`40{"sid":…}`): events may flow.
    Connected,
    /// The server closed the session (Engine.IO `1`) or our namespace (Socket.IO `41`).
    Closed,
    /// Anything else we need not act on: an ACK, a noop (`6`).
    Nothing,
}

/// The first packet of every session: Engine.IO's open packet, whose JSON says the sid.
///
/// # Errors
/// If `packet` is not an open packet with a `sid`.
pub fn sid_from_open(packet: &EnginePacket) -> Result<String, BenchError> {
    let EnginePacket::Open(json) = packet else {
        return Err(BenchError::Protocol(format!(
            "{packet:?} where the open packet belongs"
        )));
    };
    let open = Value::parse(json).map_err(|e| BenchError::Protocol(format!("open packet: {e}")))?;
    open["sid"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| BenchError::Protocol(format!("no sid in the open packet {json}")))
}

/// `40`: join the main namespace `/`, with no auth (Socket.IO v5 "Connection to a namespace").
pub fn connect() -> EnginePacket {
    socketio_message(&Packet::connect("/", None))
}

/// `3`: the answer to the server's ping.
pub fn pong() -> EnginePacket {
    EnginePacket::Pong(String::new())
}

/// `42["name",args…]`: an event for the main namespace.
pub fn event(name: &str, args: Vec<Value>) -> EnginePacket {
    socketio_message(&Packet::event("/", name, args, None))
}

/// A Socket.IO packet inside an Engine.IO message (`4` + the packet's text). Bench packets
/// carry no bytes, so there are no attachments to send after it.
fn socketio_message(packet: &Packet) -> EnginePacket {
    let (text, attachments) = packet.encode();
    debug_assert!(attachments.is_empty(), "bench events carry text only");
    EnginePacket::Message(text)
}

/// What `packet`, from the server, asks of us.
///
/// # Errors
/// A Socket.IO packet that does not decode, a CONNECT_ERROR, or binary data (we never
/// send any, so none should come back).
pub fn receive(packet: EnginePacket) -> Result<Received, BenchError> {
    match packet {
        EnginePacket::Ping(_) => Ok(Received::Ping),
        EnginePacket::Close => Ok(Received::Closed),
        EnginePacket::Message(text) => receive_socketio(&text),
        EnginePacket::BinaryMessage(_) => Err(BenchError::Protocol("a binary message".to_string())),
        EnginePacket::Open(_)
        | EnginePacket::Pong(_)
        | EnginePacket::Upgrade
        | EnginePacket::Noop => Ok(Received::Nothing),
    }
}

fn receive_socketio(text: &str) -> Result<Received, BenchError> {
    let decoded = packet::decode(text, &Limits::default())
        .map_err(|e| BenchError::Protocol(format!("Socket.IO packet {text:?}: {e}")))?;
    let Decoded::Complete(packet) = decoded else {
        return Err(BenchError::Protocol("a binary event".to_string()));
    };
    match packet.kind {
        PacketType::Event => {
            // data is ["name", first argument, …]; the bench's message is the first argument.
            let message = packet.data.as_ref().map(|data| &data[1]);
            match message.and_then(Value::as_str) {
                Some(text) => Ok(Received::Event(text.to_string())),
                None => Err(BenchError::Protocol(format!(
                    "an event without text: {text}"
                ))),
            }
        }
        PacketType::Connect => Ok(Received::Connected),
        PacketType::Disconnect => Ok(Received::Closed),
        PacketType::ConnectError => Err(BenchError::Connect(format!("CONNECT_ERROR {text}"))),
        _ => Ok(Received::Nothing),
    }
}
