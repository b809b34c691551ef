//! Socket.IO over HTTP long-polling by hand, for the `transports` table's byte counts (the
//! other workloads use the crate's client): a client started with `transports: ["polling"]`,
//! as it does (Engine.IO v4 "Transports › HTTP long-polling"): two keep-alive connections, one
//! for the `GET`s the server holds until it has something to say, one for the `POST`s that
//! carry what we say.
//!
//! ```text
//!  GET  /socket.io/?EIO=4&transport=polling          → 0{"sid":"S",…}
//!  POST /socket.io/?EIO=4&transport=polling&sid=S    40                     → ok
//!  GET  /socket.io/?EIO=4&transport=polling&sid=S    … held …               → 40{"sid":…}
//!  GET  (sent again at once: a GET is always waiting at the server)
//!  POST …&sid=S                                       42["echo","0:17:…"]    → ok
//!                                       … the held GET answers:              42["echo","0:17:…"]
//! ```
//!
//! Like the official client, we send the next `GET` as soon as one is answered, so the
//! server always has a request to answer with; and the server's ping arrives in a `GET`'s
//! answer, so its pong goes out as a `POST`. Both halves share the `POST` connection, behind
//! a mutex: the server refuses two `POST`s at once for one session.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use threadio::engineio::payload;
use threadio::engineio::Packet as EnginePacket;

use crate::counting::ByteCount;
use crate::error::BenchError;
use crate::http_client::{HttpConnection, HttpResponse};
use crate::wire_socketio::{self, Received};

/// Where a polling session starts (Engine.IO v4 "Handshake").
const HANDSHAKE: &str = "/socket.io/?EIO=4&transport=polling";

/// The most packets we accept in one poll answer.
const MAX_PACKETS: usize = 100_000;

/// What both halves of a session share: its URL and the `POST` connection.
pub struct Session {
    target: String,
    post: Mutex<HttpConnection>,
    timeout: Duration,
}

/// The receiving half: the `GET` connection and the events read but not yet handed out.
pub struct Polling {
    session: Arc<Session>,
    get: HttpConnection,
    /// A `GET` has been sent and its answer not read yet.
    get_pending: bool,
    events: VecDeque<String>,
    closed: bool,
}

/// Opens a session and joins the main namespace; then sends `first` (a room's `join`), if
/// given. Returns once the server has accepted the CONNECT.
///
/// # Errors
/// If a connection cannot be opened or the handshake does not complete within `timeout`.
pub fn connect(
    server: SocketAddr,
    first: Option<EnginePacket>,
    timeout: Duration,
) -> Result<(Arc<Session>, Polling), BenchError> {
    let deadline = Instant::now() + timeout;
    let mut get = HttpConnection::open(server)?;
    let open = get.exchange("GET", HANDSHAKE, b"", timeout)?;
    let packets = decode_body(&open)?;
    let sid = wire_socketio::sid_from_open(packets.first().unwrap_or(&EnginePacket::Noop))?;
    let session = Arc::new(Session {
        target: format!("{HANDSHAKE}&sid={sid}"),
        post: Mutex::new(HttpConnection::open(server)?),
        timeout,
    });
    session.post(&[wire_socketio::connect()])?;
    let mut polling = Polling {
        session: Arc::clone(&session),
        get,
        get_pending: false,
        events: VecDeque::new(),
        closed: false,
    };
    while !polling.connected(deadline)? {}
    if let Some(packet) = first {
        session.post(&[packet])?;
    }
    Ok((session, polling))
}

impl Session {
    /// Sends packets in one `POST` and waits for its `ok`.
    ///
    /// # Errors
    /// If the connection fails, or the server answers anything but `200 ok`.
    pub fn post(&self, packets: &[EnginePacket]) -> Result<(), BenchError> {
        let body = payload::encode(packets);
        let mut post = self.post.lock().unwrap_or_else(|p| p.into_inner());
        let response = post.exchange("POST", &self.target, body.as_bytes(), self.timeout)?;
        if response.status != 200 {
            return Err(refused(&response));
        }
        Ok(())
    }

