//! One Engine.IO session seen by Socket.IO: the namespaces it has joined, and the decoding
//! of its packets (Socket.IO v5 "Packet format", "Connection to a namespace").
//!
//! Where it sits: Engine.IO calls [`Client`] (a `SessionHandler`) for each message, one at a
//! time under the session's handler lock (on the WebSocket's thread, or a POST's thread). A text message is a Socket.IO packet; a BINARY_EVENT or
//! BINARY_ACK announces attachments, which arrive as the next binary messages, in order.
//! A whole packet goes to the socket of its namespace — or, for CONNECT, opens one.
//!
//! What the reference server does with a packet that makes no sense, we do too: a packet
//! for a namespace the client has not joined (or a second CONNECT to one it has) closes the
//! whole connection with "forced close", the reason the reference's docs give for it; a
//! packet that does not parse closes it with "parse error", the reason they give for an
//! invalid packet. Either way only this client is affected.
//!
//! Two deadlines make the session act when nothing arrives (`SessionHandler::deadline`):
//! Socket.IO's connect timeout, and ours for a binary packet whose attachments stop coming
//! (`IoConfig::attachment_timeout`; the reference waits for them forever, holding them).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::disconnect_reason::DisconnectReason;
use super::namespace::{ConnectError, Namespace};
use super::packet::{self, Decoded, Packet, PacketError, PacketType, PartialPacket};
use super::server::Io;
use super::socket::{encode_packet, Socket};
use super::traffic::{self, TrafficWatchers};
use crate::engineio::{self, CloseReason, Incoming, Outgoing, SessionHandler};
use crate::json::Value;
use crate::websocket::VolatileSend;

/// What a client's sockets share: the session to send on, and the namespaces joined.
pub(crate) struct ClientShared {
    session: engineio::Session,
    /// This client's socket in each namespace it joined, by the namespace's name. A list,
    /// not a hash map: a client joins one namespace or a few, where a scan is as fast, and
    /// the smallest hash table has room for four (on every idle connection, NOTES.md
    /// chapter 14).
    sockets: Mutex<Vec<(String, Socket)>>,
    /// Who hears of each message (`traffic.rs`), copied from the server at the open.
    traffic: TrafficWatchers,
}

impl ClientShared {
    pub(crate) fn send(&self, outgoing: &Outgoing) {
        // A failure means the session is closing; its thread reports the end.
        if self.session.send_all(outgoing).is_ok() {
            traffic::tell_sent(&self.traffic, outgoing);
        }
    }

    /// The client's Engine.IO session.
    pub(crate) fn session(&self) -> &engineio::Session {
        &self.session
    }

    /// The request that opened the client's Engine.IO session.
    pub(crate) fn opening_request(&self) -> &engineio::OpeningRequest {
        self.session.opening_request()
    }

    /// Sends only if the transport can take it now (a `volatile` emit); returns whether it
    /// did. A closing session takes nothing, and its thread reports the end.
    pub(crate) fn send_volatile(&self, outgoing: &Outgoing) -> bool {
        let sent = matches!(self.session.send_volatile(outgoing), Ok(VolatileSend::Sent));
        if sent {
            traffic::tell_sent(&self.traffic, outgoing);
        }
        sent
    }

    /// The client's sockets, one per namespace joined.
    pub(crate) fn sockets(&self) -> Vec<Socket> {
        self.lock()
            .iter()
            .map(|(_, socket)| socket.clone())
            .collect()
    }

    /// The socket left its namespace: forget it.
    pub(crate) fn forget(&self, namespace: &str) {
        self.lock().retain(|(name, _)| name != namespace);
    }

    /// This client's socket in `namespace`, if it joined it.
    fn socket_in(&self, namespace: &str) -> Option<Socket> {
        let sockets = self.lock();
        let found = sockets.iter().find(|(name, _)| name == namespace);
        found.map(|(_, socket)| socket.clone())
    }

