//! One namespace on the client's session: its handlers, its emits and acknowledgements,
//! and its own connection state (Socket.IO v5 "Connection to a namespace", "Sending and
//! receiving data", "Acknowledgement"). The official client calls this a `Socket`; the
//! server side of this crate has three kinds of `Socket` already, hence [`Channel`].
//!
//! The reader thread calls the `on_*` methods below with what the server sent; user
//! threads call the public ones. Handlers never run under a lock of ours: the reader
//! posts them to the event thread (see `manager.rs`).
//!
//! Rules kept, as the official client keeps them:
//! - an emit made while disconnected is buffered and sent on (re)connection, in order;
//! - events that arrive before the CONNECT answer (a recovered session's missed events:
//!   Node sends them first) are held and delivered just before `connect`;
//! - an acknowledgement still pending when the connection drops fails with
//!   [`AckError::Disconnected`]: the server forgot the question with the session;
//! - connection state recovery (Socket.IO v5, since socket.io 4.6): the CONNECT answer's
//!   `pid` and the offset each replayable event carries as its last argument go back in
//!   the next CONNECT, beside the auth; [`Channel::recovered`] says whether it worked.

use std::collections::HashMap;
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::{Duration, Instant};

use super::error::{DialError, DisconnectCause, EmitError};
use super::manager::{Manager, ManagerCore};
use crate::json::{Map, Value};
use crate::socketio::packet::{Packet as SioPacket, PacketType, RESERVED_EVENTS};
use crate::socketio::AckError;

type EventFn = Arc<dyn Fn(Vec<Value>, Responder) + Send + Sync>;
type AnyFn = Arc<dyn Fn(&str, &[Value]) + Send + Sync>;
type ConnectFn = Arc<dyn Fn() + Send + Sync>;
type ConnectErrorFn = Arc<dyn Fn(&Value) + Send + Sync>;
type DisconnectFn = Arc<dyn Fn(&DisconnectCause) + Send + Sync>;
type AckResult = Result<Vec<Value>, AckError>;

/// The handlers of one namespace.
#[derive(Default, Clone)]
pub(crate) struct Handlers {
    pub(crate) events: HashMap<String, EventFn>,
    pub(crate) any: Vec<AnyFn>,
    pub(crate) connect: Vec<ConnectFn>,
    pub(crate) connect_error: Vec<ConnectErrorFn>,
    pub(crate) disconnect: Vec<DisconnectFn>,
}

impl Handlers {
    pub(crate) fn on(
        &mut self,
        event: &str,
        f: impl Fn(Vec<Value>, Responder) + Send + Sync + 'static,
    ) {
        self.events.insert(event.to_owned(), Arc::new(f));
    }
}

/// Who waits for an acknowledgement.
enum AckWaiter {
    /// A thread blocked in `emit_with_ack`.
    Blocking(mpsc::Sender<AckResult>),
    /// A callback, run on the event thread.
    Callback(Box<dyn FnOnce(AckResult) + Send>),
}

#[derive(Default)]
struct ChannelState {
    /// The user wants this namespace: it is CONNECTed on every new session.
    wanted: bool,
    connected: bool,
    id: Option<String>,
    pid: Option<String>,
    offset: Option<String>,
    recovered: bool,
    /// Set while someone waits in `connect`: the outcome they wait for.
    refused: Option<Value>,
    failure: Option<DialError>,
    send_buffer: Vec<SioPacket>,
    receive_buffer: Vec<SioPacket>,
    next_ack_id: u64,
    acks: HashMap<u64, AckWaiter>,
}

/// The shared state behind a [`Channel`].
pub(crate) struct ChannelCore {
    pub(crate) namespace: String,
    auth: Option<Value>,
    manager: Arc<ManagerCore>,
    state: Mutex<ChannelState>,
    changed: Condvar,
    handlers: Mutex<Handlers>,
}

/// One namespace of a Socket.IO server, joined through the client's session. Get the first
/// from [`Dialer::connect`](super::Dialer::connect), others on the same session from
/// [`Manager::namespace`]. Clones are handles on the same namespace; any thread may use
/// them.
#[derive(Clone)]
pub struct Channel {
    pub(crate) core: Arc<ChannelCore>,
}

