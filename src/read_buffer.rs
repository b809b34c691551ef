//! Bytes read from a socket but not yet parsed.
//!
//! TCP is a byte stream: one `read` may return half a request head, or a WebSocket frame and
//! the start of the next. Every decoder in threadio is therefore pure — it looks at a slice
//! and says "here is one item and the bytes it used" or "not enough yet" — and this buffer
//! sits between them and the socket. It belongs to one connection thread, so it needs no lock.
//!
//! Memory: a connection starts with a small buffer (8 KiB for HTTP, 2 KiB for a WebSocket;
//! NOTES.md chapter 6) and grows it only while a large request head or body is being read, up
//! to the caller's limit; `shrink` gives the memory back when the connection goes idle again,
//! and `release` all of it while a connection waits for long.

use std::io::{self, Read};

/// A growable window `buf[start..end]` of unparsed bytes.
#[derive(Debug)]
pub struct ReadBuffer {
    buf: Vec<u8>,
    start: usize,
    end: usize,
    initial: usize,
}

impl ReadBuffer {
    /// A buffer that starts at `capacity` bytes.
    pub fn new(capacity: usize) -> ReadBuffer {
        ReadBuffer::with_bytes(capacity, &[])
    }

    /// A buffer that starts with `bytes` already in it, e.g. what the HTTP reader had read
    /// past the end of a WebSocket upgrade request.
    pub fn with_bytes(capacity: usize, bytes: &[u8]) -> ReadBuffer {
        let capacity = capacity.max(bytes.len()).max(16);
        let mut buf = vec![0; capacity];
        buf[..bytes.len()].copy_from_slice(bytes);
        ReadBuffer {
            buf,
            start: 0,
            end: bytes.len(),
            initial: capacity,
        }
    }

    /// The unparsed bytes.
    pub fn data(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// How many unparsed bytes there are.
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    /// Whether no unparsed bytes are left.
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// Marks the first `n` unparsed bytes as used.
    pub fn consume(&mut self, n: usize) {
        assert!(
            n <= self.len(),
            "consume({n}) past the {} bytes held",
            self.len()
        );
        self.start += n;
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }

    /// Removes and returns the first `n` unparsed bytes.
    pub fn take(&mut self, n: usize) -> Vec<u8> {
        let bytes = self.data()[..n].to_vec();
        self.consume(n);
        bytes
    }

    /// Reads once from `source`, making room first: compacts the window to the front, or
    /// grows the buffer, but never past `max_total` bytes of unparsed data. Returns the
    /// number of bytes read; 0 means the peer closed its side (end of stream).
    ///
    /// # Errors
    /// Whatever `read` returns (a timeout shows as `WouldBlock` or `TimedOut`), or
    /// `OutOfMemory` if the window already holds `max_total` bytes: the caller's decoder should
    /// have refused the input before that.
    pub fn read_from(&mut self, source: &mut impl Read, max_total: usize) -> io::Result<usize> {
        if self.end == self.buf.len() {
            self.make_room(max_total)?;
        }
        let n = source.read(&mut self.buf[self.end..])?;
        self.end += n;
        Ok(n)
    }

    fn make_room(&mut self, max_total: usize) -> io::Result<()> {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
            return Ok(());
        }
        if self.buf.len() >= max_total {
            return Err(io::Error::new(
                io::ErrorKind::OutOfMemory,
                format!("read buffer full at {max_total} bytes"),
            ));
        }
        let grown = (self.buf.len() * 2).max(self.initial).min(max_total);
        self.buf.resize(grown, 0);
        Ok(())
    }

    /// Returns to the initial size if the buffer grew and is now empty, so that one large
    /// request does not pin its memory for the rest of a keep-alive connection.
    pub fn shrink(&mut self) {
        if self.is_empty() && self.buf.len() > self.initial {
            self.buf = vec![0; self.initial];
        }
    }

    /// Frees the buffer altogether if it is empty; the next read takes a new one of the
    /// initial size. For a connection that is about to wait a long time: a thousand idle
    /// connections need no thousand buffers.
    pub fn release(&mut self) {
        if self.is_empty() {
            self.buf = Vec::new();
            (self.start, self.end) = (0, 0);
        }
    }

    /// Whether [`release`](ReadBuffer::release) freed the buffer and no read has taken a
    /// new one yet.
    pub fn is_released(&self) -> bool {
        self.buf.capacity() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_accumulate_and_consume_frees_the_front() {
        let mut buf = ReadBuffer::new(16);
        let mut source: &[u8] = b"hello world";
        buf.read_from(&mut source, 64).unwrap();
        assert_eq!(buf.data(), b"hello world");
        buf.consume(6);
        assert_eq!(buf.take(5), b"world");
        assert!(buf.is_empty());
    }

    #[test]
    fn grows_up_to_the_limit_then_refuses() {
        let mut buf = ReadBuffer::new(16);
        let big = [7u8; 100];
        let mut source: &[u8] = &big;
        while buf.len() < 32 {
            buf.read_from(&mut source, 32).unwrap();
        }
        let err = buf.read_from(&mut source, 32).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::OutOfMemory);
    }

    #[test]
    fn a_released_buffer_holds_nothing_and_reads_again() {
        let mut buf = ReadBuffer::new(16);
        let mut source: &[u8] = b"abc";
        buf.read_from(&mut source, 64).unwrap();
        buf.release();
        assert_eq!(buf.data(), b"abc", "bytes not yet parsed are kept");
        buf.consume(3);
        buf.release();
        assert!(buf.is_released());
        let mut source: &[u8] = b"defghijklmnopqrstuvwxyz";
        assert_eq!(
            buf.read_from(&mut source, 64).unwrap(),
            16,
            "the initial size again"
        );
        assert_eq!(buf.data(), b"defghijklmnopqrs");
    }

    #[test]
    fn leftover_bytes_are_kept_at_the_front() {
        let mut buf = ReadBuffer::with_bytes(16, b"abc");
        let mut source: &[u8] = b"def";
        buf.read_from(&mut source, 64).unwrap();
        assert_eq!(buf.data(), b"abcdef");
    }
}
