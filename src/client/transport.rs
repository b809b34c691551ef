//! The Engine.IO session from the client's side: opening it over long-polling or a
//! WebSocket, the upgrade probe, and the two halves every transport has — an `Inbound`
//! the reader thread waits on and an `Outbound` any thread may write through
//! (Engine.IO v4 "Transports", "Handshake", "Upgrade").
//!
//! ```text
//!  polling then upgrade (the default, as the official client):
//!    GET  /socket.io/?EIO=4&transport=polling            ← 0{"sid":…,"upgrades":["websocket"],…}
//!    WS   /socket.io/?EIO=4&transport=websocket&sid=…    → 2probe  ← 3probe  → 5
//!  websocket only:
//!    WS   /socket.io/?EIO=4&transport=websocket          ← 0{"sid":…}
//!  polling only: the GET above, then GET (held) and POST (writes) with &sid=…
//! ```
//!
//! One difference from the official client, on purpose: it probes while polling carries
//! traffic, and must then drain polling ("pause") before it sends `5`. We probe right after
//! the handshake, before the writer thread exists and before any GET is held, so there is
//! nothing to pause: the probe costs one round trip before the first Socket.IO packet, and
//! the state machine stays one straight line. If the probe fails, the session stays on
//! polling, as in the official client.

use std::sync::Arc;
use std::time::Duration;

use super::error::{DialError, DisconnectCause};
use super::http_client::{dial, PollConnection};
use super::polling::{decode_body, PollingReader, PostQueue};
use crate::engineio::packet::Packet as EnginePacket;
use crate::json::Value;
use crate::websocket::client::handshake_over;
use crate::websocket::{Message, WebSocket, WebSocketConfig, WsError};

/// Which transports the client may use (the official client's `transports` option).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transports {
    /// Open over long-polling, then upgrade to a WebSocket: `["polling", "websocket"]`,
    /// the official default, which gets through proxies that refuse WebSockets.
    PollingThenWebSocket,
    /// `["websocket"]`: one connection, no upgrade.
    WebSocketOnly,
    /// `["polling"]`: HTTP requests only.
    PollingOnly,
}

/// Where the Engine.IO session lives and how to ask for it.
#[derive(Debug, Clone)]
pub(crate) struct EngineTarget {
    /// `host:port`.
    pub(crate) authority: String,
    /// The Engine.IO path, `/socket.io/` by default.
    pub(crate) path: String,
    /// The user's query pairs, sent on every request (the official client's `query`).
    pub(crate) query: Vec<(String, String)>,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) transports: Transports,
    pub(crate) connect_timeout: Duration,
    /// The largest message we accept from the server.
    pub(crate) max_message: usize,
}

/// The server's open packet (Engine.IO v4 "Handshake").
#[derive(Debug, Clone)]
pub(crate) struct OpenPacket {
    pub(crate) sid: String,
    pub(crate) upgrades: Vec<String>,
    pub(crate) ping_interval: Duration,
    pub(crate) ping_timeout: Duration,
    /// The most bytes the server takes in one POST body (`maxPayload`, 1 MB in Node and
    /// here when the server does not say).
    pub(crate) max_payload: usize,
}

