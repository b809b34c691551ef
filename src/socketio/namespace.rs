//! Namespaces: separate channels multiplexed over one connection (Socket.IO v5
//! "Namespaces"), each with its own handlers, middlewares, sockets and rooms.
//!
//! A client joins a namespace with a CONNECT packet (`0/chat,{"token":…}`). The namespace
//! runs its middlewares — each may refuse with a message and data, which the client gets as
//! `connect_error` — then answers CONNECT with the socket's id and calls its connection
//! handlers. Namespaces exist once the server names them (`io.of("/chat")`); a CONNECT to
//! any other gets CONNECT_ERROR `{"message":"Invalid namespace"}`, as the reference does.
//!
//! Each namespace has an [`Adapter`] (`adapter.rs`), which speaks for the other nodes of a
//! cluster: a broadcast, `fetch_sockets`, `sockets_join` and the like do their part here and
//! hand the rest to it. With the default [`LocalAdapter`] there is no rest. Server-side emits
//! (`server_side_emit`, `on_server_side_emit`) are messages between the nodes themselves:
//! they reach the handlers of the *other* nodes, never this one's — so on a node alone an
//! emit reaches nobody and its ack form is answered at once with no responses, as the
//! reference's adapters answer when alone. Code written for a cluster so runs unchanged on
//! one node.
//!
//! Locks: the sockets and rooms of a namespace sit behind one `RwLock` (`Members`). A
//! broadcast takes it for reading only to pick its targets, then lets go before sending;
//! join, leave, connect and disconnect take it for writing, briefly. Asking whether a socket
//! is in a room takes it for reading for two hash lookups; listing a socket's rooms, for
//! a copy of their names (sorting them waits until the lock is let go). With connection
//! state recovery on, a second lock, the recovery store's (`recovery.rs`), is always taken
//! before the members' one: by a broadcast from recording its event to choosing its
//! targets, and by a returning socket from computing its replay to joining its rooms.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, Weak};
use std::time::Duration;

use super::ack::Ack;
use super::adapter::{Adapter, ClusterResult, LocalAdapter};
use super::args::{Args, IntoArgs};
use super::broadcast::BroadcastOperator;
use super::broadcast_ack::BroadcastAckResult;
use super::packet::RESERVED_EVENTS;
use super::recovery::{KeptSession, SessionStore};
use super::remote_socket::RemoteSocket;
use super::room::{RoomError, Rooms};
use super::server::IoConfig;
use super::socket::{check_event_name, Socket};
use crate::json::Value;

/// A middleware's refusal: the client's `connect_error` gets `message` and `data`.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectError {
    pub message: String,
    pub data: Option<Value>,
}

impl ConnectError {
    /// A refusal with a message.
    pub fn new(message: impl Into<String>) -> ConnectError {
        ConnectError {
            message: message.into(),
            data: None,
        }
    }

    /// Adds data for the client (`err.data` in JavaScript).
    pub fn with_data(mut self, data: Value) -> ConnectError {
        self.data = Some(data);
        self
    }
}

/// Runs before a socket is connected; `Err` refuses it.
pub type Middleware = Arc<dyn Fn(&Socket) -> Result<(), ConnectError> + Send + Sync>;
/// Runs for each socket that connects.
pub type ConnectionHandler = Arc<dyn Fn(&Socket) + Send + Sync>;
/// Runs for each server-side emit from another node: the event, its arguments, and the
/// means to answer it if the sender asked.
pub type ServerSideListener = Arc<dyn Fn(&str, Args, Ack) + Send + Sync>;

struct Members {
    sockets: HashMap<String, Socket>,
    rooms: Rooms,
}

/// Whether a socket went into a room or out of it ([`Namespace::on_room_change`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoomChange {
    /// It joined (the reference adapter's `join-room` event).
    Joined,
    /// It left, or disconnected while in it (`leave-room`).
    Left,
}

/// Hears each [`RoomChange`], with the room and the socket's id.
pub type RoomChangeHandler = Arc<dyn Fn(RoomChange, &str, &str) + Send + Sync>;

