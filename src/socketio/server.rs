//! The Socket.IO server, `io`: its namespaces, server-wide middlewares, and the Engine.IO
//! endpoint it mounts on an HTTP router — the way a Node app attaches socket.io to
//! `http.createServer(app)`.
//!
//! ```no_run
//! use threadio::http::{Router, Server, ServerConfig};
//! use threadio::socketio::Io;
//!
//! let io = Io::new();
//! io.of("/").on_connection(|socket| {
//!     socket.on("chat", |socket, args, _ack| {
//!         socket.broadcast().emit("chat", args);
//!     });
//! });
//! let mut app = Router::new();
//! io.attach(&mut app);
//! Server::bind("127.0.0.1:3000", ServerConfig::default()).unwrap().serve(app).unwrap();
//! ```

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock, RwLock, Weak};
use std::time::Duration;

use super::adapter::{AdapterFactory, ClusterResult, LocalAdapter};
use super::args::IntoArgs;
use super::broadcast::BroadcastOperator;
use super::broadcast_ack::BroadcastAckResult;
use super::client::Client;
use super::namespace::{ConnectError, Middleware, Namespace};
use super::packet::Limits;
use super::recovery::ConnectionStateRecovery;
use super::remote_socket::RemoteSocket;
use super::socket::Socket;
use super::traffic::{MessageFlow, TrafficWatchers};
use crate::engineio::{self, Engine, EngineConfig, SessionHandler};
use crate::http::Router;
use crate::json::Value;

/// How the Socket.IO server behaves; the defaults are Socket.IO v4's.
#[derive(Debug, Clone)]
pub struct IoConfig {
    /// The Engine.IO layer: path, heartbeat, `maxHttpBufferSize`.
    pub engine: EngineConfig,
    /// A client that joins no namespace within this is dropped (`connectTimeout`): 45 s.
    pub connect_timeout: Duration,
    /// Limits on what one packet may hold (attachments, JSON nesting).
    pub packet_limits: Limits,
    /// The attachments of a binary packet must all arrive within this of its header, or
    /// the session closes with "parse error" (the reference waits for them forever): 30 s.
    /// An honest client sends them right behind the header, and together they are at most
    /// `packet_limits.max_attachment_bytes`, about one message; so they get as long as the
    /// WebSocket layer gives one frame once begun (`WebSocketConfig::stall_timeout`, 30 s),
    /// enough for a megabyte at under 300 kbit/s. A shorter one would cut off slow uploads;
    /// a longer one would only let a peer hold its bytes on us longer.
    pub attachment_timeout: Duration,
    /// The most rooms one socket may be in besides its own (the room named by its id, which
    /// it is in from the start and which does not count): 1,000. Past it, `Socket::join`
    /// is refused with `RoomError::TooManyRooms`. The reference has no cap, but applications
    /// put a socket in a handful of rooms (its user, a few channels or documents), so 1,000
    /// leaves room for the largest while bounding what one socket costs everyone: its rooms
    /// are held twice in its namespace, and its disconnect takes it out of each of them under
    /// the namespace's write lock, which every join, leave and broadcast there waits for.
    /// (Issue 10 measured one socket in 100,000 rooms at up to 225 MB, and other sockets'
    /// joins waiting up to 167 ms for that lock.)
    pub max_rooms_per_socket: usize,
    /// Connection state recovery (`connectionStateRecovery`, `recovery.rs`): off, as in the
    /// reference. With it on, a client that drops comes back with its id, rooms, data and
    /// the events it missed.
    pub connection_state_recovery: Option<ConnectionStateRecovery>,
}

impl Default for IoConfig {
    fn default() -> IoConfig {
        IoConfig {
            engine: EngineConfig::default(),
            connect_timeout: Duration::from_secs(45),
            packet_limits: Limits::default(),
            attachment_timeout: Duration::from_secs(30),
            max_rooms_per_socket: 1_000,
            connection_state_recovery: None,
        }
    }
}

/// Decides whether a CONNECT to a namespace nobody created may make a child of a parent
/// from [`Io::of_matching`]: the name, and the CONNECT's auth payload.
pub type NamespaceMatcher = Arc<dyn Fn(&str, &Value) -> bool + Send + Sync>;
/// Runs for each namespace created ([`Io::on_new_namespace`]).
pub type NewNamespaceHandler = Arc<dyn Fn(&Namespace) + Send + Sync>;
/// Runs for each Engine.IO session opened ([`Io::on_session_open`]).
pub type SessionOpenHandler = Arc<dyn Fn(&engineio::Session) + Send + Sync>;

