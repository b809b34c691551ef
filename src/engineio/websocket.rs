//! An Engine.IO session over a WebSocket, run on the connection's own thread
//! (Engine.IO v4 "Transports › WebSocket", "Heartbeat", "Upgrade").
//!
//! One Engine.IO packet per WebSocket frame: text packets in text frames (`4hello`), binary
//! messages in binary frames with no prefix. A WebSocket either opens a new session
//! ([`run_new`]) or takes over a polling session ([`run_upgrade`]):
//!
//! ```text
//!  client                              server
//!    │ GET …&transport=websocket&sid=X   │   (polling goes on meanwhile)
//!    │ ── 2probe ──────────────────────► │
//!    │ ◄────────────────────── 3probe ── │   and the held GET is answered with a noop
//!    │ ── 5 ───────────────────────────► │   polling's queue goes into the WebSocket's
//!    │ ◄──────────── everything else ─── │   outbox, which is the transport from now on
//! ```
//!
//! Then the thread waits for a frame or the next deadline — whichever comes first — with
//! `WebSocket::recv_timeout`, so the heartbeat needs no thread of its own:
//!
//! ```text
//!  pingInterval after the open, then after each pong:  server ── "2" ──► client
//!  within pingTimeout:                                 server ◄── "3" ── client
//!                                                      (else: close, "ping timeout")
//! ```
//!
//! The server pings and the client answers (v4 reversed v3's direction), and the next ping
//! is scheduled `pingInterval` after the pong, as the reference server does.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::handler::{Incoming, OpeningRequest};
use super::packet::Packet;
use super::server::Engine;
use super::session::{websocket_message, CloseReason, Session, Transport};
use crate::websocket::{CloseCode, Message, WebSocket, WsError};

/// The heartbeat's two clocks.
struct Heartbeat {
    next_ping: Instant,
    pong_due: Option<Instant>,
    interval: Duration,
    timeout: Duration,
    /// The client just answered a ping: a quiet moment, when the thread [`rest`]s.
    answered: bool,
}

impl Heartbeat {
    /// When the thread must wake up next for the heartbeat.
    fn deadline(&self) -> Instant {
        self.pong_due.unwrap_or(self.next_ping)
    }
}

/// Runs a new session on `ws` until it ends: `GET /socket.io/?EIO=4&transport=websocket`
/// with no `sid`.
pub(crate) fn run_new(
    ws: &mut WebSocket,
    engine: &Arc<Engine>,
    sid: String,
    opening: OpeningRequest,
) {
    let session = Session::new(sid, engine, Transport::WebSocket(ws.sender()), opening);
    // `decide_upgrade` refused the 101 past `max_sessions`; only handshakes racing it
    // to the last places get here. RFC 6455 §7.4.1 has no code for this; 1013 (IANA
    // registry: "try again later") says what the client should do.
    if let Err(e) = engine.try_register(&session) {
        crate::log!("{} Engine.IO WebSocket refused: {e}", ws.peer_addr());
        ws.close(CloseCode::Other(1013), "too many sessions");
        return;
    }
    // Engine.IO v4 "Handshake": the open packet, first thing on the transport. No
    // upgrades are offered: the client is on the best transport already.
    let open = websocket_message(&Packet::Open(engine.open_packet_json(session.sid(), &[])));
    if ws.send(open).is_err() {
        session.unregister();
        return;
    }
    session.set_handler(engine.open_session(&session));
    serve(ws, &session, engine);
}

/// Runs the upgrade of polling session `session` on `ws`, then the session, until it ends.
/// If the probe fails, the WebSocket closes and the session goes on polling.
pub(crate) fn run_upgrade(ws: &mut WebSocket, session: &Session, engine: &Arc<Engine>) {
    {
        let began = session.lock().begin_probe();
        if !began {
            ws.close(
                CloseCode::PolicyViolation,
                "the session is upgrading or upgraded already",
            );
            return;
        }
    }
    match probe(ws, session, engine.config().upgrade_timeout) {
        Ok(()) => serve(ws, session, engine),
        Err(what) => {
            crate::log!(
                "session {}: upgrade to WebSocket failed: {what}",
                session.sid()
            );
            // No more noops: polling goes on.
            session.lock().abort_upgrade();
            session.inner.ready.notify_all();
            ws.close(CloseCode::Normal, "upgrade failed");
        }
    }
}

