//! One open WebSocket, seen from the thread that owns it: reads frames, reassembles
//! messages and answers pings (RFC 6455 §5.4, §5.5, §8.1); the closing handshake is
//! `closing.rs`.
//!
//! Where it sits: the HTTP server (or our client, `client.rs`) finishes the handshake, then
//! hands the TCP stream and any bytes it had read past the handshake to
//! [`WebSocket::from_upgraded`]. From then on the connection's thread lives in
//! [`WebSocket::recv`], which blocks on the socket: one thread per connection, no event loop.
//! Sending goes through the connection's `Outbox`, shared with other threads (`outbox.rs`).
//!
//! Rules enforced here, on top of the per-frame rules of `frame.rs`:
//! - §5.4 fragmentation: a continuation needs a message in progress, and a new text or binary
//!   frame must not start inside one; control frames may come between fragments.
//! - §8.1 text is UTF-8: checked piece by piece as bytes arrive, so a bad byte fails the
//!   connection (1007) before the rest of the message is read.
//! - §10.4 size limits: a frame or message over the configured limit fails with 1009,
//!   decided from the frame header, before the payload is read or memory reserved for it.
//!   So does a message the memory budget shared by every connection cannot take
//!   (`memory_budget.rs`): one larger than the read buffer reserves its bytes there, also
//!   from the header, and gives them back when `recv` returns it.
//! - §5.5.2 a ping is answered by a pong with the same payload; §5.5.3 pongs are ignored.
//! - §7 closing (in `closing.rs`): the peer's close is echoed; after a close frame we send nothing;
//!   on a protocol error we send the matching close code and close the TCP connection.
//! - a silent peer: `recv` pings a peer that sent nothing for `keepalive` and drops it if
//!   nothing comes back; a frame, once begun, must be complete within `stall_timeout`.

use std::io::{self, Read};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::cork;
use super::frame::{apply_mask, CloseCode, Frame, FrameError, Header, OpCode, Role};
use super::handshake::OriginPolicy;
use super::message::Message;
use super::outbox::{is_timeout, FrameBytes, Outbox, OutboxLimits, SendError};
use super::sender::{encode, Sender};
use super::utf8::Utf8Validator;
use crate::memory_budget::{MemoryBudget, Reservation};
use crate::metrics::counts::COUNTS;
use crate::read_buffer::ReadBuffer;

/// The limits and timeouts of WebSocket connections; each one's default and what a client
/// sees when it hits it are in the limits table of NOTES.md.
#[derive(Debug, Clone)]
pub struct WebSocketConfig {
    /// Largest payload of one frame; larger → close 1009 (§10.4).
    pub max_frame_size: usize,
    /// Largest message, all fragments together; larger → close 1009.
    pub max_message_size: usize,
    /// `SO_SNDTIMEO`: how long one write may wait for a client's receive window before the
    /// writer gives up its turn (see `outbox.rs`). Short, so a broadcaster is never held up.
    pub write_timeout: Duration,
    /// Unsent bytes past which a client that does not read is disconnected.
    pub max_backlog: usize,
    /// How long the connection's own thread waits on a client that reads nothing at all, and
    /// how long a frame, once begun, may take to arrive whole.
    pub stall_timeout: Duration,
    /// How long we wait for the peer's half of the closing handshake.
    pub close_timeout: Duration,
    /// Which `Origin`s may open a WebSocket (§10.2).
    pub origins: OriginPolicy,
    /// Size of the read buffer: frame headers and small frames are read through it, large
    /// payloads straight into their message; a burst larger than this takes one more
    /// `read`. An idle connection holds none: a wait that ends with nothing read (and
    /// Engine.IO's rest) frees it, and the next wait takes one only once a byte is there.
    /// 2 KiB is above the largest block glibc keeps in a thread's own cache of freed blocks
    /// (1032 bytes): a freed buffer goes back to the heap all threads share, rather than
    /// into the cache of a thread about to sleep for minutes.
    pub read_buffer: usize,
    /// `recv` pings a peer that has been silent this long, and drops it if it stays silent
    /// as long again: a vanished peer (a half-open TCP connection) would otherwise hold its
    /// thread forever. `None` waits forever. Engine.IO runs its own heartbeat instead.
    pub keepalive: Option<Duration>,
}

