//! What runs when something happens to a socket: each event's listeners, the catch-alls, the
//! event middlewares, and the error, disconnecting and disconnect handlers — the server
//! side of Node's `EventEmitter` as a Socket.IO socket has it (the socket.io v4 server API:
//! `socket.on`, `once`, `off`, `onAny`, `prependAny`, `offAny`, `onAnyOutgoing`,
//! `socket.use`, `socket.on("error")`).
//!
//! Where it sits: each `Socket` (`socket.rs`) holds one `Listeners` table behind a mutex.
//! The socket copies out what it needs (clones of `Arc`s) and lets go of the lock before any
//! of it runs, so a listener may add listeners, remove them, or emit, and never deadlock on
//! the table. This file holds the table, its types, the half of [`Socket`] that fills it
//! (`on`, `once`, `off`, `on_any`, …), and the order in which it all runs for an event.
//!
//! An event from the client runs as the reference runs it (socket.io's `Socket#onevent`,
//! then `dispatch`): the catch-alls (`on_any`), which see every event, even one a
//! middleware then refuses; the middlewares in order, where the first refusal drops the
//! event and raises the socket's error handlers; then, if the socket is still connected,
//! the event's listeners, in the order they were added, each with its own copy of the
//! arguments (the last gets the original).
//!
//! An event the server sends this socket is shown first to `on_any_outgoing`: from
//! `Socket::emit` and `emit_with_ack` on the emitting thread, and from a broadcast that
//! includes the socket on the broadcasting thread, as the reference's adapter shows each
//! broadcast to every target's outgoing listeners.
//!
//! Choices where Rust and Node differ:
//! - **Several listeners, one acknowledgement.** Every listener of an event gets its own
//!   [`Ack`] handle, but all share one flag: the first `send` answers the
//!   client and later ones do nothing, as the reference's ack function ignores a second call.
//! - **No removal by identity.** Node's `off(event, fn)` finds the listener by the function
//!   object; a Rust closure has no identity to compare, so `off(event)` removes all of that
//!   event's listeners and says how many.
//! - **A listener may return a `Result`** (see [`ListenerOutcome`]), so `args.parse()?`
//!   works inside it; an `Err` is logged with the socket and the event, and the socket stays.

use std::fmt;
use std::sync::Arc;

use super::ack::Ack;
use super::args::Args;
use super::disconnect_reason::DisconnectReason;
use super::packet::{Packet, RESERVED_EVENTS};
use super::socket::Socket;
use crate::json::Value;

/// Handles one named event: the socket, the event's arguments, and the means to answer.
pub type EventHandler = Arc<dyn Fn(&Socket, Args, Ack) + Send + Sync>;
/// Sees every event, in or out: the socket, the event's name, its arguments.
pub type AnyHandler = Arc<dyn Fn(&Socket, &str, &[Value]) + Send + Sync>;
/// Runs for each incoming event before its listeners; `Err` drops the event.
pub type EventMiddleware =
    Arc<dyn Fn(&Socket, &str, &mut Args) -> Result<(), EventRefusal> + Send + Sync>;
/// Hears that a middleware refused an event (the reference's `socket.on("error")`).
pub type RefusalHandler = Arc<dyn Fn(&Socket, &EventRefusal) + Send + Sync>;
/// Runs at disconnect, with the reason.
pub type DisconnectHandler = Arc<dyn Fn(&Socket, DisconnectReason) + Send + Sync>;

/// A per-socket middleware's refusal of one incoming event: no listener runs, and the
/// socket's error handlers get this (the reference's `next(new Error(message))`, with the
/// error's `data`). The client is told nothing, as in the reference: if it asked for an
/// acknowledgement, its own timeout is what it sees.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRefusal {
    pub message: String,
    pub data: Option<Value>,
}

impl EventRefusal {
    /// A refusal with a message.
    pub fn new(message: impl Into<String>) -> EventRefusal {
        EventRefusal {
            message: message.into(),
            data: None,
        }
    }

    /// Adds data for the error handlers (`err.data` in JavaScript).
    pub fn with_data(mut self, data: Value) -> EventRefusal {
        self.data = Some(data);
        self
    }
}

impl fmt::Display for EventRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for EventRefusal {}

