//! A small Socket.IO v5 client over Engine.IO v4's WebSocket transport, for the cluster tests:
//! the same client against Node's reference server and against threadio, so a test can put
//! either behind a node and assert the same things.
//!
//! It is written from the protocol documents, apart from both servers: tungstenite for the
//! WebSocket, serde_json for the JSON, and the packet format by hand (Socket.IO v5 "Packet
//! encoding": `<type>[<attachments>-][<nsp>,][<ack id>][<JSON>]`, inside an Engine.IO v4
//! message packet `4…`). One client is one Engine.IO session in one namespace. Binary
//! arguments are `{"$binary": "<hex>"}` on our side (as in tests/node/json_binary.js) and
//! placeholders plus binary frames on the wire (Socket.IO v5 "Binary attachments").
//!
//! Engine.IO pings (`2`) are answered with pongs (`3`) whenever the client reads. Every read
//! has a deadline, so a lost message fails a test rather than hangs it.

use std::collections::{HashMap, VecDeque};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tungstenite::client::IntoClientRequest;
use tungstenite::http::{HeaderName, HeaderValue};
use tungstenite::Message;

/// How long [`SioClient::expect_event`] and [`SioClient::call`] wait.
pub const WAIT: Duration = Duration::from_secs(10);

type Ws = tungstenite::WebSocket<TcpStream>;

/// An event from the server: its name, its arguments, and the ack id if it wants an answer
/// (give it with [`SioClient::ack`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub name: String,
    pub args: Vec<Value>,
    pub ack: Option<u64>,
}

/// A Socket.IO packet as read (Socket.IO v5 "Packet types": 0 CONNECT … 6 BINARY_ACK).
#[derive(Debug)]
struct Packet {
    kind: u8,
    nsp: String,
    id: Option<u64>,
    data: Value,
}

/// What reading the connection gave.
enum Incoming {
    Packet(Packet),
    /// The deadline passed first.
    Nothing,
    /// The Engine.IO session or the WebSocket ended.
    Closed,
}

/// One client socket, connected to one namespace.
pub struct SioClient {
    ws: Ws,
    nsp: String,
    id: String,
    /// Events read while the test waited for something else, in arrival order.
    events: VecDeque<Event>,
    /// Answers to our acks, by ack id, until the test takes them.
    acks: HashMap<u64, Vec<Value>>,
    next_ack_id: u64,
    connected: bool,
}

impl SioClient {
    /// Opens a session at `url` (`http://127.0.0.1:PORT`, the server's root) over WebSocket
    /// and connects to `nsp` with `auth` (`Value::Null` for none). Panics if the server
    /// refuses (a CONNECT_ERROR) or does not answer within [`WAIT`].
    pub fn connect(url: &str, nsp: &str, auth: Value) -> SioClient {
        SioClient::connect_with(url, nsp, auth, "", &[])
    }

