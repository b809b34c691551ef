//! Socket.IO packets: type, attachments, namespace, ack id and JSON data (Socket.IO v5
//! "Packet encoding").
//!
//! Each Socket.IO packet rides in one Engine.IO message: the `2["hello",1]` below goes on the
//! wire as `42["hello",1]`. We see the text after that `4`, and do no I/O.
//!
//! ```text
//!  <type>[<attachments>-][<namespace>,][<ack id>][<JSON data>]
//!
//!  0/admin,{"token":"123"}               CONNECT to /admin, with an auth object
//!  2["hello",1]                          EVENT "hello" in "/" (omitted), one argument
//!  2/admin,456["project:delete",123]     EVENT in /admin, asking for acknowledgement 456
//!  3/admin,456[]                         ACK 456, no arguments
//!  51-["hello",{"_placeholder":true,"num":0}]   BINARY_EVENT: one attachment follows
//! ```
//!
//! Binary data does not go into the JSON: each byte string is swapped for a placeholder
//! `{"_placeholder":true,"num":N}` and sent after the text as its own Engine.IO binary
//! message. So decoding takes two steps: [`decode`] reads the text and, for a binary packet,
//! hands back a [`PartialPacket`] that [`PartialPacket::add_attachment`] completes. The
//! placeholders and that reassembly are `binary.rs`'s; this file is the text around them.
//!
//! Rules enforced, after the reference parser (socket.io-parser `lib/index.ts`
//! `decodeString` and `isPayloadValid`):
//! - the type is a digit 0–6; a binary type has a decimal attachment count and `-`, at most
//!   [`Limits::max_attachments`] (the reference's `maxAttachments`, default 10);
//! - a namespace starts with `/` and runs to the first `,` or the end of the text;
//! - the ack id is decimal and at most 2^53 − 1 (ours: see [`MAX_ACK_ID`]);
//! - the data is JSON nested at most [`Limits::max_depth`] deep (ours), and fits the type:
//!   CONNECT an object or nothing, DISCONNECT nothing, CONNECT_ERROR a string, an object or
//!   nothing, EVENT an array whose first element is a number or a name not in
//!   [`RESERVED_EVENTS`], ACK an array;
//! - in a binary packet, the placeholders stand for the announced attachments: the rules
//!   are listed in `binary.rs`.
//!
//! Where we are stricter than the reference, and why, is said at the rule: EVENT and ACK must
//! carry data and an ACK an id (the spec says so; the reference parser lets them through).

use std::fmt;
use std::fmt::Write as _;
use std::time::Duration;

use crate::json::{self, Map, ParseError, Value};

pub use super::binary::PartialPacket;
use super::binary::{check_placeholders, extract_attachments, has_binary};

/// Event names a peer may not use: they mean something to the libraries themselves
/// (socket.io-parser `RESERVED_EVENTS`; the reference parser refuses an EVENT named so).
pub const RESERVED_EVENTS: [&str; 6] = [
    "connect",        // the client's own "connected" event
    "connect_error",  // the client's own "connection refused" event
    "disconnect",     // both sides' "the socket is gone" event
    "disconnecting",  // the server's "about to leave its rooms" event
    "newListener",    // Node.js EventEmitter bookkeeping
    "removeListener", // Node.js EventEmitter bookkeeping
];

/// The largest ack id we accept: 2^53 − 1, JavaScript's `Number.MAX_SAFE_INTEGER`. The
/// reference client keeps ack ids as Numbers; past this one they round, and an answer could
/// not find its question.
pub const MAX_ACK_ID: u64 = (1 << 53) - 1;

/// What a packet is for: its first character on the wire (Socket.IO v5 "Exchange protocol").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PacketType {
    /// 0: the client joins a namespace; the server's answer carries the socket's id.
    Connect,
    /// 1: either side leaves a namespace.
    Disconnect,
    /// 2: a named event with arguments.
    Event,
    /// 3: the answer to an event that asked for one.
    Ack,
    /// 4: the server refuses a CONNECT.
    ConnectError,
    /// 5: an EVENT with binary attachments.
    BinaryEvent,
    /// 6: an ACK with binary attachments.
    BinaryAck,
}

impl PacketType {
    /// The type whose digit `c` is, if any.
    pub fn from_digit(c: char) -> Option<PacketType> {
        match c {
            '0' => Some(PacketType::Connect),
            '1' => Some(PacketType::Disconnect),
            '2' => Some(PacketType::Event),
            '3' => Some(PacketType::Ack),
            '4' => Some(PacketType::ConnectError),
            '5' => Some(PacketType::BinaryEvent),
            '6' => Some(PacketType::BinaryAck),
            _ => None,
        }
    }

    /// The digit written on the wire.
    pub fn digit(self) -> char {
        match self {
            PacketType::Connect => '0',
            PacketType::Disconnect => '1',
            PacketType::Event => '2',
            PacketType::Ack => '3',
            PacketType::ConnectError => '4',
            PacketType::BinaryEvent => '5',
            PacketType::BinaryAck => '6',
        }
    }

    /// Whether attachments follow this type (BINARY_EVENT, BINARY_ACK).
    pub fn is_binary(self) -> bool {
        matches!(self, PacketType::BinaryEvent | PacketType::BinaryAck)
    }
}

