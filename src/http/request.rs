//! An HTTP/1.1 request: its method, target, version and header fields (RFC 9112, with the
//! field semantics of RFC 9110), and the errors that refuse one.
//!
//! `http/connection.rs` reads bytes from the socket and calls [`decode_head`] until it answers; then
//! [`body_length`] says how the body is delimited, and `http/connection.rs` reads that many bytes or
//! feeds them to a [`ChunkedDecoder`]. Nothing here touches a socket, so every rule is a test
//! over a byte string. The decoders live beside this file, one per part of the message:
//! `request/head.rs` for the request line and fields (RFC 9112 §2–§5), `request/body.rs` for
//! the body's framing (§6, §7).
//!
//! We are strict where leniency lets two parsers disagree about where a message ends, the
//! root of request smuggling: obs-fold, whitespace before a colon, bare CR and conflicting
//! lengths are all refused with 400. We are lenient only where the RFC invites it: empty
//! lines before the request line and a bare LF as a line end (RFC 9112 §2.2).

mod body;
mod head;

pub use body::{body_length, decode_chunked, BodyLength, ChunkedDecoder};
pub use head::decode_head;
pub(crate) use head::{decode_fields, is_token, next_line, parse_version};

use super::headers::Headers;
use super::probe::ConnectionProbe;
use super::response::Status;
use super::url;
use std::fmt;
use std::net::SocketAddr;

/// The request method (RFC 9110 §9). Method names are case-sensitive (§9.1): `get` is not
/// `GET` but an [`Method::Other`] that no route will match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Post,
    Put,
    Delete,
    Options,
    Patch,
    /// Any other token, as sent (`CONNECT`, `TRACE`, `PROPFIND`…).
    Other(String),
}

impl Method {
    /// The method named by `token`, exactly as written on the wire.
    pub fn from_token(token: &str) -> Method {
        match token {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "DELETE" => Method::Delete,
            "OPTIONS" => Method::Options,
            "PATCH" => Method::Patch,
            other => Method::Other(other.to_string()),
        }
    }

    /// The method's name as it appears on the wire: `"GET"`.
    pub fn as_str(&self) -> &str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
            Method::Options => "OPTIONS",
            Method::Patch => "PATCH",
            Method::Other(token) => token,
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The protocol versions we speak (RFC 9112 §2.3). Anything else is refused with 505.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    Http10,
    Http11,
}

impl Version {
    /// The version as written on the wire: `"HTTP/1.1"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Version::Http10 => "HTTP/1.0",
            Version::Http11 => "HTTP/1.1",
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One request: its head as decoded by [`decode_head`], then the body `http/connection.rs` read.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: Method,
    /// The request-target as sent: `/socket.io/?EIO=4&transport=polling`.
    pub target: String,
    /// The part of the target before `?`, still percent-encoded: `/socket.io/`.
    pub path: String,
    /// The part after `?`, without it; `""` when there is none.
    pub query: String,
    pub version: Version,
    pub headers: Headers,
    pub body: Vec<u8>,
    /// Who sent it, when it came from a socket.
    pub peer: Option<SocketAddr>,
    /// Asks whether the client has gone, for a handler that holds the request a while;
    /// set when the request came from a socket. See [`Request::client_gone`].
    pub probe: Option<ConnectionProbe>,
}

impl Request {
    /// A bodiless HTTP/1.1 request for `target` with no header fields, for tests and for
    /// building requests in-process. `target` is split at its first `?` and not validated.
    pub fn new(method: Method, target: &str) -> Request {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        Request {
            method,
            target: target.to_string(),
            path: path.to_string(),
            query: query.to_string(),
            version: Version::Http11,
            headers: Headers::new(),
            body: Vec::new(),
            peer: None,
            probe: None,
        }
    }

