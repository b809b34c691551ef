//! Broadcast operators: pick sockets by room, then emit to them or act on them
//! (Socket.IO v4 "Broadcasting", "Rooms", and the server API's `fetchSockets`,
//! `socketsJoin`, `socketsLeave`, `disconnectSockets`).
//!
//! `io.to("a").to("b").except("c").emit(…)` reaches every socket in room `a` or `b` that is
//! not in `c`, each once. From a socket, `socket.to(room)` and `socket.broadcast()` also
//! leave out the socket itself. The packet is encoded once and its bytes shared by every
//! recipient: one JSON serialisation per broadcast, and one frame encoding for all the
//! WebSocket recipients (a polling recipient's packets are written into each poll's body).
//!
//! Flags change how the emit goes, as the reference's do: `.timeout(d)` then
//! `.emit_with_ack(…)` asks every target for an answer and gathers them into one callback
//! (`broadcast_ack.rs`); `.volatile()` drops the event for a target that cannot take it now
//! (`volatile.rs`); `.local()` keeps it to this node, which on one node is every broadcast.

use std::sync::Arc;
use std::time::Duration;

use super::ack::AckError;
use super::args::{Args, IntoArgs};
use super::broadcast_ack::{outgoing_with_id, AckTally, BroadcastAckResult};
use super::namespace::Namespace;
use super::socket::{check_event_name, encode_packet, Socket};
use crate::engineio::Outgoing;
use crate::socketio::packet::Packet;

/// A choice of sockets in one namespace, and how to emit to them.
///
/// Built by `io.to(room)`, `namespace.except(room)`, `socket.broadcast()` and the like, and
/// chained before the emit, as in Node:
///
/// ```
/// use std::time::Duration;
/// use threadio::socketio::Io;
///
/// let io = Io::new();
/// let reached = io.to("lobby").to("games").except("muted").emit("news", ("hi",));
/// assert_eq!(reached, 0); // nobody is connected
///
/// // Every chosen client's answer in one callback, or a timeout with those that came.
/// let (tx, answers) = std::sync::mpsc::channel();
/// io.to("lobby")
///     .timeout(Duration::from_secs(5))
///     .emit_with_ack("vote", ("yes or no?",), move |result| tx.send(result).unwrap());
/// assert_eq!(answers.recv().unwrap().unwrap(), Vec::<Vec<_>>::new()); // no one to ask
/// ```
#[derive(Clone)]
pub struct BroadcastOperator {
    namespace: Namespace,
    rooms: Vec<String>,
    except: Vec<String>,
    except_socket: Option<String>,
    /// How long [`emit_with_ack`](BroadcastOperator::emit_with_ack) waits for the answers.
    timeout: Option<Duration>,
    volatile: bool,
}

impl BroadcastOperator {
    pub(crate) fn new(namespace: Namespace) -> BroadcastOperator {
        BroadcastOperator {
            namespace,
            rooms: Vec::new(),
            except: Vec::new(),
            except_socket: None,
            timeout: None,
            volatile: false,
        }
    }

    pub(crate) fn without(mut self, socket_id: &str) -> BroadcastOperator {
        self.except_socket = Some(socket_id.to_string());
        self
    }

    /// Also targets the sockets in `room`.
    pub fn to(mut self, room: impl Into<String>) -> BroadcastOperator {
        self.rooms.push(room.into());
        self
    }

    /// Same as [`BroadcastOperator::to`].
    pub fn in_(self, room: impl Into<String>) -> BroadcastOperator {
        self.to(room)
    }

    /// Leaves out the sockets in `room`.
    pub fn except(mut self, room: impl Into<String>) -> BroadcastOperator {
        self.except.push(room.into());
        self
    }

    /// How long [`emit_with_ack`](BroadcastOperator::emit_with_ack) waits for the answers
    /// (`io.timeout(ms)`).
    pub fn timeout(mut self, timeout: Duration) -> BroadcastOperator {
        self.timeout = Some(timeout);
        self
    }

    /// Drops the event for each chosen socket whose transport cannot take it now, rather
    /// than queue it (`volatile.rs`).
    pub fn volatile(mut self) -> BroadcastOperator {
        self.volatile = true;
        self
    }