/// One Socket.IO packet, with its binary attachments back in place as [`Value::Binary`].
///
/// Build one to send with [`Packet::event`], [`Packet::ack`], [`Packet::connect`],
/// [`Packet::connect_error`] or [`Packet::disconnect`], and turn it into wire text with
/// [`Packet::encode`]; receive one from [`decode`].
#[derive(Debug, Clone, PartialEq)]
pub struct Packet {
    pub kind: PacketType,
    /// `/` when the wire text named none.
    pub namespace: String,
    /// The acknowledgement id: an EVENT asking for an answer, or the ACK giving it.
    pub id: Option<u64>,
    pub data: Option<Value>,
}

impl Packet {
    /// An EVENT: data `[name, ...args]`. A BINARY_EVENT if any argument holds bytes.
    pub fn event(namespace: &str, name: &str, args: Vec<Value>, id: Option<u64>) -> Packet {
        let mut items = Vec::with_capacity(1 + args.len());
        items.push(Value::from(name));
        items.extend(args);
        let data = Value::Array(items);
        let kind = if has_binary(&data) {
            PacketType::BinaryEvent
        } else {
            PacketType::Event
        };
        Packet::new(kind, namespace, id, Some(data))
    }

    /// The ACK for event `id`, with the answer's arguments. A BINARY_ACK if any holds bytes.
    pub fn ack(namespace: &str, id: u64, args: Vec<Value>) -> Packet {
        let data = Value::Array(args);
        let kind = if has_binary(&data) {
            PacketType::BinaryAck
        } else {
            PacketType::Ack
        };
        Packet::new(kind, namespace, Some(id), Some(data))
    }

    /// A CONNECT: from a client with its auth object, from the server with `{"sid":…}`.
    pub fn connect(namespace: &str, data: Option<Value>) -> Packet {
        Packet::new(PacketType::Connect, namespace, None, data)
    }

    /// A DISCONNECT from `namespace`; it carries nothing else.
    pub fn disconnect(namespace: &str) -> Packet {
        Packet::new(PacketType::Disconnect, namespace, None, None)
    }

    /// A CONNECT_ERROR: `{"message":…}`, plus `"data"` if given, as the reference server
    /// writes a middleware's error (Socket.IO v5 "Connection to a namespace").
    pub fn connect_error(namespace: &str, message: &str, data: Option<Value>) -> Packet {
        let mut body = Map::new();
        body.insert("message", message);
        if let Some(data) = data {
            body.insert("data", data);
        }
        Packet::new(
            PacketType::ConnectError,
            namespace,
            None,
            Some(Value::Object(body)),
        )
    }

    fn new(kind: PacketType, namespace: &str, id: Option<u64>, data: Option<Value>) -> Packet {
        Packet {
            kind,
            namespace: namespace.to_owned(),
            id,
            data,
        }
    }

    /// The wire text, and the attachments to send after it as binary messages, in order.
    ///
    /// In an EVENT or ACK, every [`Value::Binary`] becomes `{"_placeholder":true,"num":N}`,
    /// numbered depth-first in document order as the reference's `deconstructPacket` does, and
    /// the type follows the data: BINARY_EVENT or BINARY_ACK with the count (`51-…`) when there
    /// are attachments, EVENT or ACK when there are none, whichever `kind` says. Other types
    /// cannot carry attachments on the wire; bytes in them are written as JSON by the writer.
    ///
    /// The namespace is written only when it is not `/` (or empty, which also means `/`). It
    /// must start with `/` and hold no `,`, which ends it on the wire; namespaces that came
    /// from [`decode`] always do.
    pub fn encode(&self) -> (String, Vec<Vec<u8>>) {
        let (text, _, attachments) = self.encode_marking_id();
        (text, attachments)
    }

    /// As [`Packet::encode`], and also where the ack id starts in the text (or would, if
    /// the packet has none).
    fn encode_marking_id(&self) -> (String, usize, Vec<Vec<u8>>) {
        debug_assert!(
            (self.namespace.is_empty() || self.namespace.starts_with('/'))
                && !self.namespace.contains(','),
            "namespace {:?} cannot be written: it must start with '/' and hold no ','",
            self.namespace
        );
        let mut attachments = Vec::new();
        // Placeholders first: the header says how many attachments there are.
        let with_placeholders = match &self.data {
            Some(value) if carries_attachments(self.kind) && has_binary(value) => {
                Some(extract_attachments(value, &mut attachments))
            }
            _ => None,
        };
        let kind = wire_type(self.kind, !attachments.is_empty());
        let mut text = String::new();
        text.push(kind.digit());
        if kind.is_binary() {
            let _ = write!(text, "{}-", attachments.len());
        }
        if self.namespace != "/" && !self.namespace.is_empty() {
            text.push_str(&self.namespace);
            text.push(',');
        }
        let id_at = text.len();
        if let Some(id) = self.id {
            let _ = write!(text, "{id}");
        }
        // The JSON goes straight onto the header, not through a string of its own.
        if let Some(value) = with_placeholders.as_ref().or(self.data.as_ref()) {
            json::write(value, &mut text);
        }
        (text, id_at, attachments)
    }

