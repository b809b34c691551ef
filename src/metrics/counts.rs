//! Every counter the server keeps, in one `static`, and where each is bumped.
//!
//! Process-wide, as the Prometheus client libraries' default registry is: the layers bump
//! [`COUNTS`] without a handle passed down to them, and a process runs one server. Two
//! servers in one process (tests do that) share these counters; what can be read from a
//! server's own state at scrape time — connections, sessions, sockets, rooms, backlog — is
//! per server (`endpoint.rs`).
//!
//! Each field says where it is counted. The hot ones (a message in, a frame out) are a
//! relaxed `fetch_add` on the thread that already does the work: no lock, no allocation,
//! no extra system call.

use super::counter::{Counter, Gauge};
use super::histogram::Histogram;

/// The counters. Read them through [`Metrics`](super::Metrics); the layers write them.
#[derive(Debug)]
pub struct Counts {
    /// TCP connections admitted under the cap (`http/server.rs`, `admit`), counted just
    /// before their thread starts; the rare one the OS then gives no thread is also counted
    /// as [`Refusal::NoThread`].
    pub connections_accepted: Counter,
    /// Requests and connections refused, by [`Refusal`] (the one place each layer picks its
    /// refusal's status: `server.rs` `admit`, `connection.rs` `ReadError::response`,
    /// `HandshakeError::response`, `EngineError::response`).
    pub refused: [Counter; Refusal::ALL.len()],
    /// Engine.IO sessions opened on long-polling (`Engine::try_register`).
    pub sessions_opened_polling: Counter,
    /// Engine.IO sessions opened directly on a WebSocket (`Engine::try_register`).
    pub sessions_opened_websocket: Counter,
    /// Polling sessions upgraded to WebSocket (`engineio::Session::switch_to_websocket`).
    pub upgrades: Counter,
    /// WebSocket data messages read, whole (`websocket/connection.rs`, `finish`).
    pub websocket_messages_received: Counter,
    /// Their payload bytes.
    pub websocket_bytes_received: Counter,
    /// WebSocket data frames queued to send (`websocket/outbox.rs`, `push`).
    pub websocket_messages_sent: Counter,
    /// Their payload bytes.
    pub websocket_bytes_sent: Counter,
    /// Engine.IO packets in POST bodies (`engineio/polling.rs`, `deliver_payload`).
    pub polling_messages_received: Counter,
    /// The bytes of those bodies.
    pub polling_bytes_received: Counter,
    /// Engine.IO packets in answers to GETs (`engineio/polling.rs`, `poll`).
    pub polling_messages_sent: Counter,
    /// The bytes of those answers' bodies.
    pub polling_bytes_sent: Counter,
    /// Socket.IO broadcasts, with and without acks (`socketio/broadcast.rs`).
    pub broadcasts: Counter,
    /// Sockets of this node that a broadcast was handed to (`socketio/broadcast.rs`).
    pub deliveries: Counter,
    /// From choosing a broadcast's targets to the last local hand-off (`socketio/broadcast.rs`).
    pub fanout: Histogram,
    /// Acknowledgements the server asked for and still waits for (`socketio/ack.rs`,
    /// `PendingAcks`: up on `register`, down on `take`, `take_all` and drop).
    pub acks_pending: Gauge,
    /// Acknowledgements that did not come in time (`socketio/socket.rs`, `send_awaiting_ack`).
    pub acks_timed_out: Counter,
    /// Clients dropped because their unsent backlog passed `max_backlog`
    /// (`websocket/outbox.rs`, `send`: rule 3).
    pub slow_clients_backlog: Counter,
    /// Clients dropped because they read nothing for `stall_timeout` while the connection's
    /// own thread waited to write (`websocket/outbox.rs`, rule 4).
    pub slow_clients_stalled: Counter,
}

/// The process's counters.
pub static COUNTS: Counts = Counts {
    connections_accepted: Counter::new(),
    refused: [Counter::ZERO; Refusal::ALL.len()],
    sessions_opened_polling: Counter::new(),
    sessions_opened_websocket: Counter::new(),
    upgrades: Counter::new(),
    websocket_messages_received: Counter::new(),
    websocket_bytes_received: Counter::new(),
    websocket_messages_sent: Counter::new(),
    websocket_bytes_sent: Counter::new(),
    polling_messages_received: Counter::new(),
    polling_bytes_received: Counter::new(),
    polling_messages_sent: Counter::new(),
    polling_bytes_sent: Counter::new(),
    broadcasts: Counter::new(),
    deliveries: Counter::new(),
    fanout: Histogram::new(),
    acks_pending: Gauge::new(),
    acks_timed_out: Counter::new(),
    slow_clients_backlog: Counter::new(),
    slow_clients_stalled: Counter::new(),
};

