//! The manager: one Engine.IO session to one server, the namespaces multiplexed on it, and
//! the loop that opens the session again when it drops (the official client's `Manager`;
//! Socket.IO v5 "Multiplexing", Engine.IO v4 "Heartbeat").
//!
//! # Threads
//! Each manager runs two threads of its own (POSTs are sent by whoever emits:
//! `polling.rs`):
//!
//! - the **reader** (`threadio-client-reader`) owns the connection: it opens the session,
//!   reads every packet, answers pings at once, hands acknowledgements to whoever waits for
//!   them, and when the session drops, waits out the backoff and opens another. It never
//!   runs user code, so a slow handler can neither delay a pong nor hold up an ack.
//! - the **event thread** (`threadio-client-events`) runs every handler — events, `on_any`,
//!   connect, connect_error, disconnect, and the callback form of acknowledgements — one at a
//!   time, in the order the packets came. A handler may do anything there, including
//!   block: [`emit_with_ack`](super::Channel::emit_with_ack) from inside a handler waits for
//!   an answer that the reader, not the event thread, delivers, so it cannot deadlock. What
//!   it delays is only the next handler.
//!
//! With [`HandlerThread::Reader`] there is no event thread:
//! the reader runs the handlers itself, as the server runs its handlers on the
//! connection's thread. It runs them after it has finished with each packet, with no lock
//! held, so a handler may emit; jobs that start on another thread (an ack callback's
//! timeout on the timer thread, the disconnect handlers of a `disconnect()` call) run on
//! that thread. What that saves is one hand-over per event, measured in NOTES (the
//! bench's Socket.IO clients use it); what it costs is in `HandlerThread`'s doc.
//!
//! Writes come from any thread (an emit, the reader's pong). On a WebSocket they go through
//! one lock around the transport's writer, so a binary packet's attachments follow their
//! packet with nothing between them; the polling queue keeps them together by itself, and
//! the thread whose push finds no POST in flight sends it (`polling.rs`).
//!
//! # The reconnection loop
//! ```text
//!  loop {
//!      open a session (polling then upgrade, or one transport)
//!      send CONNECT for every namespace still wanted (with pid and offset: recovery)
//!      read until the transport fails or the server is silent past pingInterval+pingTimeout
//!      every connected namespace → disconnect(cause); pending acks fail
//!      stop if closed, if reconnection is off, or if no namespace is wanted any more
//!      sleep Reconnection::delay_before(attempt), attempt += 1 (0 again after a success)
//!  }
//! ```

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use super::channel_core::ChannelCore;
use super::error::{DialError, DisconnectCause};
use super::handlers::HandlerThread;
use super::reconnection::Reconnection;
use super::transport::{open_session, EngineTarget, OpenSession, Outbound};
use crate::engineio::packet::Packet as EnginePacket;
use crate::socketio::packet::{self as sio, Decoded, Limits, Packet as SioPacket, PartialPacket};

/// Work for the event thread: a handler call, with its arguments.
pub(crate) type Job = Box<dyn FnOnce() + Send>;

/// A handle on one client session to one server: the namespaces opened through it share
/// its connection. Get one from [`Channel::manager`](super::Channel::manager); it lives as
/// long as any handle or the reader thread does, and [`close`](Manager::close) ends it.
#[derive(Clone)]
pub struct Manager {
    pub(crate) core: Arc<ManagerCore>,
}

impl Manager {
    /// A namespace on this session, not yet joined: register its handlers, then call
    /// [`Channel::connect`](super::Channel::connect). `auth` goes in its CONNECT packet.
    pub fn namespace(&self, namespace: &str, auth: Option<crate::json::Value>) -> super::Channel {
        super::Channel {
            core: ManagerCore::channel(&self.core, namespace, auth),
        }
    }

    /// Leaves every namespace, ends the session and stops reconnecting. Handlers already
    /// queued still run; `disconnect` handlers get
    /// [`IoClientDisconnect`](DisconnectCause::IoClientDisconnect).
    pub fn close(&self) {
        self.core.close();
    }

    /// Ends the current Engine.IO session, as the official client's
    /// `socket.io.engine.close()` does, but not the client: the server sees its transport
    /// close (a reason for which it keeps a recoverable session), and the reconnection loop
    /// does what it does for a lost connection — a new session, the namespaces back,
    /// recovered if the server allows. For tests, and for a program that knows its network
    /// changed.
    pub fn drop_connection(&self) {
        if let Some(outbound) = self.core.outbound.lock().unwrap().as_ref() {
            outbound.close();
        }
    }

