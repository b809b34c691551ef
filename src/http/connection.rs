//! One HTTP/1.1 connection on its own thread: read a request, answer it, repeat while the
//! connection is kept alive (RFC 9112 §9.3); or hand it over to a WebSocket for good.
//!
//! Where it sits: `server.rs` accepts the TCP stream and starts this thread; the router
//! picks the handler; a WebSocket route runs the handshake (`websocket/handshake.rs`) and
//! then the handler keeps this same thread for the life of the WebSocket.
//!
//! Every way a request can go wrong ends here with one clear answer: [`ReadError::response`]
//! is the one place that picks it (400, 408, 413, 414, 431, 501, 505), then the connection
//! closes. A handler that panics gets the client a `500` and ends only this connection.
//!
//! A body larger than the read buffer first takes its bytes from the server's memory budget
//! (`memory_budget.rs`), which every connection shares: when it is spent, this request is
//! refused with `413` and the server goes on.

use std::io::{self, Read};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::config::ServerConfig;
use super::probe::ConnectionProbe;
use super::request::{
    body_length, decode_head, BodyLength, ChunkedDecoder, Method, Request, RequestError,
};
use super::response::{Response, Status};
use super::router::{Route, Router, Upgrade, WebSocketHandler};
use super::server::Registration;
use crate::memory_budget::{OverBudget, Reservation};
use crate::metrics::Refusal;
use crate::read_buffer::ReadBuffer;
use crate::websocket::{handshake, Role, WebSocket};

/// Why no request could be read.
#[derive(Debug)]
enum ReadError {
    /// The bytes broke a rule of HTTP/1.1 or one of our limits.
    Request(RequestError),
    /// The head or the body did not arrive in time (slowloris, or a stalled upload).
    Timeout,
    /// The body is within the limits, but the memory budget every connection shares has too
    /// little left for it.
    OverBudget(OverBudget),
    /// The client closed the connection in the middle of a request.
    ClosedMidRequest,
    /// The socket failed.
    Io(io::Error),
}

impl ReadError {
    /// The one place that decides what the client is told, and counts the refusal for
    /// `/metrics`; `None` when nobody is left to tell. The connection closes after any of
    /// these.
    fn response(&self) -> Option<Response> {
        let (refusal, response) = match self {
            ReadError::Request(e) => (refusal_of(e), Response::error(e.status())),
            ReadError::Timeout => (Refusal::RequestTimeout, Response::error(Status(408))),
            // RFC 9110 §15.5.14: a 413 for a condition that passes SHOULD carry Retry-After;
            // the budget frees as other bodies arrive.
            ReadError::OverBudget(_) => (
                Refusal::MemoryBudget,
                Response::error(Status::PAYLOAD_TOO_LARGE).with_header("Retry-After", "1"),
            ),
            ReadError::ClosedMidRequest | ReadError::Io(_) => return None,
        };
        refusal.count();
        Some(response)
    }
}

/// The `/metrics` reason for a request error: its status names it, and
/// `RequestError::status` is the one place a request error picks its status.
fn refusal_of(error: &RequestError) -> Refusal {
    match error.status() {
        Status::URI_TOO_LONG => Refusal::UriTooLong,
        Status::REQUEST_HEADER_FIELDS_TOO_LARGE => Refusal::HeadersTooLarge,
        Status::PAYLOAD_TOO_LARGE => Refusal::BodyTooLarge,
        Status::HTTP_VERSION_NOT_SUPPORTED => Refusal::HttpVersion,
        Status::NOT_IMPLEMENTED => Refusal::TransferCoding,
        _ => Refusal::BadRequest,
    }
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Request(e) => write!(f, "{e} ({})", e.status().code()),
            ReadError::Timeout => write!(f, "request not received in time (408)"),
            ReadError::OverBudget(e) => write!(f, "body refused, {e} (413)"),
            ReadError::ClosedMidRequest => write!(f, "client closed the connection mid-request"),
            ReadError::Io(e) => write!(f, "socket error: {e}"),
        }
    }
}

