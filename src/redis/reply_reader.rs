//! The read side of one Redis connection: a socket, the bytes read from it but not yet
//! decoded, and "give me the next reply".
//!
//! Both the command connection's reader thread and the subscriber's use it, and so does the
//! handshake (`dial.rs`) before either thread starts. RESP2 has no framing beyond the reply
//! itself, so this is the classic loop: decode what is buffered; if it is not a whole reply
//! yet, read more.

use std::io;
use std::net::TcpStream;

use super::error::RedisError;
use super::resp::{decode, Reply, RespLimits};
use crate::read_buffer::ReadBuffer;

/// Replies start small (an `+OK`, a short message); the buffer grows only for large ones.
const INITIAL_BUFFER: usize = 4 * 1024;

/// Reads replies from one Redis connection.
#[derive(Debug)]
pub struct ReplyReader {
    stream: TcpStream,
    buf: ReadBuffer,
    limits: RespLimits,
    max_buffered: usize,
}

impl ReplyReader {
    /// Reads from `stream`, whose read timeout the caller has set.
    pub fn new(stream: TcpStream, limits: RespLimits) -> ReplyReader {
        ReplyReader {
            stream,
            buf: ReadBuffer::new(INITIAL_BUFFER),
            limits,
            // A whole reply must fit: the largest bulk string plus room for its framing and
            // a few neighbours (a pub/sub message is a 3- or 4-element array).
            max_buffered: limits.max_bulk.saturating_add(64 * 1024),
        }
    }

    /// The next reply.
    ///
    /// # Errors
    /// [`RedisError::Protocol`] for malformed bytes, [`RedisError::Closed`] at end of stream,
    /// [`RedisError::ReplyTooLarge`], or [`RedisError::Io`] — whose kind is `WouldBlock` or
    /// `TimedOut` when the socket's read timeout passed with no whole reply; those bytes stay
    /// buffered, so calling again continues where this left off.
    pub fn next_reply(&mut self) -> Result<Reply, RedisError> {
        loop {
            if let Some((reply, used)) = decode(self.buf.data(), &self.limits)? {
                self.buf.consume(used);
                self.buf.shrink();
                return Ok(reply);
            }
            match self.buf.read_from(&mut self.stream, self.max_buffered) {
                Ok(0) => return Err(RedisError::Closed),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::OutOfMemory => {
                    return Err(RedisError::ReplyTooLarge {
                        max: self.max_buffered,
                    })
                }
                Err(e) => return Err(RedisError::io("read", &e)),
            }
        }
    }

    /// The socket, e.g. to change its read timeout.
    pub fn stream(&self) -> &TcpStream {
        &self.stream
    }
}

/// Whether `e` is a socket read timeout rather than a failure.
pub fn is_timeout(e: &RedisError) -> bool {
    matches!(
        e,
        RedisError::Io { kind, .. }
            if matches!(kind, io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut)
    )
}