/// The way a handler answers an event the server sent with an ack id (Socket.IO v5
/// "Acknowledgement"). Dropping it unanswered sends nothing, as in the official client.
pub struct Responder {
    channel: Weak<ChannelCore>,
    id: Option<u64>,
}

impl Responder {
    /// Whether the server asked for an answer.
    pub fn wanted(&self) -> bool {
        self.id.is_some()
    }

    /// Sends the answer (`3<id>[…args]`, or a BINARY_ACK if an argument holds bytes). Does
    /// nothing if none was asked, or the connection that asked is gone: the server forgot
    /// the question with it.
    pub fn send(self, args: Vec<Value>) {
        let (Some(id), Some(channel)) = (self.id, self.channel.upgrade()) else {
            return;
        };
        let state = channel.state.lock().unwrap();
        if state.connected {
            channel
                .manager
                .write(&SioPacket::ack(&channel.namespace, id, args));
        }
    }
}

impl ChannelCore {
    pub(crate) fn new(
        namespace: &str,
        auth: Option<Value>,
        manager: Arc<ManagerCore>,
    ) -> Arc<ChannelCore> {
        Arc::new(ChannelCore {
            namespace: namespace.to_owned(),
            auth,
            manager,
            state: Mutex::new(ChannelState::default()),
            changed: Condvar::new(),
            handlers: Mutex::new(Handlers::default()),
        })
    }

    pub(crate) fn wanted(&self) -> bool {
        self.state.lock().unwrap().wanted
    }

    pub(crate) fn add_handlers(&self, more: Handlers) {
        let mut handlers = self.handlers.lock().unwrap();
        handlers.events.extend(more.events);
        handlers.any.extend(more.any);
        handlers.connect.extend(more.connect);
        handlers.connect_error.extend(more.connect_error);
        handlers.disconnect.extend(more.disconnect);
    }

    fn handlers(&self) -> Handlers {
        self.handlers.lock().unwrap().clone()
    }

    /// The CONNECT packet: the auth, and for recovery `pid` and `offset` beside it
    /// (the official client's `{ pid, offset, ...auth }`).
    fn connect_packet(&self, state: &ChannelState) -> SioPacket {
        let Some(pid) = &state.pid else {
            return SioPacket::connect(&self.namespace, self.auth.clone());
        };
        let mut data = Map::new();
        data.insert("pid", pid.as_str());
        data.insert("offset", state.offset.clone());
        if let Some(Value::Object(auth)) = &self.auth {
            for (key, value) in auth.iter() {
                data.insert(key, value.clone());
            }
        }
        SioPacket::connect(&self.namespace, Some(Value::Object(data)))
    }

    /// Marks the namespace wanted and, if a session is open, asks for it now.
    pub(crate) fn join(&self) {
        let mut state = self.state.lock().unwrap();
        state.wanted = true;
        state.refused = None;
        state.failure = None;
        if !state.connected && self.manager.session_open() {
            self.manager.write(&self.connect_packet(&state));
        }
    }

    /// A new session is open: CONNECT again if wanted.
    pub(crate) fn session_opened(&self) {
        let state = self.state.lock().unwrap();
        if state.wanted {
            self.manager.write(&self.connect_packet(&state));
        }
    }

    /// The session could not be opened: whoever waits in `connect` learns why, and the
    /// `connect_error` handlers get `{"message":…}` as the official client's do.
    pub(crate) fn open_failed(&self, e: DialError) {
        let mut state = self.state.lock().unwrap();
        if !state.wanted {
            return;
        }
        let data = Value::object([("message", e.to_string())]);
        state.failure = Some(e);
        self.changed.notify_all();
        drop(state);
        self.fire_connect_error(data);
    }

    fn fire_connect_error(&self, data: Value) {
        let handlers = self.handlers().connect_error;
        self.manager.post(Box::new(move || {
            for handler in handlers {
                handler(&data);
            }
        }));
    }

