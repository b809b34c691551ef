//! The closing handshake (RFC 6455 §7, §5.5.1): how a WebSocket ends, whoever starts it.
//!
//! ```text
//!  the peer starts:   peer ── close(code) ──► us      we echo the code (§5.5.1),
//!                     peer ◄── close(code) ── us      close our TCP half (§7.1.1),
//!                                                     and wait briefly for the peer's
//!  we start:          us ── close(code) ──► peer      we wait, at most close_timeout,
//!                     us ◄── close(code) ── peer      for the answer (§7.1.2)
//!  a rule broken:     us ── close(1002/1007/1009) ──► peer, then the same (§7.1.7)
//! ```
//!
//! Two details matter on a real network. After our close frame we *shut down* our half of
//! TCP and keep reading until the peer closes its half: closing a socket that still holds
//! unread bytes makes the kernel send a reset (RFC 1122 §4.2.2.13), which can destroy our
//! close frame before the peer reads it. And that last wait happens when the [`WebSocket`]
//! is dropped, not before `recv` returns, so that the application hears of the end at once.

use std::io::{self, Read};
use std::net::Shutdown;
use std::time::Instant;

use super::connection::{WebSocket, WsError};
use super::frame::{decode_close_payload, CloseCode, Frame};
use super::sender::encode;

impl WebSocket {
    /// Starts the closing handshake (§7.1.2) and waits, at most the close timeout in all,
    /// for the peer's close frame; messages that arrive meanwhile are dropped.
    pub fn close(&mut self, code: CloseCode, reason: &str) {
        if self.ended {
            return;
        }
        self.sender().close(code, reason);
        let deadline = Instant::now() + self.config.close_timeout;
        // A frame the peer sends meanwhile must arrive by then too, not within the (longer)
        // stall timeout.
        self.closing_deadline = Some(deadline);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                // The peer never answered: end without its half of the handshake.
                self.ended = true;
                self.outbox.kill();
                return;
            }
            if self.recv_timeout(left).is_err() {
                return; // the peer's close came (or the connection failed): ended
            }
        }
    }

    /// The peer's close frame: either it starts the handshake and we echo its code
    /// (§5.5.1), or it answers ours. Either way the connection is over.
    pub(super) fn on_close_frame(&mut self, payload: &[u8]) -> WsError {
        let (code, reason) = match decode_close_payload(payload) {
            Ok(Some((code, reason))) => (Some(code), reason),
            Ok(None) => (None, String::new()),
            Err(e) => return WsError::Protocol(e),
        };
        if !self.outbox.is_closing() {
            // An empty close is answered with an empty close: 1005 must not be sent (§7.4.1).
            self.outbox
                .close(encode(&Frame::close(code, ""), self.role));
        }
        WsError::Closed { code, reason }
    }

    /// Finishes the connection after `err`, the way §7.1 asks for that kind of end.
    pub(super) fn end(&mut self, err: &WsError) {
        self.ended = true;
        match err {
            WsError::Closed { .. } => {}
            WsError::Protocol(e) => {
                crate::log!(
                    "{} failed the WebSocket: {e} (closing with {})",
                    self.peer_addr(),
                    e.close_code()
                );
                let close = Frame::close(Some(e.close_code()), &e.to_string());
                self.outbox.close(encode(&close, self.role));
            }
            WsError::Io(e) => {
                crate::debug!("{} connection lost: {e}", self.peer_addr());
                self.outbox.kill();
                return;
            }
            WsError::AlreadyClosed => return,
        }
        // Our close frame out, then our TCP half closed (§7.1.1 lets the server go first).
        self.outbox.wait_flushed(self.config.close_timeout);
        let _ = self.stream.shutdown(Shutdown::Write);
        self.linger_pending = true;
    }

    /// Reads until the peer closes its half of TCP, at most the close timeout, then lets the
    /// socket go.
    fn linger(&mut self) {
        let deadline = Instant::now() + self.config.close_timeout;
        let mut scratch = [0u8; 4096];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || self.stream.set_read_timeout(Some(left)).is_err() {
                break;
            }
            match (&*self.stream).read(&mut scratch) {
                Ok(0) => break,
                Ok(_) => continue,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            }
        }
        self.outbox.kill();
    }
}

impl Drop for WebSocket {
    /// A handler that returns without closing still gets a proper close (1000); and the
    /// last wait of the closing handshake happens here.
    fn drop(&mut self) {
        // Frames this thread held back (`cork.rs`) leave before the connection does.
        super::cork::release();
        if !self.ended {
            self.close(CloseCode::Normal, "");
        }
        if self.linger_pending {
            self.linger_pending = false;
            self.linger();
        }
    }
}