    /// The value of the first header field called `name` (compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)
    }

    /// The first query parameter called `name`, decoded (`+` is a space, `%XY` an octet).
    /// Parameters that do not decode are skipped, as if absent.
    pub fn query_param(&self, name: &str) -> Option<String> {
        url::query_value(&self.query, name)
    }

    /// Whether the client has closed or reset its connection since it sent this request
    /// (`probe.rs`); `false` for a request that came from no socket.
    pub fn client_gone(&self) -> bool {
        self.probe
            .as_ref()
            .is_some_and(ConnectionProbe::client_gone)
    }

    /// Whether the connection may carry another request after this one (RFC 9112 §9.3):
    /// HTTP/1.1 is persistent unless the client sent `Connection: close`; HTTP/1.0 only
    /// when the client asked with `Connection: keep-alive`.
    pub fn keep_alive(&self) -> bool {
        if self.headers.has_token("Connection", "close") {
            return false;
        }
        match self.version {
            Version::Http11 => true,
            Version::Http10 => self.headers.has_token("Connection", "keep-alive"),
        }
    }
}

/// How much a client may make us buffer before we refuse. Every limit holds on incomplete
/// input too: a client that never finishes its head is refused once it has sent too much.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Longest request line, its CRLF included (8 KiB, the floor RFC 9112 §3 recommends).
    pub max_request_line: usize,
    /// Longest head: request line, every field line and the blank line (16 KiB).
    pub max_header_bytes: usize,
    /// Most header field lines (100).
    pub max_headers: usize,
    /// Largest body, however it is framed (1 MiB).
    pub max_body: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_request_line: 8 * 1024,
            max_header_bytes: 16 * 1024,
            max_headers: 100,
            max_body: 1024 * 1024,
        }
    }
}

/// Why a request was refused: each variant names the rule the client broke.
/// [`RequestError::status`] picks the status we answer with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestError {
    /// The head breaks RFC 9112's grammar; the text says which rule.
    Malformed(&'static str),
    /// RFC 9112 §3.2: an HTTP/1.1 request must carry a `Host` field.
    MissingHost,
    /// RFC 9112 §3.2: a request must not carry more than one `Host` field.
    DuplicateHost,
    /// RFC 9112 §3: the request line does not fit `Limits::max_request_line`.
    UriTooLong,
    /// RFC 6585 §5: the head does not fit `max_header_bytes`, or has over `max_headers` fields.
    HeadersTooLarge,
    /// RFC 9110 §15.5.14: the body would exceed `Limits::max_body`.
    BodyTooLarge,
    /// RFC 9110 §15.6.6: a well-formed version other than HTTP/1.0 and HTTP/1.1.
    UnsupportedVersion,
    /// RFC 9112 §6.3 item 5: `Content-Length` is not digits, or repeats with another value.
    BadContentLength,
    /// RFC 9112 §6.1: both `Transfer-Encoding` and `Content-Length`, a smuggling attempt.
    ConflictingLength,
    /// RFC 9112 §6.3 item 4: `Transfer-Encoding` whose final coding is not `chunked`.
    ChunkedNotFinal,
    /// RFC 9112 §6.1: a transfer coding before `chunked` that we do not implement (`gzip`).
    UnsupportedTransferEncoding,
    /// RFC 9112 §7.1: the chunked body breaks its grammar; the text says how.
    BadChunk(&'static str),
}

impl RequestError {
    /// The status we answer with. This is the one place a request error picks a status; no
    /// wildcard arm, so a new variant does not compile until someone decides its status.
    pub fn status(&self) -> Status {
        match self {
            RequestError::Malformed(_)
            | RequestError::MissingHost
            | RequestError::DuplicateHost
            | RequestError::BadContentLength
            | RequestError::ConflictingLength
            | RequestError::ChunkedNotFinal
            | RequestError::BadChunk(_) => Status::BAD_REQUEST,
            RequestError::UriTooLong => Status::URI_TOO_LONG,
            RequestError::HeadersTooLarge => Status::REQUEST_HEADER_FIELDS_TOO_LARGE,
            RequestError::BodyTooLarge => Status::PAYLOAD_TOO_LARGE,
            RequestError::UnsupportedVersion => Status::HTTP_VERSION_NOT_SUPPORTED,
            RequestError::UnsupportedTransferEncoding => Status::NOT_IMPLEMENTED,
        }
    }
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestError::Malformed(rule) => write!(f, "malformed request: {rule}"),
            RequestError::MissingHost => {
                write!(f, "HTTP/1.1 request without a Host field (RFC 9112 §3.2)")
            }
            RequestError::DuplicateHost => {
                write!(f, "request with more than one Host field (RFC 9112 §3.2)")
            }
            RequestError::UriTooLong => write!(f, "request line longer than the limit"),
            RequestError::HeadersTooLarge => {
                write!(f, "request head over the byte or field-count limit")
            }
            RequestError::BodyTooLarge => write!(f, "request body over the size limit"),
            RequestError::UnsupportedVersion => {
                write!(f, "HTTP version other than 1.0 and 1.1 (RFC 9112 §2.3)")
            }
            RequestError::BadContentLength => {
                write!(
                    f,
                    "Content-Length is not one decimal number (RFC 9112 §6.3)"
                )
            }
            RequestError::ConflictingLength => {
                write!(
                    f,
                    "both Transfer-Encoding and Content-Length (RFC 9112 §6.1)"
                )
            }
            RequestError::ChunkedNotFinal => {
                write!(
                    f,
                    "Transfer-Encoding does not end in chunked (RFC 9112 §6.3)"
                )
            }
            RequestError::UnsupportedTransferEncoding => {
                write!(f, "transfer coding other than chunked (RFC 9112 §6.1)")
            }
            RequestError::BadChunk(rule) => write!(f, "malformed chunked body: {rule}"),
        }
    }
}