/// What a listener may return: nothing, or a `Result` whose error is logged. The `Result`
/// lets a listener use `?` (give the closure its type: `|socket, args, ack| -> Result<(),
/// ArgsError> { … }`); JavaScript has no such return, and an exception thrown by a listener
/// there goes up to the process, so what to do with the error is ours to choose: one log
/// line naming the socket, the event and the error. The socket stays connected (only a
/// panic disconnects it) and the event's other listeners still run.
///
/// The price of the choice: a listener whose body only panics (`|_, _, _| todo!()`) has no
/// return type to infer, and the compiler asks for one; `|_, _, _| -> () { todo!() }`.
pub trait ListenerOutcome {
    /// Logs the failure, if it is one, of `socket`'s listener of `event`.
    fn report(self, socket: &Socket, event: &str);
}

impl ListenerOutcome for () {
    fn report(self, _: &Socket, _: &str) {}
}

impl<E: fmt::Display> ListenerOutcome for Result<(), E> {
    fn report(self, socket: &Socket, event: &str) {
        if let Err(error) = self {
            crate::log!(
                "socket {} in {}: the {event:?} listener failed: {error}",
                socket.id(),
                socket.namespace().name()
            );
        }
    }
}

/// One listener of one event.
struct EventListener {
    event: Box<str>,
    handler: EventHandler,
    /// Added with `once`: taken out of the table as it is picked to run.
    once: bool,
}

/// A socket's listeners and handlers, each list in the order they run.
#[derive(Default)]
pub(crate) struct Listeners {
    /// The socket has disconnected: handlers added now would never run, and would keep the
    /// socket (and its session) alive through the closures' clones, so they are refused.
    pub(crate) finished: bool,
    /// Every event's listeners in one list, in the order they were added. A socket has a
    /// handful, and every idle connection keeps its list: a `Vec` searched in order is
    /// smaller than a map of lists, and as fast at that size.
    events: Vec<EventListener>,
    pub(crate) any: Vec<AnyHandler>,
    pub(crate) any_outgoing: Vec<AnyHandler>,
    pub(crate) middlewares: Vec<EventMiddleware>,
    pub(crate) error: Vec<RefusalHandler>,
    pub(crate) disconnecting: Vec<DisconnectHandler>,
    pub(crate) disconnect: Vec<DisconnectHandler>,
}

impl Listeners {
    /// A table that refuses everything: the socket is gone, or was never let in.
    pub(crate) fn finished() -> Listeners {
        Listeners {
            finished: true,
            ..Listeners::default()
        }
    }

    /// Adds a listener of `event` after the others.
    pub(crate) fn add(&mut self, event: &str, handler: EventHandler, once: bool) {
        self.events.push(EventListener {
            event: event.into(),
            handler,
            once,
        });
    }

    /// Removes every listener of `event`; returns how many there were.
    pub(crate) fn remove(&mut self, event: &str) -> usize {
        let before = self.events.len();
        self.events.retain(|listener| *listener.event != *event);
        before - self.events.len()
    }

    /// The listeners to run for one `event`, in order. The `once` ones leave the table now,
    /// before they run, as Node's `once` wrapper removes itself before calling: a listener
    /// that emits to its own socket cannot run twice.
    pub(crate) fn take_for(&mut self, event: &str) -> Vec<EventHandler> {
        let chosen = self
            .events
            .iter()
            .filter(|listener| *listener.event == *event)
            .map(|listener| Arc::clone(&listener.handler))
            .collect();
        self.events
            .retain(|listener| !(listener.once && *listener.event == *event));
        chosen
    }
}

/// Registering listeners and handlers: Node's `EventEmitter` calls, with Rust's types.
impl Socket {
    /// Adds a listener of `event`, after the others (Node's `socket.on`: it adds, it never
    /// replaces). The listener gets the socket, the event's arguments and an [`Ack`]; it may
    /// return `()`, or a `Result` whose error is logged (see [`ListenerOutcome`]).
    ///
    /// # Panics
    /// If `event` is reserved (`disconnect`, `connect`, …): no client can send it, so the
    /// listener could never run. The socket's own events have their own methods:
    /// [`Socket::on_disconnect`], [`Socket::on_disconnecting`], [`Socket::on_error`].
    pub fn on<R: ListenerOutcome>(
        &self,
        event: &str,
        listener: impl Fn(&Socket, Args, Ack) -> R + Send + Sync + 'static,
    ) {
        self.add_listener(event, listener, false);
    }

