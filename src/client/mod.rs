//! A blocking Socket.IO client: the other half of the protocol, for services, bots,
//! command-line tools and tests — Engine.IO v4 and Socket.IO v5 from the client's side,
//! over long-polling and WebSocket, with threads instead of an async runtime.
//!
//! It sits on the crate's lower layers, client roles of the same code the server uses:
//! [`websocket::client`](crate::websocket::client) for RFC 6455, the Engine.IO packet and
//! payload codecs of [`engineio`](crate::engineio), the Socket.IO packet codec and binary
//! reassembly of [`socketio`](crate::socketio), and [`json`](crate::json).
//!
//! ```text
//!  Dialer ──connect()──▶ Manager (one Engine.IO session, reconnects)   dialer.rs, manager.rs
//!                          ├─ the session: WebSocket, or polling        transport.rs
//!                          │    GET held, POST queued, over HTTP/1.1    polling.rs, http_client.rs
//!                          ├─ Channel "/"       on, emit, emit_with_ack  channel.rs
//!                          │    its state, the server's packets for it  channel_core.rs
//!                          │    its handlers and Responder              handlers.rs
//!                          └─ Channel "/admin"  (same session: multiplexing)
//! ```
//!
//! The names are the client's own, since the server side already has `Client` and three
//! kinds of `Socket`: [`Dialer`] builds, [`Manager`] is the session (the official client's
//! word), [`Channel`] is one namespace on it (the official client's `Socket`), and
//! [`Responder`] answers an event's ack. Which thread runs what is in `manager.rs`.

pub mod channel;
mod channel_core;
pub mod dialer;
pub mod error;
pub mod handlers;
mod http_client;
pub mod manager;
mod polling;
pub mod reconnection;
pub mod transport;

pub use channel::Channel;
pub use dialer::Dialer;
pub use error::{DialError, DisconnectCause, EmitError};
pub use handlers::{HandlerThread, Responder};
pub use manager::Manager;
pub use reconnection::Reconnection;
pub use transport::Transports;
