//! A polling session moves to WebSocket, as the official client does by default (Engine.IO
//! v4 "Upgrade"):
//!
//! ```text
//!  client                                     server
//!    │ GET …&transport=websocket&sid=S ──────► │   a WebSocket for the same session
//!    │ ── 2probe ────────────────────────────► │
//!    │ ◄──────────────────────────── 3probe ── │   and the held GET is answered (a noop)
//!    │   (the poll that is out is read to its end; no new GET)
//!    │ ── 5 ─────────────────────────────────► │   the server flushes what polling still
//!    │ ◄────────────────── everything else ─── │   held into the WebSocket: the transport
//! ```
//!
//! The order is the point, and what the soak checks: a message the server sent during the
//! switch arrives once — in the last poll's answer or on the WebSocket, never both, never
//! neither. The packets of that last answer are handed out before anything from the
//! WebSocket, as they were sent first.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use threadio::websocket::{client, Message};

use crate::error::BenchError;
use crate::wire::Wire;

/// How long the whole upgrade may take (the server gives it `upgradeTimeout`, 10 s).
const UPGRADE_TIMEOUT: Duration = Duration::from_secs(10);

/// Moves `wire` from polling to WebSocket; a WebSocket wire is left as it is.
///
/// # Errors
/// If the probe fails; the session may then be gone, and the client should end.
pub fn to_websocket(wire: &mut Wire, server: SocketAddr) -> Result<(), BenchError> {
    let Wire::Polling(poll) = wire else {
        return Ok(());
    };
    let deadline = Instant::now() + UPGRADE_TIMEOUT;
    let url = format!(
        "ws://{server}/socket.io/?EIO=4&transport=websocket&sid={}",
        poll.sid()
    );
    let mut ws = client::connect(&url).map_err(|e| BenchError::Connect(e.to_string()))?;
    send_text(&ws, "2probe")?;
    let left = deadline.saturating_duration_since(Instant::now());
    match ws.recv_timeout(left)? {
        Some(Message::Text(text)) if text == "3probe" => {}
        other => {
            return Err(BenchError::Protocol(format!(
                "{other:?} where 3probe belongs"
            )))
        }
    }
    let carried = poll.finish(deadline)?;
    send_text(&ws, "5")?;
    // The polling connections close here; no GET is out, so the server loses nothing.
    *wire = Wire::WebSocket { ws, carried };
    Ok(())
}

fn send_text(ws: &threadio::websocket::WebSocket, text: &str) -> Result<(), BenchError> {
    ws.send(Message::Text(text.to_string()))
        .map_err(|e| BenchError::Closed(e.to_string()))
}
