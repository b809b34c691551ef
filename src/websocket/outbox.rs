//! The write side of one WebSocket: many threads may send, one writes at a time, and a client
//! that stops reading can never stall the thread that sends to it.
//!
//! Where it sits: the connection's own thread reads frames (`connection.rs`); any thread may
//! send — that thread itself (a pong, an echo), or another connection's thread that
//! broadcasts through the `Hub`. They all go through this `Outbox`.
//!
//! The design, measured on this machine before we wrote it (NOTES.md chapter 5, "how a
//! broadcast reaches a fast client and a slow one"): waking a writer thread per recipient cost ~20 µs per delivery;
//! writing directly from the thread that broadcasts cost ~7 µs. So there is no writer
//! thread. The rules:
//!
//! 1. A sender appends its frame to the queue. If nobody is writing, it becomes the writer
//!    (it takes the writer role, `WriterRole`: who writes, and when, is that one enum's state)
//!    and writes everything queued in one syscall (`write` for one frame, `writev` for
//!    several); frames queued by others
//!    while it writes are picked up by its next loop. Nobody ever waits for the lock while
//!    another thread is inside a syscall: the lock guards the queue, never the socket.
//! 2. The socket has a short write timeout (`SO_SNDTIMEO`, 20 ms by default), and a
//!    broadcaster's turn at one client lasts no longer than that either. When the kernel's
//!    send buffer is full because the client is not reading (or reads slowly), the write
//!    times out or the turn ends, and the broadcaster hands the backlog to the drainer
//!    thread (`drainer.rs`) and moves on to the next recipient: one slow client costs a
//!    broadcaster one timeout, once.
//! 3. The backlog is bounded. A frame that arrives while more than `max_backlog` bytes are
//!    still unsent disconnects the client (logged as close code 1008, policy violation; the
//!    close frame itself cannot reach a client that does not read, so the client sees the TCP
//!    connection end). Memory per connection stays below `max_backlog` plus one message.
//! 4. The connection's own thread sends with `send_blocking`: it waits for the client to
//!    read, which is TCP's own flow control (an echo server should slow down a client that
//!    sends faster than it reads, not drop it).
//! 5. After a close frame (RFC 6455 §5.5.1) nothing more is sent: "after sending a Close
//!    frame, the endpoint MUST NOT send any more data frames".
//! 6. A thread that still has input to read may hold its frames back and write them all at
//!    once before it blocks (`cork.rs`, where its WebSocket allows it): one `writev` for a
//!    burst instead of one per frame.
//! 7. A *volatile* frame (Socket.IO's `volatile` flag) is sent only if it would not wait
//!    behind earlier frames: with unsent bytes ahead of it that are being written or are
//!    stuck (not merely held back by rule 6), it is dropped, never queued. The reference
//!    server asks the same of its transport (`transport.writable`: no write in flight).

use std::collections::VecDeque;
use std::io::{self, IoSlice, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::{cork, drainer};
use crate::metrics::counts::COUNTS;

/// The bytes of one encoded frame: shared by every recipient of a broadcast (encoded once),
/// or owned when only this connection sends it.
#[derive(Debug, Clone)]
pub enum FrameBytes {
    Shared(Arc<Vec<u8>>),
    Owned(Vec<u8>),
}

impl FrameBytes {
    fn as_slice(&self) -> &[u8] {
        match self {
            FrameBytes::Shared(bytes) => bytes,
            FrameBytes::Owned(bytes) => bytes,
        }
    }
}

/// Why a frame was not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendError {
    /// A close frame was already sent, or the connection is gone.
    Closed,
    /// The client's unsent backlog passed the bound: it was disconnected (rule 3 above).
    BacklogExceeded,
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SendError::Closed => write!(f, "the WebSocket is closed or closing"),
            SendError::BacklogExceeded => {
                write!(
                    f,
                    "the client stopped reading and its backlog passed the bound"
                )
            }
        }
    }
}

impl std::error::Error for SendError {}

/// What became of a volatile frame (rule 7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VolatileSend {
    /// Nothing was waiting ahead of it: it was queued and is on its way like any other.
    Sent,
    /// Earlier frames were still unsent: it was dropped.
    Dropped,
}

