//! Broadcast acknowledgements: one callback for the answers of many clients (Socket.IO v4
//! "Broadcasting events › With acknowledgements": `io.timeout(5000).emit("hello", (err,
//! responses) => …)`, the reference's `BroadcastOperator.emit` with a callback).
//!
//! `io.to("room").timeout(d).emit_with_ack(event, args, callback)` sends the event to every
//! chosen socket asking each for an answer, then calls `callback` **exactly once**:
//! - with `Ok(responses)`, every target's answer, once each has answered;
//! - with [`BroadcastAckError::Timeout`] once `d` has passed with answers missing, carrying
//!   those that came;
//! - with [`BroadcastAckError::Disconnected`] once every target has either answered or
//!   disconnected, at least one the latter, carrying the answers that came;
//! - with `Ok` of an empty list at once, on the caller's thread, if nobody was chosen.
//!
//! How: each target is asked as [`Socket::emit_with_ack`](super::Socket::emit_with_ack)
//! asks one client — its own ack id from its own counter, its own timeout on the `timer`
//! thread, its own callback, which the socket calls exactly once (answer, timeout, or
//! disconnect). Those callbacks settle one shared `AckTally`; the last one to settle calls
//! the broadcast's callback, after letting go of the tally's lock. The official client answers whatever id it was given, so ids
//! differing per client are invisible to it. (The reference gives every target the same id,
//! from a counter its namespace shares with each socket's own acks; ours count per socket.)
//! The event's JSON is still written once (`Packet::encode_for_many_ids`).
//!
//! Where we differ from the reference, and why:
//! - A target that disconnects before answering is not waited for: the reference waits out
//!   the timeout for an answer that cannot come; here, as for one socket's ack
//!   ([`AckError::Disconnected`]), the broadcast settles as soon as every other target
//!   has, with `Disconnected`.
//! - Each response is the client's whole answer, every argument (`Vec<Value>`); the
//!   reference keeps only the first argument of each.
//!
//! With `.volatile()` too, a target for which the event was dropped (`volatile.rs`) was
//! never asked, and its answer is missing at the timeout, as in the reference.
//!
//! Where the callback runs: on the thread that settles last — the client thread whose
//! answer completed the set (as a handler would), the `timer` thread for a timeout, or the
//! thread that disconnected the last target. Like any handler, it should not block.

use std::sync::{Arc, Mutex};

use super::ack::AckError;
use super::packet::EncodedForIds;
use crate::engineio::{self, Outgoing};
use crate::json::Value;

/// Why a broadcast's callback got fewer answers than it had targets. Either way it carries
/// the answers that did come, in the order they came.
#[derive(Debug, Clone, PartialEq)]
pub enum BroadcastAckError {
    /// The timeout passed before every target answered.
    Timeout { responses: Vec<Vec<Value>> },
    /// Every target answered or disconnected, and `disconnected` of them did the latter.
    Disconnected {
        responses: Vec<Vec<Value>>,
        disconnected: usize,
    },
}

impl BroadcastAckError {
    /// The answers that came.
    pub fn responses(&self) -> &[Vec<Value>] {
        match self {
            BroadcastAckError::Timeout { responses }
            | BroadcastAckError::Disconnected { responses, .. } => responses,
        }
    }

    /// The answers that came, taken out of the error.
    pub fn into_responses(self) -> Vec<Vec<Value>> {
        match self {
            BroadcastAckError::Timeout { responses }
            | BroadcastAckError::Disconnected { responses, .. } => responses,
        }
    }
}

impl std::fmt::Display for BroadcastAckError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            // The reference's words for its timeout error.
            BroadcastAckError::Timeout { responses } => write!(
                f,
                "operation has timed out ({} answer(s) came)",
                responses.len()
            ),
            BroadcastAckError::Disconnected {
                responses,
                disconnected,
            } => write!(
                f,
                "{disconnected} client(s) disconnected before answering ({} answer(s) came)",
                responses.len()
            ),
        }
    }
}

impl std::error::Error for BroadcastAckError {}

/// What a broadcast's callback gets: every target's answer, or why some are missing.
pub type BroadcastAckResult = Result<Vec<Vec<Value>>, BroadcastAckError>;

/// The callback of one broadcast that asked for acknowledgements.
pub type BroadcastAckCallback = Box<dyn FnOnce(BroadcastAckResult) + Send>;

