//! Engine.IO over HTTP long-polling, the client's side (Engine.IO v4 "Transports › HTTP
//! long-polling"): two keep-alive HTTP/1.1 connections, one for the `GET`s the server holds
//! until it has something to say, one for the `POST`s that carry what we say. The HTTP is
//! the bench's small client (`examples/bench/http_client.rs`), written on `TcpStream`.
//!
//! ```text
//!  GET  /socket.io/?EIO=4&transport=polling          → 0{"sid":"S",…}
//!  POST /socket.io/?EIO=4&transport=polling&sid=S    40                 → ok
//!  GET  …&sid=S     … held until there is something …  → 40{"sid":…}␞2
//!  POST …&sid=S     3 (the pong)                        → ok
//! ```
//!
//! A `GET` is sent when we next listen and none is out, not at once after each answer as
//! the official client does: our clients listen all the time between their own sends, so
//! the server is rarely without one, and a client can stop with none out — which is how a
//! polling client vanishes without the server noticing (`vanisher.rs`).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use threadio::engineio::payload;
use threadio::engineio::Packet as EnginePacket;

use crate::error::BenchError;
use crate::http_client::{HttpConnection, HttpResponse};

/// Where a polling session starts (Engine.IO v4 "Handshake").
pub const HANDSHAKE: &str = "/socket.io/?EIO=4&transport=polling";

/// The most packets we accept in one answer.
const MAX_PACKETS: usize = 100_000;

/// How long one `POST` may take to be answered.
const POST_TIMEOUT: Duration = Duration::from_secs(10);

/// One polling session's two connections, and what the last answer held that has not been
/// handed out yet.
pub struct LongPoll {
    target: String,
    get: HttpConnection,
    post: HttpConnection,
    /// A `GET` is out and its answer not read yet.
    polling: bool,
    received: VecDeque<EnginePacket>,
}

impl LongPoll {
    /// The handshake: a `GET` without a sid, answered with the open packet. Returns the
    /// session and that packet.
    ///
    /// # Errors
    /// If a connection cannot be opened or the server refuses the handshake.
    pub fn open(server: SocketAddr) -> Result<(LongPoll, EnginePacket), BenchError> {
        let mut get = HttpConnection::open(server)?;
        let answer = get.exchange("GET", HANDSHAKE, b"", POST_TIMEOUT)?;
        let open = decode(&answer)?
            .into_iter()
            .next()
            .unwrap_or(EnginePacket::Noop);
        let sid = crate::sio_peer::sid_of_open(&open)?;
        let poll = LongPoll {
            target: format!("{HANDSHAKE}&sid={sid}"),
            get,
            post: HttpConnection::open(server)?,
            polling: false,
            received: VecDeque::new(),
        };
        Ok((poll, open))
    }

    /// Sends `packets` in one `POST` and waits for its `ok`.
    ///
    /// # Errors
    /// If the connection fails or the server refuses the `POST` (the session is gone).
    pub fn send(&mut self, packets: &[EnginePacket]) -> Result<(), BenchError> {
        let body = payload::encode(packets);
        let answer = self
            .post
            .exchange("POST", &self.target, body.as_bytes(), POST_TIMEOUT)?;
        if answer.status != 200 {
            return Err(refused(&answer));
        }
        Ok(())
    }

    /// The next packet from the server, or `None` once `deadline` passed with none.
    ///
    /// # Errors
    /// If a connection fails or the server refuses the `GET` (the session is gone).
    pub fn recv(&mut self, deadline: Instant) -> Result<Option<EnginePacket>, BenchError> {
        loop {
            if let Some(packet) = self.received.pop_front() {
                return Ok(Some(packet));
            }
            if !self.poll_once(deadline)? {
                return Ok(None);
            }
        }
    }

    /// Ends the poll that is out, if one is: waits (until `deadline` at most) for its answer
    /// and hands back every packet not handed out yet, sending no further `GET`. The upgrade
    /// does this before its `5`, and a polling client that vanishes quietly does it before
    /// it stops.
    ///
    /// # Errors
    /// As [`LongPoll::recv`].
    pub fn finish(&mut self, deadline: Instant) -> Result<VecDeque<EnginePacket>, BenchError> {
        if self.polling && !self.poll_once(deadline)? {
            return Err(BenchError::Timeout("the last poll's answer"));
        }
        Ok(std::mem::take(&mut self.received))
    }

    /// The session's id, as the URL carries it.
    pub fn sid(&self) -> &str {
        self.target.rsplit("sid=").next().unwrap_or("")
    }

    /// Sends a `GET` if none is out, and reads its answer into `received`; `false` if
    /// `deadline` passed first (the `GET` stays out, its answer for the next call).
    fn poll_once(&mut self, deadline: Instant) -> Result<bool, BenchError> {
        if !self.polling {
            self.get.send("GET", &self.target, b"", false)?;
            self.polling = true;
        }
        let Some(answer) = self.get.receive(deadline)? else {
            return Ok(false);
        };
        self.polling = false;
        self.received.extend(decode(&answer)?);
        Ok(true)
    }
}

fn decode(answer: &HttpResponse) -> Result<Vec<EnginePacket>, BenchError> {
    if answer.status != 200 {
        return Err(refused(answer));
    }
    let text = std::str::from_utf8(&answer.body)
        .map_err(|_| BenchError::Protocol("a poll answer that is not UTF-8".into()))?;
    payload::decode(text, MAX_PACKETS)
        .map_err(|e| BenchError::Protocol(format!("poll answer {text:.60?}: {e}")))
}

fn refused(answer: &HttpResponse) -> BenchError {
    let body = String::from_utf8_lossy(&answer.body);
    BenchError::Closed(format!("HTTP {} {}", answer.status, body.trim()))
}
