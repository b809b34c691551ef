//! A handle that lets any thread send to one WebSocket: what the `Hub` keeps for each member.
//!
//! The connection's own thread owns the [`WebSocket`](super::WebSocket) and reads from it;
//! everybody else holds a `Sender`, a cheap clone of an `Arc` to the connection's
//! [`Outbox`]. Sending through it never waits on a slow client (see `outbox.rs`).

use std::net::SocketAddr;
use std::sync::Arc;

use super::frame::{CloseCode, Frame, Header, OpCode, Role};
use super::message::Message;
use super::outbox::{FrameBytes, Outbox, SendError, VolatileSend};

/// Sends messages to one WebSocket from any thread. Clone it freely.
#[derive(Debug, Clone)]
pub struct Sender {
    outbox: Arc<Outbox>,
    role: Role,
}

/// Frames encoded once, to be sent to many connections: a broadcast shares these bytes
/// rather than encoding a frame per recipient. Only a server can do this: its frames are
/// unmasked (RFC 6455 §5.1), so every recipient gets the same bytes; a client must mask each
/// frame with a fresh key.
///
/// An outbox writes one `SharedFrame` whole, never interleaved with another sender's frames:
/// Socket.IO needs that, because a binary event is a text frame followed by its attachments
/// (built with [`FrameBuffer`]), and another broadcast's frame between them would be read as
/// an attachment.
#[derive(Debug, Clone)]
pub struct SharedFrame(Arc<Vec<u8>>);

impl SharedFrame {
    /// Encodes `message` as one unmasked frame.
    pub fn new(message: &Message) -> SharedFrame {
        let mut frames = FrameBuffer::default();
        frames.push(message.opcode(), &[message.as_bytes()]);
        frames.finish()
    }

    /// The bytes on the wire.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

/// Builds a [`SharedFrame`] of several unmasked frames, each written straight from the
/// pieces of its payload: no `Message` or `Frame` in between, and so no copy of the payload
/// but the one into the buffer. A broadcast builds one of these per emit, and an echo one
/// per reply, so the copies and allocations saved are per message.
#[derive(Debug, Default)]
pub struct FrameBuffer {
    bytes: Vec<u8>,
}

impl FrameBuffer {
    /// Appends one final frame (FIN set, RSV clear, §5.2) whose payload is `pieces` joined.
    pub fn push(&mut self, opcode: OpCode, pieces: &[&[u8]]) {
        let payload_len: usize = pieces.iter().map(|piece| piece.len()).sum();
        let header = Header {
            fin: true,
            rsv: 0,
            opcode,
            mask: None,
            payload_len: payload_len as u64,
        };
        self.bytes.reserve(header.encoded_len() + payload_len);
        header.encode_into(&mut self.bytes);
        for piece in pieces {
            self.bytes.extend_from_slice(piece);
        }
    }

    /// The frames, ready to share among recipients.
    pub fn finish(self) -> SharedFrame {
        // `Arc::new` around the `Vec`, not `Arc<[u8]>::from`, which would copy the bytes.
        SharedFrame(Arc::new(self.bytes))
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

    /// Queues a shared frame without writing it; [`Sender::flush`] writes it. For a caller
    /// that must fix the frame's place in the order under a lock of its own and write once
    /// it has let go (`outbox.rs`, [`Outbox::enqueue`]).
    ///
    /// # Errors
    /// As [`Sender::send_shared`], but never `BacklogExceeded`.
    pub fn enqueue_shared(&self, frame: &SharedFrame) -> Result<(), SendError> {
        if self.role == Role::Client {
            return Err(SendError::Closed);
        }
        self.outbox
            .enqueue(FrameBytes::Shared(Arc::clone(&frame.0)))
    }

    /// Writes what is queued if nobody is writing: after [`Sender::enqueue_shared`].
    pub fn flush(&self) {
        self.outbox.flush();
    }

    /// Sends a frame encoded once for many recipients only if it would go out now, behind
    /// no unsent bytes; otherwise drops it (`outbox.rs`, rule 7). For Socket.IO's
    /// `volatile` emits: news that is worthless once late.
    ///
    /// # Errors
    /// As [`Sender::send_shared`], but never `BacklogExceeded`: a client behind is not sent
    /// to, so it cannot pass its bound here.
    pub fn send_shared_volatile(&self, frame: &SharedFrame) -> Result<VolatileSend, SendError> {
        if self.role == Role::Client {
            return Err(SendError::Closed);
        }
        self.outbox
            .send_volatile(FrameBytes::Shared(Arc::clone(&frame.0)))
    }

    /// Starts the close handshake (RFC 6455 §7.1.2): sends a close frame with `code`. The
    /// connection's own thread sees the peer's answer and ends the connection.
    pub fn close(&self, code: CloseCode, reason: &str) {
        self.outbox
            .close(encode(&Frame::close(Some(code), reason), self.role));
    }

    /// Bytes queued for this WebSocket and not yet sent (`/metrics` sums them).
    pub fn backlog_bytes(&self) -> usize {
        self.outbox.backlog_bytes()
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