/// The answers of one broadcast so far, and the callback waiting for the last of them.
///
/// It counts what is owed: one answer per socket asked on this node, plus, in a cluster,
/// what each other node says it asked (its *client count*, the reference's
/// `BROADCAST_CLIENT_COUNT`), which comes before that node's answers. The callback runs
/// once every other node has given its count and every owed answer has settled, or at the
/// deadline (`time_out`), whichever is first. Until the broadcast has been handed to every
/// node (`AckTally::seal`) it cannot finish: a quick answer must not end it while other
/// nodes are still being asked.
pub struct AckTally {
    state: Mutex<TallyState>,
}

struct TallyState {
    /// Answers still owed. Signed: over Redis an answer could in principle overtake its
    /// node's count, and must not wrap the counter.
    owed: i64,
    /// Other nodes that have not yet said how many of their sockets they asked.
    counts_missing: i64,
    /// Every node has been asked (`seal`).
    sealed: bool,
    responses: Vec<Vec<Value>>,
    /// A target timed out, or the deadline passed.
    timed_out: bool,
    /// The broadcast's deadline passed ([`AckTally::time_out`]): it finishes now.
    deadline_passed: bool,
    disconnected: usize,
    /// Taken by whoever finishes the tally.
    callback: Option<BroadcastAckCallback>,
}

impl AckTally {
    /// A tally owed one answer by each of `local_targets` sockets of this node; it finishes
    /// only once [`seal`](AckTally::seal)ed.
    pub(crate) fn new(local_targets: usize, callback: BroadcastAckCallback) -> Arc<AckTally> {
        Arc::new(AckTally {
            state: Mutex::new(TallyState {
                owed: local_targets as i64,
                counts_missing: 0,
                sealed: false,
                responses: Vec::new(),
                timed_out: false,
                deadline_passed: false,
                disconnected: 0,
                callback: Some(callback),
            }),
        })
    }

    /// Every node has been asked, and `other_nodes` of them will each report a count.
    pub(crate) fn seal(&self, other_nodes: usize) {
        self.update(|state| {
            state.counts_missing += other_nodes as i64;
            state.sealed = true;
        });
    }

    /// Another node asked `clients` of its sockets: that many more answers are owed.
    pub fn clients_counted(&self, clients: usize) {
        self.update(|state| {
            state.counts_missing -= 1;
            state.owed += clients as i64;
        });
    }

    /// One target's outcome: a socket of this node, as its socket reports it (exactly once
    /// per target), or an answer another node relayed.
    pub fn settle(&self, outcome: Result<Vec<Value>, AckError>) {
        self.update(|state| {
            match outcome {
                Ok(answer) => state.responses.push(answer),
                Err(AckError::Timeout) => state.timed_out = true,
                Err(AckError::Disconnected) => state.disconnected += 1,
            }
            state.owed -= 1;
        });
    }

    /// The deadline passed: finish now with what came, if not finished already. (The
    /// sockets of this node time out by themselves; this is for the answers of other nodes,
    /// which have no socket here to time out.)
    pub(crate) fn time_out(&self) {
        self.update(|state| {
            state.deadline_passed = true;
            state.timed_out = true;
        });
    }

    /// Changes the state, and calls the callback if that finished the tally — after
    /// letting go of the lock, since the callback is application code.
    fn update(&self, change: impl FnOnce(&mut TallyState)) {
        let finished = {
            let mut state = self.state.lock().expect("ack tally lock poisoned");
            change(&mut state);
            if !state.is_finished() {
                return;
            }
            let callback = state.callback.take();
            callback.map(|callback| (callback, state.result()))
        };
        if let Some((callback, result)) = finished {
            callback(result);
        }
    }
}

impl TallyState {
    fn is_finished(&self) -> bool {
        let all_in = self.counts_missing <= 0 && self.owed <= 0;
        self.sealed && (all_in || self.deadline_passed)
    }

    /// The outcome once finished. A timeout wins over a disconnect: the deadline passed
    /// with answers missing, whoever else went away.
    fn result(&mut self) -> BroadcastAckResult {
        let responses = std::mem::take(&mut self.responses);
        if self.timed_out {
            Err(BroadcastAckError::Timeout { responses })
        } else if self.disconnected > 0 {
            Err(BroadcastAckError::Disconnected {
                responses,
                disconnected: self.disconnected,
            })
        } else {
            Ok(responses)
        }
    }
}