    /// Adds a listener that runs for the next `event` only, and is then removed (Node's
    /// `socket.once`). It leaves the table before it runs.
    ///
    /// # Panics
    /// If `event` is reserved, as [`Socket::on`].
    pub fn once<R: ListenerOutcome>(
        &self,
        event: &str,
        listener: impl Fn(&Socket, Args, Ack) -> R + Send + Sync + 'static,
    ) {
        self.add_listener(event, listener, true);
    }

    /// Removes every listener of `event`; returns how many there were (Node's
    /// `socket.removeAllListeners(event)`; see the module doc for why not one by one).
    pub fn off(&self, event: &str) -> usize {
        self.listeners().remove(event)
    }

    /// Adds a catch-all: it sees every incoming event before the middlewares and the
    /// event's own listeners, handled or not (Node's `socket.onAny`).
    pub fn on_any(&self, handler: impl Fn(&Socket, &str, &[Value]) + Send + Sync + 'static) {
        self.register(|listeners| listeners.any.push(Arc::new(handler)));
    }

    /// Adds a catch-all that runs before the others (Node's `socket.prependAny`).
    pub fn prepend_any(&self, handler: impl Fn(&Socket, &str, &[Value]) + Send + Sync + 'static) {
        self.register(|listeners| listeners.any.insert(0, Arc::new(handler)));
    }

    /// Removes every catch-all of incoming events; returns how many there were (Node's
    /// `socket.offAny()`). The outgoing ones stay.
    pub fn off_any(&self) -> usize {
        std::mem::take(&mut self.listeners().any).len()
    }

    /// Adds a catch-all of outgoing events: it sees each event the server sends this
    /// socket — by `emit`, `emit_with_ack`, or a broadcast the socket is among the targets
    /// of — before it is sent (Node's `socket.onAnyOutgoing`). It runs on the emitting
    /// thread, not the socket's own; a panic in it disconnects this socket.
    pub fn on_any_outgoing(
        &self,
        handler: impl Fn(&Socket, &str, &[Value]) + Send + Sync + 'static,
    ) {
        self.register(|listeners| listeners.any_outgoing.push(Arc::new(handler)));
    }

    /// Adds a middleware for this socket's incoming events, run in order after the
    /// catch-alls and before the event's listeners (Node's `socket.use`). It may rewrite the
    /// arguments; an `Err` drops the event — no listener runs, no acknowledgement is sent —
    /// and the socket's [`Socket::on_error`] handlers get the refusal.
    pub fn use_middleware(
        &self,
        middleware: impl Fn(&Socket, &str, &mut Args) -> Result<(), EventRefusal>
            + Send
            + Sync
            + 'static,
    ) {
        self.register(|listeners| listeners.middlewares.push(Arc::new(middleware)));
    }

    /// Hears each refusal of an incoming event by a middleware (Node's
    /// `socket.on("error")`). With none, a refusal is logged.
    pub fn on_error(&self, handler: impl Fn(&Socket, &EventRefusal) + Send + Sync + 'static) {
        self.register(|listeners| listeners.error.push(Arc::new(handler)));
    }

    /// Runs as the socket disconnects, while its rooms are still visible.
    pub fn on_disconnecting(
        &self,
        handler: impl Fn(&Socket, DisconnectReason) + Send + Sync + 'static,
    ) {
        self.register(|listeners| listeners.disconnecting.push(Arc::new(handler)));
    }

    /// Runs once the socket has disconnected, with the reason.
    pub fn on_disconnect(
        &self,
        handler: impl Fn(&Socket, DisconnectReason) + Send + Sync + 'static,
    ) {
        self.register(|listeners| listeners.disconnect.push(Arc::new(handler)));
    }