    /// The packet encoded once for many recipients that each get their own ack id: a
    /// broadcast asking every client for an answer. The id goes between the header and the
    /// JSON (`2/chat,<id>["ask"]`), so the JSON is written once and each recipient's text is
    /// a copy with its id spliced in.
    pub(crate) fn encode_for_many_ids(&self) -> EncodedForIds {
        debug_assert!(self.id.is_none(), "the ids are given per recipient");
        let (text, id_at, attachments) = self.encode_marking_id();
        EncodedForIds {
            text,
            id_at,
            attachments,
        }
    }
}

/// A packet encoded without its ack id, for [`Packet::encode_for_many_ids`].
#[derive(Debug, Clone)]
pub(crate) struct EncodedForIds {
    text: String,
    /// Where the id goes in `text`.
    id_at: usize,
    attachments: Vec<Vec<u8>>,
}

impl EncodedForIds {
    /// The wire text with `id` in place, and the attachments, as [`Packet::encode`] gives them.
    pub(crate) fn with_id(&self, id: u64) -> (String, Vec<Vec<u8>>) {
        let (header, json) = self.text.split_at(self.id_at);
        let mut text = String::with_capacity(self.text.len() + 20);
        text.push_str(header);
        let _ = write!(text, "{id}");
        text.push_str(json);
        (text, self.attachments.clone())
    }
}

/// Whether packets of this type can carry attachments once encoded: events and acks.
fn carries_attachments(kind: PacketType) -> bool {
    matches!(
        kind,
        PacketType::Event | PacketType::BinaryEvent | PacketType::Ack | PacketType::BinaryAck
    )
}

/// The type written on the wire: the binary form of an event or ack exactly when it has
/// attachments, whatever the packet's `kind` says (the reference's `Encoder.encode`).
fn wire_type(kind: PacketType, has_attachments: bool) -> PacketType {
    match (kind, has_attachments) {
        (PacketType::Event | PacketType::BinaryEvent, false) => PacketType::Event,
        (PacketType::Event | PacketType::BinaryEvent, true) => PacketType::BinaryEvent,
        (PacketType::Ack | PacketType::BinaryAck, false) => PacketType::Ack,
        (PacketType::Ack | PacketType::BinaryAck, true) => PacketType::BinaryAck,
        (other, _) => other,
    }
}

/// How much a peer may ask of the decoder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Attachments one packet may announce. Each is held in memory until the packet is
    /// complete, so the count is the peer's lever on us; 10 is the default of the reference
    /// parser's `maxAttachments` option (its current `Decoder`; 4.2.4 had no limit).
    pub max_attachments: usize,
    /// Arrays and objects nested inside each other in the data. Our limit (the reference has
    /// none): real payloads are a few levels deep, and every level is a frame on the stack of
    /// each recursive walk over the value (the placeholder walks here, `Drop`, the writer).
    pub max_depth: usize,
    /// Bytes all the attachments of one packet may add up to. Each is held until the last
    /// one arrives, so without this a peer could park `max_attachments − 1` messages of
    /// `maxPayload` each on the session for as long as it lives. The default is Engine.IO's
    /// default `maxPayload` (1,000,000 bytes), the most one message may carry: one attachment
    /// as large as a message still fits, and a session holds at most about one message's
    /// worth of unfinished packet. The reference has no such limit (its `maxHttpBufferSize`
    /// bounds each message, not their sum). If you raise `EngineConfig::max_payload`,
    /// raise this with it.
    pub max_attachment_bytes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_attachments: 10,
            max_depth: 32,
            max_attachment_bytes: 1_000_000,
        }
    }
}

/// What [`decode`] made of a text packet.
#[derive(Debug, Clone, PartialEq)]
pub enum Decoded {
    /// The packet is whole: no attachments to wait for.
    Complete(Packet),
    /// A BINARY_EVENT or BINARY_ACK: the next [`PartialPacket::expected`] binary messages on
    /// this connection are its attachments.
    NeedsAttachments(PartialPacket),
}