/// The Engine.IO packets of a broadcast's event, with one recipient's ack id: the text,
/// then the attachments (as `socket::encode_packet` lays them out).
pub(crate) fn outgoing_with_id(encoded: &EncodedForIds, id: u64) -> Outgoing {
    let (text, attachments) = encoded.with_id(id);
    let mut packets = vec![engineio::Packet::Message(text)];
    packets.extend(attachments.into_iter().map(engineio::Packet::BinaryMessage));
    Outgoing::new(packets)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    fn tally(targets: usize) -> (Arc<AckTally>, mpsc::Receiver<BroadcastAckResult>) {
        let (tx, rx) = mpsc::channel();
        let callback = Box::new(move |result| tx.send(result).unwrap());
        let tally = AckTally::new(targets, callback);
        tally.seal(0);
        (tally, rx)
    }

    #[test]
    fn the_callback_runs_once_when_the_last_target_answers() {
        let (tally, rx) = tally(2);
        tally.settle(Ok(vec![1.into()]));
        assert!(rx.try_recv().is_err(), "one target has not answered yet");
        tally.settle(Ok(vec![2.into(), "two".into()]));
        assert_eq!(
            rx.try_recv().unwrap(),
            Ok(vec![vec![1.into()], vec![2.into(), "two".into()]])
        );
        assert!(rx.try_recv().is_err());
    }

    #[test]
    fn a_timeout_carries_the_answers_that_came_and_wins_over_a_disconnect() {
        let (tally, rx) = tally(3);
        tally.settle(Err(AckError::Disconnected));
        tally.settle(Ok(vec!["late".into()]));
        tally.settle(Err(AckError::Timeout));
        assert_eq!(
            rx.try_recv().unwrap(),
            Err(BroadcastAckError::Timeout {
                responses: vec![vec!["late".into()]]
            })
        );
    }

    #[test]
    fn a_target_that_disconnected_is_not_waited_for() {
        let (tally, rx) = tally(2);
        tally.settle(Err(AckError::Disconnected));
        tally.settle(Ok(vec![]));
        let error = rx.try_recv().unwrap().unwrap_err();
        assert_eq!(
            error,
            BroadcastAckError::Disconnected {
                responses: vec![vec![]],
                disconnected: 1
            }
        );
        assert_eq!(error.responses().len(), 1);
    }

    #[test]
    fn an_unsealed_tally_waits_for_the_other_nodes_to_be_asked() {
        let (tx, rx) = mpsc::channel();
        let tally = AckTally::new(1, Box::new(move |result| tx.send(result).unwrap()));
        tally.settle(Ok(vec!["here".into()]));
        assert!(rx.try_recv().is_err(), "not every node has been asked yet");
        tally.seal(1);
        assert!(rx.try_recv().is_err(), "the other node has not counted");
        tally.clients_counted(2);
        tally.settle(Ok(vec!["there".into()]));
        assert!(rx.try_recv().is_err(), "one of its two clients is missing");
        tally.settle(Ok(vec!["there too".into()]));
        assert_eq!(rx.try_recv().unwrap().unwrap().len(), 3);
    }

    #[test]
    fn the_deadline_finishes_a_tally_waiting_on_another_node() {
        let (tx, rx) = mpsc::channel();
        let tally = AckTally::new(0, Box::new(move |result| tx.send(result).unwrap()));
        tally.seal(2);
        tally.clients_counted(1);
        tally.settle(Ok(vec![1.into()]));
        assert!(rx.try_recv().is_err(), "one node has not counted");
        tally.time_out();
        assert_eq!(
            rx.try_recv().unwrap(),
            Err(BroadcastAckError::Timeout {
                responses: vec![vec![1.into()]]
            })
        );
        tally.settle(Ok(vec![2.into()]));
        assert!(rx.try_recv().is_err(), "the callback runs once");
    }

    #[test]
    fn a_node_that_asked_nobody_finishes_the_tally() {
        let (tx, rx) = mpsc::channel();
        let tally = AckTally::new(0, Box::new(move |result| tx.send(result).unwrap()));
        tally.seal(1);
        tally.clients_counted(0);
        assert_eq!(rx.try_recv().unwrap(), Ok(vec![]));
    }
}