/// Who writes the queue now, and so who writes a frame just queued, and when: the writer
/// role. Every change of it is one of the transitions in `impl WriterRole` below (NOTES ch 5).
///
/// ```text
///  Idle ── a send, a release, a close ──▶ Writing(mode) ── queue empty, or socket dead ──▶ Idle
///   │                                        ▲      │
///   │ a send while its thread                │      │ a broadcaster's turn ends
///   │ holds (cork.rs)                        │      │ with the client not reading
///   ▼                                        │      ▼
///  Held { round } ── that round's release, ──┘    Draining ── drained, or socket dead ──▶ Idle
///                    or a send from another round
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WriterRole {
    /// Nobody writes: the next send takes the role and writes at once (rule 1).
    Idle,
    /// The queued frames wait for hold round `round` (rule 6): the thread holding it writes
    /// them when it releases, or the flusher does for it. A send from any other round takes
    /// the role and writes at once, the held frames first, in order.
    Held { round: u64 },
    /// A thread is inside a write: a broadcaster, a release or a close
    /// ([`Mode::Broadcast`], one turn at most), or the connection's own thread
    /// ([`Mode::Blocking`], waiting on its client). Other senders only queue; the writer's
    /// next loop takes their frames.
    Writing(Mode),
    /// A turn ended with the client not reading: the drainer thread owns the backlog and
    /// tries again now and then (rule 2, `drainer.rs`). Senders only queue.
    Draining,
}

/// What a send under a hold round found (rule 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hold {
    /// The frame waits for this round's release, which already knows this outbox.
    Joined,
    /// The frame waits for this round's release, which must be told of this outbox.
    Started,
    /// Someone is writing, or another round holds: write (or queue) now.
    Refused,
}

impl WriterRole {
    /// A thread that is not writing wants to: it gets the role if nobody is writing, and
    /// then writes everything queued, held frames included.
    fn take(&mut self, mode: Mode) -> bool {
        match *self {
            WriterRole::Idle | WriterRole::Held { .. } => {
                *self = WriterRole::Writing(mode);
                true
            }
            WriterRole::Writing(_) | WriterRole::Draining => false,
        }
    }

    /// A send under hold round `round`: hold the frame if nobody writes and no other round
    /// holds.
    fn hold(&mut self, round: u64) -> Hold {
        match *self {
            WriterRole::Idle => {
                *self = WriterRole::Held { round };
                Hold::Started
            }
            WriterRole::Held { round: held } if held == round => Hold::Joined,
            WriterRole::Held { .. } | WriterRole::Writing(_) | WriterRole::Draining => {
                Hold::Refused
            }
        }
    }

    /// The writer leaves: the queue is empty, or the socket is dead.
    fn finish(&mut self) {
        *self = WriterRole::Idle;
    }

    /// A broadcaster's turn ended with the client not reading: the drainer takes over.
    fn stall(&mut self) {
        *self = WriterRole::Draining;
    }

    /// Whether the drainer holds the role (its turns keep it until the queue empties).
    fn is_draining(self) -> bool {
        self == WriterRole::Draining
    }
}

/// Where the connection is in its life, as far as sending goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Open,
    /// A close frame is queued or sent; no more frames may follow it (§5.5.1).
    Closing,
    /// The socket is shut down: everything queued is dropped.
    Dead,
}

/// How a writer behaves when the client is not reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Any thread but the connection's own waiting on its client (a broadcaster, a release,
    /// the flusher, a close): write for one turn, then hand the backlog to the drainer.
    Broadcast,
    /// The connection's own thread: wait for the client, up to the stall timeout.
    Blocking,
    /// The drainer: try once more, then give the other stalled clients a turn.
    Drainer,
}

/// What a drainer's turn achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flushed {
    /// Everything queued was written, or the connection died: the drainer can forget it.
    Done,
    /// The client is still not reading: try again later.
    Stalled,
}

