//! The server: a `TcpListener`, an accept loop, and one thread per connection.
//!
//! This is where every connection starts (NOTES.md follows one from here). The accept loop
//! runs on the thread that calls [`Server::serve`]; each accepted `TcpStream` gets its own
//! named thread with a small stack, which reads HTTP/1.1 requests in a keep-alive loop
//! (`connection.rs`) and, on a WebSocket upgrade, stays on as that WebSocket's reader.
//!
//! Why a thread per connection: blocking reads make the code read like the protocol, one
//! step after another, with no state machine turned inside out for an event loop. The cost
//! is memory and a ceiling, measured on this machine (NOTES.md, "Where the ceiling is"):
//! each thread costs 4 memory mappings of the 65,530 a process may have, and each socket one
//! of its 20,000 file descriptors. So the server caps connections (`max_connections`) well
//! below both — and lowers a cap set past them, read from the kernel at start
//! (`process_ceiling.rs`) — refuses the next one with a `503`, and a thread that cannot be
//! spawned refuses that one connection: it never aborts the process.
//!
//! Shutdown: [`ShutdownHandle::shutdown`] stops the accept loop, sends every WebSocket a
//! close frame with 1001 (going away, RFC 6455 §7.4.1), ends idle keep-alive connections,
//! and `serve` returns once every connection thread has been joined.

