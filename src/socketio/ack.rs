//! Acknowledgements: a reply to one particular event (Socket.IO v5 "Acknowledgement").
//!
//! Either side may ask for one by putting an id after the namespace in an EVENT packet
//! (`2/chat,13["question"]`); the other side answers with an ACK packet carrying the same id
//! (`3/chat,13["answer"]`). Here:
//! - [`Ack`] is what a server listener receives for an event the client sent: call
//!   [`Ack::send`] to answer (if the client asked; otherwise it does nothing). An event may
//!   have several listeners, each with its own `Ack`, but an id is answered once: the
//!   handles share one flag and the first `send` wins, as the reference's ack function
//!   ignores every call after its first.
//! - `PendingAcks` holds the callbacks of events the server sent asking for an ack,
//!   by id, until the ack arrives, the timeout passes (the `timer` thread), or the socket
//!   disconnects — exactly one of the three calls each callback.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use super::args::{Args, IntoArgs};
use super::socket::Socket;
use crate::json::Value;
use crate::metrics::counts::COUNTS;

/// Why an acknowledgement the server asked for did not come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckError {
    /// The client did not answer within the timeout.
    Timeout,
    /// The socket disconnected first.
    Disconnected,
}

impl std::fmt::Display for AckError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AckError::Timeout => write!(f, "the client did not acknowledge in time"),
            AckError::Disconnected => write!(f, "the socket disconnected before acknowledging"),
        }
    }
}

impl std::error::Error for AckError {}

/// What runs when an acknowledgement arrives (with the client's answer, read like an
/// event's arguments), times out, or the socket goes.
pub type AckCallback = Box<dyn FnOnce(Result<Args, AckError>) + Send>;

/// The server's open requests for acknowledgements on one socket.
#[derive(Default)]
pub(crate) struct PendingAcks {
    next_id: u64,
    waiting: HashMap<u64, AckCallback>,
    /// The socket has disconnected ([`take_all`](PendingAcks::take_all) ran): no answer can
    /// come any more.
    closed: bool,
}

impl PendingAcks {
    /// Keeps `callback` under a fresh id, which goes on the wire with the event; or hands it
    /// back if the socket has already disconnected, for the caller to tell it so.
    pub(crate) fn register(&mut self, callback: AckCallback) -> Result<u64, AckCallback> {
        if self.closed {
            return Err(callback);
        }
        let id = self.next_id;
        self.next_id += 1;
        self.waiting.insert(id, callback);
        COUNTS.acks_pending.add(1);
        Ok(id)
    }

    /// The callback waiting for `id`, if it is still waiting.
    pub(crate) fn take(&mut self, id: u64) -> Option<AckCallback> {
        let callback = self.waiting.remove(&id);
        if callback.is_some() {
            COUNTS.acks_pending.sub(1);
        }
        callback
    }

    /// Every callback still waiting (the socket is going away).
    pub(crate) fn take_all(&mut self) -> Vec<AckCallback> {
        self.closed = true;
        COUNTS.acks_pending.sub(self.waiting.len() as i64);
        self.waiting.drain().map(|(_, callback)| callback).collect()
    }
}

/// The `/metrics` gauge of pending acks is the sum of every `waiting.len()`: each way out of
/// the table takes its entries off the gauge, this one included (a socket dropped without
/// `take_all`).
impl Drop for PendingAcks {
    fn drop(&mut self) {
        COUNTS.acks_pending.sub(self.waiting.len() as i64);
    }
}

/// The means to answer one event, if its sender asked for an answer: an event a client
/// sent, or a server-side emit another node of the cluster sent (`Namespace::on_server_side_emit`).
/// Every listener of the event gets a clone; the first [`Ack::send`] among them is the answer.
#[derive(Clone)]
pub struct Ack {
    reply: Option<Arc<AckReply>>,
}

/// Where the answer goes, and whether it has gone.
struct AckReply {
    to: AckTarget,
    sent: AtomicBool,
}

/// Who asked for the answer.
enum AckTarget {
    /// A client: the answer is an ACK packet with the event's id.
    Client { socket: Socket, id: u64 },
    /// Another node: the adapter sends the answer back through the cluster.
    Node(Mutex<Option<NodeReply>>),
}

/// How an adapter sends an answer back to the node that asked.
type NodeReply = Box<dyn FnOnce(Vec<Value>) + Send>;

impl Ack {
    /// The handle for one EVENT: `id` is its ack id, if the client asked for an answer.
    pub(crate) fn new(socket: &Socket, id: Option<u64>) -> Ack {
        let reply = id.map(|id| {
            Arc::new(AckReply {
                to: AckTarget::Client {
                    socket: socket.clone(),
                    id,
                },
                sent: AtomicBool::new(false),
            })
        });
        Ack { reply }
    }

    /// The handle for a server-side emit another node sent asking for an answer: `reply`
    /// takes the answer back to it. For adapters.
    pub fn for_node(reply: impl FnOnce(Vec<Value>) + Send + 'static) -> Ack {
        Ack {
            reply: Some(Arc::new(AckReply {
                to: AckTarget::Node(Mutex::new(Some(Box::new(reply)))),
                sent: AtomicBool::new(false),
            })),
        }
    }

    /// The handle for an event whose sender asked for no answer.
    pub fn none() -> Ack {
        Ack { reply: None }
    }

    /// Whether the sender asked for an acknowledgement.
    pub fn requested(&self) -> bool {
        self.reply.is_some()
    }

    /// Whether the event has been answered, by this handle or another listener's.
    pub fn answered(&self) -> bool {
        self.reply
            .as_ref()
            .is_some_and(|reply| reply.sent.load(Ordering::SeqCst))
    }

    /// Answers the event with `args`: `()`, a tuple, or a `Vec<Value>`. Does nothing if the
    /// sender did not ask, or if the event was answered already. (Another node gets the
    /// first argument only: the Node adapter's answer to a server-side emit holds one.)
    pub fn send(self, args: impl IntoArgs) {
        let Some(reply) = self.reply else {
            return;
        };
        if reply.sent.swap(true, Ordering::SeqCst) {
            return;
        }
        let args = args.into_args().into_vec();
        match &reply.to {
            AckTarget::Client { socket, id } => socket.send_ack(*id, args),
            AckTarget::Node(send) => {
                let send = send.lock().expect("ack reply lock poisoned").take();
                if let Some(send) = send {
                    send(args);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_callback_is_taken_once() {
        let mut pending = PendingAcks::default();
        let a = pending.register(Box::new(|_| {})).ok().unwrap();
        let b = pending.register(Box::new(|_| {})).ok().unwrap();
        assert_ne!(a, b);
        assert!(pending.take(a).is_some());
        assert!(pending.take(a).is_none(), "an ack id answers once");
        assert_eq!(pending.take_all().len(), 1);
    }

    #[test]
    fn after_the_socket_went_a_new_callback_is_handed_back_to_hear_so() {
        let mut pending = PendingAcks::default();
        pending.take_all();
        assert!(
            pending.register(Box::new(|_| {})).is_err(),
            "no answer can come to a socket that has disconnected"
        );
    }
}