/// The connection thread's body: HTTP requests, then perhaps a WebSocket for good.
///
/// The two run one after the other, not one inside the other: a thread keeps every stack
/// page it ever touched, and with the HTTP loop's and the handshake's frames gone, the
/// WebSocket's calls reuse their pages instead of going deeper. The WebSocket's life is what
/// an idle connection spends its hours in, so its depth is what ten thousand of them keep
/// (NOTES.md chapter 14, memory per connection; `thread_stack.rs` gives back the pages below
/// it). What passes from one to the other is boxed, a pointer's width in this frame.
pub(crate) fn run(
    stream: Arc<TcpStream>,
    peer: SocketAddr,
    config: &ServerConfig,
    router: &Router,
    registration: Registration,
) {
    let Some(accepted) = serve_http(&stream, peer, config, router, &registration) else {
        return;
    };
    registration.became_websocket(accepted.websocket.sender());
    if catch_unwind(AssertUnwindSafe(move || accepted.run())).is_err() {
        crate::log!(
            "{} WebSocket handler panicked: connection closed",
            display(Some(peer))
        );
    }
}

/// Answers requests while the connection is kept alive; returns the WebSocket that a
/// request for one opened, if one did.
#[inline(never)]
fn serve_http(
    stream: &Arc<TcpStream>,
    peer: SocketAddr,
    config: &ServerConfig,
    router: &Router,
    registration: &Registration,
) -> Option<Box<Accepted>> {
    let _ = stream.set_nodelay(true);
    let _ = stream.set_write_timeout(Some(config.write_timeout));
    let mut input = ReadBuffer::new(config.read_buffer);
    let mut timeout = ReadTimeout::default();
    loop {
        let mut request = match read_request(stream, &mut input, &mut timeout, config) {
            Ok(Some(request)) => request,
            Ok(None) => break,
            Err(e) => {
                crate::log!("{peer} bad request: {e}");
                if let Some(response) = e.response() {
                    let _ = response.write_to(&mut &**stream, false, false);
                }
                break;
            }
        };
        request.peer = Some(peer);
        request.probe = Some(ConnectionProbe::new(Arc::clone(stream)));
        let response = match router.find(&request) {
            Route::WebSocket(handler) => {
                return upgrade(Arc::clone(stream), input, request, handler, config);
            }
            Route::Http(handler) => call(handler.as_ref(), &request, peer),
            Route::Static(response) => response,
            Route::NotFound => Response::error(Status::NOT_FOUND),
            Route::MethodNotAllowed { allow } => {
                // RFC 9110 §15.5.6: a 405 must say which methods the resource does allow.
                Response::error(Status::METHOD_NOT_ALLOWED).with_header("Allow", allow)
            }
        };
        // RFC 9112 §9.6: a response that says `Connection: close` ends the connection.
        let keep_alive = request.keep_alive()
            && !response.closes_connection()
            && !registration.server_shutting_down()
            && response.status != Status::INTERNAL_SERVER_ERROR;
        let head_only = request.method == Method::Head;
        if let Err(e) = response.write_to(&mut &**stream, head_only, keep_alive) {
            crate::debug!("{peer} response not written: {e}");
            response.report_write_failure();
            break;
        }
        if !keep_alive {
            break;
        }
        input.shrink();
    }
    close_gently(stream);
    None
}

/// Runs an HTTP handler; a panic becomes a `500` for this request only.
fn call(
    handler: &(dyn Fn(&Request) -> Response + Send + Sync),
    request: &Request,
    peer: SocketAddr,
) -> Response {
    match catch_unwind(AssertUnwindSafe(|| handler(request))) {
        Ok(response) => response,
        Err(_) => {
            crate::log!(
                "{peer} handler for {} {} panicked: answered 500",
                request.method,
                request.path
            );
            Response::error(Status::INTERNAL_SERVER_ERROR)
        }
    }
}