    /// Ends the session (Engine.IO `1`): the server frees it at once, and answers the held
    /// `GET`, rather than waiting for a ping to go unanswered.
    pub fn close(&self) {
        let _ = self.post(&[EnginePacket::Close]);
    }

    /// Bytes through the `POST` connection.
    pub fn bytes(&self) -> ByteCount {
        self.post.lock().unwrap_or_else(|p| p.into_inner()).bytes()
    }
}

impl Polling {
    /// The first argument of the next event, or `None` after `timeout`.
    ///
    /// # Errors
    /// If a connection fails, or the session ends.
    pub fn recv(&mut self, timeout: Duration) -> Result<Option<String>, BenchError> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(event) = self.events.pop_front() {
                return Ok(Some(event));
            }
            if self.closed {
                return Err(BenchError::Closed("the server closed the session".into()));
            }
            if !self.poll(deadline)? {
                return Ok(None);
            }
        }
    }

    /// Bytes through the `GET` connection.
    pub fn bytes(&self) -> ByteCount {
        self.get.bytes()
    }

    /// Polls until the CONNECT answer came (`true`) or `deadline` passed (an error).
    fn connected(&mut self, deadline: Instant) -> Result<bool, BenchError> {
        let Some(packets) = self.answer(deadline)? else {
            return Err(BenchError::Timeout("the answer to CONNECT"));
        };
        let mut connected = false;
        for received in self.handle(packets)? {
            connected |= received == Received::Connected;
        }
        Ok(connected)
    }

    /// Waits for one poll's answer and handles its packets; `false` if `deadline` passed.
    fn poll(&mut self, deadline: Instant) -> Result<bool, BenchError> {
        let Some(packets) = self.answer(deadline)? else {
            return Ok(false);
        };
        self.handle(packets)?;
        Ok(true)
    }

    /// The packets of the held `GET`'s answer (sending the `GET` first if none is waiting),
    /// and at once the next `GET`, so the server always holds one.
    fn answer(&mut self, deadline: Instant) -> Result<Option<Vec<EnginePacket>>, BenchError> {
        if !self.get_pending {
            self.get.send("GET", &self.session.target, b"", false)?;
            self.get_pending = true;
        }
        let Some(response) = self.get.receive(deadline)? else {
            return Ok(None);
        };
        self.get_pending = false;
        if response.status != 200 {
            return Err(refused(&response));
        }
        let packets = decode_body(&response)?;
        if !packets.contains(&EnginePacket::Close) {
            self.get.send("GET", &self.session.target, b"", false)?;
            self.get_pending = true;
        }
        Ok(Some(packets))
    }

    /// Queues the events, answers a ping with a `POST`, notes a close.
    fn handle(&mut self, packets: Vec<EnginePacket>) -> Result<Vec<Received>, BenchError> {
        let mut all = Vec::with_capacity(packets.len());
        for packet in packets {
            let received = wire_socketio::receive(packet)?;
            match &received {
                Received::Event(text) => self.events.push_back(text.clone()),
                Received::Ping => self.session.post(&[wire_socketio::pong()])?,
                Received::Closed => self.closed = true,
                Received::Connected | Received::Nothing => {}
            }
            all.push(received);
        }
        Ok(all)
    }
}

fn decode_body(response: &HttpResponse) -> Result<Vec<EnginePacket>, BenchError> {
    if response.status != 200 {
        return Err(refused(response));
    }
    let text = std::str::from_utf8(&response.body)
        .map_err(|_| BenchError::Protocol("a poll answer that is not UTF-8".into()))?;
    payload::decode(text, MAX_PACKETS)
        .map_err(|e| BenchError::Protocol(format!("poll answer {text:?}: {e}")))
}

fn refused(response: &HttpResponse) -> BenchError {
    let body = String::from_utf8_lossy(&response.body);
    BenchError::Protocol(format!("HTTP {} {}", response.status, body.trim()))
}
