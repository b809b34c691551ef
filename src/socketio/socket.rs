//! A Socket.IO socket: one client in one namespace — its rooms, data, and the emits that go
//! to it (Socket.IO v5 "Sending and receiving data").
//!
//! Where it sits: the client's session (`client.rs`) decodes each packet and hands
//! events and acks for this namespace to [`Socket`]; its listeners (`listeners.rs`, which
//! holds the `on`/`once`/`off`/`use_middleware` half of this type) run right there, one
//! after another, in the order the client sent them. Anyone may hold a `Socket` (it is an
//! `Arc`) and emit to it from any thread; the bytes go out through the Engine.IO session's
//! transport (`engineio::Session`).
//!
//! Disconnect, whatever its cause ([`DisconnectReason`] lists them), runs the same steps:
//! `disconnecting` handlers (the socket's rooms still visible), leave every room,
//! pending acks fail, `disconnect` handlers, and the handlers are dropped (they may hold
//! clones of the socket: dropping them breaks that cycle; handlers added after that, or by a
//! middleware that refused the socket, are refused or dropped for the same reason).

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::ack::{AckCallback, AckError, PendingAcks};
use super::args::{Args, IntoArgs};
use super::broadcast::BroadcastOperator;
use super::client::ClientShared;
use super::disconnect_reason::DisconnectReason;
use super::handshake::Handshake;
use super::listeners::Listeners;
use super::namespace::Namespace;
use super::packet::{Packet, RESERVED_EVENTS};
use super::recovery::KeptSession;
use super::room::RoomError;
use super::volatile::VolatileEmitter;
use crate::engineio::{self, Outgoing};
use crate::json::Value;
use crate::metrics::counts::COUNTS;

struct SocketCore {
    id: String,
    namespace: Namespace,
    client: Arc<ClientShared>,
    auth: Value,
    data: Mutex<Value>,
    /// Taken only to change the table or copy out of it: application code never runs
    /// under it (`listeners.rs`).
    listeners: Mutex<Listeners>,
    acks: Mutex<PendingAcks>,
    connected: AtomicBool,
    /// The private session id of connection state recovery (`recovery.rs`): the client's
    /// secret for coming back as this socket. `None` with recovery off.
    pid: Option<String>,
    /// Whether this socket is one that dropped and came back with its state.
    recovered: bool,
}

/// One client in one namespace. Clone it freely: it is an `Arc`.
///
/// Handed to `on_connection` handlers; listeners, rooms and emits hang off it:
///
/// ```
/// use threadio::socketio::{ArgsError, Io};
///
/// let io = Io::new();
/// io.of("/").on_connection(|socket| {
///     // The client's `socket.emit("sum", 1, 2, (total) => …)` gets `3` back.
///     socket.on("sum", |_socket, args, ack| -> Result<(), ArgsError> {
///         let (a, b): (i64, i64) = args.parse()?;
///         ack.send((a + b,));
///         Ok(())
///     });
///     socket.on("join", |socket, args, _ack| -> Result<(), ArgsError> {
///         let (room,): (String,) = args.parse()?;
///         if socket.join(&room).is_ok() {
///             socket.to(&room).emit("joined", (socket.id(),)); // the others in the room
///         }
///         Ok(())
///     });
///     socket.on_disconnect(|socket, reason| println!("{} left: {reason}", socket.id()));
/// });
/// ```
#[derive(Clone)]
pub struct Socket {
    inner: Arc<SocketCore>,
}

impl std::fmt::Debug for Socket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Socket({} in {})",
            self.inner.id,
            self.inner.namespace.name()
        )
    }
}

impl Socket {
    pub(crate) fn new(namespace: Namespace, client: Arc<ClientShared>, auth: Value) -> Socket {
        let pid = namespace.recovers().then(engineio::sid::generate);
        let state = (engineio::sid::generate(), pid, Value::Null, false);
        Socket::with_state(namespace, client, auth, state)
    }

    /// A socket that dropped and came back: its id, private session id and data as they
    /// were kept (`recovery.rs`).
    pub(crate) fn restored(
        namespace: Namespace,
        client: Arc<ClientShared>,
        auth: Value,
        session: &KeptSession,
    ) -> Socket {
        let state = (
            session.socket_id.clone(),
            Some(session.pid.clone()),
            session.data.clone(),
            true,
        );
        Socket::with_state(namespace, client, auth, state)
    }

