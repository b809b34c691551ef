//! Engine.IO's options, with the defaults a Socket.IO v4 client expects (`../shared/docs/protocol.md` §4).

use std::sync::Arc;
use std::time::Duration;

use super::cors::Cors;
use super::hooks::{AddHeaders, AllowRequest, GenerateId, Hook, OnRefusal, RequestRefusal};
use crate::http::{Headers, Request};

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
    /// Decides whether a request may open or upgrade a session (the reference's
    /// `allowRequest`); set it with [`EngineConfig::allow_request`]. `hooks.rs` says when
    /// each hook runs.
    pub allow_request: Option<Hook<AllowRequest>>,
    /// Adds fields to the answer to a polling handshake (the `initial_headers` event).
    pub initial_headers: Option<Hook<AddHeaders>>,
    /// Adds fields to every answer to an HTTP request under the Engine.IO path: polls,
    /// POSTs, the handshake, and refusals too (the `headers` event; the reference skips it
    /// for refused requests).
    pub headers: Option<Hook<AddHeaders>>,
    /// Hears of each request Engine.IO refused (the `connection_error` event).
    pub on_connection_error: Option<Hook<OnRefusal>>,
    /// Names each new session (`io.engine.generateId`); `None`: 120 random bits (`sid.rs`).
    pub generate_id: Option<Hook<GenerateId>>,
    /// Sends a cookie naming the session id with the polling handshake's answer, which a
    /// load balancer can use to send a client's later requests to the same server (sticky
    /// sessions). Off unless set, as in the reference.
    pub cookie: Option<Cookie>,
}

/// The session cookie of [`EngineConfig::cookie`]:
/// `Set-Cookie: io=<sid>; Path=/; HttpOnly; SameSite=Lax` by default (RFC 6265 §4.1), the
/// reference's `cookie: true`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cookie {
    /// The cookie's name: `io`.
    pub name: String,
    /// Where the browser sends it back: `/`.
    pub path: String,
    /// Hidden from the page's scripts (RFC 6265 §4.1.2.6): on. Only the balancer needs it.
    pub http_only: bool,
    /// `Strict`, `Lax` or `None` (RFC 6265bis): `Lax`, which most browsers assume anyway.
    pub same_site: Option<String>,
}

impl Default for Cookie {
    fn default() -> Cookie {
        Cookie {
            name: "io".to_string(),
            path: "/".to_string(),
            http_only: true,
            same_site: Some("Lax".to_string()),
        }
    }
}

impl Cookie {
    /// The `Set-Cookie` value for session `sid`. A sid is 20 URL-safe base64 characters
    /// (`sid.rs`), all allowed in a cookie value as they are.
    pub fn header_value(&self, sid: &str) -> String {
        let mut value = format!("{}={sid}; Path={}", self.name, self.path);
        if self.http_only {
            value.push_str("; HttpOnly");
        }
        if let Some(same_site) = &self.same_site {
            value.push_str("; SameSite=");
            value.push_str(same_site);
        }
        value
    }
}

impl EngineConfig {
    /// Sets [`EngineConfig::allow_request`]: `Err(reason)` refuses the request with
    /// `403 {"code":4,"message":reason}`.
    ///
    /// ```
    /// use threadio::engineio::EngineConfig;
    ///
    /// let config = EngineConfig::default().allow_request(|request| {
    ///     match request.header("Cookie") {
    ///         Some(cookie) if cookie.contains("session=") => Ok(()),
    ///         _ => Err("log in first".to_string()),
    ///     }
    /// });
    /// # assert!(config.allow_request.is_some());
    /// ```
    pub fn allow_request(
        mut self,
        decide: impl Fn(&Request) -> Result<(), String> + Send + Sync + 'static,
    ) -> EngineConfig {
        self.allow_request = Some(Hook::new(Arc::new(decide)));
        self
    }

    /// Sets [`EngineConfig::initial_headers`].
    pub fn initial_headers(
        mut self,
        add: impl Fn(&Request, &mut Headers) + Send + Sync + 'static,
    ) -> EngineConfig {
        self.initial_headers = Some(Hook::new(Arc::new(add)));
        self
    }

    /// Sets [`EngineConfig::headers`].
    pub fn headers(
        mut self,
        add: impl Fn(&Request, &mut Headers) + Send + Sync + 'static,
    ) -> EngineConfig {
        self.headers = Some(Hook::new(Arc::new(add)));
        self
    }

    /// Sets [`EngineConfig::generate_id`].
    pub fn generate_id(
        mut self,
        generate: impl Fn(&Request) -> String + Send + Sync + 'static,
    ) -> EngineConfig {
        self.generate_id = Some(Hook::new(Arc::new(generate)));
        self
    }

    /// Sets [`EngineConfig::on_connection_error`].
    pub fn on_connection_error(
        mut self,
        hear: impl Fn(&RequestRefusal) + Send + Sync + 'static,
    ) -> EngineConfig {
        self.on_connection_error = Some(Hook::new(Arc::new(hear)));
        self
    }
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
            allow_request: None,
            initial_headers: None,
            headers: None,
            on_connection_error: None,
            generate_id: None,
            cookie: None,
        }
    }
}