    /// The namespace is no longer connected: the session dropped (`by_us` false) or we left
    /// it. Pending acks fail; the disconnect handlers run if it was connected.
    pub(crate) fn leave(&self, cause: DisconnectCause, by_us: bool) {
        let mut state = self.state.lock().unwrap();
        if by_us || !cause.reconnects() {
            state.wanted = false;
            state.send_buffer.clear();
        }
        let was_connected = std::mem::take(&mut state.connected);
        state.id = None;
        let waiters: Vec<AckWaiter> = state.acks.drain().map(|(_, w)| w).collect();
        self.changed.notify_all();
        drop(state);
        for waiter in waiters {
            self.resolve(waiter, Err(AckError::Disconnected));
        }
        if was_connected {
            let handlers = self.handlers().disconnect;
            self.manager.post(Box::new(move || {
                for handler in handlers {
                    handler(&cause);
                }
            }));
        }
    }

    fn resolve(&self, waiter: AckWaiter, result: AckResult) {
        match waiter {
            // Straight from the reader thread: the waiting thread may be the event thread.
            AckWaiter::Blocking(sender) => {
                let _ = sender.send(result);
            }
            AckWaiter::Callback(callback) => self.manager.post(Box::new(move || callback(result))),
        }
    }

    /// A Socket.IO packet for this namespace, on the reader thread.
    pub(crate) fn on_packet(self: &Arc<Self>, packet: SioPacket) {
        match packet.kind {
            PacketType::Connect => self.on_connect(packet.data.unwrap_or(Value::Null)),
            PacketType::ConnectError => self.on_refused(packet.data.unwrap_or(Value::Null)),
            PacketType::Event | PacketType::BinaryEvent => {
                let mut state = self.state.lock().unwrap();
                if state.connected {
                    self.deliver(&mut state, packet);
                } else {
                    state.receive_buffer.push(packet);
                }
            }
            PacketType::Ack | PacketType::BinaryAck => {
                let Some(id) = packet.id else { return };
                let waiter = self.state.lock().unwrap().acks.remove(&id);
                // A late answer (its wait timed out) or an unknown id: nobody is waiting.
                if let Some(waiter) = waiter {
                    let args = match packet.data {
                        Some(Value::Array(args)) => args,
                        _ => Vec::new(),
                    };
                    self.resolve(waiter, Ok(args));
                }
            }
            PacketType::Disconnect => {
                self.leave(DisconnectCause::IoServerDisconnect, false);
                self.manager.channel_left();
            }
        }
    }

    /// The server's CONNECT answer: `{"sid":…}`, plus `"pid"` with recovery on.
    fn on_connect(self: &Arc<Self>, data: Value) {
        let mut state = self.state.lock().unwrap();
        let pid = data["pid"].as_str().map(String::from);
        state.recovered = pid.is_some() && pid == state.pid;
        state.pid = pid;
        state.id = data["sid"].as_str().map(String::from);
        state.connected = true;
        // As the official client: what came before the answer, then "connect", then the
        // emits buffered while disconnected, in order, before any newer emit.
        for packet in std::mem::take(&mut state.receive_buffer) {
            self.deliver(&mut state, packet);
        }
        let handlers = self.handlers().connect;
        self.manager.post(Box::new(move || {
            for handler in handlers {
                handler();
            }
        }));
        for packet in std::mem::take(&mut state.send_buffer) {
            self.manager.write(&packet);
        }
        self.changed.notify_all();
    }

    fn on_refused(&self, data: Value) {
        let mut state = self.state.lock().unwrap();
        // Refused by a middleware: the official client does not retry on its own.
        state.wanted = false;
        state.refused = Some(data.clone());
        self.changed.notify_all();
        drop(state);
        self.fire_connect_error(data);
        self.manager.channel_left();
    }

    /// Posts an event's handlers; remembers its offset for recovery. The offset stays in
    /// the arguments, as in the official client, so one handler serves both clients.
    fn deliver(self: &Arc<Self>, state: &mut ChannelState, packet: SioPacket) {
        let mut args = match packet.data {
            Some(Value::Array(items)) => items,
            _ => return,
        };
        if args.is_empty() {
            return;
        }
        let Value::String(event) = args.remove(0) else {
            return;
        };
        if state.pid.is_some() && packet.id.is_none() {
            if let Some(Value::String(offset)) = args.last() {
                state.offset = Some(offset.clone());
            }
        }
        let handlers = self.handlers();
        let responder = Responder {
            channel: Arc::downgrade(self),
            id: packet.id,
        };
        self.manager.post(Box::new(move || {
            for any in &handlers.any {
                any(&event, &args);
            }
            if let Some(handler) = handlers.events.get(&event) {
                handler(args, responder);
            }
        }));
    }