impl std::error::Error for RequestError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8]) -> Result<Option<(Request, usize)>, RequestError> {
        decode_head(bytes, &Limits::default())
    }

    fn decoded(bytes: &[u8]) -> Request {
        decode(bytes).unwrap().expect("a complete head").0
    }

    // keep-alive, RFC 9112 §9.3

    #[test]
    fn http11_is_persistent_unless_connection_close() {
        assert!(decoded(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").keep_alive());
        assert!(!decoded(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: Close\r\n\r\n").keep_alive());
        assert!(
            !decoded(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: upgrade, close\r\n\r\n")
                .keep_alive()
        );
    }

    #[test]
    fn http10_is_persistent_only_with_connection_keep_alive() {
        assert!(!decoded(b"GET / HTTP/1.0\r\n\r\n").keep_alive());
        assert!(decoded(b"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").keep_alive());
    }

    #[test]
    fn query_param_decodes_the_first_match() {
        let req = Request::new(Method::Get, "/socket.io/?EIO=4&name=a+b%21&name=second");
        assert_eq!(req.query_param("EIO").as_deref(), Some("4"));
        assert_eq!(req.query_param("name").as_deref(), Some("a b!"));
        assert_eq!(req.query_param("sid"), None);
    }

    #[test]
    fn method_displays_as_its_wire_name() {
        assert_eq!(Method::Options.to_string(), "OPTIONS");
        assert_eq!(Method::Other("PROPFIND".into()).as_str(), "PROPFIND");
        assert_eq!(Version::Http10.to_string(), "HTTP/1.0");
    }

    #[test]
    fn every_error_maps_to_the_status_its_rule_names() {
        let cases = [
            (RequestError::Malformed("x"), 400),
            (RequestError::MissingHost, 400),
            (RequestError::DuplicateHost, 400),
            (RequestError::BadContentLength, 400),
            (RequestError::ConflictingLength, 400),
            (RequestError::ChunkedNotFinal, 400),
            (RequestError::BadChunk("x"), 400),
            (RequestError::BodyTooLarge, 413),
            (RequestError::UriTooLong, 414),
            (RequestError::HeadersTooLarge, 431),
            (RequestError::UnsupportedTransferEncoding, 501),
            (RequestError::UnsupportedVersion, 505),
        ];
        for (error, code) in cases {
            assert_eq!(error.status().code(), code, "{error}");
        }
    }

    #[test]
    fn every_error_has_a_log_line() {
        let message = RequestError::Malformed("line folding").to_string();
        assert_eq!(message, "malformed request: line folding");
        assert!(RequestError::MissingHost.to_string().contains("§3.2"));
    }
}
