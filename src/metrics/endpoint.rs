//! [`Metrics`]: the route that answers Prometheus's scrape, and what it says.
//!
//! Attach it next to `io.attach`:
//!
//! ```no_run
//! use threadio::http::{Router, Server, ServerConfig};
//! use threadio::metrics::Metrics;
//! use threadio::socketio::Io;
//!
//! let server = Server::bind("127.0.0.1:3000", ServerConfig::default()).unwrap();
//! let io = Io::new();
//! let mut app = Router::new();
//! io.attach(&mut app);
//! Metrics::new().with_server(&server).with_io(&io).attach(&mut app); // GET /metrics
//! server.serve(app).unwrap();
//! ```
//!
//! A scrape reads two kinds of numbers. The process's counters (`counts.rs`), kept as the
//! work happens. And gauges read from what the server holds anyway, at that moment: the
//! connection registry ([`Census`]), the Engine.IO session table, each namespace's members
//! and rooms. Reading those costs the scrape a pass over each table, once every few
//! seconds, instead of costing every connect, join and write an extra shared increment.
//!
//! The route is as public as the listener: anyone who can reach the port can read the
//! counts (no socket ids, no room names — only namespace names, which clients choose).
//! Bind to 127.0.0.1 as the demo does, or put it behind the proxy's access rules.

use crate::http::{Census, Response, Router, Server, Status};
use crate::socketio::Io;

use super::counts::{Refusal, COUNTS};
use super::exposition::{Exposition, MetricKind, CONTENT_TYPE};

/// What `/metrics` reports: the process's counters, plus a server's connections and an
/// [`Io`]'s sessions, sockets and rooms when given. Clone it freely.
#[derive(Clone, Default)]
pub struct Metrics {
    census: Option<Census>,
    io: Option<Io>,
}

impl Metrics {
    /// The process's counters only; add a server and an `Io` for their gauges.
    pub fn new() -> Metrics {
        Metrics::default()
    }

    /// Reports `server`'s connections: open, WebSockets among them, the cap, and the
    /// bytes still queued for them. Call it before `serve`, which takes the server.
    pub fn with_server(mut self, server: &Server) -> Metrics {
        self.census = Some(server.census());
        self
    }

    /// Reports `io`'s Engine.IO sessions by transport, and its sockets and rooms by
    /// namespace.
    pub fn with_io(mut self, io: &Io) -> Metrics {
        self.io = Some(io.clone());
        self
    }

    /// Mounts `GET /metrics` (and so HEAD) on `router`.
    pub fn attach(self, router: &mut Router) {
        self.attach_at(router, "/metrics");
    }

    /// Mounts the route at another path.
    ///
    /// # Panics
    /// If `path` does not start with `/`.
    pub fn attach_at(self, router: &mut Router, path: &str) {
        router.get(path, move |_request| self.response());
    }

    /// The scrape's answer: `200` with the text format 0.0.4.
    pub fn response(&self) -> Response {
        Response::bytes(Status::OK, CONTENT_TYPE, self.render().into_bytes())
    }

    /// Everything, in the text format.
    pub fn render(&self) -> String {
        let mut out = Exposition::new();
        if let Some(census) = &self.census {
            connections(&mut out, census);
        }
        traffic(&mut out);
        if let Some(io) = &self.io {
            engineio_sessions(&mut out, io);
            socketio_members(&mut out, io);
        }
        broadcasts_and_acks(&mut out);
        out.into_text()
    }
}

/// The HTTP layer: connections now and ever, the cap, the backlog, and refusals.
fn connections(out: &mut Exposition, census: &Census) {
    let now = census.count();
    out.family(
        "threadio_connections",
        MetricKind::Gauge,
        "TCP connections open now, by what they carry: http (requests, long-polling) or websocket.",
    );
    let http = now.open.saturating_sub(now.websockets);
    out.sample("threadio_connections", &[("kind", "http")], http);
    out.sample(
        "threadio_connections",
        &[("kind", "websocket")],
        now.websockets,
    );
    out.family(
        "threadio_connections_max",
        MetricKind::Gauge,
        "The cap on open connections (max_connections, lowered to what the process can hold); past it, connections are refused with 503.",
    );
    out.sample("threadio_connections_max", &[], now.max_connections);
    out.family(
        "threadio_websocket_backlog_bytes",
        MetricKind::Gauge,
        "Bytes queued for WebSocket clients and not yet written, all connections together.",
    );
    out.sample("threadio_websocket_backlog_bytes", &[], now.backlog_bytes);
}

