//! Requests this node sent, waiting for the other nodes' answers, by request id.
//!
//! Three kinds of waiting, as the Node adapter has (`requests` and `ackRequests` in its
//! source):
//! - a thread blocked on a question (`fetch_sockets`, `all_rooms`): each answer is handed
//!   to it through a channel, and it stops at the expected count or the timeout;
//! - a server-side emit with an ack: the answers are gathered, and the callback runs when
//!   every other node has answered, or at the timeout with those that came;
//! - an acked broadcast: each node's client count and each client's answer go to the
//!   broadcast's [`AckTally`], which decides when it is complete.
//!
//! Answers arrive on the subscriber's reader thread. Nothing here runs application code on
//! it: callbacks are returned as jobs, which the caller queues for the inbox thread.

use std::collections::HashMap;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::inbox::Job;
use super::message::{Answer, RequestType};
use crate::json::{Map, Value};
use crate::socketio::broadcast_ack::BroadcastAckCallback;
use crate::socketio::{AckTally, BroadcastAckError};

/// What waits for the answers to one request.
enum Waiter {
    Question(Sender<Map>),
    ServerSideEmit {
        expected: usize,
        responses: Vec<Vec<Value>>,
        callback: BroadcastAckCallback,
    },
    Acks(Arc<AckTally>),
}

/// The requests of this node that wait for answers.
#[derive(Default)]
pub(crate) struct Pending {
    waiting: Mutex<HashMap<String, Waiter>>,
}

/// The answers a question got, and whether they were all that were expected.
pub(crate) struct Collected {
    pub answers: Vec<Map>,
    pub complete: bool,
}

impl Pending {
    /// Registers a question, before it is published (an answer can be quick); then
    /// [`collect`](Pending::collect) waits for the answers.
    pub(crate) fn question(&self, request_id: &str) -> Receiver<Map> {
        let (sender, answers) = mpsc::channel();
        self.insert(request_id, Waiter::Question(sender));
        answers
    }

    /// Waits for `expected` answers to question `request_id`, or until `timeout` passes.
    pub(crate) fn collect(
        &self,
        request_id: &str,
        answers: &Receiver<Map>,
        expected: usize,
        timeout: Duration,
    ) -> Collected {
        let deadline = Instant::now() + timeout;
        let mut got = Vec::with_capacity(expected);
        while got.len() < expected {
            let left = deadline.saturating_duration_since(Instant::now());
            match answers.recv_timeout(left) {
                Ok(answer) => got.push(answer),
                Err(_) => break,
            }
        }
        self.remove(request_id);
        Collected {
            complete: got.len() >= expected,
            answers: got,
        }
    }

    /// Registers a server-side emit awaiting `expected` answers, for `callback`.
    pub(crate) fn server_side_emit(
        &self,
        request_id: &str,
        expected: usize,
        callback: BroadcastAckCallback,
    ) {
        let waiter = Waiter::ServerSideEmit {
            expected,
            responses: Vec::new(),
            callback,
        };
        self.insert(request_id, waiter);
    }

    /// Registers an acked broadcast, whose answers go to `tally`.
    pub(crate) fn acks(&self, request_id: &str, tally: &Arc<AckTally>) {
        self.insert(request_id, Waiter::Acks(Arc::clone(tally)));
    }

    /// Request `request_id`'s time is up: a server-side emit still waiting gets what came,
    /// with a timeout; an acked broadcast stops listening (its tally has its own deadline).
    pub(crate) fn expire(&self, request_id: &str) -> Option<Job> {
        match self.remove(request_id)? {
            Waiter::ServerSideEmit {
                responses,
                callback,
                ..
            } => Some(Box::new(move || {
                callback(Err(BroadcastAckError::Timeout { responses }))
            })),
            Waiter::Question(_) | Waiter::Acks(_) => None,
        }
    }

