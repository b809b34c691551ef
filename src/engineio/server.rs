//! The Engine.IO endpoint: requests under `/socket.io/`, their checks and errors, and the
//! table of live sessions.
//!
//! Every request names its protocol version and transport in the query
//! (`?EIO=4&transport=polling&sid=…`). Before anything else the query is checked, in the
//! reference server's order (`Server.verify`, then `handshake`), and a bad one gets its JSON
//! error (`error.rs`):
//!
//! | request | checks | then |
//! |---|---|---|
//! | GET, no `sid`, `transport=polling` | transport on, `EIO=4`, `max_sessions`, `allow_request` | new session, open packet (`polling.rs`) |
//! | GET/POST, `sid`, `transport=polling` | session exists and polls | held GET / POST (`polling.rs`) |
//! | upgrade, no `sid`, `transport=websocket` | transport on, `EIO=4`, `max_sessions`, `allow_request` | new session (`websocket.rs`) |
//! | upgrade, `sid`, `transport=websocket` | session exists, upgrades allowed, `allow_request` | the probe, or a close if it upgraded already (`websocket.rs`) |
//! | OPTIONS, with CORS on | — | the preflight (`cors.rs`) |
//!
//! Unknown transport → code 0; unknown `sid` → 1; a handshake that is not a GET (any
//! method reaches us: `Router::any`) → 2; the wrong transport or method for a session → 3;
//! refused by `allow_request` → `403` with code 4; `EIO` other than 4 → 5; a handshake past
//! `max_sessions` → `503` with code 4 (`EngineError::TooManySessions`). Each refusal is
//! logged and told to `on_connection_error` (`hooks.rs`, with the other hooks on requests).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use super::config::EngineConfig;
use super::error::EngineError;
use super::handler::{OnOpen, OpeningRequest, SessionHandler};
use super::hooks::RequestRefusal;
use super::session::{CloseReason, Session};
use crate::http::{Headers, Method, Request, Response, Router, Upgrade};
use crate::json;
use crate::metrics::counts::COUNTS;

/// An Engine.IO server: its options, its sessions, and what to do with a new one.
pub struct Engine {
    config: EngineConfig,
    on_open: OnOpen,
    /// Live sessions by sid. One mutex: taken when a session opens or closes and when a
    /// request looks one up, never during I/O.
    sessions: Mutex<HashMap<String, Session>>,
}

/// Which way a request under the path goes.
enum Target {
    /// No `sid`: open a session.
    Handshake,
    /// A `sid` of a live session.
    Session(Session),
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

    /// Mounts the engine on `router` at its path (`/socket.io/`): WebSocket upgrades,
    /// polling GETs and POSTs, CORS preflights if CORS is on, and a shutdown hook that ends
    /// every session with "server shutting down".
    ///
    /// # Panics
    /// At startup, with the reason, if the CORS configuration is unsafe
    /// ([`Cors::check`](super::Cors::check)): a server that would let every web page
    /// use its users' cookies must not start.
    pub fn attach(self: &Arc<Self>, router: &mut Router) {
        if let Some(Err(e)) = self.config.cors.as_ref().map(super::Cors::check) {
            panic!("threadio: refusing to start: {e}");
        }
        let path = self.config.path.clone();
        let engine = Arc::clone(self);
        router.upgrade(&path, move |request| engine.decide_upgrade(request));
        // Every method: a PUT is Engine.IO's to refuse with its JSON error (code 2 without
        // a sid), not the router's to answer 405.
        let engine = Arc::clone(self);
        router.any(&path, move |request| engine.handle_http(request));
        let engine = Arc::clone(self);
        router.on_shutdown(move || engine.close_all(CloseReason::ServerShuttingDown));
    }

    /// The options.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// How many sessions are open.
    pub fn session_count(&self) -> usize {
        self.lock().len()
    }

    /// How many sessions are open on each transport, `(polling, websocket)`: for `/metrics`,
    /// and the Admin UI's "polling clients". It looks at each session, so it is for a
    /// periodic report, not a hot path.
    /// The table's lock is held only to copy the handles out: a session's transport sits
    /// behind its own lock, which is never taken while holding the table's.
    pub fn sessions_by_transport(&self) -> (usize, usize) {
        let sessions: Vec<Session> = self.lock().values().cloned().collect();
        let polling = sessions
            .iter()
            .filter(|session| session.is_polling())
            .count();
        (polling, sessions.len() - polling)
    }

    /// Ends every session with `reason`.
    pub fn close_all(&self, reason: CloseReason) {
        let sessions: Vec<Session> = self.lock().values().cloned().collect();
        for session in sessions {
            session.close(reason);
        }
    }

    /// Whether a polling session is offered the upgrade to WebSocket.
    pub(crate) fn offers_upgrade(&self) -> bool {
        self.config.allow_upgrades && self.config.websocket
    }

