//! The subscriber: a dedicated Redis connection in pub/sub mode, that delivers `message` and
//! `pmessage` pushes to a handler, and that comes back by itself when Redis is lost.
//!
//! Redis's pub/sub (RESP2, "Pub/Sub" in the protocol spec and the `SUBSCRIBE` docs): once a
//! connection has subscribed, it may only (un)subscribe and `PING`, and Redis pushes
//! three-element arrays `["message", channel, payload]` and four-element ones
//! `["pmessage", pattern, channel, payload]` whenever someone publishes. That is why it needs
//! a connection of its own, separate from [`RedisClient`](super::RedisClient).
//!
//! The subscriber remembers what it is subscribed to. When the connection is lost (Redis
//! restarted, the network cut, a malformed reply), it reports [`SubscriberEvent::Lost`],
//! dials again with [`Backoff`], logs in and selects the database again (`dial.rs`),
//! re-issues every `SUBSCRIBE` and `PSUBSCRIBE`, and once Redis has confirmed them all it
//! reports [`SubscriberEvent::Restored`]. Messages published in between are gone — Redis
//! pub/sub is at-most-once — and the two events bracket that gap for the layer above.
//!
//! A silent connection is probed: after a read timeout with nothing received, the reader
//! sends `PING`; a second timeout without any reply means Redis is unreachable.

use std::collections::BTreeSet;
use std::io::Write;
use std::net::{Shutdown, TcpStream};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use super::backoff::Backoff;
use super::dial::{dial, RedisConfig};
use super::error::RedisError;
use super::push::{push_of, PubSubMessage, PubSubPush, SubscriptionKind};
use super::reply_reader::{is_timeout, ReplyReader};
use super::resp::{encode_command, Reply};
use super::url::RedisUrl;

/// What the subscriber's handler is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubscriberEvent {
    /// A published message.
    Message(PubSubMessage),
    /// The connection was lost; messages published from now on are missed until `Restored`.
    Lost(RedisError),
    /// Connected again, and every subscription is confirmed again.
    Restored {
        /// From the loss to the confirmation: how long messages may have been missed.
        down_for: Duration,
        /// How many dials it took.
        attempts: u32,
    },
}

/// The handler, called on the subscriber's reader thread, one event at a time.
type Handler = Box<dyn FnMut(SubscriberEvent) + Send>;

/// A pub/sub connection that keeps its subscriptions across reconnects.
pub struct Subscriber {
    shared: Arc<Shared>,
    reader: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Subscriber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = lock(&self.shared.state);
        f.debug_struct("Subscriber")
            .field("channels", &state.wanted.channels.len())
            .field("patterns", &state.wanted.patterns.len())
            .field("connected", &state.writer.is_some())
            .finish()
    }
}

/// Channels and patterns, as two sets.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Subscriptions {
    channels: BTreeSet<Vec<u8>>,
    patterns: BTreeSet<Vec<u8>>,
}

/// What the callers and the reader thread share.
struct Shared {
    state: Mutex<SubscriberState>,
    /// Signalled when a subscription is confirmed and when the subscriber closes.
    changed: Condvar,
    url: RedisUrl,
    config: RedisConfig,
    backoff: Backoff,
}

struct SubscriberState {
    /// What the user asked for: re-issued after every reconnect.
    wanted: Subscriptions,
    /// What Redis has confirmed on the current connection.
    confirmed: Subscriptions,
    /// The current connection's write side; `None` while disconnected.
    writer: Option<TcpStream>,
    closed: bool,
}

impl Subscriptions {
    fn set(&mut self, kind: SubscriptionKind) -> &mut BTreeSet<Vec<u8>> {
        match kind {
            SubscriptionKind::Channel => &mut self.channels,
            SubscriptionKind::Pattern => &mut self.patterns,
        }
    }

    fn contains(&self, kind: SubscriptionKind, name: &[u8]) -> bool {
        match kind {
            SubscriptionKind::Channel => self.channels.contains(name),
            SubscriptionKind::Pattern => self.patterns.contains(name),
        }
    }
}

impl Subscriber {
    /// Dials `url` now (so that a wrong address or password fails here), then starts the
    /// reader thread that calls `handler` for every event.
    ///
    /// # Errors
    /// The first dial's [`RedisError`].
    pub fn connect(
        url: &RedisUrl,
        config: RedisConfig,
        backoff: Backoff,
        handler: impl FnMut(SubscriberEvent) + Send + 'static,
    ) -> Result<Subscriber, RedisError> {
        let first = dial(url, &config)?;
        Subscriber::spawn(url, config, backoff, Box::new(handler), Ok(first))
    }

