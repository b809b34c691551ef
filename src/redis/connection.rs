//! A command connection: many threads send commands on one TCP connection, one reader
//! thread hands each reply to the caller that is waiting for it.
//!
//! RESP2 replies carry no request id: Redis answers commands in the order it received them.
//! So the connection keeps a FIFO of pending reply slots, and a command is written and its
//! slot queued under one lock — the order of the slots is then the order on the wire, and the
//! reader pops the front slot for each reply. Callers wait on their own channel, not on the
//! lock, so a slow reply blocks no one from sending.
//!
//! When anything goes wrong on the wire (a read timeout, a malformed reply, Redis gone), the
//! replies can no longer be matched to callers, so the whole connection fails: every pending
//! caller gets the error, later commands get it at once, and [`RedisClient`](super::RedisClient)
//! dials a new one on the next command.

use std::collections::VecDeque;
use std::io::Write;
use std::net::{Shutdown, TcpStream};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use super::dial::{dial, RedisConfig};
use super::error::RedisError;
use super::reply_reader::{is_timeout, ReplyReader};
use super::resp::{encode_command, Reply};
use super::url::RedisUrl;

/// One command connection to Redis, with its reader thread.
#[derive(Debug)]
pub struct RedisConnection {
    shared: Arc<Mutex<Wire>>,
}

/// What the callers and the reader thread share.
#[derive(Debug)]
struct Wire {
    writer: TcpStream,
    pending: VecDeque<PendingReply>,
    /// Set once, when the connection fails: then it stays failed.
    failed: Option<RedisError>,
}

/// A caller waiting for the reply to its command.
#[derive(Debug)]
struct PendingReply {
    sent_at: Instant,
    slot: Sender<Result<Reply, RedisError>>,
}

impl RedisConnection {
    /// Dials `url` (with `AUTH` and `SELECT` as it says) and starts the reader thread.
    ///
    /// # Errors
    /// Anything [`RedisError`] names for connecting and the handshake.
    pub fn connect(url: &RedisUrl, config: &RedisConfig) -> Result<RedisConnection, RedisError> {
        let (writer, reader) = dial(url, config)?;
        // The reader wakes a few times per read timeout to look at the oldest pending reply,
        // so a late reply is noticed between 1 and 1.5 read timeouts after its command.
        let tick = (config.read_timeout / 2).max(Duration::from_millis(10));
        reader
            .stream()
            .set_read_timeout(Some(tick))
            .map_err(|e| RedisError::io("set_read_timeout", &e))?;
        let shared = Arc::new(Mutex::new(Wire {
            writer,
            pending: VecDeque::new(),
            failed: None,
        }));
        let for_reader = Arc::clone(&shared);
        let read_timeout = config.read_timeout;
        thread::Builder::new()
            .name("redis-reader".into())
            .spawn(move || read_replies(reader, &for_reader, read_timeout))
            .map_err(|e| RedisError::io("spawn the reader thread", &e))?;
        Ok(RedisConnection { shared })
    }

    /// Sends one command (its arguments as bulk strings) and waits for its reply. An error
    /// reply is returned as `Ok(Reply::Error(…))`: the caller decides what a refusal means.
    ///
    /// # Errors
    /// A [`RedisError`] when the connection failed before or while waiting.
    pub fn command<A: AsRef<[u8]>>(&self, args: &[A]) -> Result<Reply, RedisError> {
        self.send(&encode_command(args))?
            .recv()
            // The reader dropped our slot without answering: it can only have failed.
            .unwrap_or_else(|_| Err(self.failure()))
    }

    /// Writes `bytes` and queues a reply slot, both under the lock so that slot order is wire
    /// order.
    fn send(&self, bytes: &[u8]) -> Result<Receiver<Result<Reply, RedisError>>, RedisError> {
        let mut wire = lock(&self.shared);
        if let Some(e) = &wire.failed {
            return Err(e.clone());
        }
        if let Err(e) = wire.writer.write_all(bytes) {
            let e = RedisError::io("write", &e);
            fail(&mut wire, e.clone());
            return Err(e);
        }
        let (slot, reply) = mpsc::channel();
        wire.pending.push_back(PendingReply {
            sent_at: Instant::now(),
            slot,
        });
        Ok(reply)
    }

    /// Why the connection failed (or [`RedisError::Closed`] if it did not say).
    fn failure(&self) -> RedisError {
        lock(&self.shared)
            .failed
            .clone()
            .unwrap_or(RedisError::Closed)
    }

    /// Whether the connection failed: then every command fails at once.
    pub fn is_failed(&self) -> bool {
        lock(&self.shared).failed.is_some()
    }
}

impl Drop for RedisConnection {
    /// Fails pending callers with [`RedisError::Shutdown`] and wakes the reader thread, which
    /// sees the socket shut and ends.
    fn drop(&mut self) {
        fail(&mut lock(&self.shared), RedisError::Shutdown);
    }
}

/// The reader thread: each reply goes to the oldest pending caller.
fn read_replies(mut reader: ReplyReader, shared: &Mutex<Wire>, read_timeout: Duration) {
    loop {
        let result = reader.next_reply();
        let mut wire = lock(shared);
        if wire.failed.is_some() {
            return;
        }
        match result {
            Ok(reply) => match wire.pending.pop_front() {
                // A caller that gave up no longer listens; its reply is simply dropped.
                Some(pending) => drop(pending.slot.send(Ok(reply))),
                None => {
                    let e = RedisError::UnexpectedReply {
                        command: "(none pending)",
                        reply: format!("{reply:?}"),
                    };
                    crate::log!("redis: {e}; dropping the connection");
                    fail(&mut wire, e);
                    return;
                }
            },
            Err(e) if is_timeout(&e) => {
                let overdue = wire
                    .pending
                    .front()
                    .is_some_and(|p| p.sent_at.elapsed() >= read_timeout);
                if overdue {
                    let e = RedisError::ReadTimeout {
                        after: read_timeout,
                    };
                    crate::log!("redis: {e}; dropping the connection");
                    fail(&mut wire, e);
                    return;
                }
            }
            Err(e) => {
                crate::log!("redis: {e}; dropping the connection");
                fail(&mut wire, e);
                return;
            }
        }
    }
}

/// Marks the connection failed with `e`, hands `e` to every pending caller and shuts the
/// socket, which also ends the reader thread's blocking read.
fn fail(wire: &mut Wire, e: RedisError) {
    if wire.failed.is_some() {
        return;
    }
    for pending in wire.pending.drain(..) {
        let _ = pending.slot.send(Err(e.clone()));
    }
    wire.failed = Some(e);
    let _ = wire.writer.shutdown(Shutdown::Both);
}

/// Locks `mutex` even if a thread panicked while holding it: the state it guards stays
/// consistent (every change is one assignment or one queue operation).
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
