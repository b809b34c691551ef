//! Acknowledgements: a reply to one particular event (Socket.IO v5 "Acknowledgement").
//!
//! Either side may ask for one by putting an id after the namespace in an EVENT packet
//! (`2/chat,13["question"]`); the other side answers with an ACK packet carrying the same id
//! (`3/chat,13["answer"]`). Here:
//! - [`Ack`] is what a server handler receives for an event the client sent: call
//!   [`Ack::send`] to answer (if the client asked; otherwise it does nothing).
//! - `PendingAcks` holds the callbacks of events the server sent asking for an ack,
//!   by id, until the ack arrives, the timeout passes (the `timer` thread), or the socket
//!   disconnects — exactly one of the three calls each callback.

use std::collections::HashMap;

use crate::json::Value;

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

/// What runs when an acknowledgement arrives, times out, or the socket goes.
pub type AckCallback = Box<dyn FnOnce(Result<Vec<Value>, AckError>) + Send>;

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
        Ok(id)
    }

    /// The callback waiting for `id`, if it is still waiting.
    pub(crate) fn take(&mut self, id: u64) -> Option<AckCallback> {
        self.waiting.remove(&id)
    }

    /// Every callback still waiting (the socket is going away).
    pub(crate) fn take_all(&mut self) -> Vec<AckCallback> {
        self.closed = true;
        self.waiting.drain().map(|(_, callback)| callback).collect()
    }
}

/// The means to answer one event that the client sent, if it asked for an answer.
pub struct Ack {
    pub(crate) reply: Option<(super::Socket, u64)>,
}

impl Ack {
    /// Whether the client asked for an acknowledgement.
    pub fn requested(&self) -> bool {
        self.reply.is_some()
    }

    /// Answers the event with `args` (an ACK packet with the event's id); does nothing if
    /// the client did not ask.
    pub fn send(self, args: Vec<Value>) {
        if let Some((socket, id)) = self.reply {
            socket.send_ack(id, args);
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
