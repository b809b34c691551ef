//! One Engine.IO session, whatever carries it: send packets to it from any thread, deliver
//! the client's messages to the layer above, close it once, and learn why it closed.
//!
//! Engine.IO v4 "Transports": a session may change transport — HTTP long-polling first, then
//! a WebSocket — so the transport sits behind the session's lock rather than being fixed:
//!
//! - **WebSocket**: a send goes straight into the connection's outbox (`websocket/outbox.rs`).
//! - **Polling**: a send appends to the session's queue and wakes the held `GET`, which
//!   answers with everything queued (`polling.rs`).
//! - **Upgrading** (polling → WebSocket): sends still queue for polling until the client's
//!   `5` arrives; then, under the same lock, the queue is queued in the WebSocket's outbox in
//!   order and the phase switches, so no packet is lost, doubled or reordered across the
//!   switch; the outbox writes them once the lock is let go.
//!
//! Where the session is — polling, probing, upgrading, on a WebSocket, closing with its
//! grace, closed — is one enum, `Phase`, changed only by the transitions in
//! `impl SessionState`; none of them does I/O under the lock.
//!
//! A *volatile* send ([`Session::send_volatile`]) goes out only if the transport can take it
//! now — a held `GET`, or a WebSocket with nothing unsent — and is dropped otherwise.
//!
//! The layer above (Socket.IO) gets a [`SessionHandler`] call per message. Messages come from
//! the WebSocket's thread or from POST requests' threads, so the handler sits behind its own
//! mutex: one message at a time, in the order they arrived.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, Weak};
use std::time::{Duration, Instant};

use super::handler::{Incoming, OpeningRequest, SessionHandler};
use super::packet::Packet;
use super::server::Engine;
use super::watchers::SessionWatchers;
use crate::metrics::counts::COUNTS;
use crate::websocket::{
    CloseCode, FrameBuffer, Message, OpCode, SendError, Sender, SharedFrame, VolatileSend,
};

/// How long an ended polling session waits for the `GET` that collects its last packets.
const CLOSE_GRACE: Duration = Duration::from_secs(5);

/// Why a session ended: the Engine.IO close reasons, which Socket.IO reports as its own
/// disconnect reasons (Socket.IO v5 docs, "disconnect" event).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    /// The transport ended cleanly: the client closed its WebSocket or sent a close packet.
    TransportClose,
    /// The transport failed: a broken WebSocket frame, overlapping polls, an oversized POST.
    TransportError,
    /// The server closed the session.
    ForcedClose,
    /// No pong within `pingTimeout` of a ping.
    PingTimeout,
    /// The client sent something that is not an Engine.IO (or Socket.IO) packet.
    ParseError,
    /// The server is stopping.
    ServerShuttingDown,
}

impl CloseReason {
    /// Whether a polling client may still collect the session's last packets after this
    /// end: only when the *server* closed a healthy session (`disconnect(true)`, shutdown),
    /// so the client learns why from the DISCONNECTs and the close packet still queued. After
    /// the client's own close, a ping timeout or an error, nobody is coming (or nobody should
    /// be answered): the sid goes at once, and a GET then held is answered with a noop.
    pub fn leaves_last_packets(self) -> bool {
        matches!(
            self,
            CloseReason::ForcedClose | CloseReason::ServerShuttingDown
        )
    }

    /// The reason as the reference server words it.
    pub fn as_str(self) -> &'static str {
        match self {
            CloseReason::TransportClose => "transport close",
            CloseReason::TransportError => "transport error",
            CloseReason::ForcedClose => "forced close",
            CloseReason::PingTimeout => "ping timeout",
            CloseReason::ParseError => "parse error",
            CloseReason::ServerShuttingDown => "server shutting down",
        }
    }
}

impl std::fmt::Display for CloseReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The transport a session opens on: its first `Phase`.
#[derive(Debug, Clone)]
pub(crate) enum Transport {
    Polling,
    WebSocket(Sender),
}

