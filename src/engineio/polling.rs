//! HTTP long-polling, the transport that works wherever plain HTTP does (Engine.IO v4
//! "Transports › HTTP long-polling").
//!
//! A polling session is a series of ordinary HTTP requests, each on whatever connection
//! thread the HTTP server gives it:
//!
//! ```text
//!  GET  /socket.io/?EIO=4&transport=polling             → 0{"sid":"…","upgrades":["websocket"],…}
//!  POST /socket.io/?EIO=4&transport=polling&sid=…  40    → ok
//!  GET  /socket.io/?EIO=4&transport=polling&sid=…        … held until there is something …
//!                                                        → 40{"sid":"…"}␞42["welcome"]
//! ```
//!
//! The held `GET` is the heart of it: the request's thread waits on the session's condition
//! variable — no busy waiting, no sleeping in a loop — and answers as soon as packets are
//! queued, with all of them in one body (`payload.rs`: joined by U+001E, binary as `b` +
//! base64). With a thread per connection, holding a request is just a blocking wait.
//!
//! The heartbeat of a polling session cannot live on a connection thread (there is none of
//! its own), so the process's `timer` thread sends the pings: a ping is queued every
//! `pingInterval` (which also answers the held `GET`), and a session whose pong has not come
//! `pingTimeout` later is closed with "ping timeout" and removed — which is also how a
//! client that vanished, and so stopped polling, is reaped.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::error::EngineError;
use super::handler::Incoming;
use super::packet::Packet;
use super::payload;
use super::server::Engine;
use super::socket::{CloseReason, Socket, Transport};
use crate::http::{Response, Status};

/// The most packets one POST body may carry; more is a parse error.
const MAX_PACKETS_PER_POST: usize = 1024;

/// The handshake (Engine.IO v4 "Handshake"): a new session, answered at once with its open
/// packet.
pub(crate) fn handshake(engine: &Arc<Engine>) -> Response {
    let socket = Socket::new(super::sid::generate(), engine, Transport::Polling);
    if let Err(e) = engine.try_register(&socket) {
        crate::log!("Engine.IO polling handshake refused: {e}");
        return e.response();
    }
    let upgrades: &[&str] = if engine.offers_upgrade() {
        &["websocket"]
    } else {
        &[]
    };
    let open = Packet::Open(engine.open_packet_json(socket.sid(), upgrades));
    socket.lock().queue.push_back(open);
    socket.set_handler(engine.open_session(&socket));
    schedule_ping(&socket, engine);
    schedule_handler_deadline(&socket);
    let packets: Vec<Packet> = socket.lock().queue.drain(..).collect();
    payload_response(&packets)
}

/// A `GET` with a `sid`: hold it until packets are queued, the upgrade releases it, or the
/// session ends. A second `GET` while one is held is a protocol error that ends the session
/// (the reference's "overlap from client").
pub(crate) fn poll(socket: &Socket, max_wait: Duration) -> Response {
    let mut state = socket.lock();
    if state.get_pending {
        drop(state);
        crate::log!(
            "session {}: two GETs at once (closing: transport error)",
            socket.sid()
        );
        socket.end(CloseReason::TransportError);
        return EngineError::BadRequest.response();
    }
    state.get_pending = true;
    let deadline = Instant::now() + max_wait;
    let packets = loop {
        if state.closed.is_some() {
            // The last packets first, the close packet in the next poll: socket.io-client
            // handles a decoded packet on the next tick, so a close in the same payload
            // would overtake the DISCONNECTs before it (the reference waits for the drain
            // likewise before closing).
            if state.queue.is_empty() {
                break vec![Packet::Close];
            }
            state.queued_bytes = 0;
            break state.queue.drain(..).collect();
        }
        if !state.queue.is_empty() {
            state.queued_bytes = 0;
            break state.queue.drain(..).collect();
        }
        if state.release_poll || matches!(state.transport, Transport::WebSocket(_)) {
            // Engine.IO v4 "Upgrade": from the probe on, a noop lets the client finish each
            // poll and move on (the reference re-sends one every 100 ms while it probes).
            break vec![Packet::Noop];
        }
        let now = Instant::now();
        if now >= deadline {
            break vec![Packet::Noop];
        }
        state = socket.wait(state, deadline - now);
    };
    state.get_pending = false;
    let ended = packets == [Packet::Close];
    drop(state);
    if ended {
        socket.unregister(); // its last packets are delivered: the sid may go
    }
    crate::debug!(
        "session {}: poll answered with {} packet(s): {:?}",
        socket.sid(),
        packets.len(),
        packets
    );
    payload_response(&packets)
}

/// A `POST` with a `sid`: the client's packets, answered `ok`.
pub(crate) fn post(socket: &Socket, body: &[u8], engine: &Engine) -> Response {
    if body.len() > engine.config().max_payload {
        crate::log!(
            "session {}: POST of {} bytes over maxHttpBufferSize {} (closing)",
            socket.sid(),
            body.len(),
            engine.config().max_payload
        );
        socket.end(CloseReason::TransportError);
        return Response::error(Status::PAYLOAD_TOO_LARGE);
    }
    {
        let mut state = socket.lock();
        if state.post_pending {
            drop(state);
            crate::log!(
                "session {}: two POSTs at once (closing: transport error)",
                socket.sid()
            );
            socket.end(CloseReason::TransportError);
            return EngineError::BadRequest.response();
        }
        state.post_pending = true;
    }
    let outcome = deliver_payload(socket, body, engine);
    socket.lock().post_pending = false;
    match outcome {
        Ok(()) => Response::bytes(Status::OK, "text/html", &b"ok"[..])
            .with_header("Cache-Control", "no-store"),
        Err(what) => {
            crate::log!(
                "session {}: bad POST body: {what} (closing: parse error)",
                socket.sid()
            );
            socket.end(CloseReason::ParseError);
            EngineError::BadRequest.response()
        }
    }
}

