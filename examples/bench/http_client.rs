//! A small HTTP/1.1 client over one keep-alive connection (RFC 9112): the Socket.IO
//! polling client and `bench transports` use it.
//!
//! A request is written in one piece; a response is read as a head (parsed by threadio's
//! own [`ResponseHead::decode`], the code the WebSocket client uses for its `101`) and then
//! exactly `Content-Length` bytes of body — threadio always sends one, so chunked bodies are
//! refused rather than parsed. Sending and reading are separate calls so that a long-polling
//! client can send its `GET`, do other things, and come back for the answer later: a read
//! that runs into its deadline keeps what it has read and returns `Ok(None)`.

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use threadio::http::response::ResponseHead;
use threadio::http::Limits;

use crate::counting::{ByteCount, Counted};
use crate::error::BenchError;

/// The most a response body may be: a poll answer holds at most Engine.IO's `max_buffered`
/// (1 MiB) of packets.
const MAX_BODY: usize = 4 << 20;

/// How long connecting, or writing one request, may take. On loopback either is instant
/// unless the server is in trouble: its accept backlog full (the kernel drops our SYN and
/// retries for two minutes), or it stopped reading.
const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// One response: its status and its body.
#[derive(Debug)]
pub struct HttpResponse {
    pub status: u16,
    pub body: Vec<u8>,
}

/// One TCP connection to the server, used for one request after another.
pub struct HttpConnection {
    stream: Counted<TcpStream>,
    host: String,
    /// Bytes read and not yet part of a response.
    input: Vec<u8>,
}

impl HttpConnection {
    /// Connects to `server`.
    ///
    /// # Errors
    /// If TCP cannot connect.
    pub fn open(server: SocketAddr) -> Result<HttpConnection, BenchError> {
        let stream = TcpStream::connect_timeout(&server, IO_TIMEOUT)
            .map_err(|e| BenchError::Connect(e.to_string()))?;
        stream.set_write_timeout(Some(IO_TIMEOUT))?;
        // Small requests go out at once: Nagle's algorithm would hold a second small write
        // until the first is acknowledged (RFC 896), adding up to 40 ms on loopback.
        let _ = stream.set_nodelay(true);
        Ok(HttpConnection {
            stream: Counted::new(stream),
            host: server.to_string(),
            input: Vec::with_capacity(8 * 1024),
        })
    }

    /// Bytes sent and received so far, heads and bodies.
    pub fn bytes(&self) -> ByteCount {
        self.stream.count()
    }

    /// Writes one request. `close` asks the server to close after answering
    /// (`Connection: close`, RFC 9112 §9.6); without it the connection is kept alive, the
    /// HTTP/1.1 default. A body is sent as `text/plain`, as the Engine.IO client does.
    ///
    /// # Errors
    /// If the write fails.
    pub fn send(
        &mut self,
        method: &str,
        target: &str,
        body: &[u8],
        close: bool,
    ) -> Result<(), BenchError> {
        let mut request = format!("{method} {target} HTTP/1.1\r\nHost: {}\r\n", self.host);
        if method == "POST" {
            request.push_str("Content-Type: text/plain;charset=UTF-8\r\n");
            request.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        if close {
            request.push_str("Connection: close\r\n");
        }
        request.push_str("\r\n");
        let mut bytes = request.into_bytes();
        bytes.extend_from_slice(body);
        self.stream.write_all(&bytes)?;
        Ok(())
    }

    /// Reads the answer to the oldest request not yet answered; `Ok(None)` if `deadline`
    /// passed first (what was read so far is kept for the next call).
    ///
    /// # Errors
    /// If the connection fails or closes, or the answer is not HTTP with a `Content-Length`.
    pub fn receive(&mut self, deadline: Instant) -> Result<Option<HttpResponse>, BenchError> {
        loop {
            if let Some(response) = self.take_response()? {
                return Ok(Some(response));
            }
            if !self.stream.read_more(&mut self.input, deadline)? {
                return Ok(None);
            }
        }
    }

    /// A request and its answer, waiting at most `timeout`.
    ///
    /// # Errors
    /// As [`send`](Self::send) and [`receive`](Self::receive), and a timeout.
    pub fn exchange(
        &mut self,
        method: &str,
        target: &str,
        body: &[u8],
        timeout: Duration,
    ) -> Result<HttpResponse, BenchError> {
        self.send(method, target, body, false)?;
        self.receive(Instant::now() + timeout)?
            .ok_or(BenchError::Timeout("an HTTP response"))
    }

    /// One whole response from the front of `input`, if all of it has arrived.
    fn take_response(&mut self) -> Result<Option<HttpResponse>, BenchError> {
        let decoded = ResponseHead::decode(&self.input, &Limits::default())
            .map_err(|e| BenchError::Protocol(format!("bad HTTP response head: {e}")))?;
        let Some((head, head_len)) = decoded else {
            return Ok(None);
        };
        if head.headers.contains("Transfer-Encoding") {
            return Err(BenchError::Protocol("a chunked response".into()));
        }
        let length: usize = match head.headers.get("Content-Length") {
            Some(value) => value
                .trim()
                .parse()
                .map_err(|_| BenchError::Protocol(format!("Content-Length {value:?}")))?,
            None => 0,
        };
        if length > MAX_BODY {
            return Err(BenchError::Protocol(format!("a body of {length} bytes")));
        }
        if self.input.len() < head_len + length {
            return Ok(None);
        }
        let body = self.input[head_len..head_len + length].to_vec();
        self.input.drain(..head_len + length);
        Ok(Some(HttpResponse {
            status: head.status.code(),
            body,
        }))
    }
}