    /// Dials `url` now, but starts even if Redis is unreachable: a server that boots before
    /// its Redis, or while Redis restarts, should come up and catch up rather than fail.
    ///
    /// If the first dial fails, the reader thread tells `handler` [`SubscriberEvent::Lost`]
    /// and dials again with `backoff`, exactly as after a loss; `subscribe` and `psubscribe`
    /// calls made meanwhile return [`RedisError::Closed`] but are remembered, and once Redis
    /// has confirmed them all the handler hears [`SubscriberEvent::Restored`]. A wrong
    /// password is retried the same way (and logged on the first and every tenth attempt).
    ///
    /// # Errors
    /// Only [`RedisError::Io`] if the reader thread cannot be spawned.
    pub fn start(
        url: &RedisUrl,
        config: RedisConfig,
        backoff: Backoff,
        handler: impl FnMut(SubscriberEvent) + Send + 'static,
    ) -> Result<Subscriber, RedisError> {
        let first = dial(url, &config);
        Subscriber::spawn(url, config, backoff, Box::new(handler), first)
    }

    /// Starts the reader thread on the first dial's outcome: a connection to read, or the
    /// error that opens a gap to restore.
    fn spawn(
        url: &RedisUrl,
        config: RedisConfig,
        backoff: Backoff,
        handler: Handler,
        first: Result<(TcpStream, ReplyReader), RedisError>,
    ) -> Result<Subscriber, RedisError> {
        let (writer, first) = match first {
            Ok((writer, reader)) => (Some(writer), Ok(reader)),
            Err(e) => (None, Err(e)),
        };
        let shared = Arc::new(Shared {
            state: Mutex::new(SubscriberState {
                wanted: Subscriptions::default(),
                confirmed: Subscriptions::default(),
                writer,
                closed: false,
            }),
            changed: Condvar::new(),
            url: url.clone(),
            config,
            backoff,
        });
        let for_reader = Arc::clone(&shared);
        let handle = thread::Builder::new()
            .name("redis-subscriber".into())
            .spawn(move || run(&for_reader, first, handler))
            .map_err(|e| RedisError::io("spawn the subscriber thread", &e))?;
        Ok(Subscriber {
            shared,
            reader: Some(handle),
        })
    }

    /// `SUBSCRIBE channel`, and waits until Redis confirms it — up to the read timeout,
    /// even across a reconnect: a subscription is confirmed once it is in force, on
    /// whichever connection. Called from the handler, it sends and returns without waiting.
    ///
    /// # Errors
    /// [`RedisError::Closed`] if Redis is unreachable right now, [`RedisError::ReadTimeout`]
    /// if the confirmation did not come in time (also when Redis refused it, e.g. an ACL
    /// without that channel: the refusal is logged). Either way the subscription is
    /// remembered and will be made on the next reconnect; [`RedisError::Shutdown`] after
    /// `close`.
    pub fn subscribe(&self, channel: &[u8]) -> Result<(), RedisError> {
        self.add(SubscriptionKind::Channel, channel)
    }

    /// `PSUBSCRIBE pattern` (glob-style: `*`, `?`, `[…]`), and waits until Redis confirms it.
    ///
    /// # Errors
    /// As [`Subscriber::subscribe`].
    pub fn psubscribe(&self, pattern: &[u8]) -> Result<(), RedisError> {
        self.add(SubscriptionKind::Pattern, pattern)
    }

    /// `UNSUBSCRIBE channel`; forgotten at once, so a reconnect will not restore it. Does not
    /// wait: a message already on its way may still be delivered.
    ///
    /// # Errors
    /// [`RedisError::Shutdown`] after `close`.
    pub fn unsubscribe(&self, channel: &[u8]) -> Result<(), RedisError> {
        self.remove(SubscriptionKind::Channel, channel)
    }

    /// `PUNSUBSCRIBE pattern`, as [`Subscriber::unsubscribe`].
    ///
    /// # Errors
    /// [`RedisError::Shutdown`] after `close`.
    pub fn punsubscribe(&self, pattern: &[u8]) -> Result<(), RedisError> {
        self.remove(SubscriptionKind::Pattern, pattern)
    }