    /// An answer from another node. A question's answer goes to its thread at once; what
    /// runs callbacks comes back as a job for the inbox. An answer to nothing waiting (ours
    /// timed out, or it was for another node) is dropped.
    pub(crate) fn answer(&self, answer: Answer) -> Option<Job> {
        let mut waiting = self.waiting.lock().expect("pending lock poisoned");
        let waiter = waiting.get_mut(&answer.request_id)?;
        match waiter {
            Waiter::Question(sender) => {
                let _ = sender.send(answer.body);
                None
            }
            Waiter::Acks(tally) => acks_job(tally, &answer),
            Waiter::ServerSideEmit {
                expected,
                responses,
                ..
            } => {
                // Node's answer holds one argument, `data`.
                let data = answer.body.get("data").cloned().unwrap_or(Value::Null);
                responses.push(vec![data]);
                if responses.len() < *expected {
                    return None;
                }
                let Some(Waiter::ServerSideEmit {
                    responses,
                    callback,
                    ..
                }) = waiting.remove(&answer.request_id)
                else {
                    return None;
                };
                Some(Box::new(move || callback(Ok(responses))))
            }
        }
    }

    fn insert(&self, request_id: &str, waiter: Waiter) {
        self.waiting
            .lock()
            .expect("pending lock poisoned")
            .insert(request_id.to_string(), waiter);
    }

    fn remove(&self, request_id: &str) -> Option<Waiter> {
        self.waiting
            .lock()
            .expect("pending lock poisoned")
            .remove(request_id)
    }
}

/// A client count (type 8) or one client's answer (type 9) to an acked broadcast.
fn acks_job(tally: &Arc<AckTally>, answer: &Answer) -> Option<Job> {
    let tally = Arc::clone(tally);
    match answer.kind()? {
        RequestType::BroadcastClientCount => {
            let count = answer.body.get("clientCount").and_then(Value::as_i64)?;
            let count = usize::try_from(count).ok()?;
            Some(Box::new(move || tally.clients_counted(count)))
        }
        RequestType::BroadcastAck => {
            let packet = answer.body.get("packet").cloned().unwrap_or(Value::Null);
            Some(Box::new(move || tally.settle(Ok(vec![packet]))))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;

    fn answer(text: &str) -> Answer {
        Answer::from_value(parse(text).unwrap()).unwrap()
    }

    #[test]
    fn a_question_gets_its_answers_and_stops_at_the_expected_count() {
        let pending = Pending::default();
        let answers = pending.question("q");
        assert!(pending
            .answer(answer(r#"{"requestId":"q","rooms":["a"]}"#))
            .is_none());
        assert!(pending.answer(answer(r#"{"requestId":"other"}"#)).is_none());
        let collected = pending.collect("q", &answers, 1, Duration::from_secs(5));
        assert!(collected.complete);
        assert_eq!(collected.answers.len(), 1);
        assert!(
            pending.answer(answer(r#"{"requestId":"q"}"#)).is_none(),
            "forgotten once collected"
        );
    }

    #[test]
    fn a_question_short_of_answers_times_out_with_what_came() {
        let pending = Pending::default();
        let answers = pending.question("q");
        pending.answer(answer(r#"{"requestId":"q"}"#));
        let collected = pending.collect("q", &answers, 2, Duration::from_millis(50));
        assert!(!collected.complete);
        assert_eq!(collected.answers.len(), 1);
    }

    #[test]
    fn a_server_side_emit_completes_with_one_value_per_node_or_expires() {
        let pending = Pending::default();
        let (tx, rx) = mpsc::channel();
        let sent = tx.clone();
        pending.server_side_emit("s", 2, Box::new(move |r| sent.send(r).unwrap()));
        assert!(pending
            .answer(answer(r#"{"type":6,"requestId":"s","data":1}"#))
            .is_none());
        let job = pending.answer(answer(r#"{"type":6,"requestId":"s","data":2}"#));
        job.expect("complete")();
        assert_eq!(rx.recv().unwrap(), Ok(vec![vec![1.into()], vec![2.into()]]));

        pending.server_side_emit("t", 2, Box::new(move |r| tx.send(r).unwrap()));
        pending.answer(answer(r#"{"type":6,"requestId":"t","data":"x"}"#));
        pending.expire("t").expect("still waiting")();
        assert_eq!(
            rx.recv().unwrap(),
            Err(BroadcastAckError::Timeout {
                responses: vec![vec!["x".into()]]
            })
        );
        assert!(pending.expire("t").is_none());
    }
}
