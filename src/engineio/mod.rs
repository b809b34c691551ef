//! Engine.IO v4: the session layer under Socket.IO (the `engine.io-protocol` v4 spec).
//!
//! A WebSocket is one TCP connection; an Engine.IO *session* ([`Session`]) is one client,
//! with a session id (`sid`), a heartbeat that notices a vanished peer long before TCP would, and a
//! transport that carries its packets — a WebSocket, or HTTP long-polling requests.
//!
//! How data moves: `server.rs` answers requests under `/socket.io/` and routes them (the
//! checks and the errors of `error.rs`); `polling.rs` serves the long-polling transport —
//! the held GET, the POST, the heartbeat on the timer thread — with bodies in the format of
//! `payload.rs`; `websocket.rs` runs a session over a WebSocket on the connection's own
//! thread, including the upgrade from polling, with the heartbeat; `session.rs` is the
//! session itself — its transport, its queue, its one end; `handler.rs` is how messages go
//! up to the layer above. `cors.rs` lets web pages on other origins poll; `hooks.rs` holds
//! the application's functions that look at each request; `watchers.rs`, those that hear
//! of one session's upgrade and end.

pub mod config;
pub mod cors;
pub mod error;
pub mod handler;
pub mod hooks;
pub mod packet;
pub mod payload;
mod polling;
pub mod server;
pub mod session;
pub mod sid;
pub mod watchers;
mod websocket;

pub use config::{Cookie, EngineConfig};
pub use cors::{Cors, CorsError};
pub use error::EngineError;
pub use handler::{Incoming, OnOpen, OpeningRequest, SessionHandler};
pub use hooks::RequestRefusal;
pub use packet::Packet;
pub use server::Engine;
pub use session::{CloseReason, Outgoing, Session};