    fn is_reader_thread(&self) -> bool {
        self.reader
            .as_ref()
            .is_some_and(|h| h.thread().id() == thread::current().id())
    }

    /// Whether the subscriber is connected right now.
    pub fn is_connected(&self) -> bool {
        lock(&self.shared.state).writer.is_some()
    }

    fn add(&self, kind: SubscriptionKind, name: &[u8]) -> Result<(), RedisError> {
        let mut state = lock(&self.shared.state);
        if state.closed {
            return Err(RedisError::Shutdown);
        }
        state.wanted.set(kind).insert(name.to_vec());
        if state.confirmed.contains(kind, name) {
            return Ok(());
        }
        let command = encode_command(&[kind.subscribe_verb(), name]);
        // A failed write is left to the reader, which sees the connection die and reconnects.
        let written = state
            .writer
            .as_ref()
            .is_some_and(|mut w| w.write_all(&command).is_ok());
        if !written {
            return Err(RedisError::Closed);
        }
        // Called from the handler, on the reader thread: the confirmation can only be read
        // after we return, so waiting for it would just time out.
        if self.is_reader_thread() {
            return Ok(());
        }
        let deadline = Instant::now() + self.shared.config.read_timeout;
        while !state.confirmed.contains(kind, name) {
            if state.closed {
                return Err(RedisError::Shutdown);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(RedisError::ReadTimeout {
                    after: self.shared.config.read_timeout,
                });
            }
            state = wait(&self.shared.changed, state, left);
        }
        Ok(())
    }

    fn remove(&self, kind: SubscriptionKind, name: &[u8]) -> Result<(), RedisError> {
        let mut state = lock(&self.shared.state);
        if state.closed {
            return Err(RedisError::Shutdown);
        }
        state.wanted.set(kind).remove(name);
        state.confirmed.set(kind).remove(name);
        let verb = kind.unsubscribe_verb();
        if let Some(mut writer) = state.writer.as_ref() {
            let _ = writer.write_all(&encode_command(&[verb, name]));
        }
        Ok(())
    }

    /// Stops the subscriber: closes the connection, stops reconnecting, and waits for the
    /// reader thread to end (unless called from the handler, on that thread itself).
    pub fn close(&mut self) {
        {
            let mut state = lock(&self.shared.state);
            state.closed = true;
            if let Some(writer) = state.writer.take() {
                let _ = writer.shutdown(Shutdown::Both);
            }
        }
        self.shared.changed.notify_all();
        if let Some(handle) = self.reader.take() {
            if handle.thread().id() != thread::current().id() {
                let _ = handle.join();
            }
        }
    }
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        self.close();
    }
}

/// The reader thread, for the subscriber's whole life: a session per connection, and
/// reconnection with backoff between sessions. A `first` dial that failed (`start` with
/// Redis down) is a gap like any other: reported, then closed by reconnecting.
fn run(shared: &Shared, first: Result<ReplyReader, RedisError>, mut handler: Handler) {
    let mut connected = first;
    // While restoring: when the loss began and how many dials it has taken so far.
    let mut restoring: Option<(Instant, u32)> = None;
    loop {
        let lost = match connected {
            Ok(reader) => session(shared, reader, &mut handler, &mut restoring),
            Err(e) => e,
        };
        if lock(&shared.state).closed {
            return;
        }
        crate::log!(
            "redis subscriber: {}: {lost}; reconnecting",
            shared.url.address()
        );
        // A connection lost again before it was restored is the same gap: one `Lost`, one
        // `Restored`, so that the layer above sees each gap exactly once.
        let (since, mut attempts) = match restoring {
            Some(restoring) => restoring,
            None => {
                handler(SubscriberEvent::Lost(lost));
                (Instant::now(), 0)
            }
        };
        connected = Ok(loop {
            attempts += 1;
            if !sleep_unless_closed(shared, shared.backoff.delay(attempts)) {
                return;
            }
            match reconnect(shared) {
                Ok(Some(reader)) => break reader,
                Ok(None) => return, // closed meanwhile
                // The first failure and then every tenth: enough to see Redis is still away
                // without a line per attempt.
                Err(e) if attempts == 1 || attempts % 10 == 0 => {
                    crate::log!("redis subscriber: reconnect attempt {attempts}: {e}")
                }
                Err(e) => crate::debug!("redis subscriber: reconnect attempt {attempts}: {e}"),
            }
        });
        restoring = Some((since, attempts));
    }
}