/// Where a session is in its life (Engine.IO v4 "Transports", "Upgrade"). Every change is
/// one of the transitions in `impl SessionState` below, under the session's lock; none of
/// them does I/O: the caller wakes a held `GET`, writes or closes once it has let go.
///
/// ```text
///  Polling ── a WebSocket for this sid ──▶ Probing ── 2probe answered ──▶ Upgrading ── 5 ──▶ WebSocket
///     ▲                                       │                               │                  │
///     └──────── the probe failed ─────────────┴───────────────────────────────┘                  │
///  Polling, Probing, Upgrading ── end, last packets owed ──▶ Closing ── collected, or 5 s ──▶ Closed
///  any live phase ──────────────── end, nothing owed ────────────────────────────────────▶ Closed
/// ```
#[derive(Debug, Clone)]
pub(crate) enum Phase {
    /// On HTTP long-polling: sends queue for the `GET` (`polling.rs`).
    Polling,
    /// Still polling, while a WebSocket for this session waits for `2probe`.
    Probing,
    /// `3probe` sent: a held `GET` is answered with a noop, so the client lets polling go,
    /// and sends still queue until the client's `5` switches.
    Upgrading,
    /// On a WebSocket: sends go straight into its outbox.
    WebSocket(Sender),
    /// Ended for `reason` while polling, with packets the client's next `GET` collects (a
    /// DISCONNECT, the close packet): the sid stays known for [`CLOSE_GRACE`].
    Closing { reason: CloseReason },
    /// Ended for `reason`; `polling` remembers the transport it ended on, which
    /// `is_polling` and `transport_name` still report.
    Closed { reason: CloseReason, polling: bool },
}

impl Phase {
    /// Why the session ended, if it has.
    pub(crate) fn close_reason(&self) -> Option<CloseReason> {
        match self {
            Phase::Closing { reason } | Phase::Closed { reason, .. } => Some(*reason),
            _ => None,
        }
    }

    /// Whether packets travel (or travelled, at the end) by long-polling.
    pub(crate) fn on_polling(&self) -> bool {
        match self {
            Phase::Polling | Phase::Probing | Phase::Upgrading | Phase::Closing { .. } => true,
            Phase::Closed { polling, .. } => *polling,
            Phase::WebSocket(_) => false,
        }
    }

    /// Whether the session is live and sends queue for a `GET`.
    pub(crate) fn is_live_polling(&self) -> bool {
        matches!(self, Phase::Polling | Phase::Probing | Phase::Upgrading)
    }

    /// Whether a held `GET` is answered at once with a noop: the client is moving to (or
    /// is on) the WebSocket, and polling must let go.
    pub(crate) fn releases_poll(&self) -> bool {
        matches!(self, Phase::Upgrading | Phase::WebSocket(_))
    }
}

/// What the end of a session leaves to do once the lock is released.
pub(crate) struct Ending {
    /// The client's next `GET` collects the last packets: the sid goes after the grace.
    grace: bool,
    /// The WebSocket to close.
    websocket: Option<Sender>,
}

/// Packets encoded once for many sessions: a broadcast builds one and hands it to every
/// recipient. The WebSocket encoding is made on first use and shared after that.
#[derive(Debug)]
pub struct Outgoing {
    packets: Vec<Packet>,
    websocket: OnceLock<SharedFrame>,
}

impl Outgoing {
    /// Packets to send together, in order and never interleaved with other sends.
    pub fn new(packets: Vec<Packet>) -> Outgoing {
        Outgoing {
            packets,
            websocket: OnceLock::new(),
        }
    }

    /// The packets, in order.
    pub fn packets(&self) -> &[Packet] {
        &self.packets
    }

    /// Over WebSocket, one Engine.IO packet per frame: text packets as text frames, binary
    /// messages as binary frames with no prefix (Engine.IO v4 "Packet encoding").
    fn websocket_frames(&self) -> &SharedFrame {
        self.websocket.get_or_init(|| {
            let mut frames = FrameBuffer::default();
            for packet in &self.packets {
                match packet {
                    Packet::BinaryMessage(bytes) => frames.push(OpCode::Binary, &[bytes]),
                    // The type digit and the data go into the frame as two pieces: an event's
                    // text is not copied into a `4…` string first.
                    Packet::Message(text) => frames.push(OpCode::Text, &[b"4", text.as_bytes()]),
                    other => {
                        let text = other.encode_text().unwrap_or_default();
                        frames.push(OpCode::Text, &[text.as_bytes()]);
                    }
                }
            }
            frames.finish()
        })
    }
}

/// Roughly how many bytes `packet` holds, for the polling queue's bound.
pub(crate) fn packet_size(packet: &Packet) -> usize {
    match packet {
        Packet::Open(text) | Packet::Ping(text) | Packet::Pong(text) | Packet::Message(text) => {
            text.len() + 1
        }
        Packet::BinaryMessage(bytes) => bytes.len() + 1,
        Packet::Close | Packet::Upgrade | Packet::Noop => 1,
    }
}