    /// The transport the session is on now, `"websocket"` or `"polling"` (the names of the
    /// Engine.IO query's `transport`), or `None` between sessions. After the default
    /// polling-then-upgrade opening, `"websocket"` means the probe succeeded.
    pub fn transport(&self) -> Option<&'static str> {
        self.core
            .outbound
            .lock()
            .unwrap()
            .as_ref()
            .map(|outbound| match outbound {
                Outbound::WebSocket(_) => "websocket",
                Outbound::Polling(_) => "polling",
            })
    }

    /// Whether [`close`](Manager::close) was called, or the client gave up reconnecting.
    pub fn closed(&self) -> bool {
        self.core.is_closing()
    }
}

/// The state the reader, the event thread and every handle share.
pub(crate) struct ManagerCore {
    pub(crate) target: EngineTarget,
    reconnection: Reconnection,
    /// The transport's writer while a session is open: the write lock.
    outbound: Mutex<Option<Outbound>>,
    channels: Mutex<Vec<Arc<ChannelCore>>>,
    /// Set once by `close`; the condvar wakes a reader sleeping out its backoff.
    closing: Mutex<bool>,
    wake: Condvar,
    /// The event thread's queue; `None` once the manager ends, and from the start with
    /// [`HandlerThread::Reader`].
    events: Mutex<Option<mpsc::Sender<Job>>>,
    handler_thread: HandlerThread,
    /// The reader thread, once it runs: who may not block on an answer it must read.
    reader: OnceLock<ThreadId>,
    /// With [`HandlerThread::Reader`], the jobs the reader posted while it held a lock,
    /// run when it has finished with the packet ([`ManagerCore::run_reader_jobs`]).
    reader_jobs: Mutex<Vec<Job>>,
}

impl ManagerCore {
    /// A manager for `target`, its event thread running if it has one;
    /// [`ManagerCore::start`] starts the reader once the first namespace is registered.
    pub(crate) fn new(
        target: EngineTarget,
        reconnection: Reconnection,
        handler_thread: HandlerThread,
    ) -> Arc<ManagerCore> {
        let events = match handler_thread {
            HandlerThread::Events => {
                let (sender, receiver) = mpsc::channel::<Job>();
                thread::Builder::new()
                    .name("threadio-client-events".into())
                    .spawn(move || run_events(receiver))
                    .expect("a thread for the client's handlers");
                Some(sender)
            }
            HandlerThread::Reader => None,
        };
        Arc::new(ManagerCore {
            target,
            reconnection,
            outbound: Mutex::new(None),
            channels: Mutex::new(Vec::new()),
            closing: Mutex::new(false),
            wake: Condvar::new(),
            events: Mutex::new(events),
            handler_thread,
            reader: OnceLock::new(),
            reader_jobs: Mutex::new(Vec::new()),
        })
    }

    pub(crate) fn start(core: &Arc<ManagerCore>) {
        let reader = Arc::clone(core);
        thread::Builder::new()
            .name("threadio-client-reader".into())
            .spawn(move || {
                let _ = reader.reader.set(thread::current().id());
                reader.run();
            })
            .expect("a thread for the client's connection");
    }

    /// The namespace's shared state, registered with this manager (one per namespace:
    /// asking again gives the same one, as the official client's `manager.socket(nsp)`).
    pub(crate) fn channel(
        core: &Arc<ManagerCore>,
        namespace: &str,
        auth: Option<crate::json::Value>,
    ) -> Arc<ChannelCore> {
        let mut channels = core.channels.lock().unwrap();
        if let Some(existing) = channels.iter().find(|c| c.namespace == namespace) {
            return Arc::clone(existing);
        }
        let channel = ChannelCore::new(namespace, auth, Arc::clone(core));
        channels.push(Arc::clone(&channel));
        channel
    }

    pub(crate) fn is_closing(&self) -> bool {
        *self.closing.lock().unwrap()
    }

    /// Runs `job` on the thread that runs handlers, after every job posted before it.
    pub(crate) fn post(&self, job: Job) {
        match self.handler_thread {
            HandlerThread::Events => {
                if let Some(events) = self.events.lock().unwrap().as_ref() {
                    let _ = events.send(job);
                }
            }
            // The reader may hold a namespace's lock here: it runs the job once it has
            // let go (`run_reader_jobs`). Any other thread holds none of ours.
            HandlerThread::Reader if self.on_reader() => self.reader_jobs.lock().unwrap().push(job),
            HandlerThread::Reader => run_job(job),
        }
    }

    /// Whether the calling thread is the reader.
    pub(crate) fn on_reader(&self) -> bool {
        self.reader.get() == Some(&thread::current().id())
    }

