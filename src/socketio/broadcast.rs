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
//! (`volatile.rs`); `.local()` keeps it to this node.
//!
//! In a cluster every operation here has two halves: this node's sockets, chosen and sent
//! to here, and the other nodes', handed to the namespace's adapter (`adapter.rs`) with the
//! same rooms, exceptions and flags as [`BroadcastOptions`]. For a broadcast the other
//! nodes' half is handed over first — the adapter only queues it, so a local recipient
//! never waits on Redis, and the others do not wait for this node's writes; the returned
//! counts are this node's, since the others do not report theirs for a plain broadcast.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::ack::AckError;
use super::adapter::{BroadcastFlags, BroadcastOptions, ClusterResult};
use super::args::{Args, IntoArgs};
use super::broadcast_ack::{outgoing_with_id, AckTally, BroadcastAckResult};
use super::namespace::Namespace;
use super::remote_socket::RemoteSocket;
use super::socket::{check_event_name, encode_packet, encode_packet_sized, Socket};
use crate::engineio::Outgoing;
use crate::json::Value;
use crate::metrics::counts::COUNTS;
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
    local: bool,
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
            local: false,
        }
    }

    /// The sockets of `namespace` that `options` choose, with its flags: how an adapter
    /// acts on this node for another (with `.local()`, so that it goes no further).
    pub fn with_options(namespace: &Namespace, options: BroadcastOptions) -> BroadcastOperator {
        BroadcastOperator {
            namespace: namespace.clone(),
            rooms: options.rooms,
            except: options.except,
            except_socket: None,
            timeout: options.flags.timeout,
            volatile: options.flags.volatile,
            local: options.flags.local,
        }
    }

    /// What the other nodes need to know to choose the same sockets: the socket left out
    /// by `socket.broadcast()` travels as its own room.
    pub fn options(&self) -> BroadcastOptions {
        BroadcastOptions {
            rooms: self.rooms.clone(),
            except: self
                .except
                .iter()
                .cloned()
                .chain(self.except_socket.clone())
                .collect(),
            flags: BroadcastFlags {
                volatile: self.volatile,
                local: self.local,
                timeout: self.timeout,
            },
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

    /// Keeps the operation to the sockets of this node (`io.local`): the adapter is not
    /// asked. On a node alone, every operation is local already.
    pub fn local(mut self) -> BroadcastOperator {
        self.local = true;
        self
    }

    /// Emits the event to every chosen socket; returns how many it was sent to (with
    /// [`volatile`](BroadcastOperator::volatile), those that could take it now).
    ///
    /// # Panics
    /// If `event` is a reserved name (see [`Socket::emit`]).
    pub fn emit(&self, event: &str, args: impl IntoArgs) -> usize {
        check_event_name(event);
        self.emit_event(event, args.into_args().into_vec())
    }

    /// Emits an event whose name was checked already (by `emit`, or by an adapter that
    /// drops reserved names from other nodes), here and then on the other nodes.
    pub(crate) fn emit_event(&self, event: &str, args: Vec<Value>) -> usize {
        // Each target's `on_any_outgoing` sees the event, as the reference's adapter shows
        // every broadcast to each target's outgoing listeners: a lock and an empty list's
        // clone per target when nobody listens.
        let started = Instant::now();
        let packet = Packet::event(self.namespace.name(), event, args, None);
        let (targets, outgoing) = self.targets_and_bytes(&packet);
        if let Some(Value::Array(data)) = &packet.data {
            for socket in &targets {
                socket.notify_outgoing(event, &data[1..]);
            }
        }
        if !self.local {
            // The other nodes' share first: handing it to the adapter only queues it (the
            // Redis adapter's publisher thread sends it), and it has further to go — after
            // 12,000 local writes it would leave up to half a second late (chapter 14).
            // Without this node's offset: each node that keeps events for recovery gives
            // them offsets of its own.
            self.namespace.adapter().broadcast(&packet, &self.options());
        }
        // Queued for everyone first, then written, shared with the flusher (`cork::batch`).
        let delivered = crate::websocket::cork::batch(|| {
            targets
                .iter()
                .filter(|socket| self.deliver(socket, &outgoing))
                .count()
        });
        count_fanout(started, delivered);
        delivered
    }

    /// The chosen sockets, and the packet's bytes for them. With connection state recovery
    /// on (`recovery.rs`), a non-volatile event gets the next offset as its last argument
    /// and is kept for replay; its targets are chosen while the store is locked, so that a
    /// socket being restored either is in its replay or among its targets.
    fn targets_and_bytes(&self, packet: &Packet) -> (Vec<Socket>, Outgoing) {
        let store = match self.volatile {
            true => None,
            false => self.namespace.recovery(),
        };
        let Some(mut store) = store else {
            return (self.local_sockets(), encode_packet(packet));
        };
        let mut kept = packet.clone();
        let offset = Value::from(store.next_offset());
        if let Some(Value::Array(data)) = &mut kept.data {
            data.push(offset);
        }
        let (outgoing, bytes) = encode_packet_sized(&kept);
        if let Some(Value::Array(data)) = kept.data {
            store.record(&self.options(), data, bytes);
        }
        (self.local_sockets(), outgoing)
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
        let timeout = self.timeout.unwrap_or(Duration::ZERO);
        let started = Instant::now();
        let targets = self.local_sockets();
        let tally = AckTally::new(targets.len(), Box::new(callback));
        let packet = Packet::event(self.namespace.name(), event, args, None);
        let settle = Arc::clone(&tally);
        self.ask_each(&targets, &packet, timeout, move |outcome| {
            settle.settle(outcome.map(Args::into_vec))
        });
        count_fanout(started, targets.len());
        let other_nodes = if self.local {
            0
        } else {
            self.namespace
                .adapter()
                .broadcast_with_ack(&packet, &self.options(), &tally)
        };
        if other_nodes > 0 {
            // The other nodes' sockets have no timer here: the tally's own deadline ends
            // the wait for them.
            let tally = Arc::clone(&tally);
            crate::timer::schedule(Instant::now() + timeout, move || tally.time_out());
        }
        tally.seal(other_nodes);
        targets.len()
    }

    /// Sends `packet` (an EVENT without an id) to each of `targets` asking for an ack, each
    /// with its own id, and hands each outcome to `on_outcome`, exactly once per target.
    pub(crate) fn ask_each(
        &self,
        targets: &[Socket],
        packet: &Packet,
        timeout: Duration,
        on_outcome: impl Fn(Result<Args, AckError>) + Clone + Send + 'static,
    ) {
        let encoded = packet.encode_for_many_ids();
        crate::websocket::cork::batch(|| {
            for socket in targets {
                let on_outcome = on_outcome.clone();
                let settle = Box::new(move |outcome: Result<Args, AckError>| on_outcome(outcome));
                socket.send_awaiting_ack(timeout, settle, |id| {
                    self.deliver(socket, &outgoing_with_id(&encoded, id));
                });
            }
        });
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

    /// The chosen sockets of this node.
    pub(crate) fn local_sockets(&self) -> Vec<Socket> {
        self.namespace
            .select(&self.rooms, &self.except, self.except_socket.as_deref())
    }

    /// The chosen sockets, on every node of the cluster (with [`local`](Self::local), on
    /// this one): described as they are now, with the means to emit to them, make them
    /// join or leave rooms, or disconnect them, wherever they are. Asking the other nodes
    /// blocks until they have all answered, or the adapter's requests timeout.
    ///
    /// # Errors
    /// A [`ClusterError`](super::ClusterError) holding every socket found — this node's
    /// and those of the nodes that answered — when not every node did.
    pub fn fetch_sockets(&self) -> ClusterResult<Vec<RemoteSocket>> {
        let mut found: Vec<RemoteSocket> = self
            .local_sockets()
            .iter()
            .map(RemoteSocket::of_local)
            .collect();
        if self.local {
            return Ok(found);
        }
        match self.namespace.adapter().fetch_sockets(&self.options()) {
            Ok(remote) => {
                found.extend(remote);
                Ok(found)
            }
            Err(error) => Err(error.map(|remote| {
                found.extend(remote);
                found
            })),
        }
    }

    /// Makes every chosen socket join `room`, on every node; returns how many of this
    /// node's are in it now. The others of this node were refused: at their
    /// `max_rooms_per_socket`, or disconnected meanwhile (see [`Socket::join`]).
    pub fn sockets_join(&self, room: &str) -> usize {
        let joined = self
            .local_sockets()
            .iter()
            .filter(|socket| socket.join(room).is_ok())
            .count();
        if !self.local {
            let rooms = [room.to_string()];
            self.namespace
                .adapter()
                .add_sockets(&self.options(), &rooms);
        }
        joined
    }

    /// Makes every chosen socket leave `room`, on every node.
    pub fn sockets_leave(&self, room: &str) {
        for socket in self.local_sockets() {
            socket.leave(room);
        }
        if !self.local {
            let rooms = [room.to_string()];
            self.namespace
                .adapter()
                .del_sockets(&self.options(), &rooms);
        }
    }

    /// Disconnects every chosen socket, on every node; with `close`, their whole
    /// connections too.
    pub fn disconnect_sockets(&self, close: bool) {
        for socket in self.local_sockets() {
            socket.disconnect(close);
        }
        if !self.local {
            self.namespace
                .adapter()
                .disconnect_sockets(&self.options(), close);
        }
    }
}

/// Counts one broadcast for `/metrics`: its local deliveries, and the time from choosing its
/// targets to the last hand-off to their outboxes — the fan-out a slow client would stretch.
/// Two clock reads and three relaxed adds per broadcast, however many it reaches.
fn count_fanout(started: Instant, delivered: usize) {
    COUNTS.broadcasts.inc();
    COUNTS.deliveries.add(delivered as u64);
    COUNTS.fanout.observe(started.elapsed());
}
