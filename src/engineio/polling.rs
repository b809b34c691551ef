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
//! its own), so the process's `timer` thread sends the pings: a ping is queued
//! `pingInterval` after the handshake and then `pingInterval` after each pong, as the
//! reference schedules them (it also answers the held `GET`), and a session whose pong has
//! not come `pingTimeout` later is closed with "ping timeout" and removed — which is also
//! how a client that vanished, and so stopped polling, is reaped. A held `GET` also has a
//! bound of its own, `pingInterval + pingTimeout` (45 s by default): past it, it answers
//! with a noop, though a ping normally answers it first.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::error::EngineError;
use super::handler::{Incoming, OpeningRequest};
use super::packet::Packet;
use super::payload;
use super::server::Engine;
use super::session::{CloseReason, Session, SessionState, Transport};
use crate::http::{Request, Response, Status};
use crate::metrics::counts::COUNTS;

/// The most packets one POST body may carry; more is a parse error.
const MAX_PACKETS_PER_POST: usize = 1024;

/// The handshake (Engine.IO v4 "Handshake"): a new session, answered at once with its open
/// packet.
pub(crate) fn handshake(engine: &Arc<Engine>, request: &Request) -> Response {
    let session = Session::new(
        engine.new_sid(request),
        engine,
        Transport::Polling,
        OpeningRequest::of(request),
    );
    if let Err(e) = engine.try_register(&session) {
        crate::log!("Engine.IO polling handshake refused: {e}");
        return e.response();
    }
    let upgrades: &[&str] = if engine.offers_upgrade() {
        &["websocket"]
    } else {
        &[]
    };
    let open = Packet::Open(engine.open_packet_json(session.sid(), upgrades));
    session.lock().queue.push_back(open);
    session.set_handler(engine.open_session(&session));
    schedule_ping(&session, engine);
    schedule_handler_deadline(&session);
    let packets: Vec<Packet> = session.lock().queue.drain(..).collect();
    let response = payload_response(&packets);
    count_sent(&packets, &response);
    engine.dress_handshake(request, session.sid(), response)
}

/// How often a held `GET` looks whether its client has closed the connection, when
/// nothing else wakes it.
const PROBE_INTERVAL: Duration = Duration::from_secs(1);