    /// With [`HandlerThread::Reader`]: runs what the reader posted, and what those jobs
    /// post in turn, in order. Called by the reader with no lock held.
    fn run_reader_jobs(&self) {
        if self.handler_thread != HandlerThread::Reader {
            return;
        }
        loop {
            let jobs = std::mem::take(&mut *self.reader_jobs.lock().unwrap());
            if jobs.is_empty() {
                return;
            }
            jobs.into_iter().for_each(run_job);
        }
    }

    /// Sends one Socket.IO packet: its text, then its attachments (Socket.IO v5 "Packet
    /// encoding"). `false` when no session is open.
    pub(crate) fn write(&self, packet: &SioPacket) -> bool {
        let (text, attachments) = packet.encode();
        let mut packets = vec![EnginePacket::Message(text)];
        packets.extend(attachments.into_iter().map(EnginePacket::BinaryMessage));
        self.write_engine(packets)
    }

    fn write_engine(&self, packets: Vec<EnginePacket>) -> bool {
        let outbound = self.outbound.lock().unwrap();
        match outbound.as_ref() {
            Some(Outbound::WebSocket(sender)) => Outbound::send_frames(sender, packets),
            // A push may send a POST, which must not hold up the other writers: they queue
            // behind it and go in its next POST.
            Some(Outbound::Polling(queue)) => {
                let queue = Arc::clone(queue);
                drop(outbound);
                queue.push(packets)
            }
            None => false,
        }
    }

    /// Whether a session is open (CONNECT can go out now).
    pub(crate) fn session_open(&self) -> bool {
        self.outbound.lock().unwrap().is_some()
    }

    pub(crate) fn close(&self) {
        {
            let mut closing = self.closing.lock().unwrap();
            if *closing {
                return;
            }
            *closing = true;
            self.wake.notify_all();
        }
        for channel in self.channels() {
            channel.leave(DisconnectCause::IoClientDisconnect, true);
        }
        if let Some(outbound) = self.outbound.lock().unwrap().take() {
            outbound.close();
        }
    }

    /// A namespace was left or refused: with none wanted any more, the session has no use
    /// (the official client's `Manager._destroy`).
    pub(crate) fn channel_left(&self) {
        if !self.channels().iter().any(|c| c.wanted()) {
            self.close();
        }
    }

    fn channels(&self) -> Vec<Arc<ChannelCore>> {
        self.channels.lock().unwrap().clone()
    }

    /// The reader thread: the reconnection loop of the module doc.
    fn run(self: Arc<ManagerCore>) {
        let mut attempt = 0u32;
        while !self.is_closing() {
            match open_session(&self.target) {
                Ok(session) => {
                    attempt = 0;
                    let cause = self.serve(session);
                    self.session_ended(cause);
                    self.run_reader_jobs();
                }
                Err(e) => {
                    crate::log!("client: cannot reach {}: {e}", self.target.authority);
                    // The original error to one waiter, faithful copies to the others.
                    let channels = self.channels();
                    let mut original = Some(e);
                    for (i, channel) in channels.iter().enumerate() {
                        let e = match i + 1 == channels.len() {
                            true => original.take().expect("taken once, at the end"),
                            false => duplicate(original.as_ref().expect("not yet taken")),
                        };
                        channel.open_failed(e);
                    }
                    self.run_reader_jobs();
                }
            }
            let wanted = self.channels().iter().any(|c| c.wanted());
            if self.is_closing() || !self.reconnection.enabled || !wanted {
                break;
            }
            if self
                .reconnection
                .attempts
                .is_some_and(|most| attempt >= most)
            {
                crate::log!("client: gave up after {attempt} reconnection attempts");
                break;
            }
            let delay = self.reconnection.delay_before(attempt);
            attempt += 1;
            self.sleep(delay);
        }
        self.close();
        self.run_reader_jobs();
        // Break the handles' cycle (a channel holds its manager) and let the event thread
        // end once it has run what is queued.
        self.channels.lock().unwrap().clear();
        self.events.lock().unwrap().take();
    }

    /// Sleeps `delay`, or less if `close` is called meanwhile.
    fn sleep(&self, delay: Duration) {
        let until = Instant::now() + delay;
        let mut closing = self.closing.lock().unwrap();
        while !*closing {
            let now = Instant::now();
            if now >= until {
                return;
            }
            closing = self.wake.wait_timeout(closing, until - now).unwrap().0;
        }
    }

    /// One session, from its open packet to its end: returns why it ended.
    fn serve(&self, session: OpenSession) -> DisconnectCause {
        let OpenSession {
            mut inbound,
            outbound,
            open,
            early,
        } = session;
        {
            let closing = self.closing.lock().unwrap();
            if *closing {
                outbound.close();
                return DisconnectCause::IoClientDisconnect;
            }
            *self.outbound.lock().unwrap() = Some(outbound);
        }
        for channel in self.channels() {
            channel.session_opened();
        }
        let silence = open.silence_limit();
        let mut partial = None;
        for packet in early {
            if let Err(cause) = self.take_packet(packet, &mut partial) {
                return cause;
            }
        }
        loop {
            let packets = match inbound.next_packets(silence) {
                Ok(packets) => packets,
                Err(cause) => return cause,
            };
            for packet in packets {
                if let Err(cause) = self.take_packet(packet, &mut partial) {
                    return cause;
                }
            }
        }
    }