    /// Remembers the client's socket in `namespace`, in place of any earlier one.
    fn joined(&self, namespace: &str, socket: &Socket) {
        let mut sockets = self.lock();
        sockets.retain(|(name, _)| name != namespace);
        sockets.push((namespace.to_string(), socket.clone()));
    }

    pub(crate) fn close(&self, reason: CloseReason) {
        self.session.close(reason);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(String, Socket)>> {
        self.sockets.lock().expect("client lock poisoned")
    }
}

/// A binary packet waiting for its attachments, and when they must all be in.
struct Awaiting {
    packet: PartialPacket,
    due: Instant,
    /// `IoConfig::attachment_timeout` as it was for this packet: the log line says it.
    timeout: Duration,
}

/// The Socket.IO side of one Engine.IO session.
pub(crate) struct Client {
    io: Io,
    shared: Arc<ClientShared>,
    /// A binary packet waiting for its attachments.
    awaiting: Option<Awaiting>,
    /// Socket.IO's `connectTimeout`: a client that joins no namespace by then is dropped.
    connect_deadline: Option<Instant>,
}

impl Client {
    pub(crate) fn new(io: Io, session: &engineio::Session) -> Client {
        let traffic = io.traffic_watchers();
        Client {
            connect_deadline: Some(Instant::now() + io.config().connect_timeout),
            io,
            shared: Arc::new(ClientShared {
                session: session.clone(),
                sockets: Mutex::new(Vec::new()),
                traffic,
            }),
            awaiting: None,
        }
    }

    fn on_text(&mut self, text: &str) -> Result<(), CloseReason> {
        if let Some(awaiting) = &self.awaiting {
            let missing = PacketError::MissingAttachments {
                expected: awaiting.packet.expected(),
                received: awaiting.packet.received(),
            };
            return Err(self.parse_error(&missing.to_string()));
        }
        match packet::decode(text, &self.io.config().packet_limits) {
            Ok(Decoded::Complete(packet)) => self.dispatch(packet),
            Ok(Decoded::NeedsAttachments(packet)) => {
                let timeout = self.io.config().attachment_timeout;
                self.awaiting = Some(Awaiting {
                    packet,
                    due: Instant::now() + timeout,
                    timeout,
                });
                Ok(())
            }
            Err(e) => Err(self.parse_error(&e.to_string())),
        }
    }

    fn on_binary(&mut self, bytes: Vec<u8>) -> Result<(), CloseReason> {
        let Some(awaiting) = self.awaiting.as_mut() else {
            return Err(self.parse_error(&PacketError::UnexpectedAttachment.to_string()));
        };
        match awaiting.packet.add_attachment(bytes) {
            Ok(Some(packet)) => {
                self.awaiting = None;
                self.dispatch(packet)
            }
            Ok(None) => Ok(()),
            Err(e) => Err(self.parse_error(&e.to_string())),
        }
    }

    fn parse_error(&self, what: &str) -> CloseReason {
        crate::log!(
            "session {}: bad Socket.IO input: {what} (closing: parse error)",
            self.shared.session.sid()
        );
        CloseReason::ParseError
    }

    /// Sends a whole packet to where it belongs.
    fn dispatch(&mut self, packet: Packet) -> Result<(), CloseReason> {
        let socket = self.shared.socket_in(&packet.namespace);
        match (socket, packet.kind) {
            (None, PacketType::Connect) => {
                self.connect(&packet.namespace, packet.data);
                Ok(())
            }
            (Some(socket), PacketType::Disconnect) => {
                self.shared.forget(&packet.namespace);
                socket.on_client_gone(DisconnectReason::ClientNamespaceDisconnect);
                Ok(())
            }
            (Some(socket), PacketType::Event | PacketType::BinaryEvent) => {
                socket.on_event(packet);
                Ok(())
            }
            (Some(socket), PacketType::Ack | PacketType::BinaryAck) => {
                socket.on_ack(packet);
                Ok(())
            }
            (_, kind) => {
                crate::log!(
                    "session {}: {kind:?} packet for namespace {:?} in the wrong state (closing the connection)",
                    self.shared.session.sid(),
                    packet.namespace
                );
                Err(CloseReason::ForcedClose)
            }
        }
    }

