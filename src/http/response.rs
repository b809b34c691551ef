//! An HTTP/1.1 response: a status, header fields and a body, and how it goes on the wire
//! (RFC 9112 §4, §6); also a response's head as a client reads it.
//!
//! Handlers build a [`Response`]; `http/connection.rs` calls [`Response::write_to`], which owns the
//! framing: it always writes `Content-Length` itself (RFC 9112 §6.3), because a wrong length
//! desynchronises the connection for every later request on it. The WebSocket client role
//! reads the server's `101` with [`ResponseHead::decode`].

use super::date::write_imf_fixdate;
use super::headers::Headers;
use super::request::{decode_fields, next_line, parse_version, Limits, RequestError};
use std::borrow::Cow;
use std::fmt::{self, Write as _};
use std::io::{self, Write};
use std::sync::Arc;
use std::time::SystemTime;

/// A status code (RFC 9110 §15). Any three-digit code is allowed; the constants name the
/// ones we send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status(pub u16);

impl Status {
    pub const SWITCHING_PROTOCOLS: Status = Status(101);
    pub const OK: Status = Status(200);
    pub const NO_CONTENT: Status = Status(204);
    pub const BAD_REQUEST: Status = Status(400);
    pub const FORBIDDEN: Status = Status(403);
    pub const NOT_FOUND: Status = Status(404);
    pub const METHOD_NOT_ALLOWED: Status = Status(405);
    pub const LENGTH_REQUIRED: Status = Status(411);
    pub const PAYLOAD_TOO_LARGE: Status = Status(413);
    pub const URI_TOO_LONG: Status = Status(414);
    pub const UPGRADE_REQUIRED: Status = Status(426);
    pub const REQUEST_HEADER_FIELDS_TOO_LARGE: Status = Status(431);
    pub const INTERNAL_SERVER_ERROR: Status = Status(500);
    pub const NOT_IMPLEMENTED: Status = Status(501);
    pub const SERVICE_UNAVAILABLE: Status = Status(503);
    pub const HTTP_VERSION_NOT_SUPPORTED: Status = Status(505);

    /// The number: `404`.
    pub fn code(self) -> u16 {
        self.0
    }

    /// The reason phrase RFC 9110 §15 gives the code, or `""` for codes we do not know: the
    /// phrase is only for humans (RFC 9112 §4: a client SHOULD ignore it) and may be empty.
    pub fn reason(self) -> &'static str {
        match self.0 {
            101 => "Switching Protocols",
            200 => "OK",
            201 => "Created",
            204 => "No Content",
            301 => "Moved Permanently",
            302 => "Found",
            304 => "Not Modified",
            400 => "Bad Request",
            403 => "Forbidden",
            404 => "Not Found",
            405 => "Method Not Allowed",
            408 => "Request Timeout",
            411 => "Length Required",
            413 => "Content Too Large", // RFC 9110 §15.5.14, once "Payload Too Large"
            414 => "URI Too Long",
            426 => "Upgrade Required",
            431 => "Request Header Fields Too Large", // RFC 6585 §5
            500 => "Internal Server Error",
            501 => "Not Implemented",
            503 => "Service Unavailable",
            505 => "HTTP Version Not Supported",
            _ => "",
        }
    }

    /// Whether a response with this status never has content (RFC 9112 §6.3 item 1).
    fn forbids_content(self) -> bool {
        self.is_informational() || self.0 == 204 || self.0 == 304
    }

    /// Whether a response with this status must not carry `Content-Length` (RFC 9110 §8.6).
    fn forbids_content_length(self) -> bool {
        self.is_informational() || self.0 == 204
    }

    /// 1xx: an interim response; `101` hands the connection to another protocol.
    fn is_informational(self) -> bool {
        (100..200).contains(&self.0)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.0, self.reason())
    }
}

/// Bodies up to this size go out in the same `write` call as the head. Two small writes can
/// cost a round trip: Nagle's algorithm holds the second until the first is acknowledged,
/// and the client may delay that acknowledgement (RFC 1122 §4.2.3.2). Bigger bodies are
/// written separately rather than copied.
const COALESCE_LIMIT: usize = 64 * 1024;

/// A response to write: build one with a constructor, add fields with
/// [`Response::with_header`], and let `http/connection.rs` call [`Response::write_to`].
#[derive(Debug, Clone)]
pub struct Response {
    pub status: Status,
    pub headers: Headers,
    pub body: Cow<'static, [u8]>,
    /// Told when this response could not be written ([`Response::on_write_failure`]).
    write_failure: Option<WriteFailure>,
}