/// Decodes one Socket.IO packet from the text of an Engine.IO message.
///
/// # Errors
/// Each [`PacketError`] variant names its rule; in order of the fields:
/// [`Empty`](PacketError::Empty), [`UnknownType`](PacketError::UnknownType),
/// [`BadAttachmentCount`](PacketError::BadAttachmentCount),
/// [`TooManyAttachments`](PacketError::TooManyAttachments), [`BadAckId`](PacketError::BadAckId),
/// [`InvalidJson`](PacketError::InvalidJson) (also for nesting past `max_depth`),
/// [`InvalidPayload`](PacketError::InvalidPayload),
/// [`ReservedEventName`](PacketError::ReservedEventName),
/// [`MissingAckId`](PacketError::MissingAckId), and for binary packets
/// [`BadPlaceholder`](PacketError::BadPlaceholder),
/// [`DuplicatePlaceholder`](PacketError::DuplicatePlaceholder),
/// [`UnusedAttachment`](PacketError::UnusedAttachment).
pub fn decode(text: &str, limits: &Limits) -> Result<Decoded, PacketError> {
    let mut chars = text.chars();
    let digit = chars.next().ok_or(PacketError::Empty)?;
    let kind = PacketType::from_digit(digit).ok_or(PacketError::UnknownType(digit))?;
    let mut rest = chars.as_str();
    let mut expected = 0;
    if kind.is_binary() {
        (expected, rest) = split_attachment_count(rest, limits.max_attachments)?;
    }
    let (namespace, rest) = split_namespace(rest);
    let (id, rest) = split_ack_id(rest)?;
    let data = match rest {
        "" => None,
        text => Some(json::parse_with_depth(text, limits.max_depth)?),
    };
    check_payload(kind, data.as_ref())?;
    if matches!(kind, PacketType::Ack | PacketType::BinaryAck) && id.is_none() {
        return Err(PacketError::MissingAckId);
    }
    let packet = Packet {
        kind,
        namespace: namespace.to_owned(),
        id,
        data,
    };
    if !kind.is_binary() {
        return Ok(Decoded::Complete(packet));
    }
    check_placeholders(packet.data.as_ref(), expected)?;
    if expected == 0 {
        // The reference emits a binary packet announcing 0 attachments at once (4.2.4
        // `Decoder.add`); no encoder writes one, but it is harmless.
        return Ok(Decoded::Complete(packet));
    }
    let partial = PartialPacket::new(packet, expected, limits.max_attachment_bytes);
    Ok(Decoded::NeedsAttachments(partial))
}

/// `<count>-` at the start of a binary packet: the count and what follows the `-`.
///
/// Only ASCII digits: the reference compares with JavaScript's `Number(…)`, which also lets
/// through `""`, `" 1"` or `"1e0"`, but no encoder writes those.
fn split_attachment_count(text: &str, max: usize) -> Result<(usize, &str), PacketError> {
    let (digits, rest) = text
        .split_once('-')
        .ok_or(PacketError::BadAttachmentCount)?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PacketError::BadAttachmentCount);
    }
    // Only digits, so parsing fails only on overflow: far too many, but no count to report.
    let count: usize = digits
        .parse()
        .map_err(|_| PacketError::BadAttachmentCount)?;
    if count > max {
        return Err(PacketError::TooManyAttachments { count, max });
    }
    Ok((count, rest))
}

/// `<namespace>,` if the text starts with `/`: the namespace runs to the first `,`, or to the
/// end of the text, as in the spec's own test suite (`41/custom`). Otherwise `/`.
fn split_namespace(text: &str) -> (&str, &str) {
    if !text.starts_with('/') {
        return ("/", text);
    }
    text.split_once(',').unwrap_or((text, ""))
}

/// The decimal ack id at the start of `text`, if any, and what follows it.
fn split_ack_id(text: &str) -> Result<(Option<u64>, &str), PacketError> {
    let end = text.bytes().take_while(u8::is_ascii_digit).count();
    if end == 0 {
        return Ok((None, text));
    }
    let (digits, rest) = text.split_at(end);
    match digits.parse::<u64>() {
        Ok(id) if id <= MAX_ACK_ID => Ok((Some(id), rest)),
        _ => Err(PacketError::BadAckId),
    }
}

/// The reference's `isPayloadValid`: what data each type may carry.
fn check_payload(kind: PacketType, data: Option<&Value>) -> Result<(), PacketError> {
    match (kind, data) {
        (PacketType::Connect, None | Some(Value::Object(_))) => Ok(()),
        (PacketType::Connect, Some(_)) => Err(PacketError::InvalidPayload(
            "CONNECT data must be an object",
        )),
        (PacketType::Disconnect, None) => Ok(()),
        (PacketType::Disconnect, Some(_)) => {
            Err(PacketError::InvalidPayload("DISCONNECT carries no data"))
        }
        (PacketType::ConnectError, None | Some(Value::String(_) | Value::Object(_))) => Ok(()),
        (PacketType::ConnectError, Some(_)) => Err(PacketError::InvalidPayload(
            "CONNECT_ERROR data must be a string or an object",
        )),
        (PacketType::Event | PacketType::BinaryEvent, Some(Value::Array(items))) => {
            check_event_name(items.first())
        }
        // Stricter than the reference parser, which checks data only when there is some:
        // Socket.IO v5 "Sending and receiving data" says "The payload is mandatory".
        (PacketType::Event | PacketType::BinaryEvent, _) => Err(PacketError::InvalidPayload(
            "EVENT data must be an array starting with the event name",
        )),
        (PacketType::Ack | PacketType::BinaryAck, Some(Value::Array(_))) => Ok(()),
        // Socket.IO v5 "Acknowledgement": "The payload is mandatory and MUST be an array".
        (PacketType::Ack | PacketType::BinaryAck, _) => {
            Err(PacketError::InvalidPayload("ACK data must be an array"))
        }
    }
}

/// An event's name is a string not in [`RESERVED_EVENTS`], or a number: the reference accepts
/// `typeof payload[0] === "number"` too (socket.io-parser 4.0.4, "allow integers as event
/// names").
fn check_event_name(first: Option<&Value>) -> Result<(), PacketError> {
    match first {
        Some(Value::String(name)) if RESERVED_EVENTS.contains(&name.as_str()) => {
            Err(PacketError::ReservedEventName(name.clone()))
        }
        Some(Value::String(_) | Value::Number(_)) => Ok(()),
        _ => Err(PacketError::InvalidPayload(
            "EVENT data must be an array starting with the event name",
        )),
    }
}

