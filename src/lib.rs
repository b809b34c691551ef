// The README is the crate's front page, so its examples are compiled by `cargo test`.
#![doc = include_str!("../README.md")]
//!
//! # The modules
//!
//! The modules in reading order, bottom of the stack to the top — the same order NOTES.md
//! follows a connection in:
//!
//! 1. [`http`]: a `std::net` listener, one thread per connection, HTTP/1.1 requests, a
//!    router and static files (RFC 9110, RFC 9112).
//! 2. [`websocket`]: the upgrade handshake, frames, messages and the closing handshake
//!    (RFC 6455), with the writer design that keeps slow clients from stalling anyone.
//! 3. [`Hub`]: who is connected to a raw WebSocket route, and broadcasts to all of them or
//!    all but one.
//! 4. [`engineio`]: Engine.IO v4 sessions over WebSocket and HTTP long-polling, the
//!    heartbeat, and the upgrade from one to the other.
//! 5. [`socketio`]: Socket.IO v5 namespaces, events, acknowledgements, binary attachments
//!    and rooms, with [`Io`] attached to a router as in Node.
//! 6. [`client`]: the other side — a blocking Socket.IO client over the same codecs, for
//!    Rust programs that talk to a server (ours, Node's, Python's).
//!
//! Beside them: [`json`] (RFC 8259 values, the payloads Engine.IO and Socket.IO carry),
//! [`msgpack`] (the same values in MessagePack, as the Node Redis adapter sends them),
//! [`read_buffer`] (bytes read but not yet parsed), [`memory_budget`] (one limit, for every
//! connection together, on the bytes of bodies and messages still arriving), [`entropy`]
//! (random bytes for keys and ids), [`admin`] (the official Socket.IO Admin UI's server
//! side, on top of it all), [`metrics`] (counters and `GET /metrics` for Prometheus),
//! [`redis`] (a RESP2 client and subscriber, what [`redis_adapter`] speaks to Redis with),
//! [`timer`] (one thread for timeouts), [`signal`] (Ctrl-C as a graceful shutdown),
//! `thread_stack` (a resting connection thread gives back the stack pages it no longer
//! uses) and [`log`](mod@log).

#[macro_use]
pub mod log;

pub mod admin;
pub mod client;
pub mod engineio;
pub mod entropy;
pub mod http;
pub mod hub;
pub mod json;
pub mod memory_budget;
pub mod metrics;
pub mod msgpack;
pub mod read_buffer;
pub mod redis;
pub mod redis_adapter;
pub mod signal;
pub mod socketio;
mod thread_stack;
pub mod timer;
pub mod websocket;

pub use hub::{Delivery, Hub, MemberId};
pub use socketio::Io;
