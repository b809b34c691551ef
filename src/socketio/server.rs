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
//!         socket.broadcast().emit("chat", args.into_vec());
//!     });
//! });
//! let mut app = Router::new();
//! io.attach(&mut app);
//! Server::bind("127.0.0.1:3000", ServerConfig::default()).unwrap().serve(app).unwrap();
//! ```

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock, Weak};
use std::time::Duration;

use super::broadcast::BroadcastOperator;
use super::client::Client;
use super::namespace::{ConnectError, Middleware, Namespace};
use super::packet::Limits;
use super::socket::Socket;
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
}

impl Default for IoConfig {
    fn default() -> IoConfig {
        IoConfig {
            engine: EngineConfig::default(),
            connect_timeout: Duration::from_secs(45),
            packet_limits: Limits::default(),
            attachment_timeout: Duration::from_secs(30),
            max_rooms_per_socket: 1_000,
        }
    }
}

struct Inner {
    config: IoConfig,
    namespaces: RwLock<HashMap<String, Namespace>>,
    middlewares: RwLock<Vec<Middleware>>,
    engine: OnceLock<Arc<Engine>>,
}

/// The Socket.IO server. Clone it freely: it is an `Arc`.
#[derive(Clone)]
pub struct Io {
    inner: Arc<Inner>,
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
            inner: Arc::new(Inner {
                config,
                namespaces: RwLock::new(HashMap::new()),
                middlewares: RwLock::new(Vec::new()),
                engine: OnceLock::new(),
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
        let mut namespaces = self
            .inner
            .namespaces
            .write()
            .expect("namespace table lock poisoned");
        namespaces
            .entry(name.clone())
            .or_insert_with(|| Namespace::new(&name, self.inner.config.max_rooms_per_socket))
            .clone()
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
        let weak: Weak<Inner> = Arc::downgrade(&self.inner);
        let on_open: engineio::OnOpen = Arc::new(
            move |session: &engineio::Socket| -> Box<dyn SessionHandler> {
                match weak.upgrade() {
                    Some(inner) => Box::new(Client::new(Io { inner }, session)),
                    None => Box::new(Gone),
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
    pub fn emit(&self, event: &str, args: Vec<Value>) -> usize {
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

    /// The sockets of the main namespace.
    pub fn fetch_sockets(&self) -> Vec<Socket> {
        self.sockets().fetch_sockets()
    }

    /// Closes every client connection ("server shutting down").
    pub fn close(&self) {
        if let Some(engine) = self.inner.engine.get() {
            engine.close_all(engineio::CloseReason::ServerShuttingDown);
        }
    }

    /// How many Engine.IO sessions are open.
    pub fn session_count(&self) -> usize {
        self.inner
            .engine
            .get()
            .map_or(0, |engine| engine.session_count())
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