    /// As [`SioClient::connect`], with more on the opening request: `query` (`"k=v&…"`, or
    /// `""`) after `EIO` and `transport`, and `headers`, for tests of what the server's
    /// `socket.handshake` keeps of them.
    pub fn connect_with(
        url: &str,
        nsp: &str,
        auth: Value,
        query: &str,
        headers: &[(&str, &str)],
    ) -> SioClient {
        let host = url
            .strip_prefix("http://")
            .unwrap_or_else(|| panic!("not an http:// URL: {url}"));
        let stream = TcpStream::connect(host).unwrap_or_else(|e| panic!("connect {host}: {e}"));
        stream
            .set_read_timeout(Some(WAIT))
            .expect("set a read timeout");
        let mut ws_url = format!("ws://{host}/socket.io/?EIO=4&transport=websocket");
        if !query.is_empty() {
            ws_url = format!("{ws_url}&{query}");
        }
        let mut request = ws_url.into_client_request().expect("a ws:// URL");
        for (name, value) in headers {
            let name = HeaderName::from_bytes(name.as_bytes()).expect("a header name");
            let value = HeaderValue::from_str(value).expect("a header value");
            request.headers_mut().append(name, value);
        }
        let (ws, _) = tungstenite::client(request, stream).expect("the WebSocket handshake");
        let mut client = SioClient {
            ws,
            nsp: nsp.to_string(),
            id: String::new(),
            events: VecDeque::new(),
            acks: HashMap::new(),
            next_ack_id: 0,
            connected: false,
        };
        match client.ws.read() {
            Ok(Message::Text(open)) if open.starts_with('0') => {}
            other => panic!("expected the Engine.IO open packet, got {other:?}"),
        }
        let auth = if auth.is_null() {
            String::new()
        } else {
            auth.to_string()
        };
        client.send_text(format!("40{}{auth}", client.nsp_prefix()));
        let deadline = Instant::now() + WAIT;
        loop {
            match client.read(deadline) {
                Incoming::Packet(Packet { kind: 0, data, .. }) => {
                    client.id = data["sid"].as_str().expect("a sid in CONNECT").to_string();
                    client.connected = true;
                    return client;
                }
                Incoming::Packet(Packet { kind: 4, data, .. }) => {
                    panic!("{url} refused the connection to {nsp}: {data}")
                }
                Incoming::Packet(other) => client.file(other),
                Incoming::Nothing | Incoming::Closed => {
                    panic!("{url} did not answer the CONNECT to {nsp}")
                }
            }
        }
    }

    /// The socket's id, as the server named it.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Whether the server has not disconnected this socket (as far as we have read).
    pub fn is_connected(&self) -> bool {
        self.connected
    }

    /// Sends an event (Socket.IO v5 EVENT, or BINARY_EVENT if an argument is binary).
    pub fn emit(&mut self, event: &str, args: Vec<Value>) {
        self.send_packet(2, None, event_data(event, args));
    }

    /// Sends an event that asks for an ack; returns the ack id, for [`SioClient::ack_answer`].
    pub fn emit_with_ack(&mut self, event: &str, args: Vec<Value>) -> u64 {
        let id = self.next_ack_id;
        self.next_ack_id += 1;
        self.send_packet(2, Some(id), event_data(event, args));
        id
    }

    /// Waits at most [`WAIT`] for the server's answer to ack `id`.
    pub fn ack_answer(&mut self, id: u64) -> Vec<Value> {
        let deadline = Instant::now() + WAIT;
        while !self.acks.contains_key(&id) {
            match self.read(deadline) {
                Incoming::Packet(packet) => self.file(packet),
                Incoming::Nothing => panic!("no answer to ack {id} within {WAIT:?}"),
                Incoming::Closed => panic!("the connection ended before ack {id} was answered"),
            }
        }
        self.acks.remove(&id).expect("checked by the loop")
    }

    /// Emits and waits for the ack: the server's answer.
    pub fn call(&mut self, event: &str, args: Vec<Value>) -> Vec<Value> {
        let id = self.emit_with_ack(event, args);
        self.ack_answer(id)
    }

    /// Answers the server's event that carried ack id `id` (Socket.IO v5 ACK / BINARY_ACK).
    pub fn ack(&mut self, id: u64, args: Vec<Value>) {
        self.send_packet(3, Some(id), Value::Array(args));
    }