use std::collections::HashMap;
use std::io::{self, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use super::config::ServerConfig;
use super::connection;
use super::process_ceiling::ProcessCeiling;
use super::response::{Response, Status};
use super::router::Router;
use crate::metrics::counts::{Refusal, COUNTS};
use crate::websocket::{CloseCode, Sender};

/// A bound listener, ready to [`serve`](Server::serve).
///
/// ```
/// use std::io::{Read, Write};
/// use threadio::http::{Response, Router, Server, ServerConfig, Status};
///
/// let mut app = Router::new();
/// app.get("/", |_request| Response::text(Status::OK, "hello"));
/// // Port 0: any free port. `serve` blocks; `spawn` serves on a thread of its own.
/// let server = Server::bind("127.0.0.1:0", ServerConfig::default())?.spawn(app)?;
///
/// let mut client = std::net::TcpStream::connect(server.addr())?;
/// client.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")?;
/// let mut answer = String::new();
/// client.read_to_string(&mut answer)?;
/// assert!(answer.starts_with("HTTP/1.1 200 OK") && answer.ends_with("hello"));
/// server.stop(); // a graceful shutdown, every connection thread joined
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Server {
    listener: TcpListener,
    config: Arc<ServerConfig>,
    shared: Arc<Shared>,
}

/// Stops a running server from another thread (Ctrl-C, a test, an admin route).
#[derive(Clone)]
pub struct ShutdownHandle {
    shared: Arc<Shared>,
    addr: SocketAddr,
}

/// What the accept loop and the connection threads share.
pub(crate) struct Shared {
    shutting_down: AtomicBool,
    next_id: AtomicU64,
    /// Open connections, so shutdown can reach them. One mutex: it is taken once when a
    /// connection starts and once when it ends, never during I/O.
    connections: Mutex<HashMap<u64, Entry>>,
    /// Signalled when a connection ends, for shutdown's wait.
    ended: Condvar,
    /// How many connections hold a slot (counted at accept, before the thread starts).
    live: AtomicUsize,
}

/// One open connection as the server sees it.
struct Entry {
    stream: Arc<TcpStream>,
    thread: Option<JoinHandle<()>>,
    /// Set once the connection has become a WebSocket.
    websocket: Option<Sender>,
}

/// A connection's registration: ends it in the registry when the thread finishes, however
/// it finishes (a handler that panics included).
pub(crate) struct Registration {
    shared: Arc<Shared>,
    id: u64,
}

impl Server {
    /// Binds a listener, e.g. `Server::bind("127.0.0.1:3000", ServerConfig::default())`.
    ///
    /// # Errors
    /// If the address cannot be bound.
    pub fn bind(addr: impl ToSocketAddrs, config: ServerConfig) -> io::Result<Server> {
        Ok(Server {
            listener: TcpListener::bind(addr)?,
            config: Arc::new(config),
            shared: Arc::new(Shared {
                shutting_down: AtomicBool::new(false),
                next_id: AtomicU64::new(1),
                connections: Mutex::new(HashMap::new()),
                ended: Condvar::new(),
                live: AtomicUsize::new(0),
            }),
        })
    }

    /// The address the listener is bound to (useful after binding port 0).
    ///
    /// # Errors
    /// As `TcpListener::local_addr`.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Changes the configuration after binding, before serving: for settings that depend on
    /// the bound address, such as the demo's own origin, whose port is known only once
    /// `--port 0` has been bound.
    pub fn configure(&mut self, change: impl FnOnce(&mut ServerConfig)) {
        // Nothing else holds the configuration before `serve`: this never copies it.
        change(Arc::make_mut(&mut self.config));
    }

    /// The most connections this server will hold at once: `max_connections`, lowered to
    /// what the process's memory maps and descriptors allow if it is set past them
    /// ([`ProcessCeiling`]); `serve` reads it once and logs why when it is lowered.
    pub fn connection_cap(&self) -> usize {
        self.capped().0
    }

    /// The cap `serve` holds to, and why it is lower than `max_connections` if it is: one
    /// place, so that what `connection_cap` and `/metrics` report is what `admit` enforces.
    fn capped(&self) -> (usize, Option<String>) {
        ProcessCeiling::of_this_process().cap(self.config.max_connections)
    }

    /// A handle that stops this server.
    ///
    /// # Errors
    /// As `TcpListener::local_addr`.
    pub fn shutdown_handle(&self) -> io::Result<ShutdownHandle> {
        Ok(ShutdownHandle {
            shared: Arc::clone(&self.shared),
            addr: self.local_addr()?,
        })
    }

    /// A handle that counts this server's connections when asked: what `/metrics` shows
    /// (`threadio::metrics::Metrics::with_server`).
    pub fn census(&self) -> Census {
        Census {
            shared: Arc::clone(&self.shared),
            max_connections: self.connection_cap(),
        }
    }

    /// Accepts connections until shut down, serving each with `router` on its own thread;
    /// returns when every connection thread has ended.
    ///
    /// # Errors
    /// Never for one connection's trouble; only if the process cannot go on accepting.
    pub fn serve(self, router: Router) -> io::Result<()> {
        let router = Arc::new(router);
        let (cap, lowered) = self.capped();
        if let Some(why) = lowered {
            crate::log!("{why}");
        }
        for stream in self.listener.incoming() {
            if self.shared.shutting_down.load(Ordering::SeqCst) {
                break;
            }
            match stream {
                Ok(stream) => self.admit(stream, &router, cap),
                Err(e) => accept_failed(&e),
            }
        }
        drop(self.listener);
        for hook in router.shutdown_hooks() {
            hook();
        }
        self.shared.close_all(self.config.shutdown_grace);
        Ok(())
    }

    /// Starts `serve` on a thread of its own and returns at once: for tests and examples
    /// that need the server running beside them.
    ///
    /// # Errors
    /// If the thread cannot be started.
    pub fn spawn(self, router: Router) -> io::Result<RunningServer> {
        let handle = self.shutdown_handle()?;
        let addr = handle.addr;
        let thread = thread::Builder::new()
            .name("threadio-accept".into())
            .spawn(move || self.serve(router))?;
        Ok(RunningServer {
            handle,
            addr,
            thread: Some(thread),
        })
    }

    /// Gives `stream` a slot and a thread, or refuses it with a 503 if `cap` are open.
    fn admit(&self, stream: TcpStream, router: &Arc<Router>, cap: usize) {
        let peer = stream
            .peer_addr()
            .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)));
        let live = self.shared.live.fetch_add(1, Ordering::SeqCst);
        if live >= cap {
            self.shared.live.fetch_sub(1, Ordering::SeqCst);
            crate::log!("{peer} refused: {live} connections open, the cap is {cap}");
            Refusal::ConnectionCap.count();
            refuse(&stream);
            return;
        }
        let stream = Arc::new(stream);
        let registration = self.shared.register(Arc::clone(&stream));
        // Kept until the thread is running: if it cannot start, the 503 goes out on this.
        let for_refusal = Arc::clone(&stream);
        let id = registration.id;
        let config = Arc::clone(&self.config);
        let router = Arc::clone(router);
        // Counted before the thread starts, so that a request it serves (a scrape of
        // `/metrics`) already sees it; one that then gets no thread is also `no_thread`.
        COUNTS.connections_accepted.inc();
        let spawned = thread::Builder::new()
            .name(format!("conn-{id}"))
            .stack_size(self.config.stack_size)
            .spawn(move || connection::run(stream, peer, &config, &router, registration));
        match spawned {
            Ok(thread) => self.shared.keep_thread(id, thread),
            Err(e) => {
                // The closure, and with it the registration, was dropped: the slot is free.
                crate::log!("{peer} refused: cannot start a thread ({e})");
                Refusal::NoThread.count();
                refuse(&for_refusal);
            }
        }
    }
}

