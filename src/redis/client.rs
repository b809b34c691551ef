//! The command side of the Redis adapter: typed `PUBLISH` and `PUBSUB NUMSUB` (and any other
//! command) over a [`RedisConnection`] that is dialled again when it was lost.
//!
//! Re-dialling is lazy: a failed connection is replaced by the next command, not by a
//! background loop. A command that finds Redis down fails fast with the dial's error, and a
//! caller that publishes nothing costs nothing while Redis is away. (The subscriber cannot
//! wait for a caller — messages only arrive if it is connected — so it reconnects by itself,
//! in `subscriber.rs`.) [`RedisClient::lazy`] starts in that state, without a connection, so
//! that a server can start while its Redis is down; [`RedisClient::connect`] dials at once.

use std::sync::{Arc, Mutex};

use super::connection::RedisConnection;
use super::dial::RedisConfig;
use super::error::RedisError;
use super::resp::Reply;
use super::url::RedisUrl;

/// Sends commands to one Redis server; safe to share between threads (`&self` everywhere).
#[derive(Debug)]
pub struct RedisClient {
    url: RedisUrl,
    config: RedisConfig,
    current: Mutex<Option<Arc<RedisConnection>>>,
}

impl RedisClient {
    /// A client for `url`, connected at once so that a wrong address or password shows now.
    ///
    /// # Errors
    /// The first dial's [`RedisError`].
    pub fn connect(url: &RedisUrl, config: RedisConfig) -> Result<RedisClient, RedisError> {
        let client = RedisClient::lazy(url, config);
        client.connection()?;
        Ok(client)
    }

    /// A client for `url` that dials on its first command, not now: it cannot fail, so a
    /// server can start while Redis is down, and each command until Redis is back fails
    /// fast with the dial's error (as after a lost connection).
    pub fn lazy(url: &RedisUrl, config: RedisConfig) -> RedisClient {
        RedisClient {
            url: url.clone(),
            config,
            current: Mutex::new(None),
        }
    }

    /// Sends any command and returns its reply; an error reply becomes
    /// [`RedisError::Server`].
    ///
    /// # Errors
    /// [`RedisError::Server`] for a refusal, or why the connection failed (the next command
    /// then dials a new one).
    pub fn command<A: AsRef<[u8]>>(&self, args: &[A]) -> Result<Reply, RedisError> {
        match self.connection()?.command(args)? {
            Reply::Error(message) => Err(RedisError::Server(message)),
            reply => Ok(reply),
        }
    }

    /// `PUBLISH channel payload`: how many subscribers (on this Redis) received it.
    ///
    /// # Errors
    /// As [`RedisClient::command`].
    pub fn publish(&self, channel: &[u8], payload: &[u8]) -> Result<i64, RedisError> {
        match self.command(&[&b"PUBLISH"[..], channel, payload])? {
            Reply::Integer(receivers) => Ok(receivers),
            other => Err(unexpected("PUBLISH", &other)),
        }
    }

    /// `PUBSUB NUMSUB channel…`: the number of subscribers of each channel (pattern
    /// subscriptions not counted, as Redis documents), in the order asked.
    ///
    /// # Errors
    /// As [`RedisClient::command`].
    pub fn numsub(&self, channels: &[&[u8]]) -> Result<Vec<(Vec<u8>, i64)>, RedisError> {
        let mut args: Vec<&[u8]> = vec![b"PUBSUB", b"NUMSUB"];
        args.extend_from_slice(channels);
        let reply = self.command(&args)?;
        let Reply::Array(items) = &reply else {
            return Err(unexpected("PUBSUB NUMSUB", &reply));
        };
        // A flat array: channel, count, channel, count, …
        items
            .chunks(2)
            .map(|pair| match pair {
                [Reply::Bulk(channel), Reply::Integer(count)] => Ok((channel.clone(), *count)),
                _ => Err(unexpected("PUBSUB NUMSUB", &reply)),
            })
            .collect()
    }

    /// `PING`: `Ok` if Redis answered `PONG`.
    ///
    /// # Errors
    /// As [`RedisClient::command`].
    pub fn ping(&self) -> Result<(), RedisError> {
        match self.command(&["PING"])? {
            Reply::Simple(pong) if pong == "PONG" => Ok(()),
            other => Err(unexpected("PING", &other)),
        }
    }

    /// The live connection, dialling a new one if the last one failed. The dial happens
    /// under the lock, so that threads arriving together dial once, not once each.
    fn connection(&self) -> Result<Arc<RedisConnection>, RedisError> {
        let mut current = self
            .current
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(connection) = current.as_ref().filter(|c| !c.is_failed()) {
            return Ok(Arc::clone(connection));
        }
        *current = None;
        let connection = Arc::new(RedisConnection::connect(&self.url, &self.config)?);
        crate::log!("redis: connected to {}", self.url.address());
        *current = Some(Arc::clone(&connection));
        Ok(connection)
    }
}

fn unexpected(command: &'static str, reply: &Reply) -> RedisError {
    RedisError::UnexpectedReply {
        command,
        reply: format!("{reply:?}"),
    }
}
