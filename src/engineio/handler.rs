//! The seam between Engine.IO and the layer above it (Socket.IO): what a session delivers
//! upwards, and when.
//!
//! Engine.IO knows sessions, packets and heartbeats, and nothing of namespaces or events.
//! When a session opens it asks the layer above for a [`SessionHandler`] and then feeds it
//! every message, in order, under the session's handler lock — on the WebSocket's own
//! thread, or on the thread of the POST that carried it when polling — so one client's
//! events are handled one after another, exactly as they were sent.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use super::session::{CloseReason, Session};
use crate::http::{Headers, Request};

/// The data of one Engine.IO message packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    /// A text message (`4…` on the wire).
    Text(String),
    /// A binary message (a binary WebSocket frame, or `b…` base64 in a polling payload).
    Binary(Vec<u8>),
}

/// The HTTP request that opened a session — the polling handshake's GET, or the WebSocket's
/// upgrade request — as the layer above may want it: Socket.IO builds each socket's
/// `handshake` from it (its headers for cookie or token auth, its query, the peer).
///
/// A copy of the request's head, not the request: a session lives for hours, and must not
/// keep the connection it arrived on (that request's body, or its socket) alive.
#[derive(Debug, Clone)]
pub struct OpeningRequest {
    /// The request-target, `/socket.io/?EIO=4&transport=polling&t=…`.
    pub url: String,
    /// Its query, after the `?`, still percent-encoded.
    pub query: String,
    pub headers: Headers,
    /// Who sent it.
    pub peer: Option<SocketAddr>,
    /// When it arrived.
    pub issued: SystemTime,
}

impl OpeningRequest {
    pub(crate) fn of(request: &Request) -> OpeningRequest {
        OpeningRequest {
            url: request.target.clone(),
            query: request.query.clone(),
            headers: request.headers.clone(),
            peer: request.peer,
            issued: SystemTime::now(),
        }
    }
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
pub type OnOpen = Arc<dyn Fn(&Session) -> Box<dyn SessionHandler> + Send + Sync>;