/// Everything behind the outbox's one lock: the queue and who is writing it.
#[derive(Debug)]
struct OutboxState {
    queue: VecDeque<FrameBytes>,
    /// How much of `queue[0]` an earlier, interrupted write already sent.
    written_of_front: usize,
    /// Unsent bytes, including those a writer has taken out of the queue and is writing now.
    backlog: usize,
    role: WriterRole,
    phase: Phase,
    /// Threads waiting on `progress`. A condition variable's notify is a syscall
    /// (`futex`) even when nobody waits, and a write would make two of them; counting the
    /// waiters lets the common case — nobody waiting — skip both.
    waiting: usize,
}

/// Past this many unsent bytes a held send is written at once: holding is for bursts of
/// small frames, not for building up a backlog.
const HOLD_LIMIT: usize = 64 * 1024;

/// A written batch becomes the queue again, keeping its allocation, only if that is this
/// small: after a deep backlog, an idle connection should not keep a large queue.
const REUSED_QUEUE: usize = 64;

/// Tunables, from `WebSocketConfig`.
#[derive(Debug, Clone, Copy)]
pub struct OutboxLimits {
    /// Unsent bytes past which a broadcast disconnects the client (rule 3).
    pub max_backlog: usize,
    /// How long the connection's own thread waits on a client that reads nothing at all.
    pub stall_timeout: Duration,
    /// How long a broadcaster (or the drainer) may spend writing to one client before it
    /// moves on, leaving the rest to the drainer: the write timeout.
    pub turn: Duration,
}

/// The queue of frames waiting for one socket, and the rules for who writes them.
#[derive(Debug)]
pub struct Outbox {
    stream: Arc<TcpStream>,
    peer: SocketAddr,
    limits: OutboxLimits,
    /// Guards the queue only, never the socket: held for a few pointer moves, not for I/O.
    state: Mutex<OutboxState>,
    /// Signalled whenever the backlog shrinks or the writer role is released.
    progress: Condvar,
}

impl Outbox {
    /// An outbox writing to `stream`, whose write timeout the caller has already set.
    pub fn new(stream: Arc<TcpStream>, peer: SocketAddr, limits: OutboxLimits) -> Outbox {
        Outbox {
            stream,
            peer,
            limits,
            state: Mutex::new(OutboxState {
                queue: VecDeque::new(),
                written_of_front: 0,
                backlog: 0,
                role: WriterRole::Idle,
                phase: Phase::Open,
                waiting: 0,
            }),
            progress: Condvar::new(),
        }
    }

    /// The client's address, for log lines.
    pub fn peer(&self) -> SocketAddr {
        self.peer
    }

    /// Sends a frame from a thread other than the connection's own: never blocks for longer
    /// than one write timeout (rules 1–3).
    ///
    /// # Errors
    /// `Closed` after a close frame; `BacklogExceeded` if the client was too far behind and
    /// has just been disconnected.
    pub fn send(self: &Arc<Self>, frame: FrameBytes) -> Result<(), SendError> {
        let mut state = self.lock();
        if state.phase != Phase::Open {
            return Err(SendError::Closed);
        }
        if state.backlog > self.limits.max_backlog {
            let backlog = state.backlog;
            self.kill_locked(&mut state);
            drop(state);
            COUNTS.slow_clients_backlog.inc();
            crate::log!(
                "{} disconnected: {backlog} bytes unsent, over the {} byte backlog bound \
                 (close code 1008, policy violation: a client that does not read)",
                self.peer,
                self.limits.max_backlog
            );
            return Err(SendError::BacklogExceeded);
        }
        self.push_and_write(state, frame)
    }

    /// Queues a frame without writing it: for a caller that must fix its place in the
    /// order while it holds a lock of its own, and writes it with [`Outbox::flush`] once it
    /// has let go (Engine.IO's upgrade: `engineio::Session::switch_to_websocket`). Any send
    /// meanwhile queues behind it and, finding no writer, writes it too.
    ///
    /// # Errors
    /// `Closed` after a close frame or once the connection is gone.
    pub fn enqueue(&self, frame: FrameBytes) -> Result<(), SendError> {
        let mut state = self.lock();
        if state.phase != Phase::Open {
            return Err(SendError::Closed);
        }
        self.push(&mut state, frame);
        Ok(())
    }

