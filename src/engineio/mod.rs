//! Engine.IO v4: the session layer under Socket.IO (the `engine.io-protocol` v4 spec).
//!
//! A WebSocket is one TCP connection; an Engine.IO *socket* is one client session, with a
//! session id (`sid`), a heartbeat that notices a vanished peer long before TCP would, and a
//! transport that carries its packets — a WebSocket, or HTTP long-polling requests.
//!
//! How data moves: `server.rs` answers requests under `/socket.io/` (the handshake, the
//! errors of `error.rs`); `websocket.rs` runs a session over a WebSocket on the connection's
//! own thread, turning frames into [`Packet`]s (`packet.rs`) and back, with the heartbeat;
//! `socket.rs` is the session as the layer above sees it — send packets from any thread,
//! close it; `handler.rs` is how messages go up to that layer. Long-polling bodies are
//! `payload.rs`.

pub mod config;
pub mod error;
pub mod handler;
pub mod packet;
pub mod payload;
pub mod server;
pub mod sid;
pub mod socket;
mod websocket;

pub use config::EngineConfig;
pub use error::EngineError;
pub use handler::{Incoming, OnOpen, SessionHandler};
pub use packet::Packet;
pub use server::Engine;
pub use socket::{CloseReason, Outgoing, Socket};
