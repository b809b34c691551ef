//! What can go wrong for the client, each as an enum whose variants name the cause: a
//! connection that could not be made ([`DialError`]), an emit that cannot be sent or
//! answered ([`EmitError`]), and why a namespace was disconnected ([`DisconnectCause`]).

use std::fmt;
use std::io;

use crate::json::Value;
use crate::socketio::AckError;
use crate::websocket::client::ConnectError;

/// Why the client could not open a session, or join a namespace on it.
#[derive(Debug)]
pub enum DialError {
    /// The URL is not `http://host[:port][/namespace]` (or `ws://…`).
    BadUrl(String),
    /// TCP failed: refused, reset, or no answer within the timeout.
    Io(io::Error),
    /// The server's HTTP answer was not one we can use (status, framing, size).
    BadHttp(String),
    /// The WebSocket handshake failed.
    WebSocket(ConnectError),
    /// The server spoke, but not Engine.IO v4 (a bad open packet, an unknown packet type).
    Protocol(String),
    /// The server refused the namespace (Socket.IO v5 CONNECT_ERROR): its data,
    /// `{"message":…,"data":…}` as the middleware gave them.
    Refused(Value),
    /// No answer to the namespace's CONNECT within the timeout.
    Timeout,
    /// The client was closed.
    Closed,
}

impl fmt::Display for DialError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DialError::BadUrl(url) => write!(f, "not an http:// or ws:// URL: {url:?}"),
            DialError::Io(e) => write!(f, "connection failed: {e}"),
            DialError::BadHttp(why) => write!(f, "the server's HTTP answer is unusable: {why}"),
            DialError::WebSocket(e) => write!(f, "WebSocket: {e}"),
            DialError::Protocol(why) => write!(f, "the server broke Engine.IO v4: {why}"),
            DialError::Refused(data) => write!(f, "the server refused the namespace: {data}"),
            DialError::Timeout => write!(f, "no answer to CONNECT within the timeout"),
            DialError::Closed => write!(f, "the client is closed"),
        }
    }
}

impl std::error::Error for DialError {}

impl From<io::Error> for DialError {
    fn from(e: io::Error) -> DialError {
        DialError::Io(e)
    }
}

/// Why an emit failed. Not being connected is not one of them: an emit made while
/// disconnected waits in the buffer and goes out on reconnection, as in the official client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmitError {
    /// `connect`, `connect_error`, `disconnect`, `disconnecting`, `newListener` and
    /// `removeListener` are reserved (Socket.IO v5 "Packet format": a server refuses them).
    ReservedName(String),
    /// The namespace was disconnected by us or by the server, or the client closed: the
    /// packet would never be sent.
    Closed,
    /// The acknowledgement did not come: too late, or the connection went first.
    Ack(AckError),
    /// A blocking [`emit_with_ack`](super::Channel::emit_with_ack) on the reader thread
    /// (a handler under [`HandlerThread::Reader`](super::HandlerThread::Reader)): the
    /// answer could only be read by the thread it would block. Nothing was sent.
    BlocksReader,
}

impl fmt::Display for EmitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EmitError::ReservedName(name) => write!(f, "{name:?} is a reserved event name"),
            EmitError::Closed => write!(f, "the namespace is closed; nothing more can be sent"),
            EmitError::Ack(e) => write!(f, "no acknowledgement: {e}"),
            EmitError::BlocksReader => write!(
                f,
                "emit_with_ack would block the reader thread that must read its answer; \
                 use emit_with_ack_then in a handler that runs on the reader"
            ),
        }
    }
}

impl std::error::Error for EmitError {}

/// Why a namespace was disconnected, in the official client's words (the `reason` of its
/// `disconnect` event). The server's [`DisconnectReason`](crate::socketio::DisconnectReason)
/// is the other side's view and has other words; this one is what a client can know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DisconnectCause {
    /// The server sent DISCONNECT (`socket.disconnect()` there): no reconnection.
    IoServerDisconnect,
    /// We called [`Channel::disconnect`](super::Channel::disconnect) or closed the client.
    IoClientDisconnect,
    /// Nothing arrived within pingInterval + pingTimeout (Engine.IO v4 "Heartbeat").
    PingTimeout,
    /// The connection was closed (the server went away, or sent an Engine.IO close).
    TransportClose,
    /// The connection failed: a reset, a broken frame, an HTTP error.
    TransportError(String),
    /// The server sent a packet we could not decode.
    ParseError(String),
}

impl DisconnectCause {
    /// The official client's string for it (`"ping timeout"`, `"transport close"`, …).
    pub fn as_str(&self) -> &'static str {
        match self {
            DisconnectCause::IoServerDisconnect => "io server disconnect",
            DisconnectCause::IoClientDisconnect => "io client disconnect",
            DisconnectCause::PingTimeout => "ping timeout",
            DisconnectCause::TransportClose => "transport close",
            DisconnectCause::TransportError(_) => "transport error",
            DisconnectCause::ParseError(_) => "parse error",
        }
    }

    /// Whether the client reconnects by itself after it: all but a disconnection somebody
    /// asked for (the official client's `active` flag stays up only for those).
    pub fn reconnects(&self) -> bool {
        !matches!(
            self,
            DisconnectCause::IoServerDisconnect | DisconnectCause::IoClientDisconnect
        )
    }
}

impl fmt::Display for DisconnectCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DisconnectCause::TransportError(why) | DisconnectCause::ParseError(why) => {
                write!(f, "{}: {why}", self.as_str())
            }
            _ => f.write_str(self.as_str()),
        }
    }
}