    /// Writes what is queued, for one turn at most, if nobody is writing (rules 1–2).
    pub fn flush(self: &Arc<Self>) {
        let state = self.lock();
        if state.phase == Phase::Dead || state.queue.is_empty() {
            return;
        }
        let _ = self.write_if_idle(state, Mode::Broadcast);
    }

    /// Sends a frame only if nothing unsent is ahead of it (rule 7); otherwise drops it.
    /// From any thread, never blocking longer than [`Outbox::send`].
    ///
    /// # Errors
    /// `Closed` after a close frame or once the connection is gone.
    pub fn send_volatile(self: &Arc<Self>, frame: FrameBytes) -> Result<VolatileSend, SendError> {
        let state = self.lock();
        if state.phase != Phase::Open {
            return Err(SendError::Closed);
        }
        // Bytes held back by a thread's hold round (rule 6) go out when it releases, with no
        // wait on the client: they are no backlog. Bytes with a writer on them are (the
        // reference's "write in flight"), and so are bytes left for the drainer.
        let backlogged = state.backlog > 0 && !matches!(state.role, WriterRole::Held { .. });
        if backlogged {
            return Ok(VolatileSend::Dropped);
        }
        self.push_and_write(state, frame)?;
        Ok(VolatileSend::Sent)
    }

