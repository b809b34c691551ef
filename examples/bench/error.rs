//! Why a bench client gave up: every network failure becomes one of these, is counted in the
//! table's `errors` column, and the first one of each row is printed under the table. Nothing
//! that comes from the network reaches an `unwrap`.

use std::fmt;
use std::io;

use threadio::websocket::WsError;

/// What went wrong with one client.
#[derive(Debug)]
pub enum BenchError {
    /// Opening the connection failed (TCP, the HTTP upgrade, or the Socket.IO handshake).
    Connect(String),
    /// The TCP connection failed or closed under us.
    Io(io::Error),
    /// The server said something a client of its protocol does not expect.
    Protocol(String),
    /// The server ended the connection or the session; says how.
    Closed(String),
    /// Nothing came before the deadline; says what we were waiting for.
    Timeout(&'static str),
}

impl fmt::Display for BenchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BenchError::Connect(why) => write!(f, "connect failed: {why}"),
            BenchError::Io(e) => write!(f, "connection lost: {e}"),
            BenchError::Protocol(why) => write!(f, "unexpected from the server: {why}"),
            BenchError::Closed(how) => write!(f, "the server ended it: {how}"),
            BenchError::Timeout(what) => write!(f, "timed out waiting for {what}"),
        }
    }
}

impl std::error::Error for BenchError {}

impl From<WsError> for BenchError {
    fn from(e: WsError) -> BenchError {
        match e {
            WsError::Io(e) => BenchError::Io(e),
            WsError::Protocol(e) => BenchError::Protocol(format!("WebSocket: {e}")),
            closed @ (WsError::Closed { .. } | WsError::AlreadyClosed) => {
                BenchError::Closed(closed.to_string())
            }
        }
    }
}

impl From<io::Error> for BenchError {
    fn from(e: io::Error) -> BenchError {
        BenchError::Io(e)
    }
}

/// Whether a read that returned `e` merely ran into its timeout: the connection is fine and
/// the caller may wait again. (A socket read timeout is `WouldBlock` on Unix, `TimedOut` on
/// Windows.)
pub fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}