impl Default for WebSocketConfig {
    fn default() -> WebSocketConfig {
        WebSocketConfig {
            max_frame_size: 1 << 20,
            max_message_size: 1 << 20,
            write_timeout: Duration::from_millis(20),
            max_backlog: 1 << 20,
            stall_timeout: Duration::from_secs(30),
            close_timeout: Duration::from_secs(2),
            origins: OriginPolicy::Any,
            read_buffer: 2048,
            keepalive: Some(Duration::from_secs(30)),
        }
    }
}

/// Why `recv` returned no message. After any of these the connection is over.
#[derive(Debug)]
pub enum WsError {
    /// The closing handshake completed, started by either side: the normal end.
    Closed {
        code: Option<CloseCode>,
        reason: String,
    },
    /// The peer broke a rule of RFC 6455; we failed the connection with its close code.
    Protocol(FrameError),
    /// The TCP connection failed or ended without a close frame (1006 in RFC 6455 terms).
    Io(io::Error),
    /// `recv` was called again after the connection had ended.
    AlreadyClosed,
}

impl WsError {
    /// The close code that describes this end, for log lines (§7.4.1).
    pub fn close_code(&self) -> CloseCode {
        match self {
            WsError::Closed { code, .. } => code.unwrap_or(CloseCode::NoStatusReceived),
            WsError::Protocol(e) => e.close_code(),
            WsError::Io(_) | WsError::AlreadyClosed => CloseCode::Abnormal,
        }
    }
}

impl std::fmt::Display for WsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WsError::Closed {
                code: Some(code),
                reason,
            } => {
                write!(f, "closed with {code} {reason:?}")
            }
            WsError::Closed { code: None, .. } => write!(f, "closed with no status code"),
            WsError::Protocol(e) => write!(f, "failed with {}: {e}", e.close_code()),
            WsError::Io(e) => write!(f, "connection lost without a close frame (1006): {e}"),
            WsError::AlreadyClosed => write!(f, "the WebSocket had already ended"),
        }
    }
}

impl std::error::Error for WsError {}

impl From<FrameError> for WsError {
    fn from(e: FrameError) -> WsError {
        WsError::Protocol(e)
    }
}

/// A data message being reassembled from fragments (§5.4).
struct Partial {
    opcode: OpCode,
    data: Vec<u8>,
    /// Present for text messages only.
    utf8: Option<Utf8Validator>,
    /// Its bytes in the memory budget, once they are more than the read buffer; given back
    /// when the message is returned or dropped.
    held: Option<Reservation>,
}

/// How much of a large payload one `read` asks for when reading straight into a message.
const READ_CHUNK: usize = 64 * 1024;

/// One open WebSocket connection, owned by the thread that reads it.
///
/// Get one from a route registered with `Router::websocket`, or as a client from
/// [`client::connect`](super::client::connect). Call [`recv`](WebSocket::recv) in a loop;
/// it ends with an error that says how the connection ended. Give [`sender`](WebSocket::sender)
/// to other threads that need to send. Dropping it closes the connection (1000).
pub struct WebSocket {
    pub(super) stream: Arc<TcpStream>,
    pub(super) outbox: Arc<Outbox>,
    input: ReadBuffer,
    pub(super) role: Role,
    pub(super) config: WebSocketConfig,
    /// What large messages count against: the server's (`with_memory_budget`), or the
    /// process-wide one.
    budget: MemoryBudget,
    message: Option<Partial>,
    /// The connection is over: `recv` returns `AlreadyClosed` from now on.
    pub(super) ended: bool,
    /// After our close frame went out: the peer's half of the TCP close is still to be
    /// waited for, which `Drop` does (`closing.rs`).
    pub(super) linger_pending: bool,
    /// While [`WebSocket::recv_timeout`] waits: when it stops waiting for the next frame.
    idle_deadline: Option<Instant>,
    /// Once a frame has begun under a deadline: when all of it must have arrived.
    frame_deadline: Option<Instant>,
    /// While [`WebSocket::close`] waits for the peer's close frame: when it gives up.
    pub(super) closing_deadline: Option<Instant>,
    /// `recv`'s keepalive sent a ping and no frame has come since.
    ping_unanswered: bool,
    /// Whether a message returned with more input behind it lets this thread hold its
    /// writes (`cork.rs`); off unless [`WebSocket::hold_writes`] turns it on.
    hold_writes: bool,
    /// What the socket's read timeout is set to now (see `set_read_timeout`); `None` until
    /// the first read sets it (the HTTP reader may have left one of its own).
    read_timeout: Option<Option<Duration>>,
}