/// Counts a server's connections on demand, from the registry the server keeps anyway for
/// shutdown: nothing is counted on the way in or out, so connections pay nothing for it.
/// Get one from [`Server::census`] before `serve`; clone it freely.
#[derive(Clone)]
pub struct Census {
    shared: Arc<Shared>,
    max_connections: usize,
}

/// What a [`Census`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Headcount {
    /// Connections holding a slot: HTTP and WebSocket, the accepted ones still starting too.
    pub open: usize,
    /// Of the registered connections, those that are WebSockets now.
    pub websockets: usize,
    /// Bytes queued for the WebSockets and not yet written, all of them together.
    pub backlog_bytes: usize,
    /// The cap, `ServerConfig::max_connections`.
    pub max_connections: usize,
}

impl Census {
    /// Counts now. Takes the registry's lock once, to copy out the WebSockets' senders,
    /// then each outbox's lock briefly for its backlog: never both at once, and never
    /// during I/O, so a scrape delays no connection more than an accept does.
    pub fn count(&self) -> Headcount {
        let open = self.shared.live.load(Ordering::Relaxed);
        let senders: Vec<Sender> = self
            .shared
            .lock()
            .values()
            .filter_map(|entry| entry.websocket.clone())
            .collect();
        Headcount {
            open,
            websockets: senders.len(),
            backlog_bytes: senders.iter().map(Sender::backlog_bytes).sum(),
            max_connections: self.max_connections,
        }
    }
}

/// A server started by [`Server::spawn`]. Dropping it shuts the server down and waits.
pub struct RunningServer {
    handle: ShutdownHandle,
    addr: SocketAddr,
    thread: Option<JoinHandle<io::Result<()>>>,
}

impl RunningServer {
    /// Where the server listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A handle that stops the server.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        self.handle.clone()
    }

    /// Shuts the server down and waits until every connection thread has ended.
    pub fn stop(mut self) {
        self.stop_and_join();
    }

    fn stop_and_join(&mut self) {
        self.handle.shutdown();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

impl ShutdownHandle {
    /// Stops accepting; `serve` then closes every connection and returns. Calling it again
    /// does nothing.
    pub fn shutdown(&self) {
        if self.shared.shutting_down.swap(true, Ordering::SeqCst) {
            return;
        }
        // `accept` blocks and std offers no way to interrupt it, so we wake it the plain way:
        // by connecting to it. The loop sees the flag and stops.
        let wake = match self.addr {
            SocketAddr::V4(a) if a.ip().is_unspecified() => {
                SocketAddr::from(([127, 0, 0, 1], a.port()))
            }
            SocketAddr::V6(a) if a.ip().is_unspecified() => {
                SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, a.port()))
            }
            addr => addr,
        };
        let _ = TcpStream::connect_timeout(&wake, Duration::from_secs(1));
    }

    /// Whether shutdown has begun.
    pub fn is_shutting_down(&self) -> bool {
        self.shared.shutting_down.load(Ordering::SeqCst)
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, HashMap<u64, Entry>> {
        self.connections
            .lock()
            .expect("connection registry lock poisoned")
    }

    pub(crate) fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::SeqCst)
    }

    fn register(self: &Arc<Self>, stream: Arc<TcpStream>) -> Registration {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let entry = Entry {
            stream,
            thread: None,
            websocket: None,
        };
        self.lock().insert(id, entry);
        Registration {
            shared: Arc::clone(self),
            id,
        }
    }

    /// Keeps the thread's handle for shutdown to join, unless the thread already ended
    /// (it may finish before `spawn` has even returned here).
    fn keep_thread(&self, id: u64, thread: JoinHandle<()>) {
        if let Some(entry) = self.lock().get_mut(&id) {
            entry.thread = Some(thread);
        }
    }

    /// Shutdown: 1001 to every WebSocket, end every idle HTTP connection, give them
    /// `grace` to finish, then cut what is left and join every thread.
    fn close_all(&self, grace: Duration) {
        // Set already by whoever asked for the shutdown; said again here because the wait
        // below relies on it (`Registration`'s drop wakes it only when it is set).
        self.shutting_down.store(true, Ordering::SeqCst);
        let open: Vec<(Option<Sender>, Arc<TcpStream>)> = self
            .lock()
            .values()
            .map(|e| (e.websocket.clone(), Arc::clone(&e.stream)))
            .collect();
        crate::log!("shutting down: closing {} connections", open.len());
        for (websocket, stream) in &open {
            match websocket {
                Some(sender) => sender.close(CloseCode::GoingAway, "server shutting down"),
                // An HTTP connection is either idle between requests or busy with one;
                // shutting down only its read side ends the idle wait at once but lets a
                // request in progress send its response.
                None => {
                    let _ = stream.shutdown(Shutdown::Read);
                }
            }
        }
        self.wait_until_empty(grace);
        let threads: Vec<JoinHandle<()>> = {
            let mut connections = self.lock();
            for entry in connections.values() {
                let _ = entry.stream.shutdown(Shutdown::Both);
            }
            connections
                .values_mut()
                .filter_map(|e| e.thread.take())
                .collect()
        };
        for thread in threads {
            let _ = thread.join();
        }
    }

    fn wait_until_empty(&self, grace: Duration) {
        let deadline = Instant::now() + grace;
        let mut connections = self.lock();
        while !connections.is_empty() {
            let now = Instant::now();
            if now >= deadline {
                return;
            }
            connections = self
                .ended
                .wait_timeout(connections, deadline - now)
                .expect("connection registry lock poisoned")
                .0;
        }
    }
}

