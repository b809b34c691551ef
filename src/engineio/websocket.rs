//! An Engine.IO session over a WebSocket, run on the connection's own thread
//! (Engine.IO v4 "Transports › WebSocket", "Heartbeat").
//!
//! One Engine.IO packet per WebSocket frame: text packets in text frames (`4hello`), binary
//! messages in binary frames with no prefix. The thread waits for a frame or the next
//! deadline — whichever comes first — with `WebSocket::recv_timeout`, so the heartbeat needs
//! no thread of its own:
//!
//! ```text
//!  every pingInterval:  server ── "2" ──► client
//!  within pingTimeout:  server ◄── "3" ── client      (else: close, "ping timeout")
//! ```
//!
//! The server pings and the client answers (v4 reversed v3's direction), and the next ping
//! is scheduled `pingInterval` after the pong, as the reference server does.

use std::time::{Duration, Instant};

use super::handler::{Incoming, SessionHandler};
use super::packet::Packet;
use super::socket::{websocket_message, CloseReason, Socket};
use super::Engine;
use crate::websocket::{CloseCode, Message, WebSocket, WsError};

/// The heartbeat's two clocks.
struct Heartbeat {
    next_ping: Instant,
    pong_due: Option<Instant>,
    interval: Duration,
    timeout: Duration,
}

impl Heartbeat {
    /// When the thread must wake up next for the heartbeat.
    fn deadline(&self) -> Instant {
        self.pong_due.unwrap_or(self.next_ping)
    }
}

/// Runs a new session on `ws` until it ends. Called on the connection's thread after the
/// WebSocket handshake for `GET /socket.io/?EIO=4&transport=websocket` (no `sid`).
pub(crate) fn run(mut ws: WebSocket, engine: &Engine) {
    let socket = Socket::over_websocket(super::sid::generate(), ws.sender());
    // Engine.IO v4 "Handshake": the open packet, first thing on the transport. No
    // upgrades are offered: the client is on the best transport already.
    if ws
        .send(websocket_message(&Packet::Open(
            engine.open_packet_json(socket.sid(), &[]),
        )))
        .is_err()
    {
        return;
    }
    engine.register(&socket);
    let mut handler = engine.open_session(&socket);
    let reason = read_until_closed(&mut ws, &socket, handler.as_mut(), engine);
    let we_end_it = socket.mark_closed(reason);
    let reason = socket.close_reason().unwrap_or(reason);
    crate::debug!(
        "{} session {} closed: {reason}",
        ws.peer_addr(),
        socket.sid()
    );
    engine.unregister(&socket);
    // The layer above learns of the end first: closing the WebSocket below may wait up to
    // the close timeout for a client that keeps its TCP side open.
    handler.on_close(reason);
    if we_end_it {
        // We end the session (ping timeout, parse error): close the WebSocket too.
        ws.close(CloseCode::Normal, reason.as_str());
    }
}

/// The session's read loop; returns why it ended.
fn read_until_closed(
    ws: &mut WebSocket,
    socket: &Socket,
    handler: &mut dyn SessionHandler,
    engine: &Engine,
) -> CloseReason {
    let config = engine.config();
    let mut heartbeat = Heartbeat {
        next_ping: Instant::now() + config.ping_interval,
        pong_due: None,
        interval: config.ping_interval,
        timeout: config.ping_timeout,
    };
    loop {
        if let Err(reason) = on_time(&mut heartbeat, socket, handler) {
            return reason;
        }
        let wake = handler
            .deadline()
            .map_or(heartbeat.deadline(), |d| d.min(heartbeat.deadline()));
        let wait = wake.saturating_duration_since(Instant::now());
        let result = match ws.recv_timeout(wait) {
            Ok(None) => Ok(()),
            Ok(Some(message)) if message.as_bytes().len() > config.max_payload => {
                // maxHttpBufferSize applies to WebSocket messages too; the WebSocket way to
                // refuse one is close code 1009 (RFC 6455 §7.4.1).
                crate::log!(
                    "session {}: message of {} bytes over maxPayload {} (closing with 1009)",
                    socket.sid(),
                    message.as_bytes().len(),
                    config.max_payload
                );
                socket.mark_closed(CloseReason::TransportError);
                ws.close(CloseCode::MessageTooBig, "message too big");
                Err(CloseReason::TransportError)
            }
            Ok(Some(Message::Text(text))) => on_text(&text, socket, handler, &mut heartbeat),
            Ok(Some(Message::Binary(bytes))) => handler.on_message(Incoming::Binary(bytes)),
            Err(e) => Err(transport_ended(&e, socket)),
        };
        if let Err(reason) = result {
            return reason;
        }
    }
}

/// Acts on the deadlines that have passed: send a ping, give up on a pong, or let the
/// handler act on its own deadline.
fn on_time(
    heartbeat: &mut Heartbeat,
    socket: &Socket,
    handler: &mut dyn SessionHandler,
) -> Result<(), CloseReason> {
    let now = Instant::now();
    match heartbeat.pong_due {
        Some(due) if now >= due => return Err(CloseReason::PingTimeout),
        None if now >= heartbeat.next_ping => {
            // A failed send means the session is closing; the read loop will see it end.
            let _ = socket.send(Packet::Ping(String::new()));
            heartbeat.pong_due = Some(now + heartbeat.timeout);
        }
        _ => {}
    }
    match handler.deadline() {
        Some(due) if now >= due => handler.on_deadline(),
        _ => Ok(()),
    }
}

/// One text frame: one Engine.IO packet.
fn on_text(
    text: &str,
    socket: &Socket,
    handler: &mut dyn SessionHandler,
    heartbeat: &mut Heartbeat,
) -> Result<(), CloseReason> {
    match Packet::decode_text(text) {
        Ok(Packet::Message(data)) => handler.on_message(Incoming::Text(data)),
        Ok(Packet::Pong(_)) => {
            heartbeat.pong_due = None;
            heartbeat.next_ping = Instant::now() + heartbeat.interval;
            Ok(())
        }
        // A v4 client pings only to probe a new transport during an upgrade.
        Ok(Packet::Ping(data)) => {
            let _ = socket.send(Packet::Pong(data));
            Ok(())
        }
        Ok(Packet::Close) => Err(CloseReason::TransportClose),
        Ok(Packet::Noop) | Ok(Packet::Upgrade) => Ok(()),
        Ok(Packet::Open(_)) | Ok(Packet::BinaryMessage(_)) | Err(_) => {
            crate::log!(
                "session {}: not an Engine.IO packet: {:.60?} (closing: parse error)",
                socket.sid(),
                text
            );
            Err(CloseReason::ParseError)
        }
    }
}

/// Why the session ends when its WebSocket did.
fn transport_ended(e: &WsError, socket: &Socket) -> CloseReason {
    if let Some(reason) = socket.close_reason() {
        return reason; // the server closed it, and said why
    }
    match e {
        WsError::Closed { .. } | WsError::Io(_) | WsError::AlreadyClosed => {
            CloseReason::TransportClose
        }
        WsError::Protocol(_) => CloseReason::TransportError,
    }
}