/// The WebSocket message that carries `packet`.
pub(crate) fn websocket_message(packet: &Packet) -> Message {
    match packet {
        Packet::BinaryMessage(bytes) => Message::Binary(bytes.clone()),
        other => Message::Text(other.encode_text().unwrap_or_default()),
    }
}

/// Everything behind the session's lock.
pub(crate) struct SessionState {
    /// Where the session is in its life: change it only through the transitions below.
    phase: Phase,
    /// Packets waiting for a polling `GET` (also while an upgrade is under way).
    pub(crate) queue: VecDeque<Packet>,
    /// Their size, roughly (data bytes): bounded by `EngineConfig::max_buffered`.
    pub(crate) queued_bytes: usize,
    /// A `GET` is being held for this session (only one may be, Engine.IO v4 "Polling").
    pub(crate) get_pending: bool,
    /// A `POST` is being read for this session (likewise only one).
    pub(crate) post_pending: bool,
    /// Polling heartbeat: when the pong to the last ping is due, and a generation number so
    /// that timer tasks from an earlier ping know they are stale.
    pub(crate) pong_due: Option<Instant>,
    pub(crate) heartbeat: u64,
    /// Polling: the handler deadline a timer task is scheduled for, so that each POST does
    /// not add another task for the same deadline (`polling::schedule_handler_deadline`).
    pub(crate) handler_timer: Option<Instant>,
}

/// The phase's transitions, the only code that changes it.
impl SessionState {
    pub(crate) fn phase(&self) -> &Phase {
        &self.phase
    }

    /// A WebSocket asks to take over: only a polling session, not upgrading already, may
    /// be probed.
    pub(crate) fn begin_probe(&mut self) -> bool {
        if !matches!(self.phase, Phase::Polling) {
            return false;
        }
        self.phase = Phase::Probing;
        true
    }

    /// `3probe` went out: a held `GET` must now be answered (the caller wakes it).
    pub(crate) fn probe_answered(&mut self) {
        if matches!(self.phase, Phase::Probing) {
            self.phase = Phase::Upgrading;
        }
    }

    /// The probe failed: the session goes on polling (if it is still live).
    pub(crate) fn abort_upgrade(&mut self) {
        if matches!(self.phase, Phase::Probing | Phase::Upgrading) {
            self.phase = Phase::Polling;
        }
    }

    /// The client's `5`: the WebSocket becomes the transport. The polling heartbeat stops
    /// (its timer tasks find the phase no longer polling).
    fn switch(&mut self, sender: Sender) -> Result<(), SendError> {
        if !matches!(self.phase, Phase::Probing | Phase::Upgrading) {
            return Err(SendError::Closed);
        }
        self.phase = Phase::WebSocket(sender);
        self.pong_due = None;
        Ok(())
    }

    /// Ends the session for `reason`, once: `None` if it had ended already.
    fn end(&mut self, reason: CloseReason) -> Option<Ending> {
        let ending = match &self.phase {
            Phase::Closing { .. } | Phase::Closed { .. } => return None,
            Phase::WebSocket(sender) => Ending {
                grace: false,
                websocket: Some(sender.clone()),
            },
            // What we queued last (a DISCONNECT, say) waits for the client's next GET, for
            // a while, as the reference's `closeTimeout` does; a GET held now answers at
            // once, and with nothing queued it owes nothing more.
            Phase::Polling | Phase::Probing | Phase::Upgrading => Ending {
                grace: reason.leaves_last_packets()
                    && (!self.get_pending || !self.queue.is_empty()),
                websocket: None,
            },
        };
        self.phase = match ending.websocket {
            Some(_) => Phase::Closed {
                reason,
                polling: false,
            },
            None if ending.grace => Phase::Closing { reason },
            None => Phase::Closed {
                reason,
                polling: true,
            },
        };
        Some(ending)
    }

    /// The close grace is over: the last packets were collected, or nobody came for them.
    pub(crate) fn grace_over(&mut self) {
        if let Phase::Closing { reason } = self.phase {
            self.phase = Phase::Closed {
                reason,
                polling: true,
            };
        }
    }
}

pub(crate) struct SessionCore {
    sid: String,
    /// The request that opened the session.
    opening: OpeningRequest,
    engine: Weak<Engine>,
    /// `EngineConfig::max_buffered`, copied here: the polling queue's bound.
    max_buffered: usize,
    pub(crate) state: Mutex<SessionState>,
    /// Wakes a held `GET`: packets queued, an upgrade's noop, or the end.
    pub(crate) ready: Condvar,
    /// The layer above. Taken (set to `None`) when the session ends, so it hears of the end
    /// exactly once.
    handler: Mutex<Option<Box<dyn SessionHandler>>>,
    /// Who hears of the upgrade and the end (`watchers.rs`).
    watchers: SessionWatchers,
}