    fn add_listener<R: ListenerOutcome>(
        &self,
        event: &str,
        listener: impl Fn(&Socket, Args, Ack) -> R + Send + Sync + 'static,
        once: bool,
    ) {
        assert!(
            !RESERVED_EVENTS.contains(&event),
            "{event:?} is reserved: no client can send it, so a listener of it would never \
             run (the socket's own events have on_disconnect, on_disconnecting, on_error)"
        );
        let name: Box<str> = event.into();
        let handler: EventHandler = Arc::new(move |socket: &Socket, args, ack| {
            listener(socket, args, ack).report(socket, &name)
        });
        self.register(|listeners| listeners.add(event, handler, once));
    }

    /// Changes the table, unless the socket is gone (see `Listeners::finished`).
    fn register(&self, change: impl FnOnce(&mut Listeners)) {
        let mut listeners = self.listeners();
        if !listeners.finished {
            change(&mut listeners);
        }
    }
}

/// Running them: an incoming event, an outgoing one.
impl Socket {
    /// An EVENT from the client, run in the reference's order (see the module doc).
    pub(crate) fn on_event(&self, packet: Packet) {
        let Some(Value::Array(mut data)) = packet.data else {
            return; // the packet decoder lets no such EVENT through
        };
        let event = match data.remove(0) {
            Value::String(name) => name,
            other => other.to_json(), // the reference accepts numeric event names too
        };
        let ack = Ack::new(self, packet.id);
        self.guarded(&event, || self.dispatch(&event, Args::from(data), ack));
    }

    fn dispatch(&self, event: &str, mut args: Args, ack: Ack) {
        // Each list is copied out as its turn comes, so what an earlier step adds counts.
        let catch_alls = self.listeners().any.clone();
        for catch_all in &catch_alls {
            catch_all(self, event, &args);
        }
        let middlewares = self.listeners().middlewares.clone();
        for middleware in &middlewares {
            if let Err(refusal) = middleware(self, event, &mut args) {
                return self.raise_error(event, &refusal);
            }
        }
        if !self.connected() {
            return; // a middleware disconnected it: the reference ignores the packet too
        }
        let listeners = self.listeners().take_for(event);
        let Some((last, others)) = listeners.split_last() else {
            return; // nobody listens: no answer, as the reference (the client's timeout)
        };
        for listener in others {
            listener(self, args.clone(), ack.clone());
        }
        last(self, args, ack);
    }

    /// A middleware refused `event`: the error handlers hear it.
    fn raise_error(&self, event: &str, refusal: &EventRefusal) {
        let handlers = self.listeners().error.clone();
        if handlers.is_empty() {
            // The reference prints "Missing error handler on `socket`." and the error.
            crate::log!(
                "socket {} in {}: a middleware refused {event:?}: {refusal} (no on_error handler)",
                self.id(),
                self.namespace().name()
            );
        }
        for handler in &handlers {
            handler(self, refusal);
        }
    }

    /// Shows an event the server is about to send this socket to its outgoing catch-alls
    /// (the reference's `notifyOutgoingListeners`), on the emitting thread.
    pub(crate) fn notify_outgoing(&self, event: &str, args: &[Value]) {
        if !self.connected() {
            return; // nothing will be sent
        }
        let catch_alls = self.listeners().any_outgoing.clone();
        if catch_alls.is_empty() {
            return;
        }
        self.guarded("any outgoing", || {
            catch_alls.iter().for_each(|h| h(self, event, args))
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nothing() -> EventHandler {
        Arc::new(|_, _, _| {})
    }

    #[test]
    fn once_listeners_are_taken_out_as_they_are_picked_and_others_stay() {
        let mut table = Listeners::default();
        table.add("chat", nothing(), false);
        table.add("chat", nothing(), true);
        table.add("typing", nothing(), true);
        assert_eq!(table.take_for("chat").len(), 2);
        assert_eq!(table.take_for("chat").len(), 1, "the once listener ran");
        assert_eq!(table.take_for("typing").len(), 1);
        assert_eq!(table.take_for("typing").len(), 0);
    }

    #[test]
    fn remove_takes_every_listener_of_the_event_and_counts_them() {
        let mut table = Listeners::default();
        table.add("chat", nothing(), false);
        table.add("chat", nothing(), true);
        table.add("typing", nothing(), false);
        assert_eq!(table.remove("chat"), 2);
        assert_eq!(table.remove("chat"), 0);
        assert_eq!(table.take_for("typing").len(), 1);
    }
}
