//! [`RedisAdapter`]: this node's membership of a cluster over Redis — what the Node
//! adapter's `createAdapter(pubClient, subClient, opts)` makes — shared by the links of all
//! its namespaces (`link.rs`).
//!
//! What it holds, and the threads it runs:
//! - a random `uid`, 6 characters as Node's, that marks this node's messages so it can
//!   ignore its own when Redis hands them back;
//! - a command connection ([`RedisClient`]) for `PUBSUB NUMSUB`, and the publisher thread
//!   (`publisher.rs`) which `PUBLISH`es on it in order;
//! - a subscription connection ([`Subscriber`]), whose reader thread sorts each message by
//!   its channel: broadcasts and requests go to their namespace's link on the inbox thread
//!   (`inbox.rs`), answers to this node's pending requests (`pending.rs`);
//! - the counters ([`AdapterStats`]).
//!
//! Redis down at start, or lost later, stops nothing here: the subscriber keeps dialling and
//! re-subscribes by itself, publishing resumes on the next message, and what could not be
//! published meanwhile is dropped and counted (`publisher.rs`).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock, RwLock, Weak};
use std::time::Instant;

use super::config::{Parser, RedisAdapterConfig};
use super::inbox::Inbox;
use super::link::NamespaceLink;
use super::message::Answer;
use super::pending::Pending;
use super::publisher::Publisher;
use super::stats::{AdapterCounts, AdapterStats};
use crate::redis::{PubSubMessage, RedisClient, RedisError, RedisUrl, Subscriber, SubscriberEvent};
use crate::socketio::{Adapter, AdapterFactory, Namespace};

/// A node's link to a cluster of socket.io servers — threadio's or Node's — over one Redis.
/// Give it to the server with [`Io::set_adapter`](crate::socketio::Io::set_adapter); clone
/// it to keep a handle for its counters.
///
/// ```no_run
/// use threadio::redis::RedisUrl;
/// use threadio::redis_adapter::{RedisAdapter, RedisAdapterConfig};
/// use threadio::socketio::Io;
///
/// let io = Io::new();
/// let url = RedisUrl::parse("redis://127.0.0.1:6379")?;
/// io.set_adapter(RedisAdapter::new(&url, RedisAdapterConfig::default())?);
/// io.to("lobby").emit("news", ("to the lobby, on every node",));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct RedisAdapter {
    shared: Arc<Shared>,
}

/// What the links of every namespace share.
pub(crate) struct Shared {
    pub(crate) uid: String,
    pub(crate) config: RedisAdapterConfig,
    pub(crate) commands: Arc<RedisClient>,
    pub(crate) publisher: Publisher,
    pub(crate) pending: Pending,
    inbox: Inbox,
    routes: RwLock<Routes>,
    subscriber: OnceLock<Subscriber>,
    stats: Arc<AdapterStats>,
}

/// Which link a message is for, by what it arrived on. Links are held weakly: each
/// belongs to its namespace, and goes with it.
#[derive(Default)]
struct Routes {
    /// Broadcast patterns, `{key}#{nsp}#*`.
    patterns: HashMap<String, Weak<NamespaceLink>>,
    /// Request channels.
    requests: HashMap<String, Weak<NamespaceLink>>,
    /// Response channels: answers for the pending requests of every namespace.
    responses: HashSet<String>,
}

impl RedisAdapter {
    /// Joins the cluster on the Redis at `url`. Redis need not be up: the adapter connects
    /// when it can, and says so in the log.
    ///
    /// # Errors
    /// Only if a thread cannot be started.
    pub fn new(url: &RedisUrl, config: RedisAdapterConfig) -> Result<RedisAdapter, RedisError> {
        let stats = Arc::new(AdapterStats::default());
        let commands = Arc::new(RedisClient::lazy(url, config.connection));
        let publisher = Publisher::start(
            Arc::clone(&commands),
            config.max_queued_publishes,
            Arc::clone(&stats),
        )
        .map_err(|e| RedisError::io("start the publisher thread", &e))?;
        let inbox = Inbox::start().map_err(|e| RedisError::io("start the inbox thread", &e))?;
        let shared = Arc::new(Shared {
            uid: random_id(),
            config,
            commands,
            publisher,
            pending: Pending::default(),
            inbox,
            routes: RwLock::default(),
            subscriber: OnceLock::new(),
            stats,
        });
        let weak = Arc::downgrade(&shared);
        let subscriber = Subscriber::start(
            url,
            shared.config.connection,
            shared.config.reconnect,
            move |event| {
                if let Some(shared) = weak.upgrade() {
                    shared.on_event(event);
                }
            },
        )?;
        let _ = shared.subscriber.set(subscriber);
        Ok(RedisAdapter { shared })
    }

    /// This node's id in the cluster.
    pub fn uid(&self) -> &str {
        &self.shared.uid
    }

    /// The counters: published, dropped, received, malformed, subscriber losses.
    pub fn counts(&self) -> AdapterCounts {
        self.shared.stats.counts()
    }

    /// Whether the subscription connection is up (messages from the other nodes arrive).
    pub fn is_connected(&self) -> bool {
        self.shared
            .subscriber
            .get()
            .is_some_and(Subscriber::is_connected)
    }
}

impl AdapterFactory for RedisAdapter {
    fn create(&self, namespace: &Namespace) -> Arc<dyn Adapter> {
        let link = Arc::new(NamespaceLink::new(namespace, Arc::clone(&self.shared)));
        self.shared.link(&link);
        link
    }
}