    /// CONNECT (Socket.IO v5 "Connection to a namespace"): check the namespace, run the
    /// middlewares, then answer with the socket's id and run the connection handlers.
    fn connect(&mut self, name: &str, auth: Option<Value>) {
        let auth = auth.unwrap_or_else(|| Value::object(Vec::<(String, Value)>::new()));
        let Some(namespace) = self.io.namespace_for_connect(name, &auth) else {
            self.refuse(name, &ConnectError::new("Invalid namespace"));
            return;
        };
        if self.recover(name, &namespace, &auth) {
            return;
        }
        let socket = Socket::new(namespace.clone(), Arc::clone(&self.shared), auth);
        if let Err(refusal) = self.run_middlewares(&namespace, &socket) {
            socket.discard();
            // A child made for this CONNECT must not outlive its refusal.
            self.io.forget_if_empty(&namespace);
            self.refuse(name, &refusal);
            return;
        }
        // The CONNECT answer goes out before the socket joins its namespace, so that no
        // broadcast from another thread can reach the client ahead of it.
        self.answer_connect(name, &socket);
        socket.mark_connected();
        // The client's table first: a `disconnect_sockets` from another thread that finds
        // the socket in its namespace must also find it here.
        self.shared.joined(name, &socket);
        namespace.add(&socket);
        if namespace.is_child() {
            // Emptied and forgotten while the middlewares ran? Then it is back now.
            self.io.register(namespace.clone());
        }
        self.connect_deadline = None;
        for handler in namespace.connection_handlers() {
            socket.guarded("connection", || handler(&socket));
        }
    }

    /// `{"sid":…}`, and `"pid"` with connection state recovery on.
    fn answer_connect(&self, name: &str, socket: &Socket) {
        let mut answer = vec![("sid", Value::from(socket.id()))];
        if let Some(pid) = socket.pid() {
            answer.push(("pid", Value::from(pid)));
        }
        let packet = Packet::connect(name, Some(Value::object(answer)));
        self.shared.send(&encode_packet(&packet));
    }

    /// A CONNECT whose auth carries a kept session's `pid` and the last `offset` the
    /// client saw (connection state recovery, `recovery.rs`): gives it back its socket —
    /// same id, rooms and data — and the events it missed, before anything new. Returns
    /// whether the CONNECT was handled so (restored, or refused by a middleware); `false`
    /// leaves it to be a fresh connection.
    fn recover(&mut self, name: &str, namespace: &Namespace, auth: &Value) -> bool {
        let field = |key| auth.get(key).and_then(Value::as_str);
        let (Some(pid), Some(offset)) = (field("pid"), field("offset")) else {
            return false;
        };
        let Some(mut store) = namespace.recovery() else {
            return false;
        };
        let Some(restored) = store.restore(pid, offset) else {
            return false;
        };
        let socket = Socket::restored(
            namespace.clone(),
            Arc::clone(&self.shared),
            auth.clone(),
            &restored.session,
        );
        let mut missed = restored.missed;
        if !store.config().skip_middlewares {
            // Application code, which may emit: not under the store's lock.
            drop(store);
            if let Err(refusal) = self.run_middlewares(namespace, &socket) {
                socket.discard();
                self.refuse(name, &refusal);
                return true;
            }
            store = namespace.recovery().expect("recovery is on");
            match store.missed_since(offset, &restored.session.rooms) {
                Some(now) => missed = now,
                // The buffer moved past the offset meanwhile: a fresh session, never a
                // partial replay.
                None => return false,
            }
        }
        // Under the store's lock: every event is either in `missed` or reaches the socket
        // once it is in its rooms, and the replay is queued before any of those.
        self.answer_connect(name, &socket);
        for data in missed {
            self.shared.send(&encode_packet(&replayed(name, data)));
        }
        socket.mark_connected();
        self.shared.joined(name, &socket);
        namespace.add_restored(&socket, &restored.session.rooms);
        drop(store);
        if namespace.is_child() {
            self.io.register(namespace.clone());
        }
        self.connect_deadline = None;
        for handler in namespace.connection_handlers() {
            socket.guarded("connection", || handler(&socket));
        }
        true
    }