impl WebSocket {
    /// Wraps a TCP stream whose handshake is done. `leftover` holds the bytes read past the
    /// end of the handshake: a client may send its first frame right behind its request.
    ///
    /// # Errors
    /// If the socket's timeouts cannot be set.
    pub fn from_upgraded(
        stream: impl Into<Arc<TcpStream>>,
        leftover: &[u8],
        role: Role,
        config: &WebSocketConfig,
    ) -> io::Result<WebSocket> {
        let stream: Arc<TcpStream> = stream.into();
        let peer = stream.peer_addr()?;
        stream.set_write_timeout(Some(config.write_timeout))?;
        let _ = stream.set_nodelay(true);
        let limits = OutboxLimits {
            max_backlog: config.max_backlog,
            stall_timeout: config.stall_timeout,
            turn: config.write_timeout,
        };
        Ok(WebSocket {
            outbox: Arc::new(Outbox::new(Arc::clone(&stream), peer, limits)),
            stream,
            input: ReadBuffer::with_bytes(config.read_buffer, leftover),
            role,
            config: config.clone(),
            budget: MemoryBudget::default(),
            message: None,
            ended: false,
            linger_pending: false,
            idle_deadline: None,
            frame_deadline: None,
            closing_deadline: None,
            ping_unanswered: false,
            hold_writes: false,
            read_timeout: None,
        })
    }

    /// Makes messages larger than the read buffer take their bytes from `budget` while they
    /// arrive, rather than from the process-wide one. The HTTP server gives each WebSocket it
    /// upgrades its own `ServerConfig::memory_budget`, so its bodies and its messages share
    /// one budget; it is not in `WebSocketConfig`, where a second copy could disagree.
    pub fn with_memory_budget(mut self, budget: &MemoryBudget) -> WebSocket {
        self.budget = budget.clone();
        self
    }

    /// The peer's address.
    pub fn peer_addr(&self) -> SocketAddr {
        self.outbox.peer()
    }

    /// A handle through which other threads can send to this connection.
    pub fn sender(&self) -> Sender {
        Sender::new(Arc::clone(&self.outbox), self.role)
    }

    /// Lets this connection's thread hold its writes while it has input to read: when a
    /// message is returned and more bytes are already buffered behind it, what the thread
    /// sends — replies, broadcasts — is queued, and written in one `writev` per recipient
    /// just before the thread next waits for this socket (`cork.rs`, NOTES.md chapter 14).
    /// A burst then costs a syscall per recipient rather than one per frame.
    ///
    /// Off by default, because it changes what `send` promises: while holding, a send
    /// returns with its frame queued, not written. Turn it on only where the code between
    /// two `recv`s does not block — a handler that sends and then waits (on a lock, another
    /// thread, a database) would keep its frames back for as long. Engine.IO turns it on
    /// for its sessions (`EngineConfig::hold_writes`).
    pub fn hold_writes(&mut self, on: bool) {
        self.hold_writes = on;
        if !on {
            cork::release();
        }
    }