impl Registration {
    /// Records that the connection is now a WebSocket, so shutdown sends it 1001. If shutdown
    /// has already begun, the WebSocket is closed at once.
    pub(crate) fn became_websocket(&self, sender: Sender) {
        let shutting_down = {
            let mut connections = self.shared.lock();
            if let Some(entry) = connections.get_mut(&self.id) {
                entry.websocket = Some(sender.clone());
            }
            self.shared.is_shutting_down()
        };
        if shutting_down {
            sender.close(CloseCode::GoingAway, "server shutting down");
        }
    }

    /// Whether the server is shutting down (the keep-alive loop stops).
    pub(crate) fn server_shutting_down(&self) -> bool {
        self.shared.is_shutting_down()
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        // The handle of a thread that ends by itself is dropped here: it detaches a thread
        // that is already finishing. Shutdown joins the ones still in the registry.
        let removed = self.shared.lock().remove(&self.id);
        drop(removed);
        self.shared.live.fetch_sub(1, Ordering::SeqCst);
        // Only shutdown waits for connections to end (`wait_until_empty`), and it sets the
        // flag before it looks at the registry: a connection that ends earlier is already
        // gone when it looks, and a later one sees the flag. A notify is a system call even
        // when nobody waits, one per closed connection, so it is skipped otherwise.
        if self.shared.is_shutting_down() {
            self.shared.ended.notify_all();
        }
    }
}

/// Answers 503 and closes, without a thread: this runs on the accept loop, so it must not
/// block — the response is a few dozen bytes, which fit in any socket's send buffer.
fn refuse(stream: &TcpStream) {
    let _ = stream.set_write_timeout(Some(Duration::from_millis(100)));
    let response = Response::error(Status::SERVICE_UNAVAILABLE).with_header("Retry-After", "1");
    let mut writer = stream;
    let _ = response.write_to(&mut writer, false, false);
    let _ = writer.flush();
    let _ = stream.shutdown(Shutdown::Write);
}

/// `accept` can fail for reasons that pass (a client that reset before we accepted it) and
/// for one that does not pass at once: the process is out of file descriptors (EMFILE). In
/// that case accepting again straight away would spin, so we pause briefly.
fn accept_failed(e: &io::Error) {
    crate::log!("accept failed: {e}");
    if e.raw_os_error() == Some(24) || e.kind() == io::ErrorKind::OutOfMemory {
        thread::sleep(Duration::from_millis(50));
    }
}