/// Decodes a POST body and hands each packet on, in order.
fn deliver_payload(socket: &Socket, body: &[u8], engine: &Engine) -> Result<(), String> {
    let text = std::str::from_utf8(body).map_err(|_| "the body is not UTF-8".to_string())?;
    let packets = payload::decode(text, MAX_PACKETS_PER_POST).map_err(|e| e.to_string())?;
    for packet in packets {
        if socket.close_reason().is_some() {
            break;
        }
        match packet {
            Packet::Message(text) => socket.deliver(Incoming::Text(text)),
            Packet::BinaryMessage(bytes) => socket.deliver(Incoming::Binary(bytes)),
            Packet::Pong(_) => on_pong(socket, engine),
            // Engine.IO v4 "Heartbeat": the server pings, never the client (the reference
            // calls a client ping an "invalid heartbeat direction").
            Packet::Ping(_) => {
                return Err("a client may not ping (v4 heartbeat direction)".to_string())
            }
            Packet::Close => {
                socket.end(CloseReason::TransportClose);
            }
            Packet::Noop | Packet::Upgrade => {}
            Packet::Open(_) => return Err("a client may not send an open packet".to_string()),
        }
    }
    Ok(())
}

/// A pong arrived: the next ping is due `pingInterval` from now.
fn on_pong(socket: &Socket, engine: &Engine) {
    {
        let mut state = socket.lock();
        // A pong with no ping outstanding changes nothing (and schedules nothing).
        if !matches!(state.transport, Transport::Polling) || state.pong_due.is_none() {
            return;
        }
        state.pong_due = None;
        state.heartbeat += 1;
    }
    schedule_ping(socket, engine);
}

/// Queues a ping `pingInterval` from now on the timer thread, unless the session has moved
/// on by then (ended, upgraded, or a newer heartbeat started).
fn schedule_ping(socket: &Socket, engine: &Engine) {
    let generation = socket.lock().heartbeat;
    let (interval, timeout) = (engine.config().ping_interval, engine.config().ping_timeout);
    let session = Arc::downgrade(&socket.inner);
    crate::timer::schedule(Instant::now() + interval, move || {
        let Some(inner) = session.upgrade() else {
            return;
        };
        let socket = Socket { inner };
        {
            let mut state = socket.lock();
            if !current(&state, generation) {
                return;
            }
            state.queue.push_back(Packet::Ping(String::new()));
            state.pong_due = Some(Instant::now() + timeout);
            socket.inner.ready.notify_all();
        }
        let session = Arc::downgrade(&socket.inner);
        crate::timer::schedule(Instant::now() + timeout, move || {
            check_pong(session, generation)
        });
    });
}

/// `pingTimeout` after a ping: no pong means the client is gone (Engine.IO v4 "Heartbeat").
fn check_pong(session: std::sync::Weak<super::socket::Inner>, generation: u64) {
    let Some(inner) = session.upgrade() else {
        return;
    };
    let socket = Socket { inner };
    let overdue = {
        let state = socket.lock();
        current(&state, generation) && state.pong_due.is_some_and(|due| Instant::now() >= due)
    };
    if overdue {
        socket.end(CloseReason::PingTimeout);
    }
}

/// Whether a timer task of heartbeat `generation` still applies to this session.
fn current(state: &super::socket::State, generation: u64) -> bool {
    state.closed.is_none()
        && state.heartbeat == generation
        && matches!(state.transport, Transport::Polling)
}

/// Socket.IO's connect timeout, for a session with no thread of its own to watch it.
fn schedule_handler_deadline(socket: &Socket) {
    if let Some(deadline) = socket.handler_deadline() {
        let session = Arc::downgrade(&socket.inner);
        crate::timer::schedule(deadline, move || run_deadline_when_free(session));
    }
}

/// Runs the handler's deadline on the timer thread — unless the handler is busy, in which
/// case it tries again shortly: the one timer thread must never wait behind application
/// code.
fn run_deadline_when_free(session: std::sync::Weak<super::socket::Inner>) {
    let Some(inner) = session.upgrade() else {
        return;
    };
    if !(Socket { inner }).run_handler_deadline() {
        crate::timer::schedule(Instant::now() + Duration::from_millis(100), move || {
            run_deadline_when_free(session)
        });
    }
}

/// A `GET`'s answer: the packets as one payload (Engine.IO v4 "Payload"), never cached.
fn payload_response(packets: &[Packet]) -> Response {
    Response::bytes(
        Status::OK,
        "text/plain; charset=UTF-8",
        payload::encode(packets).into_bytes(),
    )
    .with_header("Cache-Control", "no-store")
}