    /// Keeps the broadcast to the sockets of this node (`io.local`). threadio is one node,
    /// so every broadcast is local already: this changes nothing, and is here so that code
    /// written for a cluster reads the same. It will mean something once an adapter links
    /// several nodes, and broadcasts go to the sockets of all of them.
    pub fn local(self) -> BroadcastOperator {
        self
    }

    /// Emits the event to every chosen socket; returns how many it was sent to (with
    /// [`volatile`](BroadcastOperator::volatile), those that could take it now).
    ///
    /// # Panics
    /// If `event` is a reserved name (see [`Socket::emit`]).
    pub fn emit(&self, event: &str, args: impl IntoArgs) -> usize {
        check_event_name(event);
        let args = args.into_args().into_vec();
        let targets = self.fetch_sockets();
        // Each target's `on_any_outgoing` sees the event, as the reference's adapter shows
        // every broadcast to each target's outgoing listeners: a lock and an empty list's
        // clone per target when nobody listens.
        for socket in &targets {
            socket.notify_outgoing(event, &args);
        }
        let outgoing = encode_packet(&Packet::event(self.namespace.name(), event, args, None));
        // Queued for everyone first, then written, shared with the flusher (`cork::batch`).
        crate::websocket::cork::batch(|| {
            targets
                .iter()
                .filter(|socket| self.deliver(socket, &outgoing))
                .count()
        })
    }

    /// Emits the event to every chosen socket, asking each to acknowledge it, and calls
    /// `callback` exactly once: with every target's answer, or with the answers that came
    /// and why the others did not (`broadcast_ack.rs`). With no target, at once, with none.
    /// Returns how many sockets were asked.
    ///
    /// Set the wait first with [`timeout`](BroadcastOperator::timeout). Without one, no
    /// answer is waited for and the callback gets a timeout at once: the reference times
    /// out likewise (its types offer the callback only after `timeout()`).
    ///
    /// # Panics
    /// If `event` is a reserved name (see [`Socket::emit`]).
    pub fn emit_with_ack(
        &self,
        event: &str,
        args: impl IntoArgs,
        callback: impl FnOnce(BroadcastAckResult) + Send + 'static,
    ) -> usize {
        check_event_name(event);
        let args = args.into_args().into_vec();
        let targets = self.fetch_sockets();
        if targets.is_empty() {
            callback(Ok(Vec::new()));
            return 0;
        }
        let timeout = self.timeout.unwrap_or(Duration::ZERO);
        let tally = AckTally::new(targets.len(), Box::new(callback));
        let encoded = Packet::event(self.namespace.name(), event, args, None).encode_for_many_ids();
        crate::websocket::cork::batch(|| {
            for socket in &targets {
                let tally = Arc::clone(&tally);
                let settle = Box::new(move |outcome: Result<Args, AckError>| {
                    tally.settle(outcome.map(Args::into_vec))
                });
                socket.send_awaiting_ack(timeout, settle, |id| {
                    self.deliver(socket, &outgoing_with_id(&encoded, id));
                });
            }
        });
        targets.len()
    }

    /// Hands the packets to one target, as the flags say; returns whether it took them.
    fn deliver(&self, socket: &Socket, outgoing: &Outgoing) -> bool {
        if self.volatile {
            socket.send_outgoing_volatile(outgoing)
        } else {
            socket.send_outgoing(outgoing);
            true
        }
    }

    /// The chosen sockets.
    pub fn fetch_sockets(&self) -> Vec<Socket> {
        self.namespace
            .select(&self.rooms, &self.except, self.except_socket.as_deref())
    }

    /// Makes every chosen socket join `room`; returns how many are in it now. The others
    /// were refused: at their `max_rooms_per_socket`, or disconnected meanwhile (see
    /// [`Socket::join`]).
    pub fn sockets_join(&self, room: &str) -> usize {
        self.fetch_sockets()
            .iter()
            .filter(|socket| socket.join(room).is_ok())
            .count()
    }

    /// Makes every chosen socket leave `room`.
    pub fn sockets_leave(&self, room: &str) {
        for socket in self.fetch_sockets() {
            socket.leave(room);
        }
    }

    /// Disconnects every chosen socket; with `close`, their whole connections too.
    pub fn disconnect_sockets(&self, close: bool) {
        for socket in self.fetch_sockets() {
            socket.disconnect(close);
        }
    }
}
