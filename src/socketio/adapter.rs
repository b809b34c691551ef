//! Adapters: what a namespace asks of the *other* nodes of its cluster (Socket.IO v4
//! "Adapter", the reference's `socket.io-adapter` package and the adapters built on it).
//!
//! One threadio process is one node: its namespaces know their own sockets and rooms, and
//! nothing else. To broadcast past one process, every operation that concerns "all the
//! sockets" — a broadcast, a broadcast asking for acks, `fetch_sockets`, `sockets_join`,
//! `sockets_leave`, `disconnect_sockets`, `server_side_emit`, the list of rooms, the number
//! of servers — does its local part in the namespace as always, and then hands the cluster's
//! part to the namespace's [`Adapter`]. The default, [`LocalAdapter`], is a cluster of one:
//! there is nobody else to tell, so every method does nothing or answers "nothing more".
//! The Redis adapter (`crate::redis_adapter`) is the other one: it publishes what the others
//! must do on Redis, in the Node adapter's format, and does on this node what they publish.
//!
//! Where the line sits differs from Node's on purpose. Node's `Adapter` class holds the
//! rooms and does the local delivery too, and a cluster adapter overrides it to add the
//! remote part. Here the namespace keeps its rooms (`room.rs`) and the local delivery
//! (`broadcast.rs`) whatever the adapter, so an adapter is only about the others, and the
//! local path — the one every emit takes — reads the same with or without a cluster.
//! `BroadcastOperator::local()` skips the adapter: the operation stays on this node.
//!
//! Each namespace gets its own adapter from the server's [`AdapterFactory`] when it is
//! created (`Io::set_adapter`, Node's `io.adapter(createAdapter(…))`), and closes it when
//! it goes (a dynamic namespace emptied) or the server closes.
//!
//! What arrives from the other nodes is done through a broadcast operator with `.local()`:
//! a broadcast they publish is [`BroadcastOperator::with_options`](super::BroadcastOperator::with_options) and emitted on this node
//! only; their requests for sockets, joins and so on likewise. An adapter holds its namespace by a [`WeakNamespace`](super::WeakNamespace), so that a forgotten
//! namespace is not kept alive by its own adapter.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::broadcast_ack::{AckTally, BroadcastAckCallback};
use super::namespace::Namespace;
use super::packet::Packet;
use super::remote_socket::RemoteSocket;
use crate::json::Value;

/// Which sockets a cluster-wide operation is for, and how (the reference's
/// `BroadcastOptions`): every socket in any of `rooms` (every socket, if none), but none
/// in any of `except`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BroadcastOptions {
    pub rooms: Vec<String>,
    /// Rooms whose sockets are left out. A socket that broadcasts to the others
    /// (`socket.broadcast()`) is left out by its own room, which is named by its id.
    pub except: Vec<String>,
    pub flags: BroadcastFlags,
}

/// How a broadcast goes (the reference's `flags`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct BroadcastFlags {
    /// Dropped for a client that cannot take it now (`volatile.rs`).
    pub volatile: bool,
    /// This node only: the adapter is not asked.
    pub local: bool,
    /// How long a broadcast asking for acks waits for the answers.
    pub timeout: Option<Duration>,
}

/// Why a question to the cluster got only part of its answer. Either way it carries the
/// part it got: this node's own, and the answers of the nodes that did answer.
#[derive(Debug, Clone, PartialEq)]
pub enum ClusterError<T> {
    /// Not every node answered within the adapter's requests timeout (5 s by default, the
    /// reference's `requestsTimeout`).
    Timeout {
        partial: T,
        /// How many other nodes answered, of how many were asked.
        answered: usize,
        expected: usize,
    },
    /// The cluster could not be asked at all (Redis is down): `partial` is this node's part.
    Unreachable { partial: T, reason: String },
}

impl<T> ClusterError<T> {
    /// What did come.
    pub fn partial(&self) -> &T {
        match self {
            ClusterError::Timeout { partial, .. } | ClusterError::Unreachable { partial, .. } => {
                partial
            }
        }
    }

    /// What did come, taken out of the error.
    pub fn into_partial(self) -> T {
        match self {
            ClusterError::Timeout { partial, .. } | ClusterError::Unreachable { partial, .. } => {
                partial
            }
        }
    }

    /// The same error around another partial result: this node's part added to the
    /// others', say.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> ClusterError<U> {
        match self {
            ClusterError::Timeout {
                partial,
                answered,
                expected,
            } => ClusterError::Timeout {
                partial: f(partial),
                answered,
                expected,
            },
            ClusterError::Unreachable { partial, reason } => ClusterError::Unreachable {
                partial: f(partial),
                reason,
            },
        }
    }
}

