//! WebSocket (RFC 6455): a full-duplex message channel over one TCP connection, opened by
//! an HTTP upgrade.
//!
//! How data moves, bottom to top:
//! - `handshake.rs`: the HTTP `GET` with `Upgrade: websocket` and its `101` (§4);
//! - `frame.rs`: bytes ↔ [`Frame`]s, with the per-frame rules (§5); `mask.rs`: the XOR
//!   that client payloads go through (§5.3); `close.rs`: the [`CloseCode`]s and close
//!   payloads (§5.5.1, §7.4);
//! - `utf8.rs`: text checked piece by piece as it arrives (§8.1);
//! - `connection.rs`: the [`WebSocket`] its thread reads — fragments into [`Message`]s,
//!   pings answered (§5.4, §5.5); `closing.rs`: the closing handshake (§7);
//! - `outbox.rs` and `drainer.rs`: the write side, shared by every thread that sends, so a
//!   client that does not read delays nobody; `cork.rs`: a thread with more input already
//!   buffered writes its frames in one go; `flusher.rs`: a second thread that writes half of
//!   a large broadcast; `worker.rs`: the thread and queue that the drainer and the flusher
//!   each are; `sender.rs`: the [`Sender`] handle to an outbox;
//! - `client.rs`: the client role, for tests, examples and Rust clients.

pub mod client;
pub mod close;
mod closing;
pub mod connection;
pub(crate) mod cork;
mod drainer;
mod flusher;
pub mod frame;
pub mod handshake;
mod mask;
pub mod message;
pub mod outbox;
pub mod sender;
pub mod utf8;
mod worker;

pub use connection::{WebSocket, WebSocketConfig, WsError};
pub use frame::{CloseCode, Frame, FrameError, OpCode, Role};
pub use handshake::OriginPolicy;
pub use message::Message;
pub use outbox::{SendError, VolatileSend};
pub use sender::{FrameBuffer, Sender, SharedFrame};
