//! The application's own functions that the engine calls around each request: the
//! reference server's `allowRequest` option and its `initial_headers`, `headers` and
//! `connection_error` events, as plain functions set in [`EngineConfig`].
//!
//! | hook | when it runs | what it may do |
//! |---|---|---|
//! | `allow_request` | a request that opens a session (a polling or WebSocket handshake) or upgrades one, after Engine.IO's own checks | refuse it: `403 {"code":4,"message":…}` |
//! | `initial_headers` | the answer to a polling handshake | add header fields (a cookie, say) |
//! | `headers` | every answer to an HTTP request under the path: polls, POSTs, the handshake, refusals | add header fields |
//! | `on_connection_error` | each request Engine.IO refused (`EngineError`) | log or count it |
//! | `generate_id` | a request that opens a session | name it (the reference's `io.engine.generateId`) |
//!
//! Each runs on the thread of the request's connection, before the answer is written, and
//! may run on many threads at once: it must be `Send + Sync`, and whatever it blocks on,
//! that one client waits for. A WebSocket's `101` is written by the HTTP layer's handshake
//! (`websocket/handshake.rs`), so the header hooks do not reach it; `allow_request` does,
//! since it runs before the `101`.
//!
//! [`EngineConfig`]: super::EngineConfig

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use crate::http::{Headers, Method, Request};

/// A function the application gave the engine, shared by every thread that serves a
/// request. It prints as `Hook(..)`: a closure has nothing readable to show.
pub struct Hook<F: ?Sized>(Arc<F>);

impl<F: ?Sized> Hook<F> {
    pub(crate) fn new(f: Arc<F>) -> Hook<F> {
        Hook(f)
    }
}

impl<F: ?Sized> Clone for Hook<F> {
    fn clone(&self) -> Hook<F> {
        Hook(Arc::clone(&self.0))
    }
}

impl<F: ?Sized> fmt::Debug for Hook<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Hook(..)")
    }
}

impl<F: ?Sized> std::ops::Deref for Hook<F> {
    type Target = F;
    fn deref(&self) -> &F {
        &self.0
    }
}

/// Decides whether a request may open or upgrade a session: `Err(reason)` refuses it, and
/// the client's `connect_error` gets the reason as its message.
pub type AllowRequest = dyn Fn(&Request) -> Result<(), String> + Send + Sync;

/// Adds header fields to an answer, given the request it answers.
pub type AddHeaders = dyn Fn(&Request, &mut Headers) + Send + Sync;

/// Hears of each refused request.
pub type OnRefusal = dyn Fn(&RequestRefusal) + Send + Sync;

/// Names a new session: its `sid`, from the request that opens it. It must be unique among
/// the open sessions (a repeat is refused) and unguessable, since it is a polling client's
/// only credential; the default (`sid.rs`) is 120 random bits.
pub type GenerateId = dyn Fn(&Request) -> String + Send + Sync;

/// A request Engine.IO refused, as `on_connection_error` sees it (the reference's
/// `connection_error` event: `err.req`, `err.code`, `err.message`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRefusal {
    /// The Engine.IO error code in the answer's body (0–5; see `EngineError`).
    pub code: u8,
    /// Its message, as sent.
    pub message: String,
    pub method: Method,
    /// The request-target, `/socket.io/?EIO=4&transport=polling`.
    pub url: String,
    /// Who sent it.
    pub peer: Option<SocketAddr>,
}
