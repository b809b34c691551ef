//! The state of one namespace on the client's session, and what the reader thread does
//! with the server's packets for it (Socket.IO v5 "Connection to a namespace", "Sending and
//! receiving data", "Acknowledgement"). [`Channel`](super::Channel) is the handle users
//! hold; this is what it and the reader share. Handlers never run under a lock of ours:
//! the reader posts them, to the event thread or to itself for when it has let go of the
//! packet (`HandlerThread`; see `manager.rs`).
//!
//! Rules kept, as the official client keeps them:
//! - an emit made while disconnected is buffered and sent on (re)connection, in order;
//! - events that arrive before the CONNECT answer (a recovered session's missed events:
//!   Node sends them first) are held and delivered just before `connect`;
//! - an acknowledgement still pending when the connection drops fails with
//!   [`AckError::Disconnected`]: the server forgot the question with the session;
//! - connection state recovery (Socket.IO v5, since socket.io 4.6): the CONNECT answer's
//!   `pid` and the offset each replayable event carries as its last argument go back in
//!   the next CONNECT, beside the auth; `Channel::recovered` says whether it worked.

use std::collections::HashMap;
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};

use super::error::{DialError, DisconnectCause, EmitError};
use super::handlers::{Handlers, Responder};
use super::manager::ManagerCore;
use crate::json::{Map, Value};
use crate::socketio::packet::{Packet as SioPacket, PacketType, RESERVED_EVENTS};
use crate::socketio::AckError;

pub(crate) type AckResult = Result<Vec<Value>, AckError>;

/// Who waits for an acknowledgement.
pub(crate) enum AckWaiter {
    /// A thread blocked in `emit_with_ack`.
    Blocking(mpsc::Sender<AckResult>),
    /// A callback, run where the handlers run (`HandlerThread`).
    Callback(Box<dyn FnOnce(AckResult) + Send>),
}

#[derive(Default)]
pub(crate) struct ChannelState {
    /// The user wants this namespace: it is CONNECTed on every new session.
    pub(crate) wanted: bool,
    pub(crate) connected: bool,
    /// The socket id the server's CONNECT answer gave this namespace (`40{"sid":…}`), not
    /// the Engine.IO session's sid.
    pub(crate) socket_id: Option<String>,
    pid: Option<String>,
    offset: Option<String>,
    pub(crate) recovered: bool,
    /// Set while someone waits in `connect`: the outcome they wait for.
    pub(crate) refused: Option<Value>,
    pub(crate) failure: Option<DialError>,
    send_buffer: Vec<SioPacket>,
    receive_buffer: Vec<SioPacket>,
    next_ack_id: u64,
    acks: HashMap<u64, AckWaiter>,
}

/// The shared state behind a [`Channel`](super::Channel).
pub(crate) struct ChannelCore {
    pub(crate) namespace: String,
    auth: Option<Value>,
    pub(crate) manager: Arc<ManagerCore>,
    pub(crate) state: Mutex<ChannelState>,
    pub(crate) changed: Condvar,
    /// Shared with every job in flight; a registration copies it (they are rare, events
    /// are not), so delivering an event costs one reference count, not a map's copy.
    pub(crate) handlers: Mutex<Arc<Handlers>>,
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
            handlers: Mutex::new(Arc::new(Handlers::default())),
        })
    }

    pub(crate) fn wanted(&self) -> bool {
        self.state.lock().unwrap().wanted
    }

    pub(crate) fn add_handlers(&self, more: Handlers) {
        let mut shared = self.handlers.lock().unwrap();
        let handlers = Arc::make_mut(&mut shared);
        handlers.events.extend(more.events);
        handlers.any.extend(more.any);
        handlers.connect.extend(more.connect);
        handlers.connect_error.extend(more.connect_error);
        handlers.disconnect.extend(more.disconnect);
    }

    fn handlers(&self) -> Arc<Handlers> {
        Arc::clone(&self.handlers.lock().unwrap())
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
        let handlers = self.handlers();
        self.manager.post(Box::new(move || {
            for handler in &handlers.connect_error {
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
        state.socket_id = None;
        let waiters: Vec<AckWaiter> = state.acks.drain().map(|(_, w)| w).collect();
        self.changed.notify_all();
        drop(state);
        for waiter in waiters {
            self.resolve(waiter, Err(AckError::Disconnected));
        }
        if was_connected {
            let handlers = self.handlers();
            self.manager.post(Box::new(move || {
                for handler in &handlers.disconnect {
                    handler(&cause);
                }
            }));
        }
    }

    pub(crate) fn resolve(&self, waiter: AckWaiter, result: AckResult) {
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
        state.socket_id = data["sid"].as_str().map(String::from);
        state.connected = true;
        // As the official client: what came before the answer, then "connect", then the
        // emits buffered while disconnected, in order, before any newer emit.
        for packet in std::mem::take(&mut state.receive_buffer) {
            self.deliver(&mut state, packet);
        }
        let handlers = self.handlers();
        self.manager.post(Box::new(move || {
            for handler in &handlers.connect {
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

    /// Buffers `packet` for the next connection, or, if connected, hands it back to be
    /// written. The caller writes it after letting go of the state: a write may be a POST
    /// (`polling.rs`), and other emits on this namespace should queue behind it, not wait
    /// for its round trip on this lock. Order holds: the buffer is flushed under the lock
    /// when `connected` is set, so every packet handed back here goes after it.
    pub(crate) fn send_or_buffer(
        &self,
        state: &mut ChannelState,
        packet: SioPacket,
    ) -> Result<Option<SioPacket>, EmitError> {
        if !state.wanted || self.manager.is_closing() {
            return Err(EmitError::Closed);
        }
        if state.connected {
            return Ok(Some(packet));
        }
        state.send_buffer.push(packet);
        Ok(None)
    }

    /// Registers `waiter` under a fresh ack id and sends the event. The waiter is in place
    /// before the event goes out, so the answer cannot come first.
    pub(crate) fn ask(
        &self,
        event: &str,
        args: Vec<Value>,
        waiter: AckWaiter,
    ) -> Result<u64, EmitError> {
        check_name(event)?;
        let mut state = self.state.lock().unwrap();
        let id = state.next_ack_id;
        state.next_ack_id += 1;
        let to_write = self.send_or_buffer(
            &mut state,
            SioPacket::event(&self.namespace, event, args, Some(id)),
        )?;
        state.acks.insert(id, waiter);
        drop(state);
        if let Some(packet) = to_write {
            self.manager.write(&packet);
        }
        Ok(id)
    }

    pub(crate) fn forget_ack(&self, id: u64) -> Option<AckWaiter> {
        self.state.lock().unwrap().acks.remove(&id)
    }

    /// Sends the answer to the server's event `id`, if the namespace is still connected.
    pub(crate) fn send_ack(&self, id: u64, args: Vec<Value>) {
        let state = self.state.lock().unwrap();
        if state.connected {
            self.manager
                .write(&SioPacket::ack(&self.namespace, id, args));
        }
    }
}

pub(crate) fn check_name(event: &str) -> Result<(), EmitError> {
    if RESERVED_EVENTS.contains(&event) {
        return Err(EmitError::ReservedName(event.to_owned()));
    }
    Ok(())
}
