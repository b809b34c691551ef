//! Engine.IO's options, with the defaults a Socket.IO v4 client expects (`../shared/docs/protocol.md` §4).

use std::time::Duration;

use super::cors::Cors;

/// How an Engine.IO server behaves. The defaults are Socket.IO v4's.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Where the server listens for Engine.IO requests: `/socket.io/` for Socket.IO
    /// (Engine.IO alone uses `/engine.io/`).
    pub path: String,
    /// The server sends a ping this often (Engine.IO v4 "Heartbeat"): 25 s.
    pub ping_interval: Duration,
    /// …and closes the session if the pong is not back within this: 20 s.
    pub ping_timeout: Duration,
    /// Largest message or POST body the client may send, announced in the open packet as
    /// `maxPayload` (Socket.IO's `maxHttpBufferSize`): 1 MB. The HTTP server's own limits
    /// (`ServerConfig::limits.max_body`, `WebSocketConfig::max_message_size`, 1 MiB) apply
    /// first: raise them too if you raise this.
    pub max_payload: usize,
    /// Bytes that may wait for a polling client's next `GET`; past this the session closes
    /// ("transport error"), as a WebSocket client past its backlog does: 1 MiB.
    pub max_buffered: usize,
    /// Engine.IO sessions open at once, over both transports; the next handshake is answered
    /// `503` with `{"code":4,"message":"Too many sessions"}` (code 4 is the reference's
    /// refusal by policy, as its `allowRequest` gives). 10,000, the same as the HTTP
    /// server's `max_connections`: a WebSocket session holds one connection for its whole
    /// life, but a polling session holds one only while a request is in flight, so without
    /// this bound a few keep-alive connections could open sessions without end.
    pub max_sessions: usize,
    /// Whether clients may use HTTP long-polling (`transports: ["polling", …]`).
    pub polling: bool,
    /// Whether clients may use WebSocket.
    pub websocket: bool,
    /// Whether a polling session may upgrade to WebSocket (`allowUpgrades`).
    pub allow_upgrades: bool,
    /// How long an upgrade may take from the WebSocket's arrival to its `5` (`upgradeTimeout`): 10 s.
    pub upgrade_timeout: Duration,
    /// Cross-origin requests from web pages on other origins: off unless set, as in
    /// Socket.IO v4.
    pub cors: Option<Cors>,
    /// Over WebSocket, a session's thread holds what its handlers send while more messages
    /// from its client are already waiting, and writes it all before it next waits
    /// ([`WebSocket::hold_writes`](crate::websocket::WebSocket::hold_writes)): a burst
    /// costs a syscall per recipient, not one per frame. On by default; turn it off if
    /// handlers send and then block (on a lock, a database, another thread), which would
    /// hold their frames back as long.
    pub hold_writes: bool,
}

impl Default for EngineConfig {
    fn default() -> EngineConfig {
        EngineConfig {
            path: "/socket.io/".to_string(),
            ping_interval: Duration::from_millis(25_000),
            ping_timeout: Duration::from_millis(20_000),
            max_payload: 1_000_000,
            max_buffered: 1 << 20,
            max_sessions: 10_000,
            polling: true,
            websocket: true,
            allow_upgrades: true,
            upgrade_timeout: Duration::from_millis(10_000),
            cors: None,
            hold_writes: true,
        }
    }
}