struct IoCore {
    config: IoConfig,
    /// The parents of dynamic namespaces, tried in the order they were added.
    matchers: RwLock<Vec<(NamespaceMatcher, Namespace)>>,
    on_new_namespace: RwLock<Vec<NewNamespaceHandler>>,
    on_session_open: RwLock<Vec<SessionOpenHandler>>,
    /// Copied by each client as its session opens (`traffic.rs`).
    traffic: RwLock<TrafficWatchers>,
    namespaces: RwLock<HashMap<String, Namespace>>,
    middlewares: RwLock<Vec<Middleware>>,
    engine: OnceLock<Arc<Engine>>,
    /// Makes each namespace's adapter ([`Io::set_adapter`]).
    adapters: RwLock<Arc<dyn AdapterFactory>>,
}

/// The Socket.IO server. Clone it freely: it is an `Arc`.
///
/// A server on a free port, and a client speaking the protocol's text by hand over our own
/// WebSocket client, so that every byte shows (the official clients send the same):
///
/// ```
/// use threadio::http::{Router, Server, ServerConfig};
/// use threadio::socketio::Io;
/// use threadio::websocket::{client, Message};
///
/// let io = Io::new();
/// io.of("/").on_connection(|socket| socket.emit("welcome", ("hello", 1)));
/// let mut app = Router::new();
/// io.attach(&mut app);
/// let server = Server::bind("127.0.0.1:0", ServerConfig::default())?.spawn(app)?;
///
/// let url = format!("ws://{}/socket.io/?EIO=4&transport=websocket", server.addr());
/// let mut ws = client::connect(&url).expect("the WebSocket opens");
/// let text = |ws: &mut threadio::websocket::WebSocket| match ws.recv() {
///     Ok(Message::Text(text)) => text,
///     other => panic!("{other:?}"),
/// };
/// assert!(text(&mut ws).starts_with(r#"0{"sid":"#)); // Engine.IO's open packet
/// ws.send("40").expect("sent");                       // Socket.IO CONNECT to "/"
/// assert!(text(&mut ws).starts_with(r#"40{"sid":"#)); // accepted, with the socket's id
/// assert_eq!(text(&mut ws), r#"42["welcome","hello",1]"#);
/// server.stop();
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone)]
pub struct Io {
    inner: Arc<IoCore>,
}

impl Default for Io {
    fn default() -> Io {
        Io::new()
    }
}

impl Io {
    /// A server with the default options and the main namespace `/`.
    pub fn new() -> Io {
        Io::with_config(IoConfig::default())
    }

    /// A server with these options.
    pub fn with_config(config: IoConfig) -> Io {
        let io = Io {
            inner: Arc::new(IoCore {
                config,
                namespaces: RwLock::new(HashMap::new()),
                matchers: RwLock::new(Vec::new()),
                on_new_namespace: RwLock::new(Vec::new()),
                on_session_open: RwLock::new(Vec::new()),
                traffic: RwLock::new(Arc::new([])),
                middlewares: RwLock::new(Vec::new()),
                engine: OnceLock::new(),
                adapters: RwLock::new(Arc::new(LocalAdapter)),
            }),
        };
        io.of("/");
        io
    }

    /// The namespace called `name`, created on first use (`io.of("/chat")`). A name
    /// without a leading `/` gets one.
    pub fn of(&self, name: &str) -> Namespace {
        let name = if name.starts_with('/') {
            name.to_string()
        } else {
            format!("/{name}")
        };
        if let Some(namespace) = self.namespace(&name) {
            return namespace;
        }
        self.register(Namespace::new(&name, &self.inner.config))
    }

    /// Runs `handler` for each namespace created from now on — by `of`, or as a child of an
    /// `of_matching` parent (the reference's `new_namespace` event): to give every namespace
    /// a shared middleware, say, or to count the dynamic ones.
    pub fn on_new_namespace(&self, handler: impl Fn(&Namespace) + Send + Sync + 'static) {
        self.inner
            .on_new_namespace
            .write()
            .expect("new-namespace handler lock poisoned")
            .push(Arc::new(handler));
    }