impl Shared {
    /// Routes `link`'s channels to it and subscribes to them.
    fn link(&self, link: &Arc<NamespaceLink>) {
        let channels = &link.channels;
        {
            let mut routes = self.routes.write().expect("routes lock poisoned");
            routes
                .patterns
                .insert(channels.broadcast_pattern.clone(), Arc::downgrade(link));
            routes
                .requests
                .insert(channels.request.clone(), Arc::downgrade(link));
            routes.responses.insert(channels.response.clone());
            routes.responses.insert(channels.own_response.clone());
        }
        let Some(subscriber) = self.subscriber.get() else {
            return;
        };
        let results = [
            subscriber.psubscribe(channels.broadcast_pattern.as_bytes()),
            subscriber.subscribe(channels.request.as_bytes()),
            subscriber.subscribe(channels.response.as_bytes()),
            subscriber.subscribe(channels.own_response.as_bytes()),
        ];
        // Closed: Redis is down; the subscriber remembers them for when it is back.
        if let Some(error) = results
            .into_iter()
            .filter_map(Result::err)
            .find(|e| !matches!(e, RedisError::Closed))
        {
            crate::log!(
                "redis adapter: subscribing for namespace {}: {error}",
                link.name
            );
        }
    }

    /// Forgets `link`'s channels: its namespace is going.
    pub(crate) fn unlink(&self, link: &NamespaceLink) {
        let channels = &link.channels;
        {
            let mut routes = self.routes.write().expect("routes lock poisoned");
            routes.patterns.remove(&channels.broadcast_pattern);
            routes.requests.remove(&channels.request);
            routes.responses.remove(&channels.response);
            routes.responses.remove(&channels.own_response);
        }
        if let Some(subscriber) = self.subscriber.get() {
            let _ = subscriber.punsubscribe(channels.broadcast_pattern.as_bytes());
            for channel in [
                &channels.request,
                &channels.response,
                &channels.own_response,
            ] {
                let _ = subscriber.unsubscribe(channel.as_bytes());
            }
        }
    }

    /// What the subscriber reports, on its reader thread.
    fn on_event(&self, event: SubscriberEvent) {
        match event {
            SubscriberEvent::Message(message) => self.dispatch(message),
            SubscriberEvent::Lost(error) => {
                self.stats.subscriber_losses.fetch_add(1, Ordering::Relaxed);
                crate::log!(
                    "redis adapter: lost Redis ({error}); the other nodes' messages are missed \
                     until it is back"
                );
            }
            SubscriberEvent::Restored { down_for, attempts } => crate::log!(
                "redis adapter: Redis is back after {down_for:?} ({attempts} attempt(s)); \
                 subscriptions restored"
            ),
        }
    }

    /// Sends a message to what waits for it: a link (on the inbox thread), or a pending
    /// request.
    fn dispatch(&self, message: PubSubMessage) {
        let channel = String::from_utf8_lossy(&message.channel).into_owned();
        let routes = self.routes.read().expect("routes lock poisoned");
        if let Some(pattern) = &message.pattern {
            let pattern = String::from_utf8_lossy(pattern);
            let Some(link) = routes
                .patterns
                .get(pattern.as_ref())
                .and_then(Weak::upgrade)
            else {
                return;
            };
            drop(routes);
            // A broadcast to one room this node has nobody in: not even decoded.
            if let Some(Some(room)) = link.channels.room_of(&channel) {
                if !link.has_room(room) {
                    return;
                }
            }
            let payload = message.payload;
            self.inbox
                .push(Box::new(move || link.on_broadcast(&payload)));
        } else if let Some(link) = routes.requests.get(&channel).and_then(Weak::upgrade) {
            drop(routes);
            let payload = message.payload;
            self.inbox.push(Box::new(move || link.on_request(&payload)));
        } else if routes.responses.contains(&channel) {
            drop(routes);
            self.on_answer(&channel, &message.payload);
        }
    }

    fn on_answer(&self, channel: &str, payload: &[u8]) {
        let answer = Parser::decode(payload)
            .and_then(|value| Answer::from_value(value).map_err(|e| e.to_string()));
        match answer {
            Ok(answer) => {
                if let Some(job) = self.pending.answer(answer) {
                    self.inbox.push(job);
                }
            }
            Err(why) => self.malformed(channel, &why),
        }
    }

    /// A message that was not understood: logged, counted, dropped.
    pub(crate) fn malformed(&self, channel: &str, why: &str) {
        self.stats.malformed.fetch_add(1, Ordering::Relaxed);
        crate::log!("redis adapter: ignored a message on {channel}: {why}");
    }

    pub(crate) fn received(&self) {
        self.stats.received.fetch_add(1, Ordering::Relaxed);
    }

    /// A fresh request id.
    pub(crate) fn new_request_id(&self) -> String {
        random_id()
    }

    /// At `at`, request `request_id` stops waiting (`Pending::expire`); what that calls
    /// back runs on the inbox thread, after any answer already queued there.
    pub(crate) fn expire_at(self: &Arc<Self>, request_id: String, at: Instant) {
        let weak = Arc::downgrade(self);
        crate::timer::schedule(at, move || {
            if let Some(shared) = weak.upgrade() {
                if let Some(job) = shared.pending.expire(&request_id) {
                    shared.inbox.push(job);
                }
            }
        });
    }
}

/// Six random characters from `[A-Za-z0-9]`, as Node's `uid2(6)` makes node and request ids.
fn random_id() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    crate::entropy::random_bytes::<6>()
        .iter()
        .map(|byte| ALPHABET[usize::from(*byte) % ALPHABET.len()] as char)
        .collect()
}
