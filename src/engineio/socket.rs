//! One Engine.IO session, as the layer above sees it: send packets to it from any thread,
//! close it, and learn why it closed.
//!
//! The session's own thread (`websocket.rs`) reads its transport and runs the heartbeat; a
//! `Socket` is the handle everyone else holds — the Socket.IO layer, a broadcast on another
//! connection's thread. Clone it freely: it is an `Arc`.
//!
//! Engine.IO v4 "Transports": a session may change transport (HTTP long-polling, then
//! WebSocket), which is why the transport sits behind a lock here rather than being fixed.

use std::sync::{Arc, Mutex, OnceLock};

use super::packet::Packet;
use crate::websocket::{CloseCode, Message, SendError, Sender, SharedFrame};

/// Why a session ended: the Engine.IO close reasons, which Socket.IO reports as its own
/// disconnect reasons (Socket.IO v5 docs, "disconnect" event).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    /// The transport ended cleanly: the client closed its WebSocket or left.
    TransportClose,
    /// The transport failed: a broken WebSocket frame, a TCP error.
    TransportError,
    /// The server closed the session.
    ForcedClose,
    /// No pong within `pingTimeout` of a ping.
    PingTimeout,
    /// The client sent something that is not an Engine.IO (or Socket.IO) packet.
    ParseError,
    /// The server is stopping.
    ServerShuttingDown,
}

impl CloseReason {
    /// The reason as the reference server words it.
    pub fn as_str(self) -> &'static str {
        match self {
            CloseReason::TransportClose => "transport close",
            CloseReason::TransportError => "transport error",
            CloseReason::ForcedClose => "forced close",
            CloseReason::PingTimeout => "ping timeout",
            CloseReason::ParseError => "parse error",
            CloseReason::ServerShuttingDown => "server shutting down",
        }
    }
}

impl std::fmt::Display for CloseReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The transport a session's packets travel on now.
#[derive(Debug, Clone)]
enum Transport {
    WebSocket(Sender),
}

/// Packets encoded once for many sessions: a broadcast builds one and hands it to every
/// recipient. Each transport's encoding is made on first use and shared after that.
#[derive(Debug)]
pub struct Outgoing {
    packets: Vec<Packet>,
    websocket: OnceLock<SharedFrame>,
}

impl Outgoing {
    /// Packets to send together, in order and never interleaved with other sends.
    pub fn new(packets: Vec<Packet>) -> Outgoing {
        Outgoing {
            packets,
            websocket: OnceLock::new(),
        }
    }

    /// Over WebSocket, one Engine.IO packet per frame: text packets as text frames, binary
    /// messages as binary frames with no prefix (Engine.IO v4 "Packet encoding").
    fn websocket_frames(&self) -> &SharedFrame {
        self.websocket.get_or_init(|| {
            let messages: Vec<Message> = self.packets.iter().map(websocket_message).collect();
            SharedFrame::many(&messages)
        })
    }
}

/// The WebSocket message that carries `packet`.
pub(crate) fn websocket_message(packet: &Packet) -> Message {
    match packet {
        Packet::BinaryMessage(bytes) => Message::Binary(bytes.clone()),
        other => Message::Text(other.encode_text().unwrap_or_default()),
    }
}

struct Inner {
    sid: String,
    transport: Mutex<Transport>,
    /// Set by whoever closes the session first; the session's thread reports it.
    closed: Mutex<Option<CloseReason>>,
}

/// A handle to one Engine.IO session.
#[derive(Clone)]
pub struct Socket {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Socket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "engineio::Socket({})", self.inner.sid)
    }
}

impl Socket {
    pub(crate) fn over_websocket(sid: String, sender: Sender) -> Socket {
        Socket {
            inner: Arc::new(Inner {
                sid,
                transport: Mutex::new(Transport::WebSocket(sender)),
                closed: Mutex::new(None),
            }),
        }
    }

    /// The session id (`sid`).
    pub fn sid(&self) -> &str {
        &self.inner.sid
    }

    /// Sends one packet.
    ///
    /// # Errors
    /// `Closed` once the session is closing; `BacklogExceeded` if the client is so far
    /// behind that it was disconnected.
    pub fn send(&self, packet: Packet) -> Result<(), SendError> {
        self.send_all(&Outgoing::new(vec![packet]))
    }

    /// Sends packets encoded once for many sessions, as one unit.
    ///
    /// # Errors
    /// As [`Socket::send`].
    pub fn send_all(&self, outgoing: &Outgoing) -> Result<(), SendError> {
        if self.close_reason().is_some() {
            return Err(SendError::Closed);
        }
        match self.transport() {
            Transport::WebSocket(sender) => sender.send_shared(outgoing.websocket_frames()),
        }
    }

    /// Closes the session from the server's side. The session's thread sees the transport
    /// end and reports `reason` (the first reason given wins).
    pub fn close(&self, reason: CloseReason) {
        if !self.mark_closed(reason) {
            return;
        }
        match self.transport() {
            Transport::WebSocket(sender) => sender.close(CloseCode::Normal, reason.as_str()),
        }
    }

    /// Why the server closed the session, if it did.
    pub fn close_reason(&self) -> Option<CloseReason> {
        *self.inner.closed.lock().expect("session lock poisoned")
    }

    /// Records `reason` if none was recorded yet; returns whether this call recorded it.
    pub(crate) fn mark_closed(&self, reason: CloseReason) -> bool {
        let mut closed = self.inner.closed.lock().expect("session lock poisoned");
        if closed.is_some() {
            return false;
        }
        *closed = Some(reason);
        true
    }

    fn transport(&self) -> Transport {
        self.inner
            .transport
            .lock()
            .expect("session lock poisoned")
            .clone()
    }
}