/// What runs when a child namespace (`Io::of_matching`) loses its last socket.
pub(crate) type OnEmpty = Arc<dyn Fn(&Namespace) + Send + Sync>;

struct NamespaceCore {
    name: String,
    /// Shared with the parent, for a child of `Io::of_matching`: what the application adds
    /// to the parent applies to every child, those to come included.
    middlewares: Arc<RwLock<Vec<Middleware>>>,
    on_connection: Arc<RwLock<Vec<ConnectionHandler>>>,
    members: RwLock<Members>,
    /// The cluster's side: [`LocalAdapter`] until the server installs another.
    adapter: RwLock<Arc<dyn Adapter>>,
    server_side_listeners: RwLock<Vec<ServerSideListener>>,
    /// Who hears of joins and leaves on this node (`on_room_change`).
    on_room_change: RwLock<Vec<RoomChangeHandler>>,
    /// The events kept for replay and the dropped sessions (`recovery.rs`), with connection
    /// state recovery on.
    recovery: Option<Mutex<SessionStore>>,
    /// A child namespace is forgotten once empty (see `Io::of_matching`); `None` for the
    /// others, which live as long as the server.
    on_empty: Option<OnEmpty>,
}

/// One namespace. Clone it freely: it is an `Arc`.
///
/// ```
/// use threadio::socketio::{ConnectError, Io};
///
/// let io = Io::new();
/// let admin = io.of("/admin"); // made on first use, as in Node
/// admin.use_middleware(|socket| match socket.handshake().header("Authorization") {
///     Some("Bearer letmein") => Ok(()),
///     _ => Err(ConnectError::new("Not authorized")), // the client's connect_error
/// });
/// admin.on_connection(|socket| socket.emit("hello", ("admin",)));
/// assert_eq!((admin.name(), admin.len()), ("/admin", 0));
/// assert_eq!(admin.emit("news", ("nobody is here",)), 0); // how many it reached
/// ```
#[derive(Clone)]
pub struct Namespace {
    inner: Arc<NamespaceCore>,
}

impl Namespace {
    /// A namespace with the server's options: how many rooms a socket may join
    /// (`IoConfig::max_rooms_per_socket`), and connection state recovery.
    pub(crate) fn new(name: &str, config: &IoConfig) -> Namespace {
        Namespace::with_parts(name, config, Arc::default(), Arc::default(), None)
    }

    /// A namespace called `name` that shares this one's middlewares and connection
    /// handlers (a child of a parent from `Io::of_matching`), and tells `on_empty` when its
    /// last socket leaves.
    pub(crate) fn child(&self, name: &str, config: &IoConfig, on_empty: OnEmpty) -> Namespace {
        Namespace::with_parts(
            name,
            config,
            Arc::clone(&self.inner.middlewares),
            Arc::clone(&self.inner.on_connection),
            Some(on_empty),
        )
    }

    fn with_parts(
        name: &str,
        config: &IoConfig,
        middlewares: Arc<RwLock<Vec<Middleware>>>,
        on_connection: Arc<RwLock<Vec<ConnectionHandler>>>,
        on_empty: Option<OnEmpty>,
    ) -> Namespace {
        let members = Members {
            sockets: HashMap::new(),
            rooms: Rooms::new(config.max_rooms_per_socket),
        };
        let recovery = config
            .connection_state_recovery
            .clone()
            .map(|recovery| Mutex::new(SessionStore::new(recovery)));
        Namespace {
            inner: Arc::new(NamespaceCore {
                name: name.to_string(),
                middlewares,
                on_connection,
                members: RwLock::new(members),
                adapter: RwLock::new(Arc::new(LocalAdapter)),
                server_side_listeners: RwLock::default(),
                on_room_change: RwLock::default(),
                recovery,
                on_empty,
            }),
        }
    }

    /// Whether this is a child of a parent from `Io::of_matching`.
    pub(crate) fn is_child(&self) -> bool {
        self.inner.on_empty.is_some()
    }