/// Dials again and re-issues every subscription; `Ok(None)` if the subscriber was closed.
fn reconnect(shared: &Shared) -> Result<Option<ReplyReader>, RedisError> {
    let (writer, reader) = dial(&shared.url, &shared.config)?;
    let mut state = lock(&shared.state);
    if state.closed {
        let _ = writer.shutdown(Shutdown::Both);
        return Ok(None);
    }
    state.confirmed = Subscriptions::default();
    let mut w = &writer;
    for kind in [SubscriptionKind::Channel, SubscriptionKind::Pattern] {
        let names: Vec<&[u8]> = state.wanted.set(kind).iter().map(Vec::as_slice).collect();
        if names.is_empty() {
            continue;
        }
        // One command for all names of a kind: Redis confirms each name separately.
        let mut args = vec![kind.subscribe_verb()];
        args.extend(names);
        w.write_all(&encode_command(&args))
            .map_err(|e| RedisError::io("write", &e))?;
    }
    state.writer = Some(writer);
    Ok(Some(reader))
}

/// Reads pushes until the connection fails; returns why.
fn session(
    shared: &Shared,
    mut reader: ReplyReader,
    handler: &mut Handler,
    restoring: &mut Option<(Instant, u32)>,
) -> RedisError {
    let mut ping_sent = false;
    let lost = loop {
        if let Some((since, attempts)) = *restoring {
            if all_confirmed(shared) {
                *restoring = None;
                handler(SubscriberEvent::Restored {
                    down_for: since.elapsed(),
                    attempts,
                });
            }
        }
        match reader.next_reply() {
            Ok(reply) => {
                ping_sent = false;
                if let Err(e) = dispatch(shared, reply, handler) {
                    break e;
                }
            }
            Err(e) if is_timeout(&e) && !ping_sent => {
                ping_sent = true;
                if let Err(e) = send_ping(shared) {
                    break e;
                }
            }
            Err(e) if is_timeout(&e) => {
                break RedisError::ReadTimeout {
                    after: shared.config.read_timeout,
                }
            }
            Err(e) => break e,
        }
    };
    let mut state = lock(&shared.state);
    if let Some(writer) = state.writer.take() {
        let _ = writer.shutdown(Shutdown::Both);
    }
    state.confirmed = Subscriptions::default();
    lost
}

fn all_confirmed(shared: &Shared) -> bool {
    let state = lock(&shared.state);
    state.wanted == state.confirmed
}

fn send_ping(shared: &Shared) -> Result<(), RedisError> {
    let state = lock(&shared.state);
    match state.writer.as_ref() {
        Some(mut writer) => writer
            .write_all(&encode_command(&["PING"]))
            .map_err(|e| RedisError::io("write", &e)),
        None => Err(RedisError::Closed),
    }
}

/// Handles one push. An error return drops the connection.
fn dispatch(shared: &Shared, reply: Reply, handler: &mut Handler) -> Result<(), RedisError> {
    match push_of(reply)? {
        PubSubPush::Message(message) => handler(SubscriberEvent::Message(message)),
        PubSubPush::Confirmed(kind, name) => confirm(shared, kind, &name),
        PubSubPush::Nothing => {}
    }
    Ok(())
}

/// Records Redis's confirmation, unless the user unsubscribed meanwhile.
fn confirm(shared: &Shared, kind: SubscriptionKind, name: &[u8]) {
    let mut state = lock(&shared.state);
    if state.wanted.contains(kind, name) {
        state.confirmed.set(kind).insert(name.to_vec());
        shared.changed.notify_all();
    }
}

/// Sleeps `delay` unless the subscriber closes first; `false` if it did.
fn sleep_unless_closed(shared: &Shared, delay: Duration) -> bool {
    let deadline = Instant::now() + delay;
    let mut state = lock(&shared.state);
    loop {
        if state.closed {
            return false;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return true;
        }
        state = wait(&shared.changed, state, left);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn wait<'a, T>(
    changed: &Condvar,
    guard: MutexGuard<'a, T>,
    timeout: Duration,
) -> MutexGuard<'a, T> {
    match changed.wait_timeout(guard, timeout) {
        Ok((guard, _)) => guard,
        Err(poisoned) => poisoned.into_inner().0,
    }
}