    /// Server-wide middlewares first, then the namespace's; the first refusal wins.
    fn run_middlewares(&self, namespace: &Namespace, socket: &Socket) -> Result<(), ConnectError> {
        for middleware in self
            .io
            .middlewares()
            .iter()
            .chain(namespace.middlewares().iter())
        {
            let outcome =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| middleware(socket)));
            match outcome {
                Ok(result) => result?,
                Err(_) => return Err(ConnectError::new("middleware error")),
            }
        }
        Ok(())
    }

    /// CONNECT_ERROR: `{"message":…,"data":…}`, which the client raises as `connect_error`.
    fn refuse(&self, name: &str, refusal: &ConnectError) {
        let packet = Packet::connect_error(name, &refusal.message, refusal.data.clone());
        self.shared.send(&encode_packet(&packet));
    }
}

impl SessionHandler for Client {
    fn on_message(&mut self, message: Incoming) -> Result<(), CloseReason> {
        if !self.shared.traffic.is_empty() {
            let bytes = match &message {
                Incoming::Text(text) => text.len(),
                Incoming::Binary(bytes) => bytes.len(),
            };
            traffic::tell_received(&self.shared.traffic, bytes);
        }
        match message {
            Incoming::Text(text) => self.on_text(&text),
            Incoming::Binary(bytes) => self.on_binary(bytes),
        }
    }

    /// The earlier of the connect deadline and the awaited attachments' deadline.
    fn deadline(&self) -> Option<Instant> {
        let attachments_due = self.awaiting.as_ref().map(|awaiting| awaiting.due);
        [self.connect_deadline, attachments_due]
            .into_iter()
            .flatten()
            .min()
    }

    /// A deadline passed: attachments still missing close the session with "parse error";
    /// a client in no namespace by the connect timeout is dropped.
    fn on_deadline(&mut self) -> Result<(), CloseReason> {
        let now = Instant::now();
        if let Some(late) = self.awaiting.take_if(|awaiting| now >= awaiting.due) {
            // The packet never became whole, so it is no valid packet: the reason a text
            // packet cutting in before the last attachment gets too (`MissingAttachments`),
            // one reason for every broken binary packet. Not "ping timeout" (the heartbeat
            // is fine), nor "forced close", which says the server chose to end a session
            // that did nothing wrong.
            let error = PacketError::AttachmentTimeout {
                expected: late.packet.expected(),
                received: late.packet.received(),
                timeout: late.timeout,
            };
            return Err(self.parse_error(&error.to_string()));
        }
        if self.connect_deadline.is_none_or(|due| now < due) {
            return Ok(());
        }
        self.connect_deadline = None;
        if self.shared.lock().is_empty() {
            crate::log!(
                "session {}: no namespace joined in time (closing)",
                self.shared.session.sid()
            );
            return Err(CloseReason::ForcedClose);
        }
        Ok(())
    }

    /// The session ended: every socket of this client disconnects with its reason.
    fn on_close(&mut self, reason: CloseReason) {
        let sockets: Vec<Socket> = self.shared.lock().drain(..).map(|(_, s)| s).collect();
        for socket in sockets {
            socket.on_client_gone(DisconnectReason::from(reason));
        }
    }
}

/// A kept event, `[event, ...args, offset]`, as the EVENT packet it was.
fn replayed(namespace: &str, data: Vec<Value>) -> Packet {
    let mut data = data.into_iter();
    let name = match data.next() {
        Some(Value::String(name)) => name,
        _ => String::new(),
    };
    Packet::event(namespace, &name, data.collect(), None)
}