/// Why a Socket.IO packet was refused: each variant is a rule of Socket.IO v5, of the
/// reference parser, or one of our limits, that the peer broke. The reference server closes
/// the connection on any of them (its `Client.ondata` catches the decoder's throw).
#[derive(Debug, Clone, PartialEq)]
pub enum PacketError {
    /// "Packet encoding": a packet is at least its type digit.
    Empty,
    /// "Exchange protocol": the types are 0–6.
    UnknownType(char),
    /// "Packet encoding": a binary type is followed by a decimal count and `-`.
    BadAttachmentCount,
    /// Our limit (and the reference's `maxAttachments`): more attachments than we hold.
    TooManyAttachments { count: usize, max: usize },
    /// "Acknowledgement": the id is an integer; ours: at most [`MAX_ACK_ID`].
    BadAckId,
    /// "Acknowledgement": an ACK answers an event by its id, so it must carry one.
    MissingAckId,
    /// "Packet encoding": the data is JSON (RFC 8259), nested at most `max_depth` deep.
    InvalidJson(ParseError),
    /// The reference's `isPayloadValid`: this type cannot carry this data.
    InvalidPayload(&'static str),
    /// The reference's `RESERVED_EVENTS`: a peer may not emit this name.
    ReservedEventName(String),
    /// binary.ts `reconstructPacket`: a placeholder's `num` is not an attachment's index.
    BadPlaceholder { count: usize },
    /// Ours: two placeholders stand for the same attachment.
    DuplicatePlaceholder { num: usize },
    /// Ours: an announced attachment that no placeholder stands for.
    UnusedAttachment { num: usize },
    /// "Packet encoding": a binary message when no binary packet awaits attachments.
    UnexpectedAttachment,
    /// "Packet encoding": a text packet while a binary packet still awaits attachments.
    MissingAttachments { expected: usize, received: usize },
    /// Ours ([`Limits::max_attachment_bytes`]): the attachments of one packet would add up to
    /// `total` bytes, over `max`.
    AttachmentsTooLarge { total: usize, max: usize },
    /// Ours (`IoConfig::attachment_timeout`): only `received` of the `expected` attachments
    /// arrived within `timeout` of the packet's header.
    AttachmentTimeout {
        expected: usize,
        received: usize,
        timeout: Duration,
    },
}

impl From<ParseError> for PacketError {
    fn from(error: ParseError) -> PacketError {
        PacketError::InvalidJson(error)
    }
}

impl fmt::Display for PacketError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PacketError::Empty => write!(
                f,
                "empty Socket.IO packet; a packet is at least its type digit \
                 (Socket.IO v5 \"Packet encoding\")"
            ),
            PacketError::UnknownType(c) => write!(
                f,
                "Socket.IO packet starts with {c:?}, not a type digit 0-6 \
                 (Socket.IO v5 \"Exchange protocol\")"
            ),
            PacketError::BadAttachmentCount => write!(
                f,
                "binary Socket.IO packet lacks its decimal attachment count and '-' \
                 (Socket.IO v5 \"Packet encoding\")"
            ),
            PacketError::TooManyAttachments { count, max } => write!(
                f,
                "Socket.IO packet announces {count} attachments, over our limit of {max}"
            ),
            PacketError::BadAckId => write!(
                f,
                "Socket.IO ack id is over {MAX_ACK_ID}, the largest a JavaScript peer holds \
                 exactly (Socket.IO v5 \"Acknowledgement\")"
            ),
            PacketError::MissingAckId => write!(
                f,
                "Socket.IO ACK without an ack id; it cannot answer any event \
                 (Socket.IO v5 \"Acknowledgement\")"
            ),
            PacketError::InvalidJson(error) => write!(
                f,
                "Socket.IO packet data is not acceptable JSON: {error} \
                 (Socket.IO v5 \"Packet encoding\")"
            ),
            PacketError::InvalidPayload(rule) => write!(
                f,
                "Socket.IO packet data does not fit its type: {rule} \
                 (Socket.IO v5 \"Exchange protocol\")"
            ),
            PacketError::ReservedEventName(name) => write!(
                f,
                "Socket.IO EVENT uses the reserved name {name:?}, which peers may not emit"
            ),
            PacketError::BadPlaceholder { count } => write!(
                f,
                "Socket.IO placeholder's num is not an integer below the attachment count \
                 {count} (Socket.IO v5 \"Packet encoding\")"
            ),
            PacketError::DuplicatePlaceholder { num } => write!(
                f,
                "Socket.IO packet has two placeholders for attachment {num}; each stands for \
                 one attachment"
            ),
            PacketError::UnusedAttachment { num } => write!(
                f,
                "Socket.IO packet announces attachment {num} but no placeholder stands for it"
            ),
            PacketError::UnexpectedAttachment => write!(
                f,
                "binary message arrived when no Socket.IO packet awaited an attachment \
                 (Socket.IO v5 \"Packet encoding\")"
            ),
            PacketError::MissingAttachments { expected, received } => write!(
                f,
                "text packet arrived after {received} of {expected} attachments of a binary \
                 Socket.IO packet (Socket.IO v5 \"Packet encoding\")"
            ),
            PacketError::AttachmentsTooLarge { total, max } => write!(
                f,
                "attachments of one Socket.IO packet add up to {total} bytes, over our limit \
                 of {max}"
            ),
            PacketError::AttachmentTimeout {
                expected,
                received,
                timeout,
            } => write!(
                f,
                "only {received} of {expected} attachments of a binary Socket.IO packet \
                 arrived within {timeout:?} of its header"
            ),
        }
    }
}