/// A `GET` with a `sid`: hold it until packets are queued, the upgrade releases it, or the
/// session ends. A second `GET` while one is held is a protocol error that ends the session
/// (the reference's "overlap from client").
///
/// Queued packets leave the queue only for a client that is still there: each time the
/// held `GET` wakes up — for packets, or every [`PROBE_INTERVAL`] — it first asks whether
/// its client closed the connection meanwhile (`http/probe.rs`). If so, the session ends
/// with "transport close", as the reference's "poll connection closed prematurely" does,
/// and the client that reconnects learns that it was disconnected, rather than the packets
/// vanishing into a dead socket while the session goes on. The answer itself reports a
/// failed write the same way.
pub(crate) fn poll(session: &Session, request: &Request, max_wait: Duration) -> Response {
    let mut state = session.lock();
    if state.get_pending {
        drop(state);
        crate::log!(
            "session {}: two GETs at once (closing: transport error)",
            session.sid()
        );
        session.end(CloseReason::TransportError);
        return EngineError::BadRequest.response();
    }
    state.get_pending = true;
    let deadline = Instant::now() + max_wait;
    let packets = loop {
        if let Some(packets) = answer_now(&mut state, deadline) {
            break packets;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        state = session.wait(state, left.min(PROBE_INTERVAL));
        // Not under the session's lock: the probe is a system call.
        drop(state);
        if request.client_gone() {
            session.lock().get_pending = false;
            end_prematurely(session, "poll connection closed prematurely");
            return EngineError::BadRequest.response(); // nobody is there to read it
        }
        state = session.lock();
    };
    state.get_pending = false;
    let ended = packets == [Packet::Close];
    drop(state);
    if ended {
        session.unregister(); // its last packets are delivered: the sid may go
    }
    crate::debug!(
        "session {}: poll answered with {} packet(s): {:?}",
        session.sid(),
        packets.len(),
        packets
    );
    let session = session.clone();
    let response = payload_response(&packets);
    count_sent(&packets, &response);
    response.on_write_failure(move || {
        end_prematurely(&session, "poll answer could not be written");
    })
}

/// What a held `GET` answers now, taken from the session; `None` while it should go on
/// waiting.
fn answer_now(state: &mut SessionState, deadline: Instant) -> Option<Vec<Packet>> {
    if state.phase().close_reason() == Some(CloseReason::TransportClose) {
        // The client closed the session itself: the reference answers a GET it still holds
        // with a noop (its polling transport's `onClose`). After an error the held GET gets
        // the close packet below, as the reference's `doClose` sends it.
        return Some(vec![Packet::Noop]);
    }
    if state.phase().close_reason().is_some() {
        // The last packets first, the close packet in the next poll: socket.io-client
        // handles a decoded packet on the next tick, so a close in the same payload would
        // overtake the DISCONNECTs before it (the reference waits for the drain likewise
        // before closing).
        if state.queue.is_empty() {
            return Some(vec![Packet::Close]);
        }
        state.queued_bytes = 0;
        return Some(state.queue.drain(..).collect());
    }
    if !state.queue.is_empty() {
        state.queued_bytes = 0;
        return Some(state.queue.drain(..).collect());
    }
    if state.phase().releases_poll() {
        // Engine.IO v4 "Upgrade": from the probe on, a noop lets the client finish each
        // poll and move on (the reference re-sends one every 100 ms while it probes).
        return Some(vec![Packet::Noop]);
    }
    if Instant::now() >= deadline {
        return Some(vec![Packet::Noop]);
    }
    None
}

/// The client's connection went away under a held `GET`: the session ends with "transport
/// close", and so its sid at once (`CloseReason::leaves_last_packets`).
fn end_prematurely(session: &Session, what: &str) {
    if session.close_reason().is_none() {
        crate::log!(
            "session {}: {what} (closing: transport close)",
            session.sid()
        );
    }
    session.end(CloseReason::TransportClose);
}

/// A `POST` with a `sid`: the client's packets, answered `ok`.
pub(crate) fn post(session: &Session, body: &[u8], engine: &Engine) -> Response {
    if body.len() > engine.config().max_payload {
        crate::log!(
            "session {}: POST of {} bytes over maxHttpBufferSize {} (closing)",
            session.sid(),
            body.len(),
            engine.config().max_payload
        );
        session.end(CloseReason::TransportError);
        return Response::error(Status::PAYLOAD_TOO_LARGE);
    }
    {
        let mut state = session.lock();
        if state.phase().close_reason().is_some() {
            // The session ended and waits only for a GET to collect its last packets: a
            // POST's packets would go nowhere, and the client must hear that, not `ok`.
            drop(state);
            crate::log!("session {}: POST after the session ended", session.sid());
            return EngineError::UnknownSid.response();
        }
        if state.post_pending {
            drop(state);
            crate::log!(
                "session {}: two POSTs at once (closing: transport error)",
                session.sid()
            );
            session.end(CloseReason::TransportError);
            return EngineError::BadRequest.response();
        }
        state.post_pending = true;
    }
    let outcome = deliver_payload(session, body, engine);
    session.lock().post_pending = false;
    schedule_handler_deadline(session);
    match outcome {
        Ok(()) => Response::bytes(Status::OK, "text/html", &b"ok"[..])
            .with_header("Cache-Control", "no-store"),
        Err(what) => {
            crate::log!(
                "session {}: bad POST body: {what} (closing: parse error)",
                session.sid()
            );
            session.end(CloseReason::ParseError);
            EngineError::BadRequest.response()
        }
    }
}

/// Decodes a POST body and hands each packet on, in order.
fn deliver_payload(session: &Session, body: &[u8], engine: &Engine) -> Result<(), String> {
    let text = std::str::from_utf8(body).map_err(|_| "the body is not UTF-8".to_string())?;
    let packets = payload::decode(text, MAX_PACKETS_PER_POST).map_err(|e| e.to_string())?;
    COUNTS.polling_messages_received.add(packets.len() as u64);
    COUNTS.polling_bytes_received.add(body.len() as u64);
    for packet in packets {
        if session.close_reason().is_some() {
            break;
        }
        match packet {
            Packet::Message(text) => session.deliver(Incoming::Text(text)),
            Packet::BinaryMessage(bytes) => session.deliver(Incoming::Binary(bytes)),
            Packet::Pong(_) => on_pong(session, engine),
            // Engine.IO v4 "Heartbeat": the server pings, never the client (the reference
            // calls a client ping an "invalid heartbeat direction").
            Packet::Ping(_) => {
                return Err("a client may not ping (v4 heartbeat direction)".to_string())
            }
            Packet::Close => {
                session.end(CloseReason::TransportClose);
            }
            Packet::Noop | Packet::Upgrade => {}
            Packet::Open(_) => return Err("a client may not send an open packet".to_string()),
        }
    }
    Ok(())
}

/// A pong arrived: the next ping is due `pingInterval` from now.
fn on_pong(session: &Session, engine: &Engine) {
    {
        let mut state = session.lock();
        // A pong with no ping outstanding changes nothing (and schedules nothing).
        if !state.phase().is_live_polling() || state.pong_due.is_none() {
            return;
        }
        state.pong_due = None;
        state.heartbeat += 1;
    }
    schedule_ping(session, engine);
}

/// Queues a ping `pingInterval` from now on the timer thread, unless the session has moved
/// on by then (ended, upgraded, or a newer heartbeat started).
fn schedule_ping(session: &Session, engine: &Engine) {
    let generation = session.lock().heartbeat;
    let (interval, timeout) = (engine.config().ping_interval, engine.config().ping_timeout);
    let weak = Arc::downgrade(&session.inner);
    crate::timer::schedule(Instant::now() + interval, move || {
        let Some(inner) = weak.upgrade() else {
            return;
        };
        let session = Session { inner };
        {
            let mut state = session.lock();
            if !current(&state, generation) {
                return;
            }
            state.queue.push_back(Packet::Ping(String::new()));
            state.pong_due = Some(Instant::now() + timeout);
            session.inner.ready.notify_all();
        }
        let weak = Arc::downgrade(&session.inner);
        crate::timer::schedule(Instant::now() + timeout, move || {
            check_pong(weak, generation)
        });
    });
}

/// `pingTimeout` after a ping: no pong means the client is gone (Engine.IO v4 "Heartbeat").
fn check_pong(weak: std::sync::Weak<super::session::SessionCore>, generation: u64) {
    let Some(inner) = weak.upgrade() else {
        return;
    };
    let session = Session { inner };
    let overdue = {
        let state = session.lock();
        current(&state, generation) && state.pong_due.is_some_and(|due| Instant::now() >= due)
    };
    if overdue {
        session.end(CloseReason::PingTimeout);
    }
}

/// Whether a timer task of heartbeat `generation` still applies to this session.
fn current(state: &SessionState, generation: u64) -> bool {
    state.phase().is_live_polling() && state.heartbeat == generation
}

/// The layer above's deadline (Socket.IO's connect timeout, or the attachments of a binary
/// packet that must all arrive in time), for a session with no thread of its own to watch
/// it: a task on the timer thread. Called at the handshake and after each POST, since a
/// message may set a deadline; one task per deadline, and a task already due earlier will
/// schedule the later one when it runs.
fn schedule_handler_deadline(session: &Session) {
    if let Some(deadline) = session.handler_deadline() {
        schedule_deadline_task(session, deadline);
    }
}

fn schedule_deadline_task(session: &Session, deadline: Instant) {
    {
        let mut state = session.lock();
        if state.phase().close_reason().is_some()
            || state.handler_timer.is_some_and(|due| due <= deadline)
        {
            return;
        }
        state.handler_timer = Some(deadline);
    }
    let weak = Arc::downgrade(&session.inner);
    crate::timer::schedule(deadline, move || run_deadline_when_free(weak, deadline));
}

/// Runs the handler's deadline on the timer thread — unless the handler is busy, in which
/// case it tries again shortly: the one timer thread must never wait behind application
/// code. Then schedules the handler's next deadline, if it has one.
fn run_deadline_when_free(weak: std::sync::Weak<super::session::SessionCore>, due: Instant) {
    let Some(inner) = weak.upgrade() else {
        return;
    };
    let session = Session { inner };
    let Some(next) = session.run_handler_deadline() else {
        crate::timer::schedule(Instant::now() + Duration::from_millis(100), move || {
            run_deadline_when_free(weak, due)
        });
        return;
    };
    {
        let mut state = session.lock();
        if state.handler_timer == Some(due) {
            state.handler_timer = None;
        }
    }
    if let Some(next) = next {
        // A handler whose deadline is still in the past after acting on it is looked at
        // again a little later, never in a loop on the timer thread.
        let soonest = Instant::now() + Duration::from_millis(100);
        schedule_deadline_task(&session, next.max(soonest));
    }
}

/// Counts a GET's answer for `/metrics`: its packets and its body's bytes.
fn count_sent(packets: &[Packet], response: &Response) {
    COUNTS.polling_messages_sent.add(packets.len() as u64);
    COUNTS.polling_bytes_sent.add(response.body.len() as u64);
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