    /// Dynamic namespaces (`io.of(/^\/org-\d+$/)` in Node, with a function since we take
    /// no regex library): a CONNECT to a namespace nobody created, whose name `matches`
    /// accepts, creates a *child* namespace of that name. What the application adds to the
    /// returned parent — middlewares, connection handlers — applies to every child, and
    /// `socket.namespace().name()` is the child's (`/org-42`). A name no parent accepts
    /// keeps the reference's answer, `"Invalid namespace"`.
    ///
    /// A child is forgotten once its last socket leaves (the reference's
    /// `cleanupEmptyChildNamespaces`, which we always do: otherwise every name a client
    /// makes up would stay in memory for the life of the server). `matches` runs on the
    /// connecting client's thread; the parent itself has no sockets, so broadcast through
    /// `io.of("/org-42")`.
    ///
    /// ```
    /// use threadio::socketio::Io;
    ///
    /// let io = Io::new();
    /// let orgs = io.of_matching(|name, _auth| {
    ///     name.strip_prefix("/org-").is_some_and(|id| id.parse::<u32>().is_ok())
    /// });
    /// orgs.on_connection(|socket| {
    ///     let org = socket.namespace().name().to_string(); // "/org-42"
    ///     socket.emit("welcome", vec![org.into()]);
    /// });
    /// ```
    pub fn of_matching(
        &self,
        matches: impl Fn(&str, &Value) -> bool + Send + Sync + 'static,
    ) -> Namespace {
        let mut matchers = self.inner.matchers.write().expect("matcher lock poisoned");
        let parent = Namespace::new(
            &format!("(parent #{})", matchers.len() + 1),
            &self.inner.config,
        );
        matchers.push((Arc::new(matches), parent.clone()));
        parent
    }

    /// The namespace a CONNECT to `name` reaches: one the server created, or a new child of
    /// the first parent whose matcher accepts `name` and `auth`.
    pub(crate) fn namespace_for_connect(&self, name: &str, auth: &Value) -> Option<Namespace> {
        if let Some(namespace) = self.namespace(name) {
            return Some(namespace);
        }
        // The matchers are the application's code: run them with no lock held.
        let matchers = self
            .inner
            .matchers
            .read()
            .expect("matcher lock poisoned")
            .clone();
        let (_, parent) = matchers.iter().find(|(matches, _)| matches(name, auth))?;
        let weak = Arc::downgrade(&self.inner);
        let forget: super::namespace::OnEmpty = Arc::new(move |child: &Namespace| {
            if let Some(inner) = weak.upgrade() {
                (Io { inner }).forget_if_empty(child);
            }
        });
        let child = parent.child(name, &self.inner.config, forget);
        Some(self.register(child))
    }

    /// Puts `namespace` in the table under its name, unless one is there already: then that
    /// one. A child is registered again once a socket is in it, in case it was emptied and
    /// forgotten between its lookup and the socket's arrival.
    pub(crate) fn register(&self, namespace: Namespace) -> Namespace {
        let (registered, added) = {
            let mut namespaces = self
                .inner
                .namespaces
                .write()
                .expect("namespace table lock poisoned");
            match namespaces.get(namespace.name()) {
                Some(existing) => (existing.clone(), false),
                None => {
                    namespaces.insert(namespace.name().to_string(), namespace.clone());
                    (namespace, true)
                }
            }
        };
        if added {
            // Subscribing to Redis takes round trips: done with the table's lock let go.
            // A broadcast made meanwhile, before the namespace has a socket, reaches the
            // other nodes only if the namespace's adapter is in place; one made by its
            // first socket always is, since the socket joins after `register` returns.
            let factory = Arc::clone(&*self.inner.adapters.read().expect("adapter lock poisoned"));
            registered.install_adapter(factory.create(&registered));
            // The application's code, with the table's lock let go.
            let handlers = self
                .inner
                .on_new_namespace
                .read()
                .expect("new-namespace handler lock poisoned")
                .clone();
            for handler in handlers {
                handler(&registered);
            }
        }
        registered
    }

    /// A child namespace lost its last socket: forget it, unless a socket came meanwhile
    /// or another namespace has its name by now. Namespaces the server created stay.
    pub(crate) fn forget_if_empty(&self, child: &Namespace) {
        if !child.is_child() {
            return;
        }
        let mut namespaces = self
            .inner
            .namespaces
            .write()
            .expect("namespace table lock poisoned");
        let ours = namespaces
            .get(child.name())
            .is_some_and(|registered| registered.same_as(child));
        if ours && child.is_empty() {
            namespaces.remove(child.name());
            child.adapter().close();
        }
    }

    /// Links this server to the other nodes of a cluster (`io.adapter(createAdapter(…))`
    /// in Node): every namespace, those that exist and those to come, gets its adapter from
    /// `factory`; the adapters they had are closed. The Redis adapter is
    /// `crate::redis_adapter::RedisAdapter`.
    pub fn set_adapter(&self, factory: impl AdapterFactory + 'static) {
        let factory: Arc<dyn AdapterFactory> = Arc::new(factory);
        *self.inner.adapters.write().expect("adapter lock poisoned") = Arc::clone(&factory);
        for namespace in self.all_namespaces() {
            namespace.install_adapter(factory.create(&namespace));
        }
    }

