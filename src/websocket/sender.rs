//! A handle that lets any thread send to one WebSocket: what the `Hub` keeps for each member.
//!
//! The connection's own thread owns the [`WebSocket`](super::WebSocket) and reads from it;
//! everybody else holds a `Sender`, a cheap clone of an `Arc` to the connection's
//! [`Outbox`]. Sending through it never waits on a slow client (see `outbox.rs`).

use std::net::SocketAddr;
use std::sync::Arc;

use super::frame::{CloseCode, Frame, Role};
use super::message::Message;
use super::outbox::{FrameBytes, Outbox, SendError};

/// Sends messages to one WebSocket from any thread. Clone it freely.
#[derive(Debug, Clone)]
pub struct Sender {
    outbox: Arc<Outbox>,
    role: Role,
}

/// A message encoded once, to be sent to many connections: a broadcast shares these bytes
/// rather than encoding a frame per recipient. Only a server can do this: its frames are
/// unmasked (RFC 6455 §5.1), so every recipient gets the same bytes; a client must mask each
/// frame with a fresh key.
#[derive(Debug, Clone)]
pub struct SharedFrame(Arc<[u8]>);

impl SharedFrame {
    /// Encodes `message` as one unmasked frame.
    pub fn new(message: &Message) -> SharedFrame {
        SharedFrame(Arc::from(message.to_frame().encode(None)))
    }

    /// Several messages encoded back to back as one unit. An outbox writes a unit whole,
    /// never interleaved with another sender's frames: Socket.IO needs that, because a
    /// binary event is a text frame followed by its attachments, and another broadcast's
    /// frame between them would be read as an attachment.
    pub fn many(messages: &[Message]) -> SharedFrame {
        let mut bytes = Vec::new();
        for message in messages {
            bytes.extend_from_slice(&message.to_frame().encode(None));
        }
        SharedFrame(Arc::from(bytes))
    }

    /// The bytes on the wire.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl Sender {
    pub(crate) fn new(outbox: Arc<Outbox>, role: Role) -> Sender {
        Sender { outbox, role }
    }

    /// Sends a message. Returns at once if the client is slow: the frame waits in the
    /// connection's queue.
    ///
    /// # Errors
    /// `Closed` once a close frame was sent; `BacklogExceeded` if the client had fallen too
    /// far behind and has been disconnected.
    pub fn send(&self, message: impl Into<Message>) -> Result<(), SendError> {
        let bytes = encode(&message.into().into_frame(), self.role);
        self.outbox.send(FrameBytes::Owned(bytes))
    }

    /// Sends a frame encoded once for many recipients.
    ///
    /// # Errors
    /// As [`Sender::send`]; also `Closed` if this is a client's connection, whose frames must
    /// each be masked.
    pub fn send_shared(&self, frame: &SharedFrame) -> Result<(), SendError> {
        if self.role == Role::Client {
            return Err(SendError::Closed);
        }
        self.outbox.send(FrameBytes::Shared(Arc::clone(&frame.0)))
    }

    /// Starts the close handshake (RFC 6455 §7.1.2): sends a close frame with `code`. The
    /// connection's own thread sees the peer's answer and ends the connection.
    pub fn close(&self, code: CloseCode, reason: &str) {
        self.outbox
            .close(encode(&Frame::close(Some(code), reason), self.role));
    }

    /// Ends the connection at once, without a close handshake.
    pub fn kill(&self) {
        self.outbox.kill();
    }

    /// Whether the connection is closing or closed.
    pub fn is_closed(&self) -> bool {
        self.outbox.is_closing()
    }

    /// The peer's address.
    pub fn peer_addr(&self) -> SocketAddr {
        self.outbox.peer()
    }
}

/// The bytes of `frame` as `role` must send them: a client masks every frame with a fresh,
/// unpredictable key (RFC 6455 §5.3); a server never masks (§5.1).
pub(crate) fn encode(frame: &Frame, role: Role) -> Vec<u8> {
    match role {
        Role::Server => frame.encode(None),
        Role::Client => frame.encode(Some(crate::entropy::random_bytes::<4>())),
    }
}