    /// A WebSocket upgrade under our path: check the query before the 101, then run the
    /// session — or its upgrade — on the connection's thread.
    fn decide_upgrade(self: &Arc<Self>, request: &Request) -> Upgrade {
        let target = self
            .verify(request, "websocket")
            .and_then(|target| match target {
                // A sid on a WebSocket asks for the upgrade (`verify` saw it is polling).
                Target::Session(_) if !self.offers_upgrade() => Err(EngineError::BadRequest),
                target => Ok(target),
            });
        let engine = Arc::clone(self);
        match target {
            Ok(Target::Handshake) => {
                let (sid, opening) = (self.new_sid(request), OpeningRequest::of(request));
                Upgrade::Accept(Box::new(move |mut ws| {
                    super::websocket::run_new(&mut ws, &engine, sid, opening)
                }))
            }
            // A session that is upgrading or has upgraded already gets its 101 too, and then
            // `run_upgrade` closes that WebSocket at once (Engine.IO v4 "Upgrade": the server
            // must close it): a client with no listener for a failed upgrade would crash on
            // an HTTP error instead.
            Ok(Target::Session(session)) => Upgrade::Accept(Box::new(move |mut ws| {
                super::websocket::run_upgrade(&mut ws, &session, &engine)
            })),
            Err(e) => Upgrade::Refuse(self.refuse(request, &e, "upgrade")),
        }
    }

    /// A plain HTTP request under our path: the polling transport, or a CORS preflight.
    fn handle_http(self: &Arc<Self>, request: &Request) -> Response {
        if let (Method::Options, Some(cors)) = (&request.method, &self.config.cors) {
            return cors.preflight(request);
        }
        let response = match self.verify(request, "polling") {
            // Polling is GET and POST. Any other method with a sid (HEAD included, which would
            // run a poll and drop its packets with the body) is a bad request; without a sid,
            // `verify` has answered it already (code 2, "Bad handshake method"). A session
            // that has moved to WebSocket takes no more polls: the reference's
            // TRANSPORT_MISMATCH, also a bad request.
            Ok(Target::Session(session))
                if (request.method != Method::Get && request.method != Method::Post)
                    || !session.is_polling() =>
            {
                self.refuse(request, &EngineError::BadRequest, "request")
            }
            Ok(Target::Handshake) => super::polling::handshake(self, request),
            Ok(Target::Session(session)) if request.method == Method::Post => {
                super::polling::post(&session, &request.body, self)
            }
            Ok(Target::Session(session)) => {
                let max_wait = self.config.ping_interval + self.config.ping_timeout;
                super::polling::poll(&session, request, max_wait)
            }
            Err(e) => self.refuse(request, &e, "request"),
        };
        let response = match &self.config.headers {
            Some(add) => with_headers(response, |headers| add(request, headers)),
            None => response,
        };
        match &self.config.cors {
            Some(cors) => cors.apply(request, response),
            None => response,
        }
    }

    /// The answer to a refused request, logged and told to `on_connection_error`.
    fn refuse(&self, request: &Request, error: &EngineError, what: &str) -> Response {
        crate::log!("{} Engine.IO {what} refused: {error}", peer(request));
        if let Some(hear) = &self.config.on_connection_error {
            hear(&RequestRefusal {
                code: error.code(),
                message: error.message().to_string(),
                method: request.method.clone(),
                url: request.target.clone(),
                peer: request.peer,
            });
        }
        error.response()
    }

    /// What the answer to a polling handshake carries besides the open packet: the session
    /// cookie, if configured, and the fields of `initial_headers`.
    pub(crate) fn dress_handshake(
        &self,
        request: &Request,
        sid: &str,
        response: Response,
    ) -> Response {
        let response = match &self.config.cookie {
            Some(cookie) => response.with_header("Set-Cookie", cookie.header_value(sid)),
            None => response,
        };
        match &self.config.initial_headers {
            Some(add) => with_headers(response, |headers| add(request, headers)),
            None => response,
        }
    }

    /// The id of a session `request` opens: the application's `generate_id`, or ours.
    pub(crate) fn new_sid(&self, request: &Request) -> String {
        match &self.config.generate_id {
            Some(generate) => generate(request),
            None => super::sid::generate(),
        }
    }

    /// The application's `allow_request`, if any: its `Err(reason)` is a refusal with code
    /// 4 and the reason as the message (the reference's default message for an empty one).
    fn check_allowed(&self, request: &Request) -> Result<(), EngineError> {
        let Some(allow) = &self.config.allow_request else {
            return Ok(());
        };
        allow(request)
            .map_err(|reason| EngineError::Forbidden((!reason.is_empty()).then_some(reason)))
    }