    /// Whether `self` and `other` are the same namespace (not two of the same name).
    pub(crate) fn same_as(&self, other: &Namespace) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// The name, e.g. `/` or `/chat`.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// Runs `handler` for every socket that connects to this namespace, on that client's
    /// thread, after the CONNECT answer is sent (so its emits follow it on the wire).
    pub fn on_connection(&self, handler: impl Fn(&Socket) + Send + Sync + 'static) {
        write(&self.inner.on_connection).push(Arc::new(handler));
    }

    /// Adds a middleware, run in order for each socket before it connects.
    pub fn use_middleware(
        &self,
        middleware: impl Fn(&Socket) -> Result<(), ConnectError> + Send + Sync + 'static,
    ) {
        write(&self.inner.middlewares).push(Arc::new(middleware));
    }

    /// Emits to every socket of the namespace; returns how many were sent to.
    pub fn emit(&self, event: &str, args: impl IntoArgs) -> usize {
        self.all().emit(event, args)
    }

    /// Targets the sockets in `room` (chain `.to()`, `.except()`, then `.emit()`).
    pub fn to(&self, room: impl Into<String>) -> BroadcastOperator {
        self.all().to(room)
    }

    /// Same as [`Namespace::to`].
    pub fn in_(&self, room: impl Into<String>) -> BroadcastOperator {
        self.to(room)
    }

    /// Targets every socket but those in `room`.
    pub fn except(&self, room: impl Into<String>) -> BroadcastOperator {
        self.all().except(room)
    }

    /// Every socket of the namespace, with a wait for acknowledgements (chain
    /// `.emit_with_ack()`; see [`BroadcastOperator::emit_with_ack`]).
    pub fn timeout(&self, timeout: Duration) -> BroadcastOperator {
        self.all().timeout(timeout)
    }

    /// Every socket of the namespace, each sent to only if it can take the event now
    /// ([`BroadcastOperator::volatile`]).
    pub fn volatile(&self) -> BroadcastOperator {
        self.all().volatile()
    }

    /// Every socket of the namespace on this node, and no other node's
    /// ([`BroadcastOperator::local`]).
    pub fn local(&self) -> BroadcastOperator {
        self.all().local()
    }

    /// Sends event `event` to the other nodes of a cluster, for their
    /// [`on_server_side_emit`](Namespace::on_server_side_emit) handlers; never to this
    /// node's own (see the module's header).
    ///
    /// # Panics
    /// If `event` is reserved, as the reference throws.
    pub fn server_side_emit(&self, event: &str, args: impl IntoArgs) {
        check_event_name(event);
        self.adapter()
            .server_side_emit(&server_side_data(event, args));
    }

    /// As [`server_side_emit`](Namespace::server_side_emit), asking each other node to
    /// answer within `timeout`: `callback` gets one response per other node, or the
    /// responses that came with [`BroadcastAckError::Timeout`](super::BroadcastAckError).
    /// With no other node it runs at once, on this thread, with `Ok` of no responses — as
    /// the reference's adapters answer when alone.
    ///
    /// # Panics
    /// If `event` is reserved.
    pub fn server_side_emit_with_ack(
        &self,
        event: &str,
        args: impl IntoArgs,
        timeout: Duration,
        callback: impl FnOnce(BroadcastAckResult) + Send + 'static,
    ) {
        check_event_name(event);
        self.adapter().server_side_emit_with_ack(
            &server_side_data(event, args),
            timeout,
            Box::new(callback),
        );
    }

    /// Handles the server-side emits of the other nodes of a cluster (`nsp.on(event, …)`
    /// for server-side events in JavaScript): the event's name, its arguments, and an
    /// [`Ack`] to answer if the sender asked (`server_side_emit_with_ack`). Handlers run on
    /// the adapter's thread, one event at a time, so they should not block for long.
    pub fn on_server_side_emit(&self, handler: impl Fn(&str, Args, Ack) + Send + Sync + 'static) {
        write(&self.inner.server_side_listeners).push(Arc::new(handler));
    }