/// A WebSocket that the handshake opened, and the route's handler to run on it.
struct Accepted {
    handler: Box<dyn FnOnce(WebSocket) + Send>,
    websocket: WebSocket,
}

impl Accepted {
    /// Runs the handler until the WebSocket ends. The handler takes the WebSocket by value,
    /// so this frame holds the one copy of it that the call needs; the handlers of this
    /// crate then lend it on (`&mut WebSocket`) rather than move it, since every move into
    /// a callee is another copy on the stack.
    fn run(self: Box<Self>) {
        let Accepted { handler, websocket } = *self;
        handler(websocket);
    }
}

/// RFC 6455 §4.2: let the route decide (a `Router::upgrade` route may refuse with a response
/// of its own; a panic there answers 500), check the upgrade request, answer 101, and return
/// the WebSocket with the handler that [`run`] then runs on this thread until the WebSocket
/// ends. A refused handshake gets its status (400, 403, 426) from `HandshakeError::response`;
/// after any refusal the connection closes and this returns `None`.
fn upgrade(
    stream: Arc<TcpStream>,
    input: ReadBuffer,
    request: Request,
    handler: &WebSocketHandler,
    config: &ServerConfig,
) -> Option<Box<Accepted>> {
    let peer = request.peer;
    let accepted = match catch_unwind(AssertUnwindSafe(|| handler(&request))) {
        Ok(Upgrade::Accept(run)) => handshake::accept(&request, &config.websocket.origins)
            .map(|switching| (run, switching))
            .map_err(|e| {
                crate::log!("{} WebSocket handshake refused: {e}", display(peer));
                e.response()
            }),
        Ok(Upgrade::Refuse(response)) => Err(response),
        Err(_) => {
            crate::log!(
                "{} the upgrade handler panicked: answered 500",
                display(peer)
            );
            Err(Response::error(Status::INTERNAL_SERVER_ERROR))
        }
    };
    // Every refusal ends the same way: its answer, then the connection closes.
    let (run, switching) = match accepted {
        Ok(accepted) => accepted,
        Err(refusal) => {
            let _ = refusal.write_to(&mut &*stream, false, false);
            close_gently(&stream);
            return None;
        }
    };
    if switching.write_to(&mut &*stream, false, true).is_err() {
        return None;
    }
    // Bytes the client sent right behind its handshake are the start of its first frame.
    // The HTTP read buffer and the request are dropped as this returns: the connection may
    // now stay open for hours, and every idle connection would keep them (NOTES.md,
    // chapter 14: memory per connection).
    match WebSocket::from_upgraded(stream, input.data(), Role::Server, &config.websocket) {
        // Its large messages count against the same budget as this server's bodies.
        Ok(websocket) => Some(Box::new(Accepted {
            handler: run,
            websocket: websocket.with_memory_budget(&config.memory_budget),
        })),
        Err(e) => {
            crate::log!("{} cannot start the WebSocket: {e}", display(peer));
            None
        }
    }
}

fn display(peer: Option<SocketAddr>) -> String {
    peer.map_or_else(|| "?".to_string(), |p| p.to_string())
}