    /// Frees the read buffer if it holds no unparsed bytes; the next read takes a new one.
    /// For a connection about to wait long for its next frame (Engine.IO calls it when a
    /// session has gone quiet): the buffer is most of what an idle connection keeps on the
    /// heap (NOTES.md chapter 14, memory per connection).
    pub fn release_read_buffer(&mut self) {
        self.input.release();
    }

    /// Sends a message, waiting while the peer reads it (TCP flow control). With
    /// [`hold_writes`](WebSocket::hold_writes) on, it may instead return with the frame
    /// queued, to be written before this thread next waits for input.
    ///
    /// # Errors
    /// `Closed` once a close frame was sent or the connection is gone.
    pub fn send(&self, message: impl Into<Message>) -> Result<(), SendError> {
        let bytes = encode(&message.into().into_frame(), self.role);
        self.outbox.send_blocking(FrameBytes::Owned(bytes))
    }

    /// Waits for the next whole message. Pings are answered and close frames handled on
    /// the way, so the caller sees only text and binary messages.
    ///
    /// # Errors
    /// Every error ends the connection, and says how: `Closed` for a completed closing
    /// handshake, `Protocol` when the peer broke a rule (we sent the close code), `Io` when the
    /// TCP connection failed. The socket is already shut down when `recv` returns it.
    pub fn recv(&mut self) -> Result<Message, WsError> {
        let Some(interval) = self.config.keepalive else {
            return self.recv_blocking();
        };
        loop {
            match self.recv_timeout(interval)? {
                Some(message) => return Ok(message),
                None if self.ping_unanswered => return Err(self.give_up_on_silence(interval)),
                None => {
                    // Idle for a whole interval: ask the peer whether it is still there
                    // (§5.5.2: it must answer a ping with a pong, even mid-message).
                    let ping = encode(&Frame::ping(Vec::new()), self.role);
                    let _ = self.outbox.send_blocking(FrameBytes::Owned(ping));
                    self.ping_unanswered = true;
                }
            }
        }
    }

    /// `recv` without keepalive: waits for as long as it takes.
    fn recv_blocking(&mut self) -> Result<Message, WsError> {
        self.read_within(None)
            .map(|message| message.expect("without an idle deadline, reading waits for a message"))
    }

    /// The next message, waiting for it to begin at most `idle` (forever for `None`); any
    /// error ends the connection, the way `end` says.
    fn read_within(&mut self, idle: Option<Duration>) -> Result<Option<Message>, WsError> {
        if self.ended {
            return Err(WsError::AlreadyClosed);
        }
        self.idle_deadline = idle.map(|idle| Instant::now() + idle);
        let result = self.read_message();
        self.idle_deadline = None;
        match &result {
            Err(e) => self.end(e),
            // A whole wait with nothing to read: the connection is idle, and the next wait
            // needs no buffer until a byte arrives (`fill`).
            Ok(None) => self.input.release(),
            Ok(Some(_)) => {}
        }
        result
    }

    /// Nothing at all for two keepalive intervals, a ping between them: the peer or the
    /// path to it is gone (a half-open TCP connection shows nothing else). We drop the
    /// connection, as a browser does for a silent server.
    fn give_up_on_silence(&mut self, interval: Duration) -> WsError {
        crate::log!(
            "{} sent nothing for {:?}, not even a pong (closing)",
            self.peer_addr(),
            interval * 2
        );
        let silent = WsError::Io(io::ErrorKind::TimedOut.into());
        self.end(&silent);
        silent
    }

    /// Like [`recv`](WebSocket::recv), but gives up waiting after `timeout` and returns
    /// `Ok(None)`, with the connection still open. This is how a connection's own thread
    /// does something on time — Engine.IO's heartbeat — without a second thread: it waits
    /// for a frame *or* the next deadline.
    ///
    /// The timeout covers the wait for a frame to begin; once a frame has begun, its payload
    /// is read to the end (within `stall_timeout` of its first byte, for the whole frame),
    /// because a frame half read cannot be put back.
    ///
    /// # Errors
    /// As `recv`.
    pub fn recv_timeout(&mut self, timeout: Duration) -> Result<Option<Message>, WsError> {
        self.read_within(Some(timeout))
    }

