//! The client role: open a WebSocket to a server (RFC 6455 §4.1), then talk through the
//! same [`WebSocket`] type the server uses, with the roles' rules swapped — a client masks
//! every frame it sends and refuses masked frames from the server (§5.1).
//!
//! Tests, examples and the benchmark use it; a Rust Socket.IO client can build on it.
//! Only `ws://` is supported: TLS would need a dependency beyond std.

use std::io;
use std::net::TcpStream;
use std::time::Duration;

use super::connection::{WebSocket, WebSocketConfig};
use super::frame::Role;
use super::handshake::{check_response, client_key, client_request, HandshakeError};
use crate::http::request::{Limits, RequestError};
use crate::http::response::ResponseHead;
use crate::read_buffer::ReadBuffer;

/// Why a connection could not be opened.
#[derive(Debug)]
pub enum ConnectError {
    /// The URL is not `ws://host[:port][/path]`.
    BadUrl(String),
    /// An extra header field's name or value holds a CR or LF, which would end the field
    /// (RFC 9112 §5: a field is one line).
    BadHeader(String),
    /// TCP could not connect, or the connection failed during the handshake.
    Io(io::Error),
    /// The server's answer was not valid HTTP.
    BadResponse(RequestError),
    /// The server answered, but did not accept the WebSocket (§4.1 checks).
    Handshake(HandshakeError),
}

impl std::fmt::Display for ConnectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConnectError::BadUrl(url) => write!(f, "not a ws:// URL: {url:?}"),
            ConnectError::BadHeader(name) => write!(f, "header {name:?} holds a line break"),
            ConnectError::Io(e) => write!(f, "connection failed: {e}"),
            ConnectError::BadResponse(e) => write!(f, "the server's answer is not HTTP: {e}"),
            ConnectError::Handshake(e) => write!(f, "the server refused the WebSocket: {e}"),
        }
    }
}

impl std::error::Error for ConnectError {}

impl From<io::Error> for ConnectError {
    fn from(e: io::Error) -> ConnectError {
        ConnectError::Io(e)
    }
}

/// Opens a WebSocket to `url` (`ws://127.0.0.1:3000/ws`) with the default limits.
///
/// # Errors
/// See [`ConnectError`].
pub fn connect(url: &str) -> Result<WebSocket, ConnectError> {
    connect_with(url, &WebSocketConfig::default())
}

/// Opens a WebSocket to `url` with the given limits.
///
/// # Errors
/// See [`ConnectError`].
pub fn connect_with(url: &str, config: &WebSocketConfig) -> Result<WebSocket, ConnectError> {
    let (host, path) = split_url(url).ok_or_else(|| ConnectError::BadUrl(url.to_string()))?;
    let stream = TcpStream::connect(host)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    handshake_over(stream, host, path, &[], config)
}

/// Runs the opening handshake (§4.1) over a TCP connection the caller opened (with its own
/// connect timeout and read timeout), sending `extra_headers` beside the handshake's own:
/// the Socket.IO client passes its cookies and tokens this way. `host` goes in `Host`,
/// `path` (with its query) in the request line.
///
/// # Errors
/// See [`ConnectError`].
pub fn handshake_over(
    stream: TcpStream,
    host: &str,
    path: &str,
    extra_headers: &[(String, String)],
    config: &WebSocketConfig,
) -> Result<WebSocket, ConnectError> {
    let key = client_key();
    let mut request = client_request(host, path, &key);
    // The request ends with its blank line; the extra fields go just before it.
    request.truncate(request.len() - 2);
    for (name, value) in extra_headers {
        if [name, value].iter().any(|s| s.contains(['\r', '\n'])) {
            return Err(ConnectError::BadHeader(name.clone()));
        }
        request.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    request.extend_from_slice(b"\r\n");
    io::Write::write_all(&mut &stream, &request)?;
    let mut input = ReadBuffer::new(config.read_buffer);
    let limits = Limits::default();
    let head = loop {
        match ResponseHead::decode(input.data(), &limits) {
            Ok(Some((head, used))) => {
                input.consume(used);
                break head;
            }
            Ok(None) => {}
            Err(e) => return Err(ConnectError::BadResponse(e)),
        }
        if input.read_from(&mut &stream, limits.max_header_bytes + 1)? == 0 {
            return Err(ConnectError::Io(io::ErrorKind::UnexpectedEof.into()));
        }
    };
    check_response(&head, &key).map_err(ConnectError::Handshake)?;
    Ok(WebSocket::from_upgraded(
        stream,
        input.data(),
        Role::Client,
        config,
    )?)
}

/// `ws://host:port/path?query` → (`host:port`, `/path?query`).
fn split_url(url: &str) -> Option<(&str, &str)> {
    let rest = url.strip_prefix("ws://")?;
    let (host, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, "/"),
    };
    (!host.is_empty()).then_some((host, path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_host_and_path() {
        assert_eq!(
            split_url("ws://127.0.0.1:3000/ws"),
            Some(("127.0.0.1:3000", "/ws"))
        );
        assert_eq!(split_url("ws://localhost:80"), Some(("localhost:80", "/")));
        assert_eq!(split_url("http://x/"), None);
        assert_eq!(split_url("ws:///path"), None);
    }
}
