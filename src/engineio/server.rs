//! The Engine.IO endpoint: requests under `/socket.io/`, the handshake's checks and errors,
//! and the table of live sessions.
//!
//! Engine.IO v4 "Handshake": a client opens a session with
//! `GET /socket.io/?EIO=4&transport=websocket` (a WebSocket upgrade) or
//! `transport=polling` (a plain GET). Before any handshake is answered the query is checked,
//! and a bad one gets the reference server's JSON error (`error.rs`): `EIO` other than 4 →
//! code 5, an unknown transport → code 0, an unknown `sid` → code 1.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::config::EngineConfig;
use super::error::EngineError;
use super::handler::{OnOpen, SessionHandler};
use super::socket::{CloseReason, Socket};
use crate::http::{Request, Response, Router, Upgrade};
use crate::json::Value;

/// An Engine.IO server: its options, its sessions, and what to do with a new one.
pub struct Engine {
    config: EngineConfig,
    on_open: OnOpen,
    /// Live sessions by sid. One mutex: taken when a session opens or closes and when
    /// someone counts or looks one up, never during I/O.
    sessions: Mutex<HashMap<String, Socket>>,
}

impl Engine {
    /// An engine that gives each new session to `on_open`.
    pub fn new(config: EngineConfig, on_open: OnOpen) -> Arc<Engine> {
        Arc::new(Engine {
            config,
            on_open,
            sessions: Mutex::new(HashMap::new()),
        })
    }

    /// Mounts the engine on `router` at its path (`/socket.io/`).
    pub fn attach(self: &Arc<Self>, router: &mut Router) {
        let path = self.config.path.clone();
        let engine = Arc::clone(self);
        router.upgrade(&path, move |request| engine.decide_upgrade(request));
        let engine = Arc::clone(self);
        router.get(&path, move |request| engine.handle_http(request));
        let engine = Arc::clone(self);
        router.post(&path, move |request| engine.handle_http(request));
    }

    /// The options.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// How many sessions are open.
    pub fn session_count(&self) -> usize {
        self.lock().len()
    }

    /// Closes every session (server shutdown).
    pub fn close_all(&self) {
        let sessions: Vec<Socket> = self.lock().values().cloned().collect();
        for socket in sessions {
            socket.close(CloseReason::ServerShuttingDown);
        }
    }

    /// A WebSocket upgrade under our path: check the query, then run the session on the
    /// connection's thread.
    fn decide_upgrade(self: &Arc<Self>, request: &Request) -> Upgrade {
        match self.check_websocket_request(request) {
            Ok(()) => {
                let engine = Arc::clone(self);
                Upgrade::Accept(Box::new(move |ws| super::websocket::run(ws, &engine)))
            }
            Err(e) => {
                crate::log!("{} Engine.IO upgrade refused: {e}", peer(request));
                Upgrade::Refuse(e.response())
            }
        }
    }

    fn check_websocket_request(&self, request: &Request) -> Result<(), EngineError> {
        check_protocol(request)?;
        match request.query_param("transport").as_deref() {
            Some("websocket") if self.config.websocket => {}
            _ => return Err(EngineError::UnknownTransport),
        }
        // Upgrading a polling session (`sid=`) arrives with the polling transport.
        match request.query_param("sid") {
            Some(_) => Err(EngineError::UnknownSid),
            None => Ok(()),
        }
    }

    /// A plain HTTP request under our path: HTTP long-polling, which this server does not
    /// offer yet, so every such request is answered with the reference error for it.
    fn handle_http(&self, request: &Request) -> Response {
        let error = match check_protocol(request) {
            Err(e) => e,
            Ok(()) if request.query_param("sid").is_some() => EngineError::UnknownSid,
            Ok(()) => EngineError::UnknownTransport,
        };
        crate::log!("{} Engine.IO request refused: {error}", peer(request));
        error.response()
    }

    /// The JSON of the open packet (Engine.IO v4 "Handshake").
    pub(crate) fn open_packet_json(&self, sid: &str, upgrades: &[&str]) -> String {
        let upgrades: Vec<Value> = upgrades.iter().map(|u| Value::from(*u)).collect();
        Value::object([
            ("sid", Value::from(sid)),
            ("upgrades", Value::Array(upgrades)),
            (
                "pingInterval",
                Value::from(self.config.ping_interval.as_millis() as u64),
            ),
            (
                "pingTimeout",
                Value::from(self.config.ping_timeout.as_millis() as u64),
            ),
            ("maxPayload", Value::from(self.config.max_payload as u64)),
        ])
        .to_json()
    }

    pub(crate) fn register(&self, socket: &Socket) {
        self.lock().insert(socket.sid().to_string(), socket.clone());
    }

    pub(crate) fn unregister(&self, socket: &Socket) {
        self.lock().remove(socket.sid());
    }

    pub(crate) fn open_session(&self, socket: &Socket) -> Box<dyn SessionHandler> {
        (self.on_open)(socket)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Socket>> {
        self.sessions.lock().expect("session table lock poisoned")
    }
}

/// `EIO=4`: the only protocol version we speak (Engine.IO v4 "Handshake").
fn check_protocol(request: &Request) -> Result<(), EngineError> {
    match request.query_param("EIO").as_deref() {
        Some("4") => Ok(()),
        _ => Err(EngineError::UnsupportedProtocolVersion),
    }
}

fn peer(request: &Request) -> String {
    request.peer.map_or_else(|| "?".into(), |p| p.to_string())
}
