//! A stream that counts the bytes through it: how `bench transports` knows the bytes on the
//! wire per message, request and response heads and frame headers included.
//!
//! What it counts is TCP's payload, the bytes the application writes and reads. The TCP/IP
//! headers around them (52 bytes or more per segment), the handshake and the ACKs are not
//! in it; `bench transports` says so under its table.

use std::io::{self, Read, Write};

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

    /// The stream itself, for its settings (timeouts); reading or writing through it would
    /// go uncounted.
    pub fn get_ref(&self) -> &S {
        &self.inner
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