/// The probe and the switch (Engine.IO v4 "Upgrade"), within `timeout` in all.
fn probe(ws: &mut WebSocket, session: &Session, timeout: Duration) -> Result<(), String> {
    let deadline = Instant::now() + timeout;
    match next_text(ws, deadline)?.as_str() {
        "2probe" => {}
        other => return Err(format!("expected 2probe, got {other:.40?}")),
    }
    ws.send(websocket_message(&Packet::Pong("probe".into())))
        .map_err(|e| e.to_string())?;
    {
        // Answer the held GET now, so the client can let polling go.
        session.lock().probe_answered();
        session.inner.ready.notify_all();
    }
    match next_text(ws, deadline)?.as_str() {
        "5" => session
            .switch_to_websocket(ws.sender())
            .map_err(|e| e.to_string()),
        other => Err(format!("expected 5, got {other:.40?}")),
    }
}

fn next_text(ws: &mut WebSocket, deadline: Instant) -> Result<String, String> {
    let wait = deadline.saturating_duration_since(Instant::now());
    match ws.recv_timeout(wait) {
        Ok(Some(Message::Text(text))) => Ok(text),
        Ok(Some(Message::Binary(_))) => Err("a binary frame during the probe".into()),
        Ok(None) => Err("upgrade timeout".into()),
        Err(e) => Err(e.to_string()),
    }
}

/// The session's life on the WebSocket: read, heartbeat, and the end.
fn serve(ws: &mut WebSocket, session: &Session, engine: &Engine) {
    ws.hold_writes(engine.config().hold_writes);
    let reason = read_until_closed(ws, session, engine);
    // `end` tells the layer above first and queues our close frame; closing the WebSocket
    // then waits, briefly, for the client's half of the closing handshake.
    session.end(reason);
    ws.close(CloseCode::Normal, reason.as_str());
}

/// The session's read loop; returns why it ended.
fn read_until_closed(ws: &mut WebSocket, session: &Session, engine: &Engine) -> CloseReason {
    let config = engine.config();
    let mut heartbeat = Heartbeat {
        next_ping: Instant::now() + config.ping_interval,
        pong_due: None,
        interval: config.ping_interval,
        timeout: config.ping_timeout,
        answered: false,
    };
    // Nothing has arrived yet: the first message is Socket.IO's CONNECT, which sets the
    // socket up and goes deeper down the stack than anything after it.
    let mut awaiting_first = true;
    loop {
        if let Some(reason) = session.close_reason() {
            return reason;
        }
        if let Err(reason) = on_time(&mut heartbeat, session) {
            return reason;
        }
        let wake = session
            .handler_deadline()
            .map_or(heartbeat.deadline(), |d| d.min(heartbeat.deadline()));
        let received = ws.recv_timeout(wake.saturating_duration_since(Instant::now()));
        let arrived = matches!(received, Ok(Some(_)));
        let result = match received {
            Ok(None) => Ok(()),
            Ok(Some(message)) if message.as_bytes().len() > config.max_payload => {
                // maxHttpBufferSize applies to WebSocket messages too; the WebSocket way to
                // refuse one is close code 1009 (RFC 6455 §7.4.1).
                crate::log!(
                    "session {}: message of {} bytes over maxPayload {} (closing with 1009)",
                    session.sid(),
                    message.as_bytes().len(),
                    config.max_payload
                );
                ws.close(CloseCode::MessageTooBig, "message too big");
                Err(CloseReason::TransportError)
            }
            Ok(Some(Message::Text(text))) => on_text(text, session, &mut heartbeat),
            Ok(Some(Message::Binary(bytes))) => {
                session.deliver(Incoming::Binary(bytes));
                Ok(())
            }
            Err(e) => Err(transport_ended(&e, session)),
        };
        if let Err(reason) = result {
            return reason;
        }
        // Two quiet moments: after the first message and after each pong. Not after every
        // message: resting costs system calls, and the next burst would fault the pages
        // back in.
        let first = arrived && std::mem::take(&mut awaiting_first);
        if first || std::mem::take(&mut heartbeat.answered) {
            rest(ws);
        }
    }
}