    /// A socket with its id, private session id, data, and whether it was recovered.
    fn with_state(
        namespace: Namespace,
        client: Arc<ClientShared>,
        auth: Value,
        (id, pid, data, recovered): (String, Option<String>, Value, bool),
    ) -> Socket {
        Socket {
            inner: Arc::new(SocketCore {
                recovered,
                id,
                namespace,
                client,
                auth,
                data: Mutex::new(data),
                listeners: Mutex::new(Listeners::default()),
                acks: Mutex::new(PendingAcks::default()),
                connected: AtomicBool::new(false),
                pid,
            }),
        }
    }

    /// The socket's id: also the name of the room it is always in. Not the Engine.IO sid.
    pub fn id(&self) -> &str {
        &self.inner.id
    }

    /// The namespace it belongs to.
    pub fn namespace(&self) -> &Namespace {
        &self.inner.namespace
    }

    /// The `auth` object the client sent with CONNECT (`{}` if none).
    pub fn auth(&self) -> &Value {
        &self.inner.auth
    }

    /// How the client arrived (`socket.handshake`): the opening request's headers, query,
    /// address and time, and this socket's auth payload. Middlewares may read it.
    pub fn handshake(&self) -> Handshake {
        Handshake::new(self.inner.client.opening_request(), self.inner.auth.clone())
    }

    /// Per-socket data, for the application (`socket.data` in JavaScript).
    pub fn data(&self) -> Value {
        lock(&self.inner.data).clone()
    }

    /// Replaces the per-socket data.
    pub fn set_data(&self, data: Value) {
        *lock(&self.inner.data) = data;
    }

    /// Whether the socket is connected.
    pub fn connected(&self) -> bool {
        self.inner.connected.load(Ordering::SeqCst)
    }

    /// The Engine.IO session id of its client (`socket.conn.id`, the Admin UI's
    /// `clientId`): shared by the client's sockets in every namespace, and never sent to
    /// other clients by us — a polling client's sid is its credential.
    pub fn client_id(&self) -> &str {
        self.inner.client.session().sid()
    }

