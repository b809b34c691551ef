//! Volatile emits: events that may be lost, for news that is worthless once late — a
//! player's position, a cursor, a price tick (Socket.IO v4 "Emitting events › Volatile
//! events"; the reference's `volatile` flag).
//!
//! A volatile event goes to a client only if its transport can take it *now*; otherwise it
//! is dropped for that client, never queued. "Now" is the reference's `transport.writable`,
//! which Engine.IO answers for us (`engineio::Session::send_volatile`):
//! - **polling**: a `GET` is held, so the event answers it at once. Between two polls there
//!   is none, and the event is dropped: it would otherwise wait in the queue for the next
//!   poll and arrive stale, behind newer ones.
//! - **WebSocket**: nothing sent earlier is still unsent (`websocket/outbox.rs`, rule 7). A
//!   client that reads slowly, or stops, gets no volatile events until it has caught up —
//!   rather than a backlog of them, which would also bring it nearer its backlog bound and
//!   a disconnect.
//!
//! From a socket, `socket.volatile().emit(…)` ([`VolatileEmitter`]); for many,
//! `io.volatile().emit(…)` or any broadcast with `.volatile()` (`broadcast.rs`), which
//! decides the same thing for each recipient.

use super::args::IntoArgs;
use super::packet::Packet;
use super::socket::{check_event_name, encode_packet, Socket};

/// One socket's volatile emits: what [`Socket::volatile`] returns.
pub struct VolatileEmitter<'a> {
    socket: &'a Socket,
}

impl<'a> VolatileEmitter<'a> {
    pub(crate) fn new(socket: &'a Socket) -> VolatileEmitter<'a> {
        VolatileEmitter { socket }
    }

    /// Sends event `event` with `args` if the client can take it now, and drops it
    /// otherwise. Returns whether it was sent (the reference's `emit` says `true` either
    /// way; knowing costs nothing here).
    ///
    /// # Panics
    /// If `event` is reserved, as [`Socket::emit`].
    pub fn emit(&self, event: &str, args: impl IntoArgs) -> bool {
        check_event_name(event);
        let args = args.into_args().into_vec();
        let packet = Packet::event(self.socket.namespace().name(), event, args, None);
        self.socket.send_outgoing_volatile(&encode_packet(&packet))
    }
}
