//! The bench's Socket.IO clients are the crate's own client, [`threadio::client`]: the
//! same `Dialer`, `Channel` and reader thread a service would use, so every row of the
//! table measures it along with the server. This file adapts it to the workloads.
//!
//! ```text
//!  client reader thread ── on_any ──▶ a Reaction set by the workload   (measured phases)
//!  (pings answered here)          └─▶ else the queue ──▶ recv()        (warm-up, drain)
//! ```
//!
//! The handlers run on the reader ([`HandlerThread::Reader`]), and in the measured phases
//! the workload's own reaction runs there too: a message then costs one thread wake-up, as
//! it did with the hand-written client the bench had before; through the event thread and
//! a queue it cost three, and on two cores that halved the echo rate (NOTES ch 21).
//! Reconnection is off: a bench client whose session drops has failed and must show in
//! the `errors` column, not come back quietly.

use std::net::SocketAddr;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use threadio::client::{Channel, Dialer, DisconnectCause, HandlerThread, Reconnection, Transports};
use threadio::json::Value;

use crate::error::BenchError;

/// What a workload does with each message, on the client's reader thread.
pub type Reaction = Box<dyn FnMut(&str) + Send>;

/// What the handlers pass to the workload's thread.
enum Arrival {
    /// An event's first argument, as text: the bench's message (see `stamp.rs`).
    Event(String),
    /// The namespace left, or the session ended: the client is done.
    Gone(String),
}

/// Where the handlers put a message: to the workload's reaction if one is set, else in
/// the queue `recv` reads.
struct Sink {
    reaction: Option<Reaction>,
    /// Told why, if the client ends while a reaction is set with no thread watching.
    on_gone: Option<Gone>,
    queue: Sender<Arrival>,
}

/// What a workload does when its client ends, given the reason.
pub type Gone = Box<dyn FnOnce(BenchError) + Send>;

/// The receiving half of one Socket.IO client.
pub struct Arrivals {
    sink: Arc<Mutex<Sink>>,
    queue: Receiver<Arrival>,
}

/// Connects over `transports` to the server's main namespace and waits for the CONNECT
/// answer, within `timeout`. The handlers are registered before the session opens, so no
/// event can arrive before they are in place.
///
/// # Errors
/// If the session or the CONNECT fails.
pub fn connect(
    server: SocketAddr,
    transports: Transports,
    timeout: Duration,
) -> Result<(Channel, Arrivals), BenchError> {
    let (sender, queue) = mpsc::channel();
    let sink = Arc::new(Mutex::new(Sink {
        reaction: None,
        on_gone: None,
        queue: sender,
    }));
    let (on_event, on_gone) = (Arc::clone(&sink), Arc::clone(&sink));
    let channel = Dialer::new(&format!("http://{server}"))
        .transports(transports)
        .timeout(timeout)
        .handler_thread(HandlerThread::Reader)
        .reconnection(Reconnection {
            enabled: false,
            ..Reconnection::default()
        })
        .on_any(move |_event, args| {
            let text = args.first().and_then(Value::as_str).unwrap_or_default();
            let mut sink = on_event.lock().unwrap_or_else(|p| p.into_inner());
            match sink.reaction.as_mut() {
                Some(react) => react(text),
                None => {
                    let _ = sink.queue.send(Arrival::Event(text.to_owned()));
                }
            }
        })
        .on_disconnect(move |cause: &DisconnectCause| {
            let mut sink = on_gone.lock().unwrap_or_else(|p| p.into_inner());
            let reason = cause.as_str().to_owned();
            match sink.on_gone.take() {
                Some(gone) => gone(BenchError::Closed(reason)),
                None => {
                    let _ = sink.queue.send(Arrival::Gone(reason));
                }
            }
        })
        .connect()
        .map_err(|e| BenchError::Connect(e.to_string()))?;
    Ok((channel, Arrivals { sink, queue }))
}

impl Arrivals {
    /// The next bench message, or `None` after `timeout` with the client still connected.
    ///
    /// # Errors
    /// If the namespace or the session has ended.
    pub fn recv(&self, timeout: Duration) -> Result<Option<String>, BenchError> {
        match self.queue.recv_timeout(timeout) {
            Ok(Arrival::Event(text)) => Ok(Some(text)),
            Ok(Arrival::Gone(reason)) => Err(BenchError::Closed(reason)),
            Err(RecvTimeoutError::Timeout) => Ok(None),
            Err(RecvTimeoutError::Disconnected) => {
                Err(BenchError::Closed("the client has stopped".to_string()))
            }
        }
    }

    /// From now on each message goes to `reaction`, on the reader thread; what was queued
    /// before goes first, so nothing is reordered.
    pub fn set_reaction(&self, mut reaction: Reaction) {
        let mut sink = self.sink.lock().unwrap_or_else(|p| p.into_inner());
        while let Ok(arrival) = self.queue.try_recv() {
            match arrival {
                Arrival::Event(text) => reaction(&text),
                gone @ Arrival::Gone(_) => {
                    let _ = sink.queue.send(gone); // for check_alive to find
                    break;
                }
            }
        }
        sink.reaction = Some(reaction);
    }

    /// As [`set_reaction`](Arrivals::set_reaction), for good: no thread of the workload's
    /// waits on this client any more, and `gone` learns if it ends.
    pub fn hand_over(self, reaction: Reaction, gone: Gone) {
        self.set_reaction(reaction);
        let mut sink = self.sink.lock().unwrap_or_else(|p| p.into_inner());
        match self.queue.try_recv() {
            Ok(Arrival::Gone(reason)) => gone(BenchError::Closed(reason)),
            _ => sink.on_gone = Some(gone),
        }
    }

    /// Messages go to the queue again.
    pub fn clear_reaction(&self) {
        self.sink.lock().unwrap_or_else(|p| p.into_inner()).reaction = None;
    }

    /// Waits up to `timeout` for the client to end; `Err` if it has.
    pub fn check_alive(&self, timeout: Duration) -> Result<(), BenchError> {
        match self.queue.recv_timeout(timeout) {
            Ok(Arrival::Gone(reason)) => Err(BenchError::Closed(reason)),
            Ok(Arrival::Event(_)) | Err(RecvTimeoutError::Timeout) => Ok(()),
            Err(RecvTimeoutError::Disconnected) => {
                Err(BenchError::Closed("the client has stopped".to_string()))
            }
        }
    }
}

/// Sends one event from any thread; `Channel::emit` takes the client's write lock itself.
///
/// # Errors
/// If the client is closed.
pub fn emit(channel: &Channel, event: &str, args: Vec<Value>) -> Result<(), BenchError> {
    channel
        .emit(event, args)
        .map_err(|e| BenchError::Closed(e.to_string()))
}