    /// The transport its client's session runs on now: `"polling"` or `"websocket"`
    /// (`socket.conn.transport.name`).
    pub fn transport(&self) -> &'static str {
        self.inner.client.session().transport_name()
    }

    /// Runs `handler` with the new transport's name when the client's session upgrades
    /// from polling to WebSocket (`socket.conn.on("upgrade")`). It is let go when the
    /// session ends.
    pub fn on_upgrade(&self, handler: impl Fn(&Socket, &'static str) + Send + Sync + 'static) {
        // A weak handle: the session keeps its watchers, and this socket keeps the session.
        let weak = Arc::downgrade(&self.inner);
        self.inner.client.session().on_upgrade(move |transport| {
            if let Some(inner) = weak.upgrade() {
                handler(&Socket { inner }, transport);
            }
        });
    }

    /// Whether this socket dropped and came back with its id, rooms, data and the events it
    /// missed (`socket.recovered`; connection state recovery, `recovery.rs`).
    pub fn recovered(&self) -> bool {
        self.inner.recovered
    }

    /// The private session id the CONNECT answer gives the client, with recovery on.
    pub(crate) fn pid(&self) -> Option<&str> {
        self.inner.pid.as_deref()
    }

    /// Sends event `event` with `args` to this client: `()`, a tuple of up to six values
    /// (`("hi",)`, `(n, "ok")`), or a `Vec<Value>`. Does nothing once disconnected.
    ///
    /// # Panics
    /// If `event` is reserved (`connect`, `disconnect`, …), as the reference server throws.
    pub fn emit(&self, event: &str, args: impl IntoArgs) {
        check_event_name(event);
        let args = args.into_args();
        if self.namespace().recovers() && self.connected() {
            // As the reference does: a broadcast to its own room, so that the event gets an
            // offset and is kept for replay should the connection drop. Only this node's:
            // the socket is here.
            self.namespace()
                .to(self.id())
                .local()
                .emit_event(event, args.into_vec());
            return;
        }
        self.notify_outgoing(event, &args);
        let packet = Packet::event(self.namespace().name(), event, args.into_vec(), None);
        self.send_packet(&packet);
    }

    /// Sends event `event` and asks the client to acknowledge it: `callback` gets the
    /// client's answer (read it as a listener reads its arguments, `reply.parse()`), or
    /// [`AckError::Timeout`] after `timeout`, or [`AckError::Disconnected`] — exactly once.
    ///
    /// # Panics
    /// If `event` is reserved.
    pub fn emit_with_ack(
        &self,
        event: &str,
        args: impl IntoArgs,
        timeout: Duration,
        callback: impl FnOnce(Result<Args, AckError>) + Send + 'static,
    ) {
        check_event_name(event);
        let args = args.into_args();
        self.send_awaiting_ack(timeout, Box::new(callback), |id| {
            // Only once the ack is registered: an answer may come before `send` returns.
            self.notify_outgoing(event, &args);
            let packet = Packet::event(self.namespace().name(), event, args.into_vec(), Some(id));
            self.send_packet(&packet);
        });
    }

    /// Joins `room`. Joining a room the socket is in already is `Ok` and changes nothing.
    ///
    /// # Errors
    /// [`RoomError::TooManyRooms`] if the socket is in `IoConfig::max_rooms_per_socket`
    /// rooms besides its own already (it stays in those); [`RoomError::NotConnected`] if it
    /// is not connected (from a middleware, or after its disconnect).
    pub fn join(&self, room: &str) -> Result<(), RoomError> {
        self.namespace().join(self.id(), room)
    }

    /// Leaves `room`.
    pub fn leave(&self, room: &str) {
        self.namespace().leave(self.id(), room);
    }

    /// Whether this socket is in `room`: one hash lookup, however many rooms it is in.
    pub fn in_room(&self, room: &str) -> bool {
        self.namespace().in_room(self.id(), room)
    }

    /// The rooms this socket is in, its own included, sorted. A copy: to ask about one
    /// room, [`Socket::in_room`] is cheaper.
    pub fn rooms(&self) -> Vec<String> {
        // Copied under the namespace's read lock, sorted after it is let go: every join and
        // leave in the namespace waits for that lock.
        let mut rooms = self.namespace().rooms_of(self.id());
        rooms.sort_unstable();
        rooms
    }

    /// Targets the sockets in `room`, except this one.
    pub fn to(&self, room: impl Into<String>) -> BroadcastOperator {
        self.broadcast().to(room)
    }

    /// Targets every socket in the namespace except this one.
    pub fn broadcast(&self) -> BroadcastOperator {
        self.namespace().all().without(self.id())
    }

    /// Targets every socket in the namespace except this one and those in `room`.
    pub fn except(&self, room: impl Into<String>) -> BroadcastOperator {
        self.broadcast().except(room)
    }

    /// Emits that are dropped, not queued, when this client cannot take them now
    /// (`socket.volatile.emit(…)` in JavaScript; see `volatile.rs`).
    pub fn volatile(&self) -> VolatileEmitter<'_> {
        VolatileEmitter::new(self)
    }

    /// Disconnects this socket from its namespace; the client sees `io server disconnect`.
    /// With `close`, every namespace of this client is disconnected the same way and then
    /// the connection itself is closed, as the reference's `disconnect(true)` does.
    pub fn disconnect(&self, close: bool) {
        if !close {
            self.leave_namespace();
            return;
        }
        for socket in self.inner.client.sockets() {
            socket.leave_namespace();
        }
        self.leave_namespace();
        self.inner.client.close(engineio::CloseReason::ForcedClose);
    }

    /// Sends DISCONNECT for this namespace and runs the disconnect steps, once.
    fn leave_namespace(&self) {
        if self.inner.connected.swap(false, Ordering::SeqCst) {
            self.send_packet_anyway(&Packet::disconnect(self.namespace().name()));
            self.inner.client.forget(self.namespace().name());
            self.finish(DisconnectReason::ServerNamespaceDisconnect);
        }
    }

    /// A middleware refused the socket: drop whatever handlers it registered, and accept
    /// no more (they could hold clones of the socket and keep it alive).
    pub(crate) fn discard(&self) {
        *self.listeners() = Listeners::finished();
    }

    pub(crate) fn mark_connected(&self) {
        self.inner.connected.store(true, Ordering::SeqCst);
    }

    /// The listener table, for `listeners.rs`. Copy out of it and let go before running
    /// anything.
    pub(crate) fn listeners(&self) -> std::sync::MutexGuard<'_, Listeners> {
        lock(&self.inner.listeners)
    }

    /// An ACK from the client, for an event we sent with `emit_with_ack`.
    pub(crate) fn on_ack(&self, packet: Packet) {
        let (Some(id), Some(Value::Array(args))) = (packet.id, packet.data) else {
            return;
        };
        let callback = lock(&self.inner.acks).take(id);
        if let Some(callback) = callback {
            self.guarded("ack", || callback(Ok(Args::from(args))));
        }
    }

    /// The client left this namespace, or its connection ended.
    pub(crate) fn on_client_gone(&self, reason: DisconnectReason) {
        if self.inner.connected.swap(false, Ordering::SeqCst) {
            self.finish(reason);
        }
    }

    /// The disconnect steps, in the reference's order.
    fn finish(&self, reason: DisconnectReason) {
        let disconnecting = self.listeners().disconnecting.clone();
        self.guarded("disconnecting", || {
            disconnecting.iter().for_each(|h| h(self, reason))
        });
        if let (true, Some(pid)) = (reason.is_recoverable(), self.pid()) {
            // Its rooms as the disconnecting handlers left them, as the reference keeps them.
            self.namespace().keep_session(KeptSession {
                socket_id: self.id().to_string(),
                pid: pid.to_string(),
                rooms: self.namespace().rooms_of(self.id()),
                data: self.data(),
            });
        }
        self.namespace().remove(self.id());
        let pending = lock(&self.inner.acks).take_all();
        for callback in pending {
            self.guarded("ack", || callback(Err(AckError::Disconnected)));
        }
        let listeners = std::mem::replace(&mut *self.listeners(), Listeners::finished());
        self.guarded("disconnect", || {
            listeners.disconnect.iter().for_each(|h| h(self, reason))
        });
    }

    /// Runs a handler; a panic is logged and disconnects this socket, never the server.
    pub(crate) fn guarded(&self, what: &str, handler: impl FnOnce()) {
        if let Err(panic) = catch_unwind(AssertUnwindSafe(handler)) {
            crate::log!(
                "socket {} in {}: the {what:?} handler panicked ({}); disconnecting it",
                self.id(),
                self.namespace().name(),
                panic_message(&panic)
            );
            self.disconnect(false);
        }
    }

    pub(crate) fn send_ack(&self, id: u64, args: Vec<Value>) {
        self.send_packet(&Packet::ack(self.namespace().name(), id, args));
    }

    fn send_packet(&self, packet: &Packet) {
        if self.connected() {
            self.send_outgoing(&encode_packet(packet));
        }
    }

    fn send_packet_anyway(&self, packet: &Packet) {
        self.inner.client.send(&encode_packet(packet));
    }

    /// Waits for the client's answer to an event that `send` puts on the wire under the id
    /// it is given: [`Socket::emit_with_ack`] encodes that event itself; a broadcast writes
    /// its JSON once and each socket's own id into a copy (`broadcast_ack.rs`). `callback`
    /// runs exactly once: answer, timeout or disconnect — and at once, with `Disconnected`,
    /// without `send` being called, if the socket has gone already.
    pub(crate) fn send_awaiting_ack(
        &self,
        timeout: Duration,
        callback: AckCallback,
        send: impl FnOnce(u64),
    ) {
        let registered = lock(&self.inner.acks).register(callback);
        let id = match registered {
            Ok(id) => id,
            Err(callback) => return callback(Err(AckError::Disconnected)),
        };
        send(id);
        let socket = Arc::downgrade(&self.inner);
        crate::timer::schedule(Instant::now() + timeout, move || {
            let callback = socket
                .upgrade()
                .and_then(|inner| lock(&inner.acks).take(id));
            if let Some(callback) = callback {
                COUNTS.acks_timed_out.inc();
                callback(Err(AckError::Timeout));
            }
        });
    }

    /// Sends packets only if this client's transport can take them now (`volatile.rs`);
    /// returns whether it did.
    pub(crate) fn send_outgoing_volatile(&self, outgoing: &Outgoing) -> bool {
        self.connected() && self.inner.client.send_volatile(outgoing)
    }

    /// Sends packets encoded once for many sockets (a broadcast).
    pub(crate) fn send_outgoing(&self, outgoing: &Outgoing) {
        if self.connected() {
            self.inner.client.send(outgoing);
        }
    }
}

/// A Socket.IO packet as the Engine.IO packets that carry it: the text packet, then one
/// binary message per attachment (Socket.IO v5 "Packet encoding").
pub(crate) fn encode_packet(packet: &Packet) -> Outgoing {
    encode_packet_sized(packet).0
}

/// As [`encode_packet`], and how many bytes of text and attachments that is.
pub(crate) fn encode_packet_sized(packet: &Packet) -> (Outgoing, usize) {
    let (text, attachments) = packet.encode();
    let bytes = text.len() + attachments.iter().map(Vec::len).sum::<usize>();
    let mut packets = vec![engineio::Packet::Message(text)];
    packets.extend(attachments.into_iter().map(engineio::Packet::BinaryMessage));
    (Outgoing::new(packets), bytes)
}

/// # Panics
/// If `event` is one of the reserved names.
pub(crate) fn check_event_name(event: &str) {
    assert!(
        !RESERVED_EVENTS.contains(&event),
        "{event:?} is a reserved event name"
    );
}

fn panic_message(panic: &Box<dyn Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".to_string())
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panicking handler never holds these locks (handlers run after they are released).
    mutex.lock().expect("socket lock poisoned")
}