    /// Queues `frame`, then holds it (rule 6) or writes it for one turn (rules 1–2).
    fn push_and_write<'a>(
        self: &'a Arc<Self>,
        mut state: MutexGuard<'a, OutboxState>,
        frame: FrameBytes,
    ) -> Result<(), SendError> {
        self.push(&mut state, frame);
        if self.hold(&mut state) {
            return Ok(());
        }
        self.write_if_idle(state, Mode::Broadcast)
    }

    /// Sends a frame from the connection's own thread, waiting while the client reads
    /// (rule 4): TCP flow control reaches back to whoever sends too fast.
    ///
    /// # Errors
    /// `Closed` after a close frame or once the connection is gone (including when the
    /// client read nothing for `stall_timeout`).
    pub fn send_blocking(self: &Arc<Self>, frame: FrameBytes) -> Result<(), SendError> {
        let mut state = self.lock();
        if state.phase != Phase::Open {
            return Err(SendError::Closed);
        }
        self.push(&mut state, frame);
        if self.hold(&mut state) {
            return Ok(());
        }
        if cork::is_holding() {
            // This write may wait for this client; what the thread holds for others must
            // not wait with it. (Released without our lock: a release takes outbox locks.)
            drop(state);
            cork::release();
            state = self.lock();
            if state.phase == Phase::Dead {
                return Err(SendError::Closed);
            }
        }
        self.write_if_idle(state, Mode::Blocking)
    }

    /// Rule 6: leaves the frame just queued for this thread to write when it releases, if it
    /// is holding its writes and nobody else is writing here. Returns whether it did.
    fn hold(self: &Arc<Self>, state: &mut OutboxState) -> bool {
        let Some(round) = cork::round() else {
            return false;
        };
        if state.backlog > HOLD_LIMIT {
            return false;
        }
        // Refused when another round holds (another thread's, or an earlier one of ours
        // that the flusher has not reached): ours must not wait for that release, so we
        // write now, and those frames with ours.
        match state.role.hold(round) {
            Hold::Joined => true,
            Hold::Started => {
                cork::defer(Arc::clone(self));
                true
            }
            Hold::Refused => false,
        }
    }

    /// The thread that held frames here releases them (rule 6), or the flusher does for it:
    /// write the queue as a broadcaster would, for one turn at most, and leave a client that
    /// does not read to the drainer. So no release — and no batch given to the flusher —
    /// can be held up by one slow client. The connection's own flow control (rule 4) still
    /// holds: its next `send_blocking` waits once the backlog passes the bound.
    pub(crate) fn release_held(self: &Arc<Self>) {
        let state = self.lock();
        // Only held frames wait for a release: if a send from another round took the role
        // meanwhile, it wrote them. (Frames a later round holds here now go out with ours,
        // a little early, which does no harm.)
        if !matches!(state.role, WriterRole::Held { .. }) {
            return;
        }
        let _ = self.write_if_idle(state, Mode::Broadcast);
    }

    /// Queues a close frame and stops all sending after it (§5.5.1). Safe to call from any
    /// thread and more than once: only the first close frame is sent.
    pub fn close(self: &Arc<Self>, close_frame: Vec<u8>) {
        let mut state = self.lock();
        if state.phase != Phase::Open {
            return;
        }
        self.push(&mut state, FrameBytes::Owned(close_frame));
        state.phase = Phase::Closing;
        let _ = self.write_if_idle(state, Mode::Broadcast);
    }

    /// Whether a close frame was queued (by anyone) or the connection is gone.
    pub fn is_closing(&self) -> bool {
        self.lock().phase != Phase::Open
    }

    /// Waits up to `timeout` until everything queued is written (or the connection died).
    /// Returns whether the queue emptied.
    pub fn wait_flushed(&self, timeout: Duration) -> bool {
        // This thread may hold frames of this very outbox (rule 6): they go first.
        cork::release();
        let deadline = Instant::now() + timeout;
        let mut state = self.lock();
        loop {
            if state.phase == Phase::Dead {
                return false;
            }
            if state.backlog == 0 && state.role == WriterRole::Idle {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            state = self.wait_for_progress(state, deadline - now);
        }
    }

    /// Shuts the socket down in both directions and drops the queue. The reading thread sees
    /// end-of-stream and ends the connection; any thread inside a write returns an error.
    pub fn kill(&self) {
        let mut state = self.lock();
        self.kill_locked(&mut state);
    }

    fn kill_locked(&self, state: &mut OutboxState) {
        if state.phase == Phase::Dead {
            return;
        }
        state.phase = Phase::Dead;
        state.queue.clear();
        state.written_of_front = 0;
        state.backlog = 0;
        let _ = self.stream.shutdown(Shutdown::Both);
        self.notify_progress(state);
    }

    /// Sleeps until a writer makes progress (or `timeout` passes), counted in `waiting`.
    fn wait_for_progress<'a>(
        &'a self,
        mut state: MutexGuard<'a, OutboxState>,
        timeout: Duration,
    ) -> MutexGuard<'a, OutboxState> {
        state.waiting += 1;
        let mut state = self
            .progress
            .wait_timeout(state, timeout)
            .expect("outbox lock poisoned")
            .0;
        state.waiting -= 1;
        state
    }

    /// Wakes the threads in `wait_for_progress`, if there are any.
    fn notify_progress(&self, state: &OutboxState) {
        if state.waiting > 0 {
            self.progress.notify_all();
        }
    }

    fn lock(&self) -> MutexGuard<'_, OutboxState> {
        // A poisoned lock means a thread panicked while moving pointers in the queue, which
        // the code above never does; there is no sane state to recover.
        self.state.lock().expect("outbox lock poisoned")
    }

    fn push(&self, state: &mut OutboxState, frame: FrameBytes) {
        count_sent(frame.as_slice());
        state.backlog += frame.as_slice().len();
        state.queue.push_back(frame);
    }

    /// Bytes queued or being written and not yet sent: what `/metrics` sums over every
    /// connection at scrape time, instead of a shared counter every write would touch.
    pub fn backlog_bytes(&self) -> usize {
        self.lock().backlog
    }

    /// Takes the writer role if it is free and writes; otherwise the current writer will
    /// write our frame on its next loop (rule 1).
    fn write_if_idle<'a>(
        self: &'a Arc<Self>,
        mut state: MutexGuard<'a, OutboxState>,
        mode: Mode,
    ) -> Result<(), SendError> {
        if !state.role.take(mode) {
            if mode == Mode::Blocking {
                return self.wait_for_room(state);
            }
            return Ok(());
        }
        self.write_queue(state, mode).map(|_| ())
    }

    /// The connection's own thread, when someone else holds the writer role: wait until the
    /// backlog is back under the bound, so a fast sender cannot grow it without limit.
    fn wait_for_room<'a>(
        &'a self,
        mut state: MutexGuard<'a, OutboxState>,
    ) -> Result<(), SendError> {
        let deadline = Instant::now() + self.limits.stall_timeout;
        while state.backlog > self.limits.max_backlog && state.phase != Phase::Dead {
            let now = Instant::now();
            if now >= deadline {
                self.kill_locked(&mut state);
                COUNTS.slow_clients_stalled.inc();
                break;
            }
            state = self.wait_for_progress(state, deadline - now);
        }
        if state.phase == Phase::Dead {
            return Err(SendError::Closed);
        }
        Ok(())
    }

    /// Called by the drainer, which already holds the writer role ([`WriterRole::Draining`]).
    pub(crate) fn drain_once(self: &Arc<Self>) -> Flushed {
        let state = self.lock();
        debug_assert!(state.role.is_draining() || state.phase == Phase::Dead);
        self.write_queue(state, Mode::Drainer)
            .unwrap_or(Flushed::Done)
    }

    /// The writer's loop. The caller holds the writer role (`Writing`, or `Draining` for the
    /// drainer); this releases it when the queue is empty, or passes it to the drainer when
    /// a broadcaster's turn ends with the client not reading.
    fn write_queue<'a>(
        self: &'a Arc<Self>,
        mut state: MutexGuard<'a, OutboxState>,
        mode: Mode,
    ) -> Result<Flushed, SendError> {
        let mut last_progress = Instant::now();
        // A broadcaster or the drainer writes for one turn at most: a client that reads
        // slowly but steadily would otherwise keep it writing, a little at a time, for as
        // long as others keep queueing. The connection's own thread has no such limit.
        let turn_ends = match mode {
            Mode::Blocking => None,
            Mode::Broadcast | Mode::Drainer => Some(Instant::now() + self.limits.turn),
        };
        loop {
            if state.phase == Phase::Dead {
                state.role.finish();
                return Err(SendError::Closed);
            }
            if state.queue.is_empty() {
                state.role.finish();
                self.notify_progress(&state);
                return Ok(Flushed::Done);
            }
            let mut batch = std::mem::take(&mut state.queue);
            let mut offset = std::mem::take(&mut state.written_of_front);
            drop(state);

            let (written, result) = write_batch(&self.stream, &mut batch, &mut offset, turn_ends);

            state = self.lock();
            if state.phase == Phase::Dead {
                continue; // killed while we wrote: what is left of the batch goes with it
            }
            state.backlog = state.backlog.saturating_sub(written);
            // What is left goes back in front of anything queued while we wrote, so the
            // order on the wire is the order of the sends. Usually nothing was queued: then
            // the batch itself becomes the queue again, and keeps its allocation.
            if state.queue.is_empty() && batch.capacity() <= REUSED_QUEUE {
                state.queue = batch;
            } else {
                while let Some(chunk) = batch.pop_back() {
                    state.queue.push_front(chunk);
                }
            }
            if !state.queue.is_empty() {
                state.written_of_front = offset;
            }
            if written > 0 {
                last_progress = Instant::now();
                self.notify_progress(&state);
            }
            match result {
                Ok(()) => continue,
                Err(e) if is_timeout(&e) => match mode {
                    Mode::Broadcast => {
                        state.role.stall();
                        drop(state);
                        drainer::hand_over(Arc::clone(self));
                        return Ok(Flushed::Stalled);
                    }
                    Mode::Drainer => return Ok(Flushed::Stalled),
                    Mode::Blocking => {
                        if last_progress.elapsed() >= self.limits.stall_timeout {
                            crate::log!(
                                "{} disconnected: read nothing for {:?} (write stalled)",
                                self.peer,
                                self.limits.stall_timeout
                            );
                            self.kill_locked(&mut state);
                            COUNTS.slow_clients_stalled.inc();
                        }
                    }
                },
                Err(e) => {
                    if state.phase != Phase::Dead {
                        crate::debug!("{} write failed: {e}", self.peer);
                    }
                    self.kill_locked(&mut state);
                }
            }
        }
    }
}