    /// The next message; `Ok(None)` if the idle deadline passed before a frame began.
    pub(super) fn read_message(&mut self) -> Result<Option<Message>, WsError> {
        loop {
            let Some(header) = self.read_header()? else {
                return Ok(None);
            };
            if header.payload_len > self.config.max_frame_size as u64 {
                return Err(FrameError::PayloadTooLarge {
                    len: header.payload_len,
                    max: self.config.max_frame_size as u64,
                }
                .into());
            }
            if header.opcode.is_control() {
                self.on_control_frame(&header)?;
                continue;
            }
            let mut partial = self.continue_message(header.opcode)?;
            let total = partial.data.len() as u64 + header.payload_len;
            if total > self.config.max_message_size as u64 {
                return Err(FrameError::MessageTooLarge {
                    len: total,
                    max: self.config.max_message_size as u64,
                }
                .into());
            }
            // Within max_message_size, so within usize.
            self.reserve_message(&mut partial, total as usize)?;
            let Partial { data, utf8, .. } = &mut partial;
            self.read_payload(&header, data, |piece| match utf8 {
                Some(validator) => validator.feed(piece),
                None => Ok(()),
            })?;
            if header.fin {
                if self.hold_writes && !self.input.is_empty() {
                    // More input is here already: what handling this message sends can wait
                    // to go out with the replies to the next ones (`cork.rs`).
                    cork::hold();
                }
                return finish(partial).map(Some);
            }
            self.message = Some(partial);
        }
    }

    /// §5.4: decides whether a data frame starts a message or continues the one in progress.
    fn continue_message(&mut self, opcode: OpCode) -> Result<Partial, FrameError> {
        match (self.message.take(), opcode) {
            (Some(partial), OpCode::Continuation) => Ok(partial),
            (Some(_), _) => Err(FrameError::ExpectedContinuation),
            (None, OpCode::Continuation) => Err(FrameError::UnexpectedContinuation),
            (None, opcode) => Ok(Partial {
                opcode,
                data: Vec::new(),
                utf8: (opcode == OpCode::Text).then(Utf8Validator::new),
                held: None,
            }),
        }
    }

    /// Takes the message's `total` — its fragments so far and the frame about to be read,
    /// within the limits already — from the memory budget, before the payload is read. Not
    /// when it fits in the read buffer: every connection has that much anyway, so small
    /// messages never touch the shared count and are never refused.
    fn reserve_message(&self, partial: &mut Partial, total: usize) -> Result<(), FrameError> {
        if total <= self.config.read_buffer {
            return Ok(());
        }
        self.budget
            .reserve_to(&mut partial.held, total)
            .map_err(FrameError::OverBudget)
    }

    fn on_control_frame(&mut self, header: &Header) -> Result<(), WsError> {
        let mut payload = Vec::with_capacity(header.payload_len as usize);
        self.read_payload(header, &mut payload, |_| Ok(()))?;
        match header.opcode {
            // §5.5.2: answer with the same payload. After our close frame we send nothing.
            OpCode::Ping if !self.outbox.is_closing() => {
                let pong = encode(&Frame::pong(payload), self.role);
                let _ = self.outbox.send_blocking(FrameBytes::Owned(pong));
                Ok(())
            }
            OpCode::Close => Err(self.on_close_frame(&payload)),
            // §5.5.3: an unsolicited pong needs no answer; a ping while closing gets none.
            _ => Ok(()),
        }
    }