impl OpenPacket {
    /// Reads the JSON of `0{…}`; the four fields we use must be there.
    fn parse(data: &str) -> Result<OpenPacket, DialError> {
        let bad = |why: &str| DialError::Protocol(format!("open packet {data:?}: {why}"));
        let value = Value::parse(data).map_err(|e| bad(&e.to_string()))?;
        let millis = |key: &str| {
            value[key]
                .as_i64()
                .filter(|ms| *ms >= 0)
                .map(|ms| Duration::from_millis(ms as u64))
                .ok_or_else(|| bad(&format!("no {key}")))
        };
        Ok(OpenPacket {
            sid: value["sid"]
                .as_str()
                .ok_or_else(|| bad("no sid"))?
                .to_owned(),
            upgrades: value["upgrades"]
                .as_array()
                .map(|list| {
                    list.iter()
                        .filter_map(|u| u.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default(),
            ping_interval: millis("pingInterval")?,
            ping_timeout: millis("pingTimeout")?,
            max_payload: value["maxPayload"]
                .as_i64()
                .filter(|bytes| *bytes > 0)
                .map_or(1_000_000, |bytes| bytes as usize),
        })
    }

    /// How long the server may stay silent before we call it gone: it pings every
    /// pingInterval and gives us pingTimeout to answer, so a live server is never quieter
    /// than their sum (Engine.IO v4 "Heartbeat"; the official client's `pingTimeoutTimer`).
    pub(crate) fn silence_limit(&self) -> Duration {
        self.ping_interval + self.ping_timeout
    }
}

impl EngineTarget {
    /// The request target for `transport`, with the session's `sid` once there is one.
    pub(crate) fn request_target(&self, transport: &str, sid: Option<&str>) -> String {
        let mut target = format!("{}?EIO=4&transport={transport}", self.path);
        if let Some(sid) = sid {
            target.push_str("&sid=");
            target.push_str(&percent_encode(sid));
        }
        for (name, value) in &self.query {
            target.push('&');
            target.push_str(&percent_encode(name));
            target.push('=');
            target.push_str(&percent_encode(value));
        }
        target
    }

    fn websocket_config(&self) -> WebSocketConfig {
        WebSocketConfig {
            max_frame_size: self.max_message,
            max_message_size: self.max_message,
            // A client may send large messages of its own; the bound on what is unsent is
            // there to drop slow readers, which is the server's worry, not ours.
            max_backlog: self.max_message.saturating_mul(4),
            write_timeout: Duration::from_secs(1),
            stall_timeout: self.connect_timeout,
            // Engine.IO has its own heartbeat; WebSocket pings would be a second one.
            keepalive: None,
            ..WebSocketConfig::default()
        }
    }

    fn open_websocket(&self, sid: Option<&str>) -> Result<WebSocket, DialError> {
        let stream = dial(&self.authority, self.connect_timeout)?;
        stream.set_read_timeout(Some(self.connect_timeout))?;
        let target = self.request_target("websocket", sid);
        let config = self.websocket_config();
        handshake_over(stream, &self.authority, &target, &self.headers, &config)
            .map_err(DialError::WebSocket)
    }
}

/// RFC 3986 §2.1 percent-encoding of everything but the unreserved characters, for query
/// names and values.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// A session just opened: where to read, where to write, and what the server said.
pub(crate) struct OpenSession {
    pub(crate) inbound: Inbound,
    pub(crate) outbound: Outbound,
    pub(crate) open: OpenPacket,
    /// Packets that came in the same answer as the open packet.
    pub(crate) early: Vec<EnginePacket>,
}

/// Opens a session as `target.transports` says, upgrading when it may.
pub(crate) fn open_session(target: &EngineTarget) -> Result<OpenSession, DialError> {
    if target.transports == Transports::WebSocketOnly {
        return open_over_websocket(target);
    }
    let mut connection = PollConnection::new(&target.authority, target.connect_timeout);
    let body = connection.request(
        &target.request_target("polling", None),
        &target.headers,
        None,
        target.connect_timeout,
        target.max_message,
    )?;
    let mut packets = decode_body(&body)?.into_iter();
    let open = match packets.next() {
        Some(EnginePacket::Open(data)) => OpenPacket::parse(&data)?,
        other => {
            return Err(DialError::Protocol(format!(
                "expected an open packet, got {other:?}"
            )))
        }
    };
    let early: Vec<EnginePacket> = packets.collect();
    let may_upgrade = target.transports == Transports::PollingThenWebSocket
        && open.upgrades.iter().any(|u| u == "websocket");
    if may_upgrade {
        match probe(target, &open.sid) {
            Ok(socket) => {
                let outbound = Outbound::WebSocket(socket.sender());
                let inbound = Inbound::WebSocket(Box::new(socket));
                return Ok(OpenSession {
                    inbound,
                    outbound,
                    open,
                    early,
                });
            }
            Err(e) => crate::log!("client: the upgrade probe failed, staying on polling: {e}"),
        }
    }
    let queue = PostQueue::new(target.clone(), open.sid.clone(), open.max_payload);
    queue.watch(connection.take_new_stream());
    let inbound = Inbound::Polling(Box::new(PollingReader::new(
        connection,
        target.clone(),
        open.sid.clone(),
        Arc::clone(&queue),
    )));
    Ok(OpenSession {
        inbound,
        outbound: Outbound::Polling(queue),
        open,
        early,
    })
}

fn open_over_websocket(target: &EngineTarget) -> Result<OpenSession, DialError> {
    let mut socket = target.open_websocket(None)?;
    let open = match read_websocket(&mut socket, target.connect_timeout) {
        Ok(Some(EnginePacket::Open(data))) => OpenPacket::parse(&data)?,
        Ok(other) => {
            return Err(DialError::Protocol(format!(
                "expected an open packet, got {other:?}"
            )))
        }
        Err(cause) => {
            return Err(DialError::Protocol(format!(
                "before the open packet: {cause}"
            )))
        }
    };
    let outbound = Outbound::WebSocket(socket.sender());
    let inbound = Inbound::WebSocket(Box::new(socket));
    Ok(OpenSession {
        inbound,
        outbound,
        open,
        early: Vec::new(),
    })
}

/// Engine.IO v4 "Upgrade": a WebSocket for the same sid, `2probe` → `3probe`, then `5`.
fn probe(target: &EngineTarget, sid: &str) -> Result<WebSocket, DialError> {
    let mut socket = target.open_websocket(Some(sid))?;
    let send = |socket: &WebSocket, packet: EnginePacket| {
        let text = packet.encode_text().expect("probe packets are text");
        socket
            .send(text)
            .map_err(|e| DialError::Protocol(format!("probe: {e}")))
    };
    send(&socket, EnginePacket::Ping("probe".into()))?;
    match read_websocket(&mut socket, target.connect_timeout) {
        Ok(Some(EnginePacket::Pong(data))) if data == "probe" => {}
        other => return Err(DialError::Protocol(format!("probe answered {other:?}"))),
    }
    send(&socket, EnginePacket::Upgrade)?;
    Ok(socket)
}

/// The next packet on a WebSocket, `Ok(None)` if none began within `timeout`.
fn read_websocket(
    socket: &mut WebSocket,
    timeout: Duration,
) -> Result<Option<EnginePacket>, DisconnectCause> {
    match socket.recv_timeout(timeout) {
        Ok(Some(Message::Text(text))) => EnginePacket::decode_text(&text)
            .map(Some)
            .map_err(|e| DisconnectCause::ParseError(e.to_string())),
        Ok(Some(Message::Binary(bytes))) => Ok(Some(EnginePacket::decode_binary(bytes))),
        Ok(None) => Ok(None),
        Err(WsError::Closed { .. }) => Err(DisconnectCause::TransportClose),
        Err(e) => Err(DisconnectCause::TransportError(e.to_string())),
    }
}

/// Where the reader thread waits for the server's packets.
pub(crate) enum Inbound {
    WebSocket(Box<WebSocket>),
    Polling(Box<PollingReader>),
}

impl Inbound {
    /// The next packets from the server; an error if none came within `silence` (the
    /// heartbeat's limit) or the transport failed. Either way the session is over.
    pub(crate) fn next_packets(
        &mut self,
        silence: Duration,
    ) -> Result<Vec<EnginePacket>, DisconnectCause> {
        match self {
            Inbound::WebSocket(socket) => match read_websocket(socket, silence)? {
                Some(packet) => Ok(vec![packet]),
                None => Err(DisconnectCause::PingTimeout),
            },
            Inbound::Polling(reader) => reader.next_packets(silence),
        }
    }
}

/// Where any thread sends packets to the server. A binary packet's attachments must follow
/// it with nothing between them (Socket.IO v5 "Packet encoding"): on a WebSocket, frames
/// sent by two threads could interleave, so callers hold the manager's writer lock across
/// [`Outbound::send_frames`]; the polling queue takes all of them in one push, and needs
/// no lock of the caller's.
pub(crate) enum Outbound {
    /// The WebSocket's own writer, which any thread may use.
    WebSocket(crate::websocket::Sender),
    /// The queue whose packets go out as POSTs, sent by whoever emits (`polling.rs`).
    Polling(Arc<PostQueue>),
}

impl Outbound {
    /// Sends the packets as WebSocket frames, in order, under the caller's writer lock.
    /// `false` if the connection is gone.
    pub(crate) fn send_frames(
        sender: &crate::websocket::Sender,
        packets: Vec<EnginePacket>,
    ) -> bool {
        packets.into_iter().all(|packet| {
            let message = match packet {
                EnginePacket::BinaryMessage(bytes) => Message::Binary(bytes),
                text => Message::Text(text.encode_text().expect("not binary")),
            };
            sender.send(message).is_ok()
        })
    }

    /// Ends the session from our side: Engine.IO close (`1`), then the connections.
    pub(crate) fn close(&self) {
        match self {
            Outbound::WebSocket(sender) => {
                let _ = sender.send(Message::Text("1".into()));
                sender.close(crate::websocket::CloseCode::Normal, "");
            }
            Outbound::Polling(queue) => queue.close(),
        }
    }
}
