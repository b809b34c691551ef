//! Broadcast operators: pick sockets by room, then emit to them or act on them
//! (Socket.IO v4 "Broadcasting", "Rooms", and the server API's `fetchSockets`,
//! `socketsJoin`, `socketsLeave`, `disconnectSockets`).
//!
//! `io.to("a").to("b").except("c").emit(…)` reaches every socket in room `a` or `b` that is
//! not in `c`, each once. From a socket, `socket.to(room)` and `socket.broadcast()` also
//! leave out the socket itself. The packet is encoded once and its bytes shared by every
//! recipient: one JSON serialisation per broadcast, and one frame encoding for all the
//! WebSocket recipients (a polling recipient's packets are written into each poll's body).

use super::namespace::Namespace;
use super::socket::{encode_packet, Socket};
use crate::json::Value;
use crate::socketio::packet::Packet;

/// A choice of sockets in one namespace.
#[derive(Clone)]
pub struct BroadcastOperator {
    namespace: Namespace,
    rooms: Vec<String>,
    except: Vec<String>,
    except_socket: Option<String>,
}

impl BroadcastOperator {
    pub(crate) fn new(namespace: Namespace) -> BroadcastOperator {
        BroadcastOperator {
            namespace,
            rooms: Vec::new(),
            except: Vec::new(),
            except_socket: None,
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

    /// Emits the event to every chosen socket; returns how many that was.
    ///
    /// # Panics
    /// If `event` is a reserved name (see [`Socket::emit`]).
    pub fn emit(&self, event: &str, args: Vec<Value>) -> usize {
        super::socket::check_event_name(event);
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
            for socket in &targets {
                socket.send_outgoing(&outgoing);
            }
        });
        targets.len()
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