    /// The next frame's header, or `None` if the idle deadline passed first. A header half
    /// read stays in the buffer, so waiting can resume where it stopped.
    fn read_header(&mut self) -> Result<Option<Header>, WsError> {
        loop {
            if let Some((header, used)) = Header::decode(self.input.data(), self.role)? {
                self.input.consume(used);
                self.ping_unanswered = false;
                // One deadline for the whole frame, from its first byte: a peer trickling a
                // byte at a time cannot hold the thread past it.
                // While closing, the close timeout bounds everything (`closing.rs`).
                self.frame_deadline = self.idle_deadline.map(|_| {
                    let stall = Instant::now() + self.config.stall_timeout;
                    self.closing_deadline
                        .map_or(stall, |close| stall.min(close))
                });
                return Ok(Some(header));
            }
            if !self.prepare_wait(self.idle_deadline)? {
                return Ok(None);
            }
            match self.fill() {
                // The read may wake a little before the deadline (`set_read_timeout`): the
                // loop looks at the clock again.
                Err(WsError::Io(e)) if self.idle_deadline.is_some() && is_timeout(&e) => continue,
                other => other?,
            }
        }
    }

    /// Gets ready to wait for the socket until `deadline` (forever for `None`); `false` if
    /// it has passed already. Whatever this thread held back goes out first (`cork.rs`), and
    /// before the time left is measured, so writing it cannot stretch the deadline.
    fn prepare_wait(&mut self, deadline: Option<Instant>) -> Result<bool, WsError> {
        cork::release();
        let left = match deadline {
            Some(deadline) => match deadline.checked_duration_since(Instant::now()) {
                Some(left) if !left.is_zero() => Some(left),
                _ => return Ok(false),
            },
            None => None,
        };
        self.set_read_timeout(left)?;
        Ok(true)
    }

    /// Makes the next read wake up once `left` has passed (or never, for `None`).
    ///
    /// Deadlines are absolute but `SO_RCVTIMEO` is relative to each read, so the time left
    /// shrinks with every frame. Setting it exactly each time cost a `setsockopt` per frame —
    /// a fifth of an echo's syscalls. So a timeout already set is kept while it is close
    /// enough: at most `left / 16` (and 250 ms) longer than `left`, so a deadline is passed
    /// by that little at most — a heartbeat a quarter second late is harmless — and not
    /// under `left / 2`, so an idle wait does not wake up over and over before its
    /// deadline.
    fn set_read_timeout(&mut self, left: Option<Duration>) -> Result<(), WsError> {
        let close_enough = match (self.read_timeout, left) {
            (Some(None), None) => true,
            (Some(Some(current)), Some(left)) => {
                let slack = (left / 16).min(Duration::from_millis(250));
                current <= left + slack && current >= left / 2
            }
            _ => false,
        };
        if !close_enough {
            self.stream.set_read_timeout(left).map_err(WsError::Io)?;
            self.read_timeout = Some(left);
        }
        Ok(())
    }

    fn fill(&mut self) -> Result<(), WsError> {
        let capacity = self.config.read_buffer;
        if self.input.is_released() {
            // After `release_read_buffer`: wait for the first byte with no buffer at all
            // (`recv(2)` with `MSG_PEEK`, into one byte on the stack), so that a connection
            // waiting for hours holds none.
            some_bytes(|| self.stream.peek(&mut [0u8; 1]))?;
        }
        some_bytes(|| self.input.read_from(&mut &*self.stream, capacity))
    }