/// A handle to one Engine.IO session. Clone it freely: it is an `Arc`.
#[derive(Clone)]
pub struct Session {
    pub(crate) inner: Arc<SessionCore>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "engineio::Session({})", self.inner.sid)
    }
}

impl Session {
    pub(crate) fn new(
        sid: String,
        engine: &Arc<Engine>,
        transport: Transport,
        opening: OpeningRequest,
    ) -> Session {
        Session {
            inner: Arc::new(SessionCore {
                sid,
                opening,
                engine: Arc::downgrade(engine),
                max_buffered: engine.config().max_buffered,
                state: Mutex::new(SessionState {
                    phase: match transport {
                        Transport::Polling => Phase::Polling,
                        Transport::WebSocket(sender) => Phase::WebSocket(sender),
                    },
                    queue: VecDeque::new(),
                    queued_bytes: 0,
                    get_pending: false,
                    post_pending: false,
                    pong_due: None,
                    heartbeat: 0,
                    handler_timer: None,
                }),
                ready: Condvar::new(),
                handler: Mutex::new(None),
                watchers: SessionWatchers::default(),
            }),
        }
    }

    /// The session id (`sid`).
    pub fn sid(&self) -> &str {
        &self.inner.sid
    }

    /// Whether the session is still on HTTP long-polling (not upgraded to WebSocket).
    pub(crate) fn is_polling(&self) -> bool {
        self.lock().phase.on_polling()
    }

    /// Runs `watcher` with the new transport's name when the session upgrades to WebSocket
    /// (the reference's `socket.on("upgrade")`); never after the session ended.
    pub fn on_upgrade(&self, watcher: impl Fn(&'static str) + Send + Sync + 'static) {
        self.inner.watchers.add_upgrade(Arc::new(watcher));
    }

    /// Runs `watcher` once with the reason when the session ends (the reference's
    /// `socket.on("close")`); at once if it has ended already.
    pub fn on_close(&self, watcher: impl Fn(CloseReason) + Send + Sync + 'static) {
        self.inner.watchers.add_close(Arc::new(watcher));
    }

    /// The request that opened the session (the handshake), for the layer above.
    pub fn opening_request(&self) -> &OpeningRequest {
        &self.inner.opening
    }

    /// The name of the transport in use: `"polling"` or `"websocket"`.
    pub fn transport_name(&self) -> &'static str {
        if self.lock().phase.on_polling() {
            "polling"
        } else {
            "websocket"
        }
    }

    /// Sends one packet.
    ///
    /// # Errors
    /// `Closed` once the session has ended; `BacklogExceeded` if a WebSocket client is so
    /// far behind that it was disconnected.
    pub fn send(&self, packet: Packet) -> Result<(), SendError> {
        self.send_all(&Outgoing::new(vec![packet]))
    }

    /// Sends packets encoded once for many sessions, as one unit.
    ///
    /// # Errors
    /// As [`Session::send`].
    pub fn send_all(&self, outgoing: &Outgoing) -> Result<(), SendError> {
        let state = self.lock();
        match &state.phase {
            Phase::WebSocket(sender) => {
                let sender = sender.clone();
                drop(state);
                sender.send_shared(outgoing.websocket_frames())
            }
            // While upgrading, too: the switch flushes the queue into the WebSocket.
            Phase::Polling | Phase::Probing | Phase::Upgrading => {
                self.queue_for_poll(state, outgoing)
            }
            Phase::Closing { .. } | Phase::Closed { .. } => Err(SendError::Closed),
        }
    }

    /// Sends packets only if they can go out now, and drops them otherwise: Socket.IO's
    /// `volatile` emits. Now means a polling session with a `GET` held (the packets answer
    /// it), or a WebSocket with nothing unsent ahead of them (`outbox.rs`, rule 7); with no
    /// `GET` held, or a backlog, they are dropped — never queued, so a client that was away
    /// does not get a burst of stale news when it comes back. The reference server decides
    /// the same way (`transport.writable`).
    ///
    /// # Errors
    /// `Closed` once the session has ended.
    pub fn send_volatile(&self, outgoing: &Outgoing) -> Result<VolatileSend, SendError> {
        let state = self.lock();
        match &state.phase {
            Phase::WebSocket(sender) => {
                let sender = sender.clone();
                drop(state);
                sender.send_shared_volatile(outgoing.websocket_frames())
            }
            Phase::Closing { .. } | Phase::Closed { .. } => Err(SendError::Closed),
            // During an upgrade a held GET still answers with what is queued: the same
            // rule holds.
            _ if state.get_pending => {
                self.queue_for_poll(state, outgoing)?;
                Ok(VolatileSend::Sent)
            }
            _ => Ok(VolatileSend::Dropped),
        }
    }

