//! The Redis adapter: several threadio servers — and Node socket.io servers with
//! `@socket.io/redis-adapter` 8.x — as one cluster, each broadcast reaching the sockets of
//! every node (Socket.IO v4 "Redis adapter"; the wire format in
//! `../shared/docs/redis-adapter.md`, the Node adapter's source being the authority).
//!
//! Where it sits: it implements [`Adapter`](crate::socketio::Adapter), the seam through
//! which each namespace hands the other nodes' part of an operation, and stands on the
//! Redis client (`crate::redis`) and MessagePack (`crate::msgpack`). A broadcast's path:
//! the namespace delivers to this node's sockets, then its [`link`](self) encodes
//! `[uid, packet, opts]` and the publisher thread `PUBLISH`es it on the namespace's channel;
//! every other node's subscriber reader receives it, its inbox thread decodes it and
//! delivers it to that node's sockets with `.local()`.
//!
//! The files:
//! - `config.rs`: [`RedisAdapterConfig`] (the Node adapter's options) and [`Parser`];
//! - `channels.rs`: the channel names of a namespace;
//! - `message.rs`: broadcasts, requests and answers, to and from their wire shapes;
//! - `cluster.rs`: [`RedisAdapter`], the connections and threads its namespaces share, and
//!   the sorting of what arrives;
//! - `link.rs`: one namespace's adapter, outgoing and incoming;
//! - `pending.rs`: this node's requests waiting for answers;
//! - `publisher.rs`, `inbox.rs`: the publishing thread and the acting thread;
//! - `stats.rs`: [`AdapterStats`], what went through and what was lost.
//!
//! What it does not promise, as the Node adapter does not: delivery while Redis is down or
//! a node is disconnected from it (Redis pub/sub is at-most-once: those messages are
//! dropped, and counted where this node can see it), nor an order between the messages of
//! different nodes. One node's messages arrive in the order it sent them.

mod channels;
mod cluster;
mod config;
mod inbox;
mod link;
pub mod message;
mod pending;
mod publisher;
mod stats;

pub use cluster::RedisAdapter;
pub use config::{Parser, RedisAdapterConfig};
pub use message::MessageError;
pub use stats::{AdapterCounts, AdapterStats};