/// Gives back what the last burst used before the thread waits again: the WebSocket's read
/// buffer and the stack pages below this frame (`thread_stack.rs`). An idle connection then
/// holds two pages of stack and its session's state, not its deepest moment (NOTES.md
/// chapter 14, memory per connection).
fn rest(ws: &mut WebSocket) {
    ws.release_read_buffer();
    crate::thread_stack::release_unused_pages();
}

/// Acts on the deadlines that have passed: send a ping, give up on a pong, or let the
/// handler act on its own deadline.
fn on_time(heartbeat: &mut Heartbeat, session: &Session) -> Result<(), CloseReason> {
    let now = Instant::now();
    match heartbeat.pong_due {
        Some(due) if now >= due => return Err(CloseReason::PingTimeout),
        None if now >= heartbeat.next_ping => {
            // A failed send means the session is closing; the read loop will see it end.
            let _ = session.send(Packet::Ping(String::new()));
            heartbeat.pong_due = Some(now + heartbeat.timeout);
        }
        _ => {}
    }
    session.run_handler_deadline();
    Ok(())
}

/// One text frame: one Engine.IO packet.
fn on_text(
    mut text: String,
    session: &Session,
    heartbeat: &mut Heartbeat,
) -> Result<(), CloseReason> {
    if text.starts_with('4') {
        // A message, by far the most common packet: its data goes up in the frame's own
        // string, the type digit removed in place, with no new allocation.
        text.remove(0);
        session.deliver(Incoming::Text(text));
        return Ok(());
    }
    match Packet::decode_text(&text) {
        Ok(Packet::Message(data)) => {
            session.deliver(Incoming::Text(data));
            Ok(())
        }
        Ok(Packet::BinaryMessage(bytes)) => {
            session.deliver(Incoming::Binary(bytes));
            Ok(())
        }
        Ok(Packet::Pong(_)) => {
            heartbeat.pong_due = None;
            heartbeat.next_ping = Instant::now() + heartbeat.interval;
            heartbeat.answered = true;
            Ok(())
        }
        // Engine.IO v4 "Heartbeat": the server pings, never the client; a client's `2probe`
        // belongs to the upgrade (`probe`), before this loop.
        Ok(Packet::Ping(_)) => {
            crate::log!(
                "session {}: the client pinged (v4 heartbeat direction) (closing)",
                session.sid()
            );
            Err(CloseReason::TransportError)
        }
        Ok(Packet::Close) => Err(CloseReason::TransportClose),
        Ok(Packet::Noop) | Ok(Packet::Upgrade) => Ok(()),
        Ok(Packet::Open(_)) | Err(_) => {
            crate::log!(
                "session {}: not an Engine.IO packet: {:.60?} (closing: parse error)",
                session.sid(),
                text
            );
            Err(CloseReason::ParseError)
        }
    }
}

/// Why the session ends when its WebSocket did.
fn transport_ended(e: &WsError, session: &Session) -> CloseReason {
    if let Some(reason) = session.close_reason() {
        return reason; // the server closed it, and said why
    }
    match e {
        WsError::Closed { .. } | WsError::Io(_) | WsError::AlreadyClosed => {
            CloseReason::TransportClose
        }
        WsError::Protocol(_) => CloseReason::TransportError,
    }
}