impl<T> fmt::Display for ClusterError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClusterError::Timeout {
                answered, expected, ..
            } => write!(
                f,
                "timeout reached: only {answered} of {expected} other node(s) answered"
            ),
            ClusterError::Unreachable { reason, .. } => {
                write!(f, "the cluster could not be asked: {reason}")
            }
        }
    }
}

impl<T: fmt::Debug> std::error::Error for ClusterError<T> {}

/// What a question to the cluster returns: the whole answer, or the part that came.
pub type ClusterResult<T> = Result<T, ClusterError<T>>;

/// The cluster's side of one namespace. Every method is about the *other* nodes: the
/// namespace has done, or will do, this node's part itself. Methods are called on the
/// application's threads; those that ask a question block until the answers are in or the
/// adapter's timeout passes.
pub trait Adapter: Send + Sync {
    /// Tells the other nodes to emit `packet` (an EVENT with its arguments, binary ones
    /// inline as [`Value::Binary`]) to their sockets chosen by `options`.
    fn broadcast(&self, packet: &Packet, options: &BroadcastOptions);

    /// As `broadcast`, asking each chosen socket to acknowledge. Each other node reports
    /// how many sockets it asked (`tally.clients_counted`), then each answer
    /// (`tally.settle`). Returns how many other nodes will report a count, 0 when there
    /// are none or they cannot be reached (the broadcast is then this node's alone).
    fn broadcast_with_ack(
        &self,
        packet: &Packet,
        options: &BroadcastOptions,
        tally: &Arc<AckTally>,
    ) -> usize;

    /// The other nodes' sockets chosen by `options`.
    fn fetch_sockets(&self, options: &BroadcastOptions) -> ClusterResult<Vec<RemoteSocket>>;

    /// Makes the other nodes' sockets chosen by `options` join `rooms`.
    fn add_sockets(&self, options: &BroadcastOptions, rooms: &[String]);

    /// Makes the other nodes' sockets chosen by `options` leave `rooms`.
    fn del_sockets(&self, options: &BroadcastOptions, rooms: &[String]);

    /// Disconnects the other nodes' sockets chosen by `options`; with `close`, their whole
    /// connections.
    fn disconnect_sockets(&self, options: &BroadcastOptions, close: bool);

    /// Sends `[event, ...args]` to the other nodes' server-side handlers.
    fn server_side_emit(&self, data: &[Value]);

    /// As `server_side_emit`, and `callback` gets one answer per other node, or those that
    /// came within `timeout`. Called exactly once.
    fn server_side_emit_with_ack(
        &self,
        data: &[Value],
        timeout: Duration,
        callback: BroadcastAckCallback,
    );

    /// The rooms of the other nodes' sockets in this namespace.
    fn all_rooms(&self) -> ClusterResult<BTreeSet<String>>;

    /// How many nodes the cluster has, this one included.
    fn server_count(&self) -> ClusterResult<usize>;

    /// The namespace is going: stop listening for it.
    fn close(&self);
}

/// The default: a cluster of one node. There is nobody else, so nothing is sent and every
/// question has the empty answer, at once — which is what the reference's in-memory adapter
/// and its cluster adapters (alone in their cluster) answer too.
#[derive(Debug, Default, Clone, Copy)]
pub struct LocalAdapter;

impl Adapter for LocalAdapter {
    fn broadcast(&self, _: &Packet, _: &BroadcastOptions) {}

    fn broadcast_with_ack(&self, _: &Packet, _: &BroadcastOptions, _: &Arc<AckTally>) -> usize {
        0
    }

    fn fetch_sockets(&self, _: &BroadcastOptions) -> ClusterResult<Vec<RemoteSocket>> {
        Ok(Vec::new())
    }

    fn add_sockets(&self, _: &BroadcastOptions, _: &[String]) {}

    fn del_sockets(&self, _: &BroadcastOptions, _: &[String]) {}

    fn disconnect_sockets(&self, _: &BroadcastOptions, _: bool) {}

    fn server_side_emit(&self, _: &[Value]) {}

    fn server_side_emit_with_ack(&self, _: &[Value], _: Duration, callback: BroadcastAckCallback) {
        callback(Ok(Vec::new()));
    }

    fn all_rooms(&self) -> ClusterResult<BTreeSet<String>> {
        Ok(BTreeSet::new())
    }

    fn server_count(&self) -> ClusterResult<usize> {
        Ok(1)
    }

    fn close(&self) {}
}

/// Makes the adapter of each namespace, as the namespace is created (the reference's
/// `createAdapter(…)` result, a function of the namespace).
pub trait AdapterFactory: Send + Sync {
    /// The adapter for `namespace`, listening for the other nodes from now on.
    fn create(&self, namespace: &Namespace) -> Arc<dyn Adapter>;
}

impl AdapterFactory for LocalAdapter {
    fn create(&self, _: &Namespace) -> Arc<dyn Adapter> {
        Arc::new(LocalAdapter)
    }
}