    /// The next event from the server, waiting at most `timeout`; `None` if none came, or
    /// the socket was disconnected first.
    pub fn next_event(&mut self, timeout: Duration) -> Option<Event> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(event) = self.events.pop_front() {
                return Some(event);
            }
            match self.read(deadline) {
                Incoming::Packet(packet) => self.file(packet),
                Incoming::Nothing | Incoming::Closed => return None,
            }
        }
    }

    /// The next event, which must be called `name` and come within [`WAIT`].
    pub fn expect_event(&mut self, name: &str) -> Event {
        match self.next_event(WAIT) {
            Some(event) if event.name == name => event,
            Some(event) => panic!("expected {name:?}, got {event:?}"),
            None if self.connected => panic!("no {name:?} event within {WAIT:?}"),
            None => panic!("disconnected while waiting for {name:?}"),
        }
    }

    /// Waits at most `timeout` for the server to disconnect this socket (a DISCONNECT packet,
    /// or the session ending); events read meanwhile are kept. Returns whether it did.
    pub fn wait_disconnect(&mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while self.connected {
            match self.read(deadline) {
                Incoming::Packet(packet) => self.file(packet),
                Incoming::Nothing => return false,
                Incoming::Closed => self.connected = false,
            }
        }
        true
    }

    /// Files a packet read while waiting for something else.
    fn file(&mut self, packet: Packet) {
        match packet.kind {
            2 | 5 => {
                let mut data = match packet.data {
                    Value::Array(data) if !data.is_empty() => data,
                    other => panic!("an EVENT without a name: {other}"),
                };
                let name = match data.remove(0) {
                    Value::String(name) => name,
                    other => panic!("an event name that is not a string: {other}"),
                };
                let event = Event {
                    name,
                    args: data,
                    ack: packet.id,
                };
                self.events.push_back(event);
            }
            3 | 6 => {
                let id = packet.id.expect("an ACK carries its id");
                let args = match packet.data {
                    Value::Array(args) => args,
                    other => panic!("an ACK whose data is not an array: {other}"),
                };
                self.acks.insert(id, args);
            }
            1 => self.connected = false,
            other => panic!("unexpected packet type {other} after CONNECT: {packet:?}"),
        }
    }

    /// Reads until one Socket.IO packet of our namespace is whole (a binary one with all its
    /// attachments), the session ends, or `deadline` passes.
    fn read(&mut self, deadline: Instant) -> Incoming {
        let mut pending: Option<(Packet, usize, Vec<Vec<u8>>)> = None;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let timeout = left.max(Duration::from_millis(1));
            let _ = self.ws.get_mut().set_read_timeout(Some(timeout));
            let message = match self.ws.read() {
                Ok(message) => message,
                Err(tungstenite::Error::Io(e))
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    assert!(
                        pending.is_none(),
                        "a binary packet's attachments stopped coming"
                    );
                    return Incoming::Nothing;
                }
                Err(_) => return Incoming::Closed,
            };
            match message {
                Message::Text(text) => match text.as_str().split_at_checked(1) {
                    Some(("2", probe)) => self.send_text(format!("3{probe}")),
                    Some(("4", packet)) => {
                        let (packet, attachments) = decode_packet(packet);
                        if packet.nsp != self.nsp {
                            continue;
                        }
                        if attachments == 0 {
                            return Incoming::Packet(packet);
                        }
                        pending = Some((packet, attachments, Vec::new()));
                    }
                    Some(("1", _)) => return Incoming::Closed,
                    _ => {} // "6" noop, "3" pong
                },
                Message::Binary(bytes) => {
                    let (_, wanted, buffers) = pending
                        .as_mut()
                        .expect("a binary frame follows a BINARY_EVENT or BINARY_ACK");
                    buffers.push(bytes.to_vec());
                    if buffers.len() == *wanted {
                        let (mut packet, _, buffers) = pending.take().expect("checked above");
                        fill_placeholders(&mut packet.data, &buffers);
                        return Incoming::Packet(packet);
                    }
                }
                Message::Close(_) => return Incoming::Closed,
                _ => {} // WebSocket pings and pongs: tungstenite answers them
            }
        }
    }

    /// `"/chat,"` for a namespace other than the main one; nothing for "/".
    fn nsp_prefix(&self) -> String {
        if self.nsp == "/" {
            String::new()
        } else {
            format!("{},", self.nsp)
        }
    }

    /// Sends an EVENT (2) or ACK (3), as its binary form (5, 6) with attachments if `data`
    /// holds `{"$binary": …}` values.
    fn send_packet(&mut self, kind: u8, id: Option<u64>, mut data: Value) {
        let mut buffers = Vec::new();
        take_binaries(&mut data, &mut buffers);
        let head = if buffers.is_empty() {
            kind.to_string()
        } else {
            format!("{}{}-", kind + 3, buffers.len())
        };
        let id = id.map(|id| id.to_string()).unwrap_or_default();
        self.send_text(format!("4{head}{}{id}{data}", self.nsp_prefix()));
        for bytes in buffers {
            self.ws
                .send(Message::binary(bytes))
                .expect("send an attachment");
        }
    }

    fn send_text(&mut self, text: String) {
        self.ws
            .send(Message::text(text))
            .expect("send a text frame");
    }
}