/// Why a request or a connection was turned away: the `reason` label of
/// `threadio_refused_total`. One variant per distinct cause an operator would act on
/// differently (raise a cap, find a broken client, look for an attack).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// 503 at accept: `max_connections` are open.
    ConnectionCap,
    /// 503 at accept: the OS would not start another thread.
    NoThread,
    /// 400: the request broke HTTP/1.1's grammar (a malformed head, `Host`, a length).
    BadRequest,
    /// 414: the request line is over the limit.
    UriTooLong,
    /// 431: the head is over the byte or field limit.
    HeadersTooLarge,
    /// 413: the body is over `max_body`.
    BodyTooLarge,
    /// 413 with `Retry-After`: the memory budget every connection shares is spent.
    MemoryBudget,
    /// 408: the head or body did not arrive in time.
    RequestTimeout,
    /// 505: an HTTP version other than 1.0 and 1.1.
    HttpVersion,
    /// 501: a transfer coding we do not implement.
    TransferCoding,
    /// 400 or 426: a WebSocket handshake that breaks RFC 6455 §4.
    WebSocketHandshake,
    /// 403: a WebSocket handshake from an origin not on the allow-list (§10.2).
    WebSocketOrigin,
    /// 503: an Engine.IO handshake past `max_sessions`.
    SessionCap,
    /// 400: an Engine.IO request naming no live session.
    UnknownSession,
    /// 403: refused by `EngineConfig::allow_request`.
    Forbidden,
    /// 400: any other Engine.IO error (transport, protocol version, method, overlapping GETs;
    /// and a held GET whose client left before its answer, which `polling.rs` answers the
    /// same way although nobody reads it).
    EngineBadRequest,
}

impl Refusal {
    /// Every reason, in the order they are exposed.
    pub const ALL: [Refusal; 16] = [
        Refusal::ConnectionCap,
        Refusal::NoThread,
        Refusal::BadRequest,
        Refusal::UriTooLong,
        Refusal::HeadersTooLarge,
        Refusal::BodyTooLarge,
        Refusal::MemoryBudget,
        Refusal::RequestTimeout,
        Refusal::HttpVersion,
        Refusal::TransferCoding,
        Refusal::WebSocketHandshake,
        Refusal::WebSocketOrigin,
        Refusal::SessionCap,
        Refusal::UnknownSession,
        Refusal::Forbidden,
        Refusal::EngineBadRequest,
    ];

    /// The `reason` label's value: snake case, as Prometheus label values usually are.
    pub fn label(self) -> &'static str {
        match self {
            Refusal::ConnectionCap => "connection_cap",
            Refusal::NoThread => "no_thread",
            Refusal::BadRequest => "bad_request",
            Refusal::UriTooLong => "uri_too_long",
            Refusal::HeadersTooLarge => "headers_too_large",
            Refusal::BodyTooLarge => "body_too_large",
            Refusal::MemoryBudget => "memory_budget",
            Refusal::RequestTimeout => "request_timeout",
            Refusal::HttpVersion => "http_version",
            Refusal::TransferCoding => "transfer_coding",
            Refusal::WebSocketHandshake => "websocket_handshake",
            Refusal::WebSocketOrigin => "websocket_origin",
            Refusal::SessionCap => "session_cap",
            Refusal::UnknownSession => "unknown_session",
            Refusal::Forbidden => "forbidden",
            Refusal::EngineBadRequest => "engineio_bad_request",
        }
    }

    /// Counts one refusal for this reason.
    pub fn count(self) {
        COUNTS.refused[self as usize].inc();
    }

    /// How many refusals for this reason so far.
    pub fn total(self) -> u64 {
        COUNTS.refused[self as usize].get()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_lists_each_reason_at_its_own_index() {
        // `count` indexes by discriminant: `ALL` must be in declaration order.
        for (i, refusal) in Refusal::ALL.iter().enumerate() {
            assert_eq!(*refusal as usize, i, "{refusal:?}");
        }
    }
}