/// Reads one request: `Ok(None)` when the client closed the connection or left it idle
/// past the idle timeout between requests — the normal end of a keep-alive connection.
///
/// A large body's bytes are reserved from the memory budget while it arrives, and given back
/// as this returns: a whole body is the handler's, which the client cannot make us hold
/// longer by sending slowly — the same rule as a WebSocket message once `recv` returns it.
fn read_request(
    stream: &TcpStream,
    input: &mut ReadBuffer,
    read_timeout: &mut ReadTimeout,
    config: &ServerConfig,
) -> Result<Option<Request>, ReadError> {
    let limits = &config.limits;
    let max_buffered = limits.max_header_bytes + 2 * limits.max_body + config.read_buffer;
    // The header timeout runs from the first byte of the request, and is one deadline for
    // the whole head: a client trickling a byte at a time cannot extend it.
    let mut first_byte = (!input.is_empty()).then(Instant::now);
    let (mut request, head_len) = loop {
        if !input.is_empty() {
            if let Some(done) = decode_head(input.data(), limits).map_err(ReadError::Request)? {
                break done;
            }
        }
        let timeout = match first_byte {
            None => config.idle_timeout,
            Some(t0) => left_until(t0 + config.header_timeout)?,
        };
        match fill(stream, input, read_timeout, timeout, max_buffered) {
            Ok(0) if input.is_empty() => return Ok(None),
            Ok(0) => return Err(ReadError::ClosedMidRequest),
            Ok(_) => {
                first_byte.get_or_insert_with(Instant::now);
            }
            Err(e) if is_timeout(&e) && first_byte.is_none() => return Ok(None),
            Err(e) if is_timeout(&e) => return Err(ReadError::Timeout),
            Err(e) => return Err(ReadError::Io(e)),
        }
    };
    input.consume(head_len);
    let length = body_length(&request, limits).map_err(ReadError::Request)?;
    // Reserved before the 100 Continue, so a body the budget cannot take is never sent.
    let mut held = None;
    if let BodyLength::Fixed(n) = length {
        hold_body(&mut held, n, config)?;
    }
    if length != BodyLength::Empty {
        send_continue_if_expected(stream, &request);
    }
    let deadline = Instant::now() + config.body_timeout;
    request.body = match length {
        BodyLength::Empty => Vec::new(),
        BodyLength::Fixed(n) => read_fixed_body(stream, input, n, read_timeout, deadline)?,
        BodyLength::Chunked => {
            let mut decoder = ChunkedDecoder::with_trailer_limit(limits.max_header_bytes);
            loop {
                let done = decoder
                    .decode(input.data(), limits.max_body)
                    .map_err(ReadError::Request)?;
                if let Some(used) = done {
                    input.consume(used);
                    // The buffer grew to hold the chunks; it goes back with the reservation.
                    input.shrink();
                    break decoder.take_body();
                }
                read_more(stream, input, read_timeout, deadline, max_buffered)?;
                // The chunks stay in the buffer until the last one is in, and their data is
                // copied out as it is decoded: the body holds up to twice what was read.
                hold_body(&mut held, 2 * input.len(), config)?;
            }
        }
    };
    Ok(Some(request))
}

/// Takes `bytes` for this request's body from the memory budget (growing what `held` has),
/// unless they fit in the read buffer: every connection has that much anyway, so small
/// bodies never touch the shared count and are never refused. Callers pass a length
/// already checked against `max_body`, never one the client merely claims.
fn hold_body(
    held: &mut Option<Reservation>,
    bytes: usize,
    config: &ServerConfig,
) -> Result<(), ReadError> {
    if bytes <= config.read_buffer {
        return Ok(());
    }
    config
        .memory_budget
        .reserve_to(held, bytes)
        .map_err(ReadError::OverBudget)
}

/// How much of a large body one `read` asks for.
const BODY_READ_CHUNK: usize = 64 * 1024;

