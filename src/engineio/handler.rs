//! The seam between Engine.IO and the layer above it (Socket.IO): what a session delivers
//! upwards, and when.
//!
//! Engine.IO knows sessions, packets and heartbeats, and nothing of namespaces or events.
//! When a session opens it asks the layer above for a [`SessionHandler`] and then feeds it
//! every message, in order, under the session's handler lock — on the WebSocket's own
//! thread, or on the thread of the POST that carried it when polling — so one client's
//! events are handled one after another, exactly as they were sent.

use std::sync::Arc;
use std::time::Instant;

use super::socket::{CloseReason, Socket};

/// The data of one Engine.IO message packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    /// A text message (`4…` on the wire).
    Text(String),
    /// A binary message (a binary WebSocket frame, or `b…` base64 in a polling payload).
    Binary(Vec<u8>),
}

/// What the layer above does with one session.
pub trait SessionHandler: Send {
    /// A message arrived. An error closes the session with that reason (a message that is
    /// not valid for the layer above is a `ParseError`).
    fn on_message(&mut self, message: Incoming) -> Result<(), CloseReason>;

    /// When the handler next needs to act on its own (Socket.IO's connect timeout), so the
    /// session's thread wakes up then even if nothing arrives.
    fn deadline(&self) -> Option<Instant> {
        None
    }

    /// The deadline passed. An error closes the session.
    fn on_deadline(&mut self) -> Result<(), CloseReason> {
        Ok(())
    }

    /// The session ended; nothing more will be delivered.
    fn on_close(&mut self, reason: CloseReason);
}

/// Called for each new session, with its handle; returns the session's handler.
pub type OnOpen = Arc<dyn Fn(&Socket) -> Box<dyn SessionHandler> + Send + Sync>;
