//! What the UI asks of the server (`ClientEvents` of the reference's `typed-events.ts`),
//! each for every socket of a namespace or, with a filter, for those in one room — a
//! socket's id names its own room, so one socket is the same form:
//!
//! | event | arguments | does |
//! |---|---|---|
//! | `emit` | `nsp, filter, event, ...args` | `io.of(nsp).in(filter).emit(event, ...args)` |
//! | `join` | `nsp, room, filter?` | `io.of(nsp).in(filter).sockets_join(room)` |
//! | `leave` | `nsp, room, filter?` | `…sockets_leave(room)` |
//! | `_disconnect` | `nsp, close, filter?` | `…disconnect_sockets(close)` |
//!
//! Each is cluster-wide, through the namespace's adapter. With `readonly` none is
//! registered, and `config` offers none.
//!
//! Deliberately stricter than the reference: a namespace that does not exist is not made
//! for the UI (`io.of` would make it, and keep it), and an event name the protocol reserves
//! (`connect`, `disconnect`, …) is not emitted, where the reference would throw.

use crate::json::Value;
use crate::socketio::packet::RESERVED_EVENTS;
use crate::socketio::{Args, BroadcastOperator, Io, Socket};

/// The features `config` announces when the UI may act (the reference's `Feature` names).
pub(crate) const ACTIONS: [&str; 7] = [
    "EMIT",
    "JOIN",
    "LEAVE",
    "DISCONNECT",
    "MJOIN",
    "MLEAVE",
    "MDISCONNECT",
];

/// Listens for the UI's commands on `ui`, one admin socket.
pub(crate) fn obey(io: &Io, ui: &Socket) {
    let on = io.clone();
    ui.on("emit", move |_, args, _| {
        let args = args.into_vec();
        let (Some(nsp), Some(event)) = (string_arg(&args, 0), string_arg(&args, 2)) else {
            return;
        };
        if RESERVED_EVENTS.contains(&event) {
            crate::log!("admin: refusing to emit reserved event {event:?}");
            return;
        }
        if let Some(targets) = command_targets(&on, nsp, string_arg(&args, 1)) {
            targets.emit(event, args[3..].to_vec());
        }
    });
    let on = io.clone();
    ui.on("join", move |_, args: Args, _| {
        let args = args.into_vec();
        if let (Some(nsp), Some(room)) = (string_arg(&args, 0), string_arg(&args, 1)) {
            if let Some(targets) = command_targets(&on, nsp, string_arg(&args, 2)) {
                targets.sockets_join(room);
            }
        }
    });
    let on = io.clone();
    ui.on("leave", move |_, args: Args, _| {
        let args = args.into_vec();
        if let (Some(nsp), Some(room)) = (string_arg(&args, 0), string_arg(&args, 1)) {
            if let Some(targets) = command_targets(&on, nsp, string_arg(&args, 2)) {
                targets.sockets_leave(room);
            }
        }
    });
    let on = io.clone();
    ui.on("_disconnect", move |_, args: Args, _| {
        let args = args.into_vec();
        let close = args.get(1).and_then(Value::as_bool).unwrap_or(false);
        if let Some(nsp) = string_arg(&args, 0) {
            if let Some(targets) = command_targets(&on, nsp, string_arg(&args, 2)) {
                targets.disconnect_sockets(close);
            }
        }
    });
}

/// The sockets a command is for: all of namespace `nsp`, or those in room `filter`. `None`
/// if there is no such namespace.
fn command_targets(io: &Io, nsp: &str, filter: Option<&str>) -> Option<BroadcastOperator> {
    if !io.namespace_names().iter().any(|name| name == nsp) {
        crate::log!("admin: no namespace {nsp:?} to act on");
        return None;
    }
    let namespace = io.of(nsp);
    Some(match filter {
        Some(room) if !room.is_empty() => namespace.in_(room),
        _ => namespace.all(),
    })
}

/// Argument `i` if it is a string.
fn string_arg(args: &[Value], i: usize) -> Option<&str> {
    args.get(i).and_then(Value::as_str)
}