/// Connections accepted, refusals, messages and bytes, upgrades, slow clients.
fn traffic(out: &mut Exposition) {
    counter(
        out,
        "threadio_connections_accepted_total",
        "TCP connections accepted under the cap.",
        COUNTS.connections_accepted.get(),
    );
    out.family(
        "threadio_refused_total",
        MetricKind::Counter,
        "Requests and connections refused, by reason (the cap, a malformed request, an unknown session...).",
    );
    for refusal in Refusal::ALL {
        let labels = [("reason", refusal.label())];
        out.sample("threadio_refused_total", &labels, refusal.total());
    }
    let by_transport = [
        (
            "threadio_messages_received_total",
            "Messages received: WebSocket data messages, and Engine.IO packets in polling POST bodies.",
            COUNTS.websocket_messages_received.get(),
            COUNTS.polling_messages_received.get(),
        ),
        (
            "threadio_received_bytes_total",
            "Bytes received in those messages: WebSocket payloads, and polling POST bodies.",
            COUNTS.websocket_bytes_received.get(),
            COUNTS.polling_bytes_received.get(),
        ),
        (
            "threadio_messages_sent_total",
            "Messages sent: WebSocket data frames queued, and Engine.IO packets in polling GET answers.",
            COUNTS.websocket_messages_sent.get(),
            COUNTS.polling_messages_sent.get(),
        ),
        (
            "threadio_sent_bytes_total",
            "Bytes sent in those messages: WebSocket payloads, and polling GET answer bodies.",
            COUNTS.websocket_bytes_sent.get(),
            COUNTS.polling_bytes_sent.get(),
        ),
    ];
    for (name, help, websocket, polling) in by_transport {
        out.family(name, MetricKind::Counter, help);
        out.sample(name, &[("transport", "polling")], polling);
        out.sample(name, &[("transport", "websocket")], websocket);
    }
    out.family(
        "threadio_slow_client_disconnects_total",
        MetricKind::Counter,
        "WebSocket clients dropped for not reading: backlog (unsent bytes past max_backlog) or stalled (nothing read for stall_timeout).",
    );
    let name = "threadio_slow_client_disconnects_total";
    out.sample(
        name,
        &[("reason", "backlog")],
        COUNTS.slow_clients_backlog.get(),
    );
    out.sample(
        name,
        &[("reason", "stalled")],
        COUNTS.slow_clients_stalled.get(),
    );
}

/// Engine.IO: sessions now by transport, opened ever, upgrades.
fn engineio_sessions(out: &mut Exposition, io: &Io) {
    let (polling, websocket) = io.sessions_by_transport();
    out.family(
        "threadio_engineio_sessions",
        MetricKind::Gauge,
        "Engine.IO sessions open now, by transport.",
    );
    out.sample(
        "threadio_engineio_sessions",
        &[("transport", "polling")],
        polling,
    );
    out.sample(
        "threadio_engineio_sessions",
        &[("transport", "websocket")],
        websocket,
    );
    let name = "threadio_engineio_sessions_opened_total";
    out.family(
        name,
        MetricKind::Counter,
        "Engine.IO sessions opened, by the transport they opened on.",
    );
    out.sample(
        name,
        &[("transport", "polling")],
        COUNTS.sessions_opened_polling.get(),
    );
    out.sample(
        name,
        &[("transport", "websocket")],
        COUNTS.sessions_opened_websocket.get(),
    );
    counter(
        out,
        "threadio_engineio_upgrades_total",
        "Engine.IO sessions upgraded from long-polling to WebSocket.",
        COUNTS.upgrades.get(),
    );
}

/// Socket.IO: sockets and rooms by namespace, read from each namespace's members.
fn socketio_members(out: &mut Exposition, io: &Io) {
    let namespaces: Vec<_> = io
        .namespace_names()
        .into_iter()
        .filter_map(|name| io.namespace(&name))
        .collect();
    out.family(
        "threadio_socketio_sockets",
        MetricKind::Gauge,
        "Socket.IO sockets connected now, by namespace.",
    );
    for namespace in &namespaces {
        let labels = [("namespace", namespace.name())];
        out.sample("threadio_socketio_sockets", &labels, namespace.len());
    }
    out.family(
        "threadio_socketio_rooms",
        MetricKind::Gauge,
        "Rooms with members now, by namespace; each socket's own room is not counted.",
    );
    for namespace in &namespaces {
        let labels = [("namespace", namespace.name())];
        out.sample("threadio_socketio_rooms", &labels, namespace.room_count());
    }
}

/// Broadcasts, their deliveries and fan-out time; acknowledgements.
fn broadcasts_and_acks(out: &mut Exposition) {
    counter(
        out,
        "threadio_socketio_broadcasts_total",
        "Socket.IO broadcasts emitted on this node (to all, to rooms, with or without acks).",
        COUNTS.broadcasts.get(),
    );
    counter(
        out,
        "threadio_socketio_broadcast_deliveries_total",
        "Sockets of this node that a broadcast was handed to.",
        COUNTS.deliveries.get(),
    );
    out.histogram(
        "threadio_socketio_broadcast_fanout_seconds",
        "Time from choosing a broadcast's targets to handing the last of them its bytes.",
        &COUNTS.fanout.snapshot(),
    );
    out.family(
        "threadio_socketio_acks_pending",
        MetricKind::Gauge,
        "Acknowledgements the server asked clients for and still waits for.",
    );
    out.sample(
        "threadio_socketio_acks_pending",
        &[],
        COUNTS.acks_pending.get(),
    );
    counter(
        out,
        "threadio_socketio_acks_timed_out_total",
        "Acknowledgements the server asked for that did not come within their timeout.",
        COUNTS.acks_timed_out.get(),
    );
}

/// A counter family of one unlabelled sample.
fn counter(out: &mut Exposition, name: &str, help: &str, value: u64) {
    out.family(name, MetricKind::Counter, help);
    out.sample(name, &[], value);
}