    /// A server-side emit from another node, `[event, ...args]`, for this namespace's
    /// handlers: what an adapter calls. Data that is not an event (no name first, or a
    /// reserved one) is logged and dropped: it came from outside this process.
    pub fn receive_server_side_emit(&self, data: Vec<Value>, ack: Ack) {
        let mut data = data.into_iter();
        let event = match data.next() {
            Some(Value::String(event)) if !RESERVED_EVENTS.contains(&event.as_str()) => event,
            other => {
                crate::log!(
                    "namespace {}: a server-side emit from another node is not an event \
                     (first item {other:?}); dropped",
                    self.name()
                );
                return;
            }
        };
        let args: Args = data.collect::<Vec<_>>().into();
        let listeners = read(&self.inner.server_side_listeners).clone();
        for listener in listeners {
            let (args, ack) = (args.clone(), ack.clone());
            let run = AssertUnwindSafe(|| listener(&event, args, ack));
            if catch_unwind(run).is_err() {
                crate::log!(
                    "namespace {}: a server-side handler of {event:?} panicked",
                    self.name()
                );
            }
        }
    }

    /// Every socket of the namespace, as a broadcast target.
    pub fn all(&self) -> BroadcastOperator {
        BroadcastOperator::new(self.clone())
    }

    /// Puts every socket of the namespace in `room` (`namespace.socketsJoin`); returns how
    /// many are in it now. Target fewer with `to(…)`/`except(…)` first.
    pub fn sockets_join(&self, room: &str) -> usize {
        self.all().sockets_join(room)
    }

    /// Takes every socket of the namespace out of `room` (`namespace.socketsLeave`).
    pub fn sockets_leave(&self, room: &str) {
        self.all().sockets_leave(room)
    }

    /// Disconnects every socket of the namespace (`namespace.disconnectSockets`); with
    /// `close`, their whole connections too.
    pub fn disconnect_sockets(&self, close: bool) {
        self.all().disconnect_sockets(close)
    }

    /// The sockets of this namespace on every node of the cluster
    /// ([`BroadcastOperator::fetch_sockets`]).
    ///
    /// # Errors
    /// A [`ClusterError`](super::ClusterError) with the sockets that were found, when not
    /// every node answered.
    pub fn fetch_sockets(&self) -> ClusterResult<Vec<RemoteSocket>> {
        self.all().fetch_sockets()
    }

    /// The rooms of this namespace on every node of the cluster, sockets' own rooms
    /// included (the reference's `adapter.allRooms()`), sorted.
    ///
    /// # Errors
    /// A [`ClusterError`](super::ClusterError) with the rooms that were found, when not
    /// every node answered.
    pub fn all_rooms(&self) -> ClusterResult<BTreeSet<String>> {
        let local = self.local_rooms();
        match self.adapter().all_rooms() {
            Ok(remote) => Ok(local.into_iter().chain(remote).collect()),
            Err(error) => Err(error.map(|remote| local.into_iter().chain(remote).collect())),
        }
    }

    /// The rooms of this namespace on this node, sockets' own rooms included.
    pub fn local_rooms(&self) -> BTreeSet<String> {
        read(&self.inner.members)
            .rooms
            .names()
            .map(str::to_string)
            .collect()
    }

    /// How many rooms of this namespace have members on this node, sockets' own rooms left
    /// out (what `/metrics` shows).
    pub fn room_count(&self) -> usize {
        read(&self.inner.members).rooms.count_besides_own()
    }

    /// The cluster's side of this namespace.
    pub fn adapter(&self) -> Arc<dyn Adapter> {
        Arc::clone(&read(&self.inner.adapter))
    }

    /// Puts `adapter` in place of the current one, which is closed.
    pub(crate) fn install_adapter(&self, adapter: Arc<dyn Adapter>) {
        let old = std::mem::replace(&mut *write(&self.inner.adapter), adapter);
        old.close();
    }

    /// A handle that does not keep the namespace alive, for its adapter.
    pub fn downgrade(&self) -> WeakNamespace {
        WeakNamespace {
            inner: Arc::downgrade(&self.inner),
        }
    }

