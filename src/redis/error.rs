//! What can go wrong talking to Redis, as one enum shared by the command connection and the
//! subscriber.
//!
//! It is `Clone` because one failure reaches many: when a connection drops, every caller
//! still waiting for a reply gets the same error. That is why an `io::Error` (not `Clone`) is
//! kept as its kind and text. [`RedisError::is_connection_lost`] tells the two families
//! apart: a refused command (an error reply) leaves the connection in step and usable; the
//! others mean it was dropped and must be dialled again.

use std::fmt;
use std::io;
use std::time::Duration;

use super::resp::RespError;

/// Why a Redis command, connection or subscription failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedisError {
    /// The host name resolved to no address.
    Resolve { address: String },
    /// No TCP connection within the connect timeout.
    ConnectTimeout { address: String, after: Duration },
    /// A socket operation failed (connection refused, reset, …).
    Io {
        during: &'static str,
        kind: io::ErrorKind,
        message: String,
    },
    /// A reply took longer than the read timeout. Replies are matched to callers only by
    /// their order, so a late reply cannot be told apart: the connection is dropped.
    ReadTimeout { after: Duration },
    /// Redis closed the connection.
    Closed,
    /// The bytes from Redis are not RESP2 (RESP2 spec): the connection is out of step.
    Protocol(RespError),
    /// One reply was larger than the connection's read buffer may grow.
    ReplyTooLarge { max: usize },
    /// Redis answered the command with an error reply (`-ERR …`, `-WRONGPASS …`). The
    /// connection is fine.
    Server(String),
    /// A well-formed reply of the wrong shape for the command (e.g. `PUBLISH` not answering an
    /// integer).
    UnexpectedReply {
        command: &'static str,
        reply: String,
    },
    /// We closed this connection or subscriber ourselves.
    Shutdown,
}

impl RedisError {
    /// Whether the connection is gone (and must be dialled again), as opposed to a command
    /// that failed on a connection that is still usable.
    pub fn is_connection_lost(&self) -> bool {
        !matches!(
            self,
            RedisError::Server(_) | RedisError::UnexpectedReply { .. }
        )
    }

    /// Wraps an `io::Error` from `during` (e.g. "write"): timeouts become [`ReadTimeout`],
    /// an orderly close [`Closed`].
    ///
    /// [`ReadTimeout`]: RedisError::ReadTimeout
    /// [`Closed`]: RedisError::Closed
    pub(crate) fn io(during: &'static str, e: &io::Error) -> RedisError {
        RedisError::Io {
            during,
            kind: e.kind(),
            message: e.to_string(),
        }
    }
}

impl fmt::Display for RedisError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RedisError::Resolve { address } => write!(f, "{address} resolves to no address"),
            RedisError::ConnectTimeout { address, after } => {
                write!(f, "no connection to {address} within {after:?}")
            }
            RedisError::Io {
                during,
                kind,
                message,
            } => write!(f, "{during} failed ({kind:?}): {message}"),
            RedisError::ReadTimeout { after } => write!(f, "no reply from Redis within {after:?}"),
            RedisError::Closed => write!(f, "Redis closed the connection"),
            RedisError::Protocol(e) => write!(f, "malformed reply from Redis: {e}"),
            RedisError::ReplyTooLarge { max } => {
                write!(f, "a reply from Redis is larger than {max} bytes")
            }
            RedisError::Server(message) => write!(f, "Redis refused: {message}"),
            RedisError::UnexpectedReply { command, reply } => {
                write!(f, "unexpected reply to {command}: {reply}")
            }
            RedisError::Shutdown => write!(f, "the Redis connection was closed by us"),
        }
    }
}

impl std::error::Error for RedisError {}

impl From<RespError> for RedisError {
    fn from(e: RespError) -> RedisError {
        RedisError::Protocol(e)
    }
}
