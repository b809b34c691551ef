//! Engine.IO's options, with the defaults a Socket.IO v4 client expects (protocol.md §4).

use std::time::Duration;

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
    /// Largest message the client may send, announced in the open packet as `maxPayload`
    /// (Socket.IO's `maxHttpBufferSize`): 1 MB.
    pub max_payload: usize,
    /// Whether clients may use the WebSocket transport.
    pub websocket: bool,
}

impl Default for EngineConfig {
    fn default() -> EngineConfig {
        EngineConfig {
            path: "/socket.io/".to_string(),
            ping_interval: Duration::from_millis(25_000),
            ping_timeout: Duration::from_millis(20_000),
            max_payload: 1_000_000,
            websocket: true,
        }
    }
}
