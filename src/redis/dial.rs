//! Opening one Redis connection: resolve, connect within a timeout, then log in (`AUTH`) and
//! pick the database (`SELECT`) before anyone else may use it.
//!
//! Both the command connection and the subscriber dial through here, and the subscriber
//! dials again after every loss, so a reconnected subscriber is logged in and on the same
//! database exactly like the first time. The handshake runs before any reader thread
//! exists, reading its two replies directly.

use std::io::Write;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

use super::error::RedisError;
use super::reply_reader::ReplyReader;
use super::resp::{encode_command, Reply, RespLimits};
use super::url::RedisUrl;

/// Timeouts and limits for a Redis connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RedisConfig {
    /// How long a TCP connect may take, per address the host resolves to.
    pub connect_timeout: Duration,
    /// How long a reply may take once its command is sent, and how long a write may block.
    /// For the subscriber, how long the connection may stay silent before it is probed with
    /// a `PING`, and how long `subscribe` waits for Redis's confirmation.
    pub read_timeout: Duration,
    /// Bounds on what a reply may claim.
    pub limits: RespLimits,
}

impl Default for RedisConfig {
    fn default() -> RedisConfig {
        RedisConfig {
            connect_timeout: Duration::from_secs(5),
            read_timeout: Duration::from_secs(5),
            limits: RespLimits::default(),
        }
    }
}

/// A connected, logged-in connection: the socket to write commands to, and its reader.
pub fn dial(url: &RedisUrl, config: &RedisConfig) -> Result<(TcpStream, ReplyReader), RedisError> {
    let stream = connect(url, config.connect_timeout)?;
    // Commands are small writes that want to leave at once: Nagle's delay would add up to
    // 40 ms to every request/reply round trip.
    stream
        .set_nodelay(true)
        .map_err(|e| RedisError::io("set_nodelay", &e))?;
    stream
        .set_read_timeout(Some(config.read_timeout))
        .map_err(|e| RedisError::io("set_read_timeout", &e))?;
    // Writers hold the connection's lock while they write (so that slot order is wire
    // order); a Redis that stops reading must not hold them, and everyone behind them, for
    // ever. The read timeout bounds a write too.
    stream
        .set_write_timeout(Some(config.read_timeout))
        .map_err(|e| RedisError::io("set_write_timeout", &e))?;
    let writer = stream
        .try_clone()
        .map_err(|e| RedisError::io("clone the socket", &e))?;
    let mut reader = ReplyReader::new(stream, config.limits);
    let mut writer_for_handshake = &writer;
    if let Some(password) = &url.password {
        let auth = match &url.username {
            Some(user) => encode_command(&[&b"AUTH"[..], user, password]),
            None => encode_command(&[&b"AUTH"[..], password]),
        };
        expect_ok(&mut writer_for_handshake, &mut reader, &auth, "AUTH")?;
    }
    if url.db != 0 {
        let select = encode_command(&["SELECT", &url.db.to_string()]);
        expect_ok(&mut writer_for_handshake, &mut reader, &select, "SELECT")?;
    }
    Ok((writer, reader))
}

/// Tries each address the host resolves to, in order, each within `timeout`.
fn connect(url: &RedisUrl, timeout: Duration) -> Result<TcpStream, RedisError> {
    let address = url.address();
    let addrs: Vec<SocketAddr> = address
        .to_socket_addrs()
        .map_err(|e| RedisError::io("resolve", &e))?
        .collect();
    let mut last = RedisError::Resolve {
        address: address.clone(),
    };
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(stream) => return Ok(stream),
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {
                last = RedisError::ConnectTimeout {
                    address: address.clone(),
                    after: timeout,
                }
            }
            Err(e) => last = RedisError::io("connect", &e),
        }
    }
    Err(last)
}

/// Sends one handshake command and requires `+OK`.
fn expect_ok(
    writer: &mut &TcpStream,
    reader: &mut ReplyReader,
    command: &[u8],
    name: &'static str,
) -> Result<(), RedisError> {
    writer
        .write_all(command)
        .map_err(|e| RedisError::io("write", &e))?;
    match reader.next_reply() {
        Ok(Reply::Simple(ok)) if ok == "OK" => Ok(()),
        Ok(Reply::Error(message)) => Err(RedisError::Server(message)),
        Ok(other) => Err(RedisError::UnexpectedReply {
            command: name,
            reply: format!("{other:?}"),
        }),
        Err(e) if super::reply_reader::is_timeout(&e) => Err(RedisError::ReadTimeout {
            after: reader
                .stream()
                .read_timeout()
                .ok()
                .flatten()
                .unwrap_or_default(),
        }),
        Err(e) => Err(e),
    }
}