/// A `Content-Length` body: what came with the head, then the rest read straight into the
/// body, which has room for all of it from the start. The length passed `max_body` and, when
/// large, the memory budget, so the room is bounded — and the body costs its length once,
/// not a read buffer grown by doubling plus a copy taken out of it. The room is filled in a
/// chunk at a time, so its pages are touched only as bytes arrive.
fn read_fixed_body(
    stream: &TcpStream,
    input: &mut ReadBuffer,
    n: usize,
    read_timeout: &mut ReadTimeout,
    deadline: Instant,
) -> Result<Vec<u8>, ReadError> {
    let mut body = Vec::with_capacity(n);
    let buffered = input.len().min(n);
    body.extend_from_slice(&input.data()[..buffered]);
    input.consume(buffered);
    while body.len() < n {
        // One read at a time, each with the time left: a client trickling its body cannot
        // stretch the deadline, as it could if one call read until the body was whole.
        read_timeout
            .set(stream, left_until(deadline)?)
            .map_err(ReadError::Io)?;
        let start = body.len();
        // Never past the body's end: what follows it is the next request's.
        body.resize(start + (n - start).min(BODY_READ_CHUNK), 0);
        let read = (&*stream).read(&mut body[start..]);
        body.truncate(start + *read.as_ref().unwrap_or(&0));
        match read {
            Ok(0) => return Err(ReadError::ClosedMidRequest),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if is_timeout(&e) => return Err(ReadError::Timeout),
            Err(e) => return Err(ReadError::Io(e)),
        }
    }
    Ok(body)
}

/// RFC 9110 §10.1.1: a client that sent `Expect: 100-continue` waits for this before
/// sending its body (curl does, for bodies over 1 KiB). We only send it once the head has
/// passed every check, so a body we would refuse is never sent at all.
fn send_continue_if_expected(stream: &TcpStream, request: &Request) {
    let expects = request
        .header("Expect")
        .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"));
    if expects && request.version == super::request::Version::Http11 {
        let _ = std::io::Write::write_all(&mut &*stream, b"HTTP/1.1 100 Continue\r\n\r\n");
    }
}

fn read_more(
    stream: &TcpStream,
    input: &mut ReadBuffer,
    read_timeout: &mut ReadTimeout,
    deadline: Instant,
    max: usize,
) -> Result<(), ReadError> {
    match fill(stream, input, read_timeout, left_until(deadline)?, max) {
        Ok(0) => Err(ReadError::ClosedMidRequest),
        Ok(_) => Ok(()),
        Err(e) if is_timeout(&e) => Err(ReadError::Timeout),
        Err(e) if e.kind() == io::ErrorKind::OutOfMemory => {
            Err(ReadError::Request(RequestError::BodyTooLarge))
        }
        Err(e) => Err(ReadError::Io(e)),
    }
}

fn fill(
    stream: &TcpStream,
    input: &mut ReadBuffer,
    read_timeout: &mut ReadTimeout,
    timeout: Duration,
    max: usize,
) -> io::Result<usize> {
    read_timeout.set(stream, timeout)?;
    loop {
        match input.read_from(&mut &*stream, max) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// The socket's read timeout as last set. Between requests of a keep-alive connection it is
/// always the idle timeout: remembering it spares a `setsockopt` per request.
#[derive(Default)]
struct ReadTimeout(Option<Duration>);

impl ReadTimeout {
    fn set(&mut self, stream: &TcpStream, timeout: Duration) -> io::Result<()> {
        if self.0 != Some(timeout) {
            stream.set_read_timeout(Some(timeout))?;
            self.0 = Some(timeout);
        }
        Ok(())
    }
}

fn left_until(deadline: Instant) -> Result<Duration, ReadError> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(ReadError::Timeout);
    }
    Ok(left)
}

/// A read timeout shows as `WouldBlock` (EAGAIN) on Unix and `TimedOut` on Windows.
fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// Ends the connection without destroying the last response: after our FIN we read and drop
/// whatever the client still sends (briefly), because closing a socket with unread input
/// makes the kernel send a reset, which can discard the response before the client reads
/// it (RFC 1122 §4.2.2.13; RFC 9112 §9.6 describes this "lingering close").
fn close_gently(stream: &TcpStream) {
    let _ = stream.shutdown(Shutdown::Write);
    let deadline = Instant::now() + Duration::from_millis(500);
    let mut scratch = [0u8; 2048];
    let mut discarded = 0;
    while discarded < 256 * 1024 {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            break;
        }
        match (&*stream).read(&mut scratch) {
            Ok(0) | Err(_) => break,
            Ok(n) => discarded += n,
        }
    }
}