/// What to do when a response could not be written: for a response that carried data the
/// handler took out of somewhere (a polling session's queue), the only one who can tell
/// that it never arrived.
#[derive(Clone)]
struct WriteFailure(Arc<dyn Fn() + Send + Sync>);

impl fmt::Debug for WriteFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WriteFailure(..)")
    }
}

impl Response {
    /// A response with no header fields and an empty body.
    pub fn new(status: Status) -> Response {
        Response {
            status,
            headers: Headers::new(),
            body: Cow::Borrowed(&[]),
            write_failure: None,
        }
    }

    /// `200 OK` with an HTML page.
    pub fn html(body: impl Into<Cow<'static, [u8]>>) -> Response {
        Response::bytes(Status::OK, "text/html; charset=utf-8", body)
    }

    /// A plain-text response.
    pub fn text(status: Status, body: impl Into<String>) -> Response {
        Response::bytes(
            status,
            "text/plain; charset=utf-8",
            body.into().into_bytes(),
        )
    }

    /// A response with `body` labelled as `content_type`.
    pub fn bytes(
        status: Status,
        content_type: &str,
        body: impl Into<Cow<'static, [u8]>>,
    ) -> Response {
        let mut response = Response::new(status);
        response.headers.set("Content-Type", content_type);
        response.body = body.into();
        response
    }

    /// The plain-text error page for `status`: `404 Not Found` and a newline.
    pub fn error(status: Status) -> Response {
        Response::text(status, format!("{status}\n"))
    }

    /// Sets the field `name` to `value`, replacing any earlier field of that name.
    pub fn with_header(mut self, name: &str, value: impl AsRef<str>) -> Response {
        self.headers.set(name, value);
        self
    }

    /// Runs `hook` (on the connection's thread) if writing this response fails: the client
    /// has gone, or stopped reading for longer than the write timeout. A handler whose
    /// answer removed something from a queue uses it so that the loss is not silent.
    pub fn on_write_failure(mut self, hook: impl Fn() + Send + Sync + 'static) -> Response {
        self.write_failure = Some(WriteFailure(Arc::new(hook)));
        self
    }

    /// Tells the hook of [`Response::on_write_failure`], if there is one, that the write
    /// failed.
    pub(crate) fn report_write_failure(&self) {
        if let Some(WriteFailure(hook)) = &self.write_failure {
            hook();
        }
    }

    /// Whether this response asks to close the connection (`Connection: close`, set by its
    /// handler), so `http/connection.rs` must close after writing it (RFC 9112 §9.6).
    pub fn closes_connection(&self) -> bool {
        self.headers.has_token("Connection", "close")
    }

    /// Writes the status line, the header fields and the body, in one `write` call when the
    /// body is small, and flushes.
    ///
    /// We add what the framing needs: `Date` unless set (RFC 9110 §6.6.1); `Content-Length`
    /// for the body unless the status is 1xx or 204 (RFC 9110 §8.6), replacing any the
    /// handler set; `Connection: close` when `keep_alive` is false (RFC 9112 §9.6), except on
    /// a 101, after which the connection belongs to the new protocol. With `head_only` (the
    /// answer to HEAD, RFC 9110 §9.3.2) the length is the body's, but no body is written.
    ///
    /// # Errors
    /// The writer's errors, and `InvalidData` for a field with CR, LF or NUL in it: such a
    /// field would let its value start a header or response of its own (RFC 9110 §5.5).
    pub fn write_to(
        &self,
        w: &mut impl Write,
        head_only: bool,
        keep_alive: bool,
    ) -> io::Result<()> {
        let mut out = self.head(keep_alive)?;
        let body: &[u8] = if head_only || self.status.forbids_content() {
            &[]
        } else {
            &self.body
        };
        if body.len() <= COALESCE_LIMIT {
            out.extend_from_slice(body);
            w.write_all(&out)?;
        } else {
            w.write_all(&out)?;
            w.write_all(body)?;
        }
        w.flush()
    }

