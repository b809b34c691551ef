//! Every limit and timeout of the server in one place, with its default and the reason for
//! it. NOTES.md has the same table from the client's side: what it sees when it hits each.

use std::time::Duration;

use super::request::Limits;
use crate::memory_budget::MemoryBudget;
use crate::websocket::WebSocketConfig;

/// How a [`Server`](super::Server) treats its connections.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Connections open at once; the next is answered `503` and closed. 10,000 stays well
    /// under this machine's ceilings: about 16,000 threads (4 memory mappings each of the
    /// 65,530 allowed) and 20,000 file descriptors (one per connection). A value past the
    /// ceilings of the process that serves is lowered to them (`ProcessCeiling`).
    pub max_connections: usize,
    /// Stack of each connection thread. The memory is reserved, not used: only the pages a
    /// thread touches cost RAM (about 8–16 KiB here). 128 KiB leaves room for handlers in
    /// unoptimised debug builds, whose frames are several times larger than release ones.
    pub stack_size: usize,
    /// Initial read buffer of a connection; it grows only for a large head or body.
    pub read_buffer: usize,
    /// Sizes of request lines, heads and bodies (414, 431, 413).
    pub limits: Limits,
    /// Bytes that bodies and WebSocket messages still arriving may hold, every connection
    /// together; the one that would go past it is refused (413, close 1009). The default is
    /// the process-wide budget, a quarter of RAM, shared by every server built with it; the
    /// WebSockets this server upgrades count against the same one.
    pub memory_budget: MemoryBudget,
    /// Time from a request's first byte to its last header line. A client that sends its
    /// head slowly to hold a thread (slowloris) is answered `408` and closed.
    pub header_timeout: Duration,
    /// Time to receive a request's body once its head is in.
    pub body_timeout: Duration,
    /// How long a keep-alive connection may sit between requests before we close it.
    pub idle_timeout: Duration,
    /// How long one write of an HTTP response may wait for the client to read.
    pub write_timeout: Duration,
    /// On shutdown, how long connections get to finish their closing handshakes before
    /// they are cut.
    pub shutdown_grace: Duration,
    /// Limits and timeouts of upgraded WebSocket connections.
    pub websocket: WebSocketConfig,
}

impl Default for ServerConfig {
    fn default() -> ServerConfig {
        ServerConfig {
            max_connections: 10_000,
            stack_size: 128 * 1024,
            read_buffer: 8 * 1024,
            limits: Limits::default(),
            memory_budget: MemoryBudget::default(),
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(30),
            write_timeout: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(2),
            websocket: WebSocketConfig::default(),
        }
    }
}
