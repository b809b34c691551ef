//! What `fetch_sockets` returns: a socket of this node or of another, as the cluster
//! describes it (the reference's `RemoteSocket`, Socket.IO v4 "Server API ›
//! server.fetchSockets()").
//!
//! A socket on another node cannot be handed over: its connection, listeners and acks live
//! in that process. What travels is a description — its id, handshake, rooms and `data` at
//! the time of the answer — and the few things one can ask of it from afar: emit to it,
//! make it join or leave a room, disconnect it. Each of those is a broadcast to the room
//! named by its id, which reaches it on whichever node it is (or nobody, if it has gone
//! meanwhile), exactly as the reference does.
//!
//! A socket of this node is described the same way, so one loop handles both; [`RemoteSocket::local`]
//! gives the [`Socket`] itself when it is here.

use super::args::IntoArgs;
use super::broadcast::BroadcastOperator;
use super::handshake::Handshake;
use super::namespace::Namespace;
use super::socket::Socket;
use crate::json::Value;

/// A socket found by `fetch_sockets`, on this node or another.
#[derive(Clone)]
pub struct RemoteSocket {
    namespace: Namespace,
    id: String,
    handshake: Handshake,
    rooms: Vec<String>,
    data: Value,
    /// The socket itself, when it is on this node.
    local: Option<Socket>,
}

impl std::fmt::Debug for RemoteSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteSocket")
            .field("id", &self.id)
            .field("namespace", &self.namespace.name())
            .field("rooms", &self.rooms)
            .field("data", &self.data)
            .field("local", &self.local.is_some())
            .finish()
    }
}

impl RemoteSocket {
    /// A socket of another node in `namespace`, as that node described it.
    pub fn new(
        namespace: &Namespace,
        id: String,
        handshake: Handshake,
        rooms: Vec<String>,
        data: Value,
    ) -> RemoteSocket {
        RemoteSocket {
            namespace: namespace.clone(),
            id,
            handshake,
            rooms,
            data,
            local: None,
        }
    }

    /// A socket of this node, described now.
    pub(crate) fn of_local(socket: &Socket) -> RemoteSocket {
        RemoteSocket {
            namespace: socket.namespace().clone(),
            id: socket.id().to_string(),
            handshake: socket.handshake(),
            rooms: socket.rooms(),
            data: socket.data(),
            local: Some(socket.clone()),
        }
    }

    /// The socket's id, unique in the cluster (and the name of its own room).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// How its client arrived, on whichever node. From another node, the address's port
    /// is 0: the reference sends the IP only.
    pub fn handshake(&self) -> &Handshake {
        &self.handshake
    }

    /// The rooms it was in when it was fetched, its own included, sorted.
    pub fn rooms(&self) -> &[String] {
        &self.rooms
    }

    /// Its `data` when it was fetched (`socket.data`).
    pub fn data(&self) -> &Value {
        &self.data
    }

    /// The socket itself, if it is on this node.
    pub fn local(&self) -> Option<&Socket> {
        self.local.as_ref()
    }

    /// Emits to it, wherever it is (a broadcast to its own room).
    ///
    /// # Panics
    /// If `event` is reserved, as [`Socket::emit`].
    pub fn emit(&self, event: &str, args: impl IntoArgs) {
        self.own_room().emit(event, args);
    }

    /// Makes it join `room`, wherever it is.
    pub fn join(&self, room: &str) {
        self.own_room().sockets_join(room);
    }

    /// Makes it leave `room`, wherever it is.
    pub fn leave(&self, room: &str) {
        self.own_room().sockets_leave(room);
    }

    /// Disconnects it, wherever it is; with `close`, its whole connection.
    pub fn disconnect(&self, close: bool) {
        self.own_room().disconnect_sockets(close);
    }

    fn own_room(&self) -> BroadcastOperator {
        self.namespace.to(self.id.clone())
    }
}