    /// One packet, then the handlers it set off, if they run on this thread.
    fn take_packet(
        &self,
        packet: EnginePacket,
        partial: &mut Option<PartialPacket>,
    ) -> Result<(), DisconnectCause> {
        let taken = self.on_engine_packet(packet, partial);
        self.run_reader_jobs();
        taken
    }

    fn session_ended(&self, cause: DisconnectCause) {
        if let Some(outbound) = self.outbound.lock().unwrap().take() {
            outbound.close();
        }
        let cause = if self.is_closing() {
            DisconnectCause::IoClientDisconnect
        } else {
            cause
        };
        for channel in self.channels() {
            channel.leave(cause.clone(), false);
        }
    }

    /// One Engine.IO packet from the server. `Err` ends the session.
    fn on_engine_packet(
        &self,
        packet: EnginePacket,
        partial: &mut Option<PartialPacket>,
    ) -> Result<(), DisconnectCause> {
        match packet {
            // Engine.IO v4 "Heartbeat": answer at once, echoing the data.
            EnginePacket::Ping(data) => {
                self.write_engine(vec![EnginePacket::Pong(data)]);
            }
            EnginePacket::Message(text) => {
                if partial.is_some() {
                    return Err(DisconnectCause::ParseError(
                        "a text packet arrived before the attachments of a binary one".into(),
                    ));
                }
                match sio::decode(&text, &self.limits()) {
                    Ok(Decoded::Complete(packet)) => self.dispatch(packet),
                    Ok(Decoded::NeedsAttachments(waiting)) => *partial = Some(waiting),
                    Err(e) => return Err(DisconnectCause::ParseError(e.to_string())),
                }
            }
            EnginePacket::BinaryMessage(bytes) => {
                let Some(waiting) = partial.as_mut() else {
                    return Err(DisconnectCause::ParseError(
                        "an attachment that no binary packet announced".into(),
                    ));
                };
                match waiting.add_attachment(bytes) {
                    Ok(Some(packet)) => {
                        *partial = None;
                        self.dispatch(packet);
                    }
                    Ok(None) => {}
                    Err(e) => return Err(DisconnectCause::ParseError(e.to_string())),
                }
            }
            EnginePacket::Close => return Err(DisconnectCause::TransportClose),
            EnginePacket::Open(_) | EnginePacket::Pong(_) | EnginePacket::Upgrade => {}
            EnginePacket::Noop => {}
        }
        Ok(())
    }

    /// The decoder's limits: what the server may send us is bounded by what we accept in
    /// one message.
    fn limits(&self) -> Limits {
        Limits {
            max_attachment_bytes: self.target.max_message,
            ..Limits::default()
        }
    }

    /// Hands a Socket.IO packet to its namespace; one we never joined is ignored, as the
    /// official client does.
    fn dispatch(&self, packet: SioPacket) {
        let channel = self
            .channels
            .lock()
            .unwrap()
            .iter()
            .find(|c| c.namespace == packet.namespace)
            .cloned();
        if let Some(channel) = channel {
            channel.on_packet(packet);
        }
    }
}

/// The event thread: runs jobs in order until the manager ends. A handler that panics is
/// reported and the next one runs: one bad handler must not silence the rest.
fn run_events(jobs: mpsc::Receiver<Job>) {
    jobs.into_iter().for_each(run_job);
}

fn run_job(job: Job) {
    if catch_unwind(AssertUnwindSafe(job)).is_err() {
        crate::log!("client: a handler panicked; the client goes on");
    }
}

/// Recreates an error for a second reader of it (`io::Error` is not `Clone`).
pub(crate) fn duplicate(e: &DialError) -> DialError {
    match e {
        DialError::BadUrl(url) => DialError::BadUrl(url.clone()),
        DialError::Io(io) => DialError::Io(std::io::Error::new(io.kind(), io.to_string())),
        DialError::Refused(data) => DialError::Refused(data.clone()),
        DialError::BadHttp(why) => DialError::BadHttp(why.clone()),
        DialError::Protocol(why) => DialError::Protocol(why.clone()),
        DialError::Timeout => DialError::Timeout,
        DialError::Closed => DialError::Closed,
        // A handshake's error has no copy; its words do.
        DialError::WebSocket(e) => DialError::BadHttp(format!("WebSocket: {e}")),
    }
}
