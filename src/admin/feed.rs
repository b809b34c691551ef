//! Development mode's live feed: each thing that happens to a socket, told to the UI as it
//! happens (the reference's `registerVerboseListeners`).
//!
//! | what happens | hook | event to the UI |
//! |---|---|---|
//! | a socket connects | `Namespace::on_connection` | `socket_connected(socket, date)` |
//! | its session upgrades | `Socket::on_upgrade` | `socket_updated({id, nsp, transport})` |
//! | it joins / leaves a room | `Namespace::on_room_change` | `room_joined` / `room_left(nsp, room, id, date)` |
//! | it sends an event | `Socket::on_any` | `event_received(nsp, id, [event, ...args], date)` |
//! | it is sent an event | `Socket::on_any_outgoing` | `event_sent(nsp, id, [event, ...args], date)` |
//! | it disconnects | `Socket::on_disconnect` | `socket_disconnected(nsp, id, reason, date)` |
//!
//! The admin namespace's own sockets are shown too, but not their events: telling the UI
//! about the events sent to the UI would never end.

use crate::json::Value;
use crate::socketio::{Namespace, RemoteSocket, RoomChange, Socket};

use super::socket_shape::{now, serialize};

/// Tells `admin` about everything that happens in `watched` from now on.
pub(crate) fn watch(admin: &Namespace, watched: &Namespace) {
    let is_admin = watched.name() == admin.name();
    let to = admin.clone();
    watched.on_connection(move |socket| socket_connected(&to, socket, is_admin));
    let (to, nsp) = (admin.clone(), watched.name().to_string());
    watched.on_room_change(move |change, room, id| {
        let event = match change {
            RoomChange::Joined => "room_joined",
            RoomChange::Left => "room_left",
        };
        to.emit(event, (nsp.as_str(), room, id, now()));
    });
}

fn socket_connected(admin: &Namespace, socket: &Socket, is_admin: bool) {
    let nsp = socket.namespace().name().to_string();
    let shape = serialize(&RemoteSocket::of_local(socket), &nsp);
    admin.emit("socket_connected", (shape, now()));

    let (to, name) = (admin.clone(), nsp.clone());
    socket.on_upgrade(move |socket, transport| {
        let update = Value::object([
            ("id", Value::from(socket.id())),
            ("nsp", Value::from(name.as_str())),
            ("transport", Value::from(transport)),
        ]);
        to.emit("socket_updated", (update,));
    });
    if !is_admin {
        let (to, name) = (admin.clone(), nsp.clone());
        socket.on_any(move |socket, event, args| {
            to.emit(
                "event_received",
                (name.as_str(), socket.id(), with_name(event, args), now()),
            );
        });
        let (to, name) = (admin.clone(), nsp.clone());
        socket.on_any_outgoing(move |socket, event, args| {
            to.emit(
                "event_sent",
                (name.as_str(), socket.id(), with_name(event, args), now()),
            );
        });
    }
    let to = admin.clone();
    socket.on_disconnect(move |socket, reason| {
        to.emit(
            "socket_disconnected",
            (nsp.as_str(), socket.id(), reason.as_str(), now()),
        );
    });
}

/// The reference's `onAny` hands the event's name first, then its arguments.
fn with_name(event: &str, args: &[Value]) -> Value {
    let mut all = Vec::with_capacity(args.len() + 1);
    all.push(Value::from(event));
    all.extend(args.iter().cloned());
    Value::Array(all)
}