/// Counts the data messages among `bytes` (one frame, or a Socket.IO event's text frame and
/// its attachments encoded back to back) for `/metrics`: only the first frame's header is
/// read, two bytes, and the rest of `bytes` counted as its payload. Control frames (pings,
/// pongs, close) are not messages and are not counted.
fn count_sent(bytes: &[u8]) {
    let [first, second, ..] = *bytes else { return };
    // RFC 6455 §5.2: opcode 0x1 text, 0x2 binary; 0x0 continues one of them.
    if first & 0x0F > 0x2 {
        return;
    }
    // §5.2: a 7-bit length, or 126 and 2 bytes, or 127 and 8; then a client's masking key.
    let length = match second & 0x7F {
        126 => 4,
        127 => 10,
        _ => 2,
    };
    let header = length + if second & 0x80 != 0 { 4 } else { 0 };
    COUNTS.websocket_messages_sent.inc();
    COUNTS
        .websocket_bytes_sent
        .add(bytes.len().saturating_sub(header) as u64);
}

/// How many frames go into one `writev`: Linux accepts up to 1024 (`IOV_MAX`). The slice
/// list lives on the heap for the length of the write, not on the stack: a thread keeps
/// every stack page it once touched, and an idle connection should keep few (NOTES.md,
/// chapter 14); one allocation is small beside the syscall.
const MAX_SLICES: usize = 1024;