    /// Reads the frame's payload onto the end of `out`, unmasking each piece as it arrives
    /// (§5.3) and showing it to `check` at once, so a rule broken early in a long frame fails
    /// the connection without waiting for the rest (Autobahn's cases 6.4.x test this).
    fn read_payload(
        &mut self,
        header: &Header,
        out: &mut Vec<u8>,
        mut check: impl FnMut(&[u8]) -> Result<(), FrameError>,
    ) -> Result<(), WsError> {
        let len = header.payload_len as usize;
        let mut done = 0;
        while done < len {
            let start = out.len();
            if !self.input.is_empty() {
                let n = self.input.len().min(len - done);
                out.extend_from_slice(&self.input.data()[..n]);
                self.input.consume(n);
            } else {
                if !self.prepare_wait(self.frame_deadline)? {
                    return Err(WsError::Io(io::ErrorKind::TimedOut.into()));
                }
                // Grow by at most one chunk: a header may promise gigabytes that never come.
                out.resize(start + (len - done).min(READ_CHUNK), 0);
                let n = uninterrupted(|| (&*self.stream).read(&mut out[start..]));
                out.truncate(start + *n.as_ref().unwrap_or(&0));
                match n {
                    Ok(0) => return Err(WsError::Io(io::ErrorKind::UnexpectedEof.into())),
                    Ok(_) => {}
                    // Woken before the deadline, maybe: the loop looks at the clock again.
                    Err(e) if is_timeout(&e) && self.frame_deadline.is_some() => continue,
                    Err(e) => return Err(WsError::Io(e)),
                }
            }
            let piece = &mut out[start..];
            if let Some(key) = header.mask {
                apply_mask(piece, key, done);
            }
            check(piece)?;
            done += piece.len();
        }
        Ok(())
    }
}

/// The last fragment is in: the message is whole. Text gets its final UTF-8 check (a code
/// point cut off at the end of the message is an error, §8.1).
fn finish(partial: Partial) -> Result<Message, WsError> {
    // For `/metrics`: a relaxed add each, on the thread that read the message anyway.
    COUNTS.websocket_messages_received.inc();
    COUNTS
        .websocket_bytes_received
        .add(partial.data.len() as u64);
    match partial.utf8 {
        Some(mut validator) => {
            validator.finish()?;
            let text = String::from_utf8(partial.data).map_err(|_| FrameError::InvalidUtf8)?;
            Ok(Message::Text(text))
        }
        None => {
            debug_assert_eq!(partial.opcode, OpCode::Binary);
            Ok(Message::Binary(partial.data))
        }
    }
}

/// Runs a read again when a signal interrupted it (`EINTR`) before it read anything.
fn uninterrupted(mut read: impl FnMut() -> io::Result<usize>) -> io::Result<usize> {
    loop {
        match read() {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// A read that must bring at least one byte: none means the peer has closed its side.
fn some_bytes(read: impl FnMut() -> io::Result<usize>) -> Result<(), WsError> {
    match uninterrupted(read) {
        Ok(0) => Err(WsError::Io(io::ErrorKind::UnexpectedEof.into())),
        Ok(_) => Ok(()),
        Err(e) => Err(WsError::Io(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::net::TcpListener;

    /// A server-side WebSocket on loopback, and the raw client end of its TCP connection.
    fn pair() -> (WebSocket, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let client = TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
        let (server, _) = listener.accept().expect("accept");
        let config = WebSocketConfig::default();
        let ws = WebSocket::from_upgraded(server, &[], Role::Server, &config).expect("wrap");
        (ws, client)
    }

    #[test]
    fn an_idle_wait_frees_the_read_buffer_and_the_next_frame_still_arrives_whole() {
        let (mut ws, mut client) = pair();
        assert!(matches!(
            ws.recv_timeout(Duration::from_millis(20)),
            Ok(None)
        ));
        assert!(
            ws.input.is_released(),
            "a wait that timed out holds no buffer"
        );

        // The frame arrives in two pieces: the wait without a buffer must take neither.
        let frame = Frame::text("hello").encode(Some([1, 2, 3, 4]));
        client.write_all(&frame[..3]).expect("write");
        let writer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            client.write_all(&frame[3..]).expect("write");
            client
        });
        match ws.recv_timeout(Duration::from_secs(5)) {
            Ok(Some(Message::Text(text))) => assert_eq!(text, "hello"),
            other => panic!("expected the text message, got {other:?}"),
        }
        let client = writer.join().expect("writer");

        assert!(matches!(
            ws.recv_timeout(Duration::from_millis(20)),
            Ok(None)
        ));
        assert!(ws.input.is_released());
        drop(client);
        assert!(
            ws.recv_timeout(Duration::from_secs(5)).is_err(),
            "a peer that closes during a wait without a buffer ends the connection"
        );
    }
}