impl std::error::Error for PacketError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PacketError::InvalidJson(error) => Some(error),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits::default()
    }

    /// Decodes a packet that needs no attachments.
    fn complete(text: &str) -> Packet {
        match decode(text, &limits()) {
            Ok(Decoded::Complete(packet)) => packet,
            other => panic!("{text:?} should decode complete, got {other:?}"),
        }
    }

    fn error(text: &str) -> PacketError {
        decode(text, &limits()).expect_err(text)
    }

    fn json(text: &str) -> Value {
        json::parse(text).expect(text)
    }

    // --- CONNECT and DISCONNECT (Socket.IO v5 "Connection to a namespace") -------------------

    #[test]
    fn connect_examples_from_the_v5_spec_decode_and_encode_back() {
        let cases = [
            ("0", Packet::connect("/", None)),
            ("0/admin,", Packet::connect("/admin", None)),
            (
                "0{\"token\":\"123\"}",
                Packet::connect("/", Some(json("{\"token\":\"123\"}"))),
            ),
            (
                "0/admin,{\"token\":\"123\"}",
                Packet::connect("/admin", Some(json("{\"token\":\"123\"}"))),
            ),
            (
                "0{\"sid\":\"wZX3oN0bSVIhsaknAAAI\"}",
                Packet::connect("/", Some(json("{\"sid\":\"wZX3oN0bSVIhsaknAAAI\"}"))),
            ),
        ];
        for (text, packet) in cases {
            assert_eq!(complete(text), packet, "decoding {text:?}");
            assert_eq!(
                packet.encode(),
                (text.to_owned(), vec![]),
                "encoding {packet:?}"
            );
        }
    }

    #[test]
    fn disconnect_examples_from_the_v5_spec_decode_and_encode_back() {
        for (text, namespace) in [("1", "/"), ("1/admin,", "/admin")] {
            assert_eq!(complete(text), Packet::disconnect(namespace));
            assert_eq!(Packet::disconnect(namespace).encode().0, text);
        }
    }

    #[test]
    fn namespace_without_comma_runs_to_the_end_like_the_spec_test_suite() {
        // socket.io-protocol test-suite: "40/custom" and "41/custom" (no trailing comma).
        assert_eq!(complete("0/custom"), Packet::connect("/custom", None));
        assert_eq!(complete("1/custom"), Packet::disconnect("/custom"));
    }

    #[test]
    fn connect_error_examples_encode_as_the_reference_server_writes_them() {
        let refused = Packet::connect_error("/", "Not authorized", None);
        assert_eq!(refused.encode().0, "4{\"message\":\"Not authorized\"}");
        assert_eq!(complete("4{\"message\":\"Not authorized\"}"), refused);
        // socket.io-protocol test-suite: an unknown namespace is refused with this packet.
        let unknown = Packet::connect_error("/random", "Invalid namespace", None);
        assert_eq!(
            unknown.encode().0,
            "4/random,{\"message\":\"Invalid namespace\"}"
        );
        let with_data = Packet::connect_error("/", "Bad", Some(json("{\"retry\":false}")));
        assert_eq!(
            with_data.encode().0,
            "4{\"message\":\"Bad\",\"data\":{\"retry\":false}}"
        );
    }

    #[test]
    fn connect_error_may_still_be_a_plain_string_like_the_reference_accepts() {
        let packet = complete("4\"Not authorized\"");
        assert_eq!(packet.data, Some(Value::from("Not authorized")));
    }

    // --- EVENT and ACK (Socket.IO v5 "Sending and receiving data", "Acknowledgement") -------

    #[test]
    fn event_hello_1_decodes_to_name_and_argument() {
        let packet = complete("2[\"hello\",1]");
        assert_eq!(
            packet,
            Packet::event("/", "hello", vec![Value::from(1)], None)
        );
        assert_eq!(packet.encode().0, "2[\"hello\",1]");
    }

    #[test]
    fn event_in_admin_with_ack_456_from_the_v5_spec() {
        let text = "2/admin,456[\"project:delete\",123]";
        let packet = complete(text);
        assert_eq!(
            (packet.kind, packet.namespace.as_str(), packet.id),
            (PacketType::Event, "/admin", Some(456))
        );
        assert_eq!(
            packet,
            Packet::event(
                "/admin",
                "project:delete",
                vec![Value::from(123)],
                Some(456)
            )
        );
        assert_eq!(packet.encode().0, text);
    }

    #[test]
    fn ack_456_in_admin_with_no_arguments_from_the_v5_spec() {
        let packet = complete("3/admin,456[]");
        assert_eq!(packet, Packet::ack("/admin", 456, vec![]));
        assert_eq!(packet.encode().0, "3/admin,456[]");
    }

    #[test]
    fn acknowledgement_table_of_the_v5_spec_round_trips() {
        for text in [
            "212[\"foo\"]",
            "312[]",
            "2/admin,13[\"foo\"]",
            "3/admin,13[\"bar\"]",
            "314[\"bar\"]",
        ] {
            assert_eq!(complete(text).encode().0, text);
        }
    }

    #[test]
    fn numeric_event_names_are_accepted_like_the_reference_parser() {
        assert_eq!(complete("2[1,\"x\"]").data, Some(json("[1,\"x\"]")));
    }

    // --- Binary headers: the type and count (placeholders are tested in binary.rs) ---------

    #[test]
    fn kind_on_the_wire_follows_the_data_not_the_field() {
        let mut plain = Packet::event("/", "x", vec![], None);
        plain.kind = PacketType::BinaryEvent;
        assert_eq!(plain.encode().0, "2[\"x\"]");
        let mut bytes = Packet::ack("/", 1, vec![Value::binary([9])]);
        bytes.kind = PacketType::Ack;
        assert_eq!(bytes.encode().0, "61-1[{\"_placeholder\":true,\"num\":0}]");
    }

    #[test]
    fn binary_packet_announcing_zero_attachments_completes_at_once_like_the_reference() {
        let packet = complete("50-[\"x\"]");
        assert_eq!(
            (packet.kind, packet.data),
            (PacketType::BinaryEvent, Some(json("[\"x\"]")))
        );
    }

    // --- Round trips ------------------------------------------------------------------------

    #[test]
    fn every_constructor_round_trips_through_encode_and_decode() {
        let packets = [
            Packet::connect("/", None),
            Packet::connect("/chat", Some(json("{\"token\":\"é\\u0000\"}"))),
            Packet::disconnect("/chat"),
            Packet::connect_error("/chat", "nope", Some(json("[1,2]"))),
            Packet::event(
                "/",
                "msg",
                vec![json("{\"deep\":[[[true]]]}"), Value::Null],
                Some(0),
            ),
            Packet::event(
                "/chat",
                "file",
                vec![Value::binary(vec![7; 300])],
                Some(MAX_ACK_ID),
            ),
            Packet::ack("/", 9, vec![]),
            Packet::ack("/chat", 10, vec![Value::binary([]), Value::from("ok")]),
        ];
        for packet in packets {
            let (text, attachments) = packet.encode();
            let decoded = match decode(&text, &limits()).unwrap() {
                Decoded::Complete(decoded) => decoded,
                Decoded::NeedsAttachments(mut partial) => {
                    let mut result = None;
                    for bytes in attachments {
                        result = partial.add_attachment(bytes).unwrap();
                    }
                    result.expect("all attachments given")
                }
            };
            assert_eq!(decoded, packet, "through {text:?}");
        }
    }

    // --- Errors, one rule each -----------------------------------------------------------------

    #[test]
    fn empty_text_is_refused() {
        assert_eq!(error(""), PacketError::Empty);
    }

    #[test]
    fn unknown_types_are_refused_like_the_spec_test_suite_4abc() {
        assert_eq!(error("abc"), PacketError::UnknownType('a'));
        assert_eq!(error("7[]"), PacketError::UnknownType('7'));
        assert_eq!(error("é"), PacketError::UnknownType('é'));
    }

    #[test]
    fn malformed_attachment_counts_are_refused() {
        for text in [
            "5",
            "5[\"x\"]",
            "5-[\"x\"]",
            "5x-[\"x\"]",
            "5+1-[\"x\"]",
            "5 1-[\"x\"]",
            "6-1-[]",
        ] {
            assert_eq!(error(text), PacketError::BadAttachmentCount, "{text:?}");
        }
        assert_eq!(
            error("599999999999999999999999-[\"x\"]"),
            PacketError::BadAttachmentCount
        );
    }

    #[test]
    fn more_attachments_than_the_limit_are_refused_before_any_arrive() {
        assert_eq!(
            error("511-[\"x\"]"),
            PacketError::TooManyAttachments { count: 11, max: 10 }
        );
        let one = Limits {
            max_attachments: 1,
            ..Limits::default()
        };
        let two = "52-[\"x\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]";
        assert_eq!(
            decode(two, &one),
            Err(PacketError::TooManyAttachments { count: 2, max: 1 })
        );
    }

    #[test]
    fn ack_ids_past_max_safe_integer_are_refused() {
        assert_eq!(complete("29007199254740991[\"x\"]").id, Some(MAX_ACK_ID));
        assert_eq!(error("29007199254740992[\"x\"]"), PacketError::BadAckId);
        assert_eq!(
            error("2/a,99999999999999999999999[\"x\"]"),
            PacketError::BadAckId
        );
    }

    #[test]
    fn an_ack_without_id_is_refused() {
        assert_eq!(error("3[]"), PacketError::MissingAckId);
        assert_eq!(error("3/admin,[\"x\"]"), PacketError::MissingAckId);
    }

    #[test]
    fn invalid_json_is_refused_with_the_parser_error() {
        for text in [
            "2[\"x\"",
            "2[\"x\"]]",
            "2/admin,{bad",
            "0{'a':1}",
            "2[\"x\",]",
        ] {
            assert!(
                matches!(error(text), PacketError::InvalidJson(_)),
                "{text:?}"
            );
        }
    }

    #[test]
    fn data_nested_past_max_depth_is_refused() {
        let depth = |n: usize| format!("2[\"x\",{}{}]", "[".repeat(n - 1), "]".repeat(n - 1));
        assert!(decode(&depth(32), &limits()).is_ok());
        let PacketError::InvalidJson(parse) = error(&depth(33)) else {
            panic!("too deep")
        };
        assert_eq!(parse.kind, json::ParseErrorKind::TooDeep { max: 32 });
    }

    #[test]
    fn data_that_does_not_fit_its_type_is_refused_like_is_payload_valid() {
        for text in [
            "0[]",                                   // CONNECT: object or nothing
            "0\"token\"",                            // CONNECT: a string is no object
            "0/admin,null",                          // CONNECT: null is no object
            "1{}",                                   // DISCONNECT: nothing at all
            "1/admin,[]",                            // DISCONNECT: nothing at all
            "4[\"x\"]",                              // CONNECT_ERROR: string or object
            "4true",                                 // CONNECT_ERROR: string or object
            "2[]",                                   // EVENT: non-empty array
            "2{\"a\":1}",                            // EVENT: an array
            "2[true]",                               // EVENT: name is a string or number
            "2[null,\"x\"]",                         // EVENT: name is a string or number
            "2",         // EVENT: data is mandatory (spec; reference lets it by)
            "2/admin,7", // EVENT: still no data after the id
            "312{}",     // ACK: an array
            "312\"x\"",  // ACK: an array
            "312",       // ACK: data is mandatory (spec)
            "50-[]",     // BINARY_EVENT: as EVENT
            "61-1{\"_placeholder\":true,\"num\":0}", // BINARY_ACK: as ACK
        ] {
            assert!(
                matches!(error(text), PacketError::InvalidPayload(_)),
                "{text:?}"
            );
        }
    }

    #[test]
    fn reserved_event_names_are_refused_like_the_reference_parser() {
        for name in RESERVED_EVENTS {
            let text = format!("2[\"{name}\",1]");
            assert_eq!(
                error(&text),
                PacketError::ReservedEventName(name.to_owned())
            );
        }
        assert!(
            decode("2[\"Connect\"]", &limits()).is_ok(),
            "names are case-sensitive"
        );
    }

    #[test]
    fn display_is_a_log_line_naming_the_rule() {
        let lines = [
            PacketError::UnknownType('7').to_string(),
            PacketError::TooManyAttachments { count: 11, max: 10 }.to_string(),
            PacketError::ReservedEventName("disconnect".into()).to_string(),
            PacketError::MissingAttachments {
                expected: 2,
                received: 1,
            }
            .to_string(),
            error("2[\"x\"").to_string(),
        ];
        assert!(lines[0].contains("'7'") && lines[0].contains("Socket.IO v5"));
        assert!(lines[1].contains("11") && lines[1].contains("10"));
        assert!(lines[2].contains("\"disconnect\""));
        assert!(lines[3].contains("1 of 2"));
        assert!(lines[4].contains("invalid JSON at byte"));
    }

    #[test]
    fn invalid_json_exposes_the_parse_error_as_its_source() {
        use std::error::Error as _;
        assert!(error("2[").source().is_some());
        assert!(PacketError::Empty.source().is_none());
    }

    #[test]
    fn default_limits_are_the_reference_attachment_limit_depth_32_and_one_max_payload() {
        assert_eq!(
            Limits::default(),
            Limits {
                max_attachments: 10,
                max_depth: 32,
                max_attachment_bytes: crate::engineio::EngineConfig::default().max_payload,
            }
        );
    }

    #[test]
    fn type_digits_round_trip() {
        for digit in '0'..='6' {
            let kind = PacketType::from_digit(digit).expect("0-6 are types");
            assert_eq!(kind.digit(), digit);
            assert_eq!(kind.is_binary(), digit == '5' || digit == '6');
        }
        assert_eq!(PacketType::from_digit('7'), None);
    }

    #[test]
    fn one_encoding_for_many_ids_is_each_packet_as_encode_writes_it() {
        let bytes = Value::Binary(vec![1, 2]);
        let cases = [
            ("/", vec![Value::from("a,b[c")]),
            ("/a[b", vec![Value::from(1)]), // a namespace may hold a `[`
            ("/chat", vec![bytes.clone(), Value::from("x")]),
        ];
        for (namespace, args) in cases {
            let once = Packet::event(namespace, "ask", args.clone(), None).encode_for_many_ids();
            for id in [0, 7, 1234] {
                let expected = Packet::event(namespace, "ask", args.clone(), Some(id)).encode();
                assert_eq!(once.with_id(id), expected, "{namespace} with id {id}");
            }
        }
    }
}