/// Writes `batch` (starting `offset` bytes into its first frame) with as few syscalls as
/// possible, until done or until `turn_ends`. Removes what was written from `batch` and returns how many bytes that was,
/// with the error that stopped it, if any.
fn write_batch(
    mut stream: &TcpStream,
    batch: &mut VecDeque<FrameBytes>,
    offset: &mut usize,
    turn_ends: Option<Instant>,
) -> (usize, io::Result<()>) {
    let mut total = 0;
    while !batch.is_empty() {
        if turn_ends.is_some_and(|end| Instant::now() >= end) {
            // The turn is over: this reads to the caller like a write timeout.
            return (total, Err(io::ErrorKind::WouldBlock.into()));
        }
        let written = if batch.len() == 1 {
            // One frame, the common case: a plain `write`, with no slice list to build.
            stream.write(&batch[0].as_slice()[*offset..])
        } else {
            write_slices(stream, batch, *offset)
        };
        let n = match written {
            Ok(0) => return (total, Err(io::ErrorKind::WriteZero.into())),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return (total, Err(e)),
        };
        total += n;
        consume(batch, offset, n);
    }
    (total, Ok(()))
}

/// Writes the first `MAX_SLICES` frames of `batch` with one `writev`.
fn write_slices(
    mut stream: &TcpStream,
    batch: &VecDeque<FrameBytes>,
    offset: usize,
) -> io::Result<usize> {
    let slices: Vec<IoSlice> = batch
        .iter()
        .take(MAX_SLICES)
        .enumerate()
        .map(|(i, chunk)| {
            let bytes = chunk.as_slice();
            IoSlice::new(if i == 0 { &bytes[offset..] } else { bytes })
        })
        .collect();
    stream.write_vectored(&slices)
}

/// Drops `n` written bytes from the front of `batch`.
fn consume(batch: &mut VecDeque<FrameBytes>, offset: &mut usize, mut n: usize) {
    while n > 0 {
        let front_left = batch[0].as_slice().len() - *offset;
        if n >= front_left {
            n -= front_left;
            *offset = 0;
            batch.pop_front();
        } else {
            *offset += n;
            n = 0;
        }
    }
}

/// A socket timeout (`SO_SNDTIMEO` here, `SO_RCVTIMEO` in `connection.rs`) expiring shows as
/// `WouldBlock` (EAGAIN) on Unix and `TimedOut` on Windows.
pub(super) fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consume_walks_across_frames_and_keeps_a_partial_offset() {
        let mut batch: VecDeque<FrameBytes> = [b"abc".to_vec(), b"defg".to_vec()]
            .into_iter()
            .map(FrameBytes::Owned)
            .collect();
        let mut offset = 1;
        consume(&mut batch, &mut offset, 4); // "bc" and "de"
        assert_eq!(batch.len(), 1);
        assert_eq!(&batch[0].as_slice()[offset..], b"fg");
    }
}