    /// The status line and fields, through the blank line: written into one buffer sized
    /// for them up front, so that a head costs one allocation, not one per line.
    fn head(&self, keep_alive: bool) -> io::Result<Vec<u8>> {
        let fields: usize = self
            .headers
            .iter()
            .map(|(n, v)| n.len() + v.len() + 4)
            .sum();
        let mut out = String::with_capacity(fields + 128);
        // RFC 9112 §2.3: we answer with the highest 1.x version we speak, also to HTTP/1.0.
        // (`write!` into a String cannot fail.)
        let _ = write!(
            out,
            "HTTP/1.1 {} {}\r\n",
            self.status.code(),
            self.status.reason()
        );
        for (name, value) in self.headers.iter() {
            check_field(name, value)?;
            // The framing is ours to write; we never send a chunked body.
            if !name.eq_ignore_ascii_case("Content-Length")
                && !name.eq_ignore_ascii_case("Transfer-Encoding")
            {
                for part in [name, ": ", value, "\r\n"] {
                    out.push_str(part);
                }
            }
        }
        if !self.headers.contains("Date") {
            out.push_str("Date: ");
            write_imf_fixdate(&mut out, SystemTime::now());
            out.push_str("\r\n");
        }
        if !self.status.forbids_content_length() {
            let _ = write!(out, "Content-Length: {}\r\n", self.body.len());
        }
        if !keep_alive && self.status != Status::SWITCHING_PROTOCOLS {
            // A second Connection line is as good as a merged one (RFC 9110 §5.3).
            out.push_str("Connection: close\r\n");
        }
        out.push_str("\r\n");
        Ok(out.into_bytes())
    }
}

/// Refuses a field whose name is not a token or whose value holds CR, LF or NUL, so that no
/// value (perhaps copied from a request) can split our response (RFC 9110 §5.5).
fn check_field(name: &str, value: &str) -> io::Result<()> {
    let bad_value = value.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0);
    if !super::request::is_token(name.as_bytes()) || bad_value {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "refusing to write header field {name:?}: not a token, or CR/LF/NUL in its value"
            ),
        ));
    }
    Ok(())
}

/// A response's status line and header fields, as a client reads them (RFC 9112 §4). The
/// WebSocket client role needs it to check the server's `101 Switching Protocols`.
#[derive(Debug, Clone)]
pub struct ResponseHead {
    pub status: Status,
    /// The reason phrase as sent; informative only.
    pub reason: String,
    pub headers: Headers,
}

impl ResponseHead {
    /// Decodes a response head from the front of `buf`, returning it and its length through
    /// the blank line. `Ok(None)` means it has not all arrived: read more and call again.
    ///
    /// # Errors
    /// The same [`RequestError`]s and [`Limits`] as a request head (`max_request_line`
    /// bounds the status line); their `status()` means nothing on the client side.
    pub fn decode(
        buf: &[u8],
        limits: &Limits,
    ) -> Result<Option<(ResponseHead, usize)>, RequestError> {
        let Some((line, fields_start)) = next_line(buf, 0) else {
            if buf.len() >= limits.max_request_line {
                return Err(RequestError::UriTooLong);
            }
            return Ok(None);
        };
        if fields_start > limits.max_request_line {
            return Err(RequestError::UriTooLong);
        }
        let (status, reason) = parse_status_line(line)?;
        let Some((headers, head_len)) = decode_fields(buf, fields_start, limits)? else {
            return Ok(None);
        };
        Ok(Some((
            ResponseHead {
                status,
                reason,
                headers,
            },
            head_len,
        )))
    }
}

