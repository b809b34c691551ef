//! The publishing side: one thread that sends this node's messages to Redis in the order
//! they were made, so that the threads that emit never wait on Redis.
//!
//! Why a thread: a `PUBLISH` is a round trip to Redis. Made on the emitting thread, every
//! broadcast would wait for it — and, while Redis is down, for a failed dial. Queued here,
//! an emit costs an encode and a push, and the local sockets have their event already.
//! One queue, one thread, one connection also keeps this node's messages in order, which
//! is the only order Redis pub/sub promises (per publishing connection).
//!
//! What cannot be published is dropped, counted and logged once per outage (Redis pub/sub
//! is at-most-once anyway: a node that is down misses what is published meanwhile). The
//! queue is bounded (`RedisAdapterConfig::max_queued_publishes`); past it, new messages are
//! dropped the same way rather than held without limit.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::thread;

use super::stats::AdapterStats;
use crate::redis::{RedisClient, RedisError};

/// One message to publish.
struct Publish {
    channel: String,
    payload: Vec<u8>,
}

/// The queue in front of the publishing thread.
pub(crate) struct Publisher {
    queue: SyncSender<Publish>,
    stats: Arc<AdapterStats>,
    bound: usize,
    /// The queue was full at the last push: log the next drop only once it drains.
    full: AtomicBool,
}

impl Publisher {
    /// Starts the thread, which publishes with `client` until every `Publisher` handle is
    /// dropped.
    pub(crate) fn start(
        client: Arc<RedisClient>,
        bound: usize,
        stats: Arc<AdapterStats>,
    ) -> std::io::Result<Publisher> {
        let (queue, messages) = sync_channel(bound);
        let for_thread = Arc::clone(&stats);
        thread::Builder::new()
            .name("redis-adapter-publisher".into())
            .spawn(move || publish_all(&client, &messages, &for_thread))?;
        Ok(Publisher {
            queue,
            stats,
            bound,
            full: AtomicBool::new(false),
        })
    }

    /// Queues `payload` for `channel`, or drops it if the queue is full.
    pub(crate) fn publish(&self, channel: String, payload: Vec<u8>) {
        match self.queue.try_send(Publish { channel, payload }) {
            Ok(()) => {
                self.full.store(false, Ordering::Relaxed);
            }
            Err(TrySendError::Full(message)) => {
                self.stats.dropped_publishes.fetch_add(1, Ordering::Relaxed);
                if !self.full.swap(true, Ordering::Relaxed) {
                    crate::log!(
                        "redis adapter: {} messages wait to be published; dropping new ones \
                         (the first on {}) until Redis catches up",
                        self.bound,
                        message.channel
                    );
                }
            }
            // The thread has ended: the process is going down.
            Err(TrySendError::Disconnected(_)) => {}
        }
    }
}

/// The thread: publish each message in turn; count and drop those Redis cannot take.
fn publish_all(client: &RedisClient, messages: &Receiver<Publish>, stats: &AdapterStats) {
    let mut outage = Outage::default();
    for message in messages {
        match client.publish(message.channel.as_bytes(), &message.payload) {
            Ok(_) => {
                stats.published.fetch_add(1, Ordering::Relaxed);
                outage.ended();
            }
            Err(error) => {
                stats.dropped_publishes.fetch_add(1, Ordering::Relaxed);
                outage.dropped(&error, &message.channel);
            }
        }
    }
}

/// Messages dropped since publishing last worked: one log line when it starts, one when
/// it ends, rather than one per message.
#[derive(Default)]
struct Outage {
    dropped: u64,
}

impl Outage {
    fn dropped(&mut self, error: &RedisError, channel: &str) {
        self.dropped += 1;
        if self.dropped == 1 {
            crate::log!(
                "redis adapter: cannot publish on {channel} ({error}); messages for the other \
                 nodes are dropped until Redis is back"
            );
        }
    }

    fn ended(&mut self) {
        let dropped = std::mem::take(&mut self.dropped);
        if dropped > 0 {
            crate::log!("redis adapter: publishing again; {dropped} message(s) were dropped");
        }
    }
}
