//! What a namespace runs when the server speaks: its handlers — events, `on_any`,
//! connect, connect_error, disconnect — and the [`Responder`] an event handler answers
//! through (Socket.IO v5 "Acknowledgement") — and [`HandlerThread`], the choice of the
//! thread they run on (`manager.rs` says what each choice costs).

use std::collections::HashMap;
use std::sync::{Arc, Weak};

use super::channel_core::ChannelCore;
use super::error::DisconnectCause;
use crate::json::Value;

pub(crate) type EventFn = Arc<dyn Fn(Vec<Value>, Responder) + Send + Sync>;
pub(crate) type AnyFn = Arc<dyn Fn(&str, &[Value]) + Send + Sync>;
pub(crate) type ConnectFn = Arc<dyn Fn() + Send + Sync>;
pub(crate) type ConnectErrorFn = Arc<dyn Fn(&Value) + Send + Sync>;
pub(crate) type DisconnectFn = Arc<dyn Fn(&DisconnectCause) + Send + Sync>;

/// Which thread runs a client's handlers, chosen with
/// [`Dialer::handler_thread`](super::Dialer::handler_thread).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HandlerThread {
    /// The manager's event thread: a handler may block, even on
    /// [`emit_with_ack`](super::Channel::emit_with_ack), and the connection still answers
    /// pings. Each event costs one more thread wake-up than on the reader.
    #[default]
    Events,
    /// The reader thread, as the server runs its handlers on the connection's thread: no
    /// hand-over, so an event reaches its handler with one wake-up less. The price: while
    /// a handler runs nothing is read, pings included, so it must be quick (past the
    /// server's `pingTimeout` the session is dropped); and a blocking `emit_with_ack` there
    /// fails at once with [`EmitError::BlocksReader`](super::EmitError::BlocksReader),
    /// since the answer it would wait for could only be read by the thread it blocks.
    /// [`emit_with_ack_then`](super::Channel::emit_with_ack_then) works.
    Reader,
}

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

/// The way a handler answers an event the server sent with an ack id (Socket.IO v5
/// "Acknowledgement"). Dropping it unanswered sends nothing, as in the official client.
pub struct Responder {
    pub(crate) channel: Weak<ChannelCore>,
    pub(crate) id: Option<u64>,
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
        channel.send_ack(id, args);
    }
}