    /// Polling: appends the packets to the queue a `GET` collects, and wakes a held one.
    fn queue_for_poll(
        &self,
        mut state: MutexGuard<'_, SessionState>,
        outgoing: &Outgoing,
    ) -> Result<(), SendError> {
        let bytes: usize = outgoing.packets.iter().map(packet_size).sum();
        if state.queued_bytes + bytes > self.inner.max_buffered {
            // A client that stops polling would otherwise make us queue forever (until
            // its ping timeout): like a WebSocket client past its backlog, it goes.
            let queued = state.queued_bytes;
            drop(state);
            crate::log!(
                "session {}: {queued} bytes wait for a GET, over the {} byte bound (closing)",
                self.sid(),
                self.inner.max_buffered
            );
            self.end(CloseReason::TransportError);
            return Err(SendError::BacklogExceeded);
        }
        state.queued_bytes += bytes;
        state.queue.extend(outgoing.packets.iter().cloned());
        // Only a held GET waits on `ready`; with none held, a notify would be a
        // syscall for nobody. And it comes after the unlock, so the GET it wakes
        // does not wake only to wait for the lock we hold.
        let get_held = state.get_pending;
        drop(state);
        if get_held {
            self.inner.ready.notify_all();
        }
        Ok(())
    }

    /// Closes the session from the server's side; the first reason given is the one
    /// reported.
    pub fn close(&self, reason: CloseReason) {
        self.end(reason);
    }

    /// Why the session ended, if it has.
    pub fn close_reason(&self) -> Option<CloseReason> {
        self.lock().phase.close_reason()
    }

    /// Ends the session: records `reason` (if none was), wakes a held `GET` (which answers
    /// with a close packet), leaves the engine's table, tells the layer above, and closes a
    /// WebSocket transport. Returns whether this call ended it.
    pub(crate) fn end(&self, reason: CloseReason) -> bool {
        let Some(ending) = self.lock().end(reason) else {
            return false;
        };
        // A held GET answers now (with the close packet, or the last packets).
        self.inner.ready.notify_all();
        if ending.grace {
            // `polling::poll` unregisters the session once the GET delivered them.
            let session = self.clone();
            crate::timer::schedule(Instant::now() + CLOSE_GRACE, move || session.unregister());
        } else {
            self.unregister();
        }
        crate::debug!("session {} closed: {reason}", self.sid());
        self.tell_handler_of_end(reason);
        self.inner.watchers.closed(reason);
        if let Some(sender) = ending.websocket {
            let code = match reason {
                CloseReason::ServerShuttingDown => CloseCode::GoingAway, // 1001, RFC 6455 §7.4.1
                _ => CloseCode::Normal,
            };
            sender.close(code, reason.as_str());
        }
        true
    }

    /// Leaves the engine's table: the sid is unknown from now on.
    pub(crate) fn unregister(&self) {
        self.lock().grace_over();
        if let Some(engine) = self.inner.engine.upgrade() {
            engine.unregister(self);
        }
    }

    /// Gives the session its handler (once, right after the open packet is queued). If the
    /// session ended meanwhile, the handler hears of it at once.
    pub(crate) fn set_handler(&self, handler: Box<dyn SessionHandler>) {
        self.with_handler(|slot| *slot = Some(handler));
    }

    /// Hands one client message to the layer above; an error from it ends the session.
    pub(crate) fn deliver(&self, message: Incoming) {
        let outcome = self.with_handler(|slot| match slot.as_mut() {
            Some(handler) => handler.on_message(message),
            None => Ok(()), // already ended
        });
        if let Err(reason) = outcome {
            self.end(reason);
        }
    }

    /// Runs `f` under the handler's lock, then checks for an end that came meanwhile: every
    /// holder of the lock must, or an `on_close` tried while it held the lock is lost (see
    /// `tell_handler_of_end`).
    fn with_handler<R>(&self, f: impl FnOnce(&mut Option<Box<dyn SessionHandler>>) -> R) -> R {
        let result = f(&mut self.inner.handler.lock().expect("handler lock poisoned"));
        self.after_handler();
        result
    }