    /// Sends now if connected, else buffers for the next connection.
    fn send_or_buffer(&self, state: &mut ChannelState, packet: SioPacket) -> Result<(), EmitError> {
        if !state.wanted || self.manager.is_closing() {
            return Err(EmitError::Closed);
        }
        if state.connected {
            self.manager.write(&packet);
        } else {
            state.send_buffer.push(packet);
        }
        Ok(())
    }

    /// Registers `waiter` under a fresh ack id and sends the event.
    fn ask(&self, event: &str, args: Vec<Value>, waiter: AckWaiter) -> Result<u64, EmitError> {
        check_name(event)?;
        let mut state = self.state.lock().unwrap();
        let id = state.next_ack_id;
        state.next_ack_id += 1;
        self.send_or_buffer(
            &mut state,
            SioPacket::event(&self.namespace, event, args, Some(id)),
        )?;
        state.acks.insert(id, waiter);
        Ok(id)
    }

    fn forget_ack(&self, id: u64) -> Option<AckWaiter> {
        self.state.lock().unwrap().acks.remove(&id)
    }
}

fn check_name(event: &str) -> Result<(), EmitError> {
    if RESERVED_EVENTS.contains(&event) {
        return Err(EmitError::ReservedName(event.to_owned()));
    }
    Ok(())
}

impl Channel {
    /// The namespace's name (`/`, `/admin`).
    pub fn namespace(&self) -> &str {
        &self.core.namespace
    }

    /// The session this namespace is on, for opening others beside it or closing all.
    pub fn manager(&self) -> Manager {
        Manager {
            core: Arc::clone(&self.core.manager),
        }
    }

    /// Registers the handler of `event`, replacing any earlier one. It runs on the event
    /// thread with the event's arguments and a [`Responder`] for the ack, if one was asked.
    pub fn on(&self, event: &str, handler: impl Fn(Vec<Value>, Responder) + Send + Sync + 'static) {
        self.core.handlers.lock().unwrap().on(event, handler);
    }

    /// Registers a handler that sees every event, with its name, before its own handler.
    pub fn on_any(&self, handler: impl Fn(&str, &[Value]) + Send + Sync + 'static) {
        self.core
            .handlers
            .lock()
            .unwrap()
            .any
            .push(Arc::new(handler));
    }

    /// Runs after each successful CONNECT, first and reconnections alike.
    pub fn on_connect(&self, handler: impl Fn() + Send + Sync + 'static) {
        self.core
            .handlers
            .lock()
            .unwrap()
            .connect
            .push(Arc::new(handler));
    }

    /// Runs when the server refuses the namespace (its `{"message":…,"data":…}`) or the
    /// session cannot be opened (`{"message":…}`).
    pub fn on_connect_error(&self, handler: impl Fn(&Value) + Send + Sync + 'static) {
        self.core
            .handlers
            .lock()
            .unwrap()
            .connect_error
            .push(Arc::new(handler));
    }

    /// Runs when a connected namespace is disconnected, with the cause.
    pub fn on_disconnect(&self, handler: impl Fn(&DisconnectCause) + Send + Sync + 'static) {
        self.core
            .handlers
            .lock()
            .unwrap()
            .disconnect
            .push(Arc::new(handler));
    }

    /// Joins the namespace and waits for the server's answer, at most `timeout`. The
    /// namespace then stays wanted: it reconnects with the session until
    /// [`disconnect`](Channel::disconnect).
    ///
    /// # Errors
    /// [`DialError::Refused`] with the server's data, [`DialError::Timeout`], the error that
    /// kept the session from opening, or [`DialError::Closed`].
    pub fn connect(&self, timeout: Duration) -> Result<(), DialError> {
        if self.core.manager.is_closing() {
            return Err(DialError::Closed);
        }
        self.core.join();
        self.wait_connected(timeout)
    }