    /// The reference's checks, in its order: the transport, then the session (or, with no
    /// `sid`, the handshake's method and protocol version).
    fn verify(&self, request: &Request, arrived_as: &str) -> Result<Target, EngineError> {
        let transport = request.query_param("transport");
        let enabled = match transport.as_deref() {
            Some("polling") => self.config.polling,
            Some("websocket") => self.config.websocket,
            _ => false,
        };
        if !enabled {
            return Err(EngineError::UnknownTransport);
        }
        if transport.as_deref() != Some(arrived_as) {
            // `transport=websocket` on a plain request (no Upgrade): the reference's
            // TRANSPORT_HANDSHAKE_ERROR, a bad request rather than an unknown transport.
            return Err(EngineError::BadRequest);
        }
        if let Some(sid) = request.query_param("sid") {
            let session = self
                .lock()
                .get(&sid)
                .cloned()
                .ok_or(EngineError::UnknownSid)?;
            // An upgrade is asked of the application too (the reference asks only at the
            // handshake): a cookie checked there could have been revoked since.
            if arrived_as == "websocket" {
                self.check_allowed(request)?;
            }
            return Ok(Target::Session(session));
        }
        if request.method != Method::Get {
            return Err(EngineError::BadHandshakeMethod);
        }
        if request.query_param("EIO").as_deref() != Some("4") {
            return Err(EngineError::UnsupportedProtocolVersion);
        }
        // Checked here too, not only when the session is added, so that a WebSocket past
        // the bound gets its 503 before the 101 rather than a close frame after it.
        if self.session_count() >= self.config.max_sessions {
            return Err(EngineError::TooManySessions);
        }
        self.check_allowed(request)?;
        Ok(Target::Handshake)
    }

    /// The JSON of the open packet (Engine.IO v4 "Handshake").
    pub(crate) fn open_packet_json(&self, sid: &str, upgrades: &[&str]) -> String {
        // Written in place rather than built as a `Value` first: every session sends one,
        // and this way it costs one allocation, not a dozen.
        let mut out = String::with_capacity(112 + sid.len());
        out.push_str("{\"sid\":");
        json::write_string(sid, &mut out);
        out.push_str(",\"upgrades\":[");
        for (i, upgrade) in upgrades.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            json::write_string(upgrade, &mut out);
        }
        let config = &self.config;
        // `write!` into a String cannot fail.
        let _ = write!(
            out,
            "],\"pingInterval\":{},\"pingTimeout\":{},\"maxPayload\":{}}}",
            config.ping_interval.as_millis(),
            config.ping_timeout.as_millis(),
            config.max_payload
        );
        out
    }

    /// Adds a new session to the table, unless `max_sessions` are open already. The count
    /// and the insert happen under one lock, so racing handshakes cannot both take the last
    /// place.
    pub(crate) fn try_register(&self, session: &Session) -> Result<(), EngineError> {
        let mut sessions = self.lock();
        if sessions.len() >= self.config.max_sessions {
            return Err(EngineError::TooManySessions);
        }
        if sessions.contains_key(session.sid()) {
            // Only an application's `generate_id` can repeat itself; the session it would
            // replace must not be taken over.
            crate::log!(
                "generate_id gave sid {:?}, which is in use: handshake refused",
                session.sid()
            );
            return Err(EngineError::BadRequest);
        }
        sessions.insert(session.sid().to_string(), session.clone());
        drop(sessions);
        match session.is_polling() {
            true => COUNTS.sessions_opened_polling.inc(),
            false => COUNTS.sessions_opened_websocket.inc(),
        }
        Ok(())
    }

    pub(crate) fn unregister(&self, session: &Session) {
        self.lock().remove(session.sid());
    }

    pub(crate) fn open_session(&self, session: &Session) -> Box<dyn SessionHandler> {
        (self.on_open)(session)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        self.sessions.lock().expect("session table lock poisoned")
    }
}

/// `response` with the fields `add` puts in.
fn with_headers(mut response: Response, add: impl FnOnce(&mut Headers)) -> Response {
    add(&mut response.headers);
    response
}

fn peer(request: &Request) -> String {
    request.peer.map_or_else(|| "?".into(), |p| p.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::Value;

    #[test]
    fn the_open_packet_is_the_json_of_its_fields_with_the_sid_escaped() {
        let on_open: OnOpen = Arc::new(|_: &Session| -> Box<dyn SessionHandler> {
            unreachable!("no session is opened")
        });
        let engine = Engine::new(EngineConfig::default(), on_open);
        let sid = "a\"b\\c\u{1}";
        let text = engine.open_packet_json(sid, &["websocket", "x"]);
        let expected = Value::object([
            ("sid", Value::from(sid)),
            (
                "upgrades",
                Value::Array(vec![Value::from("websocket"), Value::from("x")]),
            ),
            ("pingInterval", Value::from(25_000u64)),
            ("pingTimeout", Value::from(20_000u64)),
            ("maxPayload", Value::from(1_000_000u64)),
        ]);
        assert_eq!(text, expected.to_json());
        assert_eq!(json::parse(&text).expect("valid JSON"), expected);
    }
}