    /// Calls the handler's `on_close`, once (the handler is taken out).
    ///
    /// The handler's lock is the one lock under which application code runs (an event
    /// handler may disconnect *another* client, whose session ends here). So this never
    /// waits for it: if the lock is busy, whoever holds it will see the end when it lets
    /// go ([`after_handler`](Session::after_handler)). The end is recorded before the lock is
    /// tried, and checked after the lock is released, so one of the two always sees it.
    fn tell_handler_of_end(&self, reason: CloseReason) {
        let handler = match self.inner.handler.try_lock() {
            Ok(mut slot) => slot.take(),
            Err(std::sync::TryLockError::WouldBlock) => return,
            Err(std::sync::TryLockError::Poisoned(e)) => panic!("handler lock poisoned: {e}"),
        };
        if let Some(mut handler) = handler {
            handler.on_close(reason);
        }
    }

    /// Every holder of the handler's lock calls this after letting it go: the session may
    /// have ended meanwhile (see `tell_handler_of_end`).
    fn after_handler(&self) {
        if let Some(reason) = self.close_reason() {
            self.tell_handler_of_end(reason);
        }
    }

    /// When the layer above next wants to act on its own (Socket.IO's connect timeout).
    pub(crate) fn handler_deadline(&self) -> Option<Instant> {
        self.with_handler(|slot| slot.as_ref().and_then(|h| h.deadline()))
    }

    /// Lets the layer above act on its deadline, if it has passed. Returns `None` if the
    /// handler was busy (the caller, the timer thread, tries again a little later rather
    /// than wait behind application code), and otherwise the handler's next deadline.
    pub(crate) fn run_handler_deadline(&self) -> Option<Option<Instant>> {
        let (outcome, next) = {
            let mut handler = match self.inner.handler.try_lock() {
                Ok(handler) => handler,
                Err(std::sync::TryLockError::WouldBlock) => return None,
                Err(std::sync::TryLockError::Poisoned(e)) => panic!("handler lock poisoned: {e}"),
            };
            let outcome = match handler.as_mut() {
                Some(h) if h.deadline().is_some_and(|d| Instant::now() >= d) => h.on_deadline(),
                _ => Ok(()),
            };
            (outcome, handler.as_ref().and_then(|h| h.deadline()))
        };
        if let Err(reason) = outcome {
            self.end(reason);
        }
        self.after_handler();
        Some(next)
    }

    /// The upgrade's last step (Engine.IO v4 "Upgrade"): on the client's `5`, what polling
    /// still holds goes into the WebSocket's outbox, ahead of anything sent later, and the
    /// WebSocket becomes the transport. Both happen under the session's lock, so that no
    /// send can slip between them and arrive out of order; the outbox only *queues* there
    /// (`Sender::enqueue_shared`), and the write happens after the lock is let go — no I/O
    /// under the session's lock. A held `GET` is released with a noop.
    pub(crate) fn switch_to_websocket(&self, sender: Sender) -> Result<(), SendError> {
        {
            let mut state = self.lock();
            if !matches!(state.phase, Phase::Probing | Phase::Upgrading) {
                return Err(SendError::Closed);
            }
            if !state.queue.is_empty() {
                // The queue is emptied only once the outbox has taken its packets: if it
                // refuses, polling goes on with nothing lost.
                let queued: Vec<Packet> = state.queue.iter().cloned().collect();
                sender.enqueue_shared(Outgoing::new(queued).websocket_frames())?;
                state.queue.clear();
                state.queued_bytes = 0;
            }
            state.switch(sender.clone())?;
        }
        self.inner.ready.notify_all();
        sender.flush();
        COUNTS.upgrades.inc();
        self.inner.watchers.upgraded("websocket");
        Ok(())
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, SessionState> {
        // Poisoned only by a panic while moving packets in the queue: nothing to recover.
        self.inner.state.lock().expect("session lock poisoned")
    }

    /// Waits on the session's condition variable (for a held `GET`).
    pub(crate) fn wait<'a>(
        &'a self,
        state: MutexGuard<'a, SessionState>,
        timeout: Duration,
    ) -> MutexGuard<'a, SessionState> {
        self.inner
            .ready
            .wait_timeout(state, timeout)
            .expect("session lock poisoned")
            .0
    }
}
