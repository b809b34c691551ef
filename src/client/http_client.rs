//! A small HTTP/1.1 client on keep-alive connections: what long-polling needs
//! (Engine.IO v4 "Transports › HTTP long-polling"), and nothing more.
//!
//! The client reads with `GET` — the server holds it until it has packets, at most one
//! pingInterval, since it pings by then — and writes with `POST`. Engine.IO allows one of
//! each in flight per session (a second GET is a protocol error that ends the session), so
//! we keep exactly two connections: [`PollConnection`]s, one owned by the reader thread for
//! GETs, one owned by the writer thread for POSTs. Each is reused while the server keeps it
//! open (RFC 9112 §9.3: persistence is HTTP/1.1's default) and dialled again when it does not.
//!
//! Bodies are Engine.IO payloads (`payload.rs`): packets joined by U+001E, binary as `b` +
//! base64. Responses are read with the server's own head decoder and either framing
//! (RFC 9112 §6.3): `Content-Length`, or `Transfer-Encoding: chunked`.

use std::io::{self, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use super::error::DialError;
use crate::http::request::{decode_chunked, Limits};
use crate::http::response::ResponseHead;
use crate::read_buffer::ReadBuffer;

/// One keep-alive HTTP/1.1 connection to the server, for one kind of request.
pub(crate) struct PollConnection {
    authority: String,
    connect_timeout: Duration,
    stream: Option<TcpStream>,
    /// The stream was dialled since [`PollConnection::take_new_stream`] last looked.
    dialled: bool,
    /// The read and write timeouts the stream has now: setting them again for every
    /// request would be two system calls per poll.
    timeout: Option<Duration>,
    input: Vec<u8>,
}

/// Opens a TCP connection to `authority` (`host:port`), trying each address it resolves to
/// within `timeout`.
pub(crate) fn dial(authority: &str, timeout: Duration) -> Result<TcpStream, DialError> {
    let mut last = io::Error::new(io::ErrorKind::NotFound, "the host resolves to nothing");
    for addr in authority.to_socket_addrs()? {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(stream) => {
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
            Err(e) => last = e,
        }
    }
    Err(DialError::Io(last))
}

impl PollConnection {
    /// A connection to `authority`, dialled on first use.
    pub(crate) fn new(authority: &str, connect_timeout: Duration) -> PollConnection {
        PollConnection {
            authority: authority.to_owned(),
            connect_timeout,
            stream: None,
            dialled: false,
            timeout: None,
            input: Vec::new(),
        }
    }

    /// A clone of the TCP connection if it was dialled since the last call: shutting it
    /// down wakes a reader blocked in a held GET (how the client is closed from another
    /// thread). Keep-alive keeps the same connection for many requests, so this is rarely
    /// more than once.
    pub(crate) fn take_new_stream(&mut self) -> Option<TcpStream> {
        if !std::mem::take(&mut self.dialled) {
            return None;
        }
        self.stream.as_ref().and_then(|s| s.try_clone().ok())
    }

    /// Sends one request and returns the body of its `200 OK` answer, waiting at most
    /// `read_timeout` for each read. `body` makes it a POST, `None` a GET.
    ///
    /// # Errors
    /// [`DialError::Io`] when the connection fails or the read times out,
    /// [`DialError::BadHttp`] for a status other than 200 (with the server's body, which
    /// for Engine.IO says why: `{"code":1,"message":"Session ID unknown"}`), a broken
    /// framing, or a body past `max_body`.
    pub(crate) fn request(
        &mut self,
        target: &str,
        headers: &[(String, String)],
        body: Option<&str>,
        read_timeout: Duration,
        max_body: usize,
    ) -> Result<Vec<u8>, DialError> {
        let result = self.exchange(target, headers, body, read_timeout, max_body);
        if result.is_err() {
            // The connection's state is unknown after a failure: never reuse it.
            self.stream = None;
        }
        result
    }

    fn exchange(
        &mut self,
        target: &str,
        headers: &[(String, String)],
        body: Option<&str>,
        read_timeout: Duration,
        max_body: usize,
    ) -> Result<Vec<u8>, DialError> {
        if self.stream.is_none() {
            self.stream = Some(dial(&self.authority, self.connect_timeout)?);
            self.dialled = true;
            self.timeout = None;
            self.input.clear();
        }
        let stream = self.stream.as_mut().expect("dialled just above");
        if self.timeout != Some(read_timeout) {
            stream.set_read_timeout(Some(read_timeout))?;
            stream.set_write_timeout(Some(read_timeout))?;
            self.timeout = Some(read_timeout);
        }
        stream.write_all(&request_bytes(&self.authority, target, headers, body))?;
        let (status, keep_alive, bytes) = read_response(stream, &mut self.input, max_body)?;
        if !keep_alive {
            self.stream = None;
        }
        if status != 200 {
            let text = String::from_utf8_lossy(&bytes);
            return Err(DialError::BadHttp(format!("status {status}: {text}")));
        }
        Ok(bytes)
    }
}

/// The request's bytes. Engine.IO bodies are text (`text/plain;charset=UTF-8`, as the
/// official client sends them).
fn request_bytes(
    authority: &str,
    target: &str,
    headers: &[(String, String)],
    body: Option<&str>,
) -> Vec<u8> {
    let method = if body.is_some() { "POST" } else { "GET" };
    let mut head = format!("{method} {target} HTTP/1.1\r\nHost: {authority}\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if let Some(body) = body {
        head.push_str("Content-Type: text/plain;charset=UTF-8\r\n");
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body.unwrap_or("").as_bytes());
    bytes
}

/// Reads one response: its status, whether the connection stays open, and its body.
/// `input` holds bytes read past the previous response (none, for a well-behaved server).
fn read_response(
    stream: &mut TcpStream,
    input: &mut Vec<u8>,
    max_body: usize,
) -> Result<(u16, bool, Vec<u8>), DialError> {
    let limits = Limits::default();
    let mut buffer = ReadBuffer::with_bytes(4096, input);
    input.clear();
    let head = loop {
        match ResponseHead::decode(buffer.data(), &limits) {
            Ok(Some((head, used))) => {
                buffer.consume(used);
                break head;
            }
            Ok(None) => {}
            Err(e) => return Err(DialError::BadHttp(e.to_string())),
        }
        read_more(stream, &mut buffer, limits.max_header_bytes + 1)?;
    };
    let keep_alive = !head.headers.has_token("Connection", "close");
    let chunked = head.headers.has_token("Transfer-Encoding", "chunked");
    let body = if chunked {
        loop {
            match decode_chunked(buffer.data(), max_body) {
                Ok(Some((body, used))) => {
                    buffer.consume(used);
                    break body;
                }
                Ok(None) => {
                    read_more(stream, &mut buffer, max_body.saturating_mul(2).max(1 << 16))?
                }
                Err(e) => return Err(DialError::BadHttp(e.to_string())),
            }
        }
    } else {
        let length = match head.headers.get("Content-Length") {
            Some(text) => text
                .trim()
                .parse::<usize>()
                .map_err(|_| DialError::BadHttp(format!("Content-Length {text:?}")))?,
            None => return Err(DialError::BadHttp("no Content-Length".into())),
        };
        if length > max_body {
            return Err(DialError::BadHttp(format!(
                "a body of {length} bytes, past the limit of {max_body}"
            )));
        }
        while buffer.data().len() < length {
            read_more(stream, &mut buffer, length.max(4096))?;
        }
        let body = buffer.data()[..length].to_vec();
        buffer.consume(length);
        body
    };
    input.extend_from_slice(buffer.data());
    Ok((head.status.code(), keep_alive, body))
}

/// Reads at least one more byte into `buffer`; the end of the stream is an error here,
/// since a response was still due.
fn read_more(stream: &mut TcpStream, buffer: &mut ReadBuffer, most: usize) -> io::Result<()> {
    if buffer.read_from(stream, most.max(1))? == 0 {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the server closed the connection before its answer was complete",
        ));
    }
    Ok(())
}