    pub(crate) fn wait_connected(&self, timeout: Duration) -> Result<(), DialError> {
        let deadline = Instant::now() + timeout;
        let mut state = self.core.state.lock().unwrap();
        loop {
            if state.connected {
                return Ok(());
            }
            if let Some(data) = state.refused.take() {
                return Err(DialError::Refused(data));
            }
            if let Some(e) = state.failure.take() {
                return Err(e);
            }
            if self.core.manager.is_closing() {
                return Err(DialError::Closed);
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(DialError::Timeout);
            }
            state = self
                .core
                .changed
                .wait_timeout(state, (deadline - now).min(Duration::from_millis(200)))
                .unwrap()
                .0;
        }
    }

    /// Sends an event (Socket.IO v5 "Sending and receiving data"); buffered while the
    /// namespace is disconnected, sent when it is back.
    ///
    /// # Errors
    /// [`EmitError::ReservedName`], [`EmitError::Closed`].
    pub fn emit(&self, event: &str, args: Vec<Value>) -> Result<(), EmitError> {
        check_name(event)?;
        let mut state = self.core.state.lock().unwrap();
        let packet = SioPacket::event(&self.core.namespace, event, args, None);
        self.core.send_or_buffer(&mut state, packet)
    }

    /// Sends an event asking for an acknowledgement and waits for it, at most `timeout`
    /// (counted from now, buffered or not, as the official client's `timeout(ms).emit`).
    /// Safe to call from a handler: the answer is delivered by the reader thread.
    ///
    /// # Errors
    /// [`EmitError::Ack`] with [`AckError::Timeout`] or [`AckError::Disconnected`], and as
    /// [`emit`](Channel::emit).
    pub fn emit_with_ack(
        &self,
        event: &str,
        args: Vec<Value>,
        timeout: Duration,
    ) -> Result<Vec<Value>, EmitError> {
        let (sender, answer) = mpsc::channel();
        let id = self.core.ask(event, args, AckWaiter::Blocking(sender))?;
        match answer.recv_timeout(timeout) {
            Ok(result) => result.map_err(EmitError::Ack),
            Err(_) => {
                self.core.forget_ack(id);
                Err(EmitError::Ack(AckError::Timeout))
            }
        }
    }

    /// The callback form: returns at once; `callback` runs on the event thread with the
    /// answer, or with [`AckError::Timeout`] after `timeout`, or [`AckError::Disconnected`].
    ///
    /// # Errors
    /// As [`emit`](Channel::emit); the callback is not called then.
    pub fn emit_with_ack_then(
        &self,
        event: &str,
        args: Vec<Value>,
        timeout: Duration,
        callback: impl FnOnce(Result<Vec<Value>, AckError>) + Send + 'static,
    ) -> Result<(), EmitError> {
        let id = self
            .core
            .ask(event, args, AckWaiter::Callback(Box::new(callback)))?;
        let channel = Arc::downgrade(&self.core);
        crate::timer::schedule(Instant::now() + timeout, move || {
            if let Some(channel) = channel.upgrade() {
                if let Some(waiter) = channel.forget_ack(id) {
                    channel.resolve(waiter, Err(AckError::Timeout));
                }
            }
        });
        Ok(())
    }

    /// The socket id the server gave this namespace, while connected.
    pub fn id(&self) -> Option<String> {
        self.core.state.lock().unwrap().id.clone()
    }

    /// Whether the namespace is connected now.
    pub fn connected(&self) -> bool {
        self.core.state.lock().unwrap().connected
    }

    /// Whether the last CONNECT restored the previous session (connection state recovery):
    /// same id, same rooms, and the missed events delivered before `connect`.
    pub fn recovered(&self) -> bool {
        self.core.state.lock().unwrap().recovered
    }

    /// Leaves the namespace (a DISCONNECT packet) and stops reconnecting it; when it was
    /// the last one, the session closes too.
    pub fn disconnect(&self) {
        {
            let state = self.core.state.lock().unwrap();
            if state.connected {
                self.core
                    .manager
                    .write(&SioPacket::disconnect(&self.core.namespace));
            }
        }
        self.core.leave(DisconnectCause::IoClientDisconnect, true);
        self.core.manager.channel_left();
    }
}