/// `["event", ...args]`.
fn event_data(event: &str, args: Vec<Value>) -> Value {
    let mut data = vec![Value::String(event.to_string())];
    data.extend(args);
    Value::Array(data)
}

/// Reads a Socket.IO packet (the text after Engine.IO's `4`); returns it and how many binary
/// attachments follow.
fn decode_packet(text: &str) -> (Packet, usize) {
    let bad = || -> ! { panic!("not a Socket.IO packet: {text:?}") };
    let kind = match text.as_bytes().first() {
        Some(digit @ b'0'..=b'6') => digit - b'0',
        _ => bad(),
    };
    let mut rest = &text[1..];
    let mut attachments = 0;
    if kind == 5 || kind == 6 {
        let Some((count, after)) = rest.split_once('-') else {
            bad()
        };
        attachments = count.parse().unwrap_or_else(|_| bad());
        rest = after;
    }
    let mut nsp = "/".to_string();
    if rest.starts_with('/') {
        let (name, after) = rest.split_once(',').unwrap_or((rest, ""));
        nsp = name.to_string();
        rest = after;
    }
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let id = (digits > 0).then(|| rest[..digits].parse().unwrap_or_else(|_| bad()));
    rest = &rest[digits..];
    let data = if rest.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(rest).unwrap_or_else(|_| bad())
    };
    (
        Packet {
            kind,
            nsp,
            id,
            data,
        },
        attachments,
    )
}

/// Replaces each `{"$binary": hex}` in `value` with a placeholder, collecting the bytes.
fn take_binaries(value: &mut Value, buffers: &mut Vec<Vec<u8>>) {
    if let Some(hex) = value.get("$binary").and_then(Value::as_str) {
        if value.as_object().is_some_and(|fields| fields.len() == 1) {
            buffers.push(from_hex(hex));
            *value = json!({"_placeholder": true, "num": buffers.len() - 1});
            return;
        }
    }
    match value {
        Value::Array(items) => items.iter_mut().for_each(|v| take_binaries(v, buffers)),
        Value::Object(fields) => fields.values_mut().for_each(|v| take_binaries(v, buffers)),
        _ => {}
    }
}

/// Replaces each placeholder `{"_placeholder": true, "num": n}` with `{"$binary": hex}`.
fn fill_placeholders(value: &mut Value, buffers: &[Vec<u8>]) {
    if value["_placeholder"] == true {
        let num = value["num"].as_u64().expect("a placeholder's num") as usize;
        *value = binary(&buffers[num]);
        return;
    }
    match value {
        Value::Array(items) => items.iter_mut().for_each(|v| fill_placeholders(v, buffers)),
        Value::Object(fields) => fields
            .values_mut()
            .for_each(|v| fill_placeholders(v, buffers)),
        _ => {}
    }
}

/// `bytes` as the harness writes binary in JSON: `{"$binary": "<hex>"}`.
pub fn binary(bytes: &[u8]) -> Value {
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    json!({ "$binary": hex })
}

/// The bytes `{"$binary": hex}` names.
pub fn from_hex(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex digits"))
        .collect()
}