    /// The socket with this id, if it is connected here.
    pub fn socket(&self, socket_id: &str) -> Option<Socket> {
        read(&self.inner.members).sockets.get(socket_id).cloned()
    }

    /// How many sockets are connected.
    pub fn len(&self) -> usize {
        read(&self.inner.members).sockets.len()
    }

    /// Whether no socket is connected.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(crate) fn middlewares(&self) -> Vec<Middleware> {
        read(&self.inner.middlewares).clone()
    }

    pub(crate) fn connection_handlers(&self) -> Vec<ConnectionHandler> {
        read(&self.inner.on_connection).clone()
    }

    /// Adds a connected socket, in the room named by its id (Socket.IO v4 "Rooms").
    pub(crate) fn add(&self, socket: &Socket) {
        {
            let mut members = write(&self.inner.members);
            members
                .sockets
                .insert(socket.id().to_string(), socket.clone());
            members.rooms.join_own_room(socket.id());
        }
        self.tell_room_change(RoomChange::Joined, &[socket.id().to_string()], socket.id());
    }

    /// Removes a socket and takes it out of every room.
    pub(crate) fn remove(&self, socket_id: &str) {
        // The rooms are copied out only for someone who listens: a disconnect costs nothing more.
        let watched = !read(&self.inner.on_room_change).is_empty();
        let (emptied, left) = {
            let mut members = write(&self.inner.members);
            members.sockets.remove(socket_id);
            let left = if watched {
                members.rooms.rooms(socket_id)
            } else {
                Vec::new()
            };
            members.rooms.leave_all(socket_id);
            (members.sockets.is_empty(), left)
        };
        self.tell_room_change(RoomChange::Left, &left, socket_id);
        // After the members' lock is let go: `on_empty` takes the server's namespace table.
        if let (true, Some(on_empty)) = (emptied, &self.inner.on_empty) {
            on_empty(self);
        }
    }

    /// Puts connected socket `socket_id` in `room`.
    pub(crate) fn join(&self, socket_id: &str, room: &str) -> Result<(), RoomError> {
        let joined = {
            let mut members = write(&self.inner.members);
            if !members.sockets.contains_key(socket_id) {
                return Err(RoomError::NotConnected);
            }
            let new = !members.rooms.contains(socket_id, room);
            members.rooms.join(socket_id, room)?;
            new
        };
        if joined {
            self.tell_room_change(RoomChange::Joined, &[room.to_string()], socket_id);
        }
        Ok(())
    }

    pub(crate) fn leave(&self, socket_id: &str, room: &str) {
        let left = {
            let mut members = write(&self.inner.members);
            let was_in = members.rooms.contains(socket_id, room);
            members.rooms.leave(socket_id, room);
            was_in
        };
        if left {
            self.tell_room_change(RoomChange::Left, &[room.to_string()], socket_id);
        }
    }

    /// Runs `handler` for each socket of this node that joins or leaves a room of this
    /// namespace, its own room included (at connect and disconnect) — the reference
    /// adapter's `join-room` and `leave-room` events, which the Admin UI shows. It runs
    /// after the change, with no lock held, on the thread that made it.
    pub fn on_room_change(&self, handler: impl Fn(RoomChange, &str, &str) + Send + Sync + 'static) {
        write(&self.inner.on_room_change).push(Arc::new(handler));
    }

    fn tell_room_change(&self, change: RoomChange, rooms: &[String], socket_id: &str) {
        let handlers = read(&self.inner.on_room_change).clone();
        for handler in &handlers {
            for room in rooms {
                handler(change, room, socket_id);
            }
        }
    }

    /// The recovery store, locked, if recovery is on. Held by a broadcast from recording
    /// its event to choosing its targets, and by a restore from computing what was missed
    /// to adding the socket to its rooms: so every event either is in a restored socket's
    /// replay or reaches it live, never both, never neither.
    pub(crate) fn recovery(&self) -> Option<MutexGuard<'_, SessionStore>> {
        self.inner
            .recovery
            .as_ref()
            .map(|store| store.lock().expect("recovery store lock poisoned"))
    }

    /// Whether connection state recovery is on here.
    pub(crate) fn recovers(&self) -> bool {
        self.inner.recovery.is_some()
    }

    /// Keeps the session of a socket whose connection dropped, for it to come back to.
    pub(crate) fn keep_session(&self, session: KeptSession) {
        if let Some(mut store) = self.recovery() {
            store.keep(session);
        }
    }

    /// Adds a restored socket, in the rooms it was in. The caller holds the recovery
    /// store's lock until this returns (see [`Namespace::recovery`]).
    pub(crate) fn add_restored(&self, socket: &Socket, rooms: &[String]) {
        let joined = {
            let mut members = write(&self.inner.members);
            members
                .sockets
                .insert(socket.id().to_string(), socket.clone());
            members.rooms.join_own_room(socket.id());
            for room in rooms {
                if room != socket.id() {
                    // Within the cap: these are rooms it was in before.
                    let _ = members.rooms.join(socket.id(), room);
                }
            }
            members.rooms.rooms(socket.id())
        };
        self.tell_room_change(RoomChange::Joined, &joined, socket.id());
    }

    /// Whether any socket of this node is in `room`.
    pub(crate) fn has_room(&self, room: &str) -> bool {
        read(&self.inner.members)
            .rooms
            .members(room)
            .next()
            .is_some()
    }

    /// Whether socket `socket_id` is in `room`.
    pub(crate) fn in_room(&self, socket_id: &str, room: &str) -> bool {
        read(&self.inner.members).rooms.contains(socket_id, room)
    }

    /// The rooms socket `socket_id` is in, unsorted: copied under the read lock, nothing more.
    pub(crate) fn rooms_of(&self, socket_id: &str) -> Vec<String> {
        read(&self.inner.members).rooms.rooms(socket_id)
    }

    /// The sockets in any of `rooms` (all sockets if `rooms` is empty), but none in any of
    /// `except` and not `except_socket`. Copied out under the read lock, which is released
    /// before anyone sends to them.
    pub(crate) fn select(
        &self,
        rooms: &[String],
        except: &[String],
        except_socket: Option<&str>,
    ) -> Vec<Socket> {
        let members = read(&self.inner.members);
        let excluded: HashSet<&str> = except
            .iter()
            .flat_map(|room| members.rooms.members(room))
            .chain(except_socket)
            .collect();
        let wanted = |socket_id: &&str| !excluded.contains(*socket_id);
        let socket_ids: Vec<&str> = if rooms.is_empty() {
            members
                .sockets
                .keys()
                .map(String::as_str)
                .filter(wanted)
                .collect()
        } else {
            let mut seen = HashSet::new();
            rooms
                .iter()
                .flat_map(|room| members.rooms.members(room))
                .filter(wanted)
                .filter(|socket_id| seen.insert(*socket_id))
                .collect()
        };
        socket_ids
            .iter()
            .filter_map(|socket_id| members.sockets.get(*socket_id).cloned())
            .collect()
    }
}

/// A namespace held without keeping it alive: what an adapter keeps of its namespace, so
/// that a namespace forgotten by the server is not kept by its own adapter.
#[derive(Clone)]
pub struct WeakNamespace {
    inner: Weak<NamespaceCore>,
}

impl WeakNamespace {
    /// The namespace, if it is still there.
    pub fn upgrade(&self) -> Option<Namespace> {
        self.inner.upgrade().map(|inner| Namespace { inner })
    }
}

/// A server-side emit's data on the wire: `[event, ...args]`.
fn server_side_data(event: &str, args: impl IntoArgs) -> Vec<Value> {
    std::iter::once(Value::from(event))
        .chain(args.into_args().into_vec())
        .collect()
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    // Poisoned only if a panic happened inside a HashMap operation: nothing to recover.
    lock.read().expect("namespace lock poisoned")
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().expect("namespace lock poisoned")
}
