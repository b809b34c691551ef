//! A Socket.IO client, as small as the soak needs: join the main namespace, emit events
//! (with an ack id when an answer is wanted, with binary attachments when the arguments
//! hold bytes), and hear events and acks — answering the server's pings on the way, as
//! every client must or be dropped (Engine.IO v4 "Heartbeat").
//!
//! ```text
//!  → 40                                  CONNECT to "/"
//!  ← 40{"sid":"K"}                       accepted: K is the socket's id, and its room
//!  → 42 7["send","K2","3.14","…"]        an EVENT asking for ack 7
//!  ← 43 7[1]                             ACK 7
//!  → 451-["bin","3.15",{"_placeholder":true,"num":0}]  then <bytes> as a binary message
//!  ← 2            → 3                    ping, pong
//! ```
//!
//! Packets are built and read with threadio's own `socketio::packet` and
//! `engineio::Packet`, so the client side of the crate is exercised as well.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use threadio::engineio::Packet as EnginePacket;
use threadio::json::Value;
use threadio::socketio::packet::{self, Decoded, Limits, Packet, PacketType, PartialPacket};

use crate::error::BenchError;
use crate::wire::Wire;

/// How long a new client may take to be connected, both handshakes included.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// What the server said that the client acts on.
#[derive(Debug)]
pub enum Heard {
    /// An event: its name and arguments (bytes as `Value::Binary`).
    Event(String, Vec<Value>),
    /// The answer to one of our events.
    Ack(u64, Vec<Value>),
    /// The server accepted our CONNECT; [`SioPeer::socket_id`] is known from now on.
    Connected,
}

/// One client's socket in the main namespace.
pub struct SioPeer {
    wire: Wire,
    socket_id: String,
    engine_sid: String,
    next_ack: u64,
    /// A binary packet whose attachments are still arriving.
    partial: Option<PartialPacket>,
}

/// The sid in an Engine.IO open packet (`0{"sid":"…",…}`).
///
/// # Errors
/// If `open` is not an open packet with a sid.
pub fn sid_of_open(open: &EnginePacket) -> Result<String, BenchError> {
    let EnginePacket::Open(json) = open else {
        return Err(BenchError::Protocol(format!("{open:?} for an open packet")));
    };
    let value = Value::parse(json).map_err(|e| BenchError::Protocol(e.to_string()))?;
    value["sid"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| BenchError::Protocol(format!("no sid in {json}")))
}

impl SioPeer {
    /// A new client: a session over WebSocket or over polling, joined to the main
    /// namespace.
    ///
    /// # Errors
    /// If the connection or either handshake fails, or takes more than 10 s.
    pub fn open(server: SocketAddr, over_polling: bool) -> Result<SioPeer, BenchError> {
        let (wire, open) = match over_polling {
            true => Wire::polling(server)?,
            false => Wire::websocket(server)?,
        };
        SioPeer::connect(wire, &open, Instant::now() + CONNECT_TIMEOUT)
    }

    /// Joins the main namespace over `wire`, whose open packet was `open`; returns once the
    /// server has accepted (or `deadline` passed: an error).
    ///
    /// # Errors
    /// If the server refuses, closes, or says nothing in time.
    pub fn connect(
        mut wire: Wire,
        open: &EnginePacket,
        deadline: Instant,
    ) -> Result<SioPeer, BenchError> {
        let engine_sid = sid_of_open(open)?;
        let (text, _) = Packet::connect("/", None).encode();
        wire.send(&[EnginePacket::Message(text)])?;
        let mut peer = SioPeer {
            wire,
            socket_id: String::new(),
            engine_sid,
            next_ack: 1,
            partial: None,
        };
        loop {
            match peer.next(deadline)? {
                Some(Heard::Connected) => return Ok(peer),
                Some(_) => {}
                None => return Err(BenchError::Timeout("the answer to CONNECT")),
            }
        }
    }

    /// The socket's id: the room that reaches this client alone.
    pub fn socket_id(&self) -> &str {
        &self.socket_id
    }

    /// The Engine.IO session's id.
    pub fn engine_sid(&self) -> &str {
        &self.engine_sid
    }

    pub fn wire_mut(&mut self) -> &mut Wire {
        &mut self.wire
    }

    /// Gives up the transport, for a client that is about to vanish.
    pub fn into_wire(self) -> Wire {
        self.wire
    }

