//! Socket.IO v5: namespaces, named events, acknowledgements and rooms, on top of Engine.IO
//! (the `socket.io-protocol` v5 spec).
//!
//! How data moves: Engine.IO hands each message of a session to its `Client`
//! (`client.rs`), which decodes Socket.IO packets (`packet.rs`), reassembles binary
//! attachments (`binary.rs`), and routes each packet to the client's [`Socket`] in the packet's
//! [`Namespace`]. The socket runs the application's listeners and middlewares in order
//! (`listeners.rs`), handing them the event's [`Args`] (`args.rs`), and answers
//! acknowledgements (`ack.rs`); when it goes, its handlers hear a [`DisconnectReason`]
//! (`disconnect_reason.rs`). Emitting goes the other way: encode the packet once, pick
//! the target sockets by room (`broadcast.rs`, `room.rs`), hand the bytes to each one's
//! Engine.IO session — and, for a broadcast asking for acknowledgements, gather the answers
//! into one callback (`broadcast_ack.rs`); a `volatile` emit is dropped for a client that
//! cannot take it now (`volatile.rs`). `traffic.rs` lets an instrument hear of every message. [`Io`] (`server.rs`) ties it to an HTTP router, and
//! makes the children of dynamic namespaces (`Io::of_matching`). `handshake.rs` is what a
//! socket knows of the request that opened its client's session; `handshake_json.rs` writes
//! and reads it as the JSON Node's socket.io gives `socket.handshake`, for the nodes of a
//! cluster to exchange.
//!
//! Past one process: every cluster-wide operation does this node's part and hands the
//! rest to the namespace's [`Adapter`] (`adapter.rs`; [`LocalAdapter`] by default, the Redis
//! adapter in `crate::redis_adapter`), and `fetch_sockets` answers with [`RemoteSocket`]s
//! (`remote_socket.rs`), this node's and the others'.

pub mod ack;
pub mod adapter;
pub mod args;
mod binary;
pub mod broadcast;
pub mod broadcast_ack;
mod client;
pub mod disconnect_reason;
pub mod handshake;
pub mod handshake_json;
pub mod listeners;
pub mod namespace;
pub mod packet;
pub mod recovery;
pub mod remote_socket;
pub mod room;
pub mod server;
pub mod socket;
pub mod traffic;
pub mod volatile;

pub use ack::{Ack, AckError};
pub use adapter::{
    Adapter, AdapterFactory, BroadcastFlags, BroadcastOptions, ClusterError, ClusterResult,
    LocalAdapter,
};
pub use args::{Args, ArgsError, FromArgs, IntoArgs};
pub use broadcast::BroadcastOperator;
pub use broadcast_ack::{AckTally, BroadcastAckError, BroadcastAckResult};
pub use disconnect_reason::DisconnectReason;
pub use handshake::Handshake;
pub use handshake_json::HandshakeShapeError;
pub use listeners::{EventRefusal, ListenerOutcome};
pub use namespace::{ConnectError, Namespace, RoomChange, WeakNamespace};
pub use recovery::ConnectionStateRecovery;
pub use remote_socket::RemoteSocket;
pub use room::RoomError;
pub use server::{Io, IoConfig, NamespaceMatcher};
pub use socket::Socket;
pub use traffic::{MessageFlow, TrafficWatcher};
pub use volatile::VolatileEmitter;