    /// How many nodes the cluster has, this one included (`io.serverCount()`): 1 without
    /// an adapter.
    ///
    /// # Errors
    /// A [`ClusterError`](super::ClusterError) if the adapter could not ask.
    pub fn server_count(&self) -> ClusterResult<usize> {
        self.sockets().adapter().server_count()
    }

    fn all_namespaces(&self) -> Vec<Namespace> {
        self.inner
            .namespaces
            .read()
            .expect("namespace table lock poisoned")
            .values()
            .cloned()
            .collect()
    }

    /// The names of the namespaces that exist now, sorted: those the server created, and the
    /// children of `of_matching` parents while they have sockets.
    pub fn namespace_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .inner
            .namespaces
            .read()
            .expect("namespace table lock poisoned")
            .keys()
            .cloned()
            .collect();
        names.sort_unstable();
        names
    }

    /// The main namespace, `/`.
    pub fn sockets(&self) -> Namespace {
        self.of("/")
    }

    /// A middleware for every namespace, run before the namespace's own.
    pub fn use_middleware(
        &self,
        middleware: impl Fn(&Socket) -> Result<(), ConnectError> + Send + Sync + 'static,
    ) {
        self.inner
            .middlewares
            .write()
            .expect("middleware lock poisoned")
            .push(Arc::new(middleware));
    }

    /// Mounts the Engine.IO endpoint (`/socket.io/` by default) on `router`.
    pub fn attach(&self, router: &mut Router) {
        let weak: Weak<IoCore> = Arc::downgrade(&self.inner);
        // The router holds the endpoint, not the `Io`: an application that lets its `Io` go
        // while the server runs gets sessions that close at once. Say so, once, rather than
        // leave a user to wonder why every client is turned away.
        let told = AtomicBool::new(false);
        let on_open: engineio::OnOpen = Arc::new(
            move |session: &engineio::Session| -> Box<dyn SessionHandler> {
                match weak.upgrade() {
                    Some(inner) => {
                        let io = Io { inner };
                        io.tell_session_opened(session);
                        Box::new(Client::new(io, session))
                    }
                    None => {
                        if !told.swap(true, Ordering::Relaxed) {
                            crate::log!(
                                "socket.io: a session opened after its Io was dropped, so it \
                                 is closed at once, and so will every other be (keep the Io \
                                 alive as long as the server runs; said once)"
                            );
                        }
                        Box::new(Gone)
                    }
                }
            },
        );
        let engine = self
            .inner
            .engine
            .get_or_init(|| Engine::new(self.inner.config.engine.clone(), on_open));
        engine.attach(router);
    }

    /// Emits to every socket of the main namespace.
    pub fn emit(&self, event: &str, args: impl IntoArgs) -> usize {
        self.sockets().emit(event, args)
    }

    /// Targets the sockets of the main namespace in `room`.
    pub fn to(&self, room: impl Into<String>) -> BroadcastOperator {
        self.sockets().to(room)
    }

    /// Same as [`Io::to`].
    pub fn in_(&self, room: impl Into<String>) -> BroadcastOperator {
        self.to(room)
    }

    /// Targets the main namespace's sockets except those in `room`.
    pub fn except(&self, room: impl Into<String>) -> BroadcastOperator {
        self.sockets().except(room)
    }

    /// The main namespace's sockets, with a wait for acknowledgements:
    /// `io.timeout(d).emit_with_ack(event, args, |answers| …)` (see
    /// [`BroadcastOperator::emit_with_ack`]).
    pub fn timeout(&self, timeout: Duration) -> BroadcastOperator {
        self.sockets().timeout(timeout)
    }

    /// The main namespace's sockets, each sent to only if it can take the event now
    /// ([`BroadcastOperator::volatile`]).
    pub fn volatile(&self) -> BroadcastOperator {
        self.sockets().volatile()
    }

    /// The main namespace's sockets on this node ([`BroadcastOperator::local`]).
    pub fn local(&self) -> BroadcastOperator {
        self.sockets().local()
    }

    /// Sends event `event` to the other nodes of a cluster
    /// ([`Namespace::server_side_emit`]): on a node alone, to nobody.
    ///
    /// # Panics
    /// If `event` is reserved.
    pub fn server_side_emit(&self, event: &str, args: impl IntoArgs) {
        self.sockets().server_side_emit(event, args);
    }

    /// As [`Io::server_side_emit`], with the other nodes' answers
    /// ([`Namespace::server_side_emit_with_ack`]): on a node alone, none, at once.
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
        self.sockets()
            .server_side_emit_with_ack(event, args, timeout, callback);
    }

    /// Puts every socket of the main namespace in `room` (`io.socketsJoin`).
    pub fn sockets_join(&self, room: &str) -> usize {
        self.sockets().sockets_join(room)
    }

    /// Takes every socket of the main namespace out of `room` (`io.socketsLeave`).
    pub fn sockets_leave(&self, room: &str) {
        self.sockets().sockets_leave(room)
    }

    /// Disconnects every socket of the main namespace (`io.disconnectSockets`); with
    /// `close`, their whole connections too.
    pub fn disconnect_sockets(&self, close: bool) {
        self.sockets().disconnect_sockets(close)
    }

    /// The sockets of the main namespace, on every node ([`BroadcastOperator::fetch_sockets`]).
    ///
    /// # Errors
    /// A [`ClusterError`](super::ClusterError) with the sockets found, when not every node
    /// answered.
    pub fn fetch_sockets(&self) -> ClusterResult<Vec<RemoteSocket>> {
        self.sockets().fetch_sockets()
    }

    /// Closes every client connection ("server shutting down"), and every namespace's
    /// adapter: this node leaves its cluster.
    pub fn close(&self) {
        if let Some(engine) = self.inner.engine.get() {
            engine.close_all(engineio::CloseReason::ServerShuttingDown);
        }
        for namespace in self.all_namespaces() {
            namespace.install_adapter(Arc::new(LocalAdapter));
        }
    }

    /// Runs `handler` for each Engine.IO session opened from now on, before any of its
    /// messages (the reference's `io.engine.on("connection")`): to watch its upgrade and
    /// end (`engineio::Session::on_upgrade`, `on_close`), as the Admin UI's counts do.
    pub fn on_session_open(&self, handler: impl Fn(&engineio::Session) + Send + Sync + 'static) {
        self.inner
            .on_session_open
            .write()
            .expect("session-open handler lock poisoned")
            .push(Arc::new(handler));
    }

    /// Runs `watcher` for each Engine.IO message a client sends or is sent, with its size in
    /// bytes (the reference's `packet` and `packetCreate`), for the sessions opened from
    /// now on. It runs on the thread that moved the message, for every message: keep it to
    /// a few atomic adds. See `traffic.rs`.
    pub fn on_message_traffic(&self, watcher: impl Fn(MessageFlow, usize) + Send + Sync + 'static) {
        let mut traffic = self
            .inner
            .traffic
            .write()
            .expect("traffic watcher lock poisoned");
        let mut watchers: Vec<_> = traffic.iter().cloned().collect();
        watchers.push(Arc::new(watcher));
        *traffic = watchers.into();
    }

    pub(crate) fn traffic_watchers(&self) -> TrafficWatchers {
        Arc::clone(
            &self
                .inner
                .traffic
                .read()
                .expect("traffic watcher lock poisoned"),
        )
    }

    fn tell_session_opened(&self, session: &engineio::Session) {
        let handlers = self
            .inner
            .on_session_open
            .read()
            .expect("session-open handler lock poisoned")
            .clone();
        for handler in handlers {
            handler(session);
        }
    }

    /// How many Engine.IO sessions are open.
    pub fn session_count(&self) -> usize {
        self.inner
            .engine
            .get()
            .map_or(0, |engine| engine.session_count())
    }

    /// How many Engine.IO sessions are open on each transport, `(polling, websocket)`.
    pub fn sessions_by_transport(&self) -> (usize, usize) {
        self.inner
            .engine
            .get()
            .map_or((0, 0), |engine| engine.sessions_by_transport())
    }

    pub(crate) fn config(&self) -> &IoConfig {
        &self.inner.config
    }

    pub(crate) fn namespace(&self, name: &str) -> Option<Namespace> {
        self.inner
            .namespaces
            .read()
            .expect("namespace table lock poisoned")
            .get(name)
            .cloned()
    }

    pub(crate) fn middlewares(&self) -> Vec<Middleware> {
        self.inner
            .middlewares
            .read()
            .expect("middleware lock poisoned")
            .clone()
    }
}

/// The handler of a session that opens after its `Io` was dropped: it closes at once.
struct Gone;

impl SessionHandler for Gone {
    fn on_message(&mut self, _: engineio::Incoming) -> Result<(), engineio::CloseReason> {
        Err(engineio::CloseReason::ForcedClose)
    }
    fn on_close(&mut self, _: engineio::CloseReason) {}
}
