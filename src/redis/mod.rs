//! A Redis client, std only: what the Redis adapter (`crate::redis_adapter`) stands on, so
//! that several threadio servers can broadcast to each other's sockets.
//!
//! Where it sits: beside the Socket.IO stack, not in it. The adapter publishes each
//! broadcast with [`RedisClient::publish`] and receives the
//! others' with a [`Subscriber`].
//!
//! What it implements: RESP2, the Redis serialization protocol
//! (<https://redis.io/docs/latest/develop/reference/protocol-spec/>) — simple strings, errors,
//! integers, bulk strings, arrays — and Redis pub/sub's pushed `message` and `pmessage`
//! arrays; `redis://` URLs with `AUTH` and `SELECT`; connect and read timeouts.
//!
//! The files, bottom up:
//!
//! - `resp.rs`: the pure RESP2 decoder (bounded by [`RespLimits`]) and command encoder.
//! - `url.rs`: `redis://[user:password@]host[:port][/db]`.
//! - `error.rs`: [`RedisError`], one enum for every failure.
//! - `reply_reader.rs`: a socket and its read buffer → the next reply.
//! - `dial.rs`: connect within a timeout, `AUTH`, `SELECT`.
//! - `connection.rs`: a command connection — callers on any thread, one reader thread, replies
//!   matched to callers in order.
//! - `client.rs`: typed commands (`PUBLISH`, `PUBSUB NUMSUB`, `PING`) over a connection
//!   dialled again when it was lost ([`RedisClient::lazy`]: first dialled by the first
//!   command).
//! - `backoff.rs`: exponential backoff with jitter.
//! - `push.rs`: what a reply on a subscribed connection means (`message`, `pmessage`, …).
//! - `subscriber.rs`: the dedicated pub/sub connection, which reconnects and re-subscribes by
//!   itself and reports the gap as `Lost`/`Restored` ([`Subscriber::start`]: the gap may
//!   begin at start).
//!
//! Redis down when the server starts should not keep the server from starting: with
//! [`Subscriber::start`] and [`RedisClient::lazy`] it starts, logs, and keeps retrying; the
//! subscriber reports the gap like any later one, and commands fail with the dial's error
//! until Redis is there. [`Subscriber::connect`] and [`RedisClient::connect`] fail instead,
//! for a caller that would rather stop on a wrong address or password.
//!
//! ```no_run
//! use threadio::redis::{Backoff, RedisClient, RedisConfig, RedisUrl, Subscriber, SubscriberEvent};
//!
//! let url = RedisUrl::parse("redis://:secret@127.0.0.1:6379/2")?;
//! let subscriber = Subscriber::connect(&url, RedisConfig::default(), Backoff::default(), |event| {
//!     if let SubscriberEvent::Message(message) = event {
//!         println!("{} bytes on {:?}", message.payload.len(), message.channel);
//!     }
//! })?;
//! subscriber.subscribe(b"socket.io#/#")?;
//! let client = RedisClient::connect(&url, RedisConfig::default())?;
//! client.publish(b"socket.io#/#", b"\x93\x01\x02\x03")?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod backoff;
mod client;
mod connection;
mod dial;
mod error;
mod push;
mod reply_reader;
pub mod resp;
mod subscriber;
mod url;

pub use backoff::Backoff;
pub use client::RedisClient;
pub use connection::RedisConnection;
pub use dial::RedisConfig;
pub use error::RedisError;
pub use push::PubSubMessage;
pub use resp::{Reply, RespError, RespLimits};
pub use subscriber::{Subscriber, SubscriberEvent};
pub use url::{RedisUrl, RedisUrlError, DEFAULT_PORT};