/// RFC 9112 §4: `HTTP-version SP status-code SP [ reason-phrase ]`. We also accept a status
/// line that ends right after the code, which some servers send when the reason is empty.
fn parse_status_line(line: &[u8]) -> Result<(Status, String), RequestError> {
    let malformed =
        RequestError::Malformed("status line is not version SP 3DIGIT SP reason (RFC 9112 §4)");
    let mut parts = line.splitn(3, |&b| b == b' ');
    let (Some(version), Some(code)) = (parts.next(), parts.next()) else {
        return Err(malformed);
    };
    parse_version(version)?;
    let [a, b, c] = code else {
        return Err(malformed);
    };
    if ![a, b, c].iter().all(|d| d.is_ascii_digit()) {
        return Err(malformed);
    }
    let code = u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0');
    let reason = parts.next().unwrap_or(b"");
    // reason-phrase = *( HTAB / SP / VCHAR / obs-text ): no control characters.
    if reason
        .iter()
        .any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f)
    {
        return Err(malformed);
    }
    Ok((Status(code), String::from_utf8_lossy(reason).into_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXED_DATE: &str = "Sun, 06 Nov 1994 08:49:37 GMT";

    /// The bytes `write_to` produces, with a fixed Date so they can be compared exactly.
    fn wire(response: Response, head_only: bool, keep_alive: bool) -> String {
        let mut out = Vec::new();
        response
            .with_header("Date", FIXED_DATE)
            .write_to(&mut out, head_only, keep_alive)
            .unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_write_failure_hook_runs_only_when_told() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let told = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&told);
        let response = Response::text(Status::OK, "queued packets").on_write_failure(move || {
            counter.fetch_add(1, Ordering::SeqCst);
        });
        let mut sink = Vec::new();
        response.write_to(&mut sink, false, true).unwrap();
        assert_eq!(told.load(Ordering::SeqCst), 0, "a write alone tells nobody");
        response.report_write_failure();
        assert_eq!(told.load(Ordering::SeqCst), 1);
        Response::error(Status::NOT_FOUND).report_write_failure(); // no hook: nothing to do
    }

    #[test]
    fn text_response_has_type_length_and_body_in_order() {
        let bytes = wire(Response::text(Status::OK, "hi"), false, true);
        assert_eq!(
            bytes,
            format!(
                "HTTP/1.1 200 OK\r\n\
                 Content-Type: text/plain; charset=utf-8\r\n\
                 Date: {FIXED_DATE}\r\n\
                 Content-Length: 2\r\n\r\nhi"
            )
        );
    }

    #[test]
    fn date_is_added_when_the_handler_set_none_per_rfc9110_section_6_6_1() {
        let mut out = Vec::new();
        Response::new(Status::NO_CONTENT)
            .write_to(&mut out, false, true)
            .unwrap();
        let text = String::from_utf8(out).unwrap();
        let date = text
            .lines()
            .find_map(|l| l.strip_prefix("Date: "))
            .expect("a Date field");
        assert!(
            date.ends_with(" GMT") && date.len() == FIXED_DATE.len(),
            "{date}"
        );
    }

    #[test]
    fn head_response_keeps_the_get_length_but_sends_no_body_per_rfc9110_section_9_3_2() {
        let bytes = wire(Response::html(&b"<h1>hi</h1>"[..]), true, true);
        assert!(bytes.contains("Content-Length: 11\r\n"));
        assert!(bytes.ends_with("\r\n\r\n"));
    }

    #[test]
    fn no_content_and_switching_protocols_carry_no_length_per_rfc9110_section_8_6() {
        for status in [Status::NO_CONTENT, Status::SWITCHING_PROTOCOLS] {
            let bytes = wire(Response::text(status, "ignored"), false, true);
            assert!(!bytes.contains("Content-Length"), "{status}");
            assert!(bytes.ends_with("\r\n\r\n"), "{status}: no body either");
        }
    }

    #[test]
    fn handler_set_framing_fields_are_replaced_by_ours() {
        let response = Response::text(Status::OK, "abc")
            .with_header("Content-Length", "999")
            .with_header("Transfer-Encoding", "chunked");
        let bytes = wire(response, false, true);
        assert!(bytes.contains("Content-Length: 3\r\n") && !bytes.contains("999"));
        assert!(!bytes.contains("Transfer-Encoding"));
    }

    #[test]
    fn connection_close_is_added_unless_keep_alive_or_101() {
        assert!(wire(Response::new(Status::OK), false, false).contains("Connection: close\r\n"));
        assert!(!wire(Response::new(Status::OK), false, true).contains("Connection"));
        let upgrade =
            Response::new(Status::SWITCHING_PROTOCOLS).with_header("Connection", "Upgrade");
        assert!(!wire(upgrade, false, false).contains("close"));
    }

    #[test]
    fn handler_asking_to_close_is_visible_to_the_server() {
        assert!(Response::new(Status::OK)
            .with_header("Connection", "close")
            .closes_connection());
        assert!(!Response::new(Status::OK).closes_connection());
    }

    #[test]
    fn value_with_crlf_is_refused_rather_than_splitting_the_response() {
        let evil = Response::new(Status::OK).with_header("X-Name", "a\r\nSet-Cookie: x=1");
        let err = evil.write_to(&mut Vec::new(), false, true).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        let bad_name = Response::new(Status::OK).with_header("Bad Name", "x");
        assert!(bad_name.write_to(&mut Vec::new(), false, true).is_err());
    }

    /// Counts `write` calls, to check that head and small body go out together.
    struct CountingWriter {
        writes: usize,
        bytes: Vec<u8>,
    }

    impl Write for CountingWriter {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.writes += 1;
            self.bytes.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn head_and_small_body_go_out_in_one_write() {
        let mut w = CountingWriter {
            writes: 0,
            bytes: Vec::new(),
        };
        Response::text(Status::OK, "hello")
            .write_to(&mut w, false, true)
            .unwrap();
        assert_eq!(w.writes, 1);
        let big = Response::bytes(
            Status::OK,
            "application/octet-stream",
            vec![7u8; COALESCE_LIMIT + 1],
        );
        let mut w = CountingWriter {
            writes: 0,
            bytes: Vec::new(),
        };
        big.write_to(&mut w, false, true).unwrap();
        assert_eq!(w.writes, 2);
        assert!(w.bytes.ends_with(&[7u8; 16]));
    }

    #[test]
    fn error_page_names_its_status() {
        let response = Response::error(Status::NOT_FOUND);
        assert_eq!(
            (response.status, &*response.body),
            (Status::NOT_FOUND, &b"404 Not Found\n"[..])
        );
        assert_eq!(Status(599).reason(), "");
        assert_eq!(
            Status::HTTP_VERSION_NOT_SUPPORTED.to_string(),
            "505 HTTP Version Not Supported"
        );
    }

    #[test]
    fn unknown_status_writes_an_empty_reason() {
        assert!(wire(Response::new(Status(599)), false, true).starts_with("HTTP/1.1 599 \r\n"));
    }

    #[test]
    fn with_header_replaces_an_earlier_value() {
        let response = Response::html(&b""[..]).with_header("content-type", "text/css");
        assert_eq!(
            response.headers.get_all("Content-Type").collect::<Vec<_>>(),
            ["text/css"]
        );
    }

    // ResponseHead, RFC 9112 §4

    /// A 101 followed at once by the server's first frame, as a client may read them.
    const SWITCHING: &[u8] = b"HTTP/1.1 101 Switching Protocols\r\n\
        Upgrade: websocket\r\n\
        Connection: Upgrade\r\n\
        Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n\
        \x81\x02hi";

    #[test]
    fn switching_protocols_head_decodes_and_leaves_the_first_frame() {
        let (head, used) = ResponseHead::decode(SWITCHING, &Limits::default())
            .unwrap()
            .expect("complete");
        assert_eq!(
            (head.status, head.reason.as_str()),
            (Status::SWITCHING_PROTOCOLS, "Switching Protocols")
        );
        assert_eq!(head.headers.get("upgrade"), Some("websocket"));
        assert_eq!(&SWITCHING[used..], b"\x81\x02hi");
    }

    #[test]
    fn every_prefix_of_a_response_head_is_incomplete() {
        let head_len = SWITCHING.len() - 4;
        for split in 0..head_len {
            let decoded = ResponseHead::decode(&SWITCHING[..split], &Limits::default()).unwrap();
            assert!(decoded.is_none(), "split at {split}");
        }
    }

    #[test]
    fn status_line_may_have_an_empty_or_missing_reason() {
        for line in ["HTTP/1.1 204 ", "HTTP/1.1 204", "HTTP/1.0 204 No Content"] {
            let bytes = format!("{line}\r\n\r\n");
            let (head, _) = ResponseHead::decode(bytes.as_bytes(), &Limits::default())
                .unwrap()
                .expect("complete");
            assert_eq!(head.status, Status::NO_CONTENT, "{line}");
        }
    }

    #[test]
    fn malformed_status_lines_are_refused() {
        for line in [
            "HTTP/1.1 20 OK",
            "HTTP/1.1 2000 OK",
            "HTTP/1.1 abc OK",
            "ICY 200 OK",
            "HTTP/1.1",
        ] {
            let bytes = format!("{line}\r\n\r\n");
            assert!(
                ResponseHead::decode(bytes.as_bytes(), &Limits::default()).is_err(),
                "{line}"
            );
        }
        let http2 = ResponseHead::decode(b"HTTP/2.0 200 OK\r\n\r\n", &Limits::default());
        assert_eq!(http2.unwrap_err(), RequestError::UnsupportedVersion);
    }
}