    /// Emits `event` with `args`; with `want_ack`, asks for an answer and returns its id.
    ///
    /// # Errors
    /// If the transport fails.
    pub fn emit(
        &mut self,
        event: &str,
        args: Vec<Value>,
        want_ack: bool,
    ) -> Result<Option<u64>, BenchError> {
        let id = want_ack.then(|| {
            self.next_ack += 1;
            self.next_ack - 1
        });
        let (text, attachments) = Packet::event("/", event, args, id).encode();
        let mut packets = vec![EnginePacket::Message(text)];
        packets.extend(attachments.into_iter().map(EnginePacket::BinaryMessage));
        self.wire.send(&packets)?;
        Ok(id)
    }

    /// The next event or ack, or `None` once `deadline` passed with none.
    ///
    /// # Errors
    /// If the transport fails, or the server closes the session or the socket.
    pub fn next(&mut self, deadline: Instant) -> Result<Option<Heard>, BenchError> {
        loop {
            let Some(packet) = self.wire.recv(deadline)? else {
                return Ok(None);
            };
            let complete = match packet {
                EnginePacket::Ping(data) => {
                    self.wire.send(&[EnginePacket::Pong(data)])?;
                    continue;
                }
                EnginePacket::Close => return Err(closed("the server closed the session")),
                EnginePacket::Message(text) => self.decode(&text)?,
                EnginePacket::BinaryMessage(bytes) => self.attach(bytes)?,
                _ => None, // a noop, a stray open or pong: nothing to do
            };
            if let Some(packet) = complete {
                return self.hear(packet).map(Some);
            }
        }
    }

    /// Leaves politely: a Socket.IO DISCONNECT, then the transport's own close (Engine.IO
    /// `1` over polling; over WebSocket the close frame, when the WebSocket is dropped).
    pub fn close(mut self) {
        let (text, _) = Packet::disconnect("/").encode();
        let _ = self.wire.send(&[EnginePacket::Message(text)]);
        if let Wire::Polling(_) = self.wire {
            let _ = self.wire.send(&[EnginePacket::Close]);
        }
    }

    fn decode(&mut self, text: &str) -> Result<Option<Packet>, BenchError> {
        match packet::decode(text, &Limits::default()) {
            Ok(Decoded::Complete(packet)) => Ok(Some(packet)),
            Ok(Decoded::NeedsAttachments(partial)) => {
                self.partial = Some(partial);
                Ok(None)
            }
            Err(e) => Err(BenchError::Protocol(format!("packet {text:.60?}: {e}"))),
        }
    }

    fn attach(&mut self, bytes: Vec<u8>) -> Result<Option<Packet>, BenchError> {
        let partial = self
            .partial
            .as_mut()
            .ok_or_else(|| BenchError::Protocol("an attachment nobody announced".into()))?;
        let complete = partial
            .add_attachment(bytes)
            .map_err(|e| BenchError::Protocol(e.to_string()))?;
        if complete.is_some() {
            self.partial = None;
        }
        Ok(complete)
    }

    /// What a whole packet from the server means to us.
    fn hear(&mut self, packet: Packet) -> Result<Heard, BenchError> {
        let Packet { kind, id, data, .. } = packet;
        let items = |data: Option<Value>| match data {
            Some(Value::Array(items)) => items,
            _ => Vec::new(),
        };
        match kind {
            PacketType::Connect => {
                // `40{"sid":"K"}`: the socket's id, not the Engine.IO session's.
                let socket_id = data.as_ref().and_then(|data| data["sid"].as_str());
                self.socket_id = socket_id.unwrap_or("?").to_string();
                Ok(Heard::Connected)
            }
            PacketType::Event | PacketType::BinaryEvent => {
                let mut items = items(data).into_iter();
                let name = items.next().and_then(|v| v.as_str().map(str::to_string));
                Ok(Heard::Event(name.unwrap_or_default(), items.collect()))
            }
            PacketType::Ack | PacketType::BinaryAck => Ok(Heard::Ack(id.unwrap_or(0), items(data))),
            PacketType::Disconnect => Err(closed("the server disconnected the socket")),
            PacketType::ConnectError => Err(BenchError::Connect("CONNECT_ERROR".into())),
        }
    }
}

fn closed(why: &str) -> BenchError {
    BenchError::Closed(why.to_string())
}
