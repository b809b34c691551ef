//! A stream that counts the bytes through it: how `bench transports` knows the bytes on the
//! wire per message, request and response heads and frame headers included.
//!
//! What it counts is TCP's payload, the bytes the application writes and reads. The TCP/IP
//! headers around them (52 bytes or more per segment), the handshake and the ACKs are not
//! in it; `bench transports` says so under its table.
//!
//! Both clients that count (`http_client.rs`, `wire_websocket.rs`) read the same way: decode
//! what is buffered, and when the decoder says "not yet", [`Counted::read_more`].

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::Instant;

use crate::error::is_timeout;

/// Bytes sent and received on one connection.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ByteCount {
    pub sent: u64,
    pub received: u64,
}

impl ByteCount {
    pub fn add(&mut self, other: ByteCount) {
        self.sent += other.sent;
        self.received += other.received;
    }

    pub fn minus(self, earlier: ByteCount) -> ByteCount {
        ByteCount {
            sent: self.sent - earlier.sent,
            received: self.received - earlier.received,
        }
    }
}

/// Wraps a stream (a `TcpStream`) and counts every byte read from and written to it.
#[derive(Debug)]
pub struct Counted<S> {
    inner: S,
    count: ByteCount,
}

impl<S> Counted<S> {
    pub fn new(inner: S) -> Counted<S> {
        Counted {
            inner,
            count: ByteCount::default(),
        }
    }

    pub fn count(&self) -> ByteCount {
        self.count
    }
}

impl Counted<TcpStream> {
    /// Reads what has arrived onto the end of `input`, waiting until `deadline` at most;
    /// `Ok(false)` if nothing came in time (the connection is fine: wait again or give up).
    ///
    /// # Errors
    /// If the connection fails, or the server closed it (`UnexpectedEof`): our clients read
    /// only while an answer is due, so a close is never the normal end.
    pub fn read_more(&mut self, input: &mut Vec<u8>, deadline: Instant) -> io::Result<bool> {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(false);
        }
        self.inner.set_read_timeout(Some(left))?;
        let mut chunk = [0u8; 8 * 1024];
        match self.read(&mut chunk) {
            Ok(0) => Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => {
                input.extend_from_slice(&chunk[..n]);
                Ok(true)
            }
            Err(e) if is_timeout(&e) => Ok(false),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(true), // a signal: go again
            Err(e) => Err(e),
        }
    }
}

impl<S: Read> Read for Counted<S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.received += n as u64;
        Ok(n)
    }
}

impl<S: Write> Write for Counted<S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.count.sent += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;
    use std::time::Duration;

    #[test]
    fn read_more_appends_and_counts_then_times_out_then_reports_the_close() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut client = Counted::new(TcpStream::connect(listener.local_addr().unwrap()).unwrap());
        let (mut server, _) = listener.accept().unwrap();
        let in_5s = Instant::now() + Duration::from_secs(5);
        let mut input = b"a".to_vec();

        server.write_all(b"hi").unwrap();
        assert!(client.read_more(&mut input, in_5s).unwrap());
        assert_eq!(
            (input.as_slice(), client.count().received),
            (&b"ahi"[..], 2)
        );

        let in_50ms = Instant::now() + Duration::from_millis(50);
        assert!(!client.read_more(&mut input, in_50ms).unwrap());

        drop(server);
        let closed = client.read_more(&mut input, in_5s).unwrap_err();
        assert_eq!(closed.kind(), io::ErrorKind::UnexpectedEof);
    }
}
